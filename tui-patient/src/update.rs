//! `update(&mut App, Action) -> Vec<Command>`: the only place the state changes. It does no
//! I/O and reads no clock (time arrives as [`Action::Tick`]); the commands it returns are run by
//! the driver, whose answers come back as actions.

use dentismile_client::{ClientError, LiveUpdate, pb};
use dentismile_domain::jiff::SignedDuration;
use ratatui::layout::Rect;

use crate::{
    action::{Action, Command, Secret},
    app::{
        ALTERNATIVES, App, AppointmentLine, Dialog, Field, Level, MAX_DAYS_AHEAD, MAX_NOTE, Pane,
        Screen, SignInForm, Slot, Status, WEEK_DAYS, Week, appointment_times, is_upcoming,
        nearest_alternatives,
    },
    ics, layout, local_time,
};

/// How often the session is checked (and its access token refreshed when it is due).
const SESSION_CHECK: SignedDuration = SignedDuration::from_secs(60);

/// Applies an action; returns the I/O it asks for.
pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    // Answers to calls of a session that has ended since (the user signed out while they were
    // under way) belong to nobody on screen now.
    if app.account.is_none()
        && matches!(
            action,
            Action::SessionChecked(_)
                | Action::EarliestLoaded(_)
                | Action::Booked { .. }
                | Action::AlternativesLoaded { .. }
                | Action::AppointmentsLoaded(_)
                | Action::Cancelled(_)
        )
    {
        return Vec::new();
    }
    match action {
        // Clinics are public: listing them while the user types their password saves a wait.
        Action::Started => {
            app.clinics_loading = true;
            vec![Command::LoadClinics]
        }
        Action::Tick(now) => tick(app, now),
        Action::Resize { width, height } => {
            app.area = Rect::new(0, 0, width, height);
            keep_cursors_visible(app);
            Vec::new()
        }
        Action::Quit => {
            app.running = false;
            Vec::new()
        }
        Action::Help => {
            app.help = !app.help;
            Vec::new()
        }
        Action::Back => back(app),
        Action::Input(c) => {
            type_into(app, Some(c));
            Vec::new()
        }
        Action::Backspace => {
            type_into(app, None);
            Vec::new()
        }
        Action::ToggleRegister => {
            if app.screen == Screen::SignIn && !app.sign_in.busy {
                app.sign_in.register = !app.sign_in.register;
                app.sign_in.field = Field::Email;
                app.status = None;
            }
            Vec::new()
        }
        Action::NextPane => switch_pane(app, true),
        Action::PreviousPane => switch_pane(app, false),
        Action::ShowPane(pane) => show_pane(app, pane),
        Action::Up => move_cursor(app, 0, -1),
        Action::Down => move_cursor(app, 0, 1),
        Action::Left => move_cursor(app, -1, 0),
        Action::Right => move_cursor(app, 1, 0),
        Action::Top => move_cursor(app, 0, isize::MIN),
        Action::Bottom => move_cursor(app, 0, isize::MAX),
        Action::PreviousWeek => shift_week(app, -(WEEK_DAYS as i32), true),
        Action::NextWeek => shift_week(app, WEEK_DAYS as i32, true),
        Action::Today => today(app),
        Action::Activate => activate(app),
        Action::CycleDentist => cycle_dentist(app),
        Action::FindEarliest => {
            if app.screen != Screen::Main {
                return Vec::new();
            }
            app.pane = Pane::Earliest;
            app.earliest.loading = true;
            vec![Command::LoadEarliest]
        }
        Action::Refresh => refresh(app),
        Action::SignOut => sign_out(app),
        Action::CancelAppointment => ask_to_cancel(app),
        Action::ExportAppointment => export(app, false),
        Action::ExportAll => export(app, true),
        Action::Click { column, row } => click(app, column, row),
        Action::SignedIn(result) => signed_in(app, result),
        Action::SignedOut(result) => {
            if let Err(error) = result {
                // Signed out here already; the server's copy of the session expires by itself.
                tell(
                    app,
                    Level::Error,
                    format!("Signed out here, but the server was not told: {error}"),
                );
            }
            Vec::new()
        }
        Action::SessionChecked(result) => match result {
            Err(error) if error.is_unauthenticated() => session_lost(app),
            // A passing network problem: the next call or check tries again.
            _ => Vec::new(),
        },
        Action::ClinicsLoaded(result) => clinics_loaded(app, result),
        Action::SlotsLoaded { request, result } => slots_loaded(app, request, result),
        Action::EarliestLoaded(result) => earliest_loaded(app, result),
        Action::Booked { slot, result } => booked(app, slot, result),
        Action::AlternativesLoaded { taken, result } => alternatives_loaded(app, taken, result),
        Action::AppointmentsLoaded(result) => appointments_loaded(app, result),
        Action::Cancelled(result) => cancelled(app, result),
        Action::Exported(result) => {
            match result {
                Ok(path) => tell(
                    app,
                    Level::Success,
                    format!("✔ Saved {} (open it with your calendar)", path.display()),
                ),
                Err(why) => tell(app, Level::Error, format!("Not exported: {why}")),
            }
            Vec::new()
        }
        Action::Live(update) => live(app, update),
    }
}

