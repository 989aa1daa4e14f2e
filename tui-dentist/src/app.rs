//! [`App`]: everything the screens show, and the questions they ask of it. No I/O, no terminal:
//! only [`crate::update`] changes it, and rendering only reads it.

use std::collections::VecDeque;

use dentismile_client::{Connection, pb, slots_csv::LineError};
use dentismile_domain::{jiff::Timestamp, time::LocalDay};

use crate::{import::ImportPlan, local_time::week_start, plan_form::PlanForm, schedule::Entry};

/// How many notification lines are kept.
pub const NOTIFICATIONS_KEPT: usize = 50;
/// How many operations samples the sparklines show.
pub const HISTORY_KEPT: usize = 120;

/// Which screen is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// Email and password.
    #[default]
    SignIn,
    /// The tabs.
    Main,
}

/// The tabs of the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// The day and week schedule.
    #[default]
    Schedule,
    /// The working-plan form.
    Publish,
    /// Live figures of the system (clinic admins).
    Operations,
}

impl Tab {
    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Schedule => "Schedule",
            Tab::Publish => "Publish",
            Tab::Operations => "Operations",
        }
    }
}

/// One day or a whole week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewMode {
    /// The selected day with every detail.
    Day,
    /// Monday to Sunday side by side.
    #[default]
    Week,
}

/// The sign-in form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignInField {
    /// Email.
    #[default]
    Email,
    /// Password.
    Password,
}

/// The sign-in form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SignInForm {
    /// Typed email.
    pub email: String,
    /// Typed password (never shown, never logged).
    pub password: String,
    /// The focused field.
    pub field: SignInField,
    /// Waiting for the server.
    pub waiting: bool,
}

/// Which schedule is loaded or being loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleKey {
    /// The clinic.
    pub clinic_id: String,
    /// The dentist.
    pub dentist_id: String,
    /// The Monday of the week.
    pub monday: LocalDay,
}

/// The schedule tab's state.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleState {
    /// Day or week.
    pub mode: ViewMode,
    /// The selected day.
    pub day: LocalDay,
    /// The selected slot, an index into that day's slots.
    pub selected: usize,
    /// The week's slots of one dentist, by start.
    pub entries: Vec<Entry>,
    /// What `entries` hold.
    pub loaded: Option<ScheduleKey>,
    /// The request in flight and what it asks for.
    pub pending: Option<(u64, ScheduleKey)>,
    /// A live event arrived while a load was in flight: load again when it answers, since
    /// that answer may predate the event.
    pub reload_wanted: bool,
    /// Select the slot starting at this instant once its week is loaded.
    pub focus: Option<Timestamp>,
}

impl ScheduleState {
    fn new(day: LocalDay) -> Self {
        Self {
            mode: ViewMode::default(),
            day,
            selected: 0,
            entries: Vec::new(),
            loaded: None,
            pending: None,
            reload_wanted: false,
            focus: None,
        }
    }
}

/// A notification's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// A patient booked a slot.
    Booked,
    /// A booking was cancelled by its patient: the slot is free again.
    Cancelled,
}

/// One line of the notifications area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// When it arrived.
    pub at: Timestamp,
    /// What happened.
    pub kind: NotificationKind,
    /// The dentist.
    pub dentist_id: String,
    /// The slot's start.
    pub start: Timestamp,
    /// The slot's end.
    pub end: Timestamp,
    /// Who booked, once the schedule has been read again (public events carry no names).
    pub patient: Option<String>,
    /// The patient's note, likewise.
    pub reason: Option<String>,
}

/// An appointment this terminal cancels, remembered until its slot's live event arrives or
/// the cancellation fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnCancellation {
    /// The appointment, to forget it when its cancellation fails.
    pub appointment_id: String,
    /// The slot's dentist.
    pub dentist_id: String,
    /// The slot's start.
    pub start: Timestamp,
}

