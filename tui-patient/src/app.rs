//! [`App`]: everything the screen shows, and the questions the screens ask of it. Changed only
//! by [`crate::update`]; read by [`crate::view`].

use std::{collections::BTreeMap, path::PathBuf};

use dentismile_client::{Connection, LiveEvent, Watch, pb};
use dentismile_domain::{
    jiff::{SignedDuration, Timestamp},
    time::LocalDay,
};
use ratatui::layout::Rect;

use crate::local_time::{from_wire, minute_of_day};

/// Days in the week view.
pub const WEEK_DAYS: usize = 7;
/// How far ahead the week view may go (the server's booking horizon is shorter; beyond it the
/// week is simply empty).
pub const MAX_DAYS_AHEAD: i32 = 366;
/// How many alternatives are offered when a slot was taken.
pub const ALTERNATIVES: usize = 5;
/// How long a note or cancellation reason may be (the server's limit).
pub const MAX_NOTE: usize = 500;

/// Which screen is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Sign in or register.
    SignIn,
    /// The booker, once signed in.
    Main,
}

/// The panes of the main screen, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// Clinic list and map.
    Clinics,
    /// Free slots of one clinic over seven days.
    Week,
    /// The earliest free slots across every clinic.
    Earliest,
    /// The patient's appointments.
    Appointments,
}

impl Pane {
    /// Tab order.
    pub const ALL: [Pane; 4] = [
        Pane::Clinics,
        Pane::Week,
        Pane::Earliest,
        Pane::Appointments,
    ];

    /// The pane Tab goes to.
    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// The pane Shift-Tab goes to.
    pub fn previous(self) -> Self {
        let i = Self::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Self::ALL[(i + Self::ALL.len() - 1) % Self::ALL.len()]
    }

    /// Its name on the tab bar.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Clinics => "Clinics",
            Pane::Week => "Week",
            Pane::Earliest => "Earliest",
            Pane::Appointments => "My appointments",
        }
    }

    /// The digit that jumps to it.
    pub fn key(self) -> char {
        match self {
            Pane::Clinics => '1',
            Pane::Week => '2',
            Pane::Earliest => '3',
            Pane::Appointments => '4',
        }
    }
}

/// A field of the sign-in form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Email.
    Email,
    /// Password (shown as dots).
    Password,
    /// Display name (registration only).
    Name,
}

/// The sign-in / registration form.
#[derive(Clone, PartialEq, Eq)]
pub struct SignInForm {
    /// Registering a new account rather than signing in.
    pub register: bool,
    /// Email as typed.
    pub email: String,
    /// Password as typed; never rendered, never logged.
    pub password: String,
    /// Display name (registration).
    pub name: String,
    /// The field that receives typing.
    pub field: Field,
    /// A sign-in call is under way.
    pub busy: bool,
}

impl Default for SignInForm {
    fn default() -> Self {
        Self {
            register: false,
            email: String::new(),
            password: String::new(),
            name: String::new(),
            field: Field::Email,
            busy: false,
        }
    }
}

// By hand, so that a debug line of the state can never carry the password.
impl std::fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInForm")
            .field("register", &self.register)
            .field("email", &self.email)
            .field(
                "password",
                &format_args!("<{} characters>", self.password.chars().count()),
            )
            .field("name", &self.name)
            .field("field", &self.field)
            .field("busy", &self.busy)
            .finish()
    }
}

impl SignInForm {
    /// The fields shown, in order.
    pub fn fields(&self) -> &'static [Field] {
        if self.register {
            &[Field::Email, Field::Name, Field::Password]
        } else {
            &[Field::Email, Field::Password]
        }
    }

    /// The text of a field.
    pub fn value_mut(&mut self, field: Field) -> &mut String {
        match field {
            Field::Email => &mut self.email,
            Field::Password => &mut self.password,
            Field::Name => &mut self.name,
        }
    }

    /// The longest value the server accepts for a field.
    pub fn limit(field: Field) -> usize {
        match field {
            Field::Email => 254,
            Field::Password => 128,
            Field::Name => 100,
        }
    }
}

/// What a slot is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    /// Bookable.
    Free,
    /// Someone holds it.
    Booked,
    /// Taken off the schedule.
    Withdrawn,
}

/// A slot, with its local day and time of day worked out once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The clinic.
    pub clinic_id: String,
    /// The dentist.
    pub dentist_id: String,
    /// First instant.
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
    /// Free, booked or withdrawn.
    pub state: SlotState,
    /// Local day of `start`.
    pub day: LocalDay,
    /// Local minutes since midnight of `start`.
    pub minute: i32,
}

