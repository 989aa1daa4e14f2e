//! The loader: puts a `slots.csv` into a running system as the demo admin would.
//!
//! For each clinic of the file it upserts the clinic (open every weekday over exactly the local
//! hours its slots need), adds its dentists, and publishes each dentist's free slots with
//! `PublishSlots` (at most 2,000 per call). Publishing is idempotent, so loading the same file
//! twice changes nothing. When given a broker, it then waits until the bridge has announced
//! every newly published slot on MQTT, and then until slot events have stopped for a moment: a
//! run that started earlier would measure the bridge catching up instead of booking.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

use dentismile_client::{
    Client,
    mqtt::TOPIC_ROOT,
    pb::{self, clinic_service_client::ClinicServiceClient},
    slots_csv::{RowStatus, SlotRow},
    time::to_wire,
};
use dentismile_domain::{jiff::Timestamp, time::to_local};
use futures::{StreamExt, TryStreamExt};

use crate::{
    mqtt::Monitor,
    slot::SlotKey,
    target::{GrpcTarget, MqttTarget},
};

/// Most slots in one `PublishSlots` call (the API's limit).
const PUBLISH_BATCH: usize = 2000;
/// Clinics loaded at the same time.
const PARALLEL_CLINICS: usize = 8;

/// What to load where.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The gateway.
    pub gateway: GrpcTarget,
    /// The broker to watch for the announcements, if any.
    pub mqtt: Option<MqttTarget>,
    /// The admin who creates clinics and publishes.
    pub admin_email: String,
    /// Their password.
    pub admin_password: String,
    /// How long to wait for the bridge's announcements.
    pub wait: Duration,
    /// How long slot events must have stopped before the load counts as settled.
    pub settle: Duration,
}

/// What the load did.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Clinics upserted.
    pub clinics: usize,
    /// Dentists added.
    pub dentists: usize,
    /// Slots created (or made free again).
    pub published: usize,
    /// Slots that already existed as asked.
    pub unchanged: usize,
    /// Rows skipped because they are not free.
    pub skipped: usize,
    /// Newly published slots seen announced on MQTT (when watched).
    pub announced: Option<usize>,
    /// Seconds it took.
    pub seconds: f64,
}

struct ClinicPlan {
    id: String,
    name: String,
    opens: String,
    closes: String,
    dentists: BTreeMap<String, Vec<(Timestamp, Timestamp)>>,
}

fn hhmm(instant: Timestamp) -> String {
    to_local(instant).time().strftime("%H:%M").to_string()
}

fn plan(rows: &[SlotRow]) -> (Vec<ClinicPlan>, usize) {
    let mut clinics: BTreeMap<String, ClinicPlan> = BTreeMap::new();
    let mut skipped = 0;
    for row in rows {
        if row.status != RowStatus::Free {
            skipped += 1;
            continue;
        }
        let clinic = clinics
            .entry(row.clinic_id.to_string())
            .or_insert_with(|| ClinicPlan {
                id: row.clinic_id.to_string(),
                name: row.clinic_name.clone(),
                opens: "23:59".to_string(),
                closes: "00:00".to_string(),
                dentists: BTreeMap::new(),
            });
        // "HH:MM" strings order like the times they name.
        clinic.opens = clinic.opens.clone().min(hhmm(row.start));
        let end = if to_local(row.end).date() != to_local(row.start).date() {
            "23:59".to_string()
        } else {
            hhmm(row.end)
        };
        clinic.closes = clinic.closes.clone().max(end);
        clinic
            .dentists
            .entry(row.dentist_id.to_string())
            .or_default()
            .push((row.start, row.end));
    }
    (clinics.into_values().collect(), skipped)
}

