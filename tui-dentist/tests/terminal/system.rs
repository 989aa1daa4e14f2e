//! `dentismile up` as a child process: its own data directory, the gateway on a free port, the
//! embedded MQTT broker on another; stopped when dropped.

use std::{
    fs::File,
    io::{BufRead, BufReader},
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use tempfile::TempDir;

/// How long `dentismile up` may take to seed its demo data and print its gateway.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A binary of the workspace: `cargo nextest run --workspace` builds every binary into the
/// directory above the test's own `deps/`.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace first (`cargo build --workspace`; `cargo nextest run --workspace` does it)",
        path.display()
    );
    path
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A running `dentismile up`.
pub struct System {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub gateway: String,
    /// `mqtt://127.0.0.1:PORT`.
    pub mqtt: String,
    /// Data directory and logs; removed on drop.
    pub dir: TempDir,
}

impl System {
    /// Starts it and waits for the line `gateway: http://...`.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mqtt_port = free_port();
        let log = File::create(dir.path().join("dentismile-up.log")).expect("a log file");
        let mut child = Command::new(binary("dentismile"))
            .arg("up")
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--gateway-addr", "127.0.0.1:0"])
            .arg("--mqtt-addr")
            .arg(format!("127.0.0.1:{mqtt_port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("dentismile up starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (lines, received) = mpsc::channel();
        // Reads every line for as long as the process lives, so its stdout never fills up.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut seen = Vec::new();
        let gateway = loop {
            match received.recv_timeout(START_TIMEOUT) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("gateway: ") {
                        break url.trim().to_string();
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "dentismile up printed no gateway line; it said:\n{}",
                        seen.join("\n")
                    );
                }
            }
        };
        Self {
            child,
            gateway,
            mqtt: format!("mqtt://127.0.0.1:{mqtt_port}"),
            dir,
        }
    }
}

impl Drop for System {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
