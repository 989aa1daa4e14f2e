//! `spawn_system()`: a fresh `dentismile up` in this process on a temporary data directory,
//! every component on port 0, and typed clients of its gateway. [`Process`]: the real
//! `dentismile` binary as a child process, for the tests that need separate processes.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Lines},
    path::PathBuf,
    process::{Child, ChildStdout, Command, Stdio},
    time::Duration,
};

use dentismile::{
    app::{RunningSystem, SystemConfig},
    config::{MqttArgs, UpArgs},
};
use dentismile_auth::{AuthSettings, rate_limit::Quota};
use dentismile_client::Client;
use dentismile_domain::{
    event::{EventCursor, SlotEventKind},
    ports::EventLog,
};
use dentismile_gateway::bridge::brokers::BrokerAddress;
use dentismile_proto::v1::{
    self as pb, appointment_service_client::AppointmentServiceClient,
    auth_service_client::AuthServiceClient, clinic_service_client::ClinicServiceClient,
};
use dentismile_runtime::CancellationToken;
use tonic::{Request, transport::Channel};

/// A running system and where it lives.
pub struct TestSystem {
    pub system: Option<RunningSystem>,
    pub gateway: String,
    pub data_dir: PathBuf,
    pub shutdown: CancellationToken,
    // Keeps the directory until the test ends.
    _dir: Option<tempfile::TempDir>,
}

/// Options of a test system.
#[derive(Clone)]
pub struct Options {
    pub demo: bool,
    /// Rate limits as in production, or relaxed for tests that sign up hundreds of patients.
    pub production_limits: bool,
    /// Where slot events go: no MQTT (the default), these brokers, or an embedded broker.
    pub mqtt: Mqtt,
    /// QoS of slot events on MQTT (1 or 2).
    pub mqtt_qos: u8,
}

#[derive(Clone)]
pub enum Mqtt {
    None,
    Brokers(Vec<BrokerAddress>),
    Embedded(std::net::SocketAddr),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            demo: true,
            production_limits: false,
            mqtt: Mqtt::None,
            mqtt_qos: 1,
        }
    }
}

pub async fn spawn_system(options: Options) -> TestSystem {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_path_buf();
    let mut system = start_in(&data_dir, options).await;
    system._dir = Some(dir);
    system
}

/// Starts a system on `data_dir` (which outlives it).
pub async fn start_in(data_dir: &std::path::Path, options: Options) -> TestSystem {
    dentismile_runtime::telemetry::init();
    let auth = if options.production_limits {
        AuthSettings::default()
    } else {
        let plenty = Quota::per(100_000, Duration::from_secs(1));
        AuthSettings {
            login_per_account: plenty,
            login_per_address: plenty,
            register_per_address: plenty,
            register_per_account: plenty,
            ..AuthSettings::default()
        }
    };
    let config = SystemConfig {
        args: UpArgs {
            data_dir: data_dir.to_path_buf(),
            gateway_addr: "127.0.0.1:0".parse().unwrap(),
            auth_addr: "127.0.0.1:0".parse().unwrap(),
            appointments_addr: "127.0.0.1:0".parse().unwrap(),
            no_demo: !options.demo,
            store: dentismile::config::StoreChoice::Embedded,
            mqtt: MqttArgs {
                mqtt_addr: match &options.mqtt {
                    Mqtt::Embedded(address) => *address,
                    _ => "127.0.0.1:0".parse().unwrap(),
                },
                brokers: match &options.mqtt {
                    Mqtt::Brokers(brokers) => brokers.clone(),
                    _ => Vec::new(),
                },
                mqtt_qos: options.mqtt_qos,
                mqtt_max_in_flight: 20,
                no_mqtt: matches!(options.mqtt, Mqtt::None),
            },
        },
        auth,
    };
    let shutdown = CancellationToken::new();
    let system = RunningSystem::start(config, shutdown.clone())
        .await
        .unwrap();
    TestSystem {
        gateway: system.gateway.url(),
        system: Some(system),
        data_dir: data_dir.to_path_buf(),
        shutdown,
        _dir: None,
    }
}

impl TestSystem {
    /// A new connection to the gateway.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.gateway.clone())
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn auth(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(self.channel().await)
    }

    pub async fn clinics(&self) -> ClinicServiceClient<Channel> {
        ClinicServiceClient::new(self.channel().await)
    }

    pub async fn appointments(&self) -> AppointmentServiceClient<Channel> {
        AppointmentServiceClient::new(self.channel().await)
    }

    /// A signed-out client library on the gateway, for its paged listings.
    pub fn client(&self) -> Client {
        Client::new(&self.gateway).unwrap()
    }

    pub fn running(&self) -> &RunningSystem {
        self.system.as_ref().unwrap()
    }

