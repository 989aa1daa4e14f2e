//! A worker: one process's share of the virtual patients.
//!
//! The coordinator writes a [`WorkerSpec`] (who, which slot, when to start) to a file and starts
//! this binary's `worker` subcommand on it; the worker runs its patients and writes a
//! [`WorkerResult`] back. Splitting patients over processes is what lets a run go past the
//! 20,000 open files one process may hold (each patient holds an MQTT connection). Every time
//! is wall-clock microseconds, so samples of all workers line up in one timeline.
//!
//! A patient: waits for its place in the ramp, connects to MQTT and subscribes to its clinic's
//! slot events, signs in (a pre-issued token, or a real login for the sample), lists the free
//! slots of its day, books its slot, waits for the `booked` event of that slot on its own
//! subscription, stays connected until every patient had the chance to connect (so the peak is
//! really N at once), and disconnects. Nothing runs past the deadline.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use dentismile_client::{Client, ClientError, mqtt::SlotEventMessage};
use rumqttc::{Event, Outgoing, Packet, QoS};
use serde::{Deserialize, Serialize};
use tokio::{sync::mpsc, task::JoinSet};

use crate::{
    grpc::{BOOKING_REASON, Pool},
    labels, mqtt,
    slot::SlotKey,
    stats::{Samples, now_micros},
    target::MqttTarget,
    tokens::IssuedToken,
};

/// How a patient signs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Credentials {
    /// A pre-issued access token.
    Token(IssuedToken),
    /// A real account: the Login row's sample.
    Login {
        /// Email.
        email: String,
        /// Password.
        password: String,
    },
}

/// One virtual patient.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatientSpec {
    /// Its number in the whole run (0-based): decides its place in the ramp.
    pub index: u64,
    /// When it starts, microseconds since the epoch.
    pub start_us: i64,
    /// The slot it books (shared by its group in contention mode).
    pub slot: SlotKey,
    /// How it signs in.
    pub credentials: Credentials,
}

/// One worker's share of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerSpec {
    /// Unique per run: MQTT client ids are made from it.
    pub run_id: String,
    /// The gateway, `http://127.0.0.1:PORT` (already checked to be loopback).
    pub gateway: String,
    /// The broker the patients subscribe to (anonymous, already checked to be loopback).
    pub mqtt: MqttTarget,
    /// gRPC connections this worker opens to the gateway.
    pub grpc_connections: usize,
    /// Whether several patients race for each slot (a lost race is then no error).
    pub contention: bool,
    /// Patients stay connected at least until then (microseconds since the epoch).
    pub release_us: i64,
    /// Nothing runs past this (microseconds since the epoch).
    pub deadline_us: i64,
    /// How long a patient waits for its booking's event.
    pub event_timeout_ms: u64,
    /// The patients.
    pub patients: Vec<PatientSpec>,
}

/// What became of a booking attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Booking {
    /// Confirmed with this appointment id.
    Booked(String),
    /// Someone else had it (a lost race).
    Taken,
    /// Failed otherwise.
    Failed(String),
    /// Never tried (an earlier step failed, or the deadline came first).
    NotAttempted,
}

/// What one patient did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatientOutcome {
    /// Its number.
    pub index: u64,
    /// Its slot.
    pub slot: SlotKey,
    /// Its booking.
    pub booking: Booking,
    /// Whether the slot's `booked` event reached its own subscription.
    pub saw_booked_event: bool,
    /// When its MQTT connection was accepted and when it ended (microseconds), if it connected.
    pub connected: Option<(i64, i64)>,
}

/// What a worker hands back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkerResult {
    /// Every sample.
    pub samples: Samples,
    /// Every patient.
    pub patients: Vec<PatientOutcome>,
    /// MQTT messages delivered to this worker's patients.
    pub mqtt_messages: u64,
}

