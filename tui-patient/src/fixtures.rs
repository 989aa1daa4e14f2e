//! Test data: a few of the demo clinics, a week of slots, appointments, and apps in the states
//! the screens are tested in. Fixed times, so snapshots do not change with the clock.

use std::path::PathBuf;

use dentismile_client::pb;
use dentismile_domain::{
    jiff::{SignedDuration, Timestamp},
    time::{LocalDay, LocalTime},
};

use crate::{
    action::Action,
    app::{App, Pane, Screen},
    local_time::to_wire,
    update::update,
};

/// Tuesday 24 November 2026, 10:12 in Gothenburg.
pub fn now() -> Timestamp {
    "2026-11-24T09:12:00Z".parse().unwrap()
}

pub fn at(instant: &str) -> Timestamp {
    instant.parse().unwrap()
}

fn hours(weekday: i32, start: &str, end: &str) -> pb::OpeningHours {
    pb::OpeningHours {
        weekday,
        hours: Some(pb::LocalTimeRange {
            start: start.into(),
            end: end.into(),
        }),
    }
}

fn clinic(
    id: &str,
    name: &str,
    neighbourhood: &str,
    address: &str,
    (latitude, longitude): (f64, f64),
    saturday: bool,
    dentists: &[(&str, &str)],
) -> pb::Clinic {
    let mut opening_hours: Vec<pb::OpeningHours> =
        (1..=5).map(|d| hours(d, "08:00", "17:00")).collect();
    if saturday {
        opening_hours.push(hours(6, "09:00", "13:00"));
    }
    pb::Clinic {
        id: id.into(),
        name: name.into(),
        neighbourhood: neighbourhood.into(),
        address: address.into(),
        location: Some(pb::GeoPoint {
            latitude,
            longitude,
        }),
        opening_hours,
        dentists: dentists
            .iter()
            .map(|(dentist, dentist_name)| pb::Dentist {
                id: (*dentist).into(),
                clinic_id: id.into(),
                name: (*dentist_name).into(),
            })
            .collect(),
    }
}

/// Five clinics, ordered by id as the server sends them.
pub fn clinics() -> Vec<pb::Clinic> {
    vec![
        clinic(
            "angered-tandvard",
            "Angered Tandvård",
            "Angered",
            "Angereds Torg 5, 424 65 Angered",
            (57.7969, 12.0491),
            false,
            &[("dr-ali", "Dr Samira Ali")],
        ),
        clinic(
            "frolunda-tandvard",
            "Frölunda Tandvård",
            "Frölunda",
            "Frölunda Torg 3, 421 42 Västra Frölunda",
            (57.6527, 11.9108),
            false,
            &[("dr-persson", "Dr Ingrid Persson")],
        ),
        clinic(
            "haga-tandlakare",
            "Haga Tandläkare",
            "Haga",
            "Haga Nygata 12, 413 01 Göteborg",
            (57.6984, 11.9566),
            true,
            &[("dr-ek", "Dr Maja Ek"), ("dr-holm", "Dr Johan Holm")],
        ),
        clinic(
            "majorna-tandvard",
            "Majorna Tandvård",
            "Majorna",
            "Karl Johansgatan 62, 414 55 Göteborg",
            (57.6962, 11.9262),
            false,
            &[("dr-lindqvist", "Dr Astrid Lindqvist")],
        ),
        clinic(
            "orgryte-tandvard",
            "Örgryte Tandvård",
            "Örgryte",
            "Danska vägen 70, 416 59 Göteborg",
            (57.7039, 12.0048),
            false,
            &[("dr-hedlund", "Dr Anders Hedlund")],
        ),
    ]
}

/// A slot on the wire: local `day` and `HH:MM`, `minutes` long.
pub fn wire_slot(
    clinic_id: &str,
    dentist_id: &str,
    day: &str,
    time: &str,
    minutes: i64,
    state: pb::SlotState,
) -> pb::Slot {
    let day = LocalDay::parse(day).unwrap();
    let start = day.at(LocalTime::parse(time).unwrap());
    let end = start + SignedDuration::from_mins(minutes);
    pb::Slot {
        r#ref: Some(pb::SlotRef {
            clinic_id: clinic_id.into(),
            dentist_id: dentist_id.into(),
            start: Some(to_wire(start)),
        }),
        end: Some(to_wire(end)),
        day: day.to_string(),
        state: state.into(),
    }
}