fn tell(app: &mut App, level: Level, text: impl Into<String>) {
    app.status = Some(Status {
        level,
        text: text.into(),
        at: app.now,
    });
}

/// An error from a call: back to signing in if the session is over, else on the status line.
fn failed(app: &mut App, what: &str, error: &ClientError) -> Vec<Command> {
    if error.is_unauthenticated() && app.account.is_some() {
        return session_lost(app);
    }
    tell(app, Level::Error, format!("{what}: {}", error.in_words()));
    Vec::new()
}

fn tick(app: &mut App, now: dentismile_domain::jiff::Timestamp) -> Vec<Command> {
    app.now = now;
    if app.account.is_some() && now.duration_since(app.session_checked_at) >= SESSION_CHECK {
        app.session_checked_at = now;
        return vec![Command::CheckSession];
    }
    Vec::new()
}

fn back(app: &mut App) -> Vec<Command> {
    if app.help {
        app.help = false;
        return Vec::new();
    }
    if let Some(dialog) = &app.dialog {
        // A call under way cannot be taken back; its answer opens the outcome.
        if !matches!(dialog, Dialog::Booking { .. } | Dialog::Cancelling { .. }) {
            app.dialog = None;
        }
        return Vec::new();
    }
    match app.screen {
        Screen::SignIn => app.status = None,
        Screen::Main => match app.pane {
            Pane::Clinics => app.status = None,
            Pane::Week | Pane::Earliest | Pane::Appointments => app.pane = Pane::Clinics,
        },
    }
    Vec::new()
}

/// Typing (`Some`) or deleting (`None`) in the focused text field.
fn type_into(app: &mut App, c: Option<char>) {
    let (text, limit) = match &mut app.dialog {
        Some(Dialog::ConfirmBooking { note, .. }) => (note, MAX_NOTE),
        Some(Dialog::ConfirmCancel { reason, .. }) => (reason, MAX_NOTE),
        Some(_) => return,
        None if app.screen == Screen::SignIn && !app.sign_in.busy => {
            let field = app.sign_in.field;
            (app.sign_in.value_mut(field), SignInForm::limit(field))
        }
        None => return,
    };
    match c {
        Some(c) if !c.is_control() && text.chars().count() < limit => text.push(c),
        Some(_) => {}
        None => {
            text.pop();
        }
    }
}

fn switch_pane(app: &mut App, forward: bool) -> Vec<Command> {
    if app.dialog.is_some() {
        return Vec::new();
    }
    match app.screen {
        Screen::SignIn => {
            move_field(app, if forward { 1 } else { -1 });
            Vec::new()
        }
        Screen::Main => {
            let pane = if forward {
                app.pane.next()
            } else {
                app.pane.previous()
            };
            show_pane(app, pane)
        }
    }
}

fn move_field(app: &mut App, delta: isize) {
    let fields = app.sign_in.fields();
    let i = fields
        .iter()
        .position(|f| *f == app.sign_in.field)
        .unwrap_or(0);
    let next = (i as isize + delta).rem_euclid(fields.len() as isize) as usize;
    app.sign_in.field = fields[next];
}

fn show_pane(app: &mut App, pane: Pane) -> Vec<Command> {
    if app.screen != Screen::Main || app.dialog.is_some() {
        return Vec::new();
    }
    app.pane = pane;
    match pane {
        Pane::Earliest if !app.earliest.loaded && !app.earliest.loading => {
            app.earliest.loading = true;
            vec![Command::LoadEarliest]
        }
        // Listed every time it is shown: bookings made elsewhere show up.
        Pane::Appointments => {
            app.appointments.loading = true;
            vec![Command::LoadAppointments]
        }
        _ => Vec::new(),
    }
}

