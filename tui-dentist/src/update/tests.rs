//! `update` without a terminal or a server: each test drives the state with the actions a
//! dentist's keys and the server's answers produce, and checks what a dentist would see and
//! which calls would go out.

use dentismile_client::{ClientError, Connection, LiveEvent, LiveUpdate, pb, slots_csv};
use dentismile_domain::jiff::{SignedDuration, Timestamp};
use tonic::Code;

use super::*;
use crate::{
    app::{App, Dialog, Level, NotificationKind, ScheduleKey, Screen, SignInField, Tab, ViewMode},
    fixtures,
    import::ImportPlan,
    layout::{main_layout, schedule_layout},
    local_time::to_wire,
    schedule::EntryState,
};

fn run(app: &mut App, actions: impl IntoIterator<Item = Action>) -> Vec<Command> {
    actions
        .into_iter()
        .flat_map(|action| update(app, action))
        .collect()
}

fn typed(text: &str) -> Vec<Action> {
    text.chars().map(Action::Input).collect()
}

fn status(app: &App) -> (Level, &str) {
    let status = app.status.as_ref().expect("a status message");
    (status.level, status.text.as_str())
}

fn event(kind: pb::SlotEventKind, dentist: &str, start: Timestamp) -> Action {
    Action::Live(LiveUpdate::Event(LiveEvent {
        event_id: format!("{kind:?}-{dentist}-{start}"),
        seq: 1,
        kind,
        clinic_id: "majorna-tandvard".into(),
        dentist_id: dentist.into(),
        day: LocalDay::of(start).to_string(),
        slot_start: start,
        slot_end: start + SignedDuration::from_mins(30),
    }))
}

fn load_commands(commands: &[Command]) -> Vec<(u64, ScheduleKeyView)> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::LoadSchedule { request, key } => {
                Some((*request, (key.dentist_id.clone(), key.monday.to_string())))
            }
            _ => None,
        })
        .collect()
}

type ScheduleKeyView = (String, String);

/// The fixture app's entry at `index` of Monday.
fn monday_entry(app: &App, index: usize) -> Entry {
    app.day_entries(fixtures::monday())[index].clone()
}

#[test]
fn signing_in_as_a_dentist_opens_their_week_and_starts_the_live_feed() {
    let mut app = App::new(fixtures::now(), true);
    let commands = run(
        &mut app,
        typed("dr-lindqvist@majorna-tandvard.dentismile.test")
            .into_iter()
            .chain([Action::Submit])
            .chain(typed("dentist-demo-2026"))
            .chain([Action::Submit]),
    );
    assert_eq!(
        commands,
        [Command::SignIn {
            email: "dr-lindqvist@majorna-tandvard.dentismile.test".into(),
            password: "dentist-demo-2026".into(),
        }],
        "Enter on the email moves to the password; Enter there signs in"
    );
    assert!(app.sign_in.waiting);
    assert!(
        run(&mut app, [Action::Input('x')]).is_empty() && app.sign_in.password.len() == 17,
        "typing waits while signing in"
    );

    let commands = update(
        &mut app,
        Action::SignedIn {
            account: fixtures::dentist_account(),
            clinics: vec![fixtures::majorna()],
        },
    );
    assert_eq!(app.screen, Screen::Main);
    assert!(app.sign_in.password.is_empty(), "the password is not kept");
    assert_eq!(app.dentist().unwrap().id, "dr-lindqvist");
    assert_eq!(
        app.tabs(),
        [Tab::Schedule, Tab::Publish],
        "no operations tab"
    );
    assert_eq!(
        load_commands(&commands),
        [(1, ("dr-lindqvist".into(), "2026-12-14".into()))]
    );
    assert!(commands.iter().any(|c| matches!(
        c,
        Command::Watch(w) if w.clinic_id == "majorna-tandvard"
            && w.from_day == "2026-12-14" && w.to_day == "2027-01-13"
    )));

    // The answer selects the first slot that has not started yet.
    update(
        &mut app,
        Action::ScheduleLoaded {
            request: 1,
            entries: fixtures::wire_entries(),
        },
    );
    assert_eq!(app.schedule.entries.len(), fixtures::entries().len());
    let selected = app.selected_entry().unwrap();
    assert_eq!(crate::local_time::clock(selected.start), "10:00");
    assert_eq!(selected.patient_name(), Some("Erik Johansson"));
}

#[test]
fn the_sign_in_form_switches_fields_edits_and_refuses_patients() {
    let mut app = App::new(fixtures::now(), true);
    run(
        &mut app,
        typed("annaa")
            .into_iter()
            .chain([Action::Backspace, Action::FocusNext]),
    );
    assert_eq!(app.sign_in.email, "anna");
    assert_eq!(app.sign_in.field, SignInField::Password);
    run(
        &mut app,
        typed("secret").into_iter().chain([Action::ClearInput]),
    );
    assert!(app.sign_in.password.is_empty());
    run(&mut app, [Action::Up, Action::ClearInput, Action::Submit]);
    assert_eq!(status(&app), (Level::Error, "Type your email first"));

    let patient = pb::Account {
        role: pb::Role::Patient.into(),
        email: "anna@patients.dentismile.test".into(),
        ..pb::Account::default()
    };
    let commands = update(
        &mut app,
        Action::SignedIn {
            account: patient,
            clinics: vec![fixtures::majorna()],
        },
    );
    assert_eq!(commands, [Command::SignOut]);
    assert_eq!(app.screen, Screen::SignIn);
    assert!(
        status(&app).1.contains("not a staff account"),
        "{:?}",
        app.status
    );

    update(
        &mut app,
        Action::SignInFailed(ClientError {
            code: Code::Unauthenticated,
            message: "wrong email or password".into(),
        }),
    );
    assert_eq!(
        status(&app),
        (Level::Error, "Signing in failed: wrong email or password")
    );
    update(&mut app, Action::Back);
    assert!(app.quit, "Esc on the sign-in screen quits");
}

#[test]
fn an_unreachable_gateway_is_named_as_such() {
    let mut app = App::new(fixtures::now(), true);
    update(
        &mut app,
        Action::SignInFailed(ClientError {
            code: Code::Unavailable,
            message: "tcp connect error".into(),
        }),
    );
    assert_eq!(
        status(&app),
        (
            Level::Error,
            "Signing in failed: cannot reach DentiSmile (tcp connect error); is the server running?"
        )
    );
}