/// Haga's week from today: Ek and Holm every half hour 08:00–12:00 on weekdays (09:00–11:00 on
/// Saturday), some booked, today's first hours over.
pub fn haga_week() -> Vec<pb::Slot> {
    let today = LocalDay::of(now());
    let mut slots = Vec::new();
    for offset in 0..7 {
        let day = today.plus_days(offset);
        let weekday = day.weekday().to_monday_one_offset();
        let (from, to) = match weekday {
            1..=5 => (8 * 60, 12 * 60),
            6 => (9 * 60, 11 * 60),
            _ => continue,
        };
        for (d, dentist) in ["dr-ek", "dr-holm"].iter().enumerate() {
            let mut minute = from;
            while minute < to {
                let time = format!("{:02}:{:02}", minute / 60, minute % 60);
                // Every third slot booked, differently per dentist, for a varied grid.
                let state = if (minute / 30 + d as i32 + offset) % 3 == 0 {
                    pb::SlotState::Booked
                } else {
                    pb::SlotState::Free
                };
                slots.push(wire_slot(
                    "haga-tandlakare",
                    dentist,
                    &day.to_string(),
                    &time,
                    30,
                    state,
                ));
                minute += 30;
            }
        }
    }
    slots
}

pub fn account() -> pb::Account {
    pb::Account {
        user_id: "0196f0c2-0000-7000-8000-000000000001".into(),
        email: "anna@patients.dentismile.test".into(),
        display_name: "Anna Andersson".into(),
        role: pb::Role::Patient.into(),
        ..Default::default()
    }
}

/// An appointment at Haga with Dr Ek.
pub fn appointment(id: &str, day: &str, time: &str, cancelled: bool) -> pb::Appointment {
    pb::Appointment {
        id: id.into(),
        slot: Some(wire_slot(
            "haga-tandlakare",
            "dr-ek",
            day,
            time,
            30,
            pb::SlotState::Booked,
        )),
        patient_id: account().user_id,
        status: if cancelled {
            pb::AppointmentStatus::Cancelled
        } else {
            pb::AppointmentStatus::Booked
        }
        .into(),
        reason: String::new(),
        clinic_name: "Haga Tandläkare".into(),
        dentist_name: "Dr Maja Ek".into(),
        cancelled_by: if cancelled {
            pb::CancelledBy::Patient.into()
        } else {
            0
        },
        ..Default::default()
    }
}

/// Two upcoming, one past, one cancelled.
pub fn appointments() -> Vec<pb::Appointment> {
    vec![
        appointment("a-past", "2026-11-10", "09:00", false),
        appointment("a-cancelled", "2026-11-20", "10:00", true),
        appointment("a-soon", "2026-11-26", "08:30", false),
        appointment("a-later", "2026-12-03", "11:00", false),
    ]
}

/// A new app at [`now`] on a `width` x `height` terminal.
pub fn app(width: u16, height: u16) -> App {
    let mut app = App::new(now(), PathBuf::from("/home/anna/calendar"));
    update(&mut app, Action::Resize { width, height });
    app
}

/// Signed in as Anna with the clinics listed.
pub fn signed_in(width: u16, height: u16) -> App {
    let mut app = app(width, height);
    update(&mut app, Action::SignedIn(Ok(account())));
    update(&mut app, Action::ClinicsLoaded(Ok(clinics())));
    update(&mut app, Action::AppointmentsLoaded(Ok(Vec::new())));
    app.status = None;
    assert_eq!(app.screen, Screen::Main);
    app
}

/// Haga's week open and listed, live over MQTT.
pub fn week(width: u16, height: u16) -> App {
    let mut app = signed_in(width, height);
    app.clinic_cursor.selected = 2;
    update(&mut app, Action::Activate);
    let request = app.week.listing.unwrap();
    update(
        &mut app,
        Action::SlotsLoaded {
            request,
            result: Ok(haga_week()),
        },
    );
    update(
        &mut app,
        Action::Live(dentismile_client::LiveUpdate::Connection(
            dentismile_client::Connection::Mqtt("mqtt://127.0.0.1:1883".into()),
        )),
    );
    assert_eq!(app.pane, Pane::Week);
    app
}
