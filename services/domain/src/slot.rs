//! Slots: bookable periods of one dentist, their states, and the rule for publishing them.

use std::fmt;

use jiff::{SignedDuration, Timestamp};

use crate::{
    error::ValidationError,
    ids::{AppointmentId, ClinicId, DentistId, UserId},
    time::{LocalDay, is_whole_minute, to_local},
};

/// The shortest slot, in minutes.
pub const MIN_SLOT_MINUTES: i64 = 5;
/// The longest slot, in minutes (a full working day).
pub const MAX_SLOT_MINUTES: i64 = 480;

/// Where a slot lives: one clinic's local day. Every write that must not race touches exactly
/// one partition, so it can be one conditional write in either backend.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    /// The clinic.
    pub clinic_id: ClinicId,
    /// The local day.
    pub day: LocalDay,
}

impl fmt::Display for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.clinic_id, self.day)
    }
}

/// Identifies a slot: within its partition, clustered by dentist and start.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotKey {
    /// The clinic.
    pub clinic_id: ClinicId,
    /// The dentist.
    pub dentist_id: DentistId,
    /// The first instant, on a whole minute.
    pub start: Timestamp,
}

impl SlotKey {
    /// A key; `start` must be on a whole minute (error field `start`).
    pub fn new(
        clinic_id: ClinicId,
        dentist_id: DentistId,
        start: Timestamp,
    ) -> Result<Self, ValidationError> {
        if !is_whole_minute(start) {
            return Err(ValidationError::new("start", "must be on a whole minute"));
        }
        Ok(Self {
            clinic_id,
            dentist_id,
            start,
        })
    }

    /// The local day the slot starts on.
    pub fn day(&self) -> LocalDay {
        LocalDay::of(self.start)
    }

    /// The partition the slot lives in.
    pub fn partition(&self) -> PartitionKey {
        PartitionKey {
            clinic_id: self.clinic_id.clone(),
            day: self.day(),
        }
    }
}

impl fmt::Display for SlotKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}@{}",
            self.clinic_id,
            self.dentist_id,
            to_local(self.start).strftime("%Y-%m-%d %H:%M")
        )
    }
}

/// What a slot is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotState {
    /// Bookable.
    Free,
    /// Held by one appointment.
    Booked {
        /// The appointment holding it.
        appointment_id: AppointmentId,
        /// The patient who booked it.
        patient_id: UserId,
    },
    /// Taken off the schedule by the clinic.
    Withdrawn,
}

impl SlotState {
    /// `free`, `booked` or `withdrawn`: the stored and displayed name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Booked { .. } => "booked",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Whether the slot takes up the dentist's time (free or booked): withdrawn slots do not,
    /// so they never block publishing another slot.
    pub fn occupies_time(&self) -> bool {
        !matches!(self, Self::Withdrawn)
    }
}

/// A slot as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// Which slot.
    pub key: SlotKey,
    /// The exclusive end.
    pub end: Timestamp,
    /// What it is doing.
    pub state: SlotState,
}

impl Slot {
    /// Whether this slot and the period `[start, end)` share any time.
    pub fn overlaps(&self, start: Timestamp, end: Timestamp) -> bool {
        self.key.start < end && start < self.end
    }
}

/// A slot to be published, checked: whole minutes, 5 to 480 minutes long, ending on the local
/// day it starts. Rules that need "now" (not in the past, within the horizon) are the
/// scheduler's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSlot {
    key: SlotKey,
    end: Timestamp,
}