fn move_cursor(app: &mut App, dx: isize, dy: isize) -> Vec<Command> {
    match &mut app.dialog {
        Some(Dialog::ConfirmBooking {
            choices, selected, ..
        }) => {
            *selected = step(*selected, dy, choices.len());
            return Vec::new();
        }
        Some(Dialog::Taken {
            alternatives: Some(alternatives),
            selected,
            ..
        }) => {
            *selected = step(*selected, dy, alternatives.len());
            return Vec::new();
        }
        Some(_) => return Vec::new(),
        None => {}
    }
    if app.screen == Screen::SignIn {
        if dy != 0 {
            move_field(app, dy.signum());
        }
        return Vec::new();
    }
    let body = layout::bands(app.area).body;
    match app.pane {
        Pane::Clinics => {
            app.clinic_cursor.move_by(dy, app.clinics.len());
            app.clinic_cursor.follow(layout::clinics_visible(body));
            Vec::new()
        }
        Pane::Week => move_in_week(app, dx, dy),
        Pane::Earliest => {
            app.earliest.cursor.move_by(dy, app.earliest.slots.len());
            app.earliest.cursor.follow(layout::table_visible(body));
            Vec::new()
        }
        Pane::Appointments => {
            app.appointments
                .cursor
                .move_by(dy, app.appointments.items.len());
            follow_appointments(app);
            Vec::new()
        }
    }
}

/// `index + delta` within `0..len`, saturating.
fn step(index: usize, delta: isize, len: usize) -> usize {
    index
        .saturating_add_signed(delta)
        .min(len.saturating_sub(1))
}

fn move_in_week(app: &mut App, dx: isize, dy: isize) -> Vec<Command> {
    let mut commands = Vec::new();
    if dx != 0 {
        let day = app.week.cursor_day as isize + dx;
        if day < 0 {
            commands = shift_week(app, -1, false);
        } else if day >= WEEK_DAYS as isize {
            commands = shift_week(app, 1, false);
        } else {
            app.week.cursor_day = day as usize;
        }
    }
    if dy != 0 {
        let rows = app.week.rows();
        if let Some(row) = app.week.cursor_row(&rows) {
            app.week.cursor_minute = rows[step(row, dy, rows.len())];
        }
    }
    keep_week_cursor_visible(app);
    commands
}

fn keep_week_cursor_visible(app: &mut App) {
    let rows = app.week.rows();
    let visible = layout::week_visible(layout::bands(app.area).body);
    match app.week.cursor_row(&rows) {
        Some(row) => app.week.scroll = crate::app::follow(row, app.week.scroll, visible),
        None => app.week.scroll = 0,
    }
}

fn follow_appointments(app: &mut App) {
    let visible = layout::table_visible(layout::bands(app.area).body);
    let lines = app.appointments.lines(app.now);
    let line = lines
        .iter()
        .position(|l| *l == AppointmentLine::Item(app.appointments.cursor.selected))
        .unwrap_or(0);
    // The "Upcoming" heading stays in view while the first appointment is selected.
    let line = if line == 1 { 0 } else { line };
    app.appointments.cursor.offset =
        crate::app::follow(line, app.appointments.cursor.offset, visible);
}

fn keep_cursors_visible(app: &mut App) {
    let body = layout::bands(app.area).body;
    app.clinic_cursor.follow(layout::clinics_visible(body));
    app.earliest.cursor.follow(layout::table_visible(body));
    keep_week_cursor_visible(app);
    follow_appointments(app);
}

/// Moves the week's window by `days` (never before today, never past the horizon). With
/// `jump`, the cursor goes to the first free slot of the new window once it is listed.
fn shift_week(app: &mut App, days: i32, jump: bool) -> Vec<Command> {
    if app.screen != Screen::Main || app.week.clinic_id.is_none() {
        return Vec::new();
    }
    let today = app.today();
    let last_first_day = today.plus_days(MAX_DAYS_AHEAD - WEEK_DAYS as i32);
    let wanted = app
        .week
        .first_day
        .plus_days(days)
        .max(today)
        .min(last_first_day);
    if wanted == app.week.first_day {
        // At an end already: a step by a day still moves the cursor to the edge.
        if !jump {
            app.week.cursor_day = if days < 0 { 0 } else { WEEK_DAYS - 1 };
        }
        return Vec::new();
    }
    app.week.first_day = wanted;
    if jump {
        app.week.place_cursor = true;
    }
    list_week(app)
}

