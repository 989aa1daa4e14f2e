//! One or more tests per action: what a user would see change, and the I/O asked for.

use std::path::PathBuf;

use dentismile_client::{ClientError, Connection, LiveEvent, LiveUpdate, Watch, pb};
use dentismile_domain::{jiff::SignedDuration, time::LocalDay};
use tonic::Code;

use super::*;
use crate::{
    app::{Level, SlotState},
    fixtures::{self, at, now},
};

fn error(code: Code, message: &str) -> ClientError {
    ClientError {
        code,
        message: message.into(),
    }
}

fn taken() -> ClientError {
    error(
        Code::FailedPrecondition,
        "slot: the slot is booked (it is no longer free)",
    )
}

fn status(app: &App) -> (Level, String) {
    let status = app.status.as_ref().expect("a status message");
    (status.level, status.text.clone())
}

/// The free slot under the week's cursor.
fn cursor_slot(app: &App) -> Slot {
    let rows = app.week.rows();
    let row = app.week.cursor_row(&rows).unwrap();
    app.week.cell(app.week.cursor_day, rows[row], app.now)[0].clone()
}

fn event(slot: &Slot, kind: pb::SlotEventKind, id: &str, seq: u64) -> LiveEvent {
    LiveEvent {
        event_id: id.into(),
        seq,
        kind,
        clinic_id: slot.clinic_id.clone(),
        dentist_id: slot.dentist_id.clone(),
        day: slot.day.to_string(),
        slot_start: slot.start,
        slot_end: slot.end,
    }
}

// --- Program and terminal ---

#[test]
fn started_lists_the_clinics() {
    let mut app = fixtures::app(80, 24);
    assert_eq!(
        update(&mut app, Action::Started),
        vec![Command::LoadClinics]
    );
    assert!(app.clinics_loading);
}

#[test]
fn tick_moves_the_clock_and_checks_the_session_every_minute() {
    let mut app = fixtures::signed_in(80, 24);
    let later = now() + SignedDuration::from_secs(30);
    assert!(update(&mut app, Action::Tick(later)).is_empty());
    assert_eq!(app.now, later);
    let minute = now() + SignedDuration::from_secs(61);
    assert_eq!(
        update(&mut app, Action::Tick(minute)),
        vec![Command::CheckSession]
    );
    assert!(
        update(
            &mut app,
            Action::Tick(minute + SignedDuration::from_secs(1))
        )
        .is_empty(),
        "not again right away"
    );
    let mut signed_out = fixtures::app(80, 24);
    assert!(update(&mut signed_out, Action::Tick(minute)).is_empty());
}

#[test]
fn tick_lets_status_messages_fade() {
    let mut app = fixtures::signed_in(80, 24);
    tell(&mut app, Level::Success, "done");
    assert!(app.current_status().is_some());
    update(
        &mut app,
        Action::Tick(now() + SignedDuration::from_secs(11)),
    );
    assert!(app.current_status().is_none());
}

#[test]
fn resize_keeps_the_week_cursor_in_view() {
    let mut app = fixtures::week(120, 40);
    update(&mut app, Action::Bottom);
    assert_eq!(app.week.scroll, 0, "everything fits at 120x40");
    update(
        &mut app,
        Action::Resize {
            width: 80,
            height: 16,
        },
    );
    assert_eq!(app.area, Rect::new(0, 0, 80, 16));
    let rows = app.week.rows();
    let row = app.week.cursor_row(&rows).unwrap();
    let visible = layout::week_visible(layout::bands(app.area).body);
    assert!(app.week.scroll <= row && row < app.week.scroll + visible);
}

#[test]
fn quit_stops_the_program() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::Quit);
    assert!(!app.running);
}

#[test]
fn help_opens_and_closes_the_overlay() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::Help);
    assert!(app.help);
    update(&mut app, Action::Help);
    assert!(!app.help);
}

#[test]
fn back_closes_help_then_dialogs_then_goes_to_the_clinics() {
    let mut app = fixtures::week(80, 24);
    update(&mut app, Action::Activate);
    assert!(matches!(app.dialog, Some(Dialog::ConfirmBooking { .. })));
    app.help = true;
    update(&mut app, Action::Back);
    assert!(!app.help);
    assert!(app.dialog.is_some());
    update(&mut app, Action::Back);
    assert!(app.dialog.is_none());
    update(&mut app, Action::Back);
    assert_eq!(app.pane, Pane::Clinics);
}

#[test]
fn back_cannot_hide_a_booking_under_way() {
    let mut app = fixtures::week(80, 24);
    update(&mut app, Action::Activate);
    update(&mut app, Action::Activate);
    assert!(matches!(app.dialog, Some(Dialog::Booking { .. })));
    update(&mut app, Action::Back);
    assert!(matches!(app.dialog, Some(Dialog::Booking { .. })));
}

// --- Signing in ---

#[test]
fn input_and_backspace_edit_the_focused_field() {
    let mut app = fixtures::app(80, 24);
    for c in "anna@x.se".chars() {
        update(&mut app, Action::Input(c));
    }
    update(&mut app, Action::Backspace);
    assert_eq!(app.sign_in.email, "anna@x.s");
    update(&mut app, Action::NextPane);
    for c in "secret".chars() {
        update(&mut app, Action::Input(c));
    }
    assert_eq!(app.sign_in.password, "secret");
    update(&mut app, Action::Input('\u{7}'));
    assert_eq!(
        app.sign_in.password, "secret",
        "control characters are not typed"
    );
}

