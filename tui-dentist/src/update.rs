//! `update(&mut App, Action) -> Vec<Command>`: the only place the state changes. It does no I/O
//! and reads no clock (the time comes in with [`Action::Tick`]), so every action is tested
//! without a terminal or a server.

use dentismile_client::{LiveUpdate, Watch, pb, pb::SlotEventKind, slots_csv};
use dentismile_domain::{
    booking::BookingPolicy,
    ids::DentistId,
    jiff::{SignedDuration, Timestamp},
    scheduler::check_within_opening_hours,
    slot::{NewSlot, reconcile_publish},
    time::{LocalDay, LocalTime},
};
use tonic::Code;

use crate::{
    action::{Action, Command, DayReport},
    app::{
        App, Dialog, HISTORY_KEPT, NOTIFICATIONS_KEPT, Notification, NotificationKind,
        OwnCancellation, Sample, Screen, SignInField, SignInForm, Tab, ViewMode,
    },
    import::{ImportScope, export_rows},
    layout::{Target, hit},
    local_time::{clock, day_label, from_wire, moment, period},
    plan_form::{PlanField, PlanForm, preview_days},
    schedule::{Entry, EntryState, domain_clinic},
};

/// How often the operations figures are read while their tab is shown.
pub const STATUS_EVERY: SignedDuration = SignedDuration::from_secs(2);
/// How often to try again while the gateway does not serve them.
pub const STATUS_RETRY: SignedDuration = SignedDuration::from_secs(10);
/// How many days the live feed watches (the gateway's stream takes at most 31).
const WATCH_DAYS: i32 = 30;
/// Own cancellations remembered, so their live events make no notification.
const OWN_CANCELLATIONS_KEPT: usize = 500;

/// Applies `action` and says what I/O it needs.
pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Tick(now) => tick(app, now),
        Action::Resize { width, height } => {
            app.size = (width, height);
            Vec::new()
        }
        Action::Quit => {
            app.quit = true;
            Vec::new()
        }
        Action::SignedIn { account, clinics } => signed_in(app, account, clinics),
        Action::SignInFailed(error) => {
            app.sign_in.waiting = false;
            app.fail(format!("Signing in failed: {}", error.in_words()));
            Vec::new()
        }
        Action::ScheduleLoaded { request, entries } => schedule_loaded(app, request, &entries),
        Action::ScheduleFailed { request, error } => {
            if app.schedule.pending.as_ref().map(|(id, _)| *id) != Some(request) {
                return Vec::new();
            }
            app.schedule.pending = None;
            failed(app, "Reading the schedule", &error)
        }
        Action::PlanPreviewed { plan, response } => plan_previewed(app, plan, response),
        Action::PlanPublished { plan, response } => plan_published(app, &plan, &response),
        Action::SlotsPublished(response) => {
            let published = match response.published.as_slice() {
                [] => None,
                [one] => Some(slot_words(one)),
                many => Some(format!("{} slots", many.len())),
            };
            match (published, response.unchanged) {
                (None, 0) => app.inform("Nothing to publish"),
                (None, 1) => app.inform("That slot is already published, free"),
                (None, unchanged) => app.inform(format!(
                    "Those {unchanged} slots are already published, free"
                )),
                (Some(what), 0) => app.inform(format!("Published {what}")),
                (Some(what), unchanged) => {
                    app.inform(format!("Published {what}; {unchanged} already were"))
                }
            }
            reload(app)
        }
        Action::SlotWithdrawn(slot) => {
            app.inform(format!("Withdrew {}", slot_words(&slot)));
            reload(app)
        }
        Action::CancelFailed {
            appointment_id,
            error,
        } => {
            // No live event will come for it: a patient's later cancellation must still notify.
            forget_own(app, &appointment_id);
            failed(app, "Cancelling the appointment", &error)
        }
        Action::AppointmentCancelled(appointment) => {
            let patient = app
                .schedule
                .entries
                .iter()
                .find_map(|e| match &e.state {
                    EntryState::Booked {
                        appointment_id,
                        patient_name,
                        ..
                    } if *appointment_id == appointment.id => Some(patient_name.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "the patient".to_string());
            let when = appointment
                .slot
                .as_ref()
                .map(slot_words)
                .unwrap_or_default();
            app.inform(format!("Cancelled {patient}'s appointment {when}"));
            reload(app)
        }
        Action::DayCleared(report) => day_cleared(app, report),
        Action::ImportChecked { path, result } => {
            match result {
                Ok(plan) if plan.new_slots() == 0 => app.inform(format!(
                    "{path}: nothing to publish; all {} rows are on the schedule already",
                    plan.rows
                )),
                Ok(plan) => {
                    app.inform(format!(
                        "{path}: all {} rows are good; Enter publishes {} slots",
                        plan.rows,
                        plan.new_slots()
                    ));
                    app.dialog = Some(Dialog::ImportConfirm { path, plan });
                }
                Err(errors) => {
                    app.fail(format!(
                        "{path}: {} bad {}; nothing was changed",
                        errors.len(),
                        if errors.len() == 1 { "line" } else { "lines" }
                    ));
                    app.dialog = Some(Dialog::ImportErrors {
                        path,
                        errors,
                        scroll: 0,
                    });
                }
            }
            Vec::new()
        }
        Action::ImportPublished {
            published,
            unchanged,
        } => {
            app.inform(format!(
                "Imported {published} slots ({unchanged} were on the schedule already)"
            ));
            reload(app)
        }
        Action::Exported { path, rows } => {
            app.inform(format!("Wrote {rows} slots to {path}"));
            Vec::new()
        }
        Action::StatusFetched(result) => {
            status_fetched(app, result);
            Vec::new()
        }
        Action::Live(update) => live(app, update),
        Action::Failed { what, error } => {
            app.plan.waiting = false;
            failed(app, &what, &error)
        }
        input => handle_input(app, input),
    }
}