    /// Stops the system and waits until it has.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(system) = self.system.take() {
            system.stopped().await.unwrap();
        }
    }

    /// Registers a patient and returns their session.
    pub async fn register(&self, name: &str) -> pb::Session {
        let email = format!(
            "{}-{}@patients.test",
            name.to_lowercase().replace(' ', "."),
            uuid::Uuid::new_v4()
        );
        self.auth()
            .await
            .register(pb::RegisterRequest {
                email,
                password: "long enough password".into(),
                display_name: name.into(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// Signs in.
    pub async fn login(&self, email: &str, password: &str) -> pb::Session {
        self.auth()
            .await
            .login(pb::LoginRequest {
                email: email.into(),
                password: password.into(),
            })
            .await
            .unwrap()
            .into_inner()
    }
}

/// The `dentismile` binary as a child process, read up to its readiness line. Dropping it kills
/// it, so a test that fails half-way never leaves a server running.
pub struct Process {
    child: Child,
    /// Its standard output after the readiness line, kept open: a process whose output was
    /// closed would fail to print its next line.
    output: Lines<BufReader<ChildStdout>>,
    /// The URL of its readiness line.
    pub url: String,
    /// Every line it printed up to and including the readiness line.
    pub printed: Vec<String>,
}

impl Process {
    /// Starts `dentismile <args>` and waits for its readiness line `<ready>: <url>` (the
    /// gateway's for `up`, the component's own for `serve`).
    pub fn start(ready: &str, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dentismile"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let output = BufReader::new(child.stdout.take().unwrap()).lines();
        // Owned from here on, so a panic below still kills the child.
        let mut process = Self {
            child,
            output,
            url: String::new(),
            printed: Vec::new(),
        };
        let prefix = format!("{ready}: ");
        loop {
            let Some(Ok(line)) = process.output.next() else {
                panic!(
                    "`dentismile {}` ended its output before `{prefix}...`:\n{}",
                    args.join(" "),
                    process.printed.join("\n")
                );
            };
            process.printed.push(line.clone());
            if let Some(url) = line.strip_prefix(&prefix) {
                process.url = url.to_string();
                return process;
            }
        }
    }

    /// Ctrl-C: waits until the process has stopped and checks it stopped cleanly. Returns the
    /// lines it printed after the readiness line.
    pub fn interrupt(&mut self) -> Vec<String> {
        let kill = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success(), "kill -INT {}: {kill}", self.child.id());
        // Read to the end before waiting, so output it prints while stopping cannot fill the
        // pipe and block it.
        let rest = self.output.by_ref().map_while(Result::ok).collect();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit status {status}");
        rest
    }

    /// SIGKILL: no goodbye, no cleanup. Returns once the process is gone.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Already gone after `interrupt` or `kill`; then these fail harmlessly.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request carrying `token` as its bearer token.
pub fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Today in Stockholm, and days after it, as `YYYY-MM-DD`.
pub fn day(offset: i32) -> String {
    use dentismile_domain::{jiff::Timestamp, time::LocalDay};
    LocalDay::of(Timestamp::now()).plus_days(offset).to_string()
}

/// Free slots of a clinic over the demo fortnight.
pub async fn free_slots(system: &TestSystem, clinic: &str) -> Vec<pb::Slot> {
    system
        .client()
        .slots(clinic, &day(0), &day(13), None, true)
        .await
        .unwrap()
}

/// Free slots of every clinic over local days `from_day..=to_day`, clinic by clinic.
pub async fn free_slots_of_every_clinic(
    client: &Client,
    from_day: &str,
    to_day: &str,
) -> Vec<pb::Slot> {
    let mut slots = Vec::new();
    for clinic in client.clinics().await.unwrap() {
        slots.extend(
            client
                .slots(&clinic.id, from_day, to_day, None, true)
                .await
                .unwrap(),
        );
    }
    slots
}

/// How many `booked` events the store's event log holds for each slot: a slot booked once has
/// exactly one, whatever retries and failovers happened on the way.
pub async fn booked_events_per_slot(store: &(impl EventLog + ?Sized)) -> HashMap<String, usize> {
    let mut booked = HashMap::new();
    let mut cursor = EventCursor::beginning();
    loop {
        let page = store.events_after(&cursor, 5000).await.unwrap();
        let Some(last) = page.last() else {
            return booked;
        };
        cursor = last.cursor.clone();
        for event in page
            .iter()
            .filter(|e| e.event.kind == SlotEventKind::Booked)
        {
            *booked.entry(event.event.slot.to_string()).or_default() += 1;
        }
    }
}

/// Slots starting at least `hours` from now (so cancellation cutoffs do not interfere).
pub fn later_than(slots: Vec<pb::Slot>, hours: i64) -> Vec<pb::Slot> {
    let limit = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + hours * 3600;
    slots
        .into_iter()
        .filter(|s| s.r#ref.as_ref().unwrap().start.as_ref().unwrap().seconds > limit)
        .collect()
}

/// A port free on 127.0.0.1 a moment ago, for a process that must be told its port up front.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `condition` holds, failing with `what` after `limit`.
pub async fn eventually(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the async `condition` holds, failing with `what` after `limit`.
pub async fn eventually_async<F, Fut>(what: &str, limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A fresh idempotency key.
pub fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn book_request(slot: &pb::Slot) -> pb::BookSlotRequest {
    pb::BookSlotRequest {
        slot: slot.r#ref.clone(),
        idempotency_key: key(),
        reason: String::new(),
    }
}
