//! Event cursors of the embedded store: `<store id>.<outbox position>`. The store id makes a
//! cursor from another store (a replaced data directory, a different deployment) an error
//! instead of a silent skip or replay.

use dentismile_domain::{event::EventCursor, ports::StoreError};

pub(crate) fn encode_cursor(store_id: &str, position: i64) -> String {
    format!("{store_id}.{position}")
}

/// The outbox position after which `cursor` resumes; 0 for the beginning.
pub(crate) fn decode_cursor(store_id: &str, cursor: &EventCursor) -> Result<i64, StoreError> {
    if cursor.is_beginning() {
        return Ok(0);
    }
    let invalid = || StoreError::InvalidCursor(cursor.as_str().to_string());
    let (id, position) = cursor.as_str().split_once('.').ok_or_else(invalid)?;
    if id != store_id {
        return Err(invalid());
    }
    position
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 0)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_belong_to_their_store() {
        let cursor = EventCursor::from_store(encode_cursor("abc", 42));
        assert_eq!(decode_cursor("abc", &cursor).unwrap(), 42);
        assert!(decode_cursor("other", &cursor).is_err());
        assert_eq!(decode_cursor("abc", &EventCursor::beginning()).unwrap(), 0);
        for bad in ["abc", "abc.-1", "abc.x", "42"] {
            let cursor = EventCursor::from_store(bad.to_string());
            assert!(decode_cursor("abc", &cursor).is_err(), "{bad}");
        }
    }
}