fn handle_input(app: &mut App, action: Action) -> Vec<Command> {
    if let Action::Click { column, row } = action {
        return click(app, column, row);
    }
    if app.help {
        if matches!(action, Action::Help | Action::Back | Action::Submit) {
            app.help = false;
        }
        return Vec::new();
    }
    if action == Action::Help {
        app.help = true;
        return Vec::new();
    }
    if app.screen == Screen::SignIn {
        return sign_in_input(app, action);
    }
    if app.dialog.is_some() {
        return dialog_input(app, action);
    }
    match action {
        Action::FocusNext | Action::FocusPrevious => {
            let tabs = app.tabs();
            let at = tabs.iter().position(|t| *t == app.tab).unwrap_or(0);
            let next = if action == Action::FocusNext {
                (at + 1) % tabs.len()
            } else {
                (at + tabs.len() - 1) % tabs.len()
            };
            show_tab(app, tabs[next])
        }
        Action::ShowTab(tab) => show_tab(app, tab),
        Action::SignOut => {
            *app = app.signed_out();
            app.inform("Signed out");
            vec![Command::SignOut]
        }
        Action::NextDentist | Action::PreviousDentist => change_dentist(app, action),
        Action::NextClinic => change_clinic(app),
        Action::Refresh if app.tab == Tab::Operations => {
            app.operations.last_request = None;
            tick(app, app.now)
        }
        Action::Refresh => {
            app.inform("Reading the schedule again");
            reload(app)
        }
        _ => match app.tab {
            Tab::Schedule => schedule_input(app, action),
            Tab::Publish => plan_input(app, action),
            Tab::Operations => Vec::new(),
        },
    }
}

fn tick(app: &mut App, now: Timestamp) -> Vec<Command> {
    app.now = now;
    let mut commands = Vec::new();
    if app.screen == Screen::Main && app.tab == Tab::Operations && app.is_admin() {
        let every = if app.operations.unimplemented {
            STATUS_RETRY
        } else {
            STATUS_EVERY
        };
        let due = app
            .operations
            .last_request
            .is_none_or(|last| now.duration_since(last) >= every);
        if due && !app.operations.in_flight {
            app.operations.in_flight = true;
            app.operations.last_request = Some(now);
            commands.push(Command::FetchStatus);
        }
    }
    if app.screen == Screen::Main {
        commands.extend(watch(app));
    }
    commands
}

fn failed(app: &mut App, what: &str, error: &dentismile_client::ClientError) -> Vec<Command> {
    if error.is_unauthenticated() && app.screen == Screen::Main {
        let email = app
            .account
            .as_ref()
            .map(|a| a.email.clone())
            .unwrap_or_default();
        *app = app.signed_out();
        app.sign_in.email = email;
        app.sign_in.field = SignInField::Password;
        app.fail(format!(
            "{what}: your session has ended ({error}); sign in again"
        ));
        return vec![Command::SignOut];
    }
    app.fail(format!("{what}: {}", error.in_words()));
    Vec::new()
}

fn sign_in_input(app: &mut App, action: Action) -> Vec<Command> {
    let form = &mut app.sign_in;
    if form.waiting {
        return Vec::new();
    }
    let field = match form.field {
        SignInField::Email => &mut form.email,
        SignInField::Password => &mut form.password,
    };
    match action {
        Action::Input(c) => field.push(c),
        Action::Backspace => {
            field.pop();
        }
        Action::ClearInput => field.clear(),
        Action::FocusNext | Action::FocusPrevious | Action::Up | Action::Down => {
            form.field = match form.field {
                SignInField::Email => SignInField::Password,
                SignInField::Password => SignInField::Email,
            };
        }
        Action::Back => app.quit = true,
        Action::Submit => {
            if form.email.trim().is_empty() {
                form.field = SignInField::Email;
                app.fail("Type your email first");
            } else if form.password.is_empty() {
                form.field = SignInField::Password;
            } else {
                form.waiting = true;
                let command = Command::SignIn {
                    email: form.email.trim().to_string(),
                    password: form.password.clone(),
                };
                app.inform(format!("Signing in as {}", app.sign_in.email.trim()));
                return vec![command];
            }
        }
        _ => {}
    }
    Vec::new()
}

fn signed_in(app: &mut App, account: pb::Account, clinics: Vec<pb::Clinic>) -> Vec<Command> {
    app.sign_in.waiting = false;
    let role = pb::Role::try_from(account.role).unwrap_or(pb::Role::Unspecified);
    if !matches!(
        role,
        pb::Role::Dentist | pb::Role::ClinicAdmin | pb::Role::Admin
    ) {
        app.fail(format!(
            "{} is not a staff account: this terminal is for dentists and clinic admins (patients use dentismile-patient)",
            account.email
        ));
        app.sign_in.password.clear();
        return vec![Command::SignOut];
    }
    let clinic_index = if role == pb::Role::Admin {
        Some(0)
    } else {
        clinics.iter().position(|c| c.id == account.clinic_id)
    };
    let Some(clinic_index) = clinic_index.filter(|i| *i < clinics.len()) else {
        app.fail(format!(
            "The server lists no clinic '{}' for {}",
            account.clinic_id, account.email
        ));
        return vec![Command::SignOut];
    };
    let name = account.display_name.clone();
    app.sign_in = SignInForm::default();
    app.account = Some(account);
    app.clinics = clinics;
    app.clinic_index = clinic_index;
    app.dentist_index = 0;
    app.screen = Screen::Main;
    app.tab = Tab::Schedule;
    app.schedule.day = app.today();
    app.schedule.focus = None;
    if app.dentist().is_none() {
        app.fail(format!(
            "Signed in as {name}, but the clinic lists no dentist record for this account"
        ));
        return watch(app);
    }
    app.inform(format!("Signed in as {name}"));
    let mut commands = load_schedule(app);
    commands.extend(watch(app));
    commands
}

