//! The MQTT side of the contract: topic names and JSON payloads (schema version 1), shared by
//! the gateway's bridge that publishes them and the clients that read them. See `docs/mqtt.md`.
//! Public topics carry no personal data: no patient, name or reason ever appears here.

use serde::{Deserialize, Serialize};

/// The first level of every DentiSmile topic.
pub const TOPIC_ROOT: &str = "dentismile/v1";
/// The version of the payloads below.
pub const SCHEMA_VERSION: u32 = 1;

/// `dentismile/v1/clinics/{clinic}/slots/{day}`: slot events of one clinic-day.
pub fn slots_topic(clinic_id: &str, day: &str) -> String {
    format!("{TOPIC_ROOT}/clinics/{clinic_id}/slots/{day}")
}

/// `dentismile/v1/clinics/{clinic}/slots/+`: slot events of every day of one clinic.
pub fn clinic_slots_filter(clinic_id: &str) -> String {
    format!("{TOPIC_ROOT}/clinics/{clinic_id}/slots/+")
}

/// `dentismile/v1/clinics/{clinic}/availability/{day}`: the retained summary of a clinic-day.
pub fn availability_topic(clinic_id: &str, day: &str) -> String {
    format!("{TOPIC_ROOT}/clinics/{clinic_id}/availability/{day}")
}

/// `dentismile/v1/gateways/{gateway}/status`: retained `online`, or `offline` (last will).
pub fn status_topic(gateway_id: &str) -> String {
    format!("{TOPIC_ROOT}/gateways/{gateway_id}/status")
}

/// One slot event, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotEventMessage {
    /// Layout version of this message.
    pub schema_version: u32,
    /// Unique per event: deduplicate by it.
    pub event_id: String,
    /// Position in the clinic-day: consecutive from 1; a jump means missed events.
    pub seq: u64,
    /// `published`, `booked`, `released` or `withdrawn`.
    pub kind: String,
    /// The clinic.
    pub clinic_id: String,
    /// The dentist.
    pub dentist_id: String,
    /// The slot's local day (Europe/Stockholm).
    pub day: String,
    /// The slot's start, RFC 3339 UTC.
    pub slot_start: String,
    /// The slot's end (exclusive), RFC 3339 UTC.
    pub slot_end: String,
    /// When the change was committed, RFC 3339 UTC.
    pub occurred_at: String,
}

impl SlotEventMessage {
    /// Its topic.
    pub fn topic(&self) -> String {
        slots_topic(&self.clinic_id, &self.day)
    }
}

/// How many slots of a clinic-day are in each state, as JSON (retained).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityMessage {
    /// Layout version of this message.
    pub schema_version: u32,
    /// The clinic.
    pub clinic_id: String,
    /// The local day.
    pub day: String,
    /// Slots free to book.
    pub free: u32,
    /// Slots booked.
    pub booked: u32,
    /// Slots withdrawn by the clinic.
    pub withdrawn: u32,
    /// When the counts were read, RFC 3339 UTC.
    pub as_of: String,
}

/// A gateway's presence, as JSON (retained; the broker publishes `offline` as the last will).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMessage {
    /// Layout version of this message.
    pub schema_version: u32,
    /// Which gateway.
    pub gateway_id: String,
    /// `online` or `offline`.
    pub status: String,
}

/// Serializes a message; these structs are strings and numbers only.
pub fn to_json<T: Serialize>(message: &T) -> Vec<u8> {
    serde_json::to_vec(message).expect("MQTT messages are plain strings and numbers")
}
