//! Crash safety: a child process books in a loop and prints each booking the store confirmed;
//! the parent SIGKILLs it at an arbitrary moment, reopens the database and checks that every
//! confirmed booking is there, with its outbox event. Repeated over several rounds on the same
//! file, each killed at a different point.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
};

use dentismile_domain::{
    event::SlotEventKind,
    ids::{AppointmentId, UserId},
    ports::{BookOutcome, PublishSlots, SlotQuery, SlotStore, Store},
    slot::{PartitionKey, SlotState},
    time::LocalDay,
};
use dentismile_store::{
    SqliteStore,
    conformance::{Fixture, book_command},
};

/// Where the child finds the database.
const DB_ENV: &str = "DENTISMILE_CRASH_TEST_DB";
/// Days of slots to publish: plenty, so the child never runs out before it is killed.
const DAYS: i32 = 20;
const CHILD_TEST: &str = "crash::child_books_until_killed";

/// The child: not a test on its own (ignored), run by the parent with the database path set.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "child process of committed_bookings_survive_sigkill"]
async fn child_books_until_killed() {
    let Ok(path) = std::env::var(DB_ENV) else {
        return;
    };
    let store: Arc<dyn Store> = Arc::new(SqliteStore::migrate_and_open(path).unwrap());
    let free = free_slots(store.as_ref()).await;
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let workers = 8;
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let (store, out) = (store.clone(), out.clone());
        let mine: Vec<_> = free.iter().skip(worker).step_by(workers).cloned().collect();
        tasks.push(tokio::spawn(async move {
            for slot in mine {
                let command = book_command(
                    &slot,
                    UserId::random(),
                    &format!("crash-{}", AppointmentId::random()),
                );
                if let BookOutcome::Booked(appointment) = store.book(&command).await.unwrap() {
                    // Only now, after the store confirmed the commit, is the booking reported.
                    let mut out = out.lock().unwrap();
                    writeln!(out, "COMMITTED {}", appointment.id).unwrap();
                    out.flush().unwrap();
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    panic!("the child ran out of slots before it was killed; publish more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_bookings_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    seed(&path).await;

    let mut confirmed: Vec<AppointmentId> = Vec::new();
    // Kill after different amounts of work, so the kill lands at different points of a group.
    for (round, kill_after) in [37usize, 211, 503].into_iter().enumerate() {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                CHILD_TEST,
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(DB_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut this_round = 0;
        let mut killed = false;
        // Read until EOF: lines written before the kill are still in the pipe afterwards, and
        // every one of them was confirmed.
        while let Some(Ok(line)) = lines.next() {
            if let Some(id) = line.strip_prefix("COMMITTED ") {
                confirmed.push(AppointmentId::parse(id.trim()).unwrap());
                this_round += 1;
                if this_round == kill_after && !killed {
                    child.kill().unwrap(); // SIGKILL on Unix
                    killed = true;
                }
            }
        }
        let status = child.wait().unwrap();
        assert!(
            killed,
            "round {round}: the child ended by itself ({status}) after {this_round} bookings"
        );
        assert!(this_round >= kill_after);
        println!("round {round}: killed after {this_round} confirmed bookings");
    }

    // Reopen and check.
    integrity_check(&path);
    let store = SqliteStore::migrate_and_open(&path).unwrap();
    let events = dentismile_store::conformance::all_events(&store).await;
    let mut booked_events: HashMap<_, usize> = HashMap::new();
    for event in events
        .iter()
        .filter(|e| e.event.kind == SlotEventKind::Booked)
    {
        *booked_events.entry(event.event.slot.clone()).or_default() += 1;
    }
    for id in &confirmed {
        let appointment = store
            .appointment(id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("confirmed appointment {id} is missing after the crash"));
        assert!(appointment.is_booked());
        let slot = store.slot(&appointment.slot).await.unwrap().unwrap();
        assert_eq!(
            slot.state,
            SlotState::Booked {
                appointment_id: *id,
                patient_id: appointment.patient_id
            },
            "the slot of confirmed appointment {id} must hold it"
        );
        assert_eq!(
            booked_events.get(&appointment.slot),
            Some(&1),
            "one booked event for {id}"
        );
    }
    // Nothing booked twice, and every booked slot (confirmed or caught mid-flight and
    // committed) has exactly its one event.
    let mut booked_slots = 0;
    for days in 1..=DAYS {
        for slot in partition_slots(&store, days).await {
            if let SlotState::Booked { .. } = slot.state {
                booked_slots += 1;
                assert_eq!(booked_events.get(&slot.key), Some(&1), "{}", slot.key);
            }
        }
    }
    assert_eq!(booked_slots, booked_events.len());
    assert!(booked_slots >= confirmed.len());
    println!(
        "{} confirmed bookings all found; {} committed in total",
        confirmed.len(),
        booked_slots
    );
}

async fn seed(path: &Path) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::migrate_and_open(path).unwrap());
    let fx = Fixture::seed(store.clone()).await;
    for days in 1..=DAYS {
        // 07:00 to 20:00 in 10-minute slots, both dentists: 156 slots a day.
        let mut slots = fx.slots('a', days, "07:00", 10, 78);
        slots.extend(fx.slots('b', days, "07:00", 10, 78));
        for batch in PublishSlots::by_partition(slots, dentismile_store::conformance::now()) {
            store.publish(&batch).await.unwrap();
        }
    }
}

async fn free_slots(store: &dyn Store) -> Vec<dentismile_domain::slot::SlotKey> {
    let mut free = Vec::new();
    for days in 1..=DAYS {
        free.extend(
            partition_slots(store, days)
                .await
                .into_iter()
                .filter(|s| s.state == SlotState::Free)
                .map(|s| s.key),
        );
    }
    free
}

async fn partition_slots(store: &dyn Store, days: i32) -> Vec<dentismile_domain::slot::Slot> {
    let query = SlotQuery {
        partition: PartitionKey {
            clinic_id: dentismile_domain::ids::ClinicId::parse("conformance-clinic").unwrap(),
            day: LocalDay::of(dentismile_store::conformance::now()).plus_days(days),
        },
        dentist_id: None,
        only_free: false,
        after: None,
        limit: 10_000,
    };
    store.slots(&query).await.unwrap()
}

fn integrity_check(path: &Path) {
    let connection = rusqlite::Connection::open(path).unwrap();
    let verdict: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(verdict, "ok");
}