/// Loads the wanted week unless it is loaded or on its way.
fn load_schedule(app: &mut App) -> Vec<Command> {
    let Some(key) = app.wanted_schedule() else {
        return Vec::new();
    };
    if app.schedule.loaded.as_ref() == Some(&key) {
        // Back on the week shown before the answer for another one came: that answer is no
        // longer wanted, and would replace this week on screen when it came.
        if app
            .schedule
            .pending
            .as_ref()
            .is_some_and(|(_, k)| *k != key)
        {
            app.schedule.pending = None;
            if std::mem::take(&mut app.schedule.reload_wanted) {
                return reload(app);
            }
        }
        return Vec::new();
    }
    if app.schedule.pending.as_ref().map(|(_, k)| k) == Some(&key) {
        return Vec::new();
    }
    let request = app.request_id();
    app.schedule.pending = Some((request, key.clone()));
    vec![Command::LoadSchedule { request, key }]
}

/// Loads the wanted week again, even if loaded: something changed.
fn reload(app: &mut App) -> Vec<Command> {
    let Some(key) = app.wanted_schedule() else {
        return Vec::new();
    };
    if app.schedule.pending.as_ref().map(|(_, k)| k) == Some(&key) {
        app.schedule.reload_wanted = true;
        return Vec::new();
    }
    let request = app.request_id();
    app.schedule.pending = Some((request, key.clone()));
    vec![Command::LoadSchedule { request, key }]
}

/// Points the live feed at the clinic and at days covering both the coming month and the week
/// shown.
fn watch(app: &mut App) -> Vec<Command> {
    let Some(clinic) = app.clinic() else {
        return Vec::new();
    };
    let last = app
        .today()
        .plus_days(WATCH_DAYS)
        .max(app.monday().plus_days(6));
    let first = last.plus_days(-WATCH_DAYS);
    let wanted = (clinic.id.clone(), first, last);
    if app.watching.as_ref() == Some(&wanted) {
        return Vec::new();
    }
    app.watching = Some(wanted.clone());
    vec![Command::Watch(Watch {
        clinic_id: wanted.0,
        from_day: first.to_string(),
        to_day: last.to_string(),
    })]
}

fn schedule_loaded(app: &mut App, request: u64, wire: &[pb::ScheduleEntry]) -> Vec<Command> {
    let Some((id, key)) = app.schedule.pending.clone() else {
        return Vec::new();
    };
    if id != request {
        return Vec::new();
    }
    app.schedule.pending = None;
    let previous_start = app.selected_entry().map(|e| e.start);
    let same_week = app.schedule.loaded.as_ref() == Some(&key);
    let mut entries: Vec<Entry> = wire
        .iter()
        .filter_map(Entry::from_wire)
        .filter(|e| e.dentist_id == key.dentist_id)
        .collect();
    entries.sort_by_key(|e| e.start);
    app.schedule.entries = entries;
    app.schedule.loaded = Some(key);
    let day = app.schedule.day;
    let starts: Vec<Timestamp> = app.day_entries(day).iter().map(|e| e.start).collect();
    let focus = app
        .schedule
        .focus
        .take()
        .or(if same_week { previous_start } else { None });
    app.schedule.selected = match focus {
        Some(start) => starts.iter().position(|s| *s == start).unwrap_or(0),
        None if day == app.today() => starts
            .iter()
            .position(|s| *s >= app.now)
            .unwrap_or(starts.len().saturating_sub(1)),
        None => app.schedule.selected.min(starts.len().saturating_sub(1)),
    };
    name_notifications(app);
    let mut commands = Vec::new();
    if std::mem::take(&mut app.schedule.reload_wanted) {
        commands.extend(reload(app));
    }
    commands.extend(load_schedule(app));
    commands
}

/// Booking events carry no names (they are public); the schedule does.
fn name_notifications(app: &mut App) {
    for notification in app.notifications.iter_mut() {
        if notification.patient.is_some() || notification.kind != NotificationKind::Booked {
            continue;
        }
        let booked = app
            .schedule
            .entries
            .iter()
            .find(|e| e.dentist_id == notification.dentist_id && e.start == notification.start);
        if let Some(Entry {
            state:
                EntryState::Booked {
                    patient_name,
                    reason,
                    ..
                },
            ..
        }) = booked
        {
            notification.patient = Some(patient_name.clone());
            notification.reason = Some(reason.clone());
        }
    }
}

fn show_tab(app: &mut App, tab: Tab) -> Vec<Command> {
    if !app.tabs().contains(&tab) {
        return Vec::new();
    }
    app.tab = tab;
    match tab {
        Tab::Publish if !app.plan.edited => {
            reset_plan(app);
            Vec::new()
        }
        Tab::Operations => tick(app, app.now),
        _ => Vec::new(),
    }
}

