//! Typed rows (`DeserializeRow`, matched to the selected columns by name) and their mapping to
//! domain values. Stored text is parsed with the same parsers as requests; a value that fails
//! them is reported as corrupt, never passed on.

use std::collections::BTreeMap;

use dentismile_domain::{
    accounts::{Account, Email, PasswordHash, Role},
    booking::Appointment,
    clinic::{Clinic, Dentist, GeoPoint, OpeningHours},
    event::{SlotEvent, SlotEventKind},
    ids::{AppointmentId, ClinicId, DentistId, EventId, UserId},
    jiff::{Timestamp, civil::Weekday},
    ports::StoreError,
    slot::{PartitionKey, Slot, SlotKey, SlotState},
    text::{Address, DisplayName},
    time::LocalTimeRange,
};
use scylla::{
    DeserializeRow,
    value::{CqlDate, CqlTimestamp, CqlValue},
};
use uuid::Uuid;

use super::values::{from_cql_date, from_cql_timestamp};
use crate::decode::{appointment_status, corrupt, optional_reason, parsed, slot_state};

/// The three kinds of rows in a clinic-day partition (the `row_kind` clustering column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowKind {
    Slot,
    Appointment,
    Event,
}

impl RowKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Slot => "slot",
            Self::Appointment => "appointment",
            Self::Event => "event",
        }
    }
}

fn required<T>(what: &str, value: Option<T>) -> Result<T, StoreError> {
    value.ok_or_else(|| StoreError::Corrupt(format!("stored {what} is missing")))
}

fn instant(what: &str, value: Option<CqlTimestamp>) -> Result<Timestamp, StoreError> {
    from_cql_timestamp(required(what, value)?)
}

pub(crate) fn clinic_id(value: &str) -> Result<ClinicId, StoreError> {
    parsed("clinic id", value, ClinicId::parse(value))
}

pub(crate) fn dentist_id(value: &str) -> Result<DentistId, StoreError> {
    parsed("dentist id", value, DentistId::parse(value))
}

/// A slot row, with its partition's version (the static `event_seq`).
#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct SlotRow {
    pub event_seq: Option<i64>,
    pub dentist_id: String,
    pub start: CqlTimestamp,
    pub slot_end: Option<CqlTimestamp>,
    pub state: Option<String>,
    pub holder_appointment_id: Option<Uuid>,
    pub holder_patient_id: Option<Uuid>,
    pub booking_key: Option<String>,
    pub updated_at: Option<CqlTimestamp>,
}

/// A slot as stored: the domain slot, plus the columns only the store needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredSlot {
    pub slot: Slot,
    /// The idempotency key of the booking holding it.
    pub booking_key: Option<String>,
    /// When it last changed.
    pub updated_at: Option<Timestamp>,
}

/// The columns of a slot row, however they were read (a SELECT or a CAS reply).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SlotColumns {
    pub slot_end: Option<CqlTimestamp>,
    pub state: Option<String>,
    pub holder_appointment_id: Option<Uuid>,
    pub holder_patient_id: Option<Uuid>,
    pub booking_key: Option<String>,
    pub updated_at: Option<CqlTimestamp>,
}

impl From<&SlotRow> for SlotColumns {
    fn from(row: &SlotRow) -> Self {
        Self {
            slot_end: row.slot_end,
            state: row.state.clone(),
            holder_appointment_id: row.holder_appointment_id,
            holder_patient_id: row.holder_patient_id,
            booking_key: row.booking_key.clone(),
            updated_at: row.updated_at,
        }
    }
}

impl SlotColumns {
    /// The slot these columns describe, or `None` when there is no slot row (no state).
    pub(crate) fn into_slot(self, key: SlotKey) -> Result<Option<StoredSlot>, StoreError> {
        let Some(state_name) = self.state else {
            return Ok(None);
        };
        let state = slot_state(
            &state_name,
            self.holder_appointment_id.map(AppointmentId::from),
            self.holder_patient_id.map(UserId::from),
        )?;
        // The booking's idempotency key is part of its hold, like the holder ids.
        if matches!(state, SlotState::Booked { .. }) != self.booking_key.is_some() {
            return Err(corrupt("slot state", &state_name));
        }
        Ok(Some(StoredSlot {
            slot: Slot {
                end: instant("slot end", self.slot_end)?,
                key,
                state,
            },
            booking_key: self.booking_key,
            updated_at: self.updated_at.map(from_cql_timestamp).transpose()?,
        }))
    }
}