#[test]
fn input_goes_to_the_dialog_note_not_to_the_screen_behind() {
    let mut app = fixtures::week(80, 24);
    update(&mut app, Action::Activate);
    update(&mut app, Action::Input('q'));
    update(&mut app, Action::Input('!'));
    update(&mut app, Action::Backspace);
    let Some(Dialog::ConfirmBooking { note, .. }) = &app.dialog else {
        panic!("the confirmation is open")
    };
    assert_eq!(note, "q");
    assert!(app.running);
}

#[test]
fn toggle_register_adds_the_name_field() {
    let mut app = fixtures::app(80, 24);
    update(&mut app, Action::ToggleRegister);
    assert!(app.sign_in.register);
    assert_eq!(
        app.sign_in.fields(),
        &[Field::Email, Field::Name, Field::Password]
    );
    update(&mut app, Action::ToggleRegister);
    assert!(!app.sign_in.register);
}

#[test]
fn activate_on_the_form_signs_in_or_registers() {
    let mut app = fixtures::app(80, 24);
    assert!(update(&mut app, Action::Activate).is_empty());
    assert_eq!(status(&app), (Level::Error, "Type your email".into()));
    app.sign_in.email = " anna@patients.dentismile.test ".into();
    app.sign_in.password = "smile-anna-2026".into();
    assert_eq!(
        update(&mut app, Action::Activate),
        vec![Command::SignIn {
            email: "anna@patients.dentismile.test".into(),
            password: Secret("smile-anna-2026".into()),
        }]
    );
    assert!(app.sign_in.busy);
    assert!(
        update(&mut app, Action::Activate).is_empty(),
        "one call at a time"
    );

    let mut app = fixtures::app(80, 24);
    update(&mut app, Action::ToggleRegister);
    app.sign_in.email = "sam@example.se".into();
    app.sign_in.password = "long enough password".into();
    assert!(update(&mut app, Action::Activate).is_empty());
    assert_eq!(app.sign_in.field, Field::Name);
    app.sign_in.name = "Sam Svensson".into();
    assert_eq!(
        update(&mut app, Action::Activate),
        vec![Command::Register {
            email: "sam@example.se".into(),
            password: Secret("long enough password".into()),
            name: "Sam Svensson".into(),
        }]
    );
}

#[test]
fn signed_in_opens_the_main_screen_and_forgets_the_password() {
    let mut app = fixtures::app(80, 24);
    app.sign_in.password = "smile-anna-2026".into();
    app.sign_in.busy = true;
    let commands = update(&mut app, Action::SignedIn(Ok(fixtures::account())));
    assert_eq!(
        commands,
        vec![Command::LoadAppointments, Command::LoadClinics]
    );
    assert_eq!(app.screen, Screen::Main);
    assert!(app.sign_in.password.is_empty());
    assert!(!app.sign_in.busy);
    assert_eq!(
        status(&app),
        (Level::Success, "Signed in as Anna Andersson".into())
    );
}

#[test]
fn signed_in_with_an_error_stays_on_the_form_and_says_why() {
    let mut app = fixtures::app(80, 24);
    app.sign_in.busy = true;
    update(
        &mut app,
        Action::SignedIn(Err(error(Code::Unauthenticated, "wrong email or password"))),
    );
    assert_eq!(app.screen, Screen::SignIn);
    assert!(!app.sign_in.busy);
    assert_eq!(
        status(&app),
        (Level::Error, "wrong email or password".into())
    );
}

#[test]
fn sign_out_forgets_everything_and_stops_watching() {
    let mut app = fixtures::week(80, 24);
    app.sign_in.email = "anna@patients.dentismile.test".into();
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    let commands = update(&mut app, Action::SignOut);
    assert_eq!(commands, vec![Command::Watch(None), Command::SignOut]);
    assert_eq!(app.screen, Screen::SignIn);
    assert!(app.account.is_none());
    assert!(app.appointments.items.is_empty());
    assert!(app.week.clinic_id.is_none());
    assert_eq!(app.sign_in.field, Field::Password, "the email is kept");
    assert!(update(&mut app, Action::SignOut).is_empty());
}

#[test]
fn signed_out_reports_only_a_failure() {
    let mut app = fixtures::app(80, 24);
    update(&mut app, Action::SignedOut(Ok(())));
    assert!(app.status.is_none());
    update(
        &mut app,
        Action::SignedOut(Err(error(Code::Unavailable, "gateway down"))),
    );
    assert_eq!(status(&app).0, Level::Error);
}

#[test]
fn session_checked_sends_an_ended_session_back_to_sign_in() {
    let mut app = fixtures::signed_in(80, 24);
    update(
        &mut app,
        Action::SessionChecked(Err(error(Code::Unavailable, "blip"))),
    );
    assert_eq!(app.screen, Screen::Main, "a network blip is not the end");
    update(&mut app, Action::SessionChecked(Ok(())));
    assert_eq!(app.screen, Screen::Main);
    let commands = update(
        &mut app,
        Action::SessionChecked(Err(error(Code::Unauthenticated, "revoked"))),
    );
    assert_eq!(commands, vec![Command::Watch(None)]);
    assert_eq!(app.screen, Screen::SignIn);
    assert_eq!(
        status(&app),
        (Level::Error, "Your session has ended: sign in again".into())
    );
}

// --- Panes and lists ---