/// The plan form's defaults: the week on the schedule, the clinic's usual hours.
fn reset_plan(app: &mut App) {
    if let Some(clinic) = app.clinic() {
        app.plan = PlanForm::defaults(clinic, app.monday(), app.today(), app.usual_slot_minutes());
    }
}

fn change_dentist(app: &mut App, action: Action) -> Vec<Command> {
    let count = app.dentists().len();
    if !app.is_admin() || count < 2 {
        app.inform("This account shows only its own schedule");
        return Vec::new();
    }
    app.dentist_index = if action == Action::NextDentist {
        (app.dentist_index + 1) % count
    } else {
        (app.dentist_index + count - 1) % count
    };
    app.schedule.selected = 0;
    app.plan.preview = None;
    if let Some(dentist) = app.dentist() {
        let name = dentist.name.clone();
        app.inform(format!("Showing {name}"));
    }
    load_schedule(app)
}

fn change_clinic(app: &mut App) -> Vec<Command> {
    if app.role() != pb::Role::Admin || app.clinics.len() < 2 {
        return Vec::new();
    }
    app.clinic_index = (app.clinic_index + 1) % app.clinics.len();
    app.dentist_index = 0;
    app.schedule.selected = 0;
    // The new clinic's own opening hours and slot length, as on first sign-in.
    reset_plan(app);
    if let Some(clinic) = app.clinic() {
        let name = clinic.name.clone();
        app.inform(format!("Showing {name}"));
    }
    let mut commands = load_schedule(app);
    commands.extend(watch(app));
    commands
}

fn select_day(app: &mut App, day: LocalDay) -> Vec<Command> {
    app.schedule.day = day;
    let count = app.day_entries(day).len();
    if count > 0 {
        app.schedule.selected = app.schedule.selected.min(count - 1);
    }
    let mut commands = load_schedule(app);
    commands.extend(watch(app));
    commands
}

fn schedule_input(app: &mut App, action: Action) -> Vec<Command> {
    let day = app.schedule.day;
    let count = app.day_entries(day).len();
    match action {
        Action::Up => {
            app.schedule.selected = app.schedule.selected.saturating_sub(1);
            Vec::new()
        }
        Action::Down => {
            if app.schedule.selected + 1 < count {
                app.schedule.selected += 1;
            }
            Vec::new()
        }
        Action::Left => select_day(app, day.plus_days(-1)),
        Action::Right => select_day(app, day.plus_days(1)),
        Action::PreviousWeek => select_day(app, day.plus_days(-7)),
        Action::NextWeek => select_day(app, day.plus_days(7)),
        Action::Today => {
            let today = app.today();
            app.schedule.focus = app
                .schedule
                .entries
                .iter()
                .find(|e| e.day == today && e.start >= app.now)
                .map(|e| e.start);
            let commands = select_day(app, today);
            if let Some(start) = app.schedule.focus
                && let Some(i) = app.day_entries(today).iter().position(|e| e.start == start)
            {
                app.schedule.selected = i;
                app.schedule.focus = None;
            }
            commands
        }
        Action::ToggleView => {
            app.schedule.mode = match app.schedule.mode {
                ViewMode::Day => ViewMode::Week,
                ViewMode::Week => ViewMode::Day,
            };
            Vec::new()
        }
        Action::Submit => {
            match app.selected_entry().cloned() {
                Some(entry) => {
                    app.dialog = Some(match entry.state {
                        EntryState::Booked { .. } => Dialog::Cancel {
                            entry,
                            reason: String::new(),
                        },
                        EntryState::Free => Dialog::Withdraw { entry },
                        EntryState::Withdrawn => Dialog::Republish { entry },
                    });
                }
                None => app.inform(format!(
                    "No slot on {}: a adds one, Publish plans a week",
                    day_label(day)
                )),
            }
            Vec::new()
        }
        Action::CancelBooking => {
            match app.selected_entry().cloned() {
                Some(entry) if entry.is_booked() => {
                    app.dialog = Some(Dialog::Cancel {
                        entry,
                        reason: String::new(),
                    });
                }
                _ => app.fail("Select a booked slot to cancel its appointment"),
            }
            Vec::new()
        }
        Action::Withdraw => {
            match app.selected_entry().cloned() {
                Some(entry) if entry.is_free() => app.dialog = Some(Dialog::Withdraw { entry }),
                Some(entry) if entry.is_booked() => {
                    app.fail("That slot is booked: cancel the appointment first (c)");
                }
                Some(_) => app.inform("That slot is withdrawn already"),
                None => app.fail("Select a free slot to withdraw it"),
            }
            Vec::new()
        }
        Action::AddSlot => {
            match app.selected_entry().cloned() {
                Some(entry) if entry.state == EntryState::Withdrawn => {
                    app.dialog = Some(Dialog::Republish { entry });
                }
                _ => open_add_slot(app, day),
            }
            Vec::new()
        }
        Action::ClearDay => {
            open_clear_day(app, day);
            Vec::new()
        }
        Action::Import => {
            app.dialog = Some(Dialog::ImportPath {
                path: "slots.csv".to_string(),
            });
            Vec::new()
        }
        Action::Export => {
            if let Some(key) = app.wanted_schedule() {
                let range = match app.schedule.mode {
                    ViewMode::Day => day.to_string(),
                    ViewMode::Week => format!("{}-week", key.monday),
                };
                app.dialog = Some(Dialog::ExportPath {
                    path: format!("slots-{}-{range}.csv", key.dentist_id),
                });
            }
            Vec::new()
        }
        Action::JumpToNotification => jump_to_notification(app, 0),
        _ => Vec::new(),
    }
}

