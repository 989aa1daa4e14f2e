//! The schedule as the screens use it: wire entries turned into checked values once, at the
//! boundary, and the clinic turned into the domain's [`Clinic`] so the domain's own rules
//! (opening hours, slot sanity, overlaps) can be applied before anything is sent.

use dentismile_client::pb;
use dentismile_domain::{
    clinic::{Clinic, GeoPoint, OpeningHours},
    ids::{AppointmentId, ClinicId, DentistId, UserId},
    jiff::{Timestamp, civil::Weekday},
    slot::{Slot, SlotKey, SlotState},
    text::{Address, DisplayName},
    time::{LocalDay, LocalTimeRange},
};

use crate::local_time::{from_wire, to_wire};

/// What a slot on the schedule is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryState {
    /// Bookable.
    Free,
    /// Held by a patient.
    Booked {
        /// The appointment.
        appointment_id: String,
        /// The patient's user id.
        patient_id: String,
        /// The patient's display name.
        patient_name: String,
        /// The patient's note; may be empty.
        reason: String,
    },
    /// Taken off the schedule.
    Withdrawn,
}

/// One slot of the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The clinic.
    pub clinic_id: String,
    /// The dentist.
    pub dentist_id: String,
    /// First instant.
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
    /// Local day of `start`.
    pub day: LocalDay,
    /// Free, booked or withdrawn.
    pub state: EntryState,
}

impl Entry {
    /// From the wire; `None` for an entry missing what every slot has (logged by the caller).
    pub fn from_wire(entry: &pb::ScheduleEntry) -> Option<Self> {
        let slot = entry.slot.as_ref()?;
        let slot_ref = slot.r#ref.as_ref()?;
        let start = from_wire(slot_ref.start.as_ref())?;
        let end = from_wire(slot.end.as_ref())?;
        let state = match pb::SlotState::try_from(slot.state).ok()? {
            pb::SlotState::Free => EntryState::Free,
            pb::SlotState::Withdrawn => EntryState::Withdrawn,
            pb::SlotState::Booked => {
                let appointment = entry.appointment.as_ref();
                EntryState::Booked {
                    appointment_id: appointment.map(|a| a.id.clone()).unwrap_or_default(),
                    patient_id: appointment
                        .map(|a| a.patient_id.clone())
                        .unwrap_or_default(),
                    patient_name: entry.patient_name.clone(),
                    reason: appointment.map(|a| a.reason.clone()).unwrap_or_default(),
                }
            }
            pb::SlotState::Unspecified => return None,
        };
        Some(Self {
            clinic_id: slot_ref.clinic_id.clone(),
            dentist_id: slot_ref.dentist_id.clone(),
            start,
            end,
            day: LocalDay::of(start),
            state,
        })
    }

    /// The wire reference of the slot.
    pub fn slot_ref(&self) -> pb::SlotRef {
        pb::SlotRef {
            clinic_id: self.clinic_id.clone(),
            dentist_id: self.dentist_id.clone(),
            start: Some(to_wire(self.start)),
        }
    }

    /// Whether a patient holds it.
    pub fn is_booked(&self) -> bool {
        matches!(self.state, EntryState::Booked { .. })
    }

    /// Whether it is bookable.
    pub fn is_free(&self) -> bool {
        self.state == EntryState::Free
    }

    /// The patient's name, when booked.
    pub fn patient_name(&self) -> Option<&str> {
        match &self.state {
            EntryState::Booked { patient_name, .. } => Some(patient_name),
            _ => None,
        }
    }

    /// `free`, `booked` or `withdrawn`.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            EntryState::Free => "free",
            EntryState::Booked { .. } => "booked",
            EntryState::Withdrawn => "withdrawn",
        }
    }

    /// The domain's slot, for its publishing rule; `None` if an id does not parse.
    pub fn to_domain(&self) -> Option<Slot> {
        let state = match &self.state {
            EntryState::Free => SlotState::Free,
            EntryState::Withdrawn => SlotState::Withdrawn,
            EntryState::Booked {
                appointment_id,
                patient_id,
                ..
            } => SlotState::Booked {
                appointment_id: AppointmentId::parse(appointment_id).ok()?,
                patient_id: UserId::parse(patient_id).ok()?,
            },
        };
        Some(Slot {
            key: SlotKey::new(
                ClinicId::parse(&self.clinic_id).ok()?,
                DentistId::parse(&self.dentist_id).ok()?,
                self.start,
            )
            .ok()?,
            end: self.end,
            state,
        })
    }
}

