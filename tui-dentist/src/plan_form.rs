//! The working-plan form: what the dentist types, checked with the domain's own rules
//! ([`WorkingPlan::new`], opening hours, the booking horizon) before the server is asked for a
//! preview, so a typo is pointed at in the form instead of coming back as a server error.

use dentismile_client::pb;
use dentismile_domain::{
    booking::BookingPolicy,
    clinic::Clinic,
    ids::{ClinicId, DentistId},
    jiff::{Timestamp, civil::Weekday},
    plan::{WorkingPlan, WorkingPlanParts},
    scheduler::check_within_opening_hours,
    time::{LocalDay, LocalTimeRange},
};

use crate::{
    local_time::{day_label, period},
    schedule::{weekday_from_wire, weekday_to_wire},
};

/// The form's fields, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlanField {
    /// Which weekdays are worked.
    #[default]
    Weekdays,
    /// Working hours, `HH:MM-HH:MM`.
    Hours,
    /// Breaks, `HH:MM-HH:MM` separated by commas.
    Breaks,
    /// Slot length in minutes.
    SlotMinutes,
    /// First day, `YYYY-MM-DD`.
    FirstDay,
    /// Last day, `YYYY-MM-DD`.
    LastDay,
}

impl PlanField {
    /// Every field, in order.
    pub const ALL: [PlanField; 6] = [
        PlanField::Weekdays,
        PlanField::Hours,
        PlanField::Breaks,
        PlanField::SlotMinutes,
        PlanField::FirstDay,
        PlanField::LastDay,
    ];

    /// The label shown before the field.
    pub fn label(self) -> &'static str {
        match self {
            PlanField::Weekdays => "Weekdays",
            PlanField::Hours => "Hours",
            PlanField::Breaks => "Breaks",
            PlanField::SlotMinutes => "Slot minutes",
            PlanField::FirstDay => "First day",
            PlanField::LastDay => "Last day",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }

    /// The field below (wrapping).
    pub fn next(self) -> Self {
        Self::ALL[(self.index() + 1) % Self::ALL.len()]
    }

    /// The field above (wrapping).
    pub fn previous(self) -> Self {
        Self::ALL[(self.index() + Self::ALL.len() - 1) % Self::ALL.len()]
    }
}

/// What the server said the plan would do.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanPreview {
    /// The plan previewed; exactly this is published.
    pub plan: pb::WorkingPlan,
    /// The server's answer.
    pub response: pb::PreviewWorkingPlanResponse,
}

/// The form's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanForm {
    /// The focused field.
    pub field: PlanField,
    /// Monday first.
    pub weekdays: [bool; 7],
    /// The weekday under the cursor in the weekdays field, Monday = 0.
    pub weekday_cursor: usize,
    /// `HH:MM-HH:MM`.
    pub hours: String,
    /// `HH:MM-HH:MM, ...`.
    pub breaks: String,
    /// Minutes.
    pub slot_minutes: String,
    /// `YYYY-MM-DD`.
    pub first_day: String,
    /// `YYYY-MM-DD`.
    pub last_day: String,
    /// Whether the dentist changed anything since the defaults were filled in.
    pub edited: bool,
    /// What is wrong with the form, naming the field.
    pub error: Option<String>,
    /// The last preview, cleared by any edit.
    pub preview: Option<PlanPreview>,
    /// Waiting for the server.
    pub waiting: bool,
}

impl PlanForm {
    /// The defaults for publishing the week starting `monday` (days before `today` left out):
    /// the weekdays the clinic keeps Monday's hours, those hours, lunch 12:00-13:00 if it fits,
    /// and `slot_minutes`.
    pub fn defaults(
        clinic: &pb::Clinic,
        monday: LocalDay,
        today: LocalDay,
        slot_minutes: i64,
    ) -> Self {
        let mut weekdays = [false; 7];
        let hours: Vec<(Weekday, String, String)> = clinic
            .opening_hours
            .iter()
            .filter_map(|o| {
                let range = o.hours.as_ref()?;
                Some((
                    weekday_from_wire(o.weekday)?,
                    range.start.clone(),
                    range.end.clone(),
                ))
            })
            .collect();
        let typical = hours
            .iter()
            .find(|(w, _, _)| *w == Weekday::Monday)
            .or_else(|| hours.first())
            .map(|(_, s, e)| (s.clone(), e.clone()))
            .unwrap_or_else(|| ("08:00".to_string(), "17:00".to_string()));
        for (weekday, start, end) in &hours {
            if (start, end) == (&typical.0, &typical.1) {
                weekdays[usize::try_from(weekday.to_monday_zero_offset()).unwrap_or(0)] = true;
            }
        }
        let breaks = match LocalTimeRange::parse(&typical.0, &typical.1) {
            Ok(open)
                if LocalTimeRange::parse("12:00", "13:00")
                    .is_ok_and(|lunch| open.contains(&lunch) && open.end() > lunch.end()) =>
            {
                "12:00-13:00".to_string()
            }
            _ => String::new(),
        };
        let first = monday.max(today);
        let last = monday.plus_days(6).max(first);
        Self {
            weekdays,
            hours: format!("{}-{}", typical.0, typical.1),
            breaks,
            slot_minutes: slot_minutes.to_string(),
            first_day: first.to_string(),
            last_day: last.to_string(),
            ..Self::default()
        }
    }

