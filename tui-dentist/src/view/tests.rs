//! Snapshots of the main screens at 80x24 (the smallest supported) and 120x40, rendered with
//! ratatui's `TestBackend` from the fixtures' state at 09:42 on Monday 14 December 2026.

use dentismile_client::pb;
use ratatui::{Terminal, backend::TestBackend};

use crate::{
    app::{App, Dialog, Tab, ViewMode},
    fixtures,
    local_time::to_wire,
    plan_form::{PlanForm, PlanPreview},
    schedule::domain_clinic,
};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn render(app: &App, width: u16, height: u16) -> TestBackend {
    let mut app = app.clone();
    app.size = (width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(&app, frame.area()))
        .unwrap();
    terminal.backend().clone()
}

fn snapshot(name: &str, app: &App) {
    for (width, height) in SIZES {
        insta::assert_snapshot!(
            format!("{name}_{width}x{height}"),
            render(app, width, height)
        );
    }
}

#[test]
fn sign_in() {
    let mut app = App::new(fixtures::now(), true);
    app.gateway = "http://127.0.0.1:50051".into();
    app.sign_in.email = "dr-lindqvist@majorna-tandvard.dentismile.test".into();
    app.sign_in.password = "dentist".into();
    app.sign_in.field = crate::app::SignInField::Password;
    app.fail("Signing in failed: wrong email or password");
    snapshot("sign_in", &app);
}

#[test]
fn schedule_week() {
    snapshot("schedule_week", &fixtures::app());
}

#[test]
fn schedule_day() {
    let mut app = fixtures::app();
    app.schedule.mode = ViewMode::Day;
    snapshot("schedule_day", &app);
}

#[test]
fn schedule_week_of_a_clinic_admin_without_colours() {
    let mut app = fixtures::admin_app();
    app.colors = false;
    app.live = Some(dentismile_client::Connection::Grpc);
    snapshot("schedule_admin", &app);
}

fn preview_app() -> App {
    let mut app = fixtures::app();
    app.tab = Tab::Publish;
    let monday = fixtures::monday().plus_days(7);
    app.plan = PlanForm::defaults(&fixtures::majorna(), monday, app.today(), 30);
    app.plan.field = crate::plan_form::PlanField::SlotMinutes;
    let clinic = domain_clinic(&fixtures::majorna()).unwrap();
    let (plan, wire) = app
        .plan
        .check(&clinic, "dr-lindqvist", fixtures::now())
        .unwrap();
    let slot = |start, end, state: pb::SlotState| pb::Slot {
        r#ref: Some(pb::SlotRef {
            clinic_id: "majorna-tandvard".into(),
            dentist_id: "dr-lindqvist".into(),
            start: Some(to_wire(start)),
        }),
        end: Some(to_wire(end)),
        day: String::new(),
        state: state.into(),
    };
    let slots: Vec<pb::Slot> = plan
        .expand()
        .iter()
        .map(|s| slot(s.key().start, s.end(), pb::SlotState::Free))
        .collect();
    let conflict = {
        let s = &plan.expand()[3];
        slot(
            s.key().start + dentismile_domain::jiff::SignedDuration::from_mins(15),
            s.end() + dentismile_domain::jiff::SignedDuration::from_mins(15),
            pb::SlotState::Booked,
        )
    };
    app.plan.preview = Some(PlanPreview {
        plan: wire,
        response: pb::PreviewWorkingPlanResponse {
            slots,
            conflicts: vec![conflict],
            unchanged: 16,
        },
    });
    app
}

#[test]
fn publish_form_with_a_preview() {
    snapshot("publish_preview", &preview_app());
}

#[test]
fn publish_form_with_an_error() {
    let mut app = preview_app();
    app.plan.preview = None;
    app.plan.hours = "8-17".into();
    app.plan.field = crate::plan_form::PlanField::Hours;
    app.plan.error = Some("Hours: '8' is not a time of the form HH:MM".into());
    snapshot("publish_error", &app);
}

#[test]
fn operations() {
    let mut app = fixtures::admin_app();
    app.tab = Tab::Operations;
    snapshot("operations", &app);
}

