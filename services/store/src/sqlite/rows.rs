//! Mapping between rows and domain values. Stored text is parsed with the same parsers as
//! requests; a value that fails them is reported as corrupt, never passed on.

use dentismile_domain::{
    booking::Appointment,
    clinic::{Clinic, Dentist, GeoPoint, OpeningHours},
    event::{EventCursor, SlotEvent, SlotEventKind, StoredEvent},
    ids::{AppointmentId, ClinicId, DentistId, EventId, UserId},
    jiff::{Timestamp, civil::Weekday},
    ports::StoreError,
    slot::{Slot, SlotKey},
    text::{Address, DisplayName},
    time::LocalTimeRange,
};
use rusqlite::{Connection, Params, Row};

use super::{DbResult, cursor::encode_cursor};
use crate::decode::{appointment_status, corrupt, optional_reason, parsed, slot_state};

/// Runs a cached query and maps every row.
pub(crate) fn query_all<T>(
    connection: &Connection,
    sql: &str,
    params: impl Params,
    map: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = connection.prepare_cached(sql).db()?;
    let mut rows = statement.query(params).db()?;
    let mut mapped = Vec::new();
    while let Some(row) = rows.next().db()? {
        mapped.push(map(row)?);
    }
    Ok(mapped)
}

/// Runs a cached query and maps its first row, if any.
pub(crate) fn query_first<T>(
    connection: &Connection,
    sql: &str,
    params: impl Params,
    map: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut statement = connection.prepare_cached(sql).db()?;
    let mut rows = statement.query(params).db()?;
    rows.next().db()?.map(map).transpose()
}

/// Instants are stored as milliseconds since the epoch.
pub(crate) fn to_ms(instant: Timestamp) -> i64 {
    instant.as_millisecond()
}

pub(crate) fn from_ms(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|_| corrupt("timestamp", &ms.to_string()))
}

/// A column's value; a column of the wrong type is corrupt data, like a value that fails its
/// parser.
pub(crate) fn get<T: rusqlite::types::FromSql>(
    row: &Row<'_>,
    index: usize,
) -> Result<T, StoreError> {
    row.get(index)
        .map_err(|e| StoreError::Corrupt(format!("column {index}: {e}")))
}

/// Columns of [`slot_from_row`], in order.
pub(crate) const SLOT_COLUMNS: &str =
    "clinic_id, dentist_id, start_ms, end_ms, state, appointment_id, patient_id";

pub(crate) fn slot_from_row(row: &Row<'_>) -> Result<Slot, StoreError> {
    let clinic: String = get(row, 0)?;
    let dentist: String = get(row, 1)?;
    let state: String = get(row, 4)?;
    let appointment: Option<String> = get(row, 5)?;
    let patient: Option<String> = get(row, 6)?;
    let state = slot_state(
        &state,
        appointment
            .map(|id| parsed("appointment id", &id, AppointmentId::parse(&id)))
            .transpose()?,
        patient
            .map(|id| parsed("patient id", &id, UserId::parse(&id)))
            .transpose()?,
    )?;
    Ok(Slot {
        key: SlotKey {
            clinic_id: parsed("clinic id", &clinic, ClinicId::parse(&clinic))?,
            dentist_id: parsed("dentist id", &dentist, DentistId::parse(&dentist))?,
            start: from_ms(get(row, 2)?)?,
        },
        end: from_ms(get(row, 3)?)?,
        state,
    })
}

/// Columns of [`appointment_from_row`], in order.
pub(crate) const APPOINTMENT_COLUMNS: &str = "appointment_id, patient_id, patient_name, clinic_id, \
     dentist_id, start_ms, end_ms, reason, booked_ms, status, cancelled_ms, cancelled_by, \
     cancellation_reason";

pub(crate) fn appointment_from_row(row: &Row<'_>) -> Result<Appointment, StoreError> {
    let id: String = get(row, 0)?;
    let patient: String = get(row, 1)?;
    let patient_name: String = get(row, 2)?;
    let clinic: String = get(row, 3)?;
    let dentist: String = get(row, 4)?;
    let reason: Option<String> = get(row, 7)?;
    let status: String = get(row, 9)?;
    let cancelled_ms: Option<i64> = get(row, 10)?;
    let cancelled_by: Option<String> = get(row, 11)?;
    let cancellation_reason: Option<String> = get(row, 12)?;
    let status = appointment_status(
        &status,
        cancelled_ms.map(from_ms).transpose()?,
        cancelled_by.as_deref(),
        cancellation_reason,
    )?;
    Ok(Appointment {
        id: parsed("appointment id", &id, AppointmentId::parse(&id))?,
        slot: SlotKey {
            clinic_id: parsed("clinic id", &clinic, ClinicId::parse(&clinic))?,
            dentist_id: parsed("dentist id", &dentist, DentistId::parse(&dentist))?,
            start: from_ms(get(row, 5)?)?,
        },
        end: from_ms(get(row, 6)?)?,
        patient_id: parsed("patient id", &patient, UserId::parse(&patient))?,
        patient_name: parsed(
            "patient name",
            &patient_name,
            DisplayName::parse(&patient_name),
        )?,
        reason: optional_reason(reason)?,
        booked_at: from_ms(get(row, 8)?)?,
        status,
    })
}

