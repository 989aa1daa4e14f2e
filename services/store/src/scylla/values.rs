//! Bound values, named in the order their statement's `?` markers expect them, and the
//! conversions between domain values and CQL values.
//!
//! Every statement's values are built through [`Values`], which records a name per marker
//! (`where clinic_id`, `set state`, `if event_seq`, `value slot_end`, `ttl`, ...). The unit
//! tests of `statements` read the markers out of each statement's text and compare them with
//! the names a builder produces, so a value bound in the wrong place fails a test, not a
//! booking.

use dentismile_domain::{
    jiff::{Timestamp, civil::date},
    ports::StoreError,
    slot::PartitionKey,
    time::LocalDay,
};
use scylla::value::{CqlDate, CqlTimestamp, CqlValue};
use uuid::Uuid;

/// Values for one statement, each with the name of the marker it fills.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Values {
    named: Vec<(String, Option<CqlValue>)>,
}

impl Values {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn push(mut self, clause: &str, column: &str, value: Option<CqlValue>) -> Self {
        let name = if clause.is_empty() {
            column.to_string()
        } else {
            format!("{clause} {column}")
        };
        self.named.push((name, value));
        self
    }

    /// A `WHERE column <op> ?` marker.
    pub(crate) fn key(self, column: &str, value: impl Into<Option<CqlValue>>) -> Self {
        self.push("where", column, value.into())
    }

    /// A `SET column = ?` marker.
    pub(crate) fn set(self, column: &str, value: impl Into<Option<CqlValue>>) -> Self {
        self.push("set", column, value.into())
    }

    /// An `IF column = ?` marker.
    pub(crate) fn cond(self, column: &str, value: impl Into<Option<CqlValue>>) -> Self {
        self.push("if", column, value.into())
    }

    /// An `INSERT (..., column, ...) VALUES (..., ?, ...)` marker.
    pub(crate) fn value(self, column: &str, value: impl Into<Option<CqlValue>>) -> Self {
        self.push("value", column, value.into())
    }

    /// A `USING TTL ?` marker.
    pub(crate) fn ttl(self, seconds: i32) -> Self {
        self.push("", "ttl", Some(CqlValue::Int(seconds)))
    }

    /// A `USING TIMESTAMP ?` marker (microseconds).
    pub(crate) fn timestamp(self, micros: i64) -> Self {
        self.push("", "timestamp", Some(CqlValue::BigInt(micros)))
    }

    /// The partition key of a clinic-day partition.
    pub(crate) fn partition(self, partition: &PartitionKey) -> Self {
        self.key("clinic_id", text(partition.clinic_id.as_str()))
            .key("day", day(partition.day))
    }

    /// The marker names, in order.
    #[cfg(test)]
    pub(crate) fn names(&self) -> Vec<&str> {
        self.named.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// The values alone, as the driver binds them.
    pub(crate) fn into_cql(self) -> Vec<Option<CqlValue>> {
        self.named.into_iter().map(|(_, value)| value).collect()
    }
}

pub(crate) fn text(value: &str) -> CqlValue {
    CqlValue::Text(value.to_string())
}

pub(crate) fn opt_text(value: Option<&str>) -> Option<CqlValue> {
    value.map(text)
}

pub(crate) fn uuid(value: Uuid) -> CqlValue {
    CqlValue::Uuid(value)
}

pub(crate) fn bigint(value: i64) -> CqlValue {
    CqlValue::BigInt(value)
}

pub(crate) fn timestamp(instant: Timestamp) -> CqlValue {
    CqlValue::Timestamp(to_cql_timestamp(instant))
}

pub(crate) fn day(day: LocalDay) -> CqlValue {
    CqlValue::Date(to_cql_date(day))
}

/// CQL timestamps are milliseconds; finer precision is dropped, as the embedded store does.
pub(crate) fn to_cql_timestamp(instant: Timestamp) -> CqlTimestamp {
    CqlTimestamp(instant.as_millisecond())
}

pub(crate) fn from_cql_timestamp(value: CqlTimestamp) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(value.0)
        .map_err(|_| StoreError::Corrupt(format!("stored timestamp {} is out of range", value.0)))
}

/// An instant as it will read back from the store (whole milliseconds), so what a write
/// returns equals what a later read returns.
pub(crate) fn stored_instant(instant: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(instant.as_millisecond()).unwrap_or(instant)
}

/// CQL `date` counts days with 1970-01-01 at 2^31.
const EPOCH_DAY: i64 = 1 << 31;

fn epoch() -> LocalDay {
    LocalDay::from_date(date(1970, 1, 1))
}

pub(crate) fn to_cql_date(day: LocalDay) -> CqlDate {
    let days = epoch().days_until(day) + EPOCH_DAY;
    // Dates the domain handles (years 1 to 9999) are always within u32 here.
    CqlDate(u32::try_from(days).expect("a civil date fits CQL's date range"))
}

