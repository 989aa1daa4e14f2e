//! Conversions between `dentismile.v1` messages and domain values. Parsing names the request
//! field of every error, nested fields with dots (`plan.breaks[1].end`).

use dentismile_domain::{
    booking::{Appointment, AppointmentStatus, CancelledBy},
    clinic::{Clinic, Dentist, GeoPoint, OpeningHours},
    error::{AtField, ValidationError},
    event::{EVENT_SCHEMA_VERSION, SlotEvent, SlotEventKind},
    ids::{ClinicId, DentistId},
    jiff::civil::Weekday,
    plan::{WorkingPlan, WorkingPlanParts},
    slot::{Slot, SlotKey, SlotState},
    text::{Address, DisplayName},
    time::{LocalDay, LocalTimeRange},
};
use dentismile_proto::v1 as pb;
use dentismile_runtime::wire::{instant, required, timestamp};

/// A slot's state on the wire.
pub fn slot_state(state: &SlotState) -> pb::SlotState {
    match state {
        SlotState::Free => pb::SlotState::Free,
        SlotState::Booked { .. } => pb::SlotState::Booked,
        SlotState::Withdrawn => pb::SlotState::Withdrawn,
    }
}

/// A slot key on the wire.
pub fn slot_ref(key: &SlotKey) -> pb::SlotRef {
    pb::SlotRef {
        clinic_id: key.clinic_id.to_string(),
        dentist_id: key.dentist_id.to_string(),
        start: Some(timestamp(key.start)),
    }
}

/// A slot on the wire: no patient data.
pub fn slot(slot: &Slot) -> pb::Slot {
    pb::Slot {
        r#ref: Some(slot_ref(&slot.key)),
        end: Some(timestamp(slot.end)),
        day: slot.key.day().to_string(),
        state: slot_state(&slot.state).into(),
    }
}

/// Parses a slot reference found at `field`.
pub fn parse_slot_ref(
    value: Option<&pb::SlotRef>,
    field: &str,
) -> Result<SlotKey, ValidationError> {
    let value = required(value, field)?;
    let clinic_id = ClinicId::parse(&value.clinic_id).at_field(&format!("{field}.clinic_id"))?;
    let dentist_id =
        DentistId::parse(&value.dentist_id).at_field(&format!("{field}.dentist_id"))?;
    let start = instant(value.start.as_ref()).at_field(&format!("{field}.start"))?;
    SlotKey::new(clinic_id, dentist_id, start).at_field(field)
}

/// Parses a local day found at `field`.
pub fn parse_day(value: &str, field: &str) -> Result<LocalDay, ValidationError> {
    LocalDay::parse(value).at_field(field)
}

/// Parses an optional dentist id (empty means none).
pub fn parse_optional_dentist(
    value: &str,
    field: &str,
) -> Result<Option<DentistId>, ValidationError> {
    if value.is_empty() {
        Ok(None)
    } else {
        DentistId::parse(value).at_field(field).map(Some)
    }
}

/// Display names an appointment is shown with.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// The clinic's name.
    pub clinic: String,
    /// The dentist's name.
    pub dentist: String,
}

/// An appointment on the wire, for its patient or staff.
pub fn appointment(appointment: &Appointment, names: &Names) -> pb::Appointment {
    let (status, cancelled_at, cancelled_by, cancellation_reason, state) = match &appointment.status
    {
        AppointmentStatus::Booked => (
            pb::AppointmentStatus::Booked,
            None,
            pb::CancelledBy::Unspecified,
            String::new(),
            pb::SlotState::Booked,
        ),
        AppointmentStatus::Cancelled(cancellation) => (
            pb::AppointmentStatus::Cancelled,
            Some(timestamp(cancellation.at)),
            match cancellation.by {
                CancelledBy::Patient => pb::CancelledBy::Patient,
                CancelledBy::Clinic => pb::CancelledBy::Clinic,
            },
            cancellation
                .reason
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            pb::SlotState::Unspecified,
        ),
    };
    pb::Appointment {
        id: appointment.id.to_string(),
        slot: Some(pb::Slot {
            r#ref: Some(slot_ref(&appointment.slot)),
            end: Some(timestamp(appointment.end)),
            day: appointment.slot.day().to_string(),
            state: state.into(),
        }),
        patient_id: appointment.patient_id.to_string(),
        status: status.into(),
        reason: appointment
            .reason
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        booked_at: Some(timestamp(appointment.booked_at)),
        cancelled_at,
        cancelled_by: cancelled_by.into(),
        cancellation_reason,
        clinic_name: names.clinic.clone(),
        dentist_name: names.dentist.clone(),
    }
}