fn today(app: &mut App) -> Vec<Command> {
    if app.screen != Screen::Main || app.week.clinic_id.is_none() {
        return Vec::new();
    }
    let back = -(app.today().days_until(app.week.first_day) as i32);
    if back != 0 {
        app.week.cursor_day = 0;
        return shift_week(app, back, true);
    }
    // Already there: straight to the first free slot.
    if let Some((day, minute)) = app.week.first_free(app.now) {
        app.week.cursor_day = day;
        app.week.cursor_minute = minute;
    }
    keep_week_cursor_visible(app);
    Vec::new()
}

/// Follows and lists the week's window.
fn list_week(app: &mut App) -> Vec<Command> {
    let Some(watch) = app.week.watch() else {
        return Vec::new();
    };
    let request = app.request_id();
    app.week.listing = Some(request);
    app.week.pending.clear();
    vec![
        Command::Watch(Some(watch.clone())),
        Command::LoadSlots { request, watch },
    ]
}

fn open_week(app: &mut App, clinic_id: String) -> Vec<Command> {
    let today = app.today();
    let same = app.week.clinic_id.as_deref() == Some(clinic_id.as_str());
    app.pane = Pane::Week;
    if same && app.week.first_day >= today {
        return Vec::new();
    }
    app.week = Week::new(today);
    app.week.clinic_id = Some(clinic_id);
    app.week.place_cursor = true;
    list_week(app)
}

fn activate(app: &mut App) -> Vec<Command> {
    if let Some(dialog) = app.dialog.take() {
        return activate_dialog(app, dialog);
    }
    match app.screen {
        Screen::SignIn => submit_sign_in(app),
        Screen::Main => match app.pane {
            Pane::Clinics => match app.selected_clinic() {
                Some(clinic) => {
                    let id = clinic.id.clone();
                    open_week(app, id)
                }
                None => Vec::new(),
            },
            Pane::Week => {
                let rows = app.week.rows();
                let Some(row) = app.week.cursor_row(&rows) else {
                    tell(
                        app,
                        Level::Info,
                        "No slots this week: try ] for the next one",
                    );
                    return Vec::new();
                };
                let choices: Vec<Slot> = app
                    .week
                    .cell(app.week.cursor_day, rows[row], app.now)
                    .into_iter()
                    .cloned()
                    .collect();
                if choices.is_empty() {
                    tell(
                        app,
                        Level::Info,
                        format!(
                            "No free slot {} at {}",
                            local_time::day(app.week.cursor_date()),
                            local_time::clock(rows[row])
                        ),
                    );
                } else {
                    confirm_booking(app, choices);
                }
                Vec::new()
            }
            Pane::Earliest => {
                if let Some(slot) = app.earliest.slots.get(app.earliest.cursor.selected) {
                    let slot = slot.clone();
                    confirm_booking(app, vec![slot]);
                }
                Vec::new()
            }
            Pane::Appointments => {
                tell(
                    app,
                    Level::Info,
                    "c cancels the selected appointment, x saves it to a calendar file",
                );
                Vec::new()
            }
        },
    }
}

fn confirm_booking(app: &mut App, choices: Vec<Slot>) {
    app.dialog = Some(Dialog::ConfirmBooking {
        choices,
        selected: 0,
        note: String::new(),
    });
}

fn activate_dialog(app: &mut App, dialog: Dialog) -> Vec<Command> {
    match dialog {
        Dialog::ConfirmBooking {
            choices,
            selected,
            note,
        } => match choices.into_iter().nth(selected) {
            Some(slot) => {
                app.dialog = Some(Dialog::Booking { slot: slot.clone() });
                vec![Command::Book {
                    slot,
                    note: note.trim().to_string(),
                }]
            }
            None => Vec::new(),
        },
        Dialog::Taken {
            alternatives: Some(alternatives),
            selected,
            ..
        } if !alternatives.is_empty() => {
            let choice = alternatives.into_iter().nth(selected).into_iter().collect();
            confirm_booking(app, choice);
            Vec::new()
        }
        Dialog::ConfirmCancel {
            appointment,
            reason,
        } => {
            let appointment_id = appointment.id.clone();
            app.dialog = Some(Dialog::Cancelling { appointment });
            vec![Command::Cancel {
                appointment_id,
                reason: reason.trim().to_string(),
            }]
        }
        // Calls under way stay open until their answer.
        busy @ (Dialog::Booking { .. } | Dialog::Cancelling { .. }) => {
            app.dialog = Some(busy);
            Vec::new()
        }
        // Outcomes close.
        Dialog::Booked { .. }
        | Dialog::NotBooked { .. }
        | Dialog::Taken { .. }
        | Dialog::NotCancelled { .. } => Vec::new(),
    }
}