impl Slot {
    /// A slot from its parts.
    pub fn new(
        clinic_id: &str,
        dentist_id: &str,
        start: Timestamp,
        end: Timestamp,
        state: SlotState,
    ) -> Self {
        Self {
            clinic_id: clinic_id.to_string(),
            dentist_id: dentist_id.to_string(),
            start,
            end,
            state,
            day: LocalDay::of(start),
            minute: minute_of_day(start),
        }
    }

    /// From the wire; `None` if a required part is missing.
    pub fn from_wire(slot: &pb::Slot) -> Option<Self> {
        let slot_ref = slot.r#ref.as_ref()?;
        let state = match pb::SlotState::try_from(slot.state).ok()? {
            pb::SlotState::Free => SlotState::Free,
            pb::SlotState::Booked => SlotState::Booked,
            pb::SlotState::Withdrawn => SlotState::Withdrawn,
            pb::SlotState::Unspecified => return None,
        };
        Some(Self::new(
            &slot_ref.clinic_id,
            &slot_ref.dentist_id,
            from_wire(slot_ref.start.as_ref())?,
            from_wire(slot.end.as_ref())?,
            state,
        ))
    }

    /// Its reference, for booking.
    pub fn slot_ref(&self) -> pb::SlotRef {
        pb::SlotRef {
            clinic_id: self.clinic_id.clone(),
            dentist_id: self.dentist_id.clone(),
            start: Some(crate::local_time::to_wire(self.start)),
        }
    }

    /// Where it sits in the week's map.
    pub fn key(&self) -> (Timestamp, String) {
        (self.start, self.dentist_id.clone())
    }

    /// Free and not yet started: bookable as far as this client knows.
    pub fn bookable(&self, now: Timestamp) -> bool {
        self.state == SlotState::Free && self.start > now
    }

    /// The same slot (clinic, dentist, start).
    pub fn same_as(&self, other: &Slot) -> bool {
        self.clinic_id == other.clinic_id
            && self.dentist_id == other.dentist_id
            && self.start == other.start
    }
}

/// A selection in a list and the first row shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListCursor {
    /// Selected item.
    pub selected: usize,
    /// First item shown.
    pub offset: usize,
}

impl ListCursor {
    /// Moves by `delta`, staying within `len` items.
    pub fn move_by(&mut self, delta: isize, len: usize) {
        if len == 0 {
            self.selected = 0;
            return;
        }
        self.selected = self.selected.saturating_add_signed(delta).min(len - 1);
    }

    /// Keeps the selection within `len` items.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = self.offset.min(self.selected);
    }

    /// Scrolls so that the selected item is among the `visible` shown.
    pub fn follow(&mut self, visible: usize) {
        self.offset = follow(self.selected, self.offset, visible);
    }
}

/// The first row to show so that `selected` is among `visible` rows starting at `offset`,
/// moving the view as little as possible.
pub fn follow(selected: usize, offset: usize, visible: usize) -> usize {
    let visible = visible.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + visible {
        selected + 1 - visible
    } else {
        offset
    }
}

/// The week view of one clinic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// The clinic shown; `None` until one is picked.
    pub clinic_id: Option<String>,
    /// The first of the seven days.
    pub first_day: LocalDay,
    /// Only this dentist's slots.
    pub dentist: Option<String>,
    /// Every slot of the clinic in (and around) the window, by (start, dentist).
    pub slots: BTreeMap<(Timestamp, String), Slot>,
    /// The request id of the listing under way: only its answer is taken (a live feed's
    /// resync asks again while the first listing is out, and that older answer may predate
    /// events applied since).
    pub listing: Option<u64>,
    /// Live events that arrived while a listing was under way: applied again on top of it,
    /// since the listing may have been read before them.
    pub pending: Vec<LiveEvent>,
    /// The selected column, 0..7.
    pub cursor_day: usize,
    /// The selected row, as local minutes since midnight (rows come and go as slots do; a time
    /// stays put).
    pub cursor_minute: i32,
    /// First row shown.
    pub scroll: usize,
    /// Put the cursor on the first free slot when the next listing arrives.
    pub place_cursor: bool,
}

impl Week {
    /// An empty week starting `today`.
    pub fn new(today: LocalDay) -> Self {
        Self {
            clinic_id: None,
            first_day: today,
            dentist: None,
            slots: BTreeMap::new(),
            listing: None,
            pending: Vec::new(),
            cursor_day: 0,
            cursor_minute: 0,
            scroll: 0,
            place_cursor: false,
        }
    }

