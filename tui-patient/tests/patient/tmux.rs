//! A real terminal: a tmux server on its own socket, typed into with `send-keys` and read with
//! `capture-pane`. The server is killed when the guard drops, test failure included.

use std::{
    path::Path,
    process::{Command, Output},
    time::{Duration, Instant},
};

pub struct Tmux {
    socket: String,
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

impl Tmux {
    /// Starts `program args` in a `width` x `height` terminal; when it ends, the line
    /// `exited with status N` appears. `dir` holds tmux's config.
    pub fn start(dir: &Path, width: u16, height: u16, program: &Path, args: &[String]) -> Self {
        // A socket of our own in the test's temporary directory: unique, isolated from any
        // other tmux server, and removed with the directory (tmux leaves its socket file).
        let socket = dir.join("tmux.sock").display().to_string();
        // No user config; Escape reaches the program at once.
        let config = dir.join("tmux.conf");
        std::fs::write(&config, "set -g escape-time 0\n").unwrap();
        let tmux = Self { socket };
        let mut command = vec![
            "-f".to_string(),
            config.display().to_string(),
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            "test".into(),
            "-x".into(),
            width.to_string(),
            "-y".into(),
            height.to_string(),
            "--".into(),
            // After the program ends, its exit status is printed on the (restored) screen, and the
            // shell waits for a line: tmux may drop the last output of a pane that closes.
            "sh".into(),
            "-c".into(),
            r#""$0" "$@"; echo "exited with status $?"; read -r _"#.into(),
            program.display().to_string(),
        ];
        command.extend(args.iter().cloned());
        let started = tmux.run_args(&command);
        assert!(
            started.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&started.stderr)
        );
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_args(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    fn run_args(&self, args: &[String]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs (apt-get install tmux)")
    }

    /// Presses keys by tmux name (`Enter`, `Tab`, `Escape`, `j`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "test"];
        args.extend(keys);
        assert!(self.run(&args).status.success());
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", "test", "-l", text])
                .status
                .success()
        );
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "test"]).stdout)
            .into_owned()
    }

    /// Polls the screen until `ready` holds, failing after `timeout` with the last screen.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within {timeout:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Waits until the screen shows `text`.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("'{text}'"), Duration::from_secs(15), |s| {
            s.contains(text)
        })
    }
}
