//! Test data: Majorna Tandvård as `dentismile up` seeds it, a week of Dr Lindqvist's schedule
//! and apps signed in as her and as the clinic's admin, at 09:42 on Monday 14 December 2026.

use std::collections::VecDeque;

use dentismile_client::{Connection, pb};
use dentismile_domain::{
    jiff::{SignedDuration, Timestamp},
    time::{LocalDay, LocalTime},
};

use crate::{
    app::{App, Notification, NotificationKind, Sample, ScheduleKey, Screen, Tab},
    local_time::to_wire,
    schedule::{Entry, EntryState},
};

/// 09:42 local time on Monday 14 December 2026.
pub fn now() -> Timestamp {
    "2026-12-14T08:42:00Z".parse().unwrap()
}

/// The Monday of the fixtures' week.
pub fn monday() -> LocalDay {
    LocalDay::parse("2026-12-14").unwrap()
}

/// Majorna Tandvård: open Monday to Friday 08:00-17:00, two dentists.
pub fn majorna() -> pb::Clinic {
    let open = |weekday: pb::Weekday| pb::OpeningHours {
        weekday: weekday.into(),
        hours: Some(pb::LocalTimeRange {
            start: "08:00".into(),
            end: "17:00".into(),
        }),
    };
    let dentist = |id: &str, name: &str| pb::Dentist {
        id: id.into(),
        clinic_id: "majorna-tandvard".into(),
        name: name.into(),
    };
    pb::Clinic {
        id: "majorna-tandvard".into(),
        name: "Majorna Tandvård".into(),
        neighbourhood: "Majorna".into(),
        address: "Karl Johansgatan 62, 414 55 Göteborg".into(),
        location: Some(pb::GeoPoint {
            latitude: 57.6962,
            longitude: 11.9262,
        }),
        opening_hours: vec![
            open(pb::Weekday::Monday),
            open(pb::Weekday::Tuesday),
            open(pb::Weekday::Wednesday),
            open(pb::Weekday::Thursday),
            open(pb::Weekday::Friday),
        ],
        dentists: vec![
            dentist("dr-berg", "Dr Olof Berg"),
            dentist("dr-lindqvist", "Dr Astrid Lindqvist"),
        ],
    }
}

fn at(day: LocalDay, time: &str) -> Timestamp {
    day.at(LocalTime::parse(time).unwrap())
}

/// Dr Lindqvist's week: 30-minute slots 08:00-17:00 with lunch at 12, a short Wednesday,
/// five bookings and one withdrawn slot.
pub fn entries() -> Vec<Entry> {
    let bookings = [
        (0, "08:30", "Anna Andersson", "check-up"),
        (0, "10:00", "Erik Johansson", "toothache, lower left"),
        (0, "14:00", "Fatima Hassan", ""),
        (1, "09:00", "Lars Nilsson", "cleaning"),
        (4, "11:00", "Anna Andersson", "filling"),
    ];
    let mut entries = Vec::new();
    for offset in 0..5 {
        let day = monday().plus_days(offset);
        let last = if offset == 2 { "12:00" } else { "17:00" };
        let mut start = at(day, "08:00");
        while start < at(day, last) {
            let end = start + SignedDuration::from_mins(30);
            if start >= at(day, "12:00") && start < at(day, "13:00") {
                start = end;
                continue;
            }
            let time = crate::local_time::clock(start);
            let booking = bookings
                .iter()
                .position(|(d, t, _, _)| *d == offset && *t == time);
            let state = match booking {
                Some(index) => {
                    let (_, _, name, reason) = bookings[index];
                    EntryState::Booked {
                        appointment_id: format!("0199a0b0-0000-7000-8000-00000000000{index}"),
                        patient_id: format!("0199a0b0-0000-7000-8000-0000000000a{index}"),
                        patient_name: name.to_string(),
                        reason: reason.to_string(),
                    }
                }
                None if offset == 0 && time == "16:30" => EntryState::Withdrawn,
                None => EntryState::Free,
            };
            entries.push(Entry {
                clinic_id: "majorna-tandvard".into(),
                dentist_id: "dr-lindqvist".into(),
                start,
                end,
                day,
                state,
            });
            start = end;
        }
    }
    entries
}

/// The same week as the server sends it.
pub fn wire_entries() -> Vec<pb::ScheduleEntry> {
    entries()
        .into_iter()
        .map(|entry| {
            let (state, appointment, patient_name) = match &entry.state {
                EntryState::Free => (pb::SlotState::Free, None, String::new()),
                EntryState::Withdrawn => (pb::SlotState::Withdrawn, None, String::new()),
                EntryState::Booked {
                    appointment_id,
                    patient_id,
                    patient_name,
                    reason,
                } => (
                    pb::SlotState::Booked,
                    Some(pb::Appointment {
                        id: appointment_id.clone(),
                        patient_id: patient_id.clone(),
                        reason: reason.clone(),
                        ..pb::Appointment::default()
                    }),
                    patient_name.clone(),
                ),
            };
            pb::ScheduleEntry {
                slot: Some(pb::Slot {
                    r#ref: Some(entry.slot_ref()),
                    end: Some(to_wire(entry.end)),
                    day: entry.day.to_string(),
                    state: state.into(),
                }),
                appointment,
                patient_name,
            }
        })
        .collect()
}

