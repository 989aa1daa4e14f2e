//! Demo data for `dentismile up`: ten fictional clinics in real Gothenburg neighbourhoods
//! (addresses and coordinates approximate), two to four dentists each, two weeks of slots from
//! working plans, staff accounts and a few patients.
//!
//! Seeding is safe to repeat on every start: clinics and dentists are upserted, accounts are
//! created only when their email is free, and a dentist's day is only filled when it has no slots
//! at all, so a restart neither duplicates slots nor revives ones the clinic withdrew; it only
//! adds the days that have come into the two-week window since.

use dentismile_auth::Authenticator;
use dentismile_domain::{
    accounts::Role,
    actor::Actor,
    clinic::{Clinic, Dentist, GeoPoint, OpeningHours},
    ids::{ClinicId, DentistId, UserId},
    jiff::civil::Weekday,
    plan::{WorkingPlan, WorkingPlanParts},
    scheduler::Scheduler,
    slot::PartitionKey,
    text::{Address, DisplayName},
    time::{LocalDay, LocalTimeRange},
};

/// Days of slots kept published ahead, today included.
pub const DEMO_DAYS: i32 = 14;
/// The password of every demo staff account.
pub const STAFF_PASSWORD: &str = "dentist-demo-2026";
/// The system admin.
pub const ADMIN: (&str, &str) = ("admin@dentismile.test", "admin-demo-2026");
/// Demo patients: email, password, name.
pub const PATIENTS: [(&str, &str, &str); 4] = [
    (
        "anna@patients.dentismile.test",
        "smile-anna-2026",
        "Anna Andersson",
    ),
    (
        "erik@patients.dentismile.test",
        "smile-erik-2026",
        "Erik Johansson",
    ),
    (
        "fatima@patients.dentismile.test",
        "smile-fatima-2026",
        "Fatima Hassan",
    ),
    (
        "lars@patients.dentismile.test",
        "smile-lars-2026",
        "Lars Nilsson",
    ),
];

struct DemoClinic {
    id: &'static str,
    name: &'static str,
    neighbourhood: &'static str,
    address: &'static str,
    location: (f64, f64),
    /// Weekday hours, and Saturday hours if open.
    weekdays: (&'static str, &'static str),
    saturday: Option<(&'static str, &'static str)>,
    dentists: &'static [(&'static str, &'static str, u32)],
}