#[test]
fn next_and_previous_pane_cycle_and_list_what_they_show() {
    let mut app = fixtures::signed_in(80, 24);
    assert!(update(&mut app, Action::NextPane).is_empty());
    assert_eq!(app.pane, Pane::Week);
    assert_eq!(
        update(&mut app, Action::NextPane),
        vec![Command::LoadEarliest]
    );
    assert_eq!(
        update(&mut app, Action::NextPane),
        vec![Command::LoadAppointments]
    );
    update(&mut app, Action::NextPane);
    assert_eq!(app.pane, Pane::Clinics);
    update(&mut app, Action::PreviousPane);
    assert_eq!(app.pane, Pane::Appointments);
}

#[test]
fn next_pane_on_the_form_moves_between_fields() {
    let mut app = fixtures::app(80, 24);
    update(&mut app, Action::NextPane);
    assert_eq!(app.sign_in.field, Field::Password);
    update(&mut app, Action::NextPane);
    assert_eq!(app.sign_in.field, Field::Email);
    update(&mut app, Action::PreviousPane);
    assert_eq!(app.sign_in.field, Field::Password);
}

#[test]
fn show_pane_jumps_but_not_from_a_dialog_or_the_form() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::ShowPane(Pane::Appointments));
    assert_eq!(app.pane, Pane::Appointments);
    app.dialog = Some(Dialog::Booking {
        slot: Slot::new("c", "d", now(), now(), SlotState::Free),
    });
    update(&mut app, Action::ShowPane(Pane::Clinics));
    assert_eq!(app.pane, Pane::Appointments);
    let mut form = fixtures::app(80, 24);
    assert!(update(&mut form, Action::ShowPane(Pane::Week)).is_empty());
}

#[test]
fn up_and_down_move_through_clinics_and_stop_at_the_ends() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::Up);
    assert_eq!(app.clinic_cursor.selected, 0);
    for _ in 0..10 {
        update(&mut app, Action::Down);
    }
    assert_eq!(app.clinic_cursor.selected, 4);
    update(&mut app, Action::Up);
    assert_eq!(app.selected_clinic().unwrap().id, "majorna-tandvard");
}

#[test]
fn up_and_down_on_the_form_move_between_fields() {
    let mut app = fixtures::app(80, 24);
    update(&mut app, Action::Down);
    assert_eq!(app.sign_in.field, Field::Password);
    update(&mut app, Action::Up);
    assert_eq!(app.sign_in.field, Field::Email);
}

#[test]
fn top_and_bottom_jump_to_the_ends_of_a_list() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::Bottom);
    assert_eq!(app.clinic_cursor.selected, 4);
    update(&mut app, Action::Top);
    assert_eq!(app.clinic_cursor.selected, 0);
}

#[test]
fn lists_scroll_to_keep_the_selection_visible_at_80x24() {
    let mut app = fixtures::signed_in(80, 24);
    let many: Vec<pb::Clinic> = (0..20)
        .map(|i| pb::Clinic {
            id: format!("clinic-{i:02}"),
            name: format!("Clinic {i}"),
            ..Default::default()
        })
        .collect();
    update(&mut app, Action::ClinicsLoaded(Ok(many)));
    update(&mut app, Action::Bottom);
    let visible = layout::clinics_visible(layout::bands(app.area).body);
    assert_eq!(app.clinic_cursor.offset, 20 - visible);
}

// --- The week ---

#[test]
fn activate_on_a_clinic_opens_its_week_and_follows_it_live() {
    let mut app = fixtures::signed_in(80, 24);
    app.clinic_cursor.selected = 2;
    let commands = update(&mut app, Action::Activate);
    let watch = Watch {
        clinic_id: "haga-tandlakare".into(),
        from_day: "2026-11-24".into(),
        to_day: "2026-11-30".into(),
    };
    assert_eq!(
        commands,
        vec![
            Command::Watch(Some(watch.clone())),
            Command::LoadSlots {
                request: app.week.listing.unwrap(),
                watch
            }
        ]
    );
    assert_eq!(app.pane, Pane::Week);
    assert!(app.week.loading());
    update(&mut app, Action::Back);
    assert!(
        update(&mut app, Action::Activate).is_empty(),
        "the same clinic's week is already there"
    );
    assert_eq!(app.pane, Pane::Week);
}

#[test]
fn slots_loaded_fill_the_week_and_put_the_cursor_on_the_first_free_slot() {
    let app = fixtures::week(80, 24);
    assert!(!app.week.loading());
    let slot = cursor_slot(&app);
    // 10:12 now: the first free slot today is after it.
    assert!(slot.start > now());
    assert_eq!(slot.day, LocalDay::of(now()));
    assert_eq!(app.week.first_free(now()), Some((0, slot.minute)));
}

#[test]
fn slots_loaded_for_another_window_are_ignored() {
    let mut app = fixtures::week(80, 24);
    let before = app.week.slots.len();
    update(&mut app, Action::Refresh);
    let this_week = app.week.listing.unwrap();
    update(&mut app, Action::NextWeek);
    update(
        &mut app,
        Action::SlotsLoaded {
            request: this_week,
            result: Ok(Vec::new()),
        },
    );
    assert_eq!(app.week.slots.len(), before);
    assert!(
        app.week.loading(),
        "the next week's listing is still awaited"
    );
}

#[test]
fn slots_loaded_replays_events_that_arrived_during_the_listing() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    update(&mut app, Action::Refresh);
    assert!(app.week.loading());
    update(
        &mut app,
        Action::Live(LiveUpdate::Event(event(
            &slot,
            pb::SlotEventKind::Booked,
            "e1",
            9,
        ))),
    );
    // The listing was read before the booking and still shows the slot free.
    let request = app.week.listing.unwrap();
    update(
        &mut app,
        Action::SlotsLoaded {
            request,
            result: Ok(fixtures::haga_week()),
        },
    );
    assert_eq!(app.week.slots[&slot.key()].state, SlotState::Booked);
}

