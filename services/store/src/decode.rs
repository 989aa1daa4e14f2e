//! Decoding what either backend stored back into domain values. Stored text is parsed with the
//! same parsers as requests; a value that fails them, or a combination of columns the store
//! never writes, is reported as corrupt, never passed on.

use dentismile_domain::{
    booking::{AppointmentStatus, Cancellation, CancelledBy},
    error::ValidationError,
    ids::{AppointmentId, UserId},
    jiff::Timestamp,
    ports::StoreError,
    slot::SlotState,
    text::Reason,
};

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("stored {what} {value:?} is invalid"))
}

pub(crate) fn parsed<T>(
    what: &str,
    value: &str,
    result: Result<T, ValidationError>,
) -> Result<T, StoreError> {
    result.map_err(|_| corrupt(what, value))
}

pub(crate) fn optional_reason(value: Option<String>) -> Result<Option<Reason>, StoreError> {
    value
        .map(|text| parsed("reason", &text, Reason::parse(&text)))
        .transpose()
}

/// A slot's state from its stored name and holder: a booked slot has both holder ids, a free or
/// withdrawn one neither.
pub(crate) fn slot_state(
    name: &str,
    appointment: Option<AppointmentId>,
    patient: Option<UserId>,
) -> Result<SlotState, StoreError> {
    match (name, appointment, patient) {
        ("free", None, None) => Ok(SlotState::Free),
        ("withdrawn", None, None) => Ok(SlotState::Withdrawn),
        ("booked", Some(appointment_id), Some(patient_id)) => Ok(SlotState::Booked {
            appointment_id,
            patient_id,
        }),
        (other, ..) => Err(corrupt("slot state", other)),
    }
}

/// An appointment's status from its stored name and cancellation columns: a cancelled
/// appointment has its time and who cancelled it, a booked one neither.
pub(crate) fn appointment_status(
    name: &str,
    cancelled_at: Option<Timestamp>,
    cancelled_by: Option<&str>,
    cancellation_reason: Option<String>,
) -> Result<AppointmentStatus, StoreError> {
    match (name, cancelled_at, cancelled_by) {
        ("booked", None, None) => Ok(AppointmentStatus::Booked),
        ("cancelled", Some(at), Some(by)) => Ok(AppointmentStatus::Cancelled(Cancellation {
            at,
            by: CancelledBy::parse(by).ok_or_else(|| corrupt("cancelled_by", by))?,
            reason: optional_reason(cancellation_reason)?,
        })),
        (other, ..) => Err(corrupt("appointment status", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        "2026-11-24T07:00:00Z".parse().unwrap()
    }

    #[test]
    fn slot_states_need_a_holder_exactly_when_booked() {
        let (appointment, patient) = (AppointmentId::random(), UserId::random());
        assert_eq!(slot_state("free", None, None).unwrap(), SlotState::Free);
        assert_eq!(
            slot_state("withdrawn", None, None).unwrap(),
            SlotState::Withdrawn
        );
        assert_eq!(
            slot_state("booked", Some(appointment), Some(patient)).unwrap(),
            SlotState::Booked {
                appointment_id: appointment,
                patient_id: patient
            }
        );
        for (name, appointment, patient) in [
            ("booked", None, None),
            ("booked", Some(appointment), None),
            ("free", None, Some(patient)),
            ("withdrawn", Some(appointment), Some(patient)),
            ("reserved", None, None),
        ] {
            assert!(
                matches!(
                    slot_state(name, appointment, patient),
                    Err(StoreError::Corrupt(_))
                ),
                "{name} {appointment:?} {patient:?}"
            );
        }
    }

    #[test]
    fn appointment_statuses_need_cancellation_columns_exactly_when_cancelled() {
        assert_eq!(
            appointment_status("booked", None, None, None).unwrap(),
            AppointmentStatus::Booked
        );
        assert_eq!(
            appointment_status("cancelled", Some(at()), Some("patient"), Some("ill".into()))
                .unwrap(),
            AppointmentStatus::Cancelled(Cancellation {
                at: at(),
                by: CancelledBy::Patient,
                reason: Some(Reason::parse("ill").unwrap()),
            })
        );
        for (name, cancelled_at, cancelled_by) in [
            ("cancelled", None, None),
            ("cancelled", Some(at()), None),
            ("cancelled", Some(at()), Some("dentist")),
            ("booked", Some(at()), Some("clinic")),
            ("moved", None, None),
        ] {
            assert!(
                matches!(
                    appointment_status(name, cancelled_at, cancelled_by, None),
                    Err(StoreError::Corrupt(_))
                ),
                "{name} {cancelled_by:?}"
            );
        }
    }
}
