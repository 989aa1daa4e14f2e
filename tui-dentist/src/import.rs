//! Importing and exporting `slots.csv`.
//!
//! An import is all or nothing: every line is checked before anything is sent — the file's
//! columns by [`slots_csv`], then each row by the domain's rules (slot sanity, not in the past
//! and within the booking horizon, inside the clinic's opening hours, no overlap with another
//! row of the same dentist, no overlap with the stored schedule) — and every bad line is
//! reported with its number and reason. Only a file with no bad line is published.
//!
//! What a row means: a `free` row is a slot to publish (one already published exactly so is
//! left alone); a `booked` row must match a booking already on the schedule, since only a
//! patient books, so re-importing an export changes nothing; a `withdrawn` row changes
//! nothing (a withdrawn slot is as unbookable as no slot).

use std::collections::BTreeMap;

use dentismile_client::{
    pb,
    slots_csv::{self, LineError, RowStatus, SlotRow},
};
use dentismile_domain::{
    booking::BookingPolicy,
    clinic::Clinic,
    ids::UserId,
    jiff::Timestamp,
    scheduler::{check_no_overlap_within, check_within_opening_hours},
    slot::{NewSlot, PublishStep, Slot, SlotState, reconcile_publish},
    time::LocalDay,
};

use crate::{
    local_time::{moment, period},
    schedule::{Entry, EntryState},
};

/// Most slots the server takes in one `PublishSlots` request.
pub const PUBLISH_BATCH: usize = 2000;

/// Whose slots a file may hold.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportScope {
    /// The signed-in staff's clinic, with its dentists and opening hours.
    pub clinic: pb::Clinic,
    /// A dentist imports only their own slots; a clinic admin any dentist's of the clinic.
    pub only_dentist: Option<String>,
}

/// A file split into rows that parsed (with their line numbers) and lines that did not.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFile {
    /// Good rows, with their 1-based line numbers.
    pub rows: Vec<(usize, SlotRow)>,
    /// Bad lines.
    pub errors: Vec<LineError>,
}

/// Checks every line's columns: the rows that parse can still be checked against the schedule,
/// so the report lists every bad line at once.
pub fn parse_lines(text: &str) -> ParsedFile {
    let read = slots_csv::read(text);
    ParsedFile {
        rows: read.rows,
        errors: read.errors,
    }
}

/// A file that passed every check: what publishing it does.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    /// The clinic.
    pub clinic_id: String,
    /// New slots per dentist, by start.
    pub publish: Vec<(String, Vec<(Timestamp, Timestamp)>)>,
    /// Rows already on the schedule exactly so.
    pub unchanged: usize,
    /// `withdrawn` rows, which change nothing.
    pub withdrawn: usize,
    /// Rows in the file.
    pub rows: usize,
}

impl ImportPlan {
    /// How many slots publishing creates.
    pub fn new_slots(&self) -> usize {
        self.publish.iter().map(|(_, slots)| slots.len()).sum()
    }
}