fn submit_sign_in(app: &mut App) -> Vec<Command> {
    let form = &mut app.sign_in;
    if form.busy {
        return Vec::new();
    }
    let email = form.email.trim().to_string();
    let missing = if email.is_empty() {
        Some((Field::Email, "Type your email"))
    } else if form.register && form.name.trim().is_empty() {
        Some((Field::Name, "Type your name"))
    } else if form.password.is_empty() {
        Some((Field::Password, "Type your password"))
    } else {
        None
    };
    if let Some((field, message)) = missing {
        form.field = field;
        tell(app, Level::Error, message);
        return Vec::new();
    }
    form.busy = true;
    let password = Secret(form.password.clone());
    let command = if form.register {
        Command::Register {
            email,
            password,
            name: form.name.trim().to_string(),
        }
    } else {
        Command::SignIn { email, password }
    };
    tell(
        app,
        Level::Info,
        if app.sign_in.register {
            "Registering…"
        } else {
            "Signing in…"
        },
    );
    vec![command]
}

fn signed_in(app: &mut App, result: Result<pb::Account, ClientError>) -> Vec<Command> {
    app.sign_in.busy = false;
    match result {
        Ok(account) => {
            app.sign_in.password.clear();
            let mut text = format!("Signed in as {}", account.display_name);
            if account.role != pb::Role::Patient as i32 {
                text.push_str(" — a staff account: booking needs a patient account");
            }
            app.account = Some(account);
            app.screen = Screen::Main;
            app.pane = Pane::Clinics;
            app.session_checked_at = app.now;
            tell(app, Level::Success, text);
            let mut commands = vec![Command::LoadAppointments];
            app.appointments.loading = true;
            if app.clinics.is_empty() {
                app.clinics_loading = true;
                commands.push(Command::LoadClinics);
            }
            commands
        }
        Err(error) => {
            tell(app, Level::Error, error.in_words());
            Vec::new()
        }
    }
}

/// Back to the sign-in screen with nothing of the last session left on screen.
fn leave_session(app: &mut App) -> Vec<Command> {
    app.account = None;
    app.screen = Screen::SignIn;
    app.pane = Pane::Clinics;
    app.dialog = None;
    app.sign_in.password.clear();
    app.sign_in.busy = false;
    app.sign_in.field = if app.sign_in.email.is_empty() {
        Field::Email
    } else {
        Field::Password
    };
    app.appointments = Default::default();
    app.earliest = Default::default();
    app.week = Week::new(app.today());
    app.live = None;
    vec![Command::Watch(None)]
}

fn session_lost(app: &mut App) -> Vec<Command> {
    let commands = leave_session(app);
    tell(app, Level::Error, "Your session has ended: sign in again");
    commands
}

fn sign_out(app: &mut App) -> Vec<Command> {
    if app.account.is_none() {
        return Vec::new();
    }
    let mut commands = leave_session(app);
    tell(app, Level::Info, "Signed out");
    commands.push(Command::SignOut);
    commands
}

fn cycle_dentist(app: &mut App) -> Vec<Command> {
    if app.screen != Screen::Main || app.pane != Pane::Week || app.dialog.is_some() {
        return Vec::new();
    }
    let Some(clinic) = app.week_clinic() else {
        return Vec::new();
    };
    let ids: Vec<String> = clinic.dentists.iter().map(|d| d.id.clone()).collect();
    let next = match &app.week.dentist {
        None => ids.first().cloned(),
        Some(current) => ids
            .iter()
            .position(|id| id == current)
            .and_then(|i| ids.get(i + 1).cloned()),
    };
    let text = match &next {
        Some(id) => format!(
            "Showing {} only (d: next dentist)",
            app.dentist_name(&clinic.id, id)
        ),
        None => "Showing every dentist".to_string(),
    };
    app.week.dentist = next;
    tell(app, Level::Info, text);
    keep_week_cursor_visible(app);
    Vec::new()
}

fn refresh(app: &mut App) -> Vec<Command> {
    if app.screen != Screen::Main {
        return Vec::new();
    }
    match app.pane {
        Pane::Clinics => {
            app.clinics_loading = true;
            vec![Command::LoadClinics]
        }
        Pane::Week => list_week(app),
        Pane::Earliest => {
            app.earliest.loading = true;
            vec![Command::LoadEarliest]
        }
        Pane::Appointments => {
            app.appointments.loading = true;
            vec![Command::LoadAppointments]
        }
    }
}

