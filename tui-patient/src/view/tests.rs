//! Snapshots of every screen at 80x24 and 120x40 (insta, on ratatui's `TestBackend`), and the
//! styles that carry meaning without colour.

use dentismile_client::{LiveUpdate, pb};
use ratatui::{Terminal, backend::TestBackend, style::Modifier};

use crate::{
    action::Action,
    app::{App, Dialog, Pane},
    fixtures::{self, now},
    update::update,
};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn render(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.area.width, app.area.height)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(app, frame.area()))
        .unwrap();
    terminal
}

fn snapshot(name: &str, app: &App) {
    let terminal = render(app);
    let (width, height) = (app.area.width, app.area.height);
    insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
}

fn with_appointments(width: u16, height: u16) -> App {
    let mut app = fixtures::signed_in(width, height);
    update(&mut app, Action::ShowPane(Pane::Appointments));
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    app
}

#[test]
fn sign_in() {
    for (width, height) in SIZES {
        let mut app = fixtures::app(width, height);
        for c in "anna@patients.dentismile.test".chars() {
            update(&mut app, Action::Input(c));
        }
        update(&mut app, Action::NextPane);
        for c in "smile-anna-2026".chars() {
            update(&mut app, Action::Input(c));
        }
        let screen = format!("{:?}", render(&app).backend());
        assert!(!screen.contains("smile-anna"), "the password never shows");
        snapshot("sign_in", &app);
    }
}

#[test]
fn register() {
    let mut app = fixtures::app(80, 24);
    update(&mut app, Action::ToggleRegister);
    for c in "Sam Svensson".chars() {
        update(&mut app, Action::Input(c));
    }
    snapshot("register", &app);
}

#[test]
fn clinics() {
    for (width, height) in SIZES {
        let mut app = fixtures::signed_in(width, height);
        update(&mut app, Action::Down);
        update(&mut app, Action::Down);
        snapshot("clinics", &app);
    }
}

#[test]
fn week() {
    for (width, height) in SIZES {
        snapshot("week", &fixtures::week(width, height));
    }
}

#[test]
fn week_filtered_by_dentist_on_the_gateway_stream() {
    let mut app = fixtures::week(80, 24);
    update(&mut app, Action::CycleDentist);
    update(
        &mut app,
        Action::Live(LiveUpdate::Connection(dentismile_client::Connection::Grpc)),
    );
    snapshot("week_one_dentist", &app);
}

#[test]
fn week_before_a_clinic_is_chosen() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::ShowPane(Pane::Week));
    snapshot("week_empty", &app);
}