/// Checks every row of `parsed` for `scope` against `stored` (the schedule of the dentists and
/// days the rows name) as of `now`: the plan, or every bad line by line number.
pub fn check(
    parsed: ParsedFile,
    scope: &ImportScope,
    clinic: &Clinic,
    stored: &[Slot],
    now: Timestamp,
) -> Result<ImportPlan, Vec<LineError>> {
    let mut errors = parsed.errors;
    let policy = BookingPolicy::default();
    let row_count = parsed.rows.len();
    let mut stored_by_partition: BTreeMap<(String, LocalDay), Vec<Slot>> = BTreeMap::new();
    for slot in stored {
        stored_by_partition
            .entry((slot.key.dentist_id.to_string(), slot.key.day()))
            .or_default()
            .push(slot.clone());
    }
    let mut unchanged = 0;
    let mut withdrawn = 0;
    let mut candidates: BTreeMap<String, Vec<(usize, NewSlot)>> = BTreeMap::new();
    for (line, row) in parsed.rows {
        let bad = |reason: String| LineError { line, reason };
        if let Err(reason) = check_owner(&row, scope) {
            errors.push(bad(reason));
            continue;
        }
        match row.status {
            RowStatus::Withdrawn => withdrawn += 1,
            RowStatus::Booked => match matches_booking(&row, &stored_by_partition) {
                Ok(()) => unchanged += 1,
                Err(reason) => errors.push(bad(reason)),
            },
            RowStatus::Free => match check_free_row(&row, clinic, &policy, now) {
                Ok(slot) => candidates
                    .entry(row.dentist_id.to_string())
                    .or_default()
                    .push((line, slot)),
                Err(reason) => errors.push(bad(reason)),
            },
        }
    }

    let mut publish = Vec::new();
    for (dentist, mut slots) in candidates {
        slots.sort_by_key(|(line, slot)| (slot.key().start, *line));
        let mut overlapping = vec![false; slots.len()];
        // The row reaching furthest so far: any later row starting before its end overlaps it.
        let mut furthest: Option<usize> = None;
        for index in 0..slots.len() {
            if let Some(earlier) = furthest {
                let pair = [
                    (
                        format!("line {}", slots[earlier].0),
                        slots[earlier].1.clone(),
                    ),
                    (format!("line {}", slots[index].0), slots[index].1.clone()),
                ];
                if check_no_overlap_within(&pair).is_err() {
                    overlapping[index] = true;
                    errors.push(LineError {
                        line: slots[index].0,
                        reason: format!(
                            "startTime: overlaps the slot on line {} ({}) of the same dentist",
                            slots[earlier].0,
                            period(slots[earlier].1.key().start, slots[earlier].1.end())
                        ),
                    });
                }
            }
            if furthest.is_none_or(|f| slots[index].1.end() > slots[f].1.end()) {
                furthest = Some(index);
            }
        }
        let mut new_slots = Vec::new();
        for ((line, slot), overlaps) in slots.into_iter().zip(overlapping) {
            if overlaps {
                continue;
            }
            let partition = stored_by_partition
                .get(&(dentist.clone(), slot.key().day()))
                .map(Vec::as_slice)
                .unwrap_or_default();
            match reconcile_publish(std::slice::from_ref(&slot), partition) {
                Ok(steps) if matches!(steps.first(), Some(PublishStep::Unchanged(_))) => {
                    unchanged += 1;
                }
                Ok(_) => new_slots.push((slot.key().start, slot.end())),
                Err(conflict) => errors.push(LineError {
                    line,
                    reason: format!(
                        "startTime: overlaps the {} slot {} on the schedule",
                        conflict.existing.state.name(),
                        moment(conflict.existing.key.start)
                            + &format!("–{}", crate::local_time::clock(conflict.existing.end))
                    ),
                }),
            }
        }
        if !new_slots.is_empty() {
            publish.push((dentist, new_slots));
        }
    }

    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    }
    Ok(ImportPlan {
        clinic_id: scope.clinic.id.clone(),
        publish,
        unchanged,
        withdrawn,
        rows: row_count,
    })
}

/// The row is for the signed-in clinic and a dentist the signed-in staff may manage.
fn check_owner(row: &SlotRow, scope: &ImportScope) -> Result<(), String> {
    if row.clinic_id.as_str() != scope.clinic.id {
        return Err(format!(
            "clinicId: '{}' is not your clinic ({})",
            row.clinic_id, scope.clinic.id
        ));
    }
    let dentist = row.dentist_id.as_str();
    if let Some(own) = &scope.only_dentist
        && dentist != own
    {
        return Err(format!(
            "dentistId: you may import only your own slots ({own}), not {dentist}'s"
        ));
    }
    if !scope.clinic.dentists.iter().any(|d| d.id == dentist) {
        return Err(format!(
            "dentistId: '{dentist}' is not a dentist of {}",
            scope.clinic.name
        ));
    }
    Ok(())
}

/// The domain's rules for a slot to publish.
fn check_free_row(
    row: &SlotRow,
    clinic: &Clinic,
    policy: &BookingPolicy,
    now: Timestamp,
) -> Result<NewSlot, String> {
    let column = |field: &str| {
        if field == "end" {
            "endTime"
        } else {
            "startTime"
        }
    };
    let slot = NewSlot::new(
        row.clinic_id.clone(),
        row.dentist_id.clone(),
        row.start,
        row.end,
    )
    .map_err(|e| format!("{}: {}", column(e.field()), e.message()))?;
    policy
        .check_start(now, row.start)
        .map_err(|e| format!("startTime: {}", e.message()))?;
    check_within_opening_hours(clinic, &slot)
        .map_err(|e| format!("{}: {}", column(e.field()), e.message()))?;
    Ok(slot)
}