fn jump_to_notification(app: &mut App, index: usize) -> Vec<Command> {
    let Some(notification) = app.notifications.get(index).cloned() else {
        app.inform("No notifications yet");
        return Vec::new();
    };
    if app.is_admin()
        && let Some(i) = app
            .dentists()
            .iter()
            .position(|d| d.id == notification.dentist_id)
    {
        app.dentist_index = i;
    }
    app.tab = Tab::Schedule;
    let day = LocalDay::of(notification.start);
    app.schedule.day = day;
    match app
        .day_entries(day)
        .iter()
        .position(|e| e.start == notification.start)
    {
        Some(i) => {
            app.schedule.selected = i;
            app.schedule.focus = None;
        }
        None => app.schedule.focus = Some(notification.start),
    }
    let mut commands = load_schedule(app);
    commands.extend(watch(app));
    commands
}

fn open_add_slot(app: &mut App, day: LocalDay) {
    let opens = app
        .clinic()
        .and_then(|c| domain_clinic(c).ok())
        .and_then(|c| c.opening_hours.on(day.weekday()))
        .map(|hours| hours.start().to_string());
    let after_last = app
        .day_entries(day)
        .iter()
        .filter(|e| e.state != EntryState::Withdrawn)
        .map(|e| e.end)
        .max()
        .map(clock);
    app.dialog = Some(Dialog::AddSlot {
        day,
        start: after_last.or(opens).unwrap_or_else(|| "08:00".to_string()),
        minutes: app.usual_slot_minutes().to_string(),
        field: 0,
        error: None,
    });
}

fn open_clear_day(app: &mut App, day: LocalDay) {
    let Some(dentist) = app.dentist().map(|d| d.id.clone()) else {
        return;
    };
    let upcoming: Vec<Entry> = app
        .day_entries(day)
        .into_iter()
        .filter(|e| e.start > app.now)
        .cloned()
        .collect();
    let bookings: Vec<Entry> = upcoming.iter().filter(|e| e.is_booked()).cloned().collect();
    let free: Vec<Entry> = upcoming.into_iter().filter(Entry::is_free).collect();
    if bookings.is_empty() && free.is_empty() {
        app.inform(format!(
            "{} has no upcoming free or booked slot: nothing to make unavailable",
            day_label(day)
        ));
        return;
    }
    app.dialog = Some(Dialog::ClearDay {
        day,
        dentist_id: dentist,
        bookings,
        free,
        reason: String::new(),
    });
}

/// Remembers that this terminal cancels the booking `entry` holds. Only cancellations: a
/// withdrawal's event makes no notification anyway, and an entry left for it would hide a
/// patient's booking of that slot once it is published again.
fn remember_own(app: &mut App, entry: &Entry) {
    let EntryState::Booked { appointment_id, .. } = &entry.state else {
        return;
    };
    app.own_cancellations.push(OwnCancellation {
        appointment_id: appointment_id.clone(),
        dentist_id: entry.dentist_id.clone(),
        start: entry.start,
    });
    if app.own_cancellations.len() > OWN_CANCELLATIONS_KEPT {
        app.own_cancellations.remove(0);
    }
}

fn forget_own(app: &mut App, appointment_id: &str) {
    app.own_cancellations
        .retain(|own| own.appointment_id != appointment_id);
}

fn dialog_input(app: &mut App, action: Action) -> Vec<Command> {
    let Some(dialog) = app.dialog.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Back => {
            app.dialog = None;
            return Vec::new();
        }
        Action::Input(c) => {
            if let Some(text) = dialog.text_mut() {
                text.push(c);
            }
            return Vec::new();
        }
        Action::Backspace => {
            if let Some(text) = dialog.text_mut() {
                text.pop();
            }
            return Vec::new();
        }
        Action::ClearInput => {
            if let Some(text) = dialog.text_mut() {
                text.clear();
            }
            return Vec::new();
        }
        Action::FocusNext | Action::FocusPrevious | Action::Up | Action::Down => {
            match dialog {
                Dialog::AddSlot { field, .. } => *field = 1 - (*field).min(1),
                Dialog::ImportErrors { errors, scroll, .. } => {
                    *scroll = if action == Action::Up || action == Action::FocusPrevious {
                        scroll.saturating_sub(1)
                    } else {
                        (*scroll + 1).min(errors.len().saturating_sub(1))
                    };
                }
                _ => {}
            }
            return Vec::new();
        }
        Action::Submit => {}
        _ => return Vec::new(),
    }
    let Some(dialog) = app.dialog.take() else {
        return Vec::new();
    };
    submit_dialog(app, dialog)
}