/// A slot event on the wire.
pub fn event(event: &SlotEvent) -> pb::SlotEvent {
    pb::SlotEvent {
        event_id: event.event_id.to_string(),
        seq: event.seq,
        kind: match event.kind {
            SlotEventKind::Published => pb::SlotEventKind::Published,
            SlotEventKind::Booked => pb::SlotEventKind::Booked,
            SlotEventKind::Released => pb::SlotEventKind::Released,
            SlotEventKind::Withdrawn => pb::SlotEventKind::Withdrawn,
        }
        .into(),
        clinic_id: event.slot.clinic_id.to_string(),
        dentist_id: event.slot.dentist_id.to_string(),
        day: event.slot.day().to_string(),
        slot_start: Some(timestamp(event.slot.start)),
        slot_end: Some(timestamp(event.slot_end)),
        occurred_at: Some(timestamp(event.occurred_at)),
        schema_version: EVENT_SCHEMA_VERSION,
    }
}

/// A weekday on the wire.
pub fn weekday(weekday: Weekday) -> pb::Weekday {
    match weekday {
        Weekday::Monday => pb::Weekday::Monday,
        Weekday::Tuesday => pb::Weekday::Tuesday,
        Weekday::Wednesday => pb::Weekday::Wednesday,
        Weekday::Thursday => pb::Weekday::Thursday,
        Weekday::Friday => pb::Weekday::Friday,
        Weekday::Saturday => pb::Weekday::Saturday,
        Weekday::Sunday => pb::Weekday::Sunday,
    }
}

fn parse_weekday(value: i32) -> Result<Weekday, ValidationError> {
    let offset = i8::try_from(value).ok().filter(|v| (1..=7).contains(v));
    offset
        .and_then(|v| Weekday::from_monday_one_offset(v).ok())
        .ok_or_else(|| {
            ValidationError::value(format!(
                "{value} is not a weekday (1 = Monday to 7 = Sunday)"
            ))
        })
}

fn parse_range(
    value: Option<&pb::LocalTimeRange>,
    field: &str,
) -> Result<LocalTimeRange, ValidationError> {
    let value = required(value, field)?;
    LocalTimeRange::parse(&value.start, &value.end).at_field(field)
}

/// A dentist on the wire.
pub fn dentist(dentist: &Dentist) -> pb::Dentist {
    pb::Dentist {
        id: dentist.id.to_string(),
        clinic_id: dentist.clinic_id.to_string(),
        name: dentist.name.to_string(),
    }
}

/// A clinic with its dentists on the wire.
pub fn clinic(clinic: &Clinic, dentists: &[Dentist]) -> pb::Clinic {
    pb::Clinic {
        id: clinic.id.to_string(),
        name: clinic.name.to_string(),
        neighbourhood: clinic.neighbourhood.to_string(),
        address: clinic.address.to_string(),
        location: Some(pb::GeoPoint {
            latitude: clinic.location.latitude(),
            longitude: clinic.location.longitude(),
        }),
        opening_hours: clinic
            .opening_hours
            .open_days()
            .map(|(day, hours)| pb::OpeningHours {
                weekday: weekday(day).into(),
                hours: Some(pb::LocalTimeRange {
                    start: hours.start().to_string(),
                    end: hours.end().to_string(),
                }),
            })
            .collect(),
        dentists: dentists.iter().map(dentist).collect(),
    }
}

