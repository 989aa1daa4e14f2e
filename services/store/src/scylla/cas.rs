//! Decoding the reply of a lightweight transaction.
//!
//! ScyllaDB answers every conditional statement or batch with rows that start with the boolean
//! `[applied]` and carry the row as it was before the write (unlike Cassandra, whether or not
//! it applied): for a batch, one row per conditional statement in statement order, with the
//! primary key columns and every column named in a condition (all columns when a statement
//! says `IF EXISTS` or `IF NOT EXISTS`). Columns are found by name, so the decoding does not
//! depend on their order, which ScyllaDB takes from the table's schema.

use dentismile_domain::ports::StoreError;
use scylla::value::{CqlTimestamp, CqlValue};
use uuid::Uuid;

use super::rows::SlotColumns;

/// The column every reply starts with.
pub(crate) const APPLIED: &str = "[applied]";

/// One row of a reply: column name and value.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CasRow(Vec<(String, Option<CqlValue>)>);

/// A decoded reply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CasReply {
    /// Whether the write applied.
    pub applied: bool,
    /// The previous rows, one per conditional statement.
    pub rows: Vec<CasRow>,
}

fn wrong_type(column: &str, value: &CqlValue) -> StoreError {
    StoreError::Corrupt(format!(
        "column {column} of a conditional write's reply has an unexpected value {value:?}"
    ))
}

impl CasRow {
    pub(crate) fn new(columns: Vec<(String, Option<CqlValue>)>) -> Self {
        Self(columns)
    }

    fn get(&self, column: &str) -> Option<&CqlValue> {
        self.0
            .iter()
            .find(|(name, _)| name == column)
            .and_then(|(_, value)| value.as_ref())
    }

    pub(crate) fn bigint(&self, column: &str) -> Result<Option<i64>, StoreError> {
        match self.get(column) {
            None => Ok(None),
            Some(CqlValue::BigInt(value)) => Ok(Some(*value)),
            Some(other) => Err(wrong_type(column, other)),
        }
    }

    pub(crate) fn text(&self, column: &str) -> Result<Option<String>, StoreError> {
        match self.get(column) {
            None => Ok(None),
            Some(CqlValue::Text(value) | CqlValue::Ascii(value)) => Ok(Some(value.clone())),
            Some(other) => Err(wrong_type(column, other)),
        }
    }

    pub(crate) fn uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError> {
        match self.get(column) {
            None => Ok(None),
            Some(CqlValue::Uuid(value)) => Ok(Some(*value)),
            Some(other) => Err(wrong_type(column, other)),
        }
    }

    pub(crate) fn timestamp(&self, column: &str) -> Result<Option<CqlTimestamp>, StoreError> {
        match self.get(column) {
            None => Ok(None),
            Some(CqlValue::Timestamp(value)) => Ok(Some(*value)),
            Some(other) => Err(wrong_type(column, other)),
        }
    }

    /// The slot columns of a reply to `SLOT_CAS` (every slot column is in its conditions).
    pub(crate) fn slot_columns(&self) -> Result<SlotColumns, StoreError> {
        Ok(SlotColumns {
            slot_end: self.timestamp("slot_end")?,
            state: self.text("state")?,
            holder_appointment_id: self.uuid("holder_appointment_id")?,
            holder_patient_id: self.uuid("holder_patient_id")?,
            booking_key: self.text("booking_key")?,
            // Not a condition column, so not in the reply; nothing decides on it.
            updated_at: None,
        })
    }
}

/// Decodes a reply from its column names and rows.
pub(crate) fn decode_cas(
    columns: &[String],
    rows: Vec<Vec<Option<CqlValue>>>,
) -> Result<CasReply, StoreError> {
    let missing =
        || StoreError::Corrupt("a conditional write's reply has no [applied] column".to_string());
    let applied_index = columns
        .iter()
        .position(|name| name == APPLIED)
        .ok_or_else(missing)?;
    if rows.is_empty() {
        return Err(missing());
    }
    let mut applied = true;
    let mut decoded = Vec::with_capacity(rows.len());
    for row in rows {
        match row.get(applied_index) {
            Some(Some(CqlValue::Boolean(value))) => applied &= *value,
            _ => return Err(missing()),
        }
        decoded.push(CasRow::new(
            columns.iter().cloned().zip(row).collect::<Vec<_>>(),
        ));
    }
    Ok(CasReply {
        applied,
        rows: decoded,
    })
}

