//! A generated `slots.csv` for Dr Lindqvist at Majorna Tandvård (open Monday to Friday,
//! 08:00-17:00): 30-minute slots on weekdays from three weeks ahead, past the two weeks the
//! demo data fills, so nothing collides with it.

use dentismile_domain::{
    jiff::{SignedDuration, Timestamp, civil::Weekday},
    time::{LocalDay, LocalTime},
};
use dentismile_tui_dentist::local_time::week_start;

/// The clinic of the file.
pub const CLINIC: &str = "majorna-tandvard";
/// The dentist of the file.
pub const DENTIST: &str = "dr-lindqvist";

/// The first day of the file: a Monday at least three weeks ahead.
pub fn first_day() -> LocalDay {
    week_start(LocalDay::of(Timestamp::now()).plus_days(21)).plus_days(7)
}

/// `count` back-to-back 30-minute slots on weekdays, 08:00 to 17:00, from `first_day()`.
pub fn slots(count: usize) -> Vec<(Timestamp, Timestamp)> {
    let mut slots = Vec::with_capacity(count);
    let mut day = first_day();
    while slots.len() < count {
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            let mut start = day.at(LocalTime::parse("08:00").expect("a time"));
            let close = day.at(LocalTime::parse("17:00").expect("a time"));
            while start < close && slots.len() < count {
                let end = start + SignedDuration::from_mins(30);
                slots.push((start, end));
                start = end;
            }
        }
        day = day.next();
    }
    slots
}

/// One line of the file.
pub fn line(start: Timestamp, end: Timestamp, status: &str) -> String {
    format!("{DENTIST},{CLINIC},Majorna Tandvård,,{start},{end},{status}")
}

/// The file: the header, then one line per slot (the slot at index `i` is on line `i + 2`).
pub fn file(lines: &[String]) -> String {
    let mut text = String::from(dentismile_client::slots_csv::HEADER);
    text.push('\n');
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// 500 good lines, and the same file with three bad ones: line 10 has an unknown status,
/// line 200 falls on a Sunday (the clinic is closed), line 377 overlaps line 376.
pub fn good_and_bad() -> (String, String) {
    let slots = slots(500);
    let good: Vec<String> = slots.iter().map(|(s, e)| line(*s, *e, "free")).collect();
    let mut bad = good.clone();
    let index = |line: usize| line - 2;
    let (start, end) = slots[index(10)];
    bad[index(10)] = line(start, end, "maybe");
    let last_day = LocalDay::of(slots[499].0);
    let sunday = last_day.plus_days(7 - i32::from(last_day.weekday().to_monday_one_offset()));
    assert_eq!(sunday.weekday(), Weekday::Sunday);
    let sunday_start = sunday.at(LocalTime::parse("10:00").expect("a time"));
    bad[index(200)] = line(
        sunday_start,
        sunday_start + SignedDuration::from_mins(30),
        "free",
    );
    let (start, end) = slots[index(377)];
    assert_eq!(
        LocalDay::of(start),
        LocalDay::of(slots[index(376)].0),
        "lines 376 and 377 are on the same day"
    );
    let quarter = SignedDuration::from_mins(15);
    bad[index(377)] = line(start - quarter, end - quarter, "free");
    (file(&good), file(&bad))
}