impl NewSlot {
    /// Checks a period; errors name `start` or `end`.
    pub fn new(
        clinic_id: ClinicId,
        dentist_id: DentistId,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Self, ValidationError> {
        let key = SlotKey::new(clinic_id, dentist_id, start)?;
        if !is_whole_minute(end) {
            return Err(ValidationError::new("end", "must be on a whole minute"));
        }
        if end <= start {
            return Err(ValidationError::new(
                "end",
                format!("{end} must be after start {start}"),
            ));
        }
        let minutes = (end - start).as_mins();
        if !(MIN_SLOT_MINUTES..=MAX_SLOT_MINUTES).contains(&minutes) {
            return Err(ValidationError::new(
                "end",
                format!(
                    "a slot must last {MIN_SLOT_MINUTES} to {MAX_SLOT_MINUTES} minutes, this one lasts {minutes}"
                ),
            ));
        }
        let day = key.day();
        if end > day.end() {
            return Err(ValidationError::new(
                "end",
                format!("the slot must end on the local day it starts ({day})"),
            ));
        }
        Ok(Self { key, end })
    }

    /// Which slot.
    pub fn key(&self) -> &SlotKey {
        &self.key
    }

    /// The exclusive end.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// The length.
    pub fn length(&self) -> SignedDuration {
        self.end - self.key.start
    }

    /// Whether this slot and `other` share any time (whichever dentist they belong to).
    pub fn overlaps(&self, other: &NewSlot) -> bool {
        self.key.start < other.end && other.key.start < self.end
    }

    /// The slot as it will be stored: free.
    pub fn into_free_slot(self) -> Slot {
        Slot {
            key: self.key,
            end: self.end,
            state: SlotState::Free,
        }
    }
}

/// What publishing one requested slot does to a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishStep {
    /// A new slot: insert it, free.
    Insert(NewSlot),
    /// The same start was withdrawn: make it free again with the requested end.
    Republish(NewSlot),
    /// A slot exactly like it (same start and end) is free or booked: leave it.
    Unchanged(NewSlot),
}

/// A requested slot that collides with a stored one of the same dentist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishConflict {
    /// The requested slot.
    pub requested: NewSlot,
    /// The stored slot it overlaps.
    pub existing: Slot,
}

