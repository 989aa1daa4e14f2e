//! [`Action`]: every change to the [`crate::App`], whatever its source (a key, the mouse, the
//! clock, the answer to a call, a live event); [`Command`]: the I/O an action asks for, which
//! [`crate::runtime::Driver`] runs as a task that answers with another action.

use dentismile_client::{ClientError, LiveUpdate, Watch, pb, slots_csv::LineError};
use dentismile_domain::{jiff::Timestamp, time::LocalDay};

use crate::{
    app::{ScheduleKey, Tab},
    import::{ImportPlan, ImportScope},
};

/// Something that changes the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The clock moved on.
    Tick(Timestamp),
    /// The terminal has a new size.
    Resize {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
    /// Leave the program.
    Quit,
    /// Open or close the help overlay.
    Help,
    /// Esc: close what is open.
    Back,
    /// Enter: do what the focus offers.
    Submit,
    /// Tab: the next tab (or the next field of a dialog or the sign-in form).
    FocusNext,
    /// Shift-Tab: the previous tab (or field).
    FocusPrevious,
    /// Jump to a tab.
    ShowTab(Tab),
    /// Cursor up.
    Up,
    /// Cursor down.
    Down,
    /// Cursor left: the day before.
    Left,
    /// Cursor right: the day after.
    Right,
    /// The week before.
    PreviousWeek,
    /// The week after.
    NextWeek,
    /// Back to today.
    Today,
    /// Switch between day and week view.
    ToggleView,
    /// The clinic's next dentist (clinic admins).
    NextDentist,
    /// The clinic's previous dentist (clinic admins).
    PreviousDentist,
    /// The next clinic (system admins).
    NextClinic,
    /// Ask the server what the working plan would publish.
    Preview,
    /// Add a slot on the selected day (or publish a withdrawn one again).
    AddSlot,
    /// Withdraw the selected free slot.
    Withdraw,
    /// Cancel the selected booking.
    CancelBooking,
    /// Make the selected day unavailable.
    ClearDay,
    /// Import `slots.csv`.
    Import,
    /// Export the schedule on screen to `slots.csv`.
    Export,
    /// Read the schedule (or the operations figures) again.
    Refresh,
    /// Show the slot of the newest notification.
    JumpToNotification,
    /// End the session.
    SignOut,
    /// A character typed into the focused field.
    Input(char),
    /// Delete the last character of the focused field.
    Backspace,
    /// Empty the focused field.
    ClearInput,
    /// A left click at a cell of the screen.
    Click {
        /// Column.
        column: u16,
        /// Row.
        row: u16,
    },

    /// Signed in; every clinic with its dentists.
    SignedIn {
        /// Who.
        account: pb::Account,
        /// The clinics.
        clinics: Vec<pb::Clinic>,
    },
    /// Signing in failed.
    SignInFailed(ClientError),
    /// A schedule arrived.
    ScheduleLoaded {
        /// The request it answers.
        request: u64,
        /// Its entries.
        entries: Vec<pb::ScheduleEntry>,
    },
    /// Reading a schedule failed.
    ScheduleFailed {
        /// The request it answers.
        request: u64,
        /// Why.
        error: ClientError,
    },
    /// The server's preview of a working plan.
    PlanPreviewed {
        /// The plan.
        plan: pb::WorkingPlan,
        /// What it would do.
        response: pb::PreviewWorkingPlanResponse,
    },
    /// A working plan was published.
    PlanPublished {
        /// The plan.
        plan: pb::WorkingPlan,
        /// What it did.
        response: pb::PublishSlotsResponse,
    },
    /// Single slots were published.
    SlotsPublished(pb::PublishSlotsResponse),
    /// A slot was withdrawn.
    SlotWithdrawn(pb::Slot),
    /// An appointment was cancelled.
    AppointmentCancelled(pb::Appointment),
    /// Cancelling an appointment failed.
    CancelFailed {
        /// The appointment.
        appointment_id: String,
        /// Why.
        error: ClientError,
    },
    /// A day was made unavailable.
    DayCleared(DayReport),
    /// An import file was checked.
    ImportChecked {
        /// The file.
        path: String,
        /// What publishing it would do, or every bad line.
        result: Result<ImportPlan, Vec<LineError>>,
    },
    /// An import was published.
    ImportPublished {
        /// New slots.
        published: usize,
        /// Slots that were already there.
        unchanged: usize,
    },
    /// The schedule was written to a file.
    Exported {
        /// The file.
        path: String,
        /// How many slots.
        rows: usize,
    },
    /// The operations figures, or why there are none.
    StatusFetched(Result<pb::SystemStatus, ClientError>),
    /// Something from the live feed.
    Live(LiveUpdate),
    /// A call failed.
    Failed {
        /// What was being done, for the status line (`Publishing the plan`).
        what: String,
        /// Why.
        error: ClientError,
    },
}

/// What making a day unavailable did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DayReport {
    /// The day.
    pub day: Option<LocalDay>,
    /// Appointments cancelled.
    pub cancelled: usize,
    /// Slots withdrawn: the free ones and those its cancellations freed.
    pub withdrawn: usize,
    /// What could not be done, one sentence each.
    pub problems: Vec<String>,
    /// The appointments whose cancellation failed.
    pub not_cancelled: Vec<String>,
}

/// I/O for the [`crate::runtime::Driver`].
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Sign in and read the clinics.
    SignIn {
        /// Email.
        email: String,
        /// Password.
        password: String,
    },
    /// End the session on the server and stop the live feed.
    SignOut,
    /// Read a week of one dentist's schedule.
    LoadSchedule {
        /// Request id, echoed in the answer.
        request: u64,
        /// Which.
        key: ScheduleKey,
    },
    /// Watch a clinic's slot events over these days.
    Watch(Watch),
    /// Ask what a working plan would publish.
    PreviewPlan(pb::WorkingPlan),
    /// Publish a working plan.
    PublishPlan(pb::WorkingPlan),
    /// Publish single slots of one dentist.
    PublishSlots {
        /// The clinic.
        clinic_id: String,
        /// The dentist.
        dentist_id: String,
        /// Start and end of each.
        slots: Vec<(Timestamp, Timestamp)>,
    },
    /// Withdraw a free slot.
    Withdraw(pb::SlotRef),
    /// Cancel an appointment.
    Cancel {
        /// Which.
        appointment_id: String,
        /// Why (told to the patient).
        reason: String,
    },
    /// Cancel a day's bookings and withdraw its free slots.
    ClearDay {
        /// The clinic.
        clinic_id: String,
        /// The dentist.
        dentist_id: String,
        /// The day.
        day: LocalDay,
        /// The bookings the dentist confirmed cancelling; others found meanwhile are left.
        appointment_ids: Vec<String>,
        /// Why.
        reason: String,
    },
    /// Read and check an import file.
    CheckImport {
        /// The file.
        path: String,
        /// Whose slots it may hold.
        scope: ImportScope,
    },
    /// Publish a checked import.
    PublishImport(ImportPlan),
    /// Write a file.
    Export {
        /// Where.
        path: String,
        /// `slots.csv` text.
        text: String,
        /// How many slots.
        rows: usize,
    },
    /// Read the operations figures.
    FetchStatus,
}
