//! `spawn_system()`: the `dentismile` binary running `up` on a temporary data directory, its
//! gateway on port 0 and its embedded broker on a free port, stopped when dropped.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// How long `dentismile up` may take to print its gateway line (a debug build seeding demo
/// data on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(90);

pub struct TestSystem {
    child: Child,
    /// `http://127.0.0.1:port`.
    pub gateway: String,
    /// `mqtt://127.0.0.1:port`.
    pub mqtt: String,
    /// A directory that lives as long as the system, for the test's own files.
    pub dir: tempfile::TempDir,
}

impl Drop for TestSystem {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A binary of the workspace, next to this test's executable (`target/<profile>/deps/..`).
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (`cargo build --workspace`, which \
         `cargo nextest run --workspace` does)",
        path.display()
    );
    path
}

pub fn spawn_system() -> TestSystem {
    let dir = tempfile::tempdir().unwrap();
    let mqtt_port = free_port();
    let stderr = std::fs::File::create(dir.path().join("dentismile.log")).unwrap();
    let mut child = Command::new(workspace_binary("dentismile"))
        .args(["up", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["--gateway-addr", "127.0.0.1:0", "--mqtt-addr"])
        .arg(format!("127.0.0.1:{mqtt_port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("dentismile starts");
    let stdout = child.stdout.take().unwrap();
    let (lines, found) = mpsc::channel();
    // Keeps reading after the gateway line so the pipe never fills.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(url) = line.strip_prefix("gateway: ") {
                let _ = lines.send(url.to_string());
            }
        }
    });
    let gateway = match found.recv_timeout(START_TIMEOUT) {
        Ok(url) => url,
        Err(_) => {
            let _ = child.kill();
            let log =
                std::fs::read_to_string(dir.path().join("dentismile.log")).unwrap_or_default();
            panic!("dentismile up printed no gateway line within {START_TIMEOUT:?}:\n{log}");
        }
    };
    TestSystem {
        child,
        gateway,
        mqtt: format!("mqtt://127.0.0.1:{mqtt_port}"),
        dir,
    }
}
