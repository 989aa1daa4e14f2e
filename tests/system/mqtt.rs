//! The MQTT bridge end to end, against real Mosquitto brokers started from
//! `scripts/mosquitto/` (only the port and the paths replaced), with subscribers that know
//! nothing of DentiSmile but the topic tree.

use std::{
    collections::HashSet,
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use dentismile_client::Client;
use dentismile_gateway::bridge::{
    Bridge, BridgeSettings,
    brokers::BrokerAddress,
    messages::{AvailabilityMessage, SlotEventMessage},
};
use dentismile_proto::v1::{self as pb};
use rumqttc::{AsyncClient, Event, MqttOptions, NetworkOptions, Packet, QoS};
use tokio::task::JoinSet;

use crate::helpers::{
    Mqtt, Options, Process, TestSystem, authed, book_request, day, eventually, free_port,
    free_slots, free_slots_of_every_clinic, later_than, spawn_system,
};

const BRIDGE_SECRET: &str = "bridge-test-secret";
const ALL_SLOT_EVENTS: &str = "dentismile/v1/clinics/+/slots/+";

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn mosquitto_binary() -> PathBuf {
    ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from("mosquitto"))
}

/// A Mosquitto broker from the shipped configuration.
pub struct Mosquitto {
    child: Option<Child>,
    pub port: u16,
    config: PathBuf,
}

impl Mosquitto {
    pub fn start(dir: &Path) -> Self {
        let port = free_port();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let shipped = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/mosquitto/mosquitto.conf"
        ))
        .unwrap();
        let mut config = String::new();
        for line in shipped.lines() {
            let line = match line.split_whitespace().next() {
                Some("listener") => format!("listener {port} 127.0.0.1"),
                Some("persistence_location") => {
                    format!("persistence_location {}/", dir.join("data").display())
                }
                Some("password_file") => format!("password_file {}", dir.join("passwd").display()),
                Some("acl_file") => format!(
                    "acl_file {}",
                    concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mosquitto/acl")
                ),
                _ => line.to_string(),
            };
            config.push_str(&line);
            config.push('\n');
        }
        // Started as root, Mosquitto would switch to the `mosquitto` user, which cannot write
        // this test's temporary directory: stay who we are.
        if is_root() {
            config.push_str("user root\n");
        }
        let config_path = dir.join("mosquitto.conf");
        std::fs::File::create(&config_path)
            .unwrap()
            .write_all(config.as_bytes())
            .unwrap();
        let status = Command::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/mosquitto/make-password.sh"
        ))
        .arg(dir.join("passwd"))
        .arg(BRIDGE_SECRET)
        .status()
        .expect("mosquitto_passwd must be installed (scripts/test.sh installs mosquitto)");
        assert!(status.success());
        let mut broker = Self {
            child: None,
            port,
            config: config_path,
        };
        broker.run();
        broker
    }

    fn run(&mut self) {
        let child = Command::new(mosquitto_binary())
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto must be installed (scripts/test.sh installs it)");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "mosquitto did not start on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no goodbye, no final save.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGSTOP: connections stay open, nothing is read or acknowledged.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT after [`Self::pause`].
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("the broker is running");
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill {signal}: {sent}");
    }

    pub fn restart(&mut self) {
        self.kill();
        self.run();
    }

    /// How the bridge reaches it.
    pub fn bridge_address(&self) -> BrokerAddress {
        BrokerAddress::parse(&format!(
            "mqtt://gateway:{BRIDGE_SECRET}@127.0.0.1:{}",
            self.port
        ))
        .unwrap()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A received message: topic, retained flag, payload.
pub type Received = (String, bool, Vec<u8>);

/// An independent subscriber: QoS 1, persistent session, resubscribing on every connection.
pub struct Subscriber {
    pub events: Arc<Mutex<Vec<SlotEventMessage>>>,
    pub raw: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscriber {
    pub async fn start(port: u16, client_id: &str, topic: &str, persistent: bool) -> Self {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options
            .set_clean_session(!persistent)
            .set_keep_alive(Duration::from_secs(5));
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        let mut network = NetworkOptions::new();
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        let events = Arc::new(Mutex::new(Vec::new()));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (subscribed, mut subscribed_rx) = tokio::sync::watch::channel(false);
        let (events_out, raw_out, topic) = (events.clone(), raw.clone(), topic.to_string());
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        client
                            .subscribe(topic.clone(), QoS::AtLeastOnce)
                            .await
                            .unwrap();
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = subscribed.send(true);
                    }
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        raw_out.lock().unwrap().push((
                            publish.topic.clone(),
                            publish.retain,
                            publish.payload.to_vec(),
                        ));
                        if let Ok(event) =
                            serde_json::from_slice::<SlotEventMessage>(&publish.payload)
                        {
                            events_out.lock().unwrap().push(event);
                        }
                    }
                    Ok(_) => {}
                    // The broker went away: rumqttc reconnects on the next poll.
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), subscribed_rx.wait_for(|s| *s))
            .await
            .expect("the subscriber subscribes")
            .unwrap();
        Self { events, raw, task }
    }

    /// Distinct ids of `booked` events received.
    pub fn booked_event_ids(&self) -> HashSet<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.kind == "booked")
            .map(|e| e.event_id.clone())
            .collect()
    }

    /// Distinct slots (clinic, dentist, start) with a `booked` event received.
    pub fn booked_slots(&self) -> HashSet<(String, String, String)> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.kind == "booked")
            .map(|e| {
                (
                    e.clinic_id.clone(),
                    e.dentist_id.clone(),
                    e.slot_start.clone(),
                )
            })
            .collect()
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn status_seen(subscriber: &Subscriber, status: &str) -> bool {
    subscriber
        .raw
        .lock()
        .unwrap()
        .iter()
        .any(|(_, _, payload)| {
            serde_json::from_slice::<serde_json::Value>(payload)
                .is_ok_and(|json| json["status"] == status)
        })
}