/// Decides how to publish `requested` into a partition that holds `stored`, all or nothing:
/// the first requested slot that overlaps a stored slot of its dentist which is free or booked
/// (and not identical to it) is a conflict. Withdrawn slots never block. Both store backends
/// call this on the partition they read inside their conditional write, so they agree.
///
/// `requested` must not overlap itself; the scheduler checks that first.
pub fn reconcile_publish(
    requested: &[NewSlot],
    stored: &[Slot],
) -> Result<Vec<PublishStep>, Box<PublishConflict>> {
    requested
        .iter()
        .map(|new| {
            let same_dentist = stored
                .iter()
                .filter(|slot| slot.key.dentist_id == new.key.dentist_id);
            let mut same_start = None;
            for slot in same_dentist {
                if slot.key.start == new.key.start {
                    same_start = Some(slot);
                    continue;
                }
                if slot.state.occupies_time() && slot.overlaps(new.key.start, new.end) {
                    return Err(Box::new(PublishConflict {
                        requested: new.clone(),
                        existing: slot.clone(),
                    }));
                }
            }
            match same_start {
                None => Ok(PublishStep::Insert(new.clone())),
                Some(slot) if !slot.state.occupies_time() => {
                    Ok(PublishStep::Republish(new.clone()))
                }
                Some(slot) if slot.end == new.end => Ok(PublishStep::Unchanged(new.clone())),
                Some(slot) => Err(Box::new(PublishConflict {
                    requested: new.clone(),
                    existing: slot.clone(),
                })),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn new_slot(dentist: &str, start: &str, end: &str) -> NewSlot {
        NewSlot::new(
            ClinicId::parse("majorna").unwrap(),
            DentistId::parse(dentist).unwrap(),
            at(start),
            at(end),
        )
        .unwrap()
    }

    fn stored(dentist: &str, start: &str, end: &str, state: SlotState) -> Slot {
        Slot {
            state,
            ..new_slot(dentist, start, end).into_free_slot()
        }
    }

    #[test]
    fn new_slots_must_be_sane_periods() {
        let clinic = ClinicId::parse("majorna").unwrap();
        let dentist = DentistId::parse("dr-a").unwrap();
        let check = |start: &str, end: &str| {
            NewSlot::new(clinic.clone(), dentist.clone(), at(start), at(end))
        };
        assert!(check("2026-11-24T08:00:00Z", "2026-11-24T08:30:00Z").is_ok());
        let cases = [
            (
                "2026-11-24T08:00:00Z",
                "2026-11-24T07:30:00Z",
                "end",
                "must be after start",
            ),
            (
                "2026-11-24T08:00:00Z",
                "2026-11-24T08:00:00Z",
                "end",
                "must be after start",
            ),
            (
                "2026-11-24T08:00:30Z",
                "2026-11-24T08:30:00Z",
                "start",
                "whole minute",
            ),
            (
                "2026-11-24T08:00:00Z",
                "2026-11-24T08:03:00Z",
                "end",
                "lasts 3",
            ),
            (
                "2026-11-24T08:00:00Z",
                "2026-11-24T17:00:00Z",
                "end",
                "lasts 540",
            ),
            // 22:30 to 23:30 UTC is 23:30 to 00:30 in Stockholm: it crosses midnight.
            (
                "2026-11-24T22:30:00Z",
                "2026-11-24T23:30:00Z",
                "end",
                "local day",
            ),
        ];
        for (start, end, field, problem) in cases {
            let error = check(start, end).unwrap_err();
            assert_eq!(error.field(), field, "{start}..{end}: {error}");
            assert!(error.message().contains(problem), "{start}..{end}: {error}");
        }
    }

    #[test]
    fn reconcile_inserts_keeps_identical_and_revives_withdrawn() {
        let stored_slots = [
            stored(
                "dr-a",
                "2026-11-24T08:00:00Z",
                "2026-11-24T08:30:00Z",
                SlotState::Free,
            ),
            stored(
                "dr-a",
                "2026-11-24T09:00:00Z",
                "2026-11-24T09:30:00Z",
                SlotState::Withdrawn,
            ),
        ];
        let requested = [
            new_slot("dr-a", "2026-11-24T08:00:00Z", "2026-11-24T08:30:00Z"),
            new_slot("dr-a", "2026-11-24T08:30:00Z", "2026-11-24T09:00:00Z"),
            new_slot("dr-a", "2026-11-24T09:00:00Z", "2026-11-24T09:20:00Z"),
        ];
        let steps = reconcile_publish(&requested, &stored_slots).unwrap();
        assert!(matches!(steps[0], PublishStep::Unchanged(_)));
        assert!(matches!(steps[1], PublishStep::Insert(_)));
        assert!(matches!(steps[2], PublishStep::Republish(_)));
    }

    #[test]
    fn reconcile_rejects_overlap_with_free_or_booked_of_the_same_dentist_only() {
        let booked = SlotState::Booked {
            appointment_id: AppointmentId::random(),
            patient_id: UserId::random(),
        };
        let stored_slots = [
            stored(
                "dr-a",
                "2026-11-24T08:00:00Z",
                "2026-11-24T08:30:00Z",
                booked,
            ),
            stored(
                "dr-b",
                "2026-11-24T09:00:00Z",
                "2026-11-24T09:30:00Z",
                SlotState::Free,
            ),
            stored(
                "dr-a",
                "2026-11-24T10:00:00Z",
                "2026-11-24T10:30:00Z",
                SlotState::Withdrawn,
            ),
        ];
        // Another dentist's slot and a withdrawn one never block.
        let fine = [
            new_slot("dr-a", "2026-11-24T09:00:00Z", "2026-11-24T09:30:00Z"),
            new_slot("dr-a", "2026-11-24T10:15:00Z", "2026-11-24T10:45:00Z"),
        ];
        assert!(reconcile_publish(&fine, &stored_slots).is_ok());

        let overlapping = [new_slot(
            "dr-a",
            "2026-11-24T08:15:00Z",
            "2026-11-24T08:45:00Z",
        )];
        let conflict = reconcile_publish(&overlapping, &stored_slots).unwrap_err();
        assert_eq!(conflict.existing.key.start, at("2026-11-24T08:00:00Z"));

        // Same start, different end, while booked: a conflict, not a silent change.
        let longer = [new_slot(
            "dr-a",
            "2026-11-24T08:00:00Z",
            "2026-11-24T08:45:00Z",
        )];
        assert!(reconcile_publish(&longer, &stored_slots).is_err());
    }
}