impl SlotRow {
    pub(crate) fn into_slot(self, clinic: &ClinicId) -> Result<StoredSlot, StoreError> {
        let key = SlotKey {
            clinic_id: clinic.clone(),
            dentist_id: dentist_id(&self.dentist_id)?,
            start: from_cql_timestamp(self.start)?,
        };
        SlotColumns::from(&self)
            .into_slot(key)?
            .ok_or_else(|| StoreError::Corrupt("a stored slot row has no state".to_string()))
    }
}

/// An appointment row of a clinic-day partition.
#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct AppointmentRow {
    pub dentist_id: String,
    pub start: CqlTimestamp,
    pub appointment_id: Uuid,
    pub slot_end: Option<CqlTimestamp>,
    pub patient_id: Option<Uuid>,
    pub patient_name: Option<String>,
    pub reason: Option<String>,
    pub booked_at: Option<CqlTimestamp>,
    pub status: Option<String>,
    pub cancelled_at: Option<CqlTimestamp>,
    pub cancelled_by: Option<String>,
    pub cancellation_reason: Option<String>,
}

impl AppointmentRow {
    pub(crate) fn into_appointment(self, clinic: &ClinicId) -> Result<Appointment, StoreError> {
        let status = required("appointment status", self.status)?;
        let status = appointment_status(
            &status,
            self.cancelled_at.map(from_cql_timestamp).transpose()?,
            self.cancelled_by.as_deref(),
            self.cancellation_reason,
        )?;
        let name = required("patient name", self.patient_name)?;
        Ok(Appointment {
            id: AppointmentId::from(self.appointment_id),
            slot: SlotKey {
                clinic_id: clinic.clone(),
                dentist_id: dentist_id(&self.dentist_id)?,
                start: from_cql_timestamp(self.start)?,
            },
            end: instant("appointment end", self.slot_end)?,
            patient_id: UserId::from(required("patient id", self.patient_id)?),
            patient_name: parsed("patient name", &name, DisplayName::parse(&name))?,
            reason: optional_reason(self.reason)?,
            booked_at: instant("booking time", self.booked_at)?,
            status,
        })
    }
}

/// An event row of a clinic-day partition.
#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct EventRow {
    pub seq: i64,
    pub dentist_id: String,
    pub start: CqlTimestamp,
    pub event_id: Option<Uuid>,
    pub kind: Option<String>,
    pub slot_end: Option<CqlTimestamp>,
    pub occurred_at: Option<CqlTimestamp>,
}

fn event_kind(value: Option<String>) -> Result<SlotEventKind, StoreError> {
    let kind = required("event kind", value)?;
    SlotEventKind::parse(&kind).ok_or_else(|| corrupt("event kind", &kind))
}

fn seq(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value)
        .ok()
        .filter(|seq| *seq > 0)
        .ok_or_else(|| corrupt("event seq", &value.to_string()))
}

impl EventRow {
    pub(crate) fn into_event(self, clinic: &ClinicId) -> Result<SlotEvent, StoreError> {
        Ok(SlotEvent {
            event_id: EventId::from(required("event id", self.event_id)?),
            seq: seq(self.seq)?,
            kind: event_kind(self.kind)?,
            slot: SlotKey {
                clinic_id: clinic.clone(),
                dentist_id: dentist_id(&self.dentist_id)?,
                start: from_cql_timestamp(self.start)?,
            },
            slot_end: instant("event slot end", self.slot_end)?,
            occurred_at: instant("event time", self.occurred_at)?,
        })
    }
}

/// An entry of the global event log.
#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct LogRow {
    pub position: i64,
    pub event_id: Option<Uuid>,
    pub clinic_id: Option<String>,
    pub day: Option<CqlDate>,
    pub seq: Option<i64>,
    pub kind: Option<String>,
    pub dentist_id: Option<String>,
    pub slot_start: Option<CqlTimestamp>,
    pub slot_end: Option<CqlTimestamp>,
    pub occurred_at: Option<CqlTimestamp>,
}

impl LogRow {
    /// The entry's position, its partition and its event.
    pub(crate) fn into_entry(self) -> Result<(i64, PartitionKey, SlotEvent), StoreError> {
        let clinic = clinic_id(&required("log clinic", self.clinic_id)?)?;
        let day = from_cql_date(required("log day", self.day)?)?;
        let event = SlotEvent {
            event_id: EventId::from(required("log event id", self.event_id)?),
            seq: seq(required("log seq", self.seq)?)?,
            kind: event_kind(self.kind)?,
            slot: SlotKey {
                clinic_id: clinic.clone(),
                dentist_id: dentist_id(&required("log dentist", self.dentist_id)?)?,
                start: instant("log slot start", self.slot_start)?,
            },
            slot_end: instant("log slot end", self.slot_end)?,
            occurred_at: instant("log event time", self.occurred_at)?,
        };
        let partition = PartitionKey {
            clinic_id: clinic,
            day,
        };
        Ok((self.position, partition, event))
    }
}

