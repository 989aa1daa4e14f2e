//! The coordinator: the whole plan of one run.
//!
//! 1. Reads `slots.csv`, picks one free slot per patient (or per group of racers in
//!    contention mode), round robin over clinics so every clinic's subscribers see load.
//! 2. Pre-issues patient tokens; registers a few real accounts for the Login sample.
//! 3. Starts an independent monitor subscribed to every clinic's slot events.
//! 4. Baselines: gRPC echo ceiling and raw MQTT publish-to-receive on the same broker.
//! 5. The plan: worker processes run the virtual patients (ramp-up, bounded by the deadline).
//! 6. Saturated booking: a closed loop with as many calls in flight as the echo baseline.
//! 7. Consistency: every confirmation against the store (the admin's schedule over gRPC), the
//!    patients' own subscriptions and the monitor.
//!
//! Everything is bounded: users and duration are capped, every wait has a deadline, workers
//! that overrun are killed.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, VecDeque},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use dentismile_client::{
    Client, ClientError,
    mqtt::TOPIC_ROOT,
    pb,
    slots_csv::{self, RowStatus},
};
use dentismile_domain::jiff::Timestamp;

use crate::{
    baseline, grpc, labels,
    mqtt::{Monitor, lock},
    report::{BookingCounts, Consistency, Report, Target},
    slot::SlotKey,
    stats::{Row, Samples, now_micros},
    target::{GrpcTarget, MqttTarget},
    tokens::PatientTokens,
    worker::{Booking, Credentials, PatientSpec, WorkerResult, WorkerSpec},
};

/// Most virtual patients in one run.
pub const MAX_USERS: u64 = 50_000;
/// Longest plan, seconds (pre-issued tokens live 15 minutes).
pub const MAX_DURATION_S: u64 = 600;
/// Virtual patients per worker process by default: well under the 20,000 open files of a
/// process, since each patient holds one MQTT connection.
pub const USERS_PER_PROCESS: u64 = 5_000;
/// The password of the Login sample's accounts.
const SAMPLE_PASSWORD: &str = "stress-patient-2026";

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// A name for the report.
    pub name: String,
    /// The gateway.
    pub gateway: GrpcTarget,
    /// The broker the patients and the monitor subscribe to (anonymously).
    pub mqtt: MqttTarget,
    /// The broker for the raw MQTT baseline, with publishing credentials if it needs them.
    pub mqtt_baseline: MqttTarget,
    /// The slots.
    pub slots: PathBuf,
    /// `<data-dir>/auth-signing.key` of the running system.
    pub signing_key: PathBuf,
    /// The admin who reads schedules for the store check.
    pub admin_email: String,
    /// Their password.
    pub admin_password: String,
    /// Virtual patients.
    pub users: u64,
    /// Seconds over which patients start.
    pub ramp_up_s: f64,
    /// Seconds the plan may take at most, ramp-up included.
    pub duration_s: u64,
    /// Patients per slot: 1 books unique slots; more race for the same slot.
    pub contention: u64,
    /// Worker processes (0: one per [`USERS_PER_PROCESS`] and enough for the open-files limit).
    pub processes: u64,
    /// gRPC connections per process.
    pub grpc_connections: usize,
    /// Patients that sign in for real (the Login row).
    pub login_sample: u64,
    /// Seconds a patient waits for its booking's event.
    pub event_timeout_s: u64,
    /// Seconds patients stay connected after the ramp ended.
    pub hold_s: f64,
    /// Calls in flight in the echo baseline and the saturated booking phase.
    pub concurrency: usize,
    /// Seconds of echo baseline.
    pub echo_s: f64,
    /// Bookings in the saturated phase at most (0 skips it).
    pub saturation_bookings: u64,
    /// Seconds of saturated booking at most.
    pub saturation_s: f64,
    /// Messages of the raw MQTT baseline.
    pub mqtt_baseline_messages: u64,
    /// This binary, to start workers and the echo server.
    pub exe: PathBuf,
}

