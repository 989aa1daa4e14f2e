//! What the bridge publishes: topic names and JSON payloads (schema version 1). Public topics
//! carry no personal data: no patient, name or reason ever appears here.

use dentismile_domain::{jiff::Timestamp, time::LocalDay};
use dentismile_proto::v1::{self as pb, SlotEventKind};
use serde::Serialize;

/// The first level of every DentiSmile topic.
pub const TOPIC_ROOT: &str = "dentismile/v1";
/// The version of the payloads below.
pub const SCHEMA_VERSION: u32 = 1;

/// `dentismile/v1/clinics/{clinic}/slots/{day}`: slot events of one clinic-day.
pub fn slots_topic(clinic_id: &str, day: &str) -> String {
    format!("{TOPIC_ROOT}/clinics/{clinic_id}/slots/{day}")
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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

fn rfc3339(value: Option<&prost_types::Timestamp>) -> String {
    value
        .and_then(|t| Timestamp::new(t.seconds, t.nanos).ok())
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The name of an event kind on the wire of MQTT.
pub fn kind_name(kind: i32) -> &'static str {
    match SlotEventKind::try_from(kind) {
        Ok(SlotEventKind::Published) => "published",
        Ok(SlotEventKind::Booked) => "booked",
        Ok(SlotEventKind::Released) => "released",
        Ok(SlotEventKind::Withdrawn) => "withdrawn",
        Ok(SlotEventKind::Unspecified) | Err(_) => "unknown",
    }
}

impl SlotEventMessage {
    /// The message for an event from the feed.
    pub fn from_event(event: &pb::SlotEvent) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            event_id: event.event_id.clone(),
            seq: event.seq,
            kind: kind_name(event.kind).to_string(),
            clinic_id: event.clinic_id.clone(),
            dentist_id: event.dentist_id.clone(),
            day: event.day.clone(),
            slot_start: rfc3339(event.slot_start.as_ref()),
            slot_end: rfc3339(event.slot_end.as_ref()),
            occurred_at: rfc3339(event.occurred_at.as_ref()),
        }
    }

    /// Its topic.
    pub fn topic(&self) -> String {
        slots_topic(&self.clinic_id, &self.day)
    }
}

/// How many slots of a clinic-day are in each state, as JSON (retained).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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

/// The gateway's presence, as JSON (retained; the broker publishes `offline` as the last will).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    serde_json::to_vec(message).expect("bridge messages are plain strings and numbers")
}

/// A day as the bridge names it.
pub fn day_name(day: LocalDay) -> String {
    day.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_messages_have_the_documented_shape_and_no_personal_data() {
        let event = pb::SlotEvent {
            event_id: "0193a0c2-1111-7000-8000-000000000001".into(),
            seq: 7,
            kind: SlotEventKind::Booked.into(),
            clinic_id: "haga-tandlakare".into(),
            dentist_id: "dr-ek".into(),
            day: "2026-11-25".into(),
            slot_start: Some(wire_time("2026-11-25T07:00:00Z")),
            slot_end: Some(wire_time("2026-11-25T07:30:00Z")),
            occurred_at: Some(wire_time("2026-11-24T08:01:02.5Z")),
            schema_version: 1,
        };
        let message = SlotEventMessage::from_event(&event);
        assert_eq!(
            message.topic(),
            "dentismile/v1/clinics/haga-tandlakare/slots/2026-11-25"
        );
        let json: serde_json::Value = serde_json::from_slice(&to_json(&message)).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "clinic_id",
                "day",
                "dentist_id",
                "event_id",
                "kind",
                "occurred_at",
                "schema_version",
                "seq",
                "slot_end",
                "slot_start"
            ]
        );
        assert_eq!(json["kind"], "booked");
        assert_eq!(json["slot_start"], "2026-11-25T07:00:00Z");
        assert_eq!(json["occurred_at"], "2026-11-24T08:01:02.5Z");
    }

    fn wire_time(text: &str) -> prost_types::Timestamp {
        dentismile_runtime::wire::timestamp(text.parse().unwrap())
    }
}