/// Where an appointment (or a booking attempt) lives.
#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct LocationRow {
    pub clinic_id: String,
    pub day: CqlDate,
    pub dentist_id: String,
    pub start: CqlTimestamp,
}

impl LocationRow {
    pub(crate) fn slot_key(&self) -> Result<SlotKey, StoreError> {
        located_key(&self.clinic_id, self.day, &self.dentist_id, self.start)
    }
}

/// The slot a lookup row points at; its stored day must be the slot's local day.
pub(crate) fn located_key(
    clinic: &str,
    day: CqlDate,
    dentist: &str,
    start: CqlTimestamp,
) -> Result<SlotKey, StoreError> {
    let key = SlotKey {
        clinic_id: clinic_id(clinic)?,
        dentist_id: dentist_id(dentist)?,
        start: from_cql_timestamp(start)?,
    };
    if from_cql_date(day)? != key.day() {
        return Err(StoreError::Corrupt(format!(
            "a lookup of slot {key} names the wrong day"
        )));
    }
    Ok(key)
}

/// An entry of a patient's appointment list.
#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct ByPatientRow {
    pub start: CqlTimestamp,
    pub appointment_id: Uuid,
    pub clinic_id: String,
    pub day: CqlDate,
    pub dentist_id: String,
}

/// What an idempotency key booked.
#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct KeyRow {
    pub appointment_id: Uuid,
    pub clinic_id: String,
    pub day: CqlDate,
    pub dentist_id: String,
    pub start: CqlTimestamp,
    pub expires_at: Option<CqlTimestamp>,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct ClinicRow {
    pub clinic_id: String,
    pub name: String,
    pub neighbourhood: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub opening_hours: Option<BTreeMap<i8, String>>,
}

impl ClinicRow {
    pub(crate) fn into_clinic(self) -> Result<Clinic, StoreError> {
        Ok(Clinic {
            id: clinic_id(&self.clinic_id)?,
            name: parsed("clinic name", &self.name, DisplayName::parse(&self.name))?,
            neighbourhood: parsed(
                "neighbourhood",
                &self.neighbourhood,
                DisplayName::parse(&self.neighbourhood),
            )?,
            address: parsed("address", &self.address, Address::parse(&self.address))?,
            location: GeoPoint::new(self.latitude, self.longitude)
                .map_err(|_| corrupt("location of clinic", &self.clinic_id))?,
            opening_hours: decode_opening_hours(self.opening_hours.unwrap_or_default())?,
        })
    }
}

/// Opening hours as a CQL map: ISO weekday number (Monday = 1) to `HH:MM-HH:MM`.
pub(crate) fn encode_opening_hours(hours: &OpeningHours) -> CqlValue {
    CqlValue::Map(
        hours
            .open_days()
            .map(|(weekday, range)| {
                (
                    CqlValue::TinyInt(weekday.to_monday_one_offset()),
                    CqlValue::Text(range.to_string()),
                )
            })
            .collect(),
    )
}