#[test]
fn earliest() {
    for (width, height) in SIZES {
        let mut app = fixtures::signed_in(width, height);
        update(&mut app, Action::FindEarliest);
        let start = |s: &pb::Slot| {
            crate::local_time::from_wire(s.r#ref.as_ref().and_then(|r| r.start.as_ref()))
        };
        let mut slots: Vec<pb::Slot> = fixtures::haga_week()
            .into_iter()
            .filter(|s| s.state == pb::SlotState::Free as i32)
            .filter(|s| start(s).is_some_and(|t| t > now()))
            .collect();
        // As the server sends them: by start, then clinic, then dentist.
        slots.sort_by_key(|s| (start(s), s.r#ref.as_ref().map(|r| r.dentist_id.clone())));
        slots.truncate(12);
        update(&mut app, Action::EarliestLoaded(Ok(slots)));
        update(&mut app, Action::Down);
        snapshot("earliest", &app);
    }
}

#[test]
fn appointments() {
    for (width, height) in SIZES {
        snapshot("appointments", &with_appointments(width, height));
    }
}

#[test]
fn booking_dialogs() {
    let mut app = fixtures::week(80, 24);
    update(&mut app, Action::Activate);
    for c in "Sore tooth".chars() {
        update(&mut app, Action::Input(c));
    }
    snapshot("confirm_booking", &app);

    let Some(Dialog::ConfirmBooking { choices, .. }) = app.dialog.clone() else {
        panic!("confirmation open")
    };
    let slot = choices[0].clone();
    update(&mut app, Action::Activate);
    let mut booked = app.clone();
    update(
        &mut booked,
        Action::Booked {
            slot: slot.clone(),
            result: Ok(fixtures::appointment("a-new", "2026-11-24", "10:30", false)),
        },
    );
    snapshot("booked", &booked);

    update(
        &mut app,
        Action::Booked {
            slot: slot.clone(),
            result: Err(dentismile_client::ClientError {
                code: tonic::Code::FailedPrecondition,
                message: "slot: the slot is booked (it is no longer free)".into(),
            }),
        },
    );
    update(
        &mut app,
        Action::AlternativesLoaded {
            taken: slot,
            result: Ok(fixtures::haga_week()),
        },
    );
    snapshot("taken", &app);
}

#[test]
fn cancel_dialogs() {
    let mut app = with_appointments(80, 24);
    update(&mut app, Action::CancelAppointment);
    for c in "Feeling better".chars() {
        update(&mut app, Action::Input(c));
    }
    snapshot("confirm_cancel", &app);
    let Some(Dialog::ConfirmCancel { appointment, .. }) = app.dialog.clone() else {
        panic!("confirmation open")
    };
    update(&mut app, Action::Activate);
    update(
        &mut app,
        Action::Cancelled(Err(dentismile_client::ClientError {
            code: tonic::Code::FailedPrecondition,
            message: format!(
                "appointment_id: patients may cancel only until 24 hours before the start ({})",
                appointment.id
            ),
        })),
    );
    snapshot("not_cancelled", &app);
}

#[test]
fn help() {
    for (width, height) in SIZES {
        let mut app = fixtures::week(width, height);
        update(&mut app, Action::Help);
        snapshot("help", &app);
    }
}

#[test]
fn a_terminal_too_small_says_so() {
    let app = fixtures::signed_in(50, 12);
    snapshot("too_small", &app);
}

#[test]
fn selection_is_reverse_video_not_a_background_colour() {
    let app = fixtures::week(80, 24);
    let terminal = render(&app);
    let buffer = terminal.backend().buffer();
    let cursor = buffer
        .content()
        .iter()
        .find(|cell| cell.symbol() == "▶")
        .expect("the cursor is marked");
    assert!(cursor.modifier.contains(Modifier::REVERSED));
    assert!(cursor.modifier.contains(Modifier::BOLD));
    assert!(
        buffer
            .content()
            .iter()
            .all(|cell| cell.bg == ratatui::style::Color::Reset),
        "no background colours anywhere"
    );
}

#[test]
fn every_screen_renders_at_every_size_without_panicking() {
    let states: Vec<Box<dyn Fn(u16, u16) -> App>> = vec![
        Box::new(fixtures::app),
        Box::new(fixtures::signed_in),
        Box::new(fixtures::week),
        Box::new(|w, h| {
            let mut app = fixtures::week(w, h);
            update(&mut app, Action::Activate);
            app
        }),
        Box::new(|w, h| {
            let mut app = fixtures::week(w, h);
            update(&mut app, Action::Help);
            app
        }),
        Box::new(with_appointments),
        Box::new(|w, h| {
            let mut app = with_appointments(w, h);
            update(&mut app, Action::CancelAppointment);
            app
        }),
    ];
    for state in &states {
        for width in [1, 20, 59, 60, 61, 79, 80, 81, 99, 100, 133] {
            for height in [1, 10, 15, 16, 17, 23, 24, 25, 41] {
                let mut app = state(width, height);
                // Scroll to the far end too, where off-by-ones live.
                update(&mut app, Action::Bottom);
                render(&app);
            }
        }
    }
}

#[test]
fn an_unreachable_gateway_is_named_as_such() {
    let mut app = fixtures::app(80, 24);
    update(
        &mut app,
        Action::SignedIn(Err(dentismile_client::ClientError {
            code: tonic::Code::Unavailable,
            message: "tcp connect error".into(),
        })),
    );
    let terminal = render(&app);
    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("cannot reach DentiSmile (tcp connect error)"),
        "{screen}"
    );
}
