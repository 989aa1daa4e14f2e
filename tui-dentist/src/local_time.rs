//! Instants as a clinic in Gothenburg reads them. The wire carries UTC instants; every time on
//! screen is Europe/Stockholm wall-clock time, converted by the domain crate (which owns the
//! time-zone rules, daylight saving included).

use dentismile_domain::{
    jiff::{Timestamp, civil::Weekday},
    time::{LocalDay, to_local},
};

pub use dentismile_client::time::{from_wire, to_wire};

/// Local `HH:MM`.
pub fn clock(instant: Timestamp) -> String {
    let local = to_local(instant);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// Local `HH:MM:SS`.
pub fn clock_seconds(instant: Timestamp) -> String {
    let local = to_local(instant);
    format!(
        "{:02}:{:02}:{:02}",
        local.hour(),
        local.minute(),
        local.second()
    )
}

/// `09:00–09:30`.
pub fn period(start: Timestamp, end: Timestamp) -> String {
    format!("{}–{}", clock(start), clock(end))
}

/// `Mon`.
pub fn weekday_short(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

fn month_short(month: i8) -> &'static str {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    usize::try_from(month - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("?")
}

/// `Mon 14 Dec`.
pub fn day_label(day: LocalDay) -> String {
    let date = day.date();
    format!(
        "{} {} {}",
        weekday_short(day.weekday()),
        date.day(),
        month_short(date.month())
    )
}

/// `Mon 14 Dec 2026`.
pub fn day_label_with_year(day: LocalDay) -> String {
    format!("{} {}", day_label(day), day.date().year())
}

/// `Mon 14 Dec 09:00`: an instant with its local day.
pub fn moment(instant: Timestamp) -> String {
    format!("{} {}", day_label(LocalDay::of(instant)), clock(instant))
}

/// The Monday of the week `day` is in (weeks run Monday to Sunday, as in Sweden).
pub fn week_start(day: LocalDay) -> LocalDay {
    day.plus_days(-i32::from(day.weekday().to_monday_zero_offset()))
}

/// The ISO week number, as Swedish calendars show it.
pub fn iso_week(day: LocalDay) -> i8 {
    day.date().iso_week_date().week()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_in_gothenburg_across_daylight_saving() {
        let winter: Timestamp = "2026-12-14T08:00:00Z".parse().unwrap();
        assert_eq!(clock(winter), "09:00");
        assert_eq!(moment(winter), "Mon 14 Dec 09:00");
        let summer: Timestamp = "2026-06-15T07:00:00Z".parse().unwrap();
        assert_eq!(clock(summer), "09:00");
        let day = LocalDay::parse("2026-12-17").unwrap();
        assert_eq!(week_start(day).to_string(), "2026-12-14");
        assert_eq!(week_start(week_start(day)), week_start(day));
        assert_eq!(iso_week(day), 51);
        assert_eq!(day_label_with_year(day), "Thu 17 Dec 2026");
        assert_eq!(from_wire(Some(&to_wire(winter))), Some(winter));
    }
}