/// Dr Lindqvist's account.
pub fn dentist_account() -> pb::Account {
    pb::Account {
        user_id: "0199a0b0-0000-7000-8000-0000000000d1".into(),
        email: "dr-lindqvist@majorna-tandvard.dentismile.test".into(),
        display_name: "Dr Astrid Lindqvist".into(),
        role: pb::Role::Dentist.into(),
        clinic_id: "majorna-tandvard".into(),
        dentist_id: "dr-lindqvist".into(),
    }
}

/// The clinic admin's account.
pub fn admin_account() -> pb::Account {
    pb::Account {
        user_id: "0199a0b0-0000-7000-8000-0000000000e1".into(),
        email: "admin@majorna-tandvard.dentismile.test".into(),
        display_name: "Majorna Admin".into(),
        role: pb::Role::ClinicAdmin.into(),
        clinic_id: "majorna-tandvard".into(),
        dentist_id: String::new(),
    }
}

/// Signed in as Dr Lindqvist, her week loaded, two notifications, live over MQTT.
pub fn app() -> App {
    let mut app = App::new(now(), true);
    app.account = Some(dentist_account());
    app.clinics = vec![majorna()];
    app.screen = Screen::Main;
    app.tab = Tab::Schedule;
    app.schedule.day = monday();
    app.schedule.entries = entries();
    app.schedule.loaded = Some(ScheduleKey {
        clinic_id: "majorna-tandvard".into(),
        dentist_id: "dr-lindqvist".into(),
        monday: monday(),
    });
    app.schedule.selected = 4;
    app.live = Some(Connection::Mqtt("mqtt://127.0.0.1:1883".into()));
    app.watching = Some(("majorna-tandvard".into(), monday(), monday().plus_days(30)));
    app.inform("Signed in as Dr Astrid Lindqvist");
    app.notifications = VecDeque::from([
        Notification {
            at: now() - SignedDuration::from_mins(2),
            kind: NotificationKind::Booked,
            dentist_id: "dr-lindqvist".into(),
            start: at(monday().plus_days(4), "11:00"),
            end: at(monday().plus_days(4), "11:30"),
            patient: Some("Anna Andersson".into()),
            reason: Some("filling".into()),
        },
        Notification {
            at: now() - SignedDuration::from_mins(30),
            kind: NotificationKind::Cancelled,
            dentist_id: "dr-lindqvist".into(),
            start: at(monday().plus_days(1), "10:00"),
            end: at(monday().plus_days(1), "10:30"),
            patient: Some("Erik Johansson".into()),
            reason: None,
        },
    ]);
    app
}

/// Signed in as the clinic admin (showing Dr Lindqvist), with operations figures.
pub fn admin_app() -> App {
    let mut app = app();
    app.account = Some(admin_account());
    app.dentist_index = 1;
    app.inform("Signed in as Majorna Admin");
    app.operations.status = Some(system_status());
    app.operations.history = (0..60)
        .map(|i| Sample {
            requests: 10.0 + f64::from(i % 7) * 3.0,
            bookings: f64::from(i % 5) * 0.2,
            errors: if i == 40 { 0.5 } else { 0.0 },
        })
        .collect();
    app
}

/// What the gateway reports.
pub fn system_status() -> pb::SystemStatus {
    let component = |name: &str, address: &str, serving: bool, detail: &str| pb::ComponentHealth {
        name: name.into(),
        address: address.into(),
        serving,
        detail: detail.into(),
    };
    pb::SystemStatus {
        as_of: Some(to_wire(now())),
        requests_per_second: 18.4,
        bookings_per_second: 0.6,
        errors_per_second: 0.0,
        p99_latency_ms: 7.9,
        requests_total: 48_213,
        bookings_total: 612,
        errors_total: 3,
        components: vec![
            component("gateway", "http://127.0.0.1:50051", true, ""),
            component("auth", "http://127.0.0.1:41333", true, ""),
            component(
                "appointments",
                "http://127.0.0.1:41334,http://127.0.0.1:41335",
                false,
                "connection refused",
            ),
        ],
        brokers: vec![pb::BrokerStatus {
            address: "mqtt://127.0.0.1:1883".into(),
            connected: true,
            lag_seconds: 0.04,
            events_acknowledged: 9_120,
            events_in_flight: 2,
        }],
    }
}