/// What the MQTT task tells its patient.
enum Signal {
    Connected(i64),
    Subscribed(i64),
    /// The patient's own slot was announced as booked: received at, occurred at (µs).
    Booked(i64, i64),
    Lost(String),
}

struct Shared {
    mqtt: MqttTarget,
    run_id: String,
    pool: Pool,
    contention: bool,
    release_us: i64,
    deadline_us: i64,
    event_timeout: Duration,
    messages: AtomicU64,
}

/// Runs every patient of `spec` and returns what they did.
pub async fn run(spec: WorkerSpec) -> anyhow::Result<WorkerResult> {
    let pool = Pool::connect(&spec.gateway, spec.grpc_connections).await?;
    let shared = Arc::new(Shared {
        mqtt: spec.mqtt.clone(),
        run_id: spec.run_id.clone(),
        pool,
        contention: spec.contention,
        release_us: spec.release_us,
        deadline_us: spec.deadline_us,
        event_timeout: Duration::from_millis(spec.event_timeout_ms),
        messages: AtomicU64::new(0),
    });
    let mut tasks = JoinSet::new();
    for patient in spec.patients.iter().cloned() {
        let shared = shared.clone();
        tasks.spawn(async move { patient_run(patient, shared).await });
    }
    // The patients stop themselves at the deadline; this is the backstop should one hang in a
    // call that has its own, longer timeout.
    let backstop = until(spec.deadline_us) + Duration::from_secs(20);
    let mut result = WorkerResult::default();
    let mut done = std::collections::HashSet::new();
    while let Ok(Some(joined)) = tokio::time::timeout_at(backstop, tasks.join_next()).await {
        if let Ok((outcome, samples)) = joined {
            done.insert(outcome.index);
            result.patients.push(outcome);
            result.samples.merge(samples);
        }
    }
    tasks.abort_all();
    for patient in &spec.patients {
        if !done.contains(&patient.index) {
            result.patients.push(PatientOutcome {
                index: patient.index,
                slot: patient.slot.clone(),
                booking: Booking::Failed("the patient did not finish by the deadline".into()),
                saw_booked_event: false,
                connected: None,
            });
        }
    }
    result.mqtt_messages = shared.messages.load(Ordering::Relaxed);
    Ok(result)
}

/// The tokio instant of a wall-clock time in microseconds.
fn until(unix_us: i64) -> tokio::time::Instant {
    let now = now_micros();
    tokio::time::Instant::now() + Duration::from_micros(u64::try_from(unix_us - now).unwrap_or(0))
}

fn reason(error: &ClientError) -> String {
    let mut text = format!("{:?}: {}", error.code, error.message);
    text.truncate(160);
    text
}