#[test]
fn operations_before_the_gateway_serves_them() {
    let mut app = fixtures::admin_app();
    app.tab = Tab::Operations;
    app.operations = Default::default();
    app.operations.unimplemented = true;
    app.operations.problem = Some(
        "This gateway does not serve operations figures yet (GetSystemStatus is unimplemented); trying again every 10 s".into(),
    );
    snapshot("operations_unimplemented", &app);
}

#[test]
fn help_overlay() {
    let mut app = fixtures::app();
    app.help = true;
    snapshot("help", &app);
}

#[test]
fn cancel_dialog() {
    let mut app = fixtures::app();
    let entry = app.selected_entry().unwrap().clone();
    app.dialog = Some(Dialog::Cancel {
        entry,
        reason: "the dentist is ill".into(),
    });
    snapshot("cancel", &app);
}

#[test]
fn clear_day_dialog() {
    let mut app = fixtures::app();
    let upcoming: Vec<_> = app
        .day_entries(app.schedule.day)
        .into_iter()
        .filter(|e| e.start > app.now)
        .cloned()
        .collect();
    app.dialog = Some(Dialog::ClearDay {
        day: app.schedule.day,
        dentist_id: "dr-lindqvist".into(),
        bookings: upcoming.iter().filter(|e| e.is_booked()).cloned().collect(),
        free: upcoming.into_iter().filter(|e| e.is_free()).collect(),
        reason: "course day".into(),
    });
    snapshot("clear_day", &app);
}

#[test]
fn add_slot_dialog() {
    let mut app = fixtures::app();
    app.dialog = Some(Dialog::AddSlot {
        day: app.schedule.day,
        start: "11:45".into(),
        minutes: "30".into(),
        field: 0,
        error: Some("Slot: overlaps the free slot 11:30–12:00".into()),
    });
    snapshot("add_slot", &app);
}

#[test]
fn import_errors_dialog() {
    let mut app = fixtures::app();
    let line = |line: usize, reason: &str| dentismile_client::slots_csv::LineError {
        line,
        reason: reason.into(),
    };
    app.dialog = Some(Dialog::ImportErrors {
        path: "slots.csv".into(),
        errors: vec![
            line(10, "status: 'maybe' is not free, booked or withdrawn"),
            line(200, "startTime: the clinic is closed on Sunday"),
            line(
                377,
                "startTime: overlaps the slot on line 376 (09:00–09:30) of the same dentist",
            ),
        ],
        scroll: 0,
    });
    app.fail("slots.csv: 3 bad lines; nothing was changed");
    snapshot("import_errors", &app);
}

#[test]
fn a_too_small_terminal_says_so() {
    insta::assert_snapshot!("too_small", render(&fixtures::app(), 60, 10));
}

/// Every screen in both colour modes: the background is always the terminal's own, no text
/// is drawn in a fixed black, white or grey (unreadable on one of dark or light terminals),
/// and without colours nothing is coloured at all.
#[test]
fn colours_suit_dark_and_light_terminals_and_no_color_means_none() {
    use ratatui::style::Color;
    let mut screens = vec![
        App::new(fixtures::now(), true),
        fixtures::app(),
        preview_app(),
        fixtures::admin_app(),
    ];
    screens[3].tab = Tab::Operations;
    let mut helped = fixtures::app();
    helped.help = true;
    screens.push(helped);
    for colors in [true, false] {
        for screen in &screens {
            let mut app = screen.clone();
            app.colors = colors;
            for (width, height) in SIZES {
                let backend = render(&app, width, height);
                for cell in backend.buffer().content() {
                    assert_eq!(cell.bg, Color::Reset, "{:?}", cell);
                    assert!(
                        !matches!(
                            cell.fg,
                            Color::Black
                                | Color::White
                                | Color::Gray
                                | Color::DarkGray
                                | Color::Rgb(..)
                                | Color::Indexed(_)
                        ),
                        "{cell:?}"
                    );
                    if !colors {
                        assert_eq!(cell.fg, Color::Reset, "NO_COLOR: {cell:?}");
                    }
                }
            }
        }
    }
    // With colours, free slots are green and the current time magenta.
    let backend = render(&fixtures::app(), 80, 24);
    let cells = backend.buffer().content();
    assert!(
        cells
            .iter()
            .any(|c| c.fg == Color::Green && c.symbol() == "·")
    );
    assert!(
        cells
            .iter()
            .any(|c| c.fg == Color::Magenta && c.symbol() == "─")
    );
}
