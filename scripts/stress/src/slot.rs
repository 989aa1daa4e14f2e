//! How the tool names a slot: clinic, dentist and start, the slot's identity in DentiSmile.

use dentismile_client::{pb, slots_csv::SlotRow};
use dentismile_domain::{jiff::Timestamp, time::LocalDay};
use serde::{Deserialize, Serialize};

/// A slot's identity. `start` is seconds since the Unix epoch (slots start on whole minutes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SlotKey {
    /// The clinic.
    pub clinic_id: String,
    /// The dentist.
    pub dentist_id: String,
    /// The start, Unix seconds.
    pub start: i64,
}

impl SlotKey {
    /// The key of a csv row.
    pub fn of_row(row: &SlotRow) -> Self {
        Self {
            clinic_id: row.clinic_id.to_string(),
            dentist_id: row.dentist_id.to_string(),
            start: row.start.as_second(),
        }
    }

    /// The key of an MQTT event, if its start parses.
    pub fn of_event(event: &dentismile_client::mqtt::SlotEventMessage) -> Option<Self> {
        Some(Self {
            clinic_id: event.clinic_id.clone(),
            dentist_id: event.dentist_id.clone(),
            start: event.slot_start.parse::<Timestamp>().ok()?.as_second(),
        })
    }

    /// The key of a wire slot, if complete.
    pub fn of_wire(slot: &pb::Slot) -> Option<Self> {
        let slot_ref = slot.r#ref.as_ref()?;
        Some(Self {
            clinic_id: slot_ref.clinic_id.clone(),
            dentist_id: slot_ref.dentist_id.clone(),
            start: slot_ref.start.as_ref()?.seconds,
        })
    }

    /// The slot reference to book it with.
    pub fn to_wire(&self) -> pb::SlotRef {
        pb::SlotRef {
            clinic_id: self.clinic_id.clone(),
            dentist_id: self.dentist_id.clone(),
            start: Some(prost_types::Timestamp {
                seconds: self.start,
                nanos: 0,
            }),
        }
    }

    /// The slot's local day, `YYYY-MM-DD` (its partition).
    pub fn day(&self) -> String {
        Timestamp::from_second(self.start)
            .map(|start| LocalDay::of(start).to_string())
            .unwrap_or_default()
    }
}

impl std::fmt::Display for SlotKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let start = Timestamp::from_second(self.start)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| self.start.to_string());
        write!(f, "{}/{}/{start}", self.clinic_id, self.dentist_id)
    }
}