/// (dentist id, name, slot minutes).
const CLINICS: [DemoClinic; 10] = [
    DemoClinic {
        id: "majorna-tandvard",
        name: "Majorna Tandvård",
        neighbourhood: "Majorna",
        address: "Karl Johansgatan 62, 414 55 Göteborg",
        location: (57.6962, 11.9262),
        weekdays: ("08:00", "17:00"),
        saturday: None,
        dentists: &[
            ("dr-lindqvist", "Dr Astrid Lindqvist", 30),
            ("dr-berg", "Dr Olof Berg", 45),
        ],
    },
    DemoClinic {
        id: "haga-tandlakare",
        name: "Haga Tandläkare",
        neighbourhood: "Haga",
        address: "Haga Nygata 12, 413 01 Göteborg",
        location: (57.6984, 11.9566),
        weekdays: ("08:00", "18:00"),
        saturday: Some(("09:00", "13:00")),
        dentists: &[
            ("dr-ek", "Dr Maja Ek", 30),
            ("dr-holm", "Dr Johan Holm", 30),
            ("dr-sandberg", "Dr Leila Sandberg", 20),
        ],
    },
    DemoClinic {
        id: "vasastan-tandklinik",
        name: "Vasastan Tandklinik",
        neighbourhood: "Vasastaden",
        address: "Vasagatan 34, 411 37 Göteborg",
        location: (57.6999, 11.9707),
        weekdays: ("07:30", "17:00"),
        saturday: None,
        dentists: &[
            ("dr-wallin", "Dr Karin Wallin", 30),
            ("dr-nyberg", "Dr Ahmed Nyberg", 30),
        ],
    },
    DemoClinic {
        id: "inom-vallgraven-tandvard",
        name: "Tandvård Inom Vallgraven",
        neighbourhood: "Inom Vallgraven",
        address: "Kungsgatan 41, 411 19 Göteborg",
        location: (57.7052, 11.9647),
        weekdays: ("08:00", "19:00"),
        saturday: Some(("10:00", "14:00")),
        dentists: &[
            ("dr-falk", "Dr Sara Falk", 30),
            ("dr-lund", "Dr Nils Lund", 45),
            ("dr-strand", "Dr Emma Strand", 30),
            ("dr-rahimi", "Dr Dariush Rahimi", 20),
        ],
    },
    DemoClinic {
        id: "lindholmen-tandvard",
        name: "Lindholmen Tandvård",
        neighbourhood: "Lindholmen, Hisingen",
        address: "Lindholmsallén 10, 417 55 Göteborg",
        location: (57.7068, 11.9380),
        weekdays: ("07:00", "16:00"),
        saturday: None,
        dentists: &[
            ("dr-sjoberg", "Dr Linnea Sjöberg", 30),
            ("dr-kaya", "Dr Emre Kaya", 30),
        ],
    },
    DemoClinic {
        id: "frolunda-tandvard",
        name: "Frölunda Tandvård",
        neighbourhood: "Frölunda",
        address: "Frölunda Torg 3, 421 42 Västra Frölunda",
        location: (57.6527, 11.9108),
        weekdays: ("08:00", "17:00"),
        saturday: None,
        dentists: &[
            ("dr-persson", "Dr Ingrid Persson", 30),
            ("dr-mattsson", "Dr Per Mattsson", 30),
            ("dr-okafor", "Dr Chidi Okafor", 45),
        ],
    },
    DemoClinic {
        id: "angered-tandvard",
        name: "Angered Tandvård",
        neighbourhood: "Angered",
        address: "Angereds Torg 5, 424 65 Angered",
        location: (57.7969, 12.0491),
        weekdays: ("08:00", "16:30"),
        saturday: None,
        dentists: &[
            ("dr-ali", "Dr Samira Ali", 30),
            ("dr-gustafsson", "Dr Erik Gustafsson", 30),
        ],
    },
    DemoClinic {
        id: "johanneberg-tandklinik",
        name: "Johanneberg Tandklinik",
        neighbourhood: "Johanneberg",
        address: "Eklandagatan 40, 412 61 Göteborg",
        location: (57.6905, 11.9818),
        weekdays: ("08:00", "17:00"),
        saturday: None,
        dentists: &[
            ("dr-blom", "Dr Helena Blom", 30),
            ("dr-virtanen", "Dr Mikko Virtanen", 20),
        ],
    },
    DemoClinic {
        id: "kortedala-tandvard",
        name: "Kortedala Tandvård",
        neighbourhood: "Kortedala",
        address: "Kortedala Torg 9, 415 09 Göteborg",
        location: (57.7536, 12.0418),
        weekdays: ("08:00", "16:00"),
        saturday: None,
        dentists: &[
            ("dr-axelsson", "Dr Britt Axelsson", 30),
            ("dr-nguyen", "Dr Minh Nguyen", 30),
        ],
    },
    DemoClinic {
        id: "orgryte-tandvard",
        name: "Örgryte Tandvård",
        neighbourhood: "Örgryte",
        address: "Danska vägen 70, 416 59 Göteborg",
        location: (57.7039, 12.0048),
        weekdays: ("08:00", "17:00"),
        saturday: Some(("09:00", "12:00")),
        dentists: &[
            ("dr-hedlund", "Dr Anders Hedlund", 30),
            ("dr-svensson", "Dr Klara Svensson", 45),
            ("dr-moradi", "Dr Reza Moradi", 30),
        ],
    },
];

/// What was seeded, for printing.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// (role, email, password) of the accounts to show.
    pub accounts: Vec<(String, String, String)>,
    /// Clinics in the directory.
    pub clinics: usize,
    /// Dentists in the directory.
    pub dentists: usize,
    /// Slots added by this start.
    pub slots_added: usize,
}

fn range(hours: (&str, &str)) -> anyhow::Result<LocalTimeRange> {
    Ok(LocalTimeRange::parse(hours.0, hours.1)?)
}

fn clinic(demo: &DemoClinic) -> anyhow::Result<Clinic> {
    let weekdays = range(demo.weekdays)?;
    let mut days: Vec<(Weekday, LocalTimeRange)> = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ]
    .into_iter()
    .map(|day| (day, weekdays))
    .collect();
    if let Some(saturday) = demo.saturday {
        days.push((Weekday::Saturday, range(saturday)?));
    }
    Ok(Clinic {
        id: ClinicId::parse(demo.id)?,
        name: DisplayName::parse(demo.name)?,
        neighbourhood: DisplayName::parse(demo.neighbourhood)?,
        address: Address::parse(demo.address)?,
        location: GeoPoint::new(demo.location.0, demo.location.1)?,
        opening_hours: OpeningHours::from_days(days)?,
    })
}

