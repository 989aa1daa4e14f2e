//! Retained availability summaries: how many slots of a clinic-day are free, booked and
//! withdrawn, so a subscriber that connects late learns the state at once instead of waiting
//! for the next change.
//!
//! Brokers' sessions mark the clinic-days their events touch; one task recounts those from the
//! appointment service (at most every 250 ms per batch, so a burst of bookings costs one count
//! per clinic-day, not one per booking), and every broker session publishes each new summary,
//! retained. A session that (re)connects publishes them all again, so a restarted broker gets
//! them back.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Mutex,
    time::Duration,
};

use dentismile_domain::{jiff::Timestamp, time::LocalDay};
use dentismile_proto::v1::{
    self as pb, appointment_service_client::AppointmentServiceClient,
    clinic_service_client::ClinicServiceClient,
};
use dentismile_runtime::CancellationToken;
use tokio::sync::{Notify, watch};

use super::messages::{AvailabilityMessage, SCHEMA_VERSION};
use crate::backends::ReplicaSet;

/// Days ahead, today included, summarised at start even before they change.
const SEED_DAYS: i32 = 14;
/// How long changes are gathered before counting.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// A clinic-day.
pub type ClinicDay = (String, String);

#[derive(Debug, Default)]
struct Board {
    dirty: HashSet<ClinicDay>,
    /// Each clinic-day's newest summary and its version.
    summaries: HashMap<ClinicDay, (u64, AvailabilityMessage)>,
    /// The same clinic-days by version, each at its newest only, so a session finds what it has
    /// not published yet by reading on from the last version it did.
    by_version: BTreeMap<u64, ClinicDay>,
    /// The newest version given out; versions only grow.
    latest: u64,
}

/// The summaries, shared by the counting task and the broker sessions.
#[derive(Debug)]
pub struct AvailabilityBoard {
    board: Mutex<Board>,
    dirty: Notify,
    version: watch::Sender<u64>,
}

impl AvailabilityBoard {
    /// An empty board.
    pub fn new() -> Self {
        Self {
            board: Mutex::new(Board::default()),
            dirty: Notify::new(),
            version: watch::channel(0).0,
        }
    }

    /// Marks a clinic-day as changed.
    pub fn touch(&self, clinic_id: &str, day: &str) {
        self.board
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .dirty
            .insert((clinic_id.to_string(), day.to_string()));
        self.dirty.notify_one();
    }

    /// Up to `limit` summaries with versions after `published_up_to`, oldest change first, and
    /// `published_up_to` moved to the last one returned: call again for the rest. A session
    /// starts from 0, which returns every summary.
    pub fn newer_than(&self, published_up_to: &mut u64, limit: usize) -> Vec<AvailabilityMessage> {
        let board = self.board.lock().unwrap_or_else(|p| p.into_inner());
        let mut batch = Vec::new();
        for (version, key) in board.by_version.range(*published_up_to + 1..).take(limit) {
            if let Some((_, message)) = board.summaries.get(key) {
                batch.push(message.clone());
            }
            *published_up_to = *version;
        }
        batch
    }

    /// Resolves when a summary changed.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn take_dirty(&self) -> Vec<ClinicDay> {
        let mut board = self.board.lock().unwrap_or_else(|p| p.into_inner());
        board.dirty.drain().collect()
    }

    fn store(&self, key: ClinicDay, message: AvailabilityMessage) {
        let mut board = self.board.lock().unwrap_or_else(|p| p.into_inner());
        board.latest += 1;
        let version = board.latest;
        if let Some((replaced, _)) = board.summaries.insert(key.clone(), (version, message)) {
            board.by_version.remove(&replaced);
        }
        board.by_version.insert(version, key);
        // Sessions are woken only once the summary is there to be read: woken earlier, one could
        // look, find nothing, and sleep until some later change.
        self.version.send_replace(version);
    }

    fn forget_before(&self, today: &str) {
        let mut board = self.board.lock().unwrap_or_else(|p| p.into_inner());
        let Board {
            summaries,
            by_version,
            ..
        } = &mut *board;
        summaries.retain(|(_, day), (version, _)| {
            let current = day.as_str() >= today;
            if !current {
                by_version.remove(version);
            }
            current
        });
    }
}

impl Default for AvailabilityBoard {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts changed clinic-days until `shutdown`.
pub async fn keep_counting(
    board: std::sync::Arc<AvailabilityBoard>,
    appointments: ReplicaSet,
    shutdown: CancellationToken,
) {
    seed(&board, appointments.clone()).await;
    let mut client = AppointmentServiceClient::new(appointments);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = board.dirty.notified() => {}
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(DEBOUNCE) => {}
        }
        let today = LocalDay::of(Timestamp::now()).to_string();
        board.forget_before(&today);
        for (clinic_id, day) in board.take_dirty() {
            // Past days no longer change what anyone can book.
            if day < today {
                continue;
            }
            match count(&mut client, &clinic_id, &day).await {
                Ok(message) => board.store((clinic_id, day), message),
                Err(status) => {
                    tracing::warn!(%status, %clinic_id, %day, "cannot count availability; will retry");
                    board.touch(&clinic_id, &day);
                }
            }
        }
    }
}