fn ask_to_cancel(app: &mut App) -> Vec<Command> {
    if app.screen != Screen::Main || app.pane != Pane::Appointments || app.dialog.is_some() {
        return Vec::new();
    }
    match app.appointments.selected(app.now) {
        Some(appointment) if is_upcoming(appointment, app.now) => {
            app.dialog = Some(Dialog::ConfirmCancel {
                appointment: appointment.clone(),
                reason: String::new(),
            });
        }
        Some(_) => tell(
            app,
            Level::Info,
            "Only upcoming appointments can be cancelled",
        ),
        None => tell(app, Level::Info, "No appointment selected"),
    }
    Vec::new()
}

fn export(app: &mut App, all: bool) -> Vec<Command> {
    if app.screen != Screen::Main || app.pane != Pane::Appointments || app.dialog.is_some() {
        return Vec::new();
    }
    let chosen: Vec<&pb::Appointment> = if all {
        app.appointments
            .ordered(app.now)
            .into_iter()
            .filter(|a| is_upcoming(a, app.now))
            .collect()
    } else {
        app.appointments
            .selected(app.now)
            .filter(|a| a.status == pb::AppointmentStatus::Booked as i32)
            .into_iter()
            .collect()
    };
    if chosen.is_empty() {
        tell(
            app,
            Level::Info,
            if all {
                "No upcoming appointments to export"
            } else {
                "Select a booked appointment to export"
            },
        );
        return Vec::new();
    }
    let events: Vec<ics::Event> = chosen
        .iter()
        .filter_map(|a| ics::Event::from_appointment(a, app.clinic(&clinic_of(a))))
        .collect();
    let name = match (all, chosen.first().and_then(|a| appointment_times(a))) {
        (false, Some((start, _))) => format!(
            "dentismile-{}.ics",
            dentismile_domain::time::to_local(start).strftime("%Y-%m-%d-%H%M")
        ),
        _ => "dentismile-appointments.ics".to_string(),
    };
    vec![Command::Export {
        path: app.export_dir.join(name),
        contents: ics::calendar(&events, app.now),
    }]
}