#[test]
fn a_listing_overtaken_by_a_resync_is_ignored_and_events_since_survive_the_new_one() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    // Opening (or shifting) a week lists it; the live feed's subscription then asks again.
    update(&mut app, Action::Refresh);
    let first = app.week.listing.unwrap();
    update(&mut app, Action::Live(LiveUpdate::Resync));
    let second = app.week.listing.unwrap();
    assert_ne!(first, second);
    update(
        &mut app,
        Action::Live(LiveUpdate::Event(event(
            &slot,
            pb::SlotEventKind::Booked,
            "e1",
            9,
        ))),
    );
    // Both listings were read before the booking and show the slot free.
    update(
        &mut app,
        Action::SlotsLoaded {
            request: first,
            result: Ok(fixtures::haga_week()),
        },
    );
    assert_eq!(
        app.week.slots[&slot.key()].state,
        SlotState::Booked,
        "the older answer changes nothing"
    );
    assert!(app.week.loading());
    update(
        &mut app,
        Action::SlotsLoaded {
            request: second,
            result: Ok(fixtures::haga_week()),
        },
    );
    assert_eq!(app.week.slots[&slot.key()].state, SlotState::Booked);
    assert!(!app.week.loading());
}

#[test]
fn slots_loaded_with_an_error_says_so() {
    let mut app = fixtures::week(80, 24);
    update(&mut app, Action::Refresh);
    let request = app.week.listing.unwrap();
    update(
        &mut app,
        Action::SlotsLoaded {
            request,
            result: Err(error(Code::Unavailable, "store unreachable")),
        },
    );
    assert!(!app.week.loading());
    assert_eq!(
        status(&app),
        (
            Level::Error,
            "Slots not listed (r retries): store unreachable".into()
        )
    );
}

#[test]
fn up_and_down_move_by_time_in_the_week() {
    let mut app = fixtures::week(80, 24);
    let rows = app.week.rows();
    let start = app.week.cursor_minute;
    update(&mut app, Action::Down);
    let next = rows[rows.iter().position(|m| *m == start).unwrap() + 1];
    assert_eq!(app.week.cursor_minute, next);
    update(&mut app, Action::Up);
    assert_eq!(app.week.cursor_minute, start);
    update(&mut app, Action::Top);
    assert_eq!(app.week.cursor_minute, rows[0]);
    update(&mut app, Action::Bottom);
    assert_eq!(app.week.cursor_minute, *rows.last().unwrap());
}

#[test]
fn left_and_right_move_by_day_and_slide_the_window_at_the_edges() {
    let mut app = fixtures::week(80, 24);
    app.week.cursor_day = 0;
    assert!(
        update(&mut app, Action::Left).is_empty(),
        "never before today"
    );
    for _ in 0..6 {
        assert!(update(&mut app, Action::Right).is_empty());
    }
    assert_eq!(app.week.cursor_day, 6);
    let commands = update(&mut app, Action::Right);
    assert_eq!(app.week.first_day.to_string(), "2026-11-25");
    assert_eq!(app.week.cursor_day, 6);
    assert!(
        matches!(&commands[..], [Command::Watch(Some(w)), Command::LoadSlots { .. }] if w.to_day == "2026-12-01")
    );
    update(&mut app, Action::Left);
    assert_eq!(app.week.cursor_day, 5);
}

#[test]
fn next_and_previous_week_move_seven_days_but_not_into_the_past() {
    let mut app = fixtures::week(80, 24);
    let commands = update(&mut app, Action::NextWeek);
    assert_eq!(app.week.first_day.to_string(), "2026-12-01");
    assert!(app.week.place_cursor);
    assert_eq!(commands.len(), 2);
    update(&mut app, Action::PreviousWeek);
    assert_eq!(app.week.first_day.to_string(), "2026-11-24");
    assert!(update(&mut app, Action::PreviousWeek).is_empty());
    assert_eq!(app.week.first_day.to_string(), "2026-11-24");
}

#[test]
fn today_goes_back_to_today_and_its_first_free_slot() {
    let mut app = fixtures::week(80, 24);
    update(&mut app, Action::NextWeek);
    update(&mut app, Action::Today);
    assert_eq!(app.week.first_day, LocalDay::of(now()));
    assert!(app.week.place_cursor);
    // Already at today: straight to the first free slot.
    let mut here = fixtures::week(80, 24);
    here.week.cursor_day = 3;
    assert!(update(&mut here, Action::Today).is_empty());
    assert_eq!(here.week.cursor_day, 0);
}

#[test]
fn cycle_dentist_filters_the_week_one_dentist_at_a_time() {
    let mut app = fixtures::week(80, 24);
    update(&mut app, Action::CycleDentist);
    assert_eq!(app.week.dentist.as_deref(), Some("dr-ek"));
    assert_eq!(
        status(&app),
        (
            Level::Info,
            "Showing Dr Maja Ek only (d: next dentist)".into()
        )
    );
    let rows = app.week.rows();
    for day in 0..7 {
        for minute in &rows {
            assert!(
                app.week
                    .cell(day, *minute, now())
                    .iter()
                    .all(|s| s.dentist_id == "dr-ek")
            );
        }
    }
    update(&mut app, Action::CycleDentist);
    assert_eq!(app.week.dentist.as_deref(), Some("dr-holm"));
    update(&mut app, Action::CycleDentist);
    assert_eq!(app.week.dentist, None);
}