fn submit_dialog(app: &mut App, dialog: Dialog) -> Vec<Command> {
    match dialog {
        Dialog::Cancel { entry, reason } => {
            let EntryState::Booked { appointment_id, .. } = &entry.state else {
                return Vec::new();
            };
            if reason.trim().is_empty() {
                app.fail("Give a reason: the patient is told it");
                app.dialog = Some(Dialog::Cancel {
                    entry: entry.clone(),
                    reason,
                });
                return Vec::new();
            }
            remember_own(app, &entry);
            app.inform(format!(
                "Cancelling the appointment {}",
                moment(entry.start)
            ));
            vec![Command::Cancel {
                appointment_id: appointment_id.clone(),
                reason: reason.trim().to_string(),
            }]
        }
        Dialog::Withdraw { entry } => {
            app.inform(format!("Withdrawing {}", moment(entry.start)));
            vec![Command::Withdraw(entry.slot_ref())]
        }
        Dialog::Republish { entry } => {
            app.inform(format!("Publishing {} again", moment(entry.start)));
            vec![Command::PublishSlots {
                clinic_id: entry.clinic_id,
                dentist_id: entry.dentist_id,
                slots: vec![(entry.start, entry.end)],
            }]
        }
        Dialog::AddSlot {
            day,
            start,
            minutes,
            field,
            ..
        } => match check_new_slot(app, day, &start, &minutes) {
            Ok((clinic_id, dentist_id, slot)) => {
                app.inform(format!("Publishing {}", moment(slot.0)));
                vec![Command::PublishSlots {
                    clinic_id,
                    dentist_id,
                    slots: vec![slot],
                }]
            }
            Err(error) => {
                app.fail(error.clone());
                app.dialog = Some(Dialog::AddSlot {
                    day,
                    start,
                    minutes,
                    field,
                    error: Some(error),
                });
                Vec::new()
            }
        },
        Dialog::ClearDay {
            day,
            dentist_id,
            bookings,
            free,
            reason,
        } => {
            if !bookings.is_empty() && reason.trim().is_empty() {
                app.fail("Give a reason: every patient affected is told it");
                app.dialog = Some(Dialog::ClearDay {
                    day,
                    dentist_id,
                    bookings,
                    free,
                    reason,
                });
                return Vec::new();
            }
            let Some(clinic_id) = app.clinic().map(|c| c.id.clone()) else {
                return Vec::new();
            };
            for entry in &bookings {
                remember_own(app, entry);
            }
            app.inform(format!("Making {} unavailable", day_label(day)));
            vec![Command::ClearDay {
                clinic_id,
                dentist_id,
                day,
                appointment_ids: bookings
                    .iter()
                    .filter_map(|e| match &e.state {
                        EntryState::Booked { appointment_id, .. } => Some(appointment_id.clone()),
                        _ => None,
                    })
                    .collect(),
                reason: reason.trim().to_string(),
            }]
        }
        Dialog::ImportPath { path } => {
            let path = path.trim().to_string();
            let (Some(clinic), Some(account)) = (app.clinic().cloned(), app.account.as_ref())
            else {
                return Vec::new();
            };
            if path.is_empty() {
                app.fail("Type the path of the file to import");
                app.dialog = Some(Dialog::ImportPath { path });
                return Vec::new();
            }
            let only_dentist = (!app.is_admin()).then(|| account.dentist_id.clone());
            app.inform(format!("Checking every line of {path}"));
            vec![Command::CheckImport {
                path,
                scope: ImportScope {
                    clinic,
                    only_dentist,
                },
            }]
        }
        Dialog::ImportConfirm { plan, .. } => {
            app.inform(format!("Publishing {} slots", plan.new_slots()));
            vec![Command::PublishImport(plan)]
        }
        Dialog::ImportErrors { .. } => Vec::new(),
        Dialog::ExportPath { path } => {
            let path = path.trim().to_string();
            if path.is_empty() {
                app.fail("Type the path of the file to write");
                app.dialog = Some(Dialog::ExportPath { path });
                return Vec::new();
            }
            let Some(clinic_name) = app.clinic().map(|c| c.name.clone()) else {
                return Vec::new();
            };
            let entries: Vec<&Entry> = match app.schedule.mode {
                ViewMode::Day => app.day_entries(app.schedule.day),
                ViewMode::Week => (0..7)
                    .flat_map(|i| app.day_entries(app.monday().plus_days(i)))
                    .collect(),
            };
            let rows = export_rows(&entries, &clinic_name);
            let count = rows.len();
            vec![Command::Export {
                path,
                text: slots_csv::write(&rows),
                rows: count,
            }]
        }
    }
}

/// Checks a single new slot with the domain's rules: sane period, not past and within the
/// horizon, inside opening hours, no overlap with the dentist's slots of that day.
fn check_new_slot(
    app: &App,
    day: LocalDay,
    start: &str,
    minutes: &str,
) -> Result<(String, String, (Timestamp, Timestamp)), String> {
    let clinic = app
        .clinic()
        .ok_or("no clinic")
        .and_then(|c| domain_clinic(c).map_err(|_| "the clinic's data is malformed"))?;
    let dentist = app.dentist().ok_or("no dentist")?.id.clone();
    let time = LocalTime::parse(start.trim()).map_err(|e| format!("Start: {}", e.message()))?;
    let minutes: i64 = minutes
        .trim()
        .parse()
        .map_err(|_| format!("Minutes: '{minutes}' is not a number"))?;
    let begins = day.at(time);
    let ends = begins
        .checked_add(SignedDuration::from_mins(minutes))
        .map_err(|_| "Minutes: too long".to_string())?;
    let slot = NewSlot::new(
        clinic.id.clone(),
        DentistId::parse(&dentist).map_err(|e| e.to_string())?,
        begins,
        ends,
    )
    .map_err(|e| format!("Slot: {}", e.message()))?;
    BookingPolicy::default()
        .check_start(app.now, begins)
        .map_err(|e| format!("Start: {}", e.message()))?;
    check_within_opening_hours(&clinic, &slot).map_err(|e| format!("Slot: {}", e.message()))?;
    let stored: Vec<_> = app
        .day_entries(day)
        .iter()
        .filter_map(|e| e.to_domain())
        .collect();
    reconcile_publish(std::slice::from_ref(&slot), &stored).map_err(|conflict| {
        format!(
            "Slot: overlaps the {} slot {}",
            conflict.existing.state.name(),
            period(conflict.existing.key.start, conflict.existing.end)
        )
    })?;
    Ok((clinic.id.to_string(), dentist, (begins, ends)))
}