/// Seeds the demo data (idempotently; see the module docs).
pub async fn seed(scheduler: &Scheduler, auth: &Authenticator) -> anyhow::Result<DemoSummary> {
    let system = Actor::Admin {
        id: UserId::random(),
    };
    let today = LocalDay::of(scheduler.now());
    let mut summary = DemoSummary {
        accounts: Vec::new(),
        clinics: 0,
        dentists: 0,
        slots_added: 0,
    };
    auth.provision(ADMIN.0, ADMIN.1, "Demo Admin", Role::Admin, None, None)
        .await?;
    summary
        .accounts
        .push(("admin".into(), ADMIN.0.into(), ADMIN.1.into()));
    for demo in &CLINICS {
        let clinic = clinic(demo)?;
        scheduler.upsert_clinic(&system, &clinic).await?;
        summary.clinics += 1;
        let admin_email = format!("admin@{}.dentismile.test", demo.id);
        auth.provision(
            &admin_email,
            STAFF_PASSWORD,
            &format!("{} reception", demo.name),
            Role::ClinicAdmin,
            Some(clinic.id.clone()),
            None,
        )
        .await?;
        if summary.clinics == 1 {
            summary
                .accounts
                .push(("clinic admin".into(), admin_email, STAFF_PASSWORD.into()));
        }
        for (index, (id, name, slot_minutes)) in demo.dentists.iter().enumerate() {
            let dentist = Dentist {
                clinic_id: clinic.id.clone(),
                id: DentistId::parse(id)?,
                name: DisplayName::parse(name)?,
            };
            scheduler.add_dentist(&system, &dentist).await?;
            summary.dentists += 1;
            let email = format!("{id}@{}.dentismile.test", demo.id);
            auth.provision(
                &email,
                STAFF_PASSWORD,
                name,
                Role::Dentist,
                Some(clinic.id.clone()),
                Some(dentist.id.clone()),
            )
            .await?;
            if summary.clinics == 1 && index == 0 {
                summary
                    .accounts
                    .push(("dentist".into(), email, STAFF_PASSWORD.into()));
            }
            summary.slots_added +=
                top_up(scheduler, &system, &clinic, &dentist, *slot_minutes, today).await?;
        }
    }
    for (email, password, name) in PATIENTS {
        auth.provision(email, password, name, Role::Patient, None, None)
            .await?;
        summary
            .accounts
            .push(("patient".into(), email.into(), password.into()));
    }
    Ok(summary)
}

/// Publishes the dentist's working plan on each day of the window that has no slot of theirs.
async fn top_up(
    scheduler: &Scheduler,
    system: &Actor,
    clinic: &Clinic,
    dentist: &Dentist,
    slot_minutes: u32,
    today: LocalDay,
) -> anyhow::Result<usize> {
    let mut added = 0;
    for day in today.through(today.plus_days(DEMO_DAYS - 1)) {
        let Some(open) = clinic.opening_hours.on(day.weekday()) else {
            continue;
        };
        let partition = PartitionKey {
            clinic_id: clinic.id.clone(),
            day,
        };
        if !scheduler
            .partition_slots(&partition, Some(&dentist.id), false)
            .await?
            .is_empty()
        {
            continue;
        }
        // A lunch break on full days; short Saturdays run straight through.
        let lunch = LocalTimeRange::parse("12:00", "13:00")?;
        let breaks = if open.contains(&lunch) && open.end() > lunch.end() {
            vec![lunch]
        } else {
            vec![]
        };
        let plan = WorkingPlan::new(WorkingPlanParts {
            clinic_id: clinic.id.clone(),
            dentist_id: dentist.id.clone(),
            weekdays: vec![day.weekday()],
            hours: open,
            breaks,
            slot_minutes,
            first_day: day,
            last_day: day,
        })?;
        match scheduler.publish_plan(system, &plan).await {
            Ok(report) => added += report.published.len(),
            // Today after closing time: nothing left to publish.
            Err(dentismile_domain::error::SchedulingError::Invalid(_)) if day == today => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_clinics_are_valid_and_distinct() {
        let mut ids = std::collections::HashSet::new();
        for demo in &CLINICS {
            let clinic = clinic(demo).unwrap();
            assert!(ids.insert(clinic.id.clone()), "{} twice", clinic.id);
            assert!((2..=4).contains(&demo.dentists.len()));
            // Gothenburg, roughly.
            assert!((57.6..57.85).contains(&clinic.location.latitude()));
            assert!((11.85..12.1).contains(&clinic.location.longitude()));
        }
    }
}
