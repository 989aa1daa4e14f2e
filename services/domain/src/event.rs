//! Slot events: one per change, written to the outbox in the same atomic write as the change.

use std::fmt;

use jiff::Timestamp;

use crate::{
    error::ValidationError,
    ids::EventId,
    slot::{Slot, SlotKey},
};

/// The version of the event layout that [`SlotEvent`] describes (also in the MQTT JSON).
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// What happened to a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotEventKind {
    /// It became free: new, or published again after being withdrawn.
    Published,
    /// A patient booked it.
    Booked,
    /// Its appointment was cancelled; it is free again.
    Released,
    /// The clinic withdrew it.
    Withdrawn,
}

impl SlotEventKind {
    /// Every kind.
    pub const ALL: [SlotEventKind; 4] = [
        Self::Published,
        Self::Booked,
        Self::Released,
        Self::Withdrawn,
    ];

    /// `published`, `booked`, `released` or `withdrawn`: the stored and published name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Booked => "booked",
            Self::Released => "released",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Whether the slot is free after this event.
    pub fn leaves_slot_free(self) -> bool {
        matches!(self, Self::Published | Self::Released)
    }
}

impl fmt::Display for SlotEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One change of one slot. Carries no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotEvent {
    /// Unique per event.
    pub event_id: EventId,
    /// Position within the slot's partition: consecutive from 1.
    pub seq: u64,
    /// What happened.
    pub kind: SlotEventKind,
    /// Which slot (its partition follows from it).
    pub slot: SlotKey,
    /// The slot's end.
    pub slot_end: Timestamp,
    /// When the change was committed.
    pub occurred_at: Timestamp,
}

impl SlotEvent {
    /// The event for a change of `slot`, before the store assigns its `seq`.
    pub fn new(kind: SlotEventKind, slot: &Slot, occurred_at: Timestamp) -> Self {
        Self {
            event_id: EventId::random(),
            seq: 0,
            kind,
            slot: slot.key.clone(),
            slot_end: slot.end,
            occurred_at,
        }
    }
}

/// Where a reader of the event log is: opaque to everyone but the store that issued it.
/// The empty cursor is the beginning of the log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EventCursor(String);

impl EventCursor {
    /// The beginning of the log.
    pub fn beginning() -> Self {
        Self::default()
    }

    /// Wraps a cursor from the wire; each store checks its own format when reading.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        if value.len() > 256 || value.chars().any(char::is_control) {
            return Err(ValidationError::value("is not a valid event cursor"));
        }
        Ok(Self(value.to_string()))
    }

    /// A cursor made by a store.
    pub fn from_store(value: String) -> Self {
        Self(value)
    }

    /// The cursor's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the beginning of the log.
    pub fn is_beginning(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for EventCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event with the cursor just after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Resume here to read what follows this event.
    pub cursor: EventCursor,
    /// The event.
    pub event: SlotEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_their_names() {
        for kind in SlotEventKind::ALL {
            assert_eq!(SlotEventKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(SlotEventKind::parse("cancelled"), None);
    }
}