// --- Booking ---

#[test]
fn activate_on_a_free_cell_asks_for_confirmation_then_books() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    assert!(update(&mut app, Action::Activate).is_empty());
    let Some(Dialog::ConfirmBooking { choices, .. }) = &app.dialog else {
        panic!("a confirmation first")
    };
    assert!(choices.iter().all(|c| c.start == slot.start));
    update(&mut app, Action::Input('h'));
    update(&mut app, Action::Input('i'));
    let commands = update(&mut app, Action::Activate);
    assert_eq!(
        commands,
        vec![Command::Book {
            slot: slot.clone(),
            note: "hi".into()
        }]
    );
    assert_eq!(app.dialog, Some(Dialog::Booking { slot }));
}

#[test]
fn up_and_down_choose_between_dentists_at_the_same_time() {
    let mut app = fixtures::week(80, 24);
    // Find a cell where both dentists are free.
    let rows = app.week.rows();
    let (day, minute) = (0..7)
        .flat_map(|d| rows.iter().map(move |m| (d, *m)))
        .find(|(d, m)| app.week.cell(*d, *m, now()).len() == 2)
        .expect("a cell with two free dentists");
    app.week.cursor_day = day;
    app.week.cursor_minute = minute;
    update(&mut app, Action::Activate);
    update(&mut app, Action::Down);
    update(&mut app, Action::Down);
    let Some(Dialog::ConfirmBooking {
        choices, selected, ..
    }) = &app.dialog
    else {
        panic!()
    };
    assert_eq!(*selected, 1);
    let chosen = choices[1].clone();
    assert_eq!(chosen.dentist_id, "dr-holm");
    assert!(
        matches!(&update(&mut app, Action::Activate)[..], [Command::Book { slot, .. }] if *slot == chosen)
    );
}

#[test]
fn activate_on_an_empty_cell_says_nothing_is_free() {
    let mut app = fixtures::week(80, 24);
    app.week.cursor_day = 5; // Sunday 29 November: closed
    assert!(update(&mut app, Action::Activate).is_empty());
    assert!(app.dialog.is_none());
    assert_eq!(status(&app).0, Level::Info);
    assert!(status(&app).1.starts_with("No free slot Sun 29 Nov"));
}

#[test]
fn booked_confirms_unmistakably_and_lists_my_appointments() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    update(&mut app, Action::Activate);
    update(&mut app, Action::Activate);
    let appointment = fixtures::appointment("a-new", "2026-11-24", "11:00", false);
    let commands = update(
        &mut app,
        Action::Booked {
            slot: slot.clone(),
            result: Ok(appointment.clone()),
        },
    );
    assert_eq!(commands, vec![Command::LoadAppointments]);
    assert_eq!(app.dialog, Some(Dialog::Booked { appointment }));
    assert_eq!(app.week.slots[&slot.key()].state, SlotState::Booked);
    let (level, text) = status(&app);
    assert_eq!(level, Level::Success);
    assert!(text.starts_with("✔ Booked"), "{text}");
    update(&mut app, Action::Activate);
    assert!(app.dialog.is_none(), "Enter closes the outcome");
}

#[test]
fn booked_by_someone_else_offers_the_nearest_alternatives() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    update(&mut app, Action::Activate);
    update(&mut app, Action::Activate);
    let commands = update(
        &mut app,
        Action::Booked {
            slot: slot.clone(),
            result: Err(taken()),
        },
    );
    assert_eq!(
        commands,
        vec![Command::FindAlternatives {
            taken: slot.clone()
        }]
    );
    assert!(matches!(
        &app.dialog,
        Some(Dialog::Taken {
            alternatives: None,
            ..
        })
    ));
    assert!(
        app.week
            .cell(0, slot.minute, now())
            .iter()
            .all(|s| !s.same_as(&slot)),
        "the taken slot is no longer offered"
    );
    assert_eq!(
        status(&app),
        (Level::Error, "✘ Taken by someone else a moment ago".into())
    );

    // Alternatives arrive: the nearest in time first, the taken one never.
    let nearby = fixtures::haga_week();
    update(
        &mut app,
        Action::AlternativesLoaded {
            taken: slot.clone(),
            result: Ok(nearby),
        },
    );
    let Some(Dialog::Taken {
        alternatives: Some(found),
        ..
    }) = &app.dialog
    else {
        panic!("alternatives shown")
    };
    assert_eq!(found.len(), ALTERNATIVES);
    assert!(found.iter().all(|s| !s.same_as(&slot) && s.bookable(now())));
    let distances: Vec<_> = found
        .iter()
        .map(|s| s.start.duration_since(slot.start).abs())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");

    // Down, Enter: confirm the second alternative.
    let second = found[1].clone();
    update(&mut app, Action::Down);
    update(&mut app, Action::Activate);
    assert!(
        matches!(&app.dialog, Some(Dialog::ConfirmBooking { choices, .. }) if choices == &vec![second])
    );
}

#[test]
fn alternatives_loaded_for_another_slot_or_with_an_error() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    let other = Slot::new("haga-tandlakare", "dr-x", now(), now(), SlotState::Free);
    app.dialog = Some(Dialog::Taken {
        slot: slot.clone(),
        alternatives: None,
        selected: 0,
    });
    update(
        &mut app,
        Action::AlternativesLoaded {
            taken: other,
            result: Ok(fixtures::haga_week()),
        },
    );
    assert!(matches!(
        &app.dialog,
        Some(Dialog::Taken {
            alternatives: None,
            ..
        })
    ));
    update(
        &mut app,
        Action::AlternativesLoaded {
            taken: slot,
            result: Err(error(Code::Unavailable, "busy")),
        },
    );
    assert!(
        matches!(&app.dialog, Some(Dialog::Taken { alternatives: Some(a), .. }) if a.is_empty())
    );
}