/// One operations sample, for the sparklines.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sample {
    /// Requests per second.
    pub requests: f64,
    /// Bookings per second.
    pub bookings: f64,
    /// Errors per second.
    pub errors: f64,
}

/// The operations tab's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OperationsState {
    /// The latest figures.
    pub status: Option<pb::SystemStatus>,
    /// Recent samples, oldest first.
    pub history: VecDeque<Sample>,
    /// A request is in flight.
    pub in_flight: bool,
    /// When the last request went out.
    pub last_request: Option<Timestamp>,
    /// Why the figures are missing or old.
    pub problem: Option<String>,
    /// The gateway does not serve the call (yet): ask less often.
    pub unimplemented: bool,
}

/// A modal dialog over the main screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// Cancel a booking: the reason is required.
    Cancel {
        /// The booked slot.
        entry: Entry,
        /// Typed reason.
        reason: String,
    },
    /// Withdraw a free slot.
    Withdraw {
        /// The slot.
        entry: Entry,
    },
    /// Publish a withdrawn slot again.
    Republish {
        /// The slot.
        entry: Entry,
    },
    /// Add one slot on a day.
    AddSlot {
        /// The day.
        day: LocalDay,
        /// `HH:MM`.
        start: String,
        /// Minutes.
        minutes: String,
        /// 0: start, 1: minutes.
        field: usize,
        /// What is wrong with it.
        error: Option<String>,
    },
    /// Make a day unavailable: cancel its bookings and withdraw its free slots.
    ClearDay {
        /// The day.
        day: LocalDay,
        /// The dentist.
        dentist_id: String,
        /// Bookings to cancel.
        bookings: Vec<Entry>,
        /// Free slots to withdraw.
        free: Vec<Entry>,
        /// Reason given to the patients.
        reason: String,
    },
    /// Which file to import.
    ImportPath {
        /// Typed path.
        path: String,
    },
    /// The file passed every check: publish it?
    ImportConfirm {
        /// The file.
        path: String,
        /// What publishing does.
        plan: ImportPlan,
    },
    /// The file has bad lines; nothing was changed.
    ImportErrors {
        /// The file.
        path: String,
        /// Every bad line.
        errors: Vec<LineError>,
        /// First line shown.
        scroll: usize,
    },
    /// Where to export.
    ExportPath {
        /// Typed path.
        path: String,
    },
}

impl Dialog {
    /// Whether the dialog has a free-text field.
    pub fn takes_text(&self) -> bool {
        matches!(
            self,
            Dialog::Cancel { .. }
                | Dialog::ClearDay { .. }
                | Dialog::ImportPath { .. }
                | Dialog::ExportPath { .. }
        )
    }

    /// The dialog's text field being typed into, if any (free text: any character).
    pub fn text_mut(&mut self) -> Option<&mut String> {
        match self {
            Dialog::Cancel { reason, .. } | Dialog::ClearDay { reason, .. } => Some(reason),
            Dialog::ImportPath { path } | Dialog::ExportPath { path } => Some(path),
            Dialog::AddSlot {
                start,
                minutes,
                field,
                error,
                ..
            } => {
                // Whatever is typed next changes the slot, so the old complaint goes.
                *error = None;
                Some(if *field == 0 { start } else { minutes })
            }
            Dialog::Withdraw { .. }
            | Dialog::Republish { .. }
            | Dialog::ImportConfirm { .. }
            | Dialog::ImportErrors { .. } => None,
        }
    }
}

/// How severe a status message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Progress or success.
    Info,
    /// Something failed.
    Error,
}

/// The status line's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// What to say.
    pub text: String,
    /// How.
    pub level: Level,
}

/// What keys mean right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    /// A free-text field has focus: every printable key is text.
    Text,
    /// A form of times, dates and numbers has focus: digits and `:-, ` are text, letters are
    /// commands.
    Form,
    /// Keys are commands.
    Command,
}