fn plan_input(app: &mut App, action: Action) -> Vec<Command> {
    let form = &mut app.plan;
    match action {
        Action::Up => form.field = form.field.previous(),
        Action::Down => form.field = form.field.next(),
        Action::Left if form.field == PlanField::Weekdays => {
            form.weekday_cursor = (form.weekday_cursor + 6) % 7;
        }
        Action::Right if form.field == PlanField::Weekdays => {
            form.weekday_cursor = (form.weekday_cursor + 1) % 7;
        }
        Action::Input(' ') if form.field == PlanField::Weekdays => {
            let at = form.weekday_cursor.min(6);
            form.weekdays[at] = !form.weekdays[at];
            form.touched();
        }
        Action::Input(c) => {
            if let Some(text) = form.focused_text_mut() {
                text.push(c);
                form.touched();
            }
        }
        Action::Backspace => {
            if let Some(text) = form.focused_text_mut() {
                text.pop();
                form.touched();
            }
        }
        Action::ClearInput => {
            if let Some(text) = form.focused_text_mut() {
                text.clear();
                form.touched();
            }
        }
        Action::Back => {
            form.preview = None;
            form.error = None;
        }
        Action::Submit
            if form
                .preview
                .as_ref()
                .is_some_and(|p| p.response.conflicts.is_empty()) =>
        {
            return publish_plan(app);
        }
        Action::Submit if form.preview.is_some() => {
            let conflicts = form
                .preview
                .as_ref()
                .map_or(0, |p| p.response.conflicts.len());
            app.fail(format!(
                "The plan collides with {conflicts} slots on the schedule: change the plan or withdraw them first"
            ));
        }
        Action::Submit | Action::Preview => return preview_plan(app),
        _ => {}
    }
    Vec::new()
}

fn checked_plan(app: &App) -> Result<pb::WorkingPlan, String> {
    let clinic = app
        .clinic()
        .ok_or_else(|| "no clinic".to_string())
        .and_then(domain_clinic)?;
    let dentist = app
        .dentist()
        .ok_or_else(|| "no dentist".to_string())?
        .id
        .clone();
    app.plan
        .check(&clinic, &dentist, app.now)
        .map(|(_, wire)| wire)
}

fn preview_plan(app: &mut App) -> Vec<Command> {
    if app.plan.waiting {
        return Vec::new();
    }
    match checked_plan(app) {
        Ok(plan) => {
            app.plan.error = None;
            app.plan.waiting = true;
            app.inform("Asking the server what the plan would publish");
            vec![Command::PreviewPlan(plan)]
        }
        Err(error) => {
            app.plan.error = Some(error.clone());
            app.fail(error);
            Vec::new()
        }
    }
}

fn publish_plan(app: &mut App) -> Vec<Command> {
    let Some(preview) = app.plan.preview.clone() else {
        return Vec::new();
    };
    if app.plan.waiting {
        return Vec::new();
    }
    app.plan.waiting = true;
    app.inform(format!(
        "Publishing {} slots",
        preview
            .response
            .slots
            .len()
            .saturating_sub(preview.response.unchanged as usize)
    ));
    vec![Command::PublishPlan(preview.plan)]
}

fn plan_previewed(
    app: &mut App,
    plan: pb::WorkingPlan,
    response: pb::PreviewWorkingPlanResponse,
) -> Vec<Command> {
    app.plan.waiting = false;
    if checked_plan(app).ok().as_ref() != Some(&plan) {
        // The form changed while the server was answering: this preview is of another plan.
        return Vec::new();
    }
    let days = preview_days(&response).len();
    let unchanged = response.unchanged as usize;
    let new = response.slots.len().saturating_sub(unchanged);
    if response.conflicts.is_empty() {
        app.inform(format!(
            "Preview: {new} new slots on {days} days ({unchanged} already published); Enter publishes"
        ));
    } else {
        app.fail(format!(
            "Preview: the plan collides with {} slots on the schedule",
            response.conflicts.len()
        ));
    }
    app.plan.preview = Some(crate::plan_form::PlanPreview { plan, response });
    Vec::new()
}

fn plan_published(
    app: &mut App,
    plan: &pb::WorkingPlan,
    response: &pb::PublishSlotsResponse,
) -> Vec<Command> {
    app.plan.waiting = false;
    app.plan.preview = None;
    app.plan.edited = false;
    app.inform(format!(
        "Published {} new slots for {} from {} to {} ({} were there already)",
        response.published.len(),
        app.dentist_name(&plan.dentist_id),
        plan.first_day,
        plan.last_day,
        response.unchanged
    ));
    app.tab = Tab::Schedule;
    app.schedule.mode = ViewMode::Week;
    if let Ok(first) = LocalDay::parse(&plan.first_day) {
        app.schedule.day = first;
        app.schedule.selected = 0;
    }
    let mut commands = reload(app);
    commands.extend(watch(app));
    commands
}