/// The wire's weekday as jiff's.
pub fn weekday_from_wire(weekday: i32) -> Option<Weekday> {
    let number = i8::try_from(weekday).ok().filter(|n| (1..=7).contains(n))?;
    Weekday::from_monday_one_offset(number).ok()
}

/// jiff's weekday as the wire's.
pub fn weekday_to_wire(weekday: Weekday) -> i32 {
    i32::from(weekday.to_monday_one_offset())
}

/// A wire clinic as the domain's, for its rules; the error says which part is malformed.
pub fn domain_clinic(clinic: &pb::Clinic) -> Result<Clinic, String> {
    let field = |name: &str, e: dentismile_domain::error::ValidationError| {
        format!(
            "the server sent clinic '{}' with a bad {name}: {e}",
            clinic.id
        )
    };
    let mut days = Vec::new();
    for open in &clinic.opening_hours {
        let weekday = weekday_from_wire(open.weekday)
            .ok_or_else(|| format!("clinic '{}' has an unknown weekday", clinic.id))?;
        let hours = open
            .hours
            .as_ref()
            .ok_or_else(|| format!("clinic '{}' has opening hours without times", clinic.id))?;
        let range = LocalTimeRange::parse(&hours.start, &hours.end)
            .map_err(|e| field("opening hours", e))?;
        days.push((weekday, range));
    }
    let location = clinic.location.unwrap_or_default();
    Ok(Clinic {
        id: ClinicId::parse(&clinic.id).map_err(|e| field("id", e))?,
        name: DisplayName::parse(&clinic.name).map_err(|e| field("name", e))?,
        neighbourhood: DisplayName::parse(&clinic.neighbourhood)
            .map_err(|e| field("neighbourhood", e))?,
        address: Address::parse(&clinic.address).map_err(|e| field("address", e))?,
        location: GeoPoint::new(location.latitude, location.longitude)
            .map_err(|e| field("location", e))?,
        opening_hours: OpeningHours::from_days(days).map_err(|e| field("opening hours", e))?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A wire schedule entry, for tests here and elsewhere in the crate.
    pub(crate) fn wire_entry(
        dentist: &str,
        start: &str,
        end: &str,
        booked_by: Option<(&str, &str)>,
    ) -> pb::ScheduleEntry {
        let start: Timestamp = start.parse().unwrap();
        let end: Timestamp = end.parse().unwrap();
        let state = if booked_by.is_some() {
            pb::SlotState::Booked
        } else {
            pb::SlotState::Free
        };
        pb::ScheduleEntry {
            slot: Some(pb::Slot {
                r#ref: Some(pb::SlotRef {
                    clinic_id: "majorna-tandvard".into(),
                    dentist_id: dentist.into(),
                    start: Some(to_wire(start)),
                }),
                end: Some(to_wire(end)),
                day: LocalDay::of(start).to_string(),
                state: state.into(),
            }),
            appointment: booked_by.map(|(_, reason)| pb::Appointment {
                id: "0199a0b0-0000-7000-8000-000000000001".into(),
                patient_id: "0199a0b0-0000-7000-8000-0000000000aa".into(),
                reason: reason.into(),
                ..pb::Appointment::default()
            }),
            patient_name: booked_by.map(|(name, _)| name.into()).unwrap_or_default(),
        }
    }

    #[test]
    fn wire_entries_become_checked_entries() {
        let booked = Entry::from_wire(&wire_entry(
            "dr-lindqvist",
            "2026-12-14T08:00:00Z",
            "2026-12-14T08:30:00Z",
            Some(("Anna Andersson", "toothache")),
        ))
        .unwrap();
        assert_eq!(booked.patient_name(), Some("Anna Andersson"));
        assert_eq!(booked.day.to_string(), "2026-12-14");
        assert_eq!(booked.state_name(), "booked");
        let domain = booked.to_domain().unwrap();
        assert_eq!(domain.state.name(), "booked");
        assert_eq!(domain.end, booked.end);
        assert_eq!(
            from_wire(booked.slot_ref().start.as_ref()),
            Some(booked.start)
        );
        let mut broken = wire_entry("dr-x", "2026-12-14T08:00:00Z", "2026-12-14T08:30:00Z", None);
        broken.slot.as_mut().unwrap().end = None;
        assert!(Entry::from_wire(&broken).is_none());
    }

    #[test]
    fn weekdays_cross_the_wire_both_ways() {
        for number in 1..=7 {
            let weekday = weekday_from_wire(number).unwrap();
            assert_eq!(weekday_to_wire(weekday), number);
        }
        assert!(weekday_from_wire(0).is_none());
        assert!(weekday_from_wire(8).is_none());
    }
}