#[test]
fn days_and_weeks_are_navigated_and_only_current_answers_count() {
    let mut app = fixtures::app();
    assert_eq!(app.schedule.mode, ViewMode::Week);
    run(&mut app, [Action::Down, Action::Down]);
    assert_eq!(app.schedule.selected, 6);
    assert!(
        run(&mut app, [Action::Right]).is_empty(),
        "same week: no call"
    );
    assert_eq!(app.schedule.day.to_string(), "2026-12-15");

    let commands = update(&mut app, Action::NextWeek);
    assert_eq!(
        load_commands(&commands),
        [(1, ("dr-lindqvist".into(), "2026-12-21".into()))]
    );
    assert!(
        app.day_entries(app.schedule.day).is_empty(),
        "the old week is not shown"
    );
    let commands = update(&mut app, Action::NextWeek);
    assert_eq!(load_commands(&commands)[0].0, 2);
    update(
        &mut app,
        Action::ScheduleLoaded {
            request: 1,
            entries: fixtures::wire_entries(),
        },
    );
    assert!(
        app.schedule
            .loaded
            .as_ref()
            .is_some_and(|k| k.monday == fixtures::monday())
    );
    assert!(app.schedule.pending.is_some(), "a stale answer is ignored");
    update(
        &mut app,
        Action::ScheduleLoaded {
            request: 2,
            entries: Vec::new(),
        },
    );
    assert!(app.schedule.pending.is_none());
    assert_eq!(app.monday().to_string(), "2026-12-28");

    let commands = update(&mut app, Action::Today);
    assert_eq!(app.schedule.day, fixtures::monday());
    assert_eq!(load_commands(&commands).len(), 1);
    update(&mut app, Action::ToggleView);
    assert_eq!(app.schedule.mode, ViewMode::Day);
    update(&mut app, Action::PreviousWeek);
    assert_eq!(app.schedule.day.to_string(), "2026-12-07");
}

#[test]
fn a_booking_is_cancelled_with_a_reason_and_makes_no_notification_of_its_own() {
    let mut app = fixtures::app();
    let erik = monday_entry(&app, 4);
    assert!(erik.is_booked());
    update(&mut app, Action::Submit);
    assert!(matches!(&app.dialog, Some(Dialog::Cancel { entry, .. }) if *entry == erik));
    assert!(update(&mut app, Action::Submit).is_empty());
    assert!(app.dialog.is_some(), "a reason is required");
    assert_eq!(status(&app).0, Level::Error);
    let commands = run(
        &mut app,
        typed("the dentist is ill")
            .into_iter()
            .chain([Action::Submit]),
    );
    assert_eq!(
        commands,
        [Command::Cancel {
            appointment_id: "0199a0b0-0000-7000-8000-000000000001".into(),
            reason: "the dentist is ill".into(),
        }]
    );
    assert!(app.dialog.is_none());

    let before = app.notifications.len();
    let commands = update(
        &mut app,
        event(pb::SlotEventKind::Released, "dr-lindqvist", erik.start),
    );
    assert_eq!(app.notifications.len(), before, "our own cancellation");
    assert_eq!(
        load_commands(&commands).len(),
        1,
        "the schedule is read again"
    );

    let mut appointment = pb::Appointment {
        id: "0199a0b0-0000-7000-8000-000000000001".into(),
        ..pb::Appointment::default()
    };
    appointment.slot = Some(pb::Slot {
        r#ref: Some(erik.slot_ref()),
        end: Some(to_wire(erik.end)),
        ..pb::Slot::default()
    });
    update(&mut app, Action::AppointmentCancelled(appointment));
    assert_eq!(
        status(&app),
        (
            Level::Info,
            "Cancelled Erik Johansson's appointment Mon 14 Dec 10:00–10:30"
        )
    );
}