fn day_cleared(app: &mut App, report: DayReport) -> Vec<Command> {
    for appointment_id in &report.not_cancelled {
        forget_own(app, appointment_id);
    }
    let day = report.day.map(day_label).unwrap_or_default();
    let done = format!(
        "{day}: {} {} cancelled, {} {} withdrawn",
        report.cancelled,
        if report.cancelled == 1 {
            "appointment"
        } else {
            "appointments"
        },
        report.withdrawn,
        if report.withdrawn == 1 {
            "slot"
        } else {
            "slots"
        }
    );
    if report.problems.is_empty() {
        app.inform(format!("{done}; the day is unavailable"));
    } else {
        app.fail(format!("{done}; but {}", report.problems.join("; ")));
    }
    reload(app)
}

fn status_fetched(app: &mut App, result: Result<pb::SystemStatus, dentismile_client::ClientError>) {
    let operations = &mut app.operations;
    operations.in_flight = false;
    match result {
        Ok(status) => {
            operations.history.push_back(Sample {
                requests: status.requests_per_second,
                bookings: status.bookings_per_second,
                errors: status.errors_per_second,
            });
            while operations.history.len() > HISTORY_KEPT {
                operations.history.pop_front();
            }
            operations.status = Some(status);
            operations.problem = None;
            operations.unimplemented = false;
        }
        Err(error) => {
            operations.unimplemented = error.code == Code::Unimplemented;
            operations.problem = Some(match error.code {
                Code::Unimplemented => format!(
                    "This gateway does not serve operations figures yet (GetSystemStatus is unimplemented); trying again every {} s",
                    STATUS_RETRY.as_secs()
                ),
                Code::PermissionDenied => {
                    "Only clinic admins and system admins may see the operations figures"
                        .to_string()
                }
                _ => format!("Reading the figures failed: {}", error.in_words()),
            });
        }
    }
}

fn live(app: &mut App, update: LiveUpdate) -> Vec<Command> {
    match update {
        LiveUpdate::Connection(connection) => {
            app.live = Some(connection);
            Vec::new()
        }
        LiveUpdate::Resync => reload(app),
        LiveUpdate::Event(event) => {
            let Some(clinic) = app.clinic() else {
                return Vec::new();
            };
            let own_dentist = app.account.as_ref().map(|a| a.dentist_id.clone());
            let mine = event.clinic_id == clinic.id
                && (app.is_admin() || own_dentist.as_deref() == Some(event.dentist_id.as_str()));
            if !mine {
                return Vec::new();
            }
            let kind = match event.kind {
                SlotEventKind::Booked => Some(NotificationKind::Booked),
                SlotEventKind::Released => Some(NotificationKind::Cancelled),
                _ => None,
            };
            let own = app.own_cancellations.iter().position(|own| {
                own.dentist_id == event.dentist_id && own.start == event.slot_start
            });
            if let (Some(kind), None) = (kind, own) {
                // A cancellation's patient is still on the schedule read before it.
                let (patient, reason) = app
                    .schedule
                    .entries
                    .iter()
                    .find(|e| e.dentist_id == event.dentist_id && e.start == event.slot_start)
                    .and_then(|e| match &e.state {
                        EntryState::Booked {
                            patient_name,
                            reason,
                            ..
                        } if kind == NotificationKind::Cancelled => {
                            Some((Some(patient_name.clone()), Some(reason.clone())))
                        }
                        _ => None,
                    })
                    .unwrap_or((None, None));
                app.notifications.push_front(Notification {
                    at: app.now,
                    kind,
                    dentist_id: event.dentist_id.clone(),
                    start: event.slot_start,
                    end: event.slot_end,
                    patient,
                    reason,
                });
                app.notifications.truncate(NOTIFICATIONS_KEPT);
            }
            if let (Some(index), Some(_)) = (own, kind) {
                app.own_cancellations.remove(index);
            }
            let shown = app.wanted_schedule().is_some_and(|key| {
                key.dentist_id == event.dentist_id
                    && LocalDay::parse(&event.day)
                        .is_ok_and(|day| key.monday <= day && day <= key.monday.plus_days(6))
            });
            if shown { reload(app) } else { Vec::new() }
        }
    }
}

fn click(app: &mut App, column: u16, row: u16) -> Vec<Command> {
    match hit(app, column, row) {
        Target::Tab(tab) => show_tab(app, tab),
        Target::Slot(day, index) => {
            app.schedule.day = day;
            app.schedule.selected = index;
            Vec::new()
        }
        Target::SignIn(field) => {
            app.sign_in.field = field;
            Vec::new()
        }
        Target::PlanField(field) => {
            app.plan.field = field;
            Vec::new()
        }
        Target::Weekday(index) => {
            app.plan.field = PlanField::Weekdays;
            app.plan.weekday_cursor = index;
            app.plan.weekdays[index.min(6)] = !app.plan.weekdays[index.min(6)];
            app.plan.touched();
            Vec::new()
        }
        Target::Notification(index) => jump_to_notification(app, index),
        Target::Nothing => Vec::new(),
    }
}

/// `Mon 14 Dec 09:00–09:30`.
fn slot_words(slot: &pb::Slot) -> String {
    let start = slot
        .r#ref
        .as_ref()
        .and_then(|r| from_wire(r.start.as_ref()));
    let end = from_wire(slot.end.as_ref());
    match (start, end) {
        (Some(start), Some(end)) => format!("{}–{}", moment(start), clock(end)),
        _ => "the slot".to_string(),
    }
}

#[cfg(test)]
mod tests;