async fn patient_run(spec: PatientSpec, shared: Arc<Shared>) -> (PatientOutcome, Samples) {
    let mut samples = Samples::default();
    let mut outcome = PatientOutcome {
        index: spec.index,
        slot: spec.slot.clone(),
        booking: Booking::NotAttempted,
        saw_booked_event: false,
        connected: None,
    };
    tokio::time::sleep_until(until(spec.start_us)).await;
    let deadline = until(shared.deadline_us);
    if tokio::time::Instant::now() >= deadline {
        return (outcome, samples);
    }
    let client_id = format!("stress-{}-{}", shared.run_id, spec.index);
    let (client, eventloop) = mqtt::client(&shared.mqtt, &client_id, true, 8);
    let (signals, mut signal_rx) = mpsc::channel(8);
    let mqtt_task = tokio::spawn(mqtt_loop(
        eventloop,
        spec.slot.clone(),
        signals,
        shared.clone(),
    ));

    // Steps that fail end the patient's flow early; the MQTT connection is closed either way.
    let flow = async {
        // MQTT Connect: from the first poll (TCP connect + CONNECT) to CONNACK.
        let started = now_micros();
        match tokio::time::timeout_at(
            deadline.min(tokio::time::Instant::now() + mqtt::CONNECT_TIMEOUT),
            signal_rx.recv(),
        )
        .await
        {
            Ok(Some(Signal::Connected(at))) => {
                samples.ok(labels::MQTT_CONNECT, started, at - started);
                outcome.connected = Some((at, at));
            }
            Ok(Some(Signal::Lost(why))) => {
                samples.failed(labels::MQTT_CONNECT, started, now_micros() - started, &why);
                return;
            }
            _ => {
                samples.failed(
                    labels::MQTT_CONNECT,
                    started,
                    now_micros() - started,
                    "no CONNACK in time",
                );
                return;
            }
        }
        // Subscribe: SUBSCRIBE to SUBACK.
        let started = now_micros();
        if client
            .subscribe(
                dentismile_client::mqtt::clinic_slots_filter(&spec.slot.clinic_id),
                QoS::AtLeastOnce,
            )
            .await
            .is_err()
        {
            samples.failed(
                labels::SUBSCRIBE,
                started,
                now_micros() - started,
                "the MQTT client stopped",
            );
            return;
        }
        let mut early_event = None;
        loop {
            match tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + mqtt::CONNECT_TIMEOUT),
                signal_rx.recv(),
            )
            .await
            {
                Ok(Some(Signal::Subscribed(at))) => {
                    samples.ok(labels::SUBSCRIBE, started, at - started);
                    break;
                }
                // Another patient's booking of the same slot may be announced this early.
                Ok(Some(Signal::Booked(received, occurred))) => {
                    early_event = Some((received, occurred))
                }
                Ok(Some(Signal::Lost(why))) => {
                    samples.failed(labels::SUBSCRIBE, started, now_micros() - started, &why);
                    return;
                }
                _ => {
                    samples.failed(
                        labels::SUBSCRIBE,
                        started,
                        now_micros() - started,
                        "no SUBACK in time",
                    );
                    return;
                }
            }
        }
        // Sign in, on this patient's share of the pooled connections.
        let client = Client::on_channel(
            shared
                .pool
                .channel(usize::try_from(spec.index).unwrap_or(0)),
        );
        match &spec.credentials {
            Credentials::Token(token) => match token.session() {
                Ok(session) => client.resume(session).await,
                Err(error) => {
                    samples.failed(labels::LOGIN, now_micros(), 0, &error.to_string());
                    return;
                }
            },
            Credentials::Login { email, password } => {
                let started = now_micros();
                match tokio::time::timeout_at(deadline, client.login(email, password)).await {
                    Ok(Ok(_)) => samples.ok(labels::LOGIN, started, now_micros() - started),
                    Ok(Err(error)) => {
                        samples.failed(
                            labels::LOGIN,
                            started,
                            now_micros() - started,
                            &reason(&error),
                        );
                        return;
                    }
                    Err(_) => {
                        samples.failed(labels::LOGIN, started, now_micros() - started, "deadline");
                        return;
                    }
                }
            }
        }
        // List slots: the free slots of the patient's clinic-day.
        let day = spec.slot.day();
        let started = now_micros();
        match tokio::time::timeout_at(
            deadline,
            client.slots(&spec.slot.clinic_id, &day, &day, None, true),
        )
        .await
        {
            Ok(Ok(_)) => samples.ok(labels::LIST_SLOTS, started, now_micros() - started),
            Ok(Err(error)) => {
                samples.failed(
                    labels::LIST_SLOTS,
                    started,
                    now_micros() - started,
                    &reason(&error),
                );
                return;
            }
            Err(_) => {
                samples.failed(
                    labels::LIST_SLOTS,
                    started,
                    now_micros() - started,
                    "deadline",
                );
                return;
            }
        }
        // Book.
        let started = now_micros();
        let booked =
            tokio::time::timeout_at(deadline, client.book(&spec.slot.to_wire(), BOOKING_REASON))
                .await;
        let elapsed = now_micros() - started;
        match booked {
            Ok(Ok(appointment)) => {
                samples.ok(labels::BOOK, started, elapsed);
                outcome.booking = Booking::Booked(appointment.id);
            }
            Ok(Err(error)) if error.is_taken() && shared.contention => {
                // A lost race is the expected outcome for all but one of a group.
                samples.ok(labels::BOOK, started, elapsed);
                outcome.booking = Booking::Taken;
            }
            Ok(Err(error)) => {
                let why = reason(&error);
                samples.failed(labels::BOOK, started, elapsed, &why);
                outcome.booking = Booking::Failed(why);
                return;
            }
            Err(_) => {
                samples.failed(labels::BOOK, started, elapsed, "deadline");
                outcome.booking = Booking::Failed("deadline".into());
                return;
            }
        }
        // publish-to-receive: from the event's `occurred_at` (when the appointment service
        // accepted the booking) to its arrival on this patient's subscription.
        let waited_from = now_micros();
        let event = match early_event {
            Some(event) => Some(event),
            None => {
                let limit = deadline.min(tokio::time::Instant::now() + shared.event_timeout);
                loop {
                    match tokio::time::timeout_at(limit, signal_rx.recv()).await {
                        Ok(Some(Signal::Booked(received, occurred))) => {
                            break Some((received, occurred));
                        }
                        Ok(Some(_)) => continue,
                        _ => break None,
                    }
                }
            }
        };
        match event {
            Some((received, occurred)) => {
                outcome.saw_booked_event = true;
                samples.ok(labels::PUBLISH_TO_RECEIVE, occurred, received - occurred);
            }
            None => samples.failed(
                labels::PUBLISH_TO_RECEIVE,
                waited_from,
                now_micros() - waited_from,
                "the booked event did not arrive",
            ),
        }
    };
    flow.await;

    // Stay connected until every patient had its chance to connect, then leave.
    tokio::time::sleep_until(until(shared.release_us).min(deadline)).await;
    let _ = client.try_disconnect();
    let ended = match tokio::time::timeout(Duration::from_secs(5), mqtt_task).await {
        Ok(Ok(ended)) => ended,
        _ => now_micros(),
    };
    if let Some((connected, _)) = outcome.connected {
        outcome.connected = Some((connected, ended));
    }
    (outcome, samples)
}