async fn load_clinic(
    client: &Client,
    clinic: &ClinicPlan,
) -> anyhow::Result<(usize, Vec<SlotKey>)> {
    let weekdays = [
        pb::Weekday::Monday,
        pb::Weekday::Tuesday,
        pb::Weekday::Wednesday,
        pb::Weekday::Thursday,
        pb::Weekday::Friday,
        pb::Weekday::Saturday,
        pb::Weekday::Sunday,
    ];
    let number: String = clinic.id.chars().filter(char::is_ascii_digit).collect();
    let wire = pb::Clinic {
        id: clinic.id.clone(),
        name: clinic.name.clone(),
        neighbourhood: "Stresstest".to_string(),
        address: format!(
            "Stresstestgatan {}, 411 01 Göteborg",
            number.trim_start_matches('0')
        ),
        location: Some(pb::GeoPoint {
            latitude: 57.7089,
            longitude: 11.9746,
        }),
        opening_hours: weekdays
            .iter()
            .map(|weekday| pb::OpeningHours {
                weekday: *weekday as i32,
                hours: Some(pb::LocalTimeRange {
                    start: clinic.opens.clone(),
                    end: clinic.closes.clone(),
                }),
            })
            .collect(),
        dentists: Vec::new(),
    };
    let mut clinics = ClinicServiceClient::new(client.channel());
    clinics
        .upsert_clinic(
            client
                .authed(pb::UpsertClinicRequest { clinic: Some(wire) })
                .await?,
        )
        .await
        .map_err(|status| {
            anyhow::anyhow!("upserting clinic {}: {}", clinic.id, status.message())
        })?;
    let mut unchanged = 0;
    let mut published = Vec::new();
    for (dentist, slots) in &clinic.dentists {
        clinics
            .add_dentist(
                client
                    .authed(pb::AddDentistRequest {
                        dentist: Some(pb::Dentist {
                            id: dentist.clone(),
                            clinic_id: clinic.id.clone(),
                            name: format!("Dr Stress {dentist}"),
                        }),
                    })
                    .await?,
            )
            .await
            .map_err(|status| {
                anyhow::anyhow!("adding {dentist} to {}: {}", clinic.id, status.message())
            })?;
        for batch in slots.chunks(PUBLISH_BATCH) {
            let ranges = batch
                .iter()
                .map(|(start, end)| pb::TimeRange {
                    start: Some(to_wire(*start)),
                    end: Some(to_wire(*end)),
                })
                .collect();
            let response = client
                .publish_slots(&clinic.id, dentist, ranges)
                .await
                .map_err(|error| {
                    anyhow::anyhow!("publishing slots of {}/{dentist}: {error}", clinic.id)
                })?;
            unchanged += response.unchanged as usize;
            published.extend(response.published.iter().filter_map(SlotKey::of_wire));
        }
    }
    Ok((unchanged, published))
}

/// Loads `rows` into the system.
pub async fn load(options: &LoadOptions, rows: &[SlotRow]) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    let client = Client::new(&options.gateway.url).map_err(|e| anyhow::anyhow!("{e}"))?;
    client
        .login(&options.admin_email, &options.admin_password)
        .await
        .map_err(|e| anyhow::anyhow!("signing in as {}: {e}", options.admin_email))?;
    // Subscribe before publishing, so no announcement can slip past.
    let monitor = match &options.mqtt {
        Some(target) => Some(
            Monitor::start(
                &target.anonymous(),
                &format!("stress-loader-{}", uuid::Uuid::new_v4().simple()),
                &format!("{TOPIC_ROOT}/clinics/+/slots/+"),
            )
            .await?,
        ),
        None => None,
    };
    let (clinics, skipped) = plan(rows);
    let results: Vec<(usize, Vec<SlotKey>)> = futures::stream::iter(clinics.iter())
        .map(|clinic| load_clinic(&client, clinic))
        .buffer_unordered(PARALLEL_CLINICS)
        .try_collect()
        .await?;
    let mut report = LoadReport {
        clinics: clinics.len(),
        dentists: clinics.iter().map(|c| c.dentists.len()).sum(),
        skipped,
        ..LoadReport::default()
    };
    let mut expected = BTreeSet::new();
    for (unchanged, published) in results {
        report.unchanged += unchanged;
        report.published += published.len();
        expected.extend(published);
    }
    if let Some(monitor) = monitor {
        let waiting = Instant::now();
        monitor
            .wait_for(options.wait, |seen| {
                expected.iter().all(|key| seen.published.contains(key))
            })
            .await;
        // Then until the bridge has nothing more to say (availability summaries, or a replay
        // after a broker hiccup): the run that follows should start on a quiet system.
        monitor
            .wait_quiet(
                options.settle,
                options.wait.saturating_sub(waiting.elapsed()),
            )
            .await;
        let announced = {
            let seen = monitor.seen();
            expected
                .iter()
                .filter(|key| seen.published.contains(*key))
                .count()
        };
        monitor.stop().await;
        report.announced = Some(announced);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use dentismile_domain::time::{LocalDay, LocalTime};

    use super::*;
    use crate::generate::{Shape, slots};

    #[test]
    fn clinics_open_over_exactly_the_hours_their_slots_need() {
        let rows = slots(&Shape {
            clinics: 2,
            dentists: 3,
            days: 2,
            first_day: LocalDay::parse("2030-06-03").unwrap(),
            day_start: LocalTime::parse("08:00").unwrap(),
            day_end: LocalTime::parse("16:00").unwrap(),
            slot_minutes: 30,
        })
        .unwrap();
        let (clinics, skipped) = plan(&rows);
        assert_eq!(skipped, 0);
        assert_eq!(clinics.len(), 2);
        assert_eq!(
            (clinics[0].opens.as_str(), clinics[0].closes.as_str()),
            ("08:00", "16:00")
        );
        assert_eq!(clinics[0].dentists.len(), 3);
        assert_eq!(clinics[0].dentists["dr-01"].len(), 2 * 16);
    }
}
