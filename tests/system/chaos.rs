//! Faults under load, with real processes: auth, two appointment replicas sharing one store,
//! and a gateway balancing over them. One replica is SIGKILLed while patients book. Nothing
//! confirmed may be lost, nothing booked twice, and the system must keep serving: the gateway
//! sends idempotent calls (bookings carry their key) again to the surviving replica.

use std::{
    collections::{HashMap, HashSet},
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use dentismile_client::{Client, pb};
use dentismile_domain::{
    event::{EventCursor, SlotEventKind},
    ports::EventLog,
};
use tokio::task::JoinSet;

use crate::helpers::{day, free_port};

/// Child processes, killed when the test ends however it ends.
struct Processes(Vec<(String, Child)>);

impl Processes {
    /// Starts `dentismile <args>` and waits for its readiness line `<name>: http://...`.
    fn start(&mut self, name: &str, args: &[&str]) -> String {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dentismile"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let prefix = format!("{name}: ");
        let url = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix(&prefix).map(str::to_string))
            .unwrap_or_else(|| panic!("{name} exited before it was ready"));
        self.0.push((name.to_string(), child));
        url
    }

    fn kill(&mut self, name: &str) {
        let (_, child) = self.0.iter_mut().find(|(n, _)| n == name).unwrap();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn seed(dir: &Path) {
    // `up` once to load the demo data into the store, then stop it.
    let mut up = Command::new(env!("CARGO_BIN_EXE_dentismile"))
        .args([
            "up",
            "--no-mqtt",
            "--gateway-addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(up.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    assert!(
        lines.any(|line| line.starts_with("gateway: ")),
        "up did not start"
    );
    let status = Command::new("kill")
        .args(["-INT", &up.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(up.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_under_load_loses_nothing_and_books_nothing_twice() {
    const PATIENTS: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    seed(dir.path());

    let mut processes = Processes(Vec::new());
    let listen = || format!("127.0.0.1:{}", free_port());
    let auth = processes.start(
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
    let first = processes.start(
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
            &auth,
        ],
    );
    let second = processes.start(
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
            &auth,
        ],
    );
    // Both replicas answer to the name "appointments"; tell them apart for the kill.
    processes.0[1].0 = "appointments-1".into();
    processes.0[2].0 = "appointments-2".into();
    let gateway_dir = dir.path().join("gateway");
    let gateway = processes.start(
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
            &auth,
            "--appointments-url",
            &format!("{first},{second}"),
        ],
    );

    // Every free slot over the coming fortnight, in an order shared out to the patients.
    let anonymous = Client::new(&gateway).unwrap();
    let mut slots: Vec<pb::SlotRef> = Vec::new();
    for clinic in anonymous.clinics().await.unwrap() {
        for slot in anonymous
            .slots(&clinic.id, &day(2), &day(13), None, true)
            .await
            .unwrap()
        {
            slots.extend(slot.r#ref);
        }
    }
    assert!(slots.len() > 2000, "{} slots", slots.len());
    let slots = Arc::new(slots);

    let confirmed: Arc<Mutex<Vec<(String, pb::Appointment)>>> = Arc::default();
    let refused: Arc<Mutex<Vec<String>>> = Arc::default();
    let attempts = Arc::new(AtomicUsize::new(0));
    let mut patients = JoinSet::new();
    let stop_after = 1200;
    for index in 0..PATIENTS {
        let client = Client::new(&gateway).unwrap();
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
    processes.kill("appointments-1");
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
        let client = Client::new(&gateway).unwrap();
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
    drop(processes);

    // And the store itself: one "booked" event per booked slot, none twice.
    let store =
        dentismile_store::SqliteStore::migrate_and_open(dir.path().join("dentismile.db")).unwrap();
    let mut booked: HashMap<String, usize> = HashMap::new();
    let mut cursor = EventCursor::beginning();
    loop {
        let page = store.events_after(&cursor, 5000).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = last.cursor.clone();
        for event in page
            .iter()
            .filter(|e| e.event.kind == SlotEventKind::Booked)
        {
            *booked.entry(event.event.slot.to_string()).or_default() += 1;
        }
    }
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