    /// A listing is under way.
    pub fn loading(&self) -> bool {
        self.listing.is_some()
    }

    /// The seven days shown.
    pub fn days(&self) -> [LocalDay; WEEK_DAYS] {
        std::array::from_fn(|i| self.first_day.plus_days(i as i32))
    }

    /// The last day shown.
    pub fn last_day(&self) -> LocalDay {
        self.first_day.plus_days(WEEK_DAYS as i32 - 1)
    }

    /// The day under the cursor.
    pub fn cursor_date(&self) -> LocalDay {
        self.first_day.plus_days(self.cursor_day as i32)
    }

    /// What the live feed and the listing cover.
    pub fn watch(&self) -> Option<Watch> {
        self.clinic_id.as_ref().map(|clinic_id| Watch {
            clinic_id: clinic_id.clone(),
            from_day: self.first_day.to_string(),
            to_day: self.last_day().to_string(),
        })
    }

    fn shown(&self, slot: &Slot) -> bool {
        slot.day >= self.first_day
            && slot.day <= self.last_day()
            && self.dentist.as_ref().is_none_or(|d| *d == slot.dentist_id)
    }

    /// The rows: every local start time of the window's slots (free or not, so that rows stay
    /// put while slots are booked), for the chosen dentist.
    pub fn rows(&self) -> Vec<i32> {
        let mut rows: Vec<i32> = self
            .slots
            .values()
            .filter(|s| self.shown(s))
            .map(|s| s.minute)
            .collect();
        rows.sort_unstable();
        rows.dedup();
        rows
    }

    /// The bookable slots of a cell, by dentist.
    pub fn cell(&self, day: usize, minute: i32, now: Timestamp) -> Vec<&Slot> {
        let date = self.first_day.plus_days(day as i32);
        let mut found: Vec<&Slot> = self
            .slots
            .values()
            .filter(|s| s.day == date && s.minute == minute && self.shown(s) && s.bookable(now))
            .collect();
        found.sort_by(|a, b| a.dentist_id.cmp(&b.dentist_id));
        found
    }

    /// The row index of the cursor (the first row at or after its time).
    pub fn cursor_row(&self, rows: &[i32]) -> Option<usize> {
        if rows.is_empty() {
            return None;
        }
        Some(
            rows.iter()
                .position(|m| *m >= self.cursor_minute)
                .unwrap_or(rows.len() - 1),
        )
    }

    /// The first bookable slot of the window: (day index, minute).
    pub fn first_free(&self, now: Timestamp) -> Option<(usize, i32)> {
        self.slots
            .values()
            .filter(|s| self.shown(s) && s.bookable(now))
            .min_by_key(|s| (s.day, s.minute))
            .map(|s| (self.first_day.days_until(s.day).max(0) as usize, s.minute))
    }

    /// Applies a live event to the clinic's slots; `false` if it is not about this view.
    pub fn apply(&mut self, event: &LiveEvent) -> bool {
        if self.clinic_id.as_deref() != Some(event.clinic_id.as_str()) {
            return false;
        }
        let state = if event.leaves_free() {
            SlotState::Free
        } else if event.kind == pb::SlotEventKind::Booked {
            SlotState::Booked
        } else {
            SlotState::Withdrawn
        };
        let slot = Slot::new(
            &event.clinic_id,
            &event.dentist_id,
            event.slot_start,
            event.slot_end,
            state,
        );
        self.slots.insert(slot.key(), slot);
        true
    }

    /// Marks one slot as no longer free (we just booked it, or were told it is taken).
    pub fn mark_taken(&mut self, slot: &Slot) {
        if let Some(known) = self.slots.get_mut(&slot.key())
            && known.clinic_id == slot.clinic_id
        {
            known.state = SlotState::Booked;
        }
    }
}

/// The earliest free slots across clinics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Earliest {
    /// By start.
    pub slots: Vec<Slot>,
    /// Selection.
    pub cursor: ListCursor,
    /// A call is under way.
    pub loading: bool,
    /// Listed at least once.
    pub loaded: bool,
}

/// A line of the appointments list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentLine {
    /// "Upcoming (n)".
    Upcoming(usize),
    /// "Past and cancelled (n)".
    Past(usize),
    /// The n-th appointment in [`Appointments::ordered`] order.
    Item(usize),
}