pub(crate) fn decode_opening_hours(map: BTreeMap<i8, String>) -> Result<OpeningHours, StoreError> {
    let days = map
        .into_iter()
        .map(|(number, range)| {
            let bad = || corrupt("opening hours", &format!("{number} {range}"));
            let weekday = Weekday::from_monday_one_offset(number).map_err(|_| bad())?;
            let (start, end) = range.split_once('-').ok_or_else(bad)?;
            let range = LocalTimeRange::parse(start, end).map_err(|_| bad())?;
            Ok((weekday, range))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    OpeningHours::from_days(days).map_err(|_| corrupt("opening hours", "(duplicate weekday)"))
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct DentistRow {
    pub clinic_id: String,
    pub dentist_id: String,
    pub name: String,
}

impl DentistRow {
    pub(crate) fn into_dentist(self) -> Result<Dentist, StoreError> {
        Ok(Dentist {
            clinic_id: clinic_id(&self.clinic_id)?,
            id: dentist_id(&self.dentist_id)?,
            name: parsed("dentist name", &self.name, DisplayName::parse(&self.name))?,
        })
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct AccountRow {
    pub email: String,
    pub user_id: Uuid,
    pub password_hash: String,
    pub display_name: String,
    pub account_role: String,
    pub clinic_id: Option<String>,
    pub dentist_id: Option<String>,
    pub created_at: CqlTimestamp,
}

impl AccountRow {
    pub(crate) fn into_account(self) -> Result<Account, StoreError> {
        Ok(Account {
            id: UserId::from(self.user_id),
            email: parsed("email", &self.email, Email::parse(&self.email))?,
            display_name: parsed(
                "display name",
                &self.display_name,
                DisplayName::parse(&self.display_name),
            )?,
            role: Role::parse(&self.account_role)
                .ok_or_else(|| corrupt("role", &self.account_role))?,
            clinic_id: self.clinic_id.as_deref().map(clinic_id).transpose()?,
            dentist_id: self.dentist_id.as_deref().map(dentist_id).transpose()?,
            password_hash: PasswordHash::from_phc(self.password_hash),
            created_at: from_cql_timestamp(self.created_at)?,
        })
    }
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct SessionRow {
    pub user_id: Option<Uuid>,
    pub revoked_at: Option<CqlTimestamp>,
    pub current_token: Option<String>,
    pub current_expires_at: Option<CqlTimestamp>,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct TokenRow {
    pub session_id: Uuid,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct RevocationRow {
    pub revoked_at: CqlTimestamp,
    pub session_id: Uuid,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct RevocationDayRow {
    pub revoked_day: CqlDate,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct PendingRow {
    pub clinic_id: String,
    pub day: CqlDate,
    pub registered_micros: Option<i64>,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct SegmentHeadRow {
    pub head: Option<i64>,
    pub confirmed: Option<i64>,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct PartitionSeqRow {
    pub event_seq: Option<i64>,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct SequencedRow {
    pub seq: i64,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct StoreIdRow {
    pub store_id: Option<Uuid>,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct TailRow {
    pub segment: Option<i64>,
}

#[derive(Debug, Clone, DeserializeRow)]
pub(crate) struct EmailRow {
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use dentismile_domain::booking::{AppointmentStatus, CancelledBy};

    use super::*;
    use crate::scylla::values::to_cql_timestamp;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn clinic() -> ClinicId {
        ClinicId::parse("majorna").unwrap()
    }

    fn slot_row(state: &str) -> SlotRow {
        SlotRow {
            event_seq: Some(4),
            dentist_id: "dr-a".into(),
            start: to_cql_timestamp(at("2026-11-25T08:00:00Z")),
            slot_end: Some(to_cql_timestamp(at("2026-11-25T08:30:00Z"))),
            state: Some(state.into()),
            holder_appointment_id: None,
            holder_patient_id: None,
            booking_key: None,
            updated_at: None,
        }
    }

    #[test]
    fn slot_rows_map_to_slots_and_refuse_broken_states() {
        let free = slot_row("free").into_slot(&clinic()).unwrap();
        assert_eq!(free.slot.state, SlotState::Free);
        assert_eq!(free.slot.key.dentist_id.as_str(), "dr-a");
        assert_eq!(free.slot.end, at("2026-11-25T08:30:00Z"));

        let (appointment, patient) = (Uuid::now_v7(), Uuid::new_v4());
        let booked = SlotRow {
            holder_appointment_id: Some(appointment),
            holder_patient_id: Some(patient),
            booking_key: Some("key-12345".into()),
            ..slot_row("booked")
        }
        .into_slot(&clinic())
        .unwrap();
        assert_eq!(
            booked.slot.state,
            SlotState::Booked {
                appointment_id: AppointmentId::from(appointment),
                patient_id: UserId::from(patient)
            }
        );
        assert_eq!(booked.booking_key.as_deref(), Some("key-12345"));

        // Booked without its holder or its key, free with a holder or a key, an unknown state,
        // a bad dentist id.
        for broken in [
            slot_row("booked"),
            SlotRow {
                holder_appointment_id: Some(appointment),
                holder_patient_id: Some(patient),
                ..slot_row("booked")
            },
            SlotRow {
                holder_patient_id: Some(patient),
                ..slot_row("free")
            },
            SlotRow {
                booking_key: Some("key-12345".into()),
                ..slot_row("free")
            },
            slot_row("reserved"),
            SlotRow {
                dentist_id: "Dr A".into(),
                ..slot_row("free")
            },
        ] {
            assert!(matches!(
                broken.into_slot(&clinic()),
                Err(StoreError::Corrupt(_))
            ));
        }
    }

    #[test]
    fn appointment_rows_map_with_their_cancellation() {
        let row = AppointmentRow {
            dentist_id: "dr-a".into(),
            start: to_cql_timestamp(at("2026-11-25T08:00:00Z")),
            appointment_id: Uuid::now_v7(),
            slot_end: Some(to_cql_timestamp(at("2026-11-25T08:30:00Z"))),
            patient_id: Some(Uuid::new_v4()),
            patient_name: Some("Åsa Öberg".into()),
            reason: Some("toothache".into()),
            booked_at: Some(to_cql_timestamp(at("2026-11-24T06:00:00Z"))),
            status: Some("booked".into()),
            cancelled_at: None,
            cancelled_by: None,
            cancellation_reason: None,
        };
        let booked = row.clone().into_appointment(&clinic()).unwrap();
        assert!(booked.is_booked());
        assert_eq!(booked.patient_name.as_str(), "Åsa Öberg");
        let cancelled = AppointmentRow {
            status: Some("cancelled".into()),
            cancelled_at: Some(to_cql_timestamp(at("2026-11-24T07:00:00Z"))),
            cancelled_by: Some("clinic".into()),
            cancellation_reason: Some("dentist ill".into()),
            ..row.clone()
        }
        .into_appointment(&clinic())
        .unwrap();
        match cancelled.status {
            AppointmentStatus::Cancelled(c) => {
                assert_eq!(c.by, CancelledBy::Clinic);
                assert_eq!(c.reason.unwrap().as_str(), "dentist ill");
            }
            other => panic!("{other:?}"),
        }
        let half_cancelled = AppointmentRow {
            status: Some("cancelled".into()),
            ..row
        };
        assert!(half_cancelled.into_appointment(&clinic()).is_err());
    }

    #[test]
    fn log_rows_map_to_their_partition_and_event() {
        let row = LogRow {
            position: 7,
            event_id: Some(Uuid::now_v7()),
            clinic_id: Some("majorna".into()),
            day: Some(crate::scylla::values::to_cql_date(
                dentismile_domain::time::LocalDay::parse("2026-10-25").unwrap(),
            )),
            seq: Some(3),
            kind: Some("booked".into()),
            dentist_id: Some("dr-a".into()),
            slot_start: Some(to_cql_timestamp(at("2026-10-25T01:30:00Z"))),
            slot_end: Some(to_cql_timestamp(at("2026-10-25T02:00:00Z"))),
            occurred_at: Some(to_cql_timestamp(at("2026-10-20T10:00:00Z"))),
        };
        let (position, partition, event) = row.clone().into_entry().unwrap();
        assert_eq!(position, 7);
        assert_eq!(partition.to_string(), "majorna/2026-10-25");
        assert_eq!(event.kind, SlotEventKind::Booked);
        assert_eq!(event.seq, 3);
        let bad_seq = LogRow {
            seq: Some(0),
            ..row.clone()
        };
        assert!(bad_seq.into_entry().is_err());
        let bad_kind = LogRow {
            kind: Some("cancelled".into()),
            ..row
        };
        assert!(bad_kind.into_entry().is_err());
    }

    #[test]
    fn opening_hours_round_trip_through_the_cql_map() {
        let range = LocalTimeRange::parse("08:00", "17:30").unwrap();
        let hours =
            OpeningHours::from_days([(Weekday::Monday, range), (Weekday::Sunday, range)]).unwrap();
        let CqlValue::Map(pairs) = encode_opening_hours(&hours) else {
            panic!("not a map")
        };
        assert_eq!(
            pairs,
            [
                (CqlValue::TinyInt(1), CqlValue::Text("08:00-17:30".into())),
                (CqlValue::TinyInt(7), CqlValue::Text("08:00-17:30".into())),
            ]
        );
        let map: BTreeMap<i8, String> = pairs
            .into_iter()
            .map(|(k, v)| match (k, v) {
                (CqlValue::TinyInt(k), CqlValue::Text(v)) => (k, v),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(decode_opening_hours(map).unwrap(), hours);
        assert!(decode_opening_hours(BTreeMap::from([(8, "08:00-09:00".into())])).is_err());
        assert!(decode_opening_hours(BTreeMap::from([(1, "08:00".into())])).is_err());
    }

    #[test]
    fn row_kinds_have_stable_names() {
        assert_eq!(
            [RowKind::Slot, RowKind::Appointment, RowKind::Event].map(RowKind::name),
            ["slot", "appointment", "event"]
        );
    }
}