fn distinct_events(subscriber: &Subscriber) -> usize {
    subscriber
        .events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event_id.clone())
        .collect::<HashSet<_>>()
        .len()
}

fn slot_identity(slot: &pb::Slot) -> (String, String, String) {
    let reference = slot.r#ref.as_ref().unwrap();
    let start = reference.start.as_ref().unwrap();
    let start = dentismile_domain::jiff::Timestamp::new(start.seconds, start.nanos)
        .unwrap()
        .to_string();
    (
        reference.clinic_id.clone(),
        reference.dentist_id.clone(),
        start,
    )
}

/// `count` future free slots across every clinic.
async fn bookable(system: &TestSystem, count: usize) -> Vec<pb::Slot> {
    let mut slots = later_than(
        free_slots_of_every_clinic(&system.client(), &day(0), &day(13)).await,
        1,
    );
    assert!(slots.len() >= count, "only {} free slots", slots.len());
    slots.truncate(count);
    slots
}

/// Books every slot, from a few patients over several connections at once.
async fn book_all(system: &TestSystem, slots: Vec<pb::Slot>) {
    const WORKERS: usize = 8;
    let mut workers = JoinSet::new();
    for (worker, chunk) in slots.chunks(slots.len().div_ceil(WORKERS)).enumerate() {
        let token = system
            .register(&format!("Bulk Booker {worker}"))
            .await
            .access_token;
        let mut client = system.appointments().await;
        let chunk = chunk.to_vec();
        workers.spawn(async move {
            for slot in chunk {
                client
                    .book_slot(authed(book_request(&slot), &token))
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_bookings_reach_an_independent_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start(dir.path());
    let system = spawn_system(Options {
        mqtt: Mqtt::Brokers(vec![broker.bridge_address()]),
        ..Options::default()
    })
    .await;
    let subscriber = Subscriber::start(broker.port, "independent-1", ALL_SLOT_EVENTS, true).await;
    let slots = bookable(&system, 2000).await;
    let expected: HashSet<_> = slots.iter().map(slot_identity).collect();
    book_all(&system, slots).await;
    eventually("2000 booked events", Duration::from_secs(120), || {
        subscriber.booked_event_ids().len() >= 2000
    })
    .await;
    assert_eq!(subscriber.booked_event_ids().len(), 2000);
    assert_eq!(
        subscriber.booked_slots(),
        expected,
        "one booked event for each booking, none missing"
    );
    // Public topics carry no personal data.
    for (topic, _, payload) in subscriber.raw.lock().unwrap().iter() {
        let text = String::from_utf8_lossy(payload);
        assert!(
            !text.contains("patient") && !text.contains("reason") && !text.contains("Bulk Booker"),
            "{topic}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn qos_2_events_all_arrive_through_mosquitto() {
    // Mosquitto 2.0.11 silently drops incoming QoS 2 messages beyond its 20 in flight from an
    // MQTT 3.1.1 client; the bridge keeps at most 20 in flight, so none may go missing.
    let dir = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start(dir.path());
    let system = spawn_system(Options {
        mqtt: Mqtt::Brokers(vec![broker.bridge_address()]),
        mqtt_qos: 2,
        ..Options::default()
    })
    .await;
    let subscriber =
        Subscriber::start(broker.port, "qos-2-subscriber", ALL_SLOT_EVENTS, true).await;
    let slots = bookable(&system, 500).await;
    let expected: HashSet<_> = slots.iter().map(slot_identity).collect();
    book_all(&system, slots).await;
    eventually(
        "500 booked events at QoS 2",
        Duration::from_secs(60),
        || subscriber.booked_slots() == expected,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_the_gateway_may_publish_on_the_public_topics() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start(dir.path());
    let topic = "dentismile/v1/clinics/haga-tandlakare/slots/2030-01-01";
    let subscriber = Subscriber::start(broker.port, "acl-witness", ALL_SLOT_EVENTS, false).await;
    let publish = |client_id: &str, credentials: Option<(&str, &str)>, event_id: &str| {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", broker.port);
        if let Some((user, password)) = credentials {
            options.set_credentials(user, password);
        }
        let message = SlotEventMessage {
            schema_version: 1,
            event_id: event_id.into(),
            seq: 1,
            kind: "booked".into(),
            clinic_id: "haga-tandlakare".into(),
            dentist_id: "dr-ek".into(),
            day: "2030-01-01".into(),
            slot_start: "2030-01-01T08:00:00Z".into(),
            slot_end: "2030-01-01T08:30:00Z".into(),
            occurred_at: "2030-01-01T07:00:00Z".into(),
        };
        async move {
            let (client, mut eventloop) = AsyncClient::new(options, 10);
            client
                .publish(
                    topic,
                    QoS::AtLeastOnce,
                    false,
                    serde_json::to_vec(&message).unwrap(),
                )
                .await
                .unwrap();
            // Wait for the broker's acknowledgement: Mosquitto acknowledges a publish the ACL
            // denies, and drops it.
            loop {
                if let Event::Incoming(Packet::PubAck(_)) = eventloop.poll().await.unwrap() {
                    break;
                }
            }
        }
    };
    publish("forger", None, "forged").await;
    // The gateway's account, after the forgery was acknowledged: Mosquitto handles messages in
    // the order it receives them, so had the forgery been allowed it would arrive first.
    publish(
        "bridge-stand-in",
        Some(("gateway", BRIDGE_SECRET)),
        "genuine",
    )
    .await;
    eventually("the gateway's message", Duration::from_secs(10), || {
        subscriber
            .events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.event_id == "genuine")
    })
    .await;
    let seen: Vec<String> = subscriber
        .events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event_id.clone())
        .collect();
    assert_eq!(
        seen,
        ["genuine"],
        "an anonymous client's message reached subscribers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_killed_mid_run_loses_nothing_after_it_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Mosquitto::start(dir.path());
    let system = Arc::new(
        spawn_system(Options {
            mqtt: Mqtt::Brokers(vec![broker.bridge_address()]),
            ..Options::default()
        })
        .await,
    );
    let subscriber =
        Subscriber::start(broker.port, "survivor-of-a-crash", ALL_SLOT_EVENTS, true).await;
    let slots = bookable(&system, 1000).await;
    let expected: HashSet<_> = slots.iter().map(slot_identity).collect();
    let booking = {
        let system = system.clone();
        tokio::spawn(async move { book_all(&system, slots).await })
    };
    eventually("the first events", Duration::from_secs(60), || {
        subscriber.booked_event_ids().len() >= 200
    })
    .await;
    broker.kill();
    let received_before_crash = subscriber.booked_event_ids().len();
    broker.restart();
    booking.await.unwrap();
    eventually(
        "every booked event after the crash",
        Duration::from_secs(120),
        || subscriber.booked_slots() == expected,
    )
    .await;
    assert!(
        received_before_crash < 1000,
        "the crash must happen mid-run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_lost_for_good_does_not_hold_back_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let mut doomed = Mosquitto::start(&dir.path().join("doomed"));
    let survivor = Mosquitto::start(&dir.path().join("survivor"));
    let brokers = vec![doomed.bridge_address(), survivor.bridge_address()];
    let system = spawn_system(Options {
        mqtt: Mqtt::Brokers(brokers),
        ..Options::default()
    })
    .await;
    let on_the_survivor =
        Subscriber::start(survivor.port, "on-the-survivor", ALL_SLOT_EVENTS, true).await;
    let on_the_doomed =
        Subscriber::start(doomed.port, "on-the-doomed", ALL_SLOT_EVENTS, true).await;
    let slots = bookable(&system, 500).await;
    let expected: HashSet<_> = slots.iter().map(slot_identity).collect();
    book_all(&system, slots[..250].to_vec()).await;
    // Killed mid-run, while both brokers are being served.
    eventually(
        "events flowing to the doomed broker",
        Duration::from_secs(60),
        || on_the_doomed.booked_event_ids().len() >= 50,
    )
    .await;
    doomed.kill();
    book_all(&system, slots[250..].to_vec()).await;
    eventually(
        "every booked event on the surviving broker",
        Duration::from_secs(60),
        || on_the_survivor.booked_slots() == expected,
    )
    .await;
}

/// Books `slots` through the gateway at `url`, from a few new patients at once.
async fn book_through(url: &str, slots: &[pb::Slot], patients: &str) {
    const WORKERS: usize = 4;
    let mut workers = JoinSet::new();
    for (worker, chunk) in slots.chunks(slots.len().div_ceil(WORKERS)).enumerate() {
        let client = Client::new(url).unwrap();
        client
            .register(
                &format!("{patients}-{worker}@patients.test"),
                "long enough password",
                &format!("Patient {worker}"),
            )
            .await
            .unwrap();
        let refs: Vec<pb::SlotRef> = chunk.iter().filter_map(|s| s.r#ref.clone()).collect();
        workers.spawn(async move {
            for slot in refs {
                client.book(&slot, "").await.unwrap();
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
}

/// Whether the bridge has saved a cursor file in `dir`.
fn cursor_saved(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("mqtt-bridge-")
        })
    })
}

/// The whole `dentismile up` process SIGKILLed while events it committed were still waiting
/// for the broker, then started again on the same data directory and gateway address (so the
/// same gateway id): it finds its saved cursor and sends what was not acknowledged, so every
/// event arrives, and few twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gateway_process_killed_mid_run_resumes_from_its_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start(&dir.path().join("broker"));
    let subscriber =
        Subscriber::start(broker.port, "watching-the-gateway", ALL_SLOT_EVENTS, true).await;
    let data_dir = dir.path().join("data");
    let data = data_dir.to_str().unwrap();
    let gateway_addr = format!("127.0.0.1:{}", free_port());
    let mqtt = format!("mqtt://gateway:{BRIDGE_SECRET}@127.0.0.1:{}", broker.port);
    let up = || {
        Process::start(
            "gateway",
            &[
                "up",
                "--data-dir",
                data,
                "--gateway-addr",
                &gateway_addr,
                "--mqtt",
                &mqtt,
            ],
        )
    };
    let mut first = up();
    let mut slots = later_than(
        free_slots_of_every_clinic(&Client::new(&first.url).unwrap(), &day(0), &day(13)).await,
        1,
    );
    assert!(slots.len() >= 600, "only {} free slots", slots.len());
    slots.truncate(600);
    let expected: HashSet<_> = slots.iter().map(slot_identity).collect();

    // 100 events delivered, and a cursor saved (the bridge saves every 200 ms after acks).
    book_through(&first.url, &slots[..100], "delivered").await;
    eventually("the first 100 events", Duration::from_secs(60), || {
        subscriber.booked_event_ids().len() == 100
    })
    .await;
    eventually("a saved cursor", Duration::from_secs(10), || {
        cursor_saved(&data_dir)
    })
    .await;
    // 200 more committed while the broker cannot acknowledge them, then the crash: these are
    // in the store but were never published, and only the cursor says so.
    broker.pause();
    book_through(&first.url, &slots[100..300], "unsent").await;
    first.kill();
    broker.resume();

    let second = up();
    assert_eq!(second.url, first.url);
    book_through(&second.url, &slots[300..], "after-the-crash").await;
    eventually(
        "every booked event, before and after the crash",
        Duration::from_secs(60),
        || subscriber.booked_slots() == expected,
    )
    .await;
    // Resumed from the saved cursor: started from "now" it would have skipped the 200 unsent
    // (the wait above fails), and started over from the store's beginning it would repeat the
    // demo data's thousands of `published` events. What may repeat is at most the 100
    // delivered before the pause (if the cursor was saved before their acknowledgements) and
    // the 20 the bridge had in flight when the broker stopped.
    let received = subscriber.events.lock().unwrap().len();
    let repeated = received - distinct_events(&subscriber);
    assert!(
        repeated <= 120,
        "{repeated} events repeated: the restarted bridge started over"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_gateway_bridge_resumes_from_its_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start(&dir.path().join("broker"));
    // The system without its own bridge; the test runs the bridge, to crash and restart it.
    let system = spawn_system(Options::default()).await;
    let subscriber =
        Subscriber::start(broker.port, "watching-the-restart", ALL_SLOT_EVENTS, true).await;
    let state = dir.path().join("bridge-state");
    let appointments = || {
        dentismile_gateway::ReplicaSet::new(
            "--appointments-url",
            &[system.running().appointments.url()],
        )
        .unwrap()
    };
    let start_bridge = |shutdown: &dentismile_runtime::CancellationToken| {
        Bridge::start(
            BridgeSettings::new("restart-test".into(), state.clone()),
            &[broker.bridge_address()],
            appointments(),
            shutdown.clone(),
        )
    };
    let slots = bookable(&system, 600).await;
    let expected: HashSet<_> = slots.iter().map(slot_identity).collect();
    let first = start_bridge(&dentismile_runtime::CancellationToken::new());
    book_all(&system, slots[..300].to_vec()).await;
    eventually(
        "some events through the first bridge",
        Duration::from_secs(60),
        || subscriber.booked_event_ids().len() >= 100,
    )
    .await;
    let status = Subscriber::start(
        broker.port,
        "status-watcher",
        "dentismile/v1/gateways/restart-test/status",
        false,
    )
    .await;
    eventually(
        "the bridge's online status",
        Duration::from_secs(10),
        || status_seen(&status, "online"),
    )
    .await;
    // A crash: no goodbye, no final cursor save. The broker publishes the last will.
    first.abort();
    eventually("the last will: offline", Duration::from_secs(30), || {
        status_seen(&status, "offline")
    })
    .await;
    let delivered_before_crash = distinct_events(&subscriber);
    let saved = std::fs::read_dir(&state).unwrap().count();
    assert!(saved >= 1, "the bridge saved its cursor while running");
    book_all(&system, slots[300..].to_vec()).await;
    let second_shutdown = dentismile_runtime::CancellationToken::new();
    let second = start_bridge(&second_shutdown);
    eventually(
        "every booked event after the restart",
        Duration::from_secs(60),
        || subscriber.booked_slots() == expected,
    )
    .await;
    // Resumed, not started over: a bridge without its cursor would send every event delivered
    // before the crash again; resuming repeats at most the few unsaved at the crash.
    let received = subscriber.events.lock().unwrap().len();
    let repeated = received - distinct_events(&subscriber);
    assert!(
        repeated < delivered_before_crash / 2,
        "{repeated} events repeated of {delivered_before_crash} delivered before the crash: the second bridge started over"
    );
    second_shutdown.cancel();
    second.stopped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_late_subscriber_gets_the_availability_summary_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start(dir.path());
    let system = spawn_system(Options {
        mqtt: Mqtt::Brokers(vec![broker.bridge_address()]),
        ..Options::default()
    })
    .await;
    let slots = later_than(free_slots(&system, "orgryte-tandvard").await, 30);
    let day = slots[0].day.clone();
    let same_day: Vec<pb::Slot> = slots.into_iter().filter(|s| s.day == day).take(3).collect();
    let topic = format!("dentismile/v1/clinics/orgryte-tandvard/availability/{day}");
    let live = Subscriber::start(broker.port, "availability-live", &topic, false).await;
    book_all(&system, same_day).await;
    let summary_of = |raw: &[Received]| -> Option<AvailabilityMessage> {
        raw.last()
            .and_then(|(_, _, payload)| serde_json::from_slice(payload).ok())
    };
    eventually(
        "a summary with the three bookings",
        Duration::from_secs(30),
        || summary_of(&live.raw.lock().unwrap()).is_some_and(|s| s.booked == 3),
    )
    .await;

    let late = Subscriber::start(broker.port, "availability-late", &topic, false).await;
    eventually(
        "the retained summary, at once",
        Duration::from_secs(2),
        || !late.raw.lock().unwrap().is_empty(),
    )
    .await;
    let (_, retained, payload) = late.raw.lock().unwrap()[0].clone();
    assert!(retained, "delivered because it is retained");
    let summary: AvailabilityMessage = serde_json::from_slice(&payload).unwrap();
    let listed = system
        .appointments()
        .await
        .list_slots(pb::ListSlotsRequest {
            clinic_id: "orgryte-tandvard".into(),
            from_day: day.clone(),
            to_day: day.clone(),
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .slots;
    let free = listed
        .iter()
        .filter(|s| s.state == pb::SlotState::Free as i32)
        .count() as u32;
    assert_eq!((summary.free, summary.booked), (free, 3));
    assert_eq!(summary.day, day);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_bridge_publishes_from_now_on_not_the_history_first() {
    // The demo data's 4,330 `published` events are committed before the gateway starts; a
    // bridge without a cursor must not replay them ahead of live events.
    let dir = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start(dir.path());
    let subscriber =
        Subscriber::start(broker.port, "fresh-bridge-watcher", ALL_SLOT_EVENTS, true).await;
    let system = spawn_system(Options {
        mqtt: Mqtt::Brokers(vec![broker.bridge_address()]),
        ..Options::default()
    })
    .await;
    let slot = later_than(free_slots(&system, "haga-tandlakare").await, 30).remove(0);
    let expected = HashSet::from([slot_identity(&slot)]);
    book_all(&system, vec![slot]).await;
    eventually("the booking", Duration::from_secs(30), || {
        subscriber.booked_slots() == expected
    })
    .await;
    let kinds: Vec<String> = subscriber
        .events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.kind.clone())
        .collect();
    assert_eq!(
        kinds,
        ["booked"],
        "the bridge replayed history before the live event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_embedded_broker_of_up_carries_events_and_gateway_status() {
    let port = free_port();
    let system = spawn_system(Options {
        mqtt: Mqtt::Embedded(format!("127.0.0.1:{port}").parse().unwrap()),
        ..Options::default()
    })
    .await;
    assert_eq!(
        system.running().mqtt[0].to_string(),
        format!("mqtt://127.0.0.1:{port}")
    );
    let events = Subscriber::start(port, "embedded-events", ALL_SLOT_EVENTS, false).await;
    let status = Subscriber::start(
        port,
        "embedded-status",
        "dentismile/v1/gateways/+/status",
        false,
    )
    .await;
    let slot = later_than(free_slots(&system, "haga-tandlakare").await, 30).remove(0);
    let expected = HashSet::from([slot_identity(&slot)]);
    book_all(&system, vec![slot]).await;
    eventually(
        "the booking on the embedded broker",
        Duration::from_secs(30),
        || events.booked_slots() == expected,
    )
    .await;
    eventually(
        "the gateway's online status",
        Duration::from_secs(10),
        || {
            status
                .raw
                .lock()
                .unwrap()
                .iter()
                .any(|(_, _, payload)| String::from_utf8_lossy(payload).contains("\"online\""))
        },
    )
    .await;
}