/// The whole state.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// The current instant, from the last tick.
    pub now: Timestamp,
    /// Terminal columns and rows.
    pub size: (u16, u16),
    /// The screen.
    pub screen: Screen,
    /// The sign-in form.
    pub sign_in: SignInForm,
    /// Who is signed in.
    pub account: Option<pb::Account>,
    /// Every clinic with its dentists and opening hours.
    pub clinics: Vec<pb::Clinic>,
    /// The clinic shown (index into `clinics`).
    pub clinic_index: usize,
    /// The dentist shown (index into the clinic's dentists).
    pub dentist_index: usize,
    /// The tab.
    pub tab: Tab,
    /// The schedule tab.
    pub schedule: ScheduleState,
    /// The publish tab.
    pub plan: PlanForm,
    /// The operations tab.
    pub operations: OperationsState,
    /// Newest first.
    pub notifications: VecDeque<Notification>,
    /// Appointments this terminal is cancelling: the live events of their slots are ours, not
    /// a patient's, and make no notification.
    pub own_cancellations: Vec<OwnCancellation>,
    /// The open dialog.
    pub dialog: Option<Dialog>,
    /// The help overlay is open.
    pub help: bool,
    /// The status line.
    pub status: Option<Status>,
    /// Where live updates come from.
    pub live: Option<Connection>,
    /// Use colours.
    pub colors: bool,
    /// Leave the program.
    pub quit: bool,
    /// The id of the next request, to tell stale answers from current ones.
    pub next_request: u64,
    /// What the live feed watches: clinic, first and last day.
    pub watching: Option<(String, LocalDay, LocalDay)>,
    /// The gateway's address, shown on the sign-in screen.
    pub gateway: String,
}

impl App {
    /// A fresh app at `now`, signed out.
    pub fn new(now: Timestamp, colors: bool) -> Self {
        Self {
            now,
            size: (80, 24),
            screen: Screen::SignIn,
            sign_in: SignInForm::default(),
            account: None,
            clinics: Vec::new(),
            clinic_index: 0,
            dentist_index: 0,
            tab: Tab::Schedule,
            schedule: ScheduleState::new(LocalDay::of(now)),
            plan: PlanForm::default(),
            operations: OperationsState::default(),
            notifications: VecDeque::new(),
            own_cancellations: Vec::new(),
            dialog: None,
            help: false,
            status: None,
            live: None,
            colors,
            quit: false,
            next_request: 1,
            watching: None,
            gateway: String::new(),
        }
    }

    /// This app signed out: the session's state is gone, the terminal's (size, colours, the
    /// gateway's address, the clock) stays, and request ids keep counting, so that an answer
    /// to the ended session's calls matches no request of the next one.
    pub fn signed_out(&self) -> Self {
        Self {
            size: self.size,
            gateway: self.gateway.clone(),
            next_request: self.next_request,
            ..Self::new(self.now, self.colors)
        }
    }

    /// Today in Gothenburg.
    pub fn today(&self) -> LocalDay {
        LocalDay::of(self.now)
    }

    /// The Monday of the selected week.
    pub fn monday(&self) -> LocalDay {
        week_start(self.schedule.day)
    }

    /// The signed-in role.
    pub fn role(&self) -> pb::Role {
        self.account
            .as_ref()
            .and_then(|a| pb::Role::try_from(a.role).ok())
            .unwrap_or(pb::Role::Unspecified)
    }

    /// Clinic admins (and system admins) choose among the clinic's dentists and see the
    /// operations tab; a dentist sees their own schedule only.
    pub fn is_admin(&self) -> bool {
        matches!(self.role(), pb::Role::ClinicAdmin | pb::Role::Admin)
    }

    /// The tabs this account has.
    pub fn tabs(&self) -> Vec<Tab> {
        if self.is_admin() {
            vec![Tab::Schedule, Tab::Publish, Tab::Operations]
        } else {
            vec![Tab::Schedule, Tab::Publish]
        }
    }

