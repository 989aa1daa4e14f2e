//! Local days and times of the clinics, and the clock.
//!
//! Every clinic is in Gothenburg, so local means Europe/Stockholm (CET, CEST in summer).
//! Instants are [`Timestamp`]s (UTC); a slot's partition is the local date on which it starts.
//! The time zone rules are compiled in (jiff's bundled tzdb), so the results do not depend on
//! the machine's zoneinfo files.

use std::{fmt, sync::OnceLock};

use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, DateTime, Time, Weekday},
    tz::{AmbiguousOffset, TimeZone},
};

use crate::error::ValidationError;

/// The IANA name of the clinics' time zone.
pub const CLINIC_TIME_ZONE_NAME: &str = "Europe/Stockholm";

/// The clinics' time zone.
pub fn clinic_time_zone() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(|| {
        TimeZone::get(CLINIC_TIME_ZONE_NAME)
            .expect("jiff's bundled time zone database contains Europe/Stockholm")
    })
}

/// Converts a local wall-clock time to an instant: the first instant at which the clinic's clock
/// reads `local` or later. Where the clock is unambiguous that is the one instant it shows
/// `local`. A time the spring change skips (02:00-03:00 on the last Sunday of March) maps to the
/// moment of the change, when the clock jumps to 03:00; a time the autumn change repeats maps to
/// its first, summer-time occurrence. Unlike shifting skipped times forward by the gap, this
/// mapping never runs backwards (a later wall-clock time never gives an earlier instant), so
/// periods that do not overlap on the clock do not overlap in real time.
pub fn to_instant(local: DateTime) -> Timestamp {
    let zone = clinic_time_zone();
    let ambiguous = zone.to_ambiguous_timestamp(local);
    let earliest = ambiguous
        .earlier()
        .expect("local times of supported dates convert to instants");
    match ambiguous.offset() {
        AmbiguousOffset::Gap { .. } => zone
            .following(earliest)
            .next()
            .map(|transition| transition.timestamp())
            .expect("a skipped local time is followed by the transition that skipped it"),
        AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => earliest,
    }
}

/// The local wall-clock date and time of an instant.
pub fn to_local(instant: Timestamp) -> DateTime {
    clinic_time_zone().to_datetime(instant)
}

/// `instant + duration`, saturating at the ends of the representable range (jiff's own
/// saturating arithmetic is fallible for calendar units; these durations are plain time).
pub fn add_saturating(instant: Timestamp, duration: SignedDuration) -> Timestamp {
    instant
        .checked_add(duration)
        .unwrap_or(if duration.is_negative() {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
}

/// Whether an instant falls on a whole minute.
pub fn is_whole_minute(instant: Timestamp) -> bool {
    instant.as_second().rem_euclid(60) == 0 && instant.subsec_nanosecond() == 0
}

/// A calendar date in the clinics' time zone: the day part of a partition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDay(Date);

impl LocalDay {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        if value.is_empty() {
            return Err(ValidationError::value("must not be empty"));
        }
        let looks_right = value.len() == 10
            && value.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !looks_right {
            return Err(ValidationError::value(format!(
                "'{value}' is not a date of the form YYYY-MM-DD"
            )));
        }
        value
            .parse::<Date>()
            .map(Self)
            .map_err(|_| ValidationError::value(format!("'{value}' is not a calendar date")))
    }

    /// The local day on which `instant` falls.
    pub fn of(instant: Timestamp) -> Self {
        Self(to_local(instant).date())
    }

    /// Wraps a civil date.
    pub fn from_date(date: Date) -> Self {
        Self(date)
    }

    /// The civil date.
    pub fn date(self) -> Date {
        self.0
    }

    /// The day of the week.
    pub fn weekday(self) -> Weekday {
        self.0.weekday()
    }

    /// The following day.
    pub fn next(self) -> Self {
        Self(
            self.0
                .tomorrow()
                .expect("dates handled here are far from year 9999"),
        )
    }

    /// The day `days` later (or earlier, if negative).
    pub fn plus_days(self, days: i32) -> Self {
        Self(
            self.0
                .checked_add(jiff::Span::new().days(days))
                .expect("dates handled here are far from the ends of the calendar"),
        )
    }

    /// Whole days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: LocalDay) -> i64 {
        later.0.duration_since(self.0).as_hours() / 24
    }

    /// The instant this day begins locally (00:00, which exists on every Stockholm date).
    pub fn start(self) -> Timestamp {
        to_instant(self.0.to_datetime(Time::midnight()))
    }

    /// The instant the next day begins: the exclusive end of this day. 23, 24 or 25 hours after
    /// [`LocalDay::start`].
    pub fn end(self) -> Timestamp {
        self.next().start()
    }

    /// The local instant of `time` on this day.
    pub fn at(self, time: LocalTime) -> Timestamp {
        to_instant(self.0.to_datetime(time.0))
    }

    /// The days from `self` to `last`, inclusive.
    pub fn through(self, last: LocalDay) -> impl Iterator<Item = LocalDay> {
        std::iter::successors(Some(self), move |day| (*day < last).then(|| day.next()))
            .take_while(move |day| *day <= last)
    }
}