impl RunOptions {
    fn validate(&self) -> anyhow::Result<()> {
        if self.users == 0 || self.users > MAX_USERS {
            anyhow::bail!("--users: must be 1 to {MAX_USERS}");
        }
        if self.duration_s == 0 || self.duration_s > MAX_DURATION_S {
            anyhow::bail!("--duration: must be 1 to {MAX_DURATION_S} seconds");
        }
        if self.ramp_up_s < 0.0 || self.ramp_up_s >= self.duration_s as f64 {
            anyhow::bail!("--ramp-up: must be at least 0 and shorter than --duration");
        }
        if self.contention == 0 {
            anyhow::bail!("--contention: must be at least 1");
        }
        if self.login_sample > 80 {
            // 100 sign-ins per address per minute and 20 registrations per address per hour
            // are the auth service's limits; stay under both.
            anyhow::bail!("--login-sample: at most 80 (the auth service's rate limits)");
        }
        if self.concurrency == 0 || self.concurrency > 4096 {
            anyhow::bail!("--concurrency: must be 1 to 4096");
        }
        Ok(())
    }
}

/// The soft limit of open files of this process, from /proc (20,000 on these machines).
fn open_files_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| line.split_whitespace().nth(3))
                .and_then(|soft| soft.parse().ok())
        })
        .unwrap_or(1024)
}

/// How many worker processes `users` need.
pub fn processes_for(users: u64, requested: u64, open_files: u64) -> u64 {
    // Each patient holds one MQTT connection; keep 500 files for gRPC, logs and the runtime.
    let per_process = open_files.saturating_sub(500).clamp(1, USERS_PER_PROCESS);
    let needed = users.div_ceil(per_process);
    requested.max(needed).clamp(1, users)
}

/// The slots of the file that the system lists as free right now, in round-robin order over
/// clinics. Asking the system (not the file) lets runs follow each other on one system: slots
/// an earlier run booked are skipped.
async fn free_slots_round_robin(
    gateway: &GrpcTarget,
    rows: &[slots_csv::SlotRow],
) -> anyhow::Result<Vec<SlotKey>> {
    let mut days: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.status == RowStatus::Free) {
        let key = SlotKey::of_row(row);
        days.entry(key.clinic_id.clone())
            .or_default()
            .insert(key.day());
    }
    let client = Client::new(&gateway.url).map_err(client_error)?;
    let mut free = std::collections::HashSet::new();
    for (clinic, days) in &days {
        let days: Vec<&String> = days.iter().collect();
        // ListSlots takes at most 31 days per call.
        for chunk in days.chunks(28) {
            let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
                continue;
            };
            let slots = client
                .slots(clinic, first, last, None, true)
                .await
                .map_err(|e| anyhow::anyhow!("listing the free slots of {clinic}: {e}"))?;
            free.extend(slots.iter().filter_map(SlotKey::of_wire));
        }
    }
    Ok(round_robin(rows, &free))
}

/// The rows that are in `free`, in round-robin order over clinics.
fn round_robin(
    rows: &[slots_csv::SlotRow],
    free: &std::collections::HashSet<SlotKey>,
) -> Vec<SlotKey> {
    let mut by_clinic: BTreeMap<String, VecDeque<SlotKey>> = BTreeMap::new();
    let now = Timestamp::now().as_second();
    for row in rows.iter().filter(|r| r.status == RowStatus::Free) {
        let key = SlotKey::of_row(row);
        // A slot that starts within the hour is left alone: it could pass into the past, or
        // under a booking rule, while the run is on.
        if key.start > now + 3600 && free.contains(&key) {
            by_clinic
                .entry(key.clinic_id.clone())
                .or_default()
                .push_back(key);
        }
    }
    let mut queues: Vec<VecDeque<SlotKey>> = by_clinic.into_values().collect();
    for queue in &mut queues {
        queue.make_contiguous().sort();
    }
    let mut order = Vec::new();
    while queues.iter().any(|q| !q.is_empty()) {
        for queue in &mut queues {
            if let Some(key) = queue.pop_front() {
                order.push(key);
            }
        }
    }
    order
}

fn client_error(error: ClientError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}

/// Registers the Login sample's accounts (or finds them registered by an earlier run).
async fn sample_accounts(gateway: &GrpcTarget, count: u64) -> anyhow::Result<Vec<String>> {
    let mut emails = Vec::new();
    for k in 0..count {
        let email = format!("stress-patient-{k}@patients.dentismile.test");
        let client = Client::new(&gateway.url).map_err(client_error)?;
        match client
            .register(&email, SAMPLE_PASSWORD, &format!("Stress Sample {k}"))
            .await
        {
            Ok(_) => {}
            Err(error) if error.code == tonic::Code::AlreadyExists => {}
            Err(error) => anyhow::bail!("registering the Login sample's {email}: {error}"),
        }
        emails.push(email);
    }
    Ok(emails)
}