    /// The text of a text field; `None` for the weekdays.
    pub fn text(&self, field: PlanField) -> Option<&str> {
        match field {
            PlanField::Weekdays => None,
            PlanField::Hours => Some(&self.hours),
            PlanField::Breaks => Some(&self.breaks),
            PlanField::SlotMinutes => Some(&self.slot_minutes),
            PlanField::FirstDay => Some(&self.first_day),
            PlanField::LastDay => Some(&self.last_day),
        }
    }

    /// The focused text field, for typing into.
    pub fn focused_text_mut(&mut self) -> Option<&mut String> {
        match self.field {
            PlanField::Weekdays => None,
            PlanField::Hours => Some(&mut self.hours),
            PlanField::Breaks => Some(&mut self.breaks),
            PlanField::SlotMinutes => Some(&mut self.slot_minutes),
            PlanField::FirstDay => Some(&mut self.first_day),
            PlanField::LastDay => Some(&mut self.last_day),
        }
    }

    /// Marks the form changed: the preview no longer describes it.
    pub fn touched(&mut self) {
        self.edited = true;
        self.preview = None;
        self.error = None;
    }

    /// Checks the form for `clinic` and `dentist` with the domain's rules, as of `now`.
    pub fn check(
        &self,
        clinic: &Clinic,
        dentist_id: &str,
        now: Timestamp,
    ) -> Result<(WorkingPlan, pb::WorkingPlan), String> {
        let weekdays: Vec<Weekday> = (0..7)
            .filter(|i| self.weekdays[*i])
            .filter_map(|i| Weekday::from_monday_zero_offset(i8::try_from(i).ok()?).ok())
            .collect();
        let hours = parse_range(&self.hours).map_err(|e| format!("Hours: {e}"))?;
        let breaks = self
            .breaks
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(parse_range)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("Breaks: {e}"))?;
        let slot_minutes: u32 = self
            .slot_minutes
            .trim()
            .parse()
            .map_err(|_| format!("Slot minutes: '{}' is not a number", self.slot_minutes))?;
        let first_day = LocalDay::parse(self.first_day.trim())
            .map_err(|e| format!("First day: {}", e.message()))?;
        let last_day = LocalDay::parse(self.last_day.trim())
            .map_err(|e| format!("Last day: {}", e.message()))?;
        let dentist = DentistId::parse(dentist_id).map_err(|e| format!("dentist: {e}"))?;
        let plan = WorkingPlan::new(WorkingPlanParts {
            clinic_id: clinic.id.clone(),
            dentist_id: dentist,
            weekdays: weekdays.clone(),
            hours,
            breaks: breaks.clone(),
            slot_minutes,
            first_day,
            last_day,
        })
        .map_err(|e| format!("{}: {}", field_label(e.field()), e.message()))?;
        let slots = plan.expand();
        for slot in &slots {
            check_within_opening_hours(clinic, slot).map_err(|e| {
                format!("Hours: on {} {}", day_label(slot.key().day()), e.message())
            })?;
        }
        let policy = BookingPolicy::default();
        if let Some(last) = slots.last() {
            policy.check_start(now, last.key().start).map_err(|_| {
                format!(
                    "Last day: {} is beyond the booking horizon of {} days",
                    last.key().day(),
                    policy.horizon_days()
                )
            })?;
        }
        let wire = pb::WorkingPlan {
            clinic_id: clinic_id_text(&clinic.id),
            dentist_id: dentist_id.to_string(),
            weekdays: weekdays.into_iter().map(weekday_to_wire).collect(),
            hours: Some(range_to_wire(hours)),
            breaks: breaks.into_iter().map(range_to_wire).collect(),
            slot_minutes,
            first_day: first_day.to_string(),
            last_day: last_day.to_string(),
        };
        Ok((plan, wire))
    }
}

fn clinic_id_text(id: &ClinicId) -> String {
    id.as_str().to_string()
}

fn range_to_wire(range: LocalTimeRange) -> pb::LocalTimeRange {
    pb::LocalTimeRange {
        start: range.start().to_string(),
        end: range.end().to_string(),
    }
}