pub(crate) fn from_cql_date(value: CqlDate) -> Result<LocalDay, StoreError> {
    let days = i64::from(value.0) - EPOCH_DAY;
    let corrupt = || StoreError::Corrupt(format!("stored date {days} days from 1970 is invalid"));
    let span = dentismile_domain::jiff::Span::new()
        .try_days(days)
        .map_err(|_| corrupt())?;
    epoch()
        .date()
        .checked_add(span)
        .map(LocalDay::from_date)
        .map_err(|_| corrupt())
}

#[cfg(test)]
mod tests {
    use dentismile_domain::{ids::ClinicId, ids::DentistId, slot::SlotKey};

    use super::*;

    #[test]
    fn dates_count_days_from_2_to_the_31() {
        assert_eq!(to_cql_date(epoch()), CqlDate(1 << 31));
        let day = LocalDay::parse("2026-03-29").unwrap();
        let cql = to_cql_date(day);
        assert_eq!(i64::from(cql.0) - (1 << 31), 20_541);
        assert_eq!(from_cql_date(cql).unwrap(), day);
        let before = LocalDay::parse("1969-12-31").unwrap();
        assert_eq!(to_cql_date(before), CqlDate((1 << 31) - 1));
        assert_eq!(from_cql_date(to_cql_date(before)).unwrap(), before);
        assert!(from_cql_date(CqlDate(u32::MAX)).is_err());
    }

    /// Partition keys are the clinic's local date: around both daylight-saving changes of 2026
    /// a slot's day (and so its partition) follows Stockholm's calendar, not UTC's.
    #[test]
    fn partition_keys_follow_the_local_day_across_the_2026_changes() {
        let clinic = ClinicId::parse("majorna").unwrap();
        let dentist = DentistId::parse("dr-a").unwrap();
        let partition_day = |utc: &str| {
            let key = SlotKey::new(clinic.clone(), dentist.clone(), utc.parse().unwrap()).unwrap();
            let values = Values::new().partition(&key.partition()).into_cql();
            assert_eq!(values[0], Some(text("majorna")));
            match &values[1] {
                Some(CqlValue::Date(date)) => from_cql_date(*date).unwrap().to_string(),
                other => panic!("{other:?}"),
            }
        };
        // Spring, 29 March: CET (+01:00) until 01:00 UTC, CEST (+02:00) after.
        assert_eq!(partition_day("2026-03-28T22:59:00Z"), "2026-03-28"); // 23:59 CET
        assert_eq!(partition_day("2026-03-28T23:00:00Z"), "2026-03-29"); // 00:00 CET
        assert_eq!(partition_day("2026-03-29T00:59:00Z"), "2026-03-29"); // 01:59 CET
        assert_eq!(partition_day("2026-03-29T01:00:00Z"), "2026-03-29"); // 03:00 CEST
        assert_eq!(partition_day("2026-03-29T21:59:00Z"), "2026-03-29"); // 23:59 CEST
        assert_eq!(partition_day("2026-03-29T22:00:00Z"), "2026-03-30"); // 00:00 CEST
        // Autumn, 25 October: CEST until 01:00 UTC, CET after; 02:00-03:00 happens twice.
        assert_eq!(partition_day("2026-10-24T21:59:00Z"), "2026-10-24"); // 23:59 CEST
        assert_eq!(partition_day("2026-10-24T22:00:00Z"), "2026-10-25"); // 00:00 CEST
        assert_eq!(partition_day("2026-10-25T00:30:00Z"), "2026-10-25"); // 02:30 CEST
        assert_eq!(partition_day("2026-10-25T01:30:00Z"), "2026-10-25"); // 02:30 CET
        assert_eq!(partition_day("2026-10-25T22:59:00Z"), "2026-10-25"); // 23:59 CET
        assert_eq!(partition_day("2026-10-25T23:00:00Z"), "2026-10-26"); // 00:00 CET
    }

    #[test]
    fn timestamps_are_milliseconds() {
        let instant: Timestamp = "2026-10-25T01:30:00.123456789Z".parse().unwrap();
        let cql = to_cql_timestamp(instant);
        assert_eq!(cql.0, instant.as_millisecond());
        assert_eq!(
            from_cql_timestamp(cql).unwrap().to_string(),
            "2026-10-25T01:30:00.123Z"
        );
        assert_eq!(stored_instant(instant), from_cql_timestamp(cql).unwrap());
        assert!(from_cql_timestamp(CqlTimestamp(i64::MAX)).is_err());
    }

    #[test]
    fn values_keep_their_marker_names_in_order() {
        let values = Values::new()
            .set("state", text("free"))
            .key("clinic_id", text("c"))
            .cond("event_seq", None)
            .ttl(60);
        assert_eq!(
            values.names(),
            ["set state", "where clinic_id", "if event_seq", "ttl"]
        );
        assert_eq!(
            values.into_cql(),
            [
                Some(text("free")),
                Some(text("c")),
                None,
                Some(CqlValue::Int(60))
            ]
        );
    }
}