/// Runs the whole plan and returns its report.
pub async fn run(options: RunOptions) -> anyhow::Result<Report> {
    options.validate()?;
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let text = std::fs::read_to_string(&options.slots)
        .map_err(|e| anyhow::anyhow!("--slots: {}: {e}", options.slots.display()))?;
    let rows = slots_csv::parse(&text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().take(10).map(ToString::to_string).collect();
        anyhow::anyhow!("--slots: {} bad lines: {}", errors.len(), lines.join("; "))
    })?;
    let mut order = free_slots_round_robin(&options.gateway, &rows)
        .await?
        .into_iter();
    let groups = options.users.div_ceil(options.contention);
    let plan_slots: Vec<SlotKey> = order.by_ref().take(usize::try_from(groups)?).collect();
    if (plan_slots.len() as u64) < groups {
        anyhow::bail!(
            "--slots: {} has {} slots the system lists as free; {} users with contention {} need {groups} (generate or load more)",
            options.slots.display(),
            plan_slots.len(),
            options.users,
            options.contention
        );
    }
    let saturation_slots: VecDeque<SlotKey> = order
        .take(usize::try_from(options.saturation_bookings)?)
        .collect();

    let tokens = PatientTokens::load(&options.signing_key)?;
    let accounts = options.login_sample.div_ceil(5);
    let emails = sample_accounts(&options.gateway, accounts).await?;

    let monitor = Monitor::start(
        &options.mqtt.anonymous(),
        &format!("stress-{run_id}-monitor"),
        &format!("{TOPIC_ROOT}/clinics/+/slots/+"),
    )
    .await?;

    // Baselines, while the system is idle.
    eprintln!("[stress] baselines: gRPC echo ceiling, raw MQTT publish-to-receive");
    let mut baselines = Samples::default();
    baselines.merge(
        baseline::grpc_echo(
            &options.exe,
            options.concurrency,
            options.grpc_connections,
            Duration::from_secs_f64(options.echo_s),
        )
        .await?,
    );
    baselines.merge(
        baseline::mqtt_publish_to_receive(
            &options.mqtt_baseline,
            &run_id,
            options.mqtt_baseline_messages,
            Duration::from_millis(1),
        )
        .await?,
    );

    // The plan.
    let processes = processes_for(options.users, options.processes, open_files_limit());
    eprintln!(
        "[stress] plan: {} users over {} s in {processes} worker process(es), contention {}",
        options.users, options.ramp_up_s, options.contention
    );
    let start_us = now_micros() + 2_000_000;
    let ramp_us = (options.ramp_up_s * 1e6) as i64;
    let release_us = start_us + ramp_us + (options.hold_s * 1e6) as i64;
    let deadline_us = start_us + i64::try_from(options.duration_s)? * 1_000_000;
    // Spread the real sign-ins evenly over the ramp.
    let login_stride = options
        .users
        .checked_div(options.login_sample)
        .map_or(u64::MAX, |stride| stride.max(1));
    let mut specs: Vec<WorkerSpec> = (0..processes)
        .map(|_| WorkerSpec {
            run_id: run_id.clone(),
            gateway: options.gateway.url.clone(),
            mqtt: options.mqtt.anonymous(),
            grpc_connections: options.grpc_connections,
            contention: options.contention > 1,
            release_us,
            deadline_us,
            event_timeout_ms: options.event_timeout_s * 1000,
            patients: Vec::new(),
        })
        .collect();
    let mut logins = 0;
    for index in 0..options.users {
        let group = index / options.contention;
        // Racers of one group start together, so they really race.
        let first_of_group = group * options.contention;
        let offset = (ramp_us as f64 * first_of_group as f64 / options.users as f64) as i64;
        let credentials =
            if index % login_stride == 0 && logins < options.login_sample && !emails.is_empty() {
                let email = emails[usize::try_from(logins)? % emails.len()].clone();
                logins += 1;
                Credentials::Login {
                    email,
                    password: SAMPLE_PASSWORD.to_string(),
                }
            } else {
                Credentials::Token(tokens.issue(index)?)
            };
        specs[usize::try_from(index % processes)?]
            .patients
            .push(PatientSpec {
                index,
                start_us: start_us + offset,
                slot: plan_slots[usize::try_from(group)?].clone(),
                credentials,
            });
    }
    let results = run_workers(&options.exe, specs, deadline_us).await?;

    // Saturated booking.
    let confirmed_saturated: Arc<Mutex<Vec<(SlotKey, String)>>> = Arc::default();
    if !saturation_slots.is_empty() {
        eprintln!(
            "[stress] saturated booking: {} in flight, up to {} bookings",
            options.concurrency,
            saturation_slots.len()
        );
        let pool = grpc::Pool::connect(&options.gateway.url, options.grpc_connections).await?;
        let mut clients = Vec::with_capacity(options.concurrency);
        for task in 0..options.concurrency {
            let client = Client::on_channel(pool.channel(task));
            client
                .resume(tokens.issue(1_000_000 + task as u64)?.session()?)
                .await;
            clients.push(client);
        }
        let queue = Arc::new(Mutex::new(saturation_slots));
        let confirmed = confirmed_saturated.clone();
        let samples = baseline::closed_loop(
            labels::BOOK_SATURATED,
            options.concurrency,
            Duration::ZERO,
            Duration::from_secs_f64(options.saturation_s),
            move |task, _| {
                let next = lock(&queue).pop_front();
                let (client, confirmed) = (clients[task].clone(), confirmed.clone());
                async move {
                    let Some(slot) = next else {
                        return Ok(false);
                    };
                    match client.book(&slot.to_wire(), grpc::BOOKING_REASON).await {
                        Ok(appointment) => {
                            lock(&confirmed).push((slot, appointment.id));
                            Ok(true)
                        }
                        Err(error) => Err(format!("{:?}: {}", error.code, error.message)),
                    }
                }
            },
        )
        .await;
        baselines.merge(samples);
    }

    // Consistency.
    let mut confirmations: HashMap<SlotKey, BTreeSet<String>> = HashMap::new();
    let mut plan_samples = Samples::default();
    let mut counts = BookingCounts::default();
    let mut mqtt_messages = 0;
    let mut intervals = Vec::new();
    let mut by_patient_missing = 0;
    let mut raced: HashMap<SlotKey, (u64, u64, u64)> = HashMap::new();
    for result in results {
        mqtt_messages += result.mqtt_messages;
        plan_samples.merge(result.samples);
        for patient in result.patients {
            if let Some(interval) = patient.connected {
                intervals.push(interval);
            }
            let entry = raced.entry(patient.slot.clone()).or_default();
            match &patient.booking {
                Booking::Booked(appointment) => {
                    counts.confirmed += 1;
                    entry.0 += 1;
                    confirmations
                        .entry(patient.slot.clone())
                        .or_default()
                        .insert(appointment.clone());
                    if !patient.saw_booked_event {
                        by_patient_missing += 1;
                    }
                }
                Booking::Taken => {
                    counts.lost_races += 1;
                    entry.1 += 1;
                }
                Booking::Failed(_) => {
                    counts.failed += 1;
                    entry.2 += 1;
                }
                Booking::NotAttempted => counts.not_attempted += 1,
            }
        }
    }
    for (slot, appointment) in lock(&confirmed_saturated).drain(..) {
        confirmations.entry(slot).or_default().insert(appointment);
    }
    let confirmed_slots: Vec<SlotKey> = confirmations.keys().cloned().collect();
    eprintln!(
        "[stress] waiting for the booked events of {} slots",
        confirmed_slots.len()
    );
    monitor
        .wait_for(Duration::from_secs(options.event_timeout_s), |seen| {
            confirmed_slots
                .iter()
                .all(|slot| seen.booked.contains_key(slot))
        })
        .await;
    let store = store_view(&options, &confirmed_slots).await?;
    let consistency = {
        let seen = monitor.seen();
        let mut twice = BTreeSet::new();
        for (slot, appointments) in &confirmations {
            if appointments.len() > 1 {
                twice.insert(slot.clone());
            }
        }
        for (slot, events) in &seen.booked {
            let releases = seen.released.get(slot).map_or(0, |r| r.len());
            if events.len() > releases + 1 {
                twice.insert(slot.clone());
            }
        }
        let confirmed_total: usize = confirmations.values().map(BTreeSet::len).sum();
        let missing = confirmations
            .iter()
            .flat_map(|(slot, ids)| ids.iter().map(move |id| (slot, id)))
            .filter(|(slot, id)| store.get(*slot).map(String::as_str) != Some(id.as_str()))
            .count();
        let by_monitor = confirmations
            .keys()
            .filter(|slot| !seen.booked.contains_key(*slot))
            .count();
        let without_winner = if options.contention > 1 {
            raced
                .values()
                .filter(|(won, lost, failed)| *won == 0 && *lost > 0 && *failed == 0)
                .count()
        } else {
            0
        };
        Consistency {
            confirmed_bookings: confirmed_total as u64,
            slots_booked_twice: twice.len() as u64,
            confirmed_missing_from_store: missing as u64,
            booked_events_never_received_by_patient: by_patient_missing,
            booked_events_never_received_by_monitor: by_monitor as u64,
            raced_slots_without_winner: without_winner as u64,
        }
    };
    monitor.stop().await;

    let rows: Vec<Row> = [
        labels::MQTT_CONNECT,
        labels::SUBSCRIBE,
        labels::LOGIN,
        labels::LIST_SLOTS,
        labels::BOOK,
        labels::PUBLISH_TO_RECEIVE,
    ]
    .iter()
    .map(|label| plan_samples.row(label))
    .collect();
    let baseline_rows: Vec<Row> = [labels::ECHO, labels::MQTT_BASELINE, labels::BOOK_SATURATED]
        .iter()
        .map(|label| baselines.row(label))
        .collect();
    let echo = baselines.row(labels::ECHO).throughput_per_s;
    let ratio = |throughput: f64| if echo > 0.0 { throughput / echo } else { 0.0 };
    let span_s = {
        let all: Vec<_> = plan_samples.by_label.values().flatten().collect();
        let first = all.iter().map(|s| s.start_us).min().unwrap_or(0);
        let last = all
            .iter()
            .map(|s| s.start_us + s.elapsed_us)
            .max()
            .unwrap_or(0);
        ((last - first).max(1) as f64) / 1e6
    };
    let connect = plan_samples.row(labels::MQTT_CONNECT);
    let book = plan_samples.row(labels::BOOK);
    let saturated = baselines.row(labels::BOOK_SATURATED);
    let targets = vec![
        Target {
            name: "MQTT connect average (ms) under 10".into(),
            measured: connect.average_ms,
            bound: 10.0,
            met: connect.samples > 0 && connect.average_ms < 10.0,
        },
        Target {
            name: "booking p99 (ms) under 50".into(),
            measured: book.p99_ms,
            bound: 50.0,
            met: book.samples > 0 && book.p99_ms < 50.0,
        },
        Target {
            name: "saturated booking throughput ÷ echo ceiling at least 0.25".into(),
            measured: ratio(saturated.throughput_per_s),
            bound: 0.25,
            met: ratio(saturated.throughput_per_s) >= 0.25,
        },
    ];
    let mut error_messages = plan_samples.errors.clone();
    error_messages.extend(baselines.errors.clone());
    let settings = BTreeMap::from([
        ("--users".to_string(), options.users.to_string()),
        ("--ramp-up".to_string(), options.ramp_up_s.to_string()),
        ("--duration".to_string(), options.duration_s.to_string()),
        ("--contention".to_string(), options.contention.to_string()),
        (
            "--grpc-connections".to_string(),
            options.grpc_connections.to_string(),
        ),
        ("--concurrency".to_string(), options.concurrency.to_string()),
        (
            "--login-sample".to_string(),
            options.login_sample.to_string(),
        ),
        ("--hold".to_string(), options.hold_s.to_string()),
        ("--mqtt".to_string(), options.mqtt.to_string()),
    ]);
    Ok(Report {
        name: options.name.clone(),
        date: Timestamp::now().strftime("%Y-%m-%d %H:%M").to_string(),
        settings,
        plan_booking_to_echo_ratio: ratio(book.throughput_per_s),
        booking_to_echo_ratio: ratio(saturated.throughput_per_s),
        rows,
        baselines: baseline_rows,
        peak_mqtt_connections: peak(&intervals),
        mqtt_messages_to_patients: mqtt_messages,
        mqtt_messages_per_second: mqtt_messages as f64 / span_s,
        processes,
        plan_bookings: counts,
        plan_errors: plan_samples.error_count(),
        other_errors: baselines.error_count(),
        error_messages,
        consistency,
        targets,
    })
}