#[test]
fn booked_with_another_error_says_not_booked() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    update(
        &mut app,
        Action::Booked {
            slot: slot.clone(),
            result: Err(error(Code::PermissionDenied, "only patients book")),
        },
    );
    assert_eq!(
        app.dialog,
        Some(Dialog::NotBooked {
            slot,
            message: "only patients book".into()
        })
    );
}

#[test]
fn activate_on_the_earliest_list_books_the_selected_slot() {
    let mut app = fixtures::signed_in(80, 24);
    assert_eq!(
        update(&mut app, Action::FindEarliest),
        vec![Command::LoadEarliest]
    );
    assert_eq!(app.pane, Pane::Earliest);
    let slots = vec![
        fixtures::wire_slot(
            "majorna-tandvard",
            "dr-lindqvist",
            "2026-11-24",
            "10:30",
            30,
            pb::SlotState::Free,
        ),
        fixtures::wire_slot(
            "haga-tandlakare",
            "dr-ek",
            "2026-11-24",
            "11:00",
            30,
            pb::SlotState::Free,
        ),
    ];
    update(&mut app, Action::EarliestLoaded(Ok(slots)));
    assert!(app.earliest.loaded && !app.earliest.loading);
    update(&mut app, Action::Down);
    update(&mut app, Action::Activate);
    let Some(Dialog::ConfirmBooking { choices, .. }) = &app.dialog else {
        panic!()
    };
    assert_eq!(choices[0].clinic_id, "haga-tandlakare");
}

#[test]
fn earliest_loaded_with_an_error_says_so() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::FindEarliest);
    update(
        &mut app,
        Action::EarliestLoaded(Err(error(Code::Unavailable, "down"))),
    );
    assert!(!app.earliest.loading);
    assert_eq!(status(&app).0, Level::Error);
}

// --- Live ---

#[test]
fn live_events_take_slots_away_and_bring_them_back() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    let before = app.week.cell(0, slot.minute, now()).len();
    update(
        &mut app,
        Action::Live(LiveUpdate::Event(event(
            &slot,
            pb::SlotEventKind::Booked,
            "e1",
            1,
        ))),
    );
    assert_eq!(app.week.cell(0, slot.minute, now()).len(), before - 1);
    update(
        &mut app,
        Action::Live(LiveUpdate::Event(event(
            &slot,
            pb::SlotEventKind::Released,
            "e2",
            2,
        ))),
    );
    assert_eq!(app.week.cell(0, slot.minute, now()).len(), before);
    // Another clinic's event changes nothing here.
    let mut elsewhere = event(&slot, pb::SlotEventKind::Booked, "e3", 3);
    elsewhere.clinic_id = "majorna-tandvard".into();
    update(&mut app, Action::Live(LiveUpdate::Event(elsewhere)));
    assert_eq!(app.week.cell(0, slot.minute, now()).len(), before);
}

#[test]
fn live_events_also_prune_the_earliest_list() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    app.earliest.slots = vec![slot.clone()];
    update(
        &mut app,
        Action::Live(LiveUpdate::Event(event(
            &slot,
            pb::SlotEventKind::Withdrawn,
            "e1",
            1,
        ))),
    );
    assert!(app.earliest.slots.is_empty());
}

#[test]
fn live_connection_changes_show_in_the_status_line_and_resync_lists_again() {
    let mut app = fixtures::week(80, 24);
    update(
        &mut app,
        Action::Live(LiveUpdate::Connection(Connection::Grpc)),
    );
    assert_eq!(app.live, Some(Connection::Grpc));
    let watch = app.week.watch().unwrap();
    assert_eq!(
        update(&mut app, Action::Live(LiveUpdate::Resync)),
        vec![
            Command::Watch(Some(watch.clone())),
            Command::LoadSlots {
                request: app.week.listing.unwrap(),
                watch
            }
        ]
    );
    assert!(app.week.loading());
}

// --- My appointments ---

#[test]
fn appointments_loaded_are_upcoming_first_then_past() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::ShowPane(Pane::Appointments));
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    let ids: Vec<&str> = app
        .appointments
        .ordered(now())
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, vec!["a-soon", "a-later", "a-cancelled", "a-past"]);
    assert_eq!(app.appointments.selected(now()).unwrap().id, "a-soon");
    update(
        &mut app,
        Action::AppointmentsLoaded(Err(error(Code::Unauthenticated, "expired"))),
    );
    assert_eq!(
        app.screen,
        Screen::SignIn,
        "an ended session means signing in"
    );
}

#[test]
fn cancel_appointment_asks_for_a_reason_and_cancels() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::ShowPane(Pane::Appointments));
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    update(&mut app, Action::Down);
    update(&mut app, Action::CancelAppointment);
    let Some(Dialog::ConfirmCancel { appointment, .. }) = &app.dialog else {
        panic!("a confirmation first")
    };
    assert_eq!(appointment.id, "a-later");
    for c in "moving away".chars() {
        update(&mut app, Action::Input(c));
    }
    assert_eq!(
        update(&mut app, Action::Activate),
        vec![Command::Cancel {
            appointment_id: "a-later".into(),
            reason: "moving away".into()
        }]
    );
    assert!(matches!(app.dialog, Some(Dialog::Cancelling { .. })));
}