impl fmt::Display for LocalDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A wall-clock time of day on a whole minute, `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(Time);

impl LocalTime {
    /// Parses `HH:MM` (24-hour).
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        if value.is_empty() {
            return Err(ValidationError::value("must not be empty"));
        }
        let bytes = value.as_bytes();
        let shape_ok = bytes.len() == 5
            && bytes[2] == b':'
            && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
        let parsed = shape_ok
            .then(|| {
                let hour: i8 = value[0..2].parse().ok()?;
                let minute: i8 = value[3..5].parse().ok()?;
                Time::new(hour, minute, 0, 0).ok()
            })
            .flatten();
        parsed.map(Self).ok_or_else(|| {
            ValidationError::value(format!("'{value}' is not a time of the form HH:MM"))
        })
    }

    /// A time from hour and minute; `None` if out of range.
    pub fn new(hour: i8, minute: i8) -> Option<Self> {
        Time::new(hour, minute, 0, 0).ok().map(Self)
    }

    /// The civil time.
    pub fn time(self) -> Time {
        self.0
    }

    /// Minutes since midnight.
    pub fn minutes_of_day(self) -> i32 {
        i32::from(self.0.hour()) * 60 + i32::from(self.0.minute())
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

/// A period of a local day, `start` up to (not including) `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTimeRange {
    start: LocalTime,
    end: LocalTime,
}

impl LocalTimeRange {
    /// A range; `end` must be after `start`. Errors name `start` or `end`.
    pub fn new(start: LocalTime, end: LocalTime) -> Result<Self, ValidationError> {
        if end <= start {
            return Err(ValidationError::new(
                "end",
                format!("{end} must be after start {start}"),
            ));
        }
        Ok(Self { start, end })
    }

    /// Parses `HH:MM` strings; errors name `start` or `end`.
    pub fn parse(start: &str, end: &str) -> Result<Self, ValidationError> {
        let start = LocalTime::parse(start).map_err(|e| e.within("start"))?;
        let end = LocalTime::parse(end).map_err(|e| e.within("end"))?;
        Self::new(start, end)
    }

    /// Where the period starts.
    pub fn start(&self) -> LocalTime {
        self.start
    }

    /// Where the period ends (exclusive).
    pub fn end(&self) -> LocalTime {
        self.end
    }

    /// Whether `other` lies entirely within this period.
    pub fn contains(&self, other: &LocalTimeRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Whether the two periods share any time.
    pub fn overlaps(&self, other: &LocalTimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl fmt::Display for LocalTimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Where "now" comes from, so rules about the past and the cutoff can be tested.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that reads what it was set to; for tests and simulations.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<Timestamp>);

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: Timestamp) -> Self {
        Self(std::sync::Mutex::new(now))
    }