/// Most intervals open at one moment.
pub fn peak(intervals: &[(i64, i64)]) -> u64 {
    let mut edges: Vec<(i64, i64)> = intervals
        .iter()
        .flat_map(|&(from, to)| [(from, 1), (to, -1)])
        .collect();
    // Ends before starts at the same instant: touching intervals do not overlap.
    edges.sort();
    let (mut open, mut most) = (0i64, 0i64);
    for (_, delta) in edges {
        open += delta;
        most = most.max(open);
    }
    most as u64
}

/// Starts the workers, waits for them (killing any that overrun) and reads their results.
async fn run_workers(
    exe: &std::path::Path,
    specs: Vec<WorkerSpec>,
    deadline_us: i64,
) -> anyhow::Result<Vec<WorkerResult>> {
    let dir = tempfile::tempdir()?;
    let mut children = Vec::new();
    for (n, spec) in specs.iter().enumerate() {
        let spec_path = dir.path().join(format!("worker-{n}.json"));
        let out_path = dir.path().join(format!("worker-{n}.result.json"));
        std::fs::write(&spec_path, serde_json::to_vec(spec)?)?;
        let child = tokio::process::Command::new(exe)
            .arg("worker")
            .arg("--spec")
            .arg(&spec_path)
            .arg("--out")
            .arg(&out_path)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting worker {}: {e}", exe.display()))?;
        children.push((child, out_path));
    }
    let wait_until = deadline_us + 60_000_000;
    let mut results = Vec::new();
    for (mut child, out_path) in children {
        let left = Duration::from_micros(u64::try_from(wait_until - now_micros()).unwrap_or(0));
        match tokio::time::timeout(left, child.wait()).await {
            Ok(Ok(status)) if status.success() => {}
            Ok(Ok(status)) => anyhow::bail!("a worker failed ({status}); see its messages above"),
            Ok(Err(error)) => anyhow::bail!("waiting for a worker: {error}"),
            Err(_) => {
                let _ = child.kill().await;
                anyhow::bail!("a worker overran the deadline by a minute and was killed");
            }
        }
        let text = std::fs::read(&out_path)?;
        results.push(serde_json::from_slice(&text)?);
    }
    Ok(results)
}