/// Columns of [`clinic_from_row`], in order.
pub(crate) const CLINIC_COLUMNS: &str =
    "clinic_id, name, neighbourhood, address, latitude, longitude, opening_hours";

pub(crate) fn clinic_from_row(row: &Row<'_>) -> Result<Clinic, StoreError> {
    let id: String = get(row, 0)?;
    let name: String = get(row, 1)?;
    let neighbourhood: String = get(row, 2)?;
    let address: String = get(row, 3)?;
    let hours: String = get(row, 6)?;
    Ok(Clinic {
        id: parsed("clinic id", &id, ClinicId::parse(&id))?,
        name: parsed("clinic name", &name, DisplayName::parse(&name))?,
        neighbourhood: parsed(
            "neighbourhood",
            &neighbourhood,
            DisplayName::parse(&neighbourhood),
        )?,
        address: parsed("address", &address, Address::parse(&address))?,
        location: GeoPoint::new(get(row, 4)?, get(row, 5)?)
            .map_err(|_| corrupt("location", &id))?,
        opening_hours: decode_opening_hours(&hours)?,
    })
}

/// `1 08:00-17:00;2 08:00-17:00`: ISO weekday number (Monday = 1) and hours, per open day.
pub(crate) fn encode_opening_hours(hours: &OpeningHours) -> String {
    hours
        .open_days()
        .map(|(weekday, range)| format!("{} {range}", weekday.to_monday_one_offset()))
        .collect::<Vec<_>>()
        .join(";")
}

fn decode_opening_hours(text: &str) -> Result<OpeningHours, StoreError> {
    if text.is_empty() {
        return Ok(OpeningHours::closed());
    }
    let days = text
        .split(';')
        .map(|day| {
            let (number, range) = day.split_once(' ')?;
            let weekday = Weekday::from_monday_one_offset(number.parse().ok()?).ok()?;
            let (start, end) = range.split_once('-')?;
            Some((weekday, LocalTimeRange::parse(start, end).ok()?))
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| corrupt("opening hours", text))?;
    OpeningHours::from_days(days).map_err(|_| corrupt("opening hours", text))
}

pub(crate) fn dentist_from_row(row: &Row<'_>) -> Result<Dentist, StoreError> {
    let clinic: String = get(row, 0)?;
    let id: String = get(row, 1)?;
    let name: String = get(row, 2)?;
    Ok(Dentist {
        clinic_id: parsed("clinic id", &clinic, ClinicId::parse(&clinic))?,
        id: parsed("dentist id", &id, DentistId::parse(&id))?,
        name: parsed("dentist name", &name, DisplayName::parse(&name))?,
    })
}

/// Columns of [`event_from_row`], in order.
pub(crate) const EVENT_COLUMNS: &str =
    "position, event_id, seq, kind, clinic_id, dentist_id, slot_start_ms, slot_end_ms, occurred_ms";

pub(crate) fn event_from_row(row: &Row<'_>, store_id: &str) -> Result<StoredEvent, StoreError> {
    let position: i64 = get(row, 0)?;
    let event_id: String = get(row, 1)?;
    let seq: i64 = get(row, 2)?;
    let kind: String = get(row, 3)?;
    let clinic: String = get(row, 4)?;
    let dentist: String = get(row, 5)?;
    Ok(StoredEvent {
        cursor: EventCursor::from_store(encode_cursor(store_id, position)),
        event: SlotEvent {
            event_id: parsed("event id", &event_id, EventId::parse(&event_id))?,
            seq: u64::try_from(seq).map_err(|_| corrupt("seq", &seq.to_string()))?,
            kind: SlotEventKind::parse(&kind).ok_or_else(|| corrupt("event kind", &kind))?,
            slot: SlotKey {
                clinic_id: parsed("clinic id", &clinic, ClinicId::parse(&clinic))?,
                dentist_id: parsed("dentist id", &dentist, DentistId::parse(&dentist))?,
                start: from_ms(get(row, 6)?)?,
            },
            slot_end: from_ms(get(row, 7)?)?,
            occurred_at: from_ms(get(row, 8)?)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_hours_round_trip() {
        let range = LocalTimeRange::parse("08:00", "17:30").unwrap();
        let hours = OpeningHours::from_days([(Weekday::Monday, range), (Weekday::Saturday, range)])
            .unwrap();
        let text = encode_opening_hours(&hours);
        assert_eq!(text, "1 08:00-17:30;6 08:00-17:30");
        assert_eq!(decode_opening_hours(&text).unwrap(), hours);
        assert_eq!(decode_opening_hours("").unwrap(), OpeningHours::closed());
        assert!(decode_opening_hours("8 08:00-09:00").is_err());
    }
}