#[test]
fn bookings_and_cancellations_by_patients_become_notifications_with_names() {
    let mut app = fixtures::app();
    app.notifications.clear();
    let free = monday_entry(&app, 5);
    assert!(free.is_free());
    let commands = update(
        &mut app,
        event(pb::SlotEventKind::Booked, "dr-lindqvist", free.start),
    );
    let (request, _) = load_commands(&commands)[0].clone();
    let newest = &app.notifications[0];
    assert_eq!(newest.kind, NotificationKind::Booked);
    assert_eq!(newest.patient, None, "public events carry no names");

    // A second event while the read is in flight asks for another read after it.
    let fatima = monday_entry(&app, 10);
    assert_eq!(fatima.patient_name(), Some("Fatima Hassan"));
    let commands = update(
        &mut app,
        event(pb::SlotEventKind::Released, "dr-lindqvist", fatima.start),
    );
    assert!(commands.is_empty());
    assert!(app.schedule.reload_wanted);
    assert_eq!(app.notifications[0].kind, NotificationKind::Cancelled);
    assert_eq!(
        app.notifications[0].patient.as_deref(),
        Some("Fatima Hassan"),
        "the cancelled patient is still on the schedule read before"
    );

    let mut wire = fixtures::wire_entries();
    let booked = wire
        .iter_mut()
        .find(|e| {
            e.slot
                .as_ref()
                .and_then(|s| s.r#ref.as_ref())
                .and_then(|r| r.start)
                == Some(to_wire(free.start))
        })
        .unwrap();
    booked.slot.as_mut().unwrap().state = pb::SlotState::Booked.into();
    booked.patient_name = "Lars Nilsson".into();
    booked.appointment = Some(pb::Appointment {
        id: "0199a0b0-0000-7000-8000-0000000000ff".into(),
        patient_id: "0199a0b0-0000-7000-8000-0000000000fe".into(),
        reason: "a chipped tooth".into(),
        ..pb::Appointment::default()
    });
    let commands = update(
        &mut app,
        Action::ScheduleLoaded {
            request,
            entries: wire,
        },
    );
    assert_eq!(load_commands(&commands).len(), 1, "the wanted second read");
    assert_eq!(
        app.notifications[1].patient.as_deref(),
        Some("Lars Nilsson")
    );
    assert_eq!(
        app.notifications[1].reason.as_deref(),
        Some("a chipped tooth")
    );

    // Another dentist's events are not a dentist's business, but are a clinic admin's.
    let before = app.notifications.len();
    update(
        &mut app,
        event(pb::SlotEventKind::Booked, "dr-berg", free.start),
    );
    assert_eq!(app.notifications.len(), before);
    let mut admin = fixtures::admin_app();
    admin.notifications.clear();
    let commands = update(
        &mut admin,
        event(pb::SlotEventKind::Booked, "dr-berg", free.start),
    );
    assert_eq!(admin.notifications.len(), 1);
    assert!(commands.is_empty(), "dr-berg's week is not on screen");

    // Publishing and withdrawing are staff actions: no notification.
    update(
        &mut app,
        event(pb::SlotEventKind::Withdrawn, "dr-lindqvist", free.start),
    );
    assert_eq!(app.notifications.len(), before);

    update(
        &mut app,
        Action::Live(LiveUpdate::Connection(Connection::Grpc)),
    );
    assert_eq!(app.live, Some(Connection::Grpc));
}

#[test]
fn n_and_a_click_on_a_notification_show_its_slot() {
    let mut app = fixtures::app();
    update(&mut app, Action::JumpToNotification);
    assert_eq!(app.schedule.day.to_string(), "2026-12-18");
    assert_eq!(
        app.selected_entry().unwrap().patient_name(),
        Some("Anna Andersson")
    );
    let area = ratatui::layout::Rect::new(0, 0, app.size.0, app.size.1);
    let notifications = main_layout(&app, area).notifications;
    update(
        &mut app,
        Action::Click {
            column: 10,
            row: notifications.y + 2,
        },
    );
    assert_eq!(
        app.schedule.day.to_string(),
        "2026-12-15",
        "the second line"
    );
}

#[test]
fn free_slots_are_withdrawn_and_withdrawn_ones_published_again() {
    let mut app = fixtures::app();
    app.schedule.selected = 5;
    let free = monday_entry(&app, 5);
    update(&mut app, Action::Withdraw);
    assert!(matches!(app.dialog, Some(Dialog::Withdraw { .. })));
    assert!(run(&mut app, [Action::Back]).is_empty());
    assert!(app.dialog.is_none(), "Esc keeps the slot");
    let commands = run(&mut app, [Action::Withdraw, Action::Submit]);
    assert_eq!(commands, [Command::Withdraw(free.slot_ref())]);

    app.schedule.selected = 4;
    update(&mut app, Action::Withdraw);
    assert!(app.dialog.is_none());
    assert!(status(&app).1.contains("cancel the appointment first"));

    app.schedule.selected = 15;
    let withdrawn = monday_entry(&app, 15);
    assert_eq!(withdrawn.state, EntryState::Withdrawn);
    let commands = run(&mut app, [Action::AddSlot, Action::Submit]);
    assert_eq!(
        commands,
        [Command::PublishSlots {
            clinic_id: "majorna-tandvard".into(),
            dentist_id: "dr-lindqvist".into(),
            slots: vec![(withdrawn.start, withdrawn.end)],
        }]
    );
}

#[test]
fn a_slot_withdrawn_here_published_again_and_booked_by_a_patient_is_notified() {
    let mut app = fixtures::app();
    app.notifications.clear();
    app.schedule.selected = 5;
    let free = monday_entry(&app, 5);
    run(&mut app, [Action::Withdraw, Action::Submit]);
    update(
        &mut app,
        event(pb::SlotEventKind::Withdrawn, "dr-lindqvist", free.start),
    );
    update(
        &mut app,
        event(pb::SlotEventKind::Published, "dr-lindqvist", free.start),
    );
    update(
        &mut app,
        event(pb::SlotEventKind::Booked, "dr-lindqvist", free.start),
    );
    assert_eq!(app.notifications.len(), 1, "a patient's booking");
    assert_eq!(app.notifications[0].kind, NotificationKind::Booked);
    assert_eq!(app.notifications[0].start, free.start);
}

#[test]
fn a_cancellation_that_failed_here_leaves_the_patients_own_cancellation_notified() {
    let mut app = fixtures::app();
    app.notifications.clear();
    let erik = monday_entry(&app, 4);
    let appointment_id = "0199a0b0-0000-7000-8000-000000000001".to_string();
    run(
        &mut app,
        [Action::Submit]
            .into_iter()
            .chain(typed("the dentist is ill"))
            .chain([Action::Submit]),
    );
    update(
        &mut app,
        Action::CancelFailed {
            appointment_id: appointment_id.clone(),
            error: ClientError {
                code: Code::FailedPrecondition,
                message: "appointment: it starts within 24 hours".into(),
            },
        },
    );
    assert_eq!(
        status(&app),
        (
            Level::Error,
            "Cancelling the appointment: appointment: it starts within 24 hours"
        )
    );
    update(
        &mut app,
        event(pb::SlotEventKind::Released, "dr-lindqvist", erik.start),
    );
    assert_eq!(app.notifications.len(), 1, "the patient cancelled it");
    assert_eq!(app.notifications[0].kind, NotificationKind::Cancelled);

    // Likewise for a booking that making the day unavailable could not cancel.
    app.notifications.clear();
    let fatima = monday_entry(&app, 10);
    run(
        &mut app,
        [Action::ClearDay]
            .into_iter()
            .chain(typed("course day"))
            .chain([Action::Submit]),
    );
    update(
        &mut app,
        Action::DayCleared(DayReport {
            day: Some(fixtures::monday()),
            cancelled: 1,
            withdrawn: 9,
            problems: vec![
                "cancelling appointment 0199a0b0-0000-7000-8000-000000000002 failed: unavailable"
                    .into(),
            ],
            not_cancelled: vec!["0199a0b0-0000-7000-8000-000000000002".into()],
        }),
    );
    update(
        &mut app,
        event(pb::SlotEventKind::Released, "dr-lindqvist", fatima.start),
    );
    assert_eq!(app.notifications.len(), 1, "the patient cancelled it");
}

#[test]
fn a_new_slot_is_checked_with_the_domain_rules_before_it_is_sent() {
    let mut app = fixtures::app();
    app.schedule.day = fixtures::monday().plus_days(2);
    app.schedule.selected = 0;
    update(&mut app, Action::AddSlot);
    let Some(Dialog::AddSlot { start, minutes, .. }) = &app.dialog else {
        panic!("the add-slot dialog: {:?}", app.dialog);
    };
    assert_eq!(
        (start.as_str(), minutes.as_str()),
        ("12:00", "30"),
        "after the last slot"
    );

    run(
        &mut app,
        [Action::ClearInput]
            .into_iter()
            .chain(typed("11:45"))
            .chain([Action::Submit]),
    );
    let Some(Dialog::AddSlot {
        error: Some(error), ..
    }) = &app.dialog
    else {
        panic!("still open with an error: {:?}", app.dialog);
    };
    assert!(
        error.contains("overlaps the free slot 11:30–12:00"),
        "{error}"
    );

    run(
        &mut app,
        [Action::ClearInput]
            .into_iter()
            .chain(typed("16:45"))
            .chain([Action::Submit]),
    );
    let Some(Dialog::AddSlot {
        error: Some(error), ..
    }) = &app.dialog
    else {
        panic!("still open with an error: {:?}", app.dialog);
    };
    assert!(error.contains("after the clinic closes"), "{error}");

    let commands = run(
        &mut app,
        [Action::ClearInput]
            .into_iter()
            .chain(typed("13:00"))
            .chain([Action::FocusNext, Action::ClearInput])
            .chain(typed("45"))
            .chain([Action::Submit]),
    );
    let start = fixtures::monday()
        .plus_days(2)
        .at(LocalTime::parse("13:00").unwrap());
    assert_eq!(
        commands,
        [Command::PublishSlots {
            clinic_id: "majorna-tandvard".into(),
            dentist_id: "dr-lindqvist".into(),
            slots: vec![(start, start + SignedDuration::from_mins(45))],
        }]
    );
    assert!(app.dialog.is_none());
}

#[test]
fn a_day_is_made_unavailable_after_a_summary_of_the_patients_affected() {
    let mut app = fixtures::app();
    update(&mut app, Action::ClearDay);
    let Some(Dialog::ClearDay { bookings, free, .. }) = &app.dialog else {
        panic!("the summary: {:?}", app.dialog);
    };
    let names: Vec<_> = bookings.iter().filter_map(|e| e.patient_name()).collect();
    assert_eq!(
        names,
        ["Erik Johansson", "Fatima Hassan"],
        "Anna's 08:30 appointment has passed"
    );
    assert_eq!(
        free.len(),
        9,
        "upcoming free slots; the withdrawn one is left"
    );

    assert!(update(&mut app, Action::Submit).is_empty());
    assert!(app.dialog.is_some(), "patients must be told why");
    let commands = run(
        &mut app,
        typed("course day").into_iter().chain([Action::Submit]),
    );
    assert_eq!(
        commands,
        [Command::ClearDay {
            clinic_id: "majorna-tandvard".into(),
            dentist_id: "dr-lindqvist".into(),
            day: fixtures::monday(),
            appointment_ids: vec![
                "0199a0b0-0000-7000-8000-000000000001".into(),
                "0199a0b0-0000-7000-8000-000000000002".into(),
            ],
            reason: "course day".into(),
        }]
    );
    let commands = update(
        &mut app,
        Action::DayCleared(DayReport {
            day: Some(fixtures::monday()),
            cancelled: 2,
            withdrawn: 12,
            problems: vec![],
            not_cancelled: vec![],
        }),
    );
    assert_eq!(
        status(&app),
        (
            Level::Info,
            "Mon 14 Dec: 2 appointments cancelled, 12 slots withdrawn; the day is unavailable"
        )
    );
    assert_eq!(load_commands(&commands).len(), 1);
    update(
        &mut app,
        Action::DayCleared(DayReport {
            day: Some(fixtures::monday()),
            cancelled: 1,
            withdrawn: 3,
            problems: vec!["Lars Nilsson booked 15:00 meanwhile; that appointment stands".into()],
            not_cancelled: vec![],
        }),
    );
    assert_eq!(status(&app).0, Level::Error);
    assert!(status(&app).1.contains("Lars Nilsson booked 15:00"));

    app.schedule.day = fixtures::monday().plus_days(5);
    update(&mut app, Action::ClearDay);
    assert!(app.dialog.is_none(), "Saturday has nothing to clear");
}

#[test]
fn a_working_plan_is_previewed_then_published_and_edits_drop_the_preview() {
    let mut app = fixtures::app();
    update(&mut app, Action::NextWeek);
    update(
        &mut app,
        Action::ScheduleLoaded {
            request: 1,
            entries: Vec::new(),
        },
    );
    update(&mut app, Action::ShowTab(Tab::Publish));
    assert_eq!(app.plan.first_day, "2026-12-21", "the week on the schedule");
    assert_eq!(app.plan.last_day, "2026-12-27");
    assert_eq!(app.plan.slot_minutes, "30", "the dentist's usual length");
    assert_eq!(app.input_mode(), crate::app::InputMode::Form);

    // A typo is pointed at in the form, not sent.
    run(
        &mut app,
        [Action::Down, Action::Down, Action::Down, Action::ClearInput]
            .into_iter()
            .chain(typed("3"))
            .chain([Action::Submit]),
    );
    assert!(
        app.plan
            .error
            .as_deref()
            .unwrap()
            .starts_with("Slot minutes")
    );
    let commands = run(
        &mut app,
        [Action::Backspace]
            .into_iter()
            .chain(typed("45"))
            .chain([Action::Submit]),
    );
    let [Command::PreviewPlan(plan)] = commands.as_slice() else {
        panic!("a preview: {commands:?}");
    };
    assert_eq!(plan.slot_minutes, 45);
    assert_eq!(plan.weekdays, [1, 2, 3, 4, 5]);
    assert!(app.plan.waiting);

    let slot = |start: &str| pb::Slot {
        r#ref: Some(pb::SlotRef {
            clinic_id: "majorna-tandvard".into(),
            dentist_id: "dr-lindqvist".into(),
            start: Some(to_wire(start.parse().unwrap())),
        }),
        ..pb::Slot::default()
    };
    let response = pb::PreviewWorkingPlanResponse {
        slots: vec![slot("2026-12-21T07:00:00Z"), slot("2026-12-21T07:45:00Z")],
        conflicts: vec![],
        unchanged: 0,
    };
    update(
        &mut app,
        Action::PlanPreviewed {
            plan: plan.clone(),
            response: response.clone(),
        },
    );
    assert!(app.plan.preview.is_some());
    assert_eq!(
        status(&app).1,
        "Preview: 2 new slots on 1 days (0 already published); Enter publishes"
    );
    // Editing drops it; previewing again and Enter publishes exactly the preview.
    update(&mut app, Action::Input('0'));
    assert!(app.plan.preview.is_none());
    update(&mut app, Action::Backspace);
    update(
        &mut app,
        Action::PlanPreviewed {
            plan: plan.clone(),
            response: pb::PreviewWorkingPlanResponse {
                conflicts: vec![slot("2026-12-21T07:00:00Z")],
                ..response.clone()
            },
        },
    );
    assert!(
        update(&mut app, Action::Submit).is_empty(),
        "conflicts block publishing"
    );
    assert!(status(&app).1.contains("collides with 1 slots"));
    update(
        &mut app,
        Action::PlanPreviewed {
            plan: plan.clone(),
            response,
        },
    );
    assert_eq!(
        update(&mut app, Action::Submit),
        [Command::PublishPlan(plan.clone())]
    );

    let commands = update(
        &mut app,
        Action::PlanPublished {
            plan: plan.clone(),
            response: pb::PublishSlotsResponse {
                published: vec![slot("2026-12-21T07:00:00Z")],
                unchanged: 1,
            },
        },
    );
    assert_eq!(
        app.tab,
        Tab::Schedule,
        "back to the schedule, on the plan's week"
    );
    assert_eq!(app.schedule.day.to_string(), "2026-12-21");
    assert!(!load_commands(&commands).is_empty());
    assert_eq!(
        status(&app).1,
        "Published 1 new slots for Dr Astrid Lindqvist from 2026-12-21 to 2026-12-27 (1 were there already)"
    );

    // An answer to a plan the form no longer describes is dropped.
    update(&mut app, Action::ShowTab(Tab::Publish));
    update(
        &mut app,
        Action::PlanPreviewed {
            plan: pb::WorkingPlan::default(),
            response: pb::PreviewWorkingPlanResponse::default(),
        },
    );
    assert!(app.plan.preview.is_none());
}

