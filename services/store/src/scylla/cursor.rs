//! Event cursors of the ScyllaDB store: `scylla.<store id>.<log position>`.
//!
//! The position is the global event log's (see `events`), so a cursor is a single number
//! however many partitions the events came from. The store id (random per keyspace, from
//! `store_meta`) makes a cursor from another store, or from the embedded one, an error instead
//! of a silent skip or replay. The empty cursor is the beginning of the log.

use dentismile_domain::{event::EventCursor, ports::StoreError};
use uuid::Uuid;

const PREFIX: &str = "scylla";

pub(crate) fn encode_cursor(store_id: Uuid, position: i64) -> EventCursor {
    EventCursor::from_store(format!("{PREFIX}.{}.{position}", store_id.simple()))
}

/// The log position after which `cursor` resumes; 0 for the beginning.
pub(crate) fn decode_cursor(store_id: Uuid, cursor: &EventCursor) -> Result<i64, StoreError> {
    if cursor.is_beginning() {
        return Ok(0);
    }
    let invalid = || StoreError::InvalidCursor(cursor.as_str().to_string());
    let mut parts = cursor.as_str().split('.');
    let (Some(PREFIX), Some(id), Some(position), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if Uuid::try_parse(id).ok() != Some(store_id) || id != store_id.simple().to_string() {
        return Err(invalid());
    }
    // Digits only: "+5" or "05" would decode, but the store never issues them, so they are
    // not its cursors.
    if position.is_empty()
        || !position.bytes().all(|b| b.is_ascii_digit())
        || (position.len() > 1 && position.starts_with('0'))
    {
        return Err(invalid());
    }
    position.parse::<i64>().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_stay_short() {
        let store = Uuid::new_v4();
        for position in [1, 42, 100_000, 100_001, i64::MAX] {
            let cursor = encode_cursor(store, position);
            assert_eq!(decode_cursor(store, &cursor).unwrap(), position);
            // Cursors travel through the API, which takes at most 256 characters.
            assert!(EventCursor::parse(cursor.as_str()).is_ok());
        }
        assert_eq!(decode_cursor(store, &EventCursor::beginning()).unwrap(), 0);
    }

    #[test]
    fn foreign_and_damaged_cursors_are_refused() {
        let store = Uuid::new_v4();
        let other = Uuid::new_v4();
        let good = encode_cursor(store, 7);
        let foreign = [
            encode_cursor(other, 7).as_str().to_string(),
            "not-a-cursor-of-this-store".to_string(),
            // An embedded-store cursor: `<store id>.<position>`.
            "0123456789abcdef.7".to_string(),
            good.as_str().replace("scylla.", "sqlite."),
            format!("{}.8", good.as_str()),
            good.as_str().replace(".7", ".-7"),
            good.as_str().replace(".7", ".07"),
            good.as_str().replace(".7", ".x"),
            good.as_str().replace(".7", "."),
            good.as_str().replace(".7", ".99999999999999999999"),
            format!("scylla.{}.7", store.hyphenated()),
        ];
        for text in foreign {
            let cursor = EventCursor::from_store(text.clone());
            assert!(
                matches!(
                    decode_cursor(store, &cursor),
                    Err(StoreError::InvalidCursor(_))
                ),
                "{text}"
            );
        }
    }
}
