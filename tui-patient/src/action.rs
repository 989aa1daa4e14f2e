//! [`Action`]: every change to the [`crate::App`], whatever its source (a key, the clock, the
//! answer to a call, a live event); [`Command`]: the I/O an action asks for, which the
//! [`crate::runtime::Driver`] runs as a task that answers with another action.

use std::{fmt, path::PathBuf};

use dentismile_client::{ClientError, LiveUpdate, Watch, pb};
use dentismile_domain::jiff::Timestamp;

use crate::app::{Pane, Slot};

/// Something that changes the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The program started: list what needs no account.
    Started,
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
    /// Esc: close what is open, or go back a pane.
    Back,
    /// A character typed into the focused text field.
    Input(char),
    /// Delete the last character of the focused text field.
    Backspace,
    /// Switch between signing in and registering.
    ToggleRegister,
    /// Tab: the next pane (or form field).
    NextPane,
    /// Shift-Tab: the previous pane (or form field).
    PreviousPane,
    /// Jump to a pane.
    ShowPane(Pane),
    /// Cursor up.
    Up,
    /// Cursor down.
    Down,
    /// Cursor left (the previous day in the week).
    Left,
    /// Cursor right (the next day in the week).
    Right,
    /// First item / earliest time.
    Top,
    /// Last item / latest time.
    Bottom,
    /// The week before.
    PreviousWeek,
    /// The week after.
    NextWeek,
    /// Back to today.
    Today,
    /// Enter: do what the selection offers.
    Activate,
    /// Show the next dentist only (then all again).
    CycleDentist,
    /// The earliest free slots across every clinic.
    FindEarliest,
    /// List the focused pane's content again.
    Refresh,
    /// End the session.
    SignOut,
    /// Ask to cancel the selected appointment.
    CancelAppointment,
    /// Write the selected appointment to an .ics file.
    ExportAppointment,
    /// Write every upcoming appointment to one .ics file.
    ExportAll,
    /// A left click at a cell of the screen.
    Click {
        /// Column.
        column: u16,
        /// Row.
        row: u16,
    },
    /// Answer to [`Command::SignIn`] or [`Command::Register`].
    SignedIn(Result<pb::Account, ClientError>),
    /// Answer to [`Command::SignOut`].
    SignedOut(Result<(), ClientError>),
    /// Answer to [`Command::CheckSession`].
    SessionChecked(Result<(), ClientError>),
    /// Answer to [`Command::LoadClinics`].
    ClinicsLoaded(Result<Vec<pb::Clinic>, ClientError>),
    /// Answer to [`Command::LoadSlots`].
    SlotsLoaded {
        /// The request it answers.
        request: u64,
        /// Every slot of it.
        result: Result<Vec<pb::Slot>, ClientError>,
    },
    /// Answer to [`Command::LoadEarliest`].
    EarliestLoaded(Result<Vec<pb::Slot>, ClientError>),
    /// Answer to [`Command::Book`].
    Booked {
        /// The slot asked for.
        slot: Slot,
        /// The appointment, or why not.
        result: Result<pb::Appointment, ClientError>,
    },
    /// Answer to [`Command::FindAlternatives`].
    AlternativesLoaded {
        /// The slot that was taken.
        taken: Slot,
        /// Free slots around it.
        result: Result<Vec<pb::Slot>, ClientError>,
    },
    /// Answer to [`Command::LoadAppointments`].
    AppointmentsLoaded(Result<Vec<pb::Appointment>, ClientError>),
    /// Answer to [`Command::Cancel`].
    Cancelled(Result<pb::Appointment, ClientError>),
    /// Answer to [`Command::Export`]: the file written, or why not.
    Exported(Result<PathBuf, String>),
    /// From the live feed.
    Live(LiveUpdate),
}

/// A password: compared, but never printed in a debug line or a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// I/O that an action asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Sign in.
    SignIn {
        /// Email.
        email: String,
        /// Password.
        password: Secret,
    },
    /// Register a patient and sign in.
    Register {
        /// Email.
        email: String,
        /// Password.
        password: Secret,
        /// Display name.
        name: String,
    },
    /// End the session on the server.
    SignOut,
    /// Refresh the access token if it expires soon; tells whether the session still holds.
    CheckSession,
    /// List every clinic.
    LoadClinics,
    /// List a clinic's slots over days.
    LoadSlots {
        /// Request id, echoed in the answer.
        request: u64,
        /// The clinic and days.
        watch: Watch,
    },
    /// Follow live events of a clinic's days; `None` stops.
    Watch(Option<Watch>),
    /// The earliest free slots across clinics.
    LoadEarliest,
    /// Book a slot.
    Book {
        /// The slot.
        slot: Slot,
        /// Note for the dentist.
        note: String,
    },
    /// Free slots around one that was taken (its clinic first, then anywhere).
    FindAlternatives {
        /// The slot that was taken.
        taken: Slot,
    },
    /// List my appointments.
    LoadAppointments,
    /// Cancel an appointment.
    Cancel {
        /// Its id.
        appointment_id: String,
        /// Why.
        reason: String,
    },
    /// Write a file.
    Export {
        /// Where.
        path: PathBuf,
        /// What.
        contents: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_in_debug_output() {
        let command = Command::SignIn {
            email: "anna@example.se".into(),
            password: Secret("hunter2-hunter2".into()),
        };
        let printed = format!("{command:?}");
        assert!(printed.contains("anna@example.se"));
        assert!(!printed.contains("hunter2"), "{printed}");
    }
}