#[test]
fn weekdays_are_toggled_by_key_and_by_click() {
    let mut app = fixtures::app();
    update(&mut app, Action::ShowTab(Tab::Publish));
    run(
        &mut app,
        [
            Action::Right,
            Action::Right,
            Action::Right,
            Action::Right,
            Action::Right,
        ],
    );
    update(&mut app, Action::Input(' '));
    assert!(app.plan.weekdays[5], "Saturday on");
    assert!(app.plan.edited);
    let area = ratatui::layout::Rect::new(0, 0, app.size.0, app.size.1);
    let body = main_layout(&app, area).body;
    let monday = crate::layout::plan_layout(body).weekdays[0];
    update(
        &mut app,
        Action::Click {
            column: monday.x + 1,
            row: monday.y,
        },
    );
    assert!(!app.plan.weekdays[0], "Monday off");
    let commands = update(&mut app, Action::Submit);
    assert!(commands.is_empty(), "the clinic is closed on Saturdays");
    assert!(
        app.plan
            .error
            .as_deref()
            .unwrap()
            .contains("closed on Saturday")
    );
}

#[test]
fn an_import_is_checked_first_and_published_only_when_every_line_is_good() {
    let mut app = fixtures::app();
    update(&mut app, Action::Import);
    assert_eq!(app.input_mode(), crate::app::InputMode::Text);
    let commands = run(
        &mut app,
        [Action::ClearInput]
            .into_iter()
            .chain(typed("/tmp/week.csv"))
            .chain([Action::Submit]),
    );
    let [Command::CheckImport { path, scope }] = commands.as_slice() else {
        panic!("a check: {commands:?}");
    };
    assert_eq!(path, "/tmp/week.csv");
    assert_eq!(scope.only_dentist.as_deref(), Some("dr-lindqvist"));

    let errors = vec![
        slots_csv::LineError {
            line: 10,
            reason: "status: 'maybe' is not free, booked or withdrawn".into(),
        },
        slots_csv::LineError {
            line: 200,
            reason: "startTime: the clinic is closed on Sunday".into(),
        },
    ];
    update(
        &mut app,
        Action::ImportChecked {
            path: path.clone(),
            result: Err(errors.clone()),
        },
    );
    assert!(
        matches!(&app.dialog, Some(Dialog::ImportErrors { errors: shown, .. }) if *shown == errors)
    );
    assert_eq!(
        status(&app),
        (
            Level::Error,
            "/tmp/week.csv: 2 bad lines; nothing was changed"
        )
    );
    update(&mut app, Action::Down);
    assert!(matches!(
        app.dialog,
        Some(Dialog::ImportErrors { scroll: 1, .. })
    ));
    assert!(update(&mut app, Action::Submit).is_empty());
    assert!(app.dialog.is_none());

    let plan = ImportPlan {
        clinic_id: "majorna-tandvard".into(),
        publish: vec![(
            "dr-lindqvist".into(),
            vec![(fixtures::now(), fixtures::now())],
        )],
        unchanged: 0,
        withdrawn: 0,
        rows: 1,
    };
    update(
        &mut app,
        Action::ImportChecked {
            path: path.clone(),
            result: Ok(plan.clone()),
        },
    );
    assert_eq!(
        update(&mut app, Action::Submit),
        [Command::PublishImport(plan)]
    );
    update(
        &mut app,
        Action::ImportPublished {
            published: 1,
            unchanged: 0,
        },
    );
    assert_eq!(
        status(&app).1,
        "Imported 1 slots (0 were on the schedule already)"
    );

    let mut admin = fixtures::admin_app();
    let commands = run(&mut admin, [Action::Import, Action::Submit]);
    assert!(
        matches!(&commands[..], [Command::CheckImport { scope, .. }] if scope.only_dentist.is_none()),
        "a clinic admin imports for every dentist: {commands:?}"
    );
}