/// The patient's appointments.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Appointments {
    /// As the server sent them (by start).
    pub items: Vec<pb::Appointment>,
    /// Selection, over [`Appointments::ordered`]; its offset counts lines.
    pub cursor: ListCursor,
    /// A call is under way.
    pub loading: bool,
    /// Listed at least once.
    pub loaded: bool,
}

/// Start and end of an appointment's slot.
pub fn appointment_times(appointment: &pb::Appointment) -> Option<(Timestamp, Timestamp)> {
    let slot = appointment.slot.as_ref()?;
    let start = from_wire(slot.r#ref.as_ref()?.start.as_ref())?;
    let end = from_wire(slot.end.as_ref())?;
    Some((start, end))
}

/// Whether an appointment is booked and has not ended.
pub fn is_upcoming(appointment: &pb::Appointment, now: Timestamp) -> bool {
    appointment.status == pb::AppointmentStatus::Booked as i32
        && appointment_times(appointment).is_some_and(|(_, end)| end > now)
}

impl Appointments {
    /// Upcoming ones first (soonest first), then past and cancelled ones (latest first).
    pub fn ordered(&self, now: Timestamp) -> Vec<&pb::Appointment> {
        let start = |a: &pb::Appointment| appointment_times(a).map(|(s, _)| s);
        let mut upcoming: Vec<&pb::Appointment> =
            self.items.iter().filter(|a| is_upcoming(a, now)).collect();
        upcoming.sort_by_key(|a| start(a));
        let mut past: Vec<&pb::Appointment> =
            self.items.iter().filter(|a| !is_upcoming(a, now)).collect();
        past.sort_by_key(|a| std::cmp::Reverse(start(a)));
        upcoming.extend(past);
        upcoming
    }

    /// How many are upcoming.
    pub fn upcoming_count(&self, now: Timestamp) -> usize {
        self.items.iter().filter(|a| is_upcoming(a, now)).count()
    }

    /// The lines shown: a heading before each non-empty section.
    pub fn lines(&self, now: Timestamp) -> Vec<AppointmentLine> {
        let upcoming = self.upcoming_count(now);
        let past = self.items.len() - upcoming;
        let mut lines = Vec::with_capacity(self.items.len() + 2);
        lines.push(AppointmentLine::Upcoming(upcoming));
        lines.extend((0..upcoming).map(AppointmentLine::Item));
        if past > 0 {
            lines.push(AppointmentLine::Past(past));
            lines.extend((upcoming..self.items.len()).map(AppointmentLine::Item));
        }
        lines
    }

    /// The selected appointment.
    pub fn selected(&self, now: Timestamp) -> Option<&pb::Appointment> {
        self.ordered(now).get(self.cursor.selected).copied()
    }
}

/// A modal dialog over the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// "Book this?" One slot, or several dentists at the same time to choose from.
    ConfirmBooking {
        /// The slots offered.
        choices: Vec<Slot>,
        /// The chosen one.
        selected: usize,
        /// Optional note for the dentist.
        note: String,
    },
    /// The booking call is under way.
    Booking {
        /// The slot.
        slot: Slot,
    },
    /// Confirmed.
    Booked {
        /// The appointment.
        appointment: pb::Appointment,
    },
    /// Someone else was faster; the nearest free alternatives (`None` while looking).
    Taken {
        /// The slot that was taken.
        slot: Slot,
        /// Nearest free slots.
        alternatives: Option<Vec<Slot>>,
        /// The chosen alternative.
        selected: usize,
    },
    /// Refused for another reason.
    NotBooked {
        /// The slot.
        slot: Slot,
        /// The server's words.
        message: String,
    },
    /// "Cancel this?" with a reason.
    ConfirmCancel {
        /// The appointment.
        appointment: pb::Appointment,
        /// Why (optional for patients).
        reason: String,
    },
    /// The cancel call is under way.
    Cancelling {
        /// The appointment.
        appointment: pb::Appointment,
    },
    /// The server refused to cancel (past the cutoff, say).
    NotCancelled {
        /// The appointment.
        appointment: pb::Appointment,
        /// The server's words.
        message: String,
    },
}

/// How a status message reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something happened.
    Info,
    /// Something the user asked for worked.
    Success,
    /// Something failed.
    Error,
}

/// The message on the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Info, success or error.
    pub level: Level,
    /// The words.
    pub text: String,
    /// When it was set, to let it fade.
    pub at: Timestamp,
}

