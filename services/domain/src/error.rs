//! Errors of the domain: invalid input that names its field, and what the use cases refuse.

use std::fmt;

use jiff::Timestamp;

use crate::{
    booking::Appointment,
    ports::StoreError,
    slot::{Slot, SlotKey},
};

/// A value that breaks a rule, with the path of the request field it came from
/// (`plan.breaks[1].end`). A value type reports an empty path; the boundary that knows where the
/// value came from places it with [`AtField::at_field`] or [`ValidationError::within`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    field: String,
    message: String,
}

impl ValidationError {
    /// An error about `field` (may be empty when the caller will place it).
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An error about the value itself, to be placed by the caller.
    pub fn value(message: impl Into<String>) -> Self {
        Self::new("", message)
    }

    /// The field path, such as `slots[2].start`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong, without the field.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Places this error under `parent`: `start` within `slots[2]` is `slots[2].start`, and an
    /// error with no field yet becomes an error about `parent`.
    #[must_use]
    pub fn within(self, parent: &str) -> Self {
        let field = match (parent.is_empty(), self.field.is_empty()) {
            (true, _) => self.field,
            (false, true) => parent.to_string(),
            (false, false) if self.field.starts_with('[') => format!("{parent}{}", self.field),
            (false, false) => format!("{parent}.{}", self.field),
        };
        Self { field, ..self }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// Places the error of a parse under the field the value came from.
pub trait AtField<T> {
    /// `ClinicId::parse(raw).at_field("clinic_id")`.
    fn at_field(self, field: &str) -> Result<T, ValidationError>;
}

impl<T> AtField<T> for Result<T, ValidationError> {
    fn at_field(self, field: &str) -> Result<T, ValidationError> {
        self.map_err(|error| error.within(field))
    }
}

/// Why a scheduling use case did not do what was asked. Each variant maps to one gRPC status in
/// the one place that converts them.
#[derive(Debug, thiserror::Error)]
pub enum SchedulingError {
    /// The request is malformed or breaks a booking rule (INVALID_ARGUMENT).
    #[error(transparent)]
    Invalid(#[from] ValidationError),

    /// Something the request names does not exist (NOT_FOUND).
    #[error("{field}: no {what} '{id}'")]
    NotFound {
        /// The request field that named it.
        field: String,
        /// What kind of thing: "clinic", "dentist", "slot", "appointment".
        what: &'static str,
        /// The id as given.
        id: String,
    },

    /// The slot is not free: booked by someone else, or withdrawn (FAILED_PRECONDITION).
    #[error("{field}: the slot is {} (it is no longer free)", .current.state.name())]
    SlotNotFree {
        /// The request field naming the slot.
        field: String,
        /// The slot as it is now.
        current: Slot,
    },

    /// A requested slot overlaps a stored slot of the same dentist (FAILED_PRECONDITION).
    #[error("{field}: overlaps the dentist's {} slot starting {}", .existing.state.name(), .existing.key.start)]
    Overlap {
        /// The request field of the new slot.
        field: String,
        /// The stored slot it collides with.
        existing: Slot,
    },

    /// A free slot was expected, but it is booked (withdraw) (FAILED_PRECONDITION).
    #[error("{field}: the slot is booked; cancel its appointment first")]
    SlotBooked {
        /// The request field naming the slot.
        field: String,
    },

    /// The idempotency key was used before for another slot (ALREADY_EXISTS).
    #[error("idempotency_key: already used for appointment {} of another slot", .existing.id)]
    IdempotencyKeyReused {
        /// The appointment the key belongs to.
        existing: Box<Appointment>,
    },

    /// Patients may no longer cancel this appointment themselves (FAILED_PRECONDITION).
    #[error(
        "appointment_id: cancellations by the patient close at {deadline}, {hours} hours before the start; please call the clinic"
    )]
    CancellationClosed {
        /// The last instant a patient could cancel.
        deadline: Timestamp,
        /// The cutoff, in hours.
        hours: i64,
    },

    /// The appointment has started or ended and can no longer be cancelled (FAILED_PRECONDITION).
    #[error("appointment_id: the appointment started at {start}; it can no longer be cancelled")]
    AppointmentStarted {
        /// The slot's start.
        start: Timestamp,
    },

    /// The caller may not do this (PERMISSION_DENIED).
    #[error("{0}")]
    PermissionDenied(String),

    /// The store failed; see [`StoreError`] (UNAVAILABLE or INTERNAL).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SchedulingError {
    pub(crate) fn not_found(field: &str, what: &'static str, id: impl fmt::Display) -> Self {
        Self::NotFound {
            field: field.to_string(),
            what,
            id: id.to_string(),
        }
    }

    pub(crate) fn slot_not_free(field: &str, current: Slot) -> Self {
        Self::SlotNotFree {
            field: field.to_string(),
            current,
        }
    }

    pub(crate) fn slot_missing(field: &str, key: &SlotKey) -> Self {
        Self::not_found(field, "slot", key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_builds_field_paths() {
        let error = ValidationError::new("start", "must be on a whole minute").within("slots[2]");
        assert_eq!(error.field(), "slots[2].start");
        assert_eq!(
            error.to_string(),
            "slots[2].start: must be on a whole minute"
        );

        let error = ValidationError::value("must not be empty").within("clinic_id");
        assert_eq!(error.to_string(), "clinic_id: must not be empty");

        let error = ValidationError::new("[1].end", "x").within("plan.breaks");
        assert_eq!(error.field(), "plan.breaks[1].end");
    }
}