/// Parses the clinic of an UpsertClinic request; fields under `clinic.`.
pub fn parse_clinic(value: Option<&pb::Clinic>) -> Result<Clinic, ValidationError> {
    let value = required(value, "clinic")?;
    let location = required(value.location.as_ref(), "clinic.location")?;
    let mut days = Vec::with_capacity(value.opening_hours.len());
    for (index, entry) in value.opening_hours.iter().enumerate() {
        let field = format!("clinic.opening_hours[{index}]");
        let day = parse_weekday(entry.weekday).at_field(&format!("{field}.weekday"))?;
        let hours = parse_range(entry.hours.as_ref(), &format!("{field}.hours"))?;
        days.push((day, hours));
    }
    Ok(Clinic {
        id: ClinicId::parse(&value.id).at_field("clinic.id")?,
        name: DisplayName::parse(&value.name).at_field("clinic.name")?,
        neighbourhood: DisplayName::parse(&value.neighbourhood).at_field("clinic.neighbourhood")?,
        address: Address::parse(&value.address).at_field("clinic.address")?,
        location: GeoPoint::new(location.latitude, location.longitude)
            .at_field("clinic.location")?,
        opening_hours: OpeningHours::from_days(days).at_field("clinic.opening_hours")?,
    })
}

/// Parses the dentist of an AddDentist request; fields under `dentist.`.
pub fn parse_dentist(value: Option<&pb::Dentist>) -> Result<Dentist, ValidationError> {
    let value = required(value, "dentist")?;
    Ok(Dentist {
        clinic_id: ClinicId::parse(&value.clinic_id).at_field("dentist.clinic_id")?,
        id: DentistId::parse(&value.id).at_field("dentist.id")?,
        name: DisplayName::parse(&value.name).at_field("dentist.name")?,
    })
}

/// Parses a working plan; fields under `plan.`.
pub fn parse_plan(value: Option<&pb::WorkingPlan>) -> Result<WorkingPlan, ValidationError> {
    let value = required(value, "plan")?;
    let mut weekdays = Vec::with_capacity(value.weekdays.len());
    for (index, day) in value.weekdays.iter().enumerate() {
        weekdays.push(parse_weekday(*day).at_field(&format!("plan.weekdays[{index}]"))?);
    }
    let mut breaks = Vec::with_capacity(value.breaks.len());
    for (index, pause) in value.breaks.iter().enumerate() {
        breaks.push(parse_range(Some(pause), &format!("plan.breaks[{index}]"))?);
    }
    let parts = WorkingPlanParts {
        clinic_id: ClinicId::parse(&value.clinic_id).at_field("plan.clinic_id")?,
        dentist_id: DentistId::parse(&value.dentist_id).at_field("plan.dentist_id")?,
        weekdays,
        hours: parse_range(value.hours.as_ref(), "plan.hours")?,
        breaks,
        slot_minutes: value.slot_minutes,
        first_day: parse_day(&value.first_day, "plan.first_day")?,
        last_day: parse_day(&value.last_day, "plan.last_day")?,
    };
    WorkingPlan::new(parts).at_field("plan")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_errors_name_nested_fields() {
        let plan = pb::WorkingPlan {
            clinic_id: "majorna".into(),
            dentist_id: "dr-a".into(),
            weekdays: vec![1, 9],
            hours: Some(pb::LocalTimeRange {
                start: "08:00".into(),
                end: "17:00".into(),
            }),
            breaks: vec![],
            slot_minutes: 30,
            first_day: "2026-12-01".into(),
            last_day: "2026-12-31".into(),
        };
        assert_eq!(
            parse_plan(Some(&plan)).unwrap_err().field(),
            "plan.weekdays[1]"
        );
        let plan = pb::WorkingPlan {
            weekdays: vec![1],
            breaks: vec![pb::LocalTimeRange {
                start: "12:00".into(),
                end: "1300".into(),
            }],
            ..plan
        };
        assert_eq!(
            parse_plan(Some(&plan)).unwrap_err().field(),
            "plan.breaks[0].end"
        );
        assert_eq!(parse_plan(None).unwrap_err().field(), "plan");
    }

    #[test]
    fn slot_refs_name_their_parts() {
        let missing_start = pb::SlotRef {
            clinic_id: "majorna".into(),
            dentist_id: "dr-a".into(),
            start: None,
        };
        assert_eq!(
            parse_slot_ref(Some(&missing_start), "slot")
                .unwrap_err()
                .field(),
            "slot.start"
        );
        let bad_clinic = pb::SlotRef {
            clinic_id: "".into(),
            ..missing_start
        };
        assert_eq!(
            parse_slot_ref(Some(&bad_clinic), "slot")
                .unwrap_err()
                .field(),
            "slot.clinic_id"
        );
    }
}
