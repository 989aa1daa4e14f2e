//! Faults under load, with real processes: auth, two appointment replicas sharing one store,
//! and a gateway balancing over them. One replica is SIGKILLed while patients book. Nothing
//! confirmed may be lost, nothing booked twice, and the system must keep serving: the gateway
//! sends idempotent calls (bookings carry their key) again to the surviving replica.

use std::{
    collections::{HashMap, HashSet},
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use dentismile_client::{Client, pb};
use tokio::task::JoinSet;

use crate::helpers::{Process, booked_events_per_slot, day, free_port, free_slots_of_every_clinic};

fn seed(dir: &Path) {
    // `up` once to load the demo data into the store, then stop it.
    Process::start(
        "gateway",
        &[
            "up",
            "--no-mqtt",
            "--gateway-addr",
            "127.0.0.1:0",
            "--data-dir",
            dir.to_str().unwrap(),
        ],
    )
    .interrupt();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_under_load_loses_nothing_and_books_nothing_twice() {
    const PATIENTS: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    seed(dir.path());

    let listen = || format!("127.0.0.1:{}", free_port());
    let auth = Process::start(
        "auth",
        &[
            "serve",
            "--target",
            "auth",
            "--listen",
            &listen(),
            "--data-dir",
            &data,
        ],
    );
    let replica = || {
        Process::start(
            "appointments",
            &[
                "serve",
                "--target",
                "appointments",
                "--listen",
                &listen(),
                "--data-dir",
                &data,
                "--auth-url",
                &auth.url,
            ],
        )
    };
    let mut first = replica();
    let second = replica();
    let gateway_dir = dir.path().join("gateway");
    let gateway = Process::start(
        "gateway",
        &[
            "serve",
            "--target",
            "gateway",
            "--listen",
            &listen(),
            "--no-mqtt",
            "--data-dir",
            gateway_dir.to_str().unwrap(),
            "--auth-url",
            &auth.url,
            "--appointments-url",
            &format!("{},{}", first.url, second.url),
        ],
    );

    // Every free slot over the coming fortnight, in an order shared out to the patients.
    let anonymous = Client::new(&gateway.url).unwrap();
    let slots: Vec<pb::SlotRef> = free_slots_of_every_clinic(&anonymous, &day(2), &day(13))
        .await
        .into_iter()
        .filter_map(|slot| slot.r#ref)
        .collect();
    assert!(slots.len() > 2000, "{} slots", slots.len());
    let slots = Arc::new(slots);

    let confirmed: Arc<Mutex<Vec<(String, pb::Appointment)>>> = Arc::default();
    let refused: Arc<Mutex<Vec<String>>> = Arc::default();
    let attempts = Arc::new(AtomicUsize::new(0));
    let mut patients = JoinSet::new();
    let stop_after = 1200;
    for index in 0..PATIENTS {
        let client = Client::new(&gateway.url).unwrap();
        let email = format!("chaos-{index}@patients.test");
        client
            .register(&email, "long enough password", &format!("Chaos {index}"))
            .await
            .unwrap();
        let (slots, confirmed, refused, attempts) = (
            slots.clone(),
            confirmed.clone(),
            refused.clone(),
            attempts.clone(),
        );
        patients.spawn(async move {
            loop {
                let attempt = attempts.fetch_add(1, Ordering::SeqCst);
                if attempt >= stop_after {
                    return;
                }
                // Patients walk the same list from different places, so some race for a slot.
                let slot = &slots[(attempt * 7 + index) % slots.len()];
                match client.book(slot, "").await {
                    Ok(appointment) => confirmed.lock().unwrap().push((email.clone(), appointment)),
                    Err(error) if error.is_taken() => {}
                    Err(error) => refused
                        .lock()
                        .unwrap()
                        .push(format!("{:?}: {error}", error.code)),
                }
            }
        });
    }
    // Kill one replica once the run is well under way.
    while confirmed.lock().unwrap().len() < 300 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill();
    let at_kill = confirmed.lock().unwrap().len();
    while let Some(done) = patients.join_next().await {
        done.unwrap();
    }
    let confirmed = confirmed.lock().unwrap().clone();
    let refused = refused.lock().unwrap().clone();
    assert!(
        refused.is_empty(),
        "the system stopped serving some bookings: {refused:?}"
    );
    assert!(
        confirmed.len() > at_kill + 300,
        "bookings continued after the kill: {} before, {} in all",
        at_kill,
        confirmed.len()
    );

    // Every confirmed booking is there for its patient, and held by its slot.
    let mut by_patient: HashMap<String, HashSet<String>> = HashMap::new();
    for (email, appointment) in &confirmed {
        by_patient
            .entry(email.clone())
            .or_default()
            .insert(appointment.id.clone());
    }
    for (email, expected) in &by_patient {
        let client = Client::new(&gateway.url).unwrap();
        client.login(email, "long enough password").await.unwrap();
        let stored: HashSet<String> = client
            .my_appointments()
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.status == pb::AppointmentStatus::Booked as i32)
            .map(|a| a.id)
            .collect();
        assert_eq!(
            &stored, expected,
            "{email}: confirmed bookings and stored bookings differ"
        );
    }
    drop((auth, first, second, gateway));

    // And the store itself: one "booked" event per booked slot, none twice.
    let store =
        dentismile_store::SqliteStore::migrate_and_open(dir.path().join("dentismile.db")).unwrap();
    let booked = booked_events_per_slot(&store).await;
    assert!(
        booked.values().all(|count| *count == 1),
        "a slot was booked twice"
    );
    assert_eq!(
        booked.len(),
        confirmed.len(),
        "every confirmation has its event, and no event lacks one"
    );
}
