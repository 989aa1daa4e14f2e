//! Appointments as an iCalendar file (RFC 5545) that calendar programs import: CRLF line ends,
//! lines folded at 75 octets without splitting a UTF-8 character, text values escaped, times in
//! UTC with `Z` (so no VTIMEZONE is needed and every program agrees on the instant), a stable
//! `UID` per appointment so importing again updates rather than duplicates, and a `DTSTAMP`.

use dentismile_client::pb;
use dentismile_domain::jiff::Timestamp;

use crate::{app::appointment_times, local_time};

/// The longest content line, in octets, before folding (RFC 5545 §3.1).
const MAX_LINE: usize = 75;

/// One appointment as a calendar event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Globally unique and stable: the appointment id at our domain.
    pub uid: String,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// Title.
    pub summary: String,
    /// The clinic's address (or name when unknown).
    pub location: String,
    /// Details.
    pub description: String,
    /// The clinic's coordinates.
    pub geo: Option<(f64, f64)>,
}

impl Event {
    /// The event of an appointment; `clinic` adds the address and coordinates. `None` when the
    /// appointment lacks its times.
    pub fn from_appointment(
        appointment: &pb::Appointment,
        clinic: Option<&pb::Clinic>,
    ) -> Option<Self> {
        let (start, end) = appointment_times(appointment)?;
        let location = match clinic {
            Some(c) => format!("{}, {}", c.name, c.address),
            None => appointment.clinic_name.clone(),
        };
        let mut description = format!(
            "{} with {} at {} (Gothenburg time).",
            local_time::span(start, end),
            appointment.dentist_name,
            appointment.clinic_name
        );
        if !appointment.reason.is_empty() {
            description.push_str(&format!("\nYour note: {}", appointment.reason));
        }
        description.push_str(
            "\nCancel in DentiSmile up to 24 hours before the start.\nBooking reference: ",
        );
        description.push_str(&appointment.id);
        Some(Self {
            uid: format!("{}@dentismile", appointment.id),
            start,
            end,
            summary: format!(
                "Dentist: {}, {}",
                appointment.dentist_name, appointment.clinic_name
            ),
            location,
            description,
            geo: clinic
                .and_then(|c| c.location.as_ref())
                .map(|l| (l.latitude, l.longitude)),
        })
    }
}

/// A whole calendar of `events`, stamped at `now`.
pub fn calendar(events: &[Event], now: Timestamp) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&fold(&text));
        out.push_str("\r\n");
    };
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//DentiSmile//Patient terminal//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    for event in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&event.uid)));
        line(format!("DTSTAMP:{}", utc(now)));
        line(format!("DTSTART:{}", utc(event.start)));
        line(format!("DTEND:{}", utc(event.end)));
        line(format!("SUMMARY:{}", escape(&event.summary)));
        line(format!("LOCATION:{}", escape(&event.location)));
        line(format!("DESCRIPTION:{}", escape(&event.description)));
        if let Some((latitude, longitude)) = event.geo {
            line(format!("GEO:{latitude:.6};{longitude:.6}"));
        }
        line("STATUS:CONFIRMED".into());
        line("TRANSP:OPAQUE".into());
        // A reminder the day before, while cancelling is still possible.
        line("BEGIN:VALARM".into());
        line("ACTION:DISPLAY".into());
        line(format!("DESCRIPTION:{}", escape(&event.summary)));
        line("TRIGGER:-PT24H".into());
        line("END:VALARM".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// `20261124T080000Z`.
fn utc(instant: Timestamp) -> String {
    instant.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line: at most 75 octets per line, continuation lines starting with one
/// space (which counts), never inside a UTF-8 character. Lines are joined with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / MAX_LINE * 3);
    let mut used = 0;
    for c in line.chars() {
        let width = c.len_utf8();
        if used + width > MAX_LINE {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += width;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appointment() -> pb::Appointment {
        let start: Timestamp = "2026-11-26T07:00:00Z".parse().unwrap();
        let end: Timestamp = "2026-11-26T07:30:00Z".parse().unwrap();
        pb::Appointment {
            id: "0196f0c2-8a7e-7b1c-9d3e-5f6a7b8c9d0e".into(),
            slot: Some(pb::Slot {
                r#ref: Some(pb::SlotRef {
                    clinic_id: "haga-tandlakare".into(),
                    dentist_id: "dr-ek".into(),
                    start: Some(local_time::to_wire(start)),
                }),
                end: Some(local_time::to_wire(end)),
                day: "2026-11-26".into(),
                state: pb::SlotState::Booked.into(),
            }),
            status: pb::AppointmentStatus::Booked.into(),
            reason: "Tooth ache; left side, upper".into(),
            clinic_name: "Haga Tandläkare".into(),
            dentist_name: "Dr Maja Ek".into(),
            ..Default::default()
        }
    }

    fn clinic() -> pb::Clinic {
        pb::Clinic {
            id: "haga-tandlakare".into(),
            name: "Haga Tandläkare".into(),
            address: "Haga Nygata 12, 413 01 Göteborg".into(),
            location: Some(pb::GeoPoint {
                latitude: 57.6984,
                longitude: 11.9566,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_calendar_has_crlf_lines_of_at_most_75_octets_and_utc_times() {
        let event = Event::from_appointment(&appointment(), Some(&clinic())).unwrap();
        let text = calendar(&[event], "2026-11-24T09:12:45Z".parse().unwrap());
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "only CRLF line ends"
        );
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        // Unfolding restores the logical lines.
        let unfolded = text.replace("\r\n ", "");
        let lines: Vec<&str> = unfolded.split("\r\n").collect();
        for expected in [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "BEGIN:VEVENT",
            "UID:0196f0c2-8a7e-7b1c-9d3e-5f6a7b8c9d0e@dentismile",
            "DTSTAMP:20261124T091245Z",
            "DTSTART:20261126T070000Z",
            "DTEND:20261126T073000Z",
            "SUMMARY:Dentist: Dr Maja Ek\\, Haga Tandläkare",
            "LOCATION:Haga Tandläkare\\, Haga Nygata 12\\, 413 01 Göteborg",
            "GEO:57.698400;11.956600",
            "END:VEVENT",
        ] {
            assert!(
                lines.contains(&expected),
                "missing {expected} in\n{unfolded}"
            );
        }
        let description = lines
            .iter()
            .find(|l| l.starts_with("DESCRIPTION:Thu 26 Nov 08:00–08:30"))
            .expect("the description gives the local time");
        assert!(description.contains("Your note: Tooth ache\\; left side\\, upper\\n"));
    }

    #[test]
    fn folding_never_splits_a_character() {
        let long = format!("SUMMARY:{}", "ö".repeat(100));
        let folded = fold(&long);
        for (i, line) in folded.split("\r\n").enumerate() {
            assert!(line.len() <= 75);
            if i > 0 {
                assert!(line.starts_with(' '));
            }
        }
        assert_eq!(folded.replace("\r\n ", ""), long);
        assert_eq!(fold("short"), "short");
        assert_eq!(escape("a\\b;c,d\ne"), "a\\\\b\\;c\\,d\\ne");
    }
}