/// Polls one patient's MQTT connection until it ends; returns when it ended (µs).
async fn mqtt_loop(
    mut eventloop: rumqttc::EventLoop,
    mine: SlotKey,
    signals: mpsc::Sender<Signal>,
    shared: Arc<Shared>,
) -> i64 {
    let mut announced = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let _ = signals.try_send(Signal::Connected(now_micros()));
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                // A broker refuses a subscription in the SUBACK itself (Mosquitto's ACL does).
                let signal = if ack
                    .return_codes
                    .iter()
                    .all(|code| matches!(code, rumqttc::SubscribeReasonCode::Success(_)))
                {
                    Signal::Subscribed(now_micros())
                } else {
                    Signal::Lost("the broker refused the subscription".to_string())
                };
                let _ = signals.try_send(signal);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let received = now_micros();
                shared.messages.fetch_add(1, Ordering::Relaxed);
                if announced {
                    continue;
                }
                let Ok(event) = serde_json::from_slice::<SlotEventMessage>(&publish.payload) else {
                    continue;
                };
                if event.kind == "booked" && SlotKey::of_event(&event).as_ref() == Some(&mine) {
                    announced = true;
                    let occurred = event
                        .occurred_at
                        .parse::<dentismile_domain::jiff::Timestamp>()
                        .map(|t| t.as_microsecond())
                        .unwrap_or(received);
                    let _ = signals.try_send(Signal::Booked(received, occurred));
                }
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => return now_micros(),
            Ok(_) => {}
            Err(error) => {
                // No reconnection: a patient whose connection broke counts as a failure.
                let _ = signals.try_send(Signal::Lost(format!("MQTT connection lost: {error}")));
                return now_micros();
            }
        }
    }
}