    /// Moves the clock (forward or back).
    pub fn advance(&self, by: SignedDuration) {
        // A poisoned lock still holds a valid Timestamp.
        let mut now = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        *now = now.checked_add(by).expect("test clocks stay in range");
    }

    /// Sets the clock.
    pub fn set(&self, to: Timestamp) {
        *self.0.lock().unwrap_or_else(|poison| poison.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn stockholm_days_are_23_24_or_25_hours_long_around_the_2026_changes() {
        let spring = LocalDay::from_date(date(2026, 3, 29));
        let autumn = LocalDay::from_date(date(2026, 10, 25));
        let ordinary = LocalDay::from_date(date(2026, 11, 24));
        assert_eq!((spring.end() - spring.start()).as_hours(), 23);
        assert_eq!((autumn.end() - autumn.start()).as_hours(), 25);
        assert_eq!((ordinary.end() - ordinary.start()).as_hours(), 24);
    }

    #[test]
    fn instants_map_to_the_local_day_not_the_utc_day() {
        // 23:30 UTC on 24 November is 00:30 on the 25th in Stockholm (CET, +01:00).
        let late: Timestamp = "2026-11-24T23:30:00Z".parse().unwrap();
        assert_eq!(LocalDay::of(late).to_string(), "2026-11-25");
        // 22:30 UTC on 1 July is 00:30 on the 2nd (CEST, +02:00).
        let summer: Timestamp = "2026-07-01T22:30:00Z".parse().unwrap();
        assert_eq!(LocalDay::of(summer).to_string(), "2026-07-02");
    }

    #[test]
    fn gap_times_map_to_the_change_and_fold_times_to_summer_time() {
        let spring = LocalDay::from_date(date(2026, 3, 29));
        for skipped in ["02:00", "02:30", "02:59"] {
            let in_gap = spring.at(LocalTime::parse(skipped).unwrap());
            assert_eq!(in_gap.to_string(), "2026-03-29T01:00:00Z", "{skipped}"); // 03:00 CEST
        }
        let after_gap = spring.at(LocalTime::parse("03:00").unwrap());
        assert_eq!(after_gap.to_string(), "2026-03-29T01:00:00Z");
        let autumn = LocalDay::from_date(date(2026, 10, 25));
        let in_fold = autumn.at(LocalTime::parse("02:30").unwrap());
        assert_eq!(in_fold.to_string(), "2026-10-25T00:30:00Z"); // 02:30 CEST, the first one
    }

    #[test]
    fn parses_days_and_times_strictly() {
        assert_eq!(
            LocalDay::parse("2026-02-28").unwrap().to_string(),
            "2026-02-28"
        );
        for bad in [
            "2026-02-30",
            "2026-2-28",
            "26-02-28",
            "2026/02/28",
            "tomorrow",
        ] {
            assert!(LocalDay::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(LocalTime::parse("08:05").unwrap().to_string(), "08:05");
        for bad in ["8:05", "24:00", "12:60", "12.00", "noon"] {
            assert!(LocalTime::parse(bad).is_err(), "{bad}");
        }
        let error = LocalTimeRange::parse("13:00", "12:00").unwrap_err();
        assert_eq!(error.field(), "end");
    }

    #[test]
    fn through_is_inclusive_and_empty_when_reversed() {
        let first = LocalDay::parse("2026-03-28").unwrap();
        let last = LocalDay::parse("2026-03-30").unwrap();
        let days: Vec<String> = first.through(last).map(|d| d.to_string()).collect();
        assert_eq!(days, ["2026-03-28", "2026-03-29", "2026-03-30"]);
        assert_eq!(last.through(first).count(), 0);
        assert_eq!(first.days_until(last), 2);
    }
}
