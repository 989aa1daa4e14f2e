//! The slot generator: `slots.csv` for N clinics × M dentists × D days, every slot free.
//!
//! Clinics are `stress-001`, `stress-002`, ...; dentists `dr-01`, `dr-02`, ... within each
//! clinic. Each day from `first_day` on, every dentist works `day_start..day_end` local time in
//! back-to-back slots. The loader opens each clinic exactly over the hours its slots need, every
//! weekday, so any generated day is bookable. Days start in the future (the default is the day
//! after tomorrow), so a run that starts late in the evening still finds no slot in the past.

use dentismile_client::slots_csv::{RowStatus, SlotRow};
use dentismile_domain::{
    ids::{ClinicId, DentistId},
    jiff::{SignedDuration, Timestamp},
    time::{LocalDay, LocalTime},
};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Shape {
    /// How many clinics.
    pub clinics: u32,
    /// Dentists per clinic.
    pub dentists: u32,
    /// Consecutive days.
    pub days: u32,
    /// The first day.
    pub first_day: LocalDay,
    /// When each working day starts (local).
    pub day_start: LocalTime,
    /// When it ends (local).
    pub day_end: LocalTime,
    /// Length of a slot.
    pub slot_minutes: u32,
}

/// A clinic id of the generated set.
pub fn clinic_id(index: u32) -> String {
    format!("stress-{:03}", index + 1)
}

/// A dentist id of the generated set.
pub fn dentist_id(index: u32) -> String {
    format!("dr-{:02}", index + 1)
}

/// Every slot of `shape`, ordered by clinic, day, dentist, start.
pub fn slots(shape: &Shape) -> Result<Vec<SlotRow>, String> {
    if shape.slot_minutes < 5 || shape.slot_minutes > 480 {
        return Err("--slot-minutes: must be 5 to 480".to_string());
    }
    if shape.day_end.minutes_of_day() <= shape.day_start.minutes_of_day() {
        return Err("--hours: the end must be after the start".to_string());
    }
    let length = SignedDuration::from_mins(i64::from(shape.slot_minutes));
    let mut rows = Vec::new();
    for clinic in 0..shape.clinics {
        let clinic_id = ClinicId::parse(&clinic_id(clinic)).map_err(|e| e.message().to_string())?;
        let clinic_name = format!("Stresstest Tandvård {:03}", clinic + 1);
        for day in 0..shape.days {
            let day = shape
                .first_day
                .plus_days(i32::try_from(day).unwrap_or(i32::MAX));
            let (opens, closes) = (day.at(shape.day_start), day.at(shape.day_end));
            for dentist in 0..shape.dentists {
                let dentist_id =
                    DentistId::parse(&dentist_id(dentist)).map_err(|e| e.message().to_string())?;
                let mut start: Timestamp = opens;
                while start + length <= closes {
                    rows.push(SlotRow {
                        dentist_id: dentist_id.clone(),
                        clinic_id: clinic_id.clone(),
                        clinic_name: clinic_name.clone(),
                        patient_id: None,
                        start,
                        end: start + length,
                        status: RowStatus::Free,
                    });
                    start += length;
                }
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use dentismile_client::slots_csv;

    use super::*;

    #[test]
    fn the_shape_is_clinics_times_dentists_times_days_times_slots() {
        let shape = Shape {
            clinics: 3,
            dentists: 2,
            days: 4,
            first_day: LocalDay::parse("2026-03-27").unwrap(),
            day_start: LocalTime::parse("08:00").unwrap(),
            day_end: LocalTime::parse("16:00").unwrap(),
            slot_minutes: 30,
        };
        let rows = slots(&shape).unwrap();
        assert_eq!(rows.len(), 3 * 2 * 4 * 16);
        // 29 March 2026 is the spring change: the slots still start at 08:00 local, which is
        // 06:00 UTC instead of 07:00.
        let day = |d: &str| LocalDay::parse(d).unwrap();
        let first_of = |d: &str| {
            rows.iter()
                .find(|r| LocalDay::of(r.start) == day(d))
                .unwrap()
                .start
        };
        assert_eq!(first_of("2026-03-28").to_string(), "2026-03-28T07:00:00Z");
        assert_eq!(first_of("2026-03-29").to_string(), "2026-03-29T06:00:00Z");
        // The file round-trips through the shared csv module.
        assert_eq!(slots_csv::parse(&slots_csv::write(&rows)).unwrap(), rows);
        let mut keys: Vec<_> = rows
            .iter()
            .map(|r| (r.clinic_id.clone(), r.dentist_id.clone(), r.start))
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), rows.len(), "every slot is unique");
    }

    #[test]
    fn bad_shapes_name_their_flag() {
        let mut shape = Shape {
            clinics: 1,
            dentists: 1,
            days: 1,
            first_day: LocalDay::parse("2030-01-01").unwrap(),
            day_start: LocalTime::parse("16:00").unwrap(),
            day_end: LocalTime::parse("08:00").unwrap(),
            slot_minutes: 30,
        };
        assert!(slots(&shape).unwrap_err().starts_with("--hours"));
        shape.slot_minutes = 1;
        assert!(slots(&shape).unwrap_err().starts_with("--slot-minutes"));
    }
}