/// The whole state of the booker.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// False once the user quit.
    pub running: bool,
    /// The time, advanced by ticks (update never reads the clock).
    pub now: Timestamp,
    /// The terminal's size.
    pub area: Rect,
    /// Sign-in or main.
    pub screen: Screen,
    /// The sign-in form.
    pub sign_in: SignInForm,
    /// Who is signed in.
    pub account: Option<pb::Account>,
    /// The focused pane.
    pub pane: Pane,
    /// Every clinic, by id.
    pub clinics: Vec<pb::Clinic>,
    /// Clinics are being listed.
    pub clinics_loading: bool,
    /// Selection in the clinic list.
    pub clinic_cursor: ListCursor,
    /// The week view.
    pub week: Week,
    /// Earliest free slots anywhere.
    pub earliest: Earliest,
    /// My appointments.
    pub appointments: Appointments,
    /// A dialog, if one is open.
    pub dialog: Option<Dialog>,
    /// The help overlay is open.
    pub help: bool,
    /// Where live updates come from; `None` when nothing is watched.
    pub live: Option<Connection>,
    /// The status line's message.
    pub status: Option<Status>,
    /// When the session was last checked (and refreshed if due).
    pub session_checked_at: Timestamp,
    /// Where .ics files are written.
    pub export_dir: PathBuf,
    /// The id of the next request, to tell stale answers from current ones (kept across
    /// sessions, so an answer to the last one matches nothing now).
    pub next_request: u64,
}

impl App {
    /// A fresh booker at `now` on an 80x24 terminal (until told otherwise).
    pub fn new(now: Timestamp, export_dir: PathBuf) -> Self {
        Self {
            running: true,
            now,
            area: Rect::new(0, 0, 80, 24),
            screen: Screen::SignIn,
            sign_in: SignInForm::default(),
            account: None,
            pane: Pane::Clinics,
            clinics: Vec::new(),
            clinics_loading: false,
            clinic_cursor: ListCursor::default(),
            week: Week::new(LocalDay::of(now)),
            earliest: Earliest::default(),
            appointments: Appointments::default(),
            dialog: None,
            help: false,
            live: None,
            status: None,
            session_checked_at: now,
            export_dir,
            next_request: 1,
        }
    }

    /// Today in Gothenburg.
    pub fn today(&self) -> LocalDay {
        LocalDay::of(self.now)
    }

    /// A fresh request id.
    pub fn request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    /// Whether printable keys type into a text field right now.
    pub fn typing(&self) -> bool {
        match &self.dialog {
            Some(Dialog::ConfirmBooking { .. } | Dialog::ConfirmCancel { .. }) => true,
            Some(_) => false,
            None => self.screen == Screen::SignIn,
        }
    }

    /// A clinic by id.
    pub fn clinic(&self, id: &str) -> Option<&pb::Clinic> {
        self.clinics.iter().find(|c| c.id == id)
    }

    /// The clinic selected in the list.
    pub fn selected_clinic(&self) -> Option<&pb::Clinic> {
        self.clinics.get(self.clinic_cursor.selected)
    }

    /// The clinic of the week view.
    pub fn week_clinic(&self) -> Option<&pb::Clinic> {
        self.week
            .clinic_id
            .as_deref()
            .and_then(|id| self.clinic(id))
    }

    /// A clinic's name, or its id if unknown.
    pub fn clinic_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.clinic(id).map_or(id, |c| c.name.as_str())
    }

    /// A dentist's name, or the id if unknown.
    pub fn dentist_name<'a>(&'a self, clinic_id: &str, dentist_id: &'a str) -> &'a str {
        self.clinic(clinic_id)
            .and_then(|c| c.dentists.iter().find(|d| d.id == dentist_id))
            .map_or(dentist_id, |d| d.name.as_str())
    }

    /// The status message, unless it has faded.
    pub fn current_status(&self) -> Option<&Status> {
        let status = self.status.as_ref()?;
        let lasts = match status.level {
            Level::Error => SignedDuration::from_secs(30),
            Level::Info | Level::Success => SignedDuration::from_secs(10),
        };
        (self.now.duration_since(status.at) < lasts).then_some(status)
    }
}

/// A clinic's opening hours on `day`, `08:00–17:00`, or `None` when closed.
pub fn opening_hours(clinic: &pb::Clinic, day: LocalDay) -> Option<String> {
    let weekday = i32::from(day.weekday().to_monday_one_offset());
    clinic
        .opening_hours
        .iter()
        .find(|o| o.weekday == weekday)
        .and_then(|o| o.hours.as_ref())
        .map(|h| format!("{}–{}", h.start, h.end))
}