/// The store's view: for every clinic-day of `slots`, which appointment holds each booked slot,
/// read with the admin's schedule (the store, not a cache).
async fn store_view(
    options: &RunOptions,
    slots: &[SlotKey],
) -> anyhow::Result<HashMap<SlotKey, String>> {
    let client = Client::new(&options.gateway.url).map_err(client_error)?;
    client
        .login(&options.admin_email, &options.admin_password)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "signing in as {} for the store check: {e}",
                options.admin_email
            )
        })?;
    let mut days: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for slot in slots {
        days.entry(&slot.clinic_id).or_default().insert(slot.day());
    }
    let mut view = HashMap::new();
    for (clinic, days) in days {
        // One schedule call per clinic-day keeps every call well inside the 31-day limit.
        for day in days {
            let entries = client
                .schedule(clinic, None, &day, &day)
                .await
                .map_err(|e| anyhow::anyhow!("reading the schedule of {clinic} on {day}: {e}"))?;
            for entry in entries {
                let (Some(slot), Some(appointment)) = (entry.slot.as_ref(), entry.appointment)
                else {
                    continue;
                };
                if slot.state() == pb::SlotState::Booked
                    && appointment.status() == pb::AppointmentStatus::Booked
                    && let Some(key) = SlotKey::of_wire(slot)
                {
                    view.insert(key, appointment.id);
                }
            }
        }
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_cover_the_open_files_limit() {
        assert_eq!(processes_for(1_000, 0, 20_000), 1);
        assert_eq!(processes_for(10_000, 0, 20_000), 2);
        assert_eq!(processes_for(10_000, 4, 20_000), 4);
        // A machine with 1,024 open files needs a process per 524 patients.
        assert_eq!(processes_for(10_000, 0, 1_024), 20);
        assert_eq!(processes_for(3, 8, 20_000), 3);
    }

    #[test]
    fn the_peak_counts_overlapping_connections_only() {
        assert_eq!(peak(&[]), 0);
        assert_eq!(peak(&[(0, 10), (5, 15), (9, 20)]), 3);
        assert_eq!(peak(&[(0, 10), (10, 20)]), 1);
    }
}