fn clinic_of(appointment: &pb::Appointment) -> String {
    appointment
        .slot
        .as_ref()
        .and_then(|s| s.r#ref.as_ref())
        .map(|r| r.clinic_id.clone())
        .unwrap_or_default()
}

fn click(app: &mut App, column: u16, row: u16) -> Vec<Command> {
    if app.help {
        app.help = false;
        return Vec::new();
    }
    if app.dialog.is_some() {
        return Vec::new();
    }
    if app.screen == Screen::SignIn {
        let form = layout::sign_in(app.area, app.sign_in.fields().len());
        if let Some(i) = form
            .fields
            .iter()
            .position(|f| f.y == row && (f.x..f.right()).contains(&column))
        {
            app.sign_in.field = app.sign_in.fields()[i];
        }
        return Vec::new();
    }
    let bands = layout::bands(app.area);
    if row == bands.tabs.y {
        return match layout::tabs(bands.tabs)
            .into_iter()
            .find(|(_, r)| (r.x..r.right()).contains(&column))
        {
            Some((pane, _)) => show_pane(app, pane),
            None => Vec::new(),
        };
    }
    match app.pane {
        Pane::Clinics => {
            let list = layout::clinics(bands.body).list;
            let Some(line) = layout::row_at(list, column, row) else {
                return Vec::new();
            };
            let index = app.clinic_cursor.offset + line / usize::from(layout::CLINIC_LINES);
            click_select(app, index, app.clinics.len(), |app| &mut app.clinic_cursor)
        }
        Pane::Week => {
            let week = layout::week(bands.body);
            let Some((day, shown_row)) = week.cell_at(column, row) else {
                return Vec::new();
            };
            let rows = app.week.rows();
            let Some(minute) = rows.get(app.week.scroll + shown_row).copied() else {
                return Vec::new();
            };
            let again = app.week.cursor_day == day && app.week.cursor_minute == minute;
            app.week.cursor_day = day;
            app.week.cursor_minute = minute;
            // A second click on the selected free slot books it, like Enter.
            if again {
                return activate(app);
            }
            Vec::new()
        }
        Pane::Earliest => {
            let rows = layout::table(bands.body).rows;
            let Some(line) = layout::row_at(rows, column, row) else {
                return Vec::new();
            };
            let index = app.earliest.cursor.offset + line;
            click_select(app, index, app.earliest.slots.len(), |app| {
                &mut app.earliest.cursor
            })
        }
        Pane::Appointments => {
            let rows = layout::table(bands.body).rows;
            let Some(line) = layout::row_at(rows, column, row) else {
                return Vec::new();
            };
            let lines = app.appointments.lines(app.now);
            if let Some(AppointmentLine::Item(index)) =
                lines.get(app.appointments.cursor.offset + line)
            {
                app.appointments.cursor.selected = *index;
            }
            Vec::new()
        }
    }
}

/// Selects a clicked list item; clicking the selected one again acts on it.
fn click_select(
    app: &mut App,
    index: usize,
    len: usize,
    cursor: fn(&mut App) -> &mut crate::app::ListCursor,
) -> Vec<Command> {
    if index >= len {
        return Vec::new();
    }
    let list = cursor(app);
    let again = list.selected == index;
    list.selected = index;
    if again { activate(app) } else { Vec::new() }
}

fn clinics_loaded(app: &mut App, result: Result<Vec<pb::Clinic>, ClientError>) -> Vec<Command> {
    app.clinics_loading = false;
    match result {
        Ok(clinics) => {
            let selected = app.selected_clinic().map(|c| c.id.clone());
            app.clinics = clinics;
            app.clinic_cursor.selected = selected
                .and_then(|id| app.clinics.iter().position(|c| c.id == id))
                .unwrap_or(0);
            app.clinic_cursor.clamp(app.clinics.len());
            app.clinic_cursor
                .follow(layout::clinics_visible(layout::bands(app.area).body));
            Vec::new()
        }
        Err(error) => {
            let what = if app.screen == Screen::Main {
                "Clinics not listed (r retries)"
            } else {
                "Clinics not listed"
            };
            failed(app, what, &error)
        }
    }
}

fn slots_loaded(
    app: &mut App,
    request: u64,
    result: Result<Vec<pb::Slot>, ClientError>,
) -> Vec<Command> {
    // Only the latest listing counts: an earlier one was of a window or clinic no longer
    // shown, or was overtaken by a resync and may have been read before events applied since.
    if app.week.listing != Some(request) {
        return Vec::new();
    }
    app.week.listing = None;
    match result {
        Ok(slots) => {
            app.week.slots = slots
                .iter()
                .filter_map(Slot::from_wire)
                .map(|s| (s.key(), s))
                .collect();
            // Events seen while the listing was under way may be newer than it.
            for event in std::mem::take(&mut app.week.pending) {
                app.week.apply(&event);
            }
            if app.week.place_cursor {
                app.week.place_cursor = false;
                if let Some((day, minute)) = app.week.first_free(app.now) {
                    app.week.cursor_day = day;
                    app.week.cursor_minute = minute;
                } else if let Some(first) = app.week.rows().first() {
                    app.week.cursor_minute = *first;
                }
                app.week.scroll = 0;
            }
            keep_week_cursor_visible(app);
            Vec::new()
        }
        Err(error) => {
            app.week.pending.clear();
            failed(app, "Slots not listed (r retries)", &error)
        }
    }
}

fn earliest_loaded(app: &mut App, result: Result<Vec<pb::Slot>, ClientError>) -> Vec<Command> {
    app.earliest.loading = false;
    match result {
        Ok(slots) => {
            app.earliest.slots = slots.iter().filter_map(Slot::from_wire).collect();
            app.earliest.loaded = true;
            app.earliest.cursor.clamp(app.earliest.slots.len());
            Vec::new()
        }
        Err(error) => failed(app, "Earliest slots not found (r retries)", &error),
    }
}

fn booked(app: &mut App, slot: Slot, result: Result<pb::Appointment, ClientError>) -> Vec<Command> {
    // Whatever the outcome, the slot is not free for us any more (unless the call failed for
    // another reason, when the next listing tells).
    let refresh_lists = |app: &mut App| {
        let mut commands = vec![Command::LoadAppointments];
        app.appointments.loading = true;
        if app.earliest.loaded {
            app.earliest.loading = true;
            commands.push(Command::LoadEarliest);
        }
        commands
    };
    match result {
        Ok(appointment) => {
            app.week.mark_taken(&slot);
            app.earliest.slots.retain(|s| !s.same_as(&slot));
            tell(
                app,
                Level::Success,
                format!(
                    "✔ Booked {} at {}",
                    local_time::span(slot.start, slot.end),
                    app.clinic_name(&slot.clinic_id)
                ),
            );
            app.dialog = Some(Dialog::Booked { appointment });
            refresh_lists(app)
        }
        Err(error) if error.is_taken() => {
            app.week.mark_taken(&slot);
            app.earliest.slots.retain(|s| !s.same_as(&slot));
            tell(app, Level::Error, "✘ Taken by someone else a moment ago");
            app.dialog = Some(Dialog::Taken {
                slot: slot.clone(),
                alternatives: None,
                selected: 0,
            });
            let mut commands = vec![Command::FindAlternatives { taken: slot }];
            if app.earliest.loaded {
                app.earliest.loading = true;
                commands.push(Command::LoadEarliest);
            }
            commands
        }
        Err(error) if error.is_unauthenticated() => session_lost(app),
        Err(error) => {
            tell(app, Level::Error, format!("✘ Not booked: {error}"));
            app.dialog = Some(Dialog::NotBooked {
                slot,
                message: error.to_string(),
            });
            Vec::new()
        }
    }
}

fn alternatives_loaded(
    app: &mut App,
    taken: Slot,
    result: Result<Vec<pb::Slot>, ClientError>,
) -> Vec<Command> {
    let Some(Dialog::Taken {
        slot,
        alternatives,
        selected,
    }) = &mut app.dialog
    else {
        return Vec::new();
    };
    if !slot.same_as(&taken) {
        return Vec::new();
    }
    *selected = 0;
    match result {
        Ok(found) => {
            let candidates: Vec<Slot> = found.iter().filter_map(Slot::from_wire).collect();
            *alternatives = Some(nearest_alternatives(
                &taken,
                &candidates,
                app.now,
                ALTERNATIVES,
            ));
            Vec::new()
        }
        Err(error) => {
            *alternatives = Some(Vec::new());
            failed(app, "No alternatives found", &error)
        }
    }
}

fn appointments_loaded(
    app: &mut App,
    result: Result<Vec<pb::Appointment>, ClientError>,
) -> Vec<Command> {
    app.appointments.loading = false;
    match result {
        Ok(items) => {
            // Keep the same appointment selected if it is still there.
            let selected = app.appointments.selected(app.now).map(|a| a.id.clone());
            app.appointments.items = items;
            app.appointments.loaded = true;
            let ordered = app.appointments.ordered(app.now);
            let index = selected.and_then(|id| ordered.iter().position(|a| a.id == id));
            app.appointments.cursor.selected = index.unwrap_or(0);
            app.appointments.cursor.clamp(app.appointments.items.len());
            follow_appointments(app);
            Vec::new()
        }
        Err(error) => failed(app, "Appointments not listed (r retries)", &error),
    }
}

fn cancelled(app: &mut App, result: Result<pb::Appointment, ClientError>) -> Vec<Command> {
    let asked = match app.dialog.take() {
        Some(Dialog::Cancelling { appointment }) => Some(appointment),
        _ => None,
    };
    match result {
        Ok(appointment) => {
            let when = appointment_times(&appointment)
                .map(|(s, e)| local_time::span(s, e))
                .unwrap_or_default();
            tell(
                app,
                Level::Success,
                format!("✔ Cancelled {when} at {}", appointment.clinic_name),
            );
            if let Some(known) = app
                .appointments
                .items
                .iter_mut()
                .find(|a| a.id == appointment.id)
            {
                *known = appointment;
            }
            app.appointments.loading = true;
            vec![Command::LoadAppointments]
        }
        Err(error) if error.is_unauthenticated() => session_lost(app),
        // The server's words say why (the 24-hour cutoff, an appointment that started); a
        // dialog has room for all of them, the status line keeps them after it closes.
        Err(error) => {
            tell(app, Level::Error, format!("✘ Not cancelled: {error}"));
            if let Some(appointment) = asked {
                app.dialog = Some(Dialog::NotCancelled {
                    appointment,
                    message: error.to_string(),
                });
            }
            Vec::new()
        }
    }
}

fn live(app: &mut App, update: LiveUpdate) -> Vec<Command> {
    match update {
        LiveUpdate::Connection(connection) => {
            app.live = Some(connection);
            Vec::new()
        }
        LiveUpdate::Resync => list_week(app),
        LiveUpdate::Event(event) => {
            if app.week.apply(&event) && app.week.loading() {
                app.week.pending.push(event.clone());
            }
            if !event.leaves_free() {
                app.earliest.slots.retain(|s| {
                    !(s.clinic_id == event.clinic_id
                        && s.dentist_id == event.dentist_id
                        && s.start == event.slot_start)
                });
                app.earliest.cursor.clamp(app.earliest.slots.len());
            }
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests;