/// A `booked` row must describe a booking already on the schedule.
fn matches_booking(
    row: &SlotRow,
    stored: &BTreeMap<(String, LocalDay), Vec<Slot>>,
) -> Result<(), String> {
    let found = stored
        .get(&(row.dentist_id.to_string(), LocalDay::of(row.start)))
        .and_then(|slots| {
            slots
                .iter()
                .find(|s| s.key.start == row.start && s.end == row.end)
        });
    match found.map(|s| &s.state) {
        Some(SlotState::Booked { patient_id, .. }) if Some(*patient_id) == row.patient_id => Ok(()),
        Some(SlotState::Booked { .. }) => {
            Err("patientId: the slot is booked by another patient on the schedule".to_string())
        }
        _ => Err(format!(
            "status: the schedule has no booking at {}; only patients book, so a booked row must match one",
            moment(row.start)
        )),
    }
}

/// The schedule as `slots.csv` rows.
pub fn export_rows(entries: &[&Entry], clinic_name: &str) -> Vec<SlotRow> {
    entries
        .iter()
        .filter_map(|entry| {
            let slot = entry.to_domain()?;
            let (status, patient_id) = match &entry.state {
                EntryState::Free => (RowStatus::Free, None),
                EntryState::Withdrawn => (RowStatus::Withdrawn, None),
                EntryState::Booked { patient_id, .. } => {
                    (RowStatus::Booked, Some(UserId::parse(patient_id).ok()?))
                }
            };
            Some(SlotRow {
                dentist_id: slot.key.dentist_id,
                clinic_id: slot.key.clinic_id,
                clinic_name: clinic_name.to_string(),
                patient_id,
                start: entry.start,
                end: entry.end,
                status,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{fixtures, schedule::domain_clinic};

    fn now() -> Timestamp {
        "2026-11-24T08:00:00Z".parse().unwrap()
    }

    fn scope(only: Option<&str>) -> ImportScope {
        ImportScope {
            clinic: fixtures::majorna(),
            only_dentist: only.map(String::from),
        }
    }

    fn line(dentist: &str, start: &str, end: &str, status: &str) -> String {
        format!("{dentist},majorna-tandvard,Majorna Tandvård,,{start},{end},{status}")
    }

    fn run(text: &str, stored: &[Slot]) -> Result<ImportPlan, Vec<LineError>> {
        let clinic = domain_clinic(&fixtures::majorna()).unwrap();
        check(
            parse_lines(text),
            &scope(Some("dr-lindqvist")),
            &clinic,
            stored,
            now(),
        )
    }

    #[test]
    fn a_good_file_becomes_a_plan_and_identical_slots_are_left_alone() {
        let stored = fixtures::entries()
            .iter()
            .filter_map(Entry::to_domain)
            .collect::<Vec<_>>();
        let text = [
            slots_csv::HEADER.to_string(),
            line(
                "dr-lindqvist",
                "2026-12-21T08:00:00Z",
                "2026-12-21T08:30:00Z",
                "free",
            ),
            String::new(),
            line(
                "dr-lindqvist",
                "2026-12-21T07:00:00Z",
                "2026-12-21T07:30:00Z",
                "free",
            ),
            // Exactly as on the schedule (fixtures: Monday 14 Dec 08:00 local is free).
            line(
                "dr-lindqvist",
                "2026-12-14T07:00:00Z",
                "2026-12-14T07:30:00Z",
                "free",
            ),
            line(
                "dr-lindqvist",
                "2026-12-16T07:00:00Z",
                "2026-12-16T07:30:00Z",
                "withdrawn",
            ),
        ]
        .join("\n");
        let plan = run(&text, &stored).unwrap();
        assert_eq!(plan.rows, 4);
        assert_eq!(plan.new_slots(), 2);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.withdrawn, 1);
        assert_eq!(plan.publish[0].0, "dr-lindqvist");
        assert!(
            plan.publish[0].1[0].0 < plan.publish[0].1[1].0,
            "sorted by start"
        );
    }

    #[test]
    fn every_bad_line_is_reported_once_with_its_number_and_reason() {
        let stored = fixtures::entries()
            .iter()
            .filter_map(Entry::to_domain)
            .collect::<Vec<_>>();
        let text = [
            slots_csv::HEADER.to_string(),
            /* 2 */
            line(
                "dr-lindqvist",
                "2026-12-15T08:00:00Z",
                "2026-12-15T08:30:00Z",
                "free",
            ),
            /* 3 */
            line(
                "dr-lindqvist",
                "2026-12-15T08:15:00Z",
                "2026-12-15T08:45:00Z",
                "free",
            ),
            /* 4 */
            line(
                "dr-lindqvist",
                "2026-12-19T09:00:00Z",
                "2026-12-19T09:30:00Z",
                "free",
            ),
            /* 5 */
            line(
                "dr-lindqvist",
                "2026-11-20T09:00:00Z",
                "2026-11-20T09:30:00Z",
                "free",
            ),
            /* 6 */
            line(
                "dr-lindqvist",
                "2026-12-15T05:00:00Z",
                "2026-12-15T05:30:00Z",
                "free",
            ),
            /* 7 */
            line(
                "dr-lindqvist",
                "2026-12-15T10:00:00Z",
                "2026-12-15T10:30:00Z",
                "open",
            ),
            /* 8 */
            line(
                "dr-berg",
                "2026-12-15T10:00:00Z",
                "2026-12-15T10:30:00Z",
                "free",
            ),
            /* 9 */
            line(
                "dr-lindqvist",
                "2026-12-14T07:15:00Z",
                "2026-12-14T07:45:00Z",
                "free",
            ),
            /* 10 */
            line(
                "dr-lindqvist",
                "2026-12-14T08:00:00Z",
                "2026-12-14T08:30:00Z",
                "booked",
            ),
            /* 11 */
            "dr-lindqvist,haga-tandlakare,Haga,,2026-12-15T10:00:00Z,2026-12-15T10:30:00Z,free"
                .to_string(),
            /* 12 */
            line(
                "dr-lindqvist",
                "2026-12-15T10:00:00Z",
                "2026-12-15T10:01:00Z",
                "free",
            ),
            /* 13 */
            line(
                "dr-lindqvist",
                "2027-12-15T10:00:00Z",
                "2027-12-15T10:30:00Z",
                "free",
            ),
        ]
        .join("\n");
        let errors = run(&text, &stored).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], "{errors:#?}");
        let reason = |line: usize| &errors.iter().find(|e| e.line == line).unwrap().reason;
        assert!(reason(3).contains("line 2"), "{}", reason(3));
        assert!(reason(4).contains("closed on Saturday"), "{}", reason(4));
        assert!(reason(5).contains("in the past"), "{}", reason(5));
        assert!(
            reason(6).contains("before the clinic opens"),
            "{}",
            reason(6)
        );
        assert!(reason(7).starts_with("status"), "{}", reason(7));
        assert!(reason(8).contains("only your own"), "{}", reason(8));
        assert!(
            reason(9).contains("overlaps the free slot Mon 14 Dec 08:00"),
            "{}",
            reason(9)
        );
        assert!(
            reason(10).contains("another patient") || reason(10).contains("patientId"),
            "{}",
            reason(10)
        );
        assert!(reason(11).starts_with("clinicId"), "{}", reason(11));
        assert!(reason(12).contains("5 to 480"), "{}", reason(12));
        assert!(reason(13).contains("horizon"), "{}", reason(13));
    }

    #[test]
    fn a_bad_header_and_an_empty_file_are_reported() {
        let errors = run("dentist,clinic\n", &[]).unwrap_err();
        assert_eq!(errors[0].line, 1);
        let errors = run("", &[]).unwrap_err();
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn clinic_admins_import_for_every_dentist_of_their_clinic() {
        let clinic = domain_clinic(&fixtures::majorna()).unwrap();
        let text = [
            slots_csv::HEADER.to_string(),
            line(
                "dr-berg",
                "2026-12-15T10:00:00Z",
                "2026-12-15T10:45:00Z",
                "free",
            ),
            line(
                "dr-lindqvist",
                "2026-12-15T10:00:00Z",
                "2026-12-15T10:30:00Z",
                "free",
            ),
            line(
                "dr-nobody",
                "2026-12-15T10:00:00Z",
                "2026-12-15T10:30:00Z",
                "free",
            ),
        ]
        .join("\n");
        let errors = check(parse_lines(&text), &scope(None), &clinic, &[], now()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 4);
        assert!(
            errors[0].reason.contains("not a dentist of Majorna"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn an_export_reads_back_as_rows_that_change_nothing() {
        let entries = fixtures::entries();
        let stored = entries
            .iter()
            .filter_map(Entry::to_domain)
            .collect::<Vec<_>>();
        let refs: Vec<&Entry> = entries.iter().collect();
        let text = slots_csv::write(&export_rows(&refs, "Majorna Tandvård"));
        let plan = run(&text, &stored).unwrap();
        assert_eq!(plan.new_slots(), 0);
        assert_eq!(plan.unchanged + plan.withdrawn, entries.len());
    }
}
