//! The CI smoke run: a real `dentismile up` (debug build, embedded broker, free loopback
//! ports), a generated and loaded `slots.csv`, then the stress tool for about 30 seconds in
//! both modes (unique slots over two worker processes, and racers for the same slots). It
//! asserts only the consistency block: nothing booked twice, nothing confirmed missing from the
//! store, no booked event lost. Timing never fails it; this machine is shared and noisy.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use dentismile_stress::report::Report;

const STRESS: &str = env!("CARGO_BIN_EXE_dentismile-stress");

/// `target/debug/dentismile`, beside this test's own executable (`target/debug/deps/...`).
/// `cargo nextest run --workspace` builds every binary of the workspace before the tests.
fn dentismile_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executables live in target/<profile>/deps");
    let binary = profile_dir.join("dentismile");
    assert!(
        binary.is_file(),
        "{} is missing: the smoke test drives the real server binary. Build it first with \
         `cargo build -p dentismile` (cargo nextest run --workspace builds it for you).",
        binary.display()
    );
    binary
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// `dentismile up`, killed when dropped.
struct Server {
    child: Child,
    gateway: String,
    mqtt: String,
}

impl Server {
    fn start(data_dir: &Path) -> Self {
        let (gateway_port, mqtt_port) = (free_port(), free_port());
        let log = std::fs::File::create(data_dir.join("server.log")).expect("a log file");
        let mut child = Command::new(dentismile_binary())
            .arg("up")
            .arg("--data-dir")
            .arg(data_dir.join("data"))
            .arg("--gateway-addr")
            .arg(format!("127.0.0.1:{gateway_port}"))
            .arg("--mqtt-addr")
            .arg(format!("127.0.0.1:{mqtt_port}"))
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("dentismile starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (ready_tx, ready_rx) = mpsc::channel();
        // Read every line, always: a full pipe would stall the server.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("gateway: ") {
                    let _ = ready_tx.send(());
                }
            }
        });
        let server = Self {
            child,
            gateway: format!("http://127.0.0.1:{gateway_port}"),
            mqtt: format!("mqtt://127.0.0.1:{mqtt_port}"),
        };
        ready_rx
            .recv_timeout(Duration::from_secs(180))
            .unwrap_or_else(|_| {
                panic!(
                    "dentismile up did not print its gateway line within 180 s; see {}",
                    data_dir.join("server.log").display()
                )
            });
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stress(args: &[&str]) {
    let output = Command::new(STRESS)
        .args(args)
        .output()
        .expect("the stress tool starts");
    // Exit code 3 is a consistency violation: the report is still written, and the asserts
    // below say which check failed.
    assert!(
        output.status.success() || output.status.code() == Some(3),
        "dentismile-stress {args:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn report(path: &Path) -> Report {
    serde_json::from_slice(&std::fs::read(path).expect("the run wrote its report"))
        .expect("the report is valid JSON")
}

#[test]
fn a_short_stress_run_books_nothing_twice_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path());
    let path = |name: &str| dir.path().join(name).display().to_string();
    let signing_key = dir.path().join("data").join("auth-signing.key");
    let signing_key = signing_key.display().to_string();

    stress(&[
        "generate",
        "--clinics",
        "4",
        "--dentists",
        "2",
        "--days",
        "2",
        "--out",
        &path("slots.csv"),
    ]);
    stress(&[
        "load",
        "--gateway",
        &server.gateway,
        "--mqtt",
        &server.mqtt,
        "--slots",
        &path("slots.csv"),
        "--wait",
        "60",
    ]);
    // Unique slots, two worker processes, a few real sign-ins, a short saturated phase.
    stress(&[
        "run",
        "--name",
        "smoke: unique slots",
        "--gateway",
        &server.gateway,
        "--mqtt",
        &server.mqtt,
        "--slots",
        &path("slots.csv"),
        "--signing-key",
        &signing_key,
        "--users",
        "60",
        "--ramp-up",
        "8",
        "--duration",
        "45",
        "--processes",
        "2",
        "--login-sample",
        "4",
        "--event-timeout",
        "20",
        "--echo-seconds",
        "1",
        "--saturation-bookings",
        "40",
        "--saturation-seconds",
        "3",
        "--mqtt-baseline-messages",
        "100",
        "--json",
        &path("unique.json"),
    ]);
    // Four racers per slot.
    stress(&[
        "run",
        "--name",
        "smoke: contention",
        "--gateway",
        &server.gateway,
        "--mqtt",
        &server.mqtt,
        "--slots",
        &path("slots.csv"),
        "--signing-key",
        &signing_key,
        "--users",
        "40",
        "--contention",
        "4",
        "--ramp-up",
        "5",
        "--duration",
        "40",
        "--processes",
        "2",
        "--login-sample",
        "0",
        "--event-timeout",
        "20",
        "--echo-seconds",
        "1",
        "--saturation-bookings",
        "0",
        "--mqtt-baseline-messages",
        "100",
        "--json",
        &path("race.json"),
    ]);

    for name in ["unique.json", "race.json"] {
        let report = report(&dir.path().join(name));
        let c = &report.consistency;
        assert!(
            c.confirmed_bookings > 0,
            "{name}: nothing was booked at all: {report:#?}"
        );
        assert_eq!(c.slots_booked_twice, 0, "{name}: slots booked twice");
        assert_eq!(
            c.confirmed_missing_from_store, 0,
            "{name}: confirmed bookings missing from the store"
        );
        assert_eq!(
            c.booked_events_never_received_by_patient, 0,
            "{name}: booked events never reached their patient"
        );
        assert_eq!(
            c.booked_events_never_received_by_monitor, 0,
            "{name}: booked events never reached the monitor"
        );
        assert_eq!(
            c.raced_slots_without_winner, 0,
            "{name}: raced slots nobody got"
        );
    }
    drop(server);
}