/// The free slots nearest in time to one that was taken: bookable, not the taken one, ordered
/// by distance from its start (earlier first on a tie).
pub fn nearest_alternatives(
    taken: &Slot,
    candidates: &[Slot],
    now: Timestamp,
    count: usize,
) -> Vec<Slot> {
    let mut found: Vec<&Slot> = candidates
        .iter()
        .filter(|s| s.bookable(now) && !s.same_as(taken))
        .collect();
    found.sort_by_key(|s| (s.start.duration_since(taken.start).abs(), s.start));
    found.dedup_by(|a, b| a.same_as(b));
    found.into_iter().take(count).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn slot(start: &str, dentist: &str, state: SlotState) -> Slot {
        let start = at(start);
        Slot::new(
            "haga",
            dentist,
            start,
            start + SignedDuration::from_mins(30),
            state,
        )
    }

    #[test]
    fn alternatives_are_the_nearest_free_slots_in_time() {
        let taken = slot("2026-11-25T09:00:00Z", "ek", SlotState::Booked);
        let candidates = vec![
            slot("2026-11-25T09:00:00Z", "ek", SlotState::Free), // the taken one itself
            slot("2026-11-25T09:00:00Z", "holm", SlotState::Free),
            slot("2026-11-25T07:00:00Z", "ek", SlotState::Free),
            slot("2026-11-25T10:00:00Z", "ek", SlotState::Free),
            slot("2026-11-25T08:00:00Z", "ek", SlotState::Booked),
            slot("2026-11-24T09:00:00Z", "ek", SlotState::Free), // in the past
        ];
        let now = at("2026-11-24T12:00:00Z");
        let found = nearest_alternatives(&taken, &candidates, now, 3);
        let starts: Vec<(String, &str)> = found
            .iter()
            .map(|s| (s.start.to_string(), s.dentist_id.as_str()))
            .collect();
        assert_eq!(
            starts,
            vec![
                ("2026-11-25T09:00:00Z".into(), "holm"),
                ("2026-11-25T10:00:00Z".into(), "ek"),
                ("2026-11-25T07:00:00Z".into(), "ek"),
            ]
        );
    }

    #[test]
    fn week_rows_are_local_times_and_cells_show_only_bookable_slots() {
        let now = at("2026-11-24T12:00:00Z");
        let mut week = Week::new(LocalDay::of(now));
        week.clinic_id = Some("haga".into());
        for s in [
            slot("2026-11-24T07:00:00Z", "ek", SlotState::Free), // 08:00 today, already past
            slot("2026-11-25T07:00:00Z", "ek", SlotState::Free),
            slot("2026-11-25T07:00:00Z", "holm", SlotState::Free),
            slot("2026-11-25T07:30:00Z", "ek", SlotState::Booked),
            slot("2026-12-05T07:30:00Z", "ek", SlotState::Free), // beyond the window
        ] {
            week.slots.insert(s.key(), s);
        }
        assert_eq!(week.rows(), vec![8 * 60, 8 * 60 + 30]);
        assert!(
            week.cell(0, 8 * 60, now).is_empty(),
            "started slots are not offered"
        );
        assert_eq!(week.cell(1, 8 * 60, now).len(), 2);
        assert!(week.cell(1, 8 * 60 + 30, now).is_empty());
        assert_eq!(week.first_free(now), Some((1, 8 * 60)));
        week.dentist = Some("holm".into());
        assert_eq!(week.rows(), vec![8 * 60]);
        assert_eq!(week.cell(1, 8 * 60, now)[0].dentist_id, "holm");
        let watch = week.watch().unwrap();
        assert_eq!(
            (watch.from_day.as_str(), watch.to_day.as_str()),
            ("2026-11-24", "2026-11-30")
        );
    }

    #[test]
    fn lists_scroll_as_little_as_possible() {
        assert_eq!(follow(0, 0, 5), 0);
        assert_eq!(follow(7, 0, 5), 3);
        assert_eq!(follow(5, 3, 5), 3);
        assert_eq!(follow(2, 3, 5), 2);
        let mut cursor = ListCursor::default();
        cursor.move_by(10, 4);
        assert_eq!(cursor.selected, 3);
        cursor.move_by(-10, 4);
        assert_eq!(cursor.selected, 0);
        cursor.move_by(1, 0);
        assert_eq!(cursor.selected, 0);
    }
}