impl CasReply {
    /// The first row (the reply to the first conditional statement).
    pub(crate) fn first(&self) -> Result<&CasRow, StoreError> {
        self.rows
            .first()
            .ok_or_else(|| StoreError::Corrupt("a conditional write's reply is empty".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn decodes_applied_and_the_columns_by_name() {
        // Columns in schema order as ScyllaDB sends them: [applied], the key, the conditions.
        let columns = names(&[
            APPLIED,
            "clinic_id",
            "day",
            "row_kind",
            "seq",
            "dentist_id",
            "start",
            "appointment_id",
            "event_seq",
            "booking_key",
            "holder_appointment_id",
            "holder_patient_id",
            "slot_end",
            "state",
        ]);
        let holder = Uuid::now_v7();
        let patient = Uuid::new_v4();
        let row = vec![
            Some(CqlValue::Boolean(false)),
            Some(CqlValue::Text("majorna".into())),
            None,
            Some(CqlValue::Text("slot".into())),
            Some(CqlValue::BigInt(0)),
            Some(CqlValue::Text("dr-a".into())),
            Some(CqlValue::Timestamp(CqlTimestamp(1_000))),
            Some(CqlValue::Uuid(Uuid::nil())),
            Some(CqlValue::BigInt(7)),
            Some(CqlValue::Text("key-1234".into())),
            Some(CqlValue::Uuid(holder)),
            Some(CqlValue::Uuid(patient)),
            Some(CqlValue::Timestamp(CqlTimestamp(1_800_000))),
            Some(CqlValue::Text("booked".into())),
        ];
        let reply = decode_cas(&columns, vec![row]).unwrap();
        assert!(!reply.applied);
        let first = reply.first().unwrap();
        assert_eq!(first.bigint("event_seq").unwrap(), Some(7));
        let slot = first.slot_columns().unwrap();
        assert_eq!(slot.state.as_deref(), Some("booked"));
        assert_eq!(slot.holder_appointment_id, Some(holder));
        assert_eq!(slot.holder_patient_id, Some(patient));
        assert_eq!(slot.booking_key.as_deref(), Some("key-1234"));
        assert_eq!(slot.slot_end, Some(CqlTimestamp(1_800_000)));
        // A column that is not in the reply reads as null.
        assert_eq!(first.text("patient_name").unwrap(), None);
        // A column of the wrong type is reported, not misread.
        assert!(first.bigint("state").is_err());
    }

    #[test]
    fn a_batch_applies_only_if_every_row_says_so() {
        let columns = names(&[APPLIED, "event_seq"]);
        let row = |applied: bool, seq: i64| {
            vec![
                Some(CqlValue::Boolean(applied)),
                Some(CqlValue::BigInt(seq)),
            ]
        };
        assert!(
            decode_cas(&columns, vec![row(true, 1), row(true, 1)])
                .unwrap()
                .applied
        );
        let reply = decode_cas(&columns, vec![row(true, 1), row(false, 2)]).unwrap();
        assert!(!reply.applied);
        assert_eq!(reply.rows[1].bigint("event_seq").unwrap(), Some(2));
    }

    #[test]
    fn a_reply_without_applied_is_refused() {
        assert!(decode_cas(&names(&["event_seq"]), vec![vec![None]]).is_err());
        assert!(decode_cas(&names(&[APPLIED]), vec![]).is_err());
        assert!(decode_cas(&names(&[APPLIED]), vec![vec![None]]).is_err());
    }

    #[test]
    fn a_missing_slot_reads_as_no_state() {
        // The row of a slot that does not exist: keys and conditions all null.
        let columns = names(&[APPLIED, "event_seq", "state", "slot_end"]);
        let reply = decode_cas(
            &columns,
            vec![vec![Some(CqlValue::Boolean(false)), None, None, None]],
        )
        .unwrap();
        let slot = reply.first().unwrap().slot_columns().unwrap();
        assert_eq!(slot, SlotColumns::default());
    }
}