/// `HH:MM-HH:MM` (spaces allowed around the dash).
fn parse_range(text: &str) -> Result<LocalTimeRange, String> {
    let (start, end) = text
        .split_once('-')
        .ok_or_else(|| format!("'{}' is not of the form 08:00-17:00", text.trim()))?;
    LocalTimeRange::parse(start.trim(), end.trim()).map_err(|e| e.message().to_string())
}

/// The form's name for a field the domain names.
fn field_label(field: &str) -> &'static str {
    match field.split(['[', '.']).next().unwrap_or_default() {
        "weekdays" => "Weekdays",
        "breaks" => "Breaks",
        "slot_minutes" => "Slot minutes",
        "last_day" => "Last day",
        "first_day" => "First day",
        _ => "Hours",
    }
}

/// One line per day of a preview: `Mon 14 Dec  08:00–16:30  16 slots`.
pub fn preview_days(response: &pb::PreviewWorkingPlanResponse) -> Vec<(LocalDay, String, usize)> {
    let mut days: Vec<(LocalDay, String, usize)> = Vec::new();
    for slot in &response.slots {
        let Some(start) = slot
            .r#ref
            .as_ref()
            .and_then(|r| crate::local_time::from_wire(r.start.as_ref()))
        else {
            continue;
        };
        let end = crate::local_time::from_wire(slot.end.as_ref()).unwrap_or(start);
        let day = LocalDay::of(start);
        match days.last_mut() {
            Some((last_day, span, count)) if *last_day == day => {
                *count += 1;
                if let Some((first, _)) = span.split_once('–') {
                    *span = format!("{first}–{}", crate::local_time::clock(end));
                }
            }
            _ => days.push((day, period(start, end), 1)),
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{fixtures::majorna, schedule::domain_clinic};

    fn now() -> Timestamp {
        "2026-11-24T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn defaults_follow_the_clinics_usual_hours() {
        let monday = LocalDay::parse("2026-12-14").unwrap();
        let form = PlanForm::defaults(&majorna(), monday, LocalDay::of(now()), 30);
        assert_eq!(form.weekdays, [true, true, true, true, true, false, false]);
        assert_eq!(form.hours, "08:00-17:00");
        assert_eq!(form.breaks, "12:00-13:00");
        assert_eq!(
            (form.first_day.as_str(), form.last_day.as_str()),
            ("2026-12-14", "2026-12-20")
        );
        let this_week = PlanForm::defaults(
            &majorna(),
            LocalDay::parse("2026-11-23").unwrap(),
            LocalDay::of(now()),
            30,
        );
        assert_eq!(
            this_week.first_day, "2026-11-24",
            "days already gone are left out"
        );
    }

    #[test]
    fn the_domain_checks_the_form_and_names_the_field() {
        let clinic = domain_clinic(&majorna()).unwrap();
        let monday = LocalDay::parse("2026-12-14").unwrap();
        let form = PlanForm::defaults(&majorna(), monday, LocalDay::of(now()), 30);
        let (plan, wire) = form.check(&clinic, "dr-lindqvist", now()).unwrap();
        assert_eq!(plan.expand().len(), 5 * 16);
        assert_eq!(wire.weekdays, vec![1, 2, 3, 4, 5]);
        assert_eq!(wire.breaks[0].start, "12:00");

        let bad = |edit: fn(&mut PlanForm)| {
            let mut form = form.clone();
            edit(&mut form);
            form.check(&clinic, "dr-lindqvist", now()).unwrap_err()
        };
        assert!(bad(|f| f.hours = "8-17".into()).starts_with("Hours:"));
        assert!(bad(|f| f.breaks = "12:00-13:00, 12:30-13:30".into()).starts_with("Breaks:"));
        assert!(bad(|f| f.slot_minutes = "3".into()).starts_with("Slot minutes:"));
        assert!(bad(|f| f.weekdays = [false; 7]).starts_with("Weekdays:"));
        assert!(bad(|f| f.last_day = "2026-12-01".into()).starts_with("Last day:"));
        assert!(bad(|f| f.first_day = "14/12".into()).starts_with("First day:"));
        let saturday = bad(|f| f.weekdays[5] = true);
        assert!(saturday.contains("Sat 19 Dec"), "{saturday}");
        let far = bad(|f| {
            f.first_day = "2027-06-01".into();
            f.last_day = "2027-06-07".into();
        });
        assert!(far.contains("horizon"), "{far}");
    }

    #[test]
    fn fields_cycle() {
        assert_eq!(PlanField::LastDay.next(), PlanField::Weekdays);
        assert_eq!(PlanField::Weekdays.previous(), PlanField::LastDay);
    }
}