/// Marks every clinic's coming days, so they have a summary before anything changes.
async fn seed(board: &AvailabilityBoard, appointments: ReplicaSet) {
    let mut clinics = ClinicServiceClient::new(appointments);
    let today = LocalDay::of(Timestamp::now());
    let mut token = String::new();
    loop {
        let page = match clinics
            .list_clinics(pb::ListClinicsRequest {
                page_size: 500,
                page_token: token.clone(),
            })
            .await
        {
            Ok(page) => page.into_inner(),
            Err(status) => {
                tracing::warn!(%status, "cannot list clinics to seed availability summaries");
                return;
            }
        };
        for clinic in &page.clinics {
            for day in today.through(today.plus_days(SEED_DAYS - 1)) {
                board.touch(&clinic.id, &day.to_string());
            }
        }
        if page.next_page_token.is_empty() {
            return;
        }
        token = page.next_page_token;
    }
}

async fn count(
    client: &mut AppointmentServiceClient<ReplicaSet>,
    clinic_id: &str,
    day: &str,
) -> Result<AvailabilityMessage, tonic::Status> {
    let mut message = AvailabilityMessage {
        schema_version: SCHEMA_VERSION,
        clinic_id: clinic_id.to_string(),
        day: day.to_string(),
        free: 0,
        booked: 0,
        withdrawn: 0,
        as_of: Timestamp::now().to_string(),
    };
    let mut token = String::new();
    loop {
        let page = client
            .list_slots(pb::ListSlotsRequest {
                clinic_id: clinic_id.to_string(),
                from_day: day.to_string(),
                to_day: day.to_string(),
                page_size: 500,
                page_token: token.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        for slot in &page.slots {
            match pb::SlotState::try_from(slot.state) {
                Ok(pb::SlotState::Free) => message.free += 1,
                Ok(pb::SlotState::Booked) => message.booked += 1,
                Ok(pb::SlotState::Withdrawn) => message.withdrawn += 1,
                Ok(pb::SlotState::Unspecified) | Err(_) => {}
            }
        }
        if page.next_page_token.is_empty() {
            return Ok(message);
        }
        token = page.next_page_token;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(free: u32) -> AvailabilityMessage {
        AvailabilityMessage {
            schema_version: 1,
            clinic_id: "c".into(),
            day: "2026-11-25".into(),
            free,
            booked: 0,
            withdrawn: 0,
            as_of: String::new(),
        }
    }

    #[test]
    fn sessions_see_each_new_summary_once() {
        let board = AvailabilityBoard::new();
        let key = ("c".to_string(), "2026-11-25".to_string());
        let mut seen = 0;
        board.store(key.clone(), summary(3));
        assert_eq!(board.newer_than(&mut seen, 10), [summary(3)]);
        assert!(board.newer_than(&mut seen, 10).is_empty());
        board.store(key, summary(2));
        assert_eq!(board.newer_than(&mut seen, 10), [summary(2)]);
        // A fresh session (nothing published yet) gets everything again.
        assert_eq!(board.newer_than(&mut 0, 10).len(), 1);
    }

    #[test]
    fn sessions_take_summaries_in_batches_that_fit() {
        let board = AvailabilityBoard::new();
        for day in 1..=25 {
            board.store(("c".to_string(), format!("2026-11-{day:02}")), summary(day));
        }
        let mut seen = 0;
        let first = board.newer_than(&mut seen, 10);
        assert_eq!(first.len(), 10);
        assert_eq!(first[0], summary(1), "oldest change first");
        assert_eq!(board.newer_than(&mut seen, 10).len(), 10);
        assert_eq!(board.newer_than(&mut seen, 10).len(), 5);
        assert!(board.newer_than(&mut seen, 10).is_empty());
    }

    #[test]
    fn a_summary_that_changes_again_is_published_again_at_its_newest() {
        let board = AvailabilityBoard::new();
        let monday = ("c".to_string(), "2026-11-23".to_string());
        let tuesday = ("c".to_string(), "2026-11-24".to_string());
        board.store(monday.clone(), summary(5));
        board.store(tuesday, summary(7));
        let mut seen = 0;
        assert_eq!(board.newer_than(&mut seen, 1), [summary(5)]);
        // Monday changes twice before the session reads on: it gets Tuesday, then Monday's
        // newest summary once.
        board.store(monday.clone(), summary(4));
        board.store(monday, summary(3));
        assert_eq!(board.newer_than(&mut seen, 10), [summary(7), summary(3)]);
        assert!(board.newer_than(&mut seen, 10).is_empty());
        // A fresh session sees each clinic-day once, at its newest.
        assert_eq!(board.newer_than(&mut 0, 10), [summary(7), summary(3)]);
    }

    #[test]
    fn past_days_are_forgotten() {
        let board = AvailabilityBoard::new();
        board.store(("c".to_string(), "2026-11-23".to_string()), summary(1));
        board.store(("c".to_string(), "2026-11-24".to_string()), summary(2));
        board.forget_before("2026-11-24");
        assert_eq!(board.newer_than(&mut 0, 10), [summary(2)]);
    }
}
