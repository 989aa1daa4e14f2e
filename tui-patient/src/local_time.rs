//! Instants as a patient in Gothenburg reads them. Slots are UTC instants on the wire; every
//! time on screen is Europe/Stockholm wall-clock time, converted by the domain crate (which owns
//! the time-zone rules, DST included).

use dentismile_domain::{
    jiff::Timestamp,
    time::{LocalDay, to_local},
};

pub use dentismile_client::time::{from_wire, to_wire};

/// Local minutes since midnight of an instant (the row of the week view).
pub fn minute_of_day(instant: Timestamp) -> i32 {
    let local = to_local(instant);
    i32::from(local.hour()) * 60 + i32::from(local.minute())
}

/// `HH:MM` for local minutes since midnight.
pub fn clock(minute_of_day: i32) -> String {
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

/// Local `HH:MM` of an instant.
pub fn time(instant: Timestamp) -> String {
    clock(minute_of_day(instant))
}

/// `Mon 24/11`: a column heading.
pub fn day_heading(day: LocalDay) -> String {
    day.date().strftime("%a %-d/%-m").to_string()
}

/// `Mon 24 Nov`.
pub fn day(day: LocalDay) -> String {
    day.date().strftime("%a %-d %b").to_string()
}

/// `Mon 24 Nov 2026`: for ranges that may span a new year.
pub fn day_with_year(day: LocalDay) -> String {
    day.date().strftime("%a %-d %b %Y").to_string()
}

/// `Tue 24 Nov 08:00–08:30`: one appointment or slot, unambiguous on its own.
pub fn span(start: Timestamp, end: Timestamp) -> String {
    format!(
        "{} {}–{}",
        self::day(LocalDay::of(start)),
        time(start),
        time(end)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winter_and_summer_times_are_shown_in_gothenburg() {
        // CET is UTC+1 in November, CEST UTC+2 in June.
        let winter: Timestamp = "2026-11-24T07:00:00Z".parse().unwrap();
        let summer: Timestamp = "2026-06-09T07:00:00Z".parse().unwrap();
        assert_eq!(time(winter), "08:00");
        assert_eq!(time(summer), "09:00");
        assert_eq!(
            span(winter, "2026-11-24T07:30:00Z".parse().unwrap()),
            "Tue 24 Nov 08:00–08:30"
        );
        assert_eq!(day_heading(LocalDay::of(summer)), "Tue 9/6");
        assert_eq!(day_with_year(LocalDay::of(summer)), "Tue 9 Jun 2026");
        // 23:30 UTC on the 24th is already the 25th in Gothenburg.
        let late: Timestamp = "2026-11-24T23:30:00Z".parse().unwrap();
        assert_eq!(day(LocalDay::of(late)), "Wed 25 Nov");
        assert_eq!(from_wire(Some(&to_wire(late))), Some(late));
        assert_eq!(from_wire(None), None);
    }
}