    /// The clinic shown.
    pub fn clinic(&self) -> Option<&pb::Clinic> {
        self.clinics.get(self.clinic_index)
    }

    /// The dentists this account may show: the clinic's for an admin, their own for a dentist.
    pub fn dentists(&self) -> Vec<&pb::Dentist> {
        let Some(clinic) = self.clinic() else {
            return Vec::new();
        };
        match (&self.account, self.is_admin()) {
            (_, true) => clinic.dentists.iter().collect(),
            (Some(account), false) => clinic
                .dentists
                .iter()
                .filter(|d| d.id == account.dentist_id)
                .collect(),
            (None, false) => Vec::new(),
        }
    }

    /// The dentist shown.
    pub fn dentist(&self) -> Option<&pb::Dentist> {
        let dentists = self.dentists();
        dentists
            .get(self.dentist_index.min(dentists.len().saturating_sub(1)))
            .copied()
    }

    /// A dentist's display name, or the id when unknown.
    pub fn dentist_name(&self, dentist_id: &str) -> String {
        self.clinic()
            .and_then(|c| c.dentists.iter().find(|d| d.id == dentist_id))
            .map(|d| d.name.clone())
            .unwrap_or_else(|| dentist_id.to_string())
    }

    /// What the schedule should hold now.
    pub fn wanted_schedule(&self) -> Option<ScheduleKey> {
        Some(ScheduleKey {
            clinic_id: self.clinic()?.id.clone(),
            dentist_id: self.dentist()?.id.clone(),
            monday: self.monday(),
        })
    }

    /// The loaded slots of `day`, by start; empty unless the loaded week is the wanted one.
    pub fn day_entries(&self, day: LocalDay) -> Vec<&Entry> {
        if self.schedule.loaded.is_none() || self.schedule.loaded != self.wanted_schedule() {
            return Vec::new();
        }
        self.schedule
            .entries
            .iter()
            .filter(|e| e.day == day)
            .collect()
    }

    /// The selected slot.
    pub fn selected_entry(&self) -> Option<&Entry> {
        let entries = self.day_entries(self.schedule.day);
        entries
            .get(self.schedule.selected.min(entries.len().saturating_sub(1)))
            .copied()
    }

    /// How many slots of the selected day start at or before now: where the "now" line goes.
    pub fn now_position(&self, day: LocalDay) -> Option<usize> {
        (day == self.today()).then(|| {
            self.day_entries(day)
                .iter()
                .filter(|e| e.start <= self.now)
                .count()
        })
    }

    /// The length most of the shown slots have, for new slots and plans; 30 minutes if none.
    pub fn usual_slot_minutes(&self) -> i64 {
        let mut counts: Vec<(i64, usize)> = Vec::new();
        for entry in &self.schedule.entries {
            let minutes = (entry.end - entry.start).as_mins();
            match counts.iter_mut().find(|(m, _)| *m == minutes) {
                Some((_, n)) => *n += 1,
                None => counts.push((minutes, 1)),
            }
        }
        counts
            .into_iter()
            .max_by_key(|(minutes, n)| (*n, -*minutes))
            .map(|(m, _)| m)
            .unwrap_or(30)
    }

    /// What keys mean right now.
    pub fn input_mode(&self) -> InputMode {
        if self.help {
            return InputMode::Command;
        }
        if self.screen == Screen::SignIn {
            return InputMode::Text;
        }
        match &self.dialog {
            Some(Dialog::AddSlot { .. }) => InputMode::Form,
            Some(dialog) if dialog.takes_text() => InputMode::Text,
            Some(_) => InputMode::Command,
            None if self.tab == Tab::Publish => InputMode::Form,
            None => InputMode::Command,
        }
    }

    /// Says something on the status line.
    pub fn inform(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            level: Level::Info,
        });
    }

    /// Reports a failure on the status line.
    pub fn fail(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            level: Level::Error,
        });
    }

    /// A fresh request id.
    pub fn request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }
}