#[test]
fn cancel_appointment_is_only_offered_for_upcoming_ones() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::ShowPane(Pane::Appointments));
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    update(&mut app, Action::Bottom);
    update(&mut app, Action::CancelAppointment);
    assert!(app.dialog.is_none());
    assert_eq!(
        status(&app),
        (
            Level::Info,
            "Only upcoming appointments can be cancelled".into()
        )
    );
}

#[test]
fn cancelled_confirms_and_lists_again() {
    let mut app = fixtures::signed_in(80, 24);
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    let mut done = fixtures::appointment("a-later", "2026-12-03", "11:00", true);
    done.cancellation_reason = "moving away".into();
    app.dialog = Some(Dialog::Cancelling {
        appointment: fixtures::appointment("a-later", "2026-12-03", "11:00", false),
    });
    let commands = update(&mut app, Action::Cancelled(Ok(done)));
    assert_eq!(commands, vec![Command::LoadAppointments]);
    assert!(app.dialog.is_none());
    assert_eq!(
        status(&app),
        (
            Level::Success,
            "✔ Cancelled Thu 3 Dec 11:00–11:30 at Haga Tandläkare".into()
        )
    );
    assert_eq!(app.appointments.upcoming_count(now()), 1);
}

#[test]
fn cancelled_refused_by_the_server_shows_its_words() {
    let mut app = fixtures::signed_in(80, 24);
    let appointment = fixtures::appointment("a-soon", "2026-11-24", "15:00", false);
    app.dialog = Some(Dialog::Cancelling {
        appointment: appointment.clone(),
    });
    let words = "appointment_id: patients can cancel until 24 hours before the start";
    update(
        &mut app,
        Action::Cancelled(Err(error(Code::FailedPrecondition, words))),
    );
    assert_eq!(
        app.dialog,
        Some(Dialog::NotCancelled {
            appointment,
            message: words.into()
        })
    );
    assert_eq!(
        status(&app),
        (Level::Error, format!("✘ Not cancelled: {words}"))
    );
}

#[test]
fn export_appointment_writes_an_ics_file_of_the_selected_one() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::ShowPane(Pane::Appointments));
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    let commands = update(&mut app, Action::ExportAppointment);
    let [Command::Export { path, contents }] = &commands[..] else {
        panic!("{commands:?}")
    };
    assert_eq!(
        path,
        &PathBuf::from("/home/anna/calendar/dentismile-2026-11-26-0830.ics")
    );
    assert_eq!(contents.matches("BEGIN:VEVENT").count(), 1);
    assert!(contents.contains("DTSTART:20261126T073000Z\r\n"));
    assert!(contents.contains("LOCATION:Haga Tandläkare\\, Haga Nygata 12"));
    // A cancelled one is not exported.
    update(&mut app, Action::Down);
    update(&mut app, Action::Down);
    assert!(update(&mut app, Action::ExportAppointment).is_empty());
}

#[test]
fn export_all_writes_every_upcoming_appointment() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::ShowPane(Pane::Appointments));
    assert!(update(&mut app, Action::ExportAll).is_empty(), "none yet");
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    let commands = update(&mut app, Action::ExportAll);
    let [Command::Export { path, contents }] = &commands[..] else {
        panic!("{commands:?}")
    };
    assert!(path.ends_with("dentismile-appointments.ics"));
    assert_eq!(contents.matches("BEGIN:VEVENT").count(), 2);
}

#[test]
fn exported_says_where_the_file_is_or_why_not() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::Exported(Ok(PathBuf::from("/tmp/a.ics"))));
    assert_eq!(
        status(&app),
        (
            Level::Success,
            "✔ Saved /tmp/a.ics (open it with your calendar)".into()
        )
    );
    update(&mut app, Action::Exported(Err("read-only".into())));
    assert_eq!(
        status(&app),
        (Level::Error, "Not exported: read-only".into())
    );
}

// --- Refresh, clinics, clicks ---

#[test]
fn refresh_lists_the_focused_pane_again() {
    let mut app = fixtures::week(80, 24);
    let watch = app.week.watch().unwrap();
    assert_eq!(
        update(&mut app, Action::Refresh),
        vec![
            Command::Watch(Some(watch.clone())),
            Command::LoadSlots {
                request: app.week.listing.unwrap(),
                watch
            }
        ]
    );
    update(&mut app, Action::ShowPane(Pane::Clinics));
    assert_eq!(
        update(&mut app, Action::Refresh),
        vec![Command::LoadClinics]
    );
    update(&mut app, Action::ShowPane(Pane::Earliest));
    assert_eq!(
        update(&mut app, Action::Refresh),
        vec![Command::LoadEarliest]
    );
    update(&mut app, Action::ShowPane(Pane::Appointments));
    assert_eq!(
        update(&mut app, Action::Refresh),
        vec![Command::LoadAppointments]
    );
}

#[test]
fn clinics_loaded_keep_the_selection_or_report_the_failure() {
    let mut app = fixtures::signed_in(80, 24);
    app.clinic_cursor.selected = 3;
    let mut fewer = fixtures::clinics();
    fewer.remove(0);
    update(&mut app, Action::ClinicsLoaded(Ok(fewer)));
    assert_eq!(app.selected_clinic().unwrap().id, "majorna-tandvard");
    update(
        &mut app,
        Action::ClinicsLoaded(Err(error(Code::Unavailable, "no gateway"))),
    );
    assert_eq!(
        status(&app),
        (
            Level::Error,
            "Clinics not listed (r retries): no gateway".into()
        )
    );
}

