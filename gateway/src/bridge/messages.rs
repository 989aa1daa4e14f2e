//! From the event feed to the MQTT contract of `dentismile_proto::mqtt`.

use dentismile_domain::jiff::Timestamp;
pub use dentismile_proto::mqtt::{
    AvailabilityMessage, SCHEMA_VERSION, SlotEventMessage, StatusMessage, availability_topic,
    slots_topic, status_topic, to_json,
};
use dentismile_proto::v1::{self as pb, SlotEventKind};

fn rfc3339(value: Option<&prost_types::Timestamp>) -> String {
    value
        .and_then(|t| Timestamp::new(t.seconds, t.nanos).ok())
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The name of an event kind in MQTT messages.
pub fn kind_name(kind: i32) -> &'static str {
    match SlotEventKind::try_from(kind) {
        Ok(SlotEventKind::Published) => "published",
        Ok(SlotEventKind::Booked) => "booked",
        Ok(SlotEventKind::Released) => "released",
        Ok(SlotEventKind::Withdrawn) => "withdrawn",
        Ok(SlotEventKind::Unspecified) | Err(_) => "unknown",
    }
}

/// The message for an event from the feed.
pub fn event_message(event: &pb::SlotEvent) -> SlotEventMessage {
    SlotEventMessage {
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
        let message = event_message(&event);
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