#[test]
fn the_week_on_screen_is_exported_as_slots_csv() {
    let mut app = fixtures::app();
    update(&mut app, Action::Export);
    let Some(Dialog::ExportPath { path }) = &app.dialog else {
        panic!("{:?}", app.dialog);
    };
    assert_eq!(path, "slots-dr-lindqvist-2026-12-14-week.csv");
    let commands = update(&mut app, Action::Submit);
    let [Command::Export { text, rows, .. }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(*rows, fixtures::entries().len());
    assert!(text.starts_with(slots_csv::HEADER));
    assert_eq!(slots_csv::parse(text).unwrap().len(), *rows);
}

#[test]
fn clinic_admins_choose_dentists_and_read_the_operations_figures_periodically() {
    let mut app = fixtures::admin_app();
    assert_eq!(app.dentist().unwrap().id, "dr-lindqvist");
    let commands = update(&mut app, Action::NextDentist);
    assert_eq!(app.dentist().unwrap().id, "dr-berg");
    assert_eq!(load_commands(&commands)[0].1.0, "dr-berg");

    app.operations = Default::default();
    let commands = update(&mut app, Action::ShowTab(Tab::Operations));
    assert_eq!(commands, [Command::FetchStatus]);
    assert!(
        update(&mut app, Action::Tick(fixtures::now())).is_empty(),
        "in flight"
    );
    update(
        &mut app,
        Action::StatusFetched(Ok(fixtures::system_status())),
    );
    assert_eq!(app.operations.history.len(), 1);
    let later = |s: i64| Action::Tick(fixtures::now() + SignedDuration::from_secs(s));
    assert!(update(&mut app, later(1)).is_empty());
    assert_eq!(update(&mut app, later(2)), [Command::FetchStatus]);

    // Until the gateway serves the call, the tab says so and asks less often.
    update(
        &mut app,
        Action::StatusFetched(Err(ClientError {
            code: Code::Unimplemented,
            message: "unimplemented".into(),
        })),
    );
    assert!(app.operations.unimplemented);
    assert!(
        app.operations
            .problem
            .as_deref()
            .unwrap()
            .contains("not serve")
    );
    assert!(app.operations.status.is_some(), "the last figures stay");
    assert!(update(&mut app, later(8)).is_empty());
    assert_eq!(update(&mut app, later(12)), [Command::FetchStatus]);

    // A dentist has no operations tab and never asks.
    let mut dentist = fixtures::app();
    assert!(update(&mut dentist, Action::ShowTab(Tab::Operations)).is_empty());
    assert_eq!(dentist.tab, Tab::Schedule);
    assert!(update(&mut dentist, Action::NextDentist).is_empty());
    assert_eq!(dentist.dentist().unwrap().id, "dr-lindqvist");
}

#[test]
fn tab_cycles_through_the_accounts_tabs() {
    let mut app = fixtures::admin_app();
    app.tab = Tab::Schedule;
    update(&mut app, Action::FocusNext);
    assert_eq!(app.tab, Tab::Publish);
    update(&mut app, Action::FocusNext);
    assert_eq!(app.tab, Tab::Operations);
    update(&mut app, Action::FocusNext);
    assert_eq!(app.tab, Tab::Schedule);
    update(&mut app, Action::FocusPrevious);
    assert_eq!(app.tab, Tab::Operations);
}

#[test]
fn an_ended_session_goes_back_to_sign_in_and_other_errors_stay_on_the_status_line() {
    let mut app = fixtures::app();
    update(
        &mut app,
        Action::Failed {
            what: "Withdrawing the slot".into(),
            error: ClientError {
                code: Code::FailedPrecondition,
                message: "slot: the slot is booked".into(),
            },
        },
    );
    assert_eq!(app.screen, Screen::Main);
    assert_eq!(
        status(&app),
        (
            Level::Error,
            "Withdrawing the slot: slot: the slot is booked"
        )
    );
    let commands = update(
        &mut app,
        Action::Failed {
            what: "Reading the schedule".into(),
            error: ClientError::signed_out(),
        },
    );
    assert_eq!(commands, [Command::SignOut]);
    assert_eq!(app.screen, Screen::SignIn);
    assert_eq!(
        app.sign_in.email,
        "dr-lindqvist@majorna-tandvard.dentismile.test"
    );
    assert_eq!(app.sign_in.field, SignInField::Password);
}

#[test]
fn a_new_session_keeps_the_terminal_and_ignores_answers_to_the_old_one() {
    for end in ["signed out", "session lost"] {
        let mut app = fixtures::app();
        app.gateway = "http://127.0.0.1:50051".into();
        app.size = (120, 40);
        let old = load_commands(&update(&mut app, Action::NextWeek))[0].0;
        if end == "signed out" {
            update(&mut app, Action::SignOut);
        } else {
            update(
                &mut app,
                Action::Failed {
                    what: "Withdrawing the slot".into(),
                    error: ClientError::signed_out(),
                },
            );
        }
        assert_eq!(app.screen, Screen::SignIn, "{end}");
        assert_eq!(app.gateway, "http://127.0.0.1:50051", "{end}");
        assert_eq!((app.size, app.colors), ((120, 40), true), "{end}");

        let commands = update(
            &mut app,
            Action::SignedIn {
                account: fixtures::dentist_account(),
                clinics: vec![fixtures::majorna()],
            },
        );
        let new = load_commands(&commands)[0].0;
        assert_ne!(new, old, "{end}: request ids keep counting");
        update(
            &mut app,
            Action::ScheduleLoaded {
                request: old,
                entries: fixtures::wire_entries(),
            },
        );
        assert!(app.schedule.entries.is_empty(), "{end}: the old answer");
        assert!(app.schedule.pending.is_some(), "{end}");
    }
}

#[test]
fn clicks_select_tabs_and_slots_and_help_swallows_keys() {
    let mut app = fixtures::app();
    let area = ratatui::layout::Rect::new(0, 0, app.size.0, app.size.1);
    let main = main_layout(&app, area);
    let (_, publish) = main.tabs[1];
    update(
        &mut app,
        Action::Click {
            column: publish.x + 1,
            row: publish.y,
        },
    );
    assert_eq!(app.tab, Tab::Publish);
    update(&mut app, Action::ShowTab(Tab::Schedule));
    let layout = schedule_layout(&app, main.body);
    let (tuesday, column) = layout.lists[1];
    update(
        &mut app,
        Action::Click {
            column: column.x + 2,
            row: column.y + 2,
        },
    );
    assert_eq!(app.schedule.day, tuesday);
    assert_eq!(app.schedule.selected, 2);
    assert_eq!(
        app.selected_entry().unwrap().patient_name(),
        Some("Lars Nilsson")
    );

    update(&mut app, Action::Help);
    assert!(app.help);
    update(&mut app, Action::Withdraw);
    assert!(app.dialog.is_none(), "keys do nothing under the help");
    update(&mut app, Action::Back);
    assert!(!app.help);
    update(
        &mut app,
        Action::Resize {
            width: 120,
            height: 40,
        },
    );
    assert_eq!(app.size, (120, 40));
    update(&mut app, Action::Quit);
    assert!(app.quit);
}

/// What `LoadSchedule` asks for: `dentist_id`'s week from `monday` at Majorna.
fn majorna_week(dentist_id: &str, monday: &str) -> ScheduleKey {
    ScheduleKey {
        clinic_id: "majorna-tandvard".into(),
        dentist_id: dentist_id.into(),
        monday: LocalDay::parse(monday).unwrap(),
    }
}

/// `entry` as the server sends it back, in `state`.
fn wire_slot(entry: &Entry, state: pb::SlotState) -> pb::Slot {
    pb::Slot {
        r#ref: Some(entry.slot_ref()),
        end: Some(to_wire(entry.end)),
        day: entry.day.to_string(),
        state: state.into(),
    }
}

#[test]
fn left_selects_the_day_before_and_reads_the_previous_week_only_when_crossing_into_it() {
    let mut app = fixtures::app();
    app.schedule.day = fixtures::monday().plus_days(3);
    app.schedule.selected = 12;
    assert!(
        update(&mut app, Action::Left).is_empty(),
        "same week: no call"
    );
    assert_eq!(app.schedule.day.to_string(), "2026-12-16");
    assert_eq!(
        app.schedule.selected, 7,
        "Wednesday ends at noon: the selection stays on its last slot"
    );
    assert_eq!(
        crate::local_time::clock(app.selected_entry().unwrap().start),
        "11:30"
    );

    app.schedule.day = fixtures::monday();
    let commands = update(&mut app, Action::Left);
    assert_eq!(app.schedule.day.to_string(), "2026-12-13", "Sunday");
    assert_eq!(
        commands,
        [Command::LoadSchedule {
            request: 1,
            key: majorna_week("dr-lindqvist", "2026-12-07"),
        }],
        "the week before is read; the live feed already covers it"
    );
    assert!(
        app.day_entries(app.schedule.day).is_empty(),
        "the old week is not shown"
    );

    // On the publish form the same key picks weekdays, wrapping from Monday to Sunday.
    update(&mut app, Action::ShowTab(Tab::Publish));
    assert_eq!(app.plan.weekday_cursor, 0);
    assert!(update(&mut app, Action::Left).is_empty());
    assert_eq!(app.plan.weekday_cursor, 6);
    assert_eq!(
        app.schedule.day.to_string(),
        "2026-12-13",
        "the schedule's day stays"
    );
}

#[test]
fn previous_dentist_wraps_around_the_clinics_dentists_and_only_for_an_admin() {
    let mut app = fixtures::admin_app();
    app.schedule.selected = 9;
    app.plan.preview = Some(crate::plan_form::PlanPreview {
        plan: pb::WorkingPlan {
            dentist_id: "dr-lindqvist".into(),
            ..pb::WorkingPlan::default()
        },
        response: pb::PreviewWorkingPlanResponse::default(),
    });
    let commands = update(&mut app, Action::PreviousDentist);
    assert_eq!(app.dentist().unwrap().id, "dr-berg");
    assert_eq!(status(&app), (Level::Info, "Showing Dr Olof Berg"));
    assert_eq!(app.schedule.selected, 0);
    assert!(
        app.plan.preview.is_none(),
        "a preview of Dr Lindqvist's plan is dropped"
    );
    assert_eq!(
        commands,
        [Command::LoadSchedule {
            request: 1,
            key: majorna_week("dr-berg", "2026-12-14"),
        }]
    );

    let commands = update(&mut app, Action::PreviousDentist);
    assert_eq!(app.dentist().unwrap().id, "dr-lindqvist", "wrapped around");
    assert_eq!(status(&app), (Level::Info, "Showing Dr Astrid Lindqvist"));
    assert!(
        commands.is_empty(),
        "her week is still loaded: nothing to read"
    );
    assert_eq!(app.day_entries(fixtures::monday()).len(), 16);
    // Dr Berg's answer, no longer wanted, arrives late: her week stays on screen.
    let commands = update(
        &mut app,
        Action::ScheduleLoaded {
            request: 1,
            entries: Vec::new(),
        },
    );
    assert!(commands.is_empty(), "{commands:?}");
    assert_eq!(app.day_entries(fixtures::monday()).len(), 16);

    let mut dentist = fixtures::app();
    assert!(update(&mut dentist, Action::PreviousDentist).is_empty());
    assert_eq!(dentist.dentist().unwrap().id, "dr-lindqvist");
    assert_eq!(
        status(&dentist),
        (Level::Info, "This account shows only its own schedule")
    );
}

#[test]
fn next_clinic_moves_a_system_admin_through_the_clinics_and_wraps() {
    let mut linne = fixtures::majorna();
    linne.id = "linne-tandlakarna".into();
    linne.name = "Linné Tandläkarna".into();
    linne.dentists = vec![pb::Dentist {
        id: "dr-sandberg".into(),
        clinic_id: "linne-tandlakarna".into(),
        name: "Dr Maja Sandberg".into(),
    }];

    // A clinic admin stays in their clinic.
    let mut clinic_admin = fixtures::admin_app();
    clinic_admin.clinics.push(linne.clone());
    assert!(update(&mut clinic_admin, Action::NextClinic).is_empty());
    assert_eq!(clinic_admin.clinic().unwrap().id, "majorna-tandvard");
    assert_eq!(clinic_admin.dentist().unwrap().id, "dr-lindqvist");

    let mut app = fixtures::admin_app();
    app.account = Some(pb::Account {
        email: "admin@dentismile.test".into(),
        display_name: "DentiSmile Admin".into(),
        role: pb::Role::Admin.into(),
        ..pb::Account::default()
    });
    assert!(
        update(&mut app, Action::NextClinic).is_empty(),
        "one clinic: nowhere to go"
    );
    assert_eq!(app.clinic_index, 0);

    app.clinics.push(linne);
    app.schedule.selected = 9;
    let commands = update(&mut app, Action::NextClinic);
    assert_eq!(app.clinic().unwrap().id, "linne-tandlakarna");
    assert_eq!(
        app.dentist().unwrap().id,
        "dr-sandberg",
        "the clinic's first dentist"
    );
    assert_eq!(app.schedule.selected, 0);
    assert_eq!(status(&app), (Level::Info, "Showing Linné Tandläkarna"));
    assert_eq!(
        (app.plan.hours.as_str(), app.plan.first_day.as_str()),
        ("08:00-17:00", "2026-12-14"),
        "the working-plan form holds the new clinic's defaults, ready to publish"
    );
    assert_eq!(
        commands,
        [
            Command::LoadSchedule {
                request: 1,
                key: ScheduleKey {
                    clinic_id: "linne-tandlakarna".into(),
                    dentist_id: "dr-sandberg".into(),
                    monday: fixtures::monday(),
                },
            },
            Command::Watch(Watch {
                clinic_id: "linne-tandlakarna".into(),
                from_day: "2026-12-14".into(),
                to_day: "2027-01-13".into(),
            }),
        ],
        "the new clinic's week is read and its live events watched"
    );
    assert!(
        app.day_entries(fixtures::monday()).is_empty(),
        "Majorna's schedule is not shown as Linné's"
    );

    let commands = update(&mut app, Action::NextClinic);
    assert_eq!(
        app.clinic().unwrap().id,
        "majorna-tandvard",
        "wrapped around"
    );
    assert_eq!(app.dentist().unwrap().id, "dr-berg");
    assert_eq!(
        commands,
        [
            Command::LoadSchedule {
                request: 2,
                key: majorna_week("dr-berg", "2026-12-14"),
            },
            Command::Watch(Watch {
                clinic_id: "majorna-tandvard".into(),
                from_day: "2026-12-14".into(),
                to_day: "2027-01-13".into(),
            }),
        ]
    );
}

#[test]
fn preview_asks_the_server_about_the_checked_working_plan_one_question_at_a_time() {
    let mut app = fixtures::app();
    assert!(
        update(&mut app, Action::Preview).is_empty(),
        "p means nothing on the schedule"
    );
    update(&mut app, Action::ShowTab(Tab::Publish));
    let commands = update(&mut app, Action::Preview);
    assert_eq!(
        commands,
        [Command::PreviewPlan(pb::WorkingPlan {
            clinic_id: "majorna-tandvard".into(),
            dentist_id: "dr-lindqvist".into(),
            weekdays: vec![1, 2, 3, 4, 5],
            hours: Some(pb::LocalTimeRange {
                start: "08:00".into(),
                end: "17:00".into(),
            }),
            breaks: vec![pb::LocalTimeRange {
                start: "12:00".into(),
                end: "13:00".into(),
            }],
            slot_minutes: 30,
            first_day: "2026-12-14".into(),
            last_day: "2026-12-20".into(),
        })],
        "the form's defaults: the week on the schedule, the clinic's hours"
    );
    assert_eq!(
        status(&app),
        (Level::Info, "Asking the server what the plan would publish")
    );
    assert!(app.plan.waiting);
    assert!(
        update(&mut app, Action::Preview).is_empty(),
        "no second question while the first is unanswered"
    );

    // The call failed; a form the domain rejects is pointed at, not sent.
    update(
        &mut app,
        Action::Failed {
            what: "Previewing the plan".into(),
            error: ClientError {
                code: Code::Unavailable,
                message: "tcp connect error".into(),
            },
        },
    );
    assert!(!app.plan.waiting);
    let commands = run(
        &mut app,
        [Action::Down, Action::ClearInput, Action::Preview],
    );
    assert!(commands.is_empty());
    assert_eq!(
        app.plan.error.as_deref(),
        Some("Hours: '' is not of the form 08:00-17:00")
    );
    assert_eq!(
        status(&app),
        (Level::Error, "Hours: '' is not of the form 08:00-17:00")
    );
    assert!(!app.plan.waiting);
}

#[test]
fn cancel_booking_opens_the_cancel_dialog_only_on_a_booked_slot() {
    let mut app = fixtures::app();
    let erik = monday_entry(&app, 4);
    assert!(update(&mut app, Action::CancelBooking).is_empty());
    assert_eq!(
        app.dialog,
        Some(Dialog::Cancel {
            entry: erik,
            reason: String::new(),
        })
    );
    assert_eq!(
        app.input_mode(),
        crate::app::InputMode::Text,
        "the reason is typed next"
    );
    update(&mut app, Action::Back);

    for (index, what) in [(5, "a free slot"), (15, "a withdrawn slot")] {
        app.schedule.selected = index;
        app.status = None;
        assert!(update(&mut app, Action::CancelBooking).is_empty(), "{what}");
        assert!(app.dialog.is_none(), "{what}");
        assert_eq!(
            status(&app),
            (
                Level::Error,
                "Select a booked slot to cancel its appointment"
            ),
            "{what}"
        );
    }

    app.schedule.day = fixtures::monday().plus_days(5);
    app.status = None;
    assert!(update(&mut app, Action::CancelBooking).is_empty());
    assert!(app.dialog.is_none(), "Saturday has no slot");
    assert_eq!(status(&app).0, Level::Error);
}

#[test]
fn refresh_reads_the_week_again_or_the_operations_figures_on_their_tab() {
    let mut app = fixtures::app();
    let commands = update(&mut app, Action::Refresh);
    assert_eq!(
        commands,
        [Command::LoadSchedule {
            request: 1,
            key: majorna_week("dr-lindqvist", "2026-12-14"),
        }],
        "read again although loaded"
    );
    assert_eq!(status(&app), (Level::Info, "Reading the schedule again"));
    assert_eq!(
        app.day_entries(fixtures::monday()).len(),
        16,
        "the week stays on screen meanwhile"
    );
    assert!(
        update(&mut app, Action::Refresh).is_empty(),
        "a read is on its way"
    );
    assert!(app.schedule.reload_wanted);
    let commands = update(
        &mut app,
        Action::ScheduleLoaded {
            request: 1,
            entries: fixtures::wire_entries(),
        },
    );
    assert_eq!(
        load_commands(&commands),
        [(2, ("dr-lindqvist".into(), "2026-12-14".into()))],
        "the second r is read after the first answer"
    );

    let mut admin = fixtures::admin_app();
    admin.tab = Tab::Operations;
    admin.operations.last_request = Some(fixtures::now());
    assert!(
        update(&mut admin, Action::Tick(fixtures::now())).is_empty(),
        "just read"
    );
    assert_eq!(update(&mut admin, Action::Refresh), [Command::FetchStatus]);
    assert!(admin.operations.in_flight);
    assert!(
        update(&mut admin, Action::Refresh).is_empty(),
        "one read in flight at a time"
    );
    assert!(
        admin.schedule.pending.is_none(),
        "the schedule is not read from the operations tab"
    );
}

#[test]
fn a_failed_schedule_read_is_shown_only_if_it_answers_the_current_request() {
    let mut app = fixtures::app();
    let old = load_commands(&update(&mut app, Action::NextWeek))[0].0;
    let current = load_commands(&update(&mut app, Action::NextWeek))[0].0;
    let unreachable = ClientError {
        code: Code::Unavailable,
        message: "tcp connect error".into(),
    };
    let before = app.status.clone();
    assert!(
        update(
            &mut app,
            Action::ScheduleFailed {
                request: old,
                error: unreachable.clone(),
            },
        )
        .is_empty()
    );
    assert_eq!(app.status, before, "a stale failure says nothing");
    assert_eq!(
        app.schedule.pending.as_ref().map(|(id, _)| *id),
        Some(current),
        "the current read is still awaited"
    );

    assert!(
        update(
            &mut app,
            Action::ScheduleFailed {
                request: current,
                error: unreachable,
            },
        )
        .is_empty()
    );
    assert_eq!(
        status(&app),
        (
            Level::Error,
            "Reading the schedule: cannot reach DentiSmile (tcp connect error); is the server running?"
        )
    );
    assert!(app.schedule.pending.is_none());
    assert_eq!(app.screen, Screen::Main);

    // r tries again; an ended session sends the dentist back to sign in.
    let commands = update(&mut app, Action::Refresh);
    assert_eq!(
        load_commands(&commands),
        [(current + 1, ("dr-lindqvist".into(), "2026-12-28".into()))]
    );
    let commands = update(
        &mut app,
        Action::ScheduleFailed {
            request: current + 1,
            error: ClientError::signed_out(),
        },
    );
    assert_eq!(commands, [Command::SignOut]);
    assert_eq!(app.screen, Screen::SignIn);
    assert!(
        status(&app)
            .1
            .starts_with("Reading the schedule: your session has ended"),
        "{:?}",
        app.status
    );
}

#[test]
fn published_and_withdrawn_slots_are_reported_and_the_week_read_again() {
    let mut app = fixtures::app();
    for (unchanged, said) in [
        (0, "Nothing to publish"),
        (1, "That slot is already published, free"),
        (3, "Those 3 slots are already published, free"),
    ] {
        update(
            &mut app,
            Action::SlotsPublished(pb::PublishSlotsResponse {
                published: Vec::new(),
                unchanged,
            }),
        );
        assert_eq!(status(&app), (Level::Info, said));
    }
    let mut app = fixtures::app();
    app.schedule.selected = 15;
    let withdrawn = monday_entry(&app, 15);
    run(&mut app, [Action::AddSlot, Action::Submit]);
    let commands = update(
        &mut app,
        Action::SlotsPublished(pb::PublishSlotsResponse {
            published: vec![wire_slot(&withdrawn, pb::SlotState::Free)],
            unchanged: 0,
        }),
    );
    assert_eq!(
        status(&app),
        (Level::Info, "Published Mon 14 Dec 16:30–17:00")
    );
    assert_eq!(
        commands,
        [Command::LoadSchedule {
            request: 1,
            key: majorna_week("dr-lindqvist", "2026-12-14"),
        }]
    );
    update(
        &mut app,
        Action::ScheduleLoaded {
            request: 1,
            entries: fixtures::wire_entries(),
        },
    );

    let tuesday: Vec<Entry> = app
        .day_entries(fixtures::monday().plus_days(1))
        .into_iter()
        .take(3)
        .cloned()
        .collect();
    let commands = update(
        &mut app,
        Action::SlotsPublished(pb::PublishSlotsResponse {
            published: tuesday
                .iter()
                .map(|e| wire_slot(e, pb::SlotState::Free))
                .collect(),
            unchanged: 0,
        }),
    );
    assert_eq!(status(&app), (Level::Info, "Published 3 slots"));
    assert_eq!(
        load_commands(&commands),
        [(2, ("dr-lindqvist".into(), "2026-12-14".into()))]
    );
    update(
        &mut app,
        Action::ScheduleLoaded {
            request: 2,
            entries: fixtures::wire_entries(),
        },
    );

    app.schedule.selected = 5;
    let free = monday_entry(&app, 5);
    run(&mut app, [Action::Withdraw, Action::Submit]);
    let commands = update(
        &mut app,
        Action::SlotWithdrawn(wire_slot(&free, pb::SlotState::Withdrawn)),
    );
    assert_eq!(
        status(&app),
        (Level::Info, "Withdrew Mon 14 Dec 10:30–11:00")
    );
    assert_eq!(
        load_commands(&commands),
        [(3, ("dr-lindqvist".into(), "2026-12-14".into()))]
    );

    // Another change while that read is in flight is read once it answers.
    let next = monday_entry(&app, 6);
    let commands = update(
        &mut app,
        Action::SlotWithdrawn(wire_slot(&next, pb::SlotState::Withdrawn)),
    );
    assert!(commands.is_empty());
    assert!(app.schedule.reload_wanted);
    assert_eq!(
        status(&app),
        (Level::Info, "Withdrew Mon 14 Dec 11:00–11:30")
    );
}

#[test]
fn an_export_reports_the_file_written_and_reads_nothing_again() {
    let mut app = fixtures::app();
    run(&mut app, [Action::ToggleView, Action::Export]);
    let Some(Dialog::ExportPath { path }) = app.dialog.clone() else {
        panic!("{:?}", app.dialog);
    };
    assert_eq!(
        path, "slots-dr-lindqvist-2026-12-14.csv",
        "the day on screen"
    );
    let commands = update(&mut app, Action::Submit);
    assert!(
        matches!(&commands[..], [Command::Export { path: to, rows: 16, .. }] if *to == path),
        "{commands:?}"
    );
    assert!(app.dialog.is_none());

    let commands = update(&mut app, Action::Exported { path, rows: 16 });
    assert!(commands.is_empty(), "the server's schedule did not change");
    assert!(app.schedule.pending.is_none());
    assert_eq!(
        status(&app),
        (
            Level::Info,
            "Wrote 16 slots to slots-dr-lindqvist-2026-12-14.csv"
        )
    );
}
