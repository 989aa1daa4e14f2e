//! Appointments and the rules about when a slot may be published, booked and cancelled.

use jiff::{SignedDuration, Timestamp};

use crate::{
    error::ValidationError,
    ids::{AppointmentId, UserId},
    slot::SlotKey,
    text::{DisplayName, Reason},
    time::add_saturating,
};

/// The rules about time. One horizon serves publishing and booking alike, so a patient never
/// sees a free slot they may not book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingPolicy {
    /// How far ahead slots may be published and booked.
    pub horizon: SignedDuration,
    /// Patients may cancel up to this long before the start; staff until the start.
    pub cancellation_cutoff: SignedDuration,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: SignedDuration,
}

impl Default for BookingPolicy {
    fn default() -> Self {
        Self {
            horizon: SignedDuration::from_hours(180 * 24),
            cancellation_cutoff: SignedDuration::from_hours(24),
            idempotency_ttl: SignedDuration::from_hours(7 * 24),
        }
    }
}

impl BookingPolicy {
    /// The horizon in whole days, for messages.
    pub fn horizon_days(&self) -> i64 {
        self.horizon.as_hours() / 24
    }

    /// Checks that a slot starting at `start` lies between `now` and the horizon; the error has
    /// no field, for the caller to place.
    pub fn check_start(&self, now: Timestamp, start: Timestamp) -> Result<(), ValidationError> {
        if start <= now {
            return Err(ValidationError::value(format!(
                "{start} is in the past (now is {now})"
            )));
        }
        let limit = add_saturating(now, self.horizon);
        if start > limit {
            return Err(ValidationError::value(format!(
                "{start} is beyond the booking horizon of {} days ({limit})",
                self.horizon_days()
            )));
        }
        Ok(())
    }

    /// The last instant a patient may cancel an appointment starting at `start` themself.
    pub fn patient_cancellation_deadline(&self, start: Timestamp) -> Timestamp {
        add_saturating(start, -self.cancellation_cutoff)
    }
}

/// Who cancelled an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    /// The patient who booked it.
    Patient,
    /// Staff of the clinic.
    Clinic,
}

impl CancelledBy {
    /// `patient` or `clinic`: the stored name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Clinic => "clinic",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Patient, Self::Clinic]
            .into_iter()
            .find(|by| by.name() == name)
    }
}

/// How an appointment was cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// When.
    pub at: Timestamp,
    /// By whom.
    pub by: CancelledBy,
    /// Why, if given.
    pub reason: Option<Reason>,
}

/// Whether an appointment stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppointmentStatus {
    /// It holds its slot.
    Booked,
    /// It was cancelled and its slot released.
    Cancelled(Cancellation),
}

/// A patient's booking of one slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    /// Its id.
    pub id: AppointmentId,
    /// The slot it booked.
    pub slot: SlotKey,
    /// The slot's end.
    pub end: Timestamp,
    /// The patient.
    pub patient_id: UserId,
    /// The patient's name at booking time, shown on the dentist's schedule.
    pub patient_name: DisplayName,
    /// The patient's note, if any.
    pub reason: Option<Reason>,
    /// When it was confirmed.
    pub booked_at: Timestamp,
    /// Booked or cancelled.
    pub status: AppointmentStatus,
}

impl Appointment {
    /// Whether it still holds its slot.
    pub fn is_booked(&self) -> bool {
        matches!(self.status, AppointmentStatus::Booked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_must_be_after_now_and_within_the_horizon() {
        let policy = BookingPolicy::default();
        let now: Timestamp = "2026-11-24T10:00:00Z".parse().unwrap();
        assert!(policy.check_start(now, now).is_err());
        assert!(
            policy
                .check_start(now, now + SignedDuration::from_mins(1))
                .is_ok()
        );
        assert!(policy.check_start(now, now + policy.horizon).is_ok());
        let error = policy
            .check_start(now, now + policy.horizon + SignedDuration::from_mins(1))
            .unwrap_err();
        assert!(error.message().contains("horizon of 180 days"), "{error}");
    }

    #[test]
    fn cancelled_by_names_round_trip() {
        for by in [CancelledBy::Patient, CancelledBy::Clinic] {
            assert_eq!(CancelledBy::parse(by.name()), Some(by));
        }
        assert_eq!(CancelledBy::parse("dentist"), None);
        assert_eq!(CancelledBy::parse("Patient"), None);
    }

    #[test]
    fn patients_may_cancel_until_a_day_before() {
        let policy = BookingPolicy::default();
        let start: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        assert_eq!(
            policy.patient_cancellation_deadline(start).to_string(),
            "2026-11-24T10:00:00Z"
        );
    }
}