#[test]
fn click_on_a_week_cell_selects_it_and_a_second_click_books() {
    let mut app = fixtures::week(80, 24);
    let week = layout::week(layout::bands(app.area).body);
    // The third day's first row.
    let column = week.column(week.grid, 2).x + 2;
    let row = week.grid.y;
    assert!(update(&mut app, Action::Click { column, row }).is_empty());
    assert_eq!(app.week.cursor_day, 2);
    assert_eq!(app.week.cursor_minute, app.week.rows()[0]);
    update(&mut app, Action::Click { column, row });
    assert!(
        matches!(app.dialog, Some(Dialog::ConfirmBooking { .. })),
        "Wednesday 08:00 has a free slot: {:?}",
        app.dialog
    );
}

#[test]
fn click_on_tabs_lists_and_form_fields() {
    let mut app = fixtures::signed_in(80, 24);
    let tabs = layout::tabs(layout::bands(app.area).tabs);
    let (_, rect) = tabs[3];
    let commands = update(
        &mut app,
        Action::Click {
            column: rect.x + 1,
            row: rect.y,
        },
    );
    assert_eq!(app.pane, Pane::Appointments);
    assert_eq!(commands, vec![Command::LoadAppointments]);

    let mut app = fixtures::signed_in(80, 24);
    let list = layout::clinics(layout::bands(app.area).body).list;
    update(
        &mut app,
        Action::Click {
            column: list.x + 3,
            row: list.y + 2 * layout::CLINIC_LINES + 1,
        },
    );
    assert_eq!(app.clinic_cursor.selected, 2);
    let commands = update(
        &mut app,
        Action::Click {
            column: list.x + 3,
            row: list.y + 2 * layout::CLINIC_LINES,
        },
    );
    assert_eq!(app.pane, Pane::Week, "a second click opens the clinic");
    assert_eq!(commands.len(), 2);

    let mut form = fixtures::app(80, 24);
    let fields = layout::sign_in(form.area, 2).fields;
    update(
        &mut form,
        Action::Click {
            column: fields[1].x + 4,
            row: fields[1].y,
        },
    );
    assert_eq!(form.sign_in.field, Field::Password);
}

#[test]
fn click_while_help_is_open_closes_it() {
    let mut app = fixtures::signed_in(80, 24);
    app.help = true;
    update(&mut app, Action::Click { column: 1, row: 1 });
    assert!(!app.help);
}

#[test]
fn the_earliest_and_appointments_lists_follow_clicks() {
    let mut app = fixtures::signed_in(80, 24);
    update(&mut app, Action::ShowPane(Pane::Appointments));
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    let rows = layout::table(layout::bands(app.area).body).rows;
    // Line 0 is the "Upcoming" heading, 1 and 2 the upcoming ones, 3 the next heading.
    update(
        &mut app,
        Action::Click {
            column: rows.x + 2,
            row: rows.y + 2,
        },
    );
    assert_eq!(app.appointments.selected(now()).unwrap().id, "a-later");
    update(
        &mut app,
        Action::Click {
            column: rows.x + 2,
            row: rows.y + 3,
        },
    );
    assert_eq!(
        app.appointments.selected(now()).unwrap().id,
        "a-later",
        "a heading selects nothing"
    );
}

#[test]
fn times_stay_in_gothenburg_time_across_daylight_saving() {
    // The week of the change back to winter time in 2026 (25 October).
    let mut app = fixtures::signed_in(80, 24);
    app.now = at("2026-10-22T06:00:00Z");
    app.week = Week::new(LocalDay::parse("2026-10-22").unwrap());
    app.week.clinic_id = Some("haga-tandlakare".into());
    let request = app.request_id();
    app.week.listing = Some(request);
    app.pane = Pane::Week;
    update(
        &mut app,
        Action::SlotsLoaded {
            request,
            result: Ok(vec![
                // 09:00 in summer time (UTC+2) and in winter time (UTC+1) share one row.
                fixtures::wire_slot(
                    "haga-tandlakare",
                    "dr-ek",
                    "2026-10-23",
                    "09:00",
                    30,
                    pb::SlotState::Free,
                ),
                fixtures::wire_slot(
                    "haga-tandlakare",
                    "dr-ek",
                    "2026-10-26",
                    "09:00",
                    30,
                    pb::SlotState::Free,
                ),
            ]),
        },
    );
    assert_eq!(app.week.rows(), vec![9 * 60]);
    let starts: Vec<String> = app
        .week
        .slots
        .values()
        .map(|s| s.start.to_string())
        .collect();
    assert_eq!(starts, vec!["2026-10-23T07:00:00Z", "2026-10-26T08:00:00Z"]);
}

#[test]
fn answers_arriving_after_signing_out_are_dropped() {
    let mut app = fixtures::week(80, 24);
    let slot = cursor_slot(&app);
    update(&mut app, Action::SignOut);
    update(
        &mut app,
        Action::Booked {
            slot,
            result: Ok(fixtures::appointment("a", "2026-11-24", "11:00", false)),
        },
    );
    update(
        &mut app,
        Action::AppointmentsLoaded(Ok(fixtures::appointments())),
    );
    update(
        &mut app,
        Action::SessionChecked(Err(error(Code::Unauthenticated, "signed out"))),
    );
    assert!(app.dialog.is_none());
    assert!(app.appointments.items.is_empty());
    assert_eq!(status(&app), (Level::Info, "Signed out".into()));
}
