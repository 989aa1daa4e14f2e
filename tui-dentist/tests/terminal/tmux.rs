//! The real terminal: `dentismile-dentist` in a tmux pane of 120x40, driven by keystrokes and
//! read back from the screen. A dentist signs in (after one wrong password), publishes a week
//! from a working plan after its preview, sees a patient's booking made through another client
//! appear live with a notification, cancels it with a reason, has a bad `slots.csv` refused
//! with its bad lines, and quits.

use std::{
    path::Path,
    process::{Command, Output},
    time::{Duration, Instant},
};

use dentismile_client::{Client, pb};
use dentismile_domain::{
    jiff::Timestamp,
    time::{LocalDay, LocalTime},
};
use dentismile_tui_dentist::local_time::{day_label, from_wire, week_start};

use crate::{
    slots_file,
    system::{System, binary},
};

/// How long the screen may take to show what a step expects.
const STEP: Duration = Duration::from_secs(20);

/// A tmux server of its own (its own socket), killed when dropped, even when the test fails.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Starts `command` (a shell command line) in a detached session of `width` x `height`.
    fn start(command: &str, width: u16, height: u16) -> Self {
        let tmux = Self {
            socket: format!("dentist-test-{}", std::process::id()),
        };
        let output = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "dentist",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            command,
        ]);
        assert!(
            output.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // Keep the pane after the program ends, so a crash leaves its last screen to read.
        tmux.run(&["set-option", "-t", "dentist", "remain-on-exit", "on"]);
        tmux
    }

    /// Presses keys, in tmux's names (`Enter`, `Tab`, `C-u`, `]`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "dentist"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success(), "send-keys {keys:?}");
        // One key at a time is what a person does; it also keeps the order of events certain.
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", "dentist", "-l", text])
                .status
                .success()
        );
        std::thread::sleep(Duration::from_millis(60));
    }

    /// The screen as text.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "dentist"]).stdout)
            .into_owned()
    }

    /// Waits until the screen shows every one of `needles`, or fails showing the screen.
    fn wait_for(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let screen = self.screen();
            if needles.iter().all(|n| screen.contains(n)) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("the screen never showed {needles:?}; it shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the program has ended.
    fn ended(&self) -> bool {
        let panes = self.run(&["list-panes", "-t", "dentist", "-F", "#{pane_dead}"]);
        !panes.status.success() || String::from_utf8_lossy(&panes.stdout).trim() == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dentist_publishes_a_week_sees_a_booking_arrive_and_cancels_it() {
    let started = Instant::now();
    let system = System::start();
    let log = system.dir.path().join("dentist.log");
    let bad_file = system.dir.path().join("bad-slots.csv");
    std::fs::write(&bad_file, slots_file::good_and_bad().1).unwrap();
    let command = format!(
        "cd {} && exec {} --gateway {} --mqtt {} --log-file {} 2>{}",
        quoted(system.dir.path()),
        quoted(&binary("dentismile-dentist")),
        system.gateway,
        system.mqtt,
        quoted(&log),
        quoted(&system.dir.path().join("dentist.stderr")),
    );
    let tmux = Tmux::start(&command, 120, 40);

    // Sign in; a wrong password is reported on the status line, and nothing crashes.
    tmux.wait_for(&["Sign in with your clinic staff account"]);
    tmux.type_text("dr-lindqvist@majorna-tandvard.dentismile.test");
    tmux.keys(&["Tab"]);
    tmux.type_text("not-my-password");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["Signing in failed"]);
    tmux.keys(&["C-u"]);
    tmux.type_text("dentist-demo-2026");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["Signed in as Dr Astrid Lindqvist", "live: mqtt://"]);

    // Three weeks ahead, past the demo data: an empty week.
    let monday = week_start(LocalDay::of(Timestamp::now()).plus_days(21));
    for _ in 0..3 {
        tmux.keys(&["]"]);
    }
    tmux.wait_for(&[&format!("{} –", day_label(monday)), "no slots"]);

    // Publish it from a working plan: the form starts on the week shown; the slot length is
    // typed; Enter previews, Enter again publishes.
    tmux.keys(&["Tab"]);
    tmux.wait_for(&["Publish availability", &format!("First day    {monday}")]);
    for _ in 0..3 {
        tmux.keys(&["Down"]);
    }
    tmux.keys(&["C-u"]);
    tmux.type_text("30");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["80 new slots on 5 days", "0 conflicts"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["Published 80 new slots", "08:00 ·"]);

    let anna = Client::new(&system.gateway).unwrap();
    anna.login("anna@patients.dentismile.test", "smile-anna-2026")
        .await
        .unwrap();
    let nine = monday.at(LocalTime::parse("09:00").unwrap());
    let free = anna
        .slots(
            slots_file::CLINIC,
            &monday.to_string(),
            &monday.plus_days(6).to_string(),
            Some(slots_file::DENTIST),
            true,
        )
        .await
        .unwrap();
    assert_eq!(free.len(), 80, "the published week, all free");
    let slot = free
        .iter()
        .find(|s| from_wire(s.r#ref.as_ref().and_then(|r| r.start.as_ref())) == Some(nine))
        .expect("the 09:00 slot")
        .clone();

    // Another client books; the booking appears live, with the patient's name once read.
    let appointment = anna
        .book(slot.r#ref.as_ref().unwrap(), "toothache, upper right")
        .await
        .unwrap();
    tmux.wait_for(&[
        "● booked",
        "09:00 ●Anna",
        "Anna Andersson: “toothache, upper right”",
    ]);

    // n shows the slot of the newest notification; c cancels it with a reason.
    tmux.keys(&["n"]);
    tmux.wait_for(&["booked by Anna Andersson: “toothache, upper right”"]);
    tmux.keys(&["c"]);
    tmux.wait_for(&[
        "Cancel the appointment",
        "Why? The patient is told the reason.",
    ]);
    tmux.type_text("the clinic is closed that day");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["Cancelled Anna Andersson's appointment", "09:00 ·"]);
    let mine = anna.my_appointments().await.unwrap();
    let cancelled = mine
        .iter()
        .find(|a| a.id == appointment.id)
        .expect("Anna's appointment");
    assert_eq!(cancelled.status(), pb::AppointmentStatus::Cancelled);
    assert_eq!(cancelled.cancelled_by(), pb::CancelledBy::Clinic);
    assert_eq!(
        cancelled.cancellation_reason,
        "the clinic is closed that day"
    );

    // Tuesday becomes unavailable: its booking cancelled, its free slots withdrawn, in one
    // step after a summary naming the patient.
    let tuesday_ten = monday.plus_days(1).at(LocalTime::parse("10:00").unwrap());
    let tuesday_slot = pb::SlotRef {
        start: Some(dentismile_tui_dentist::local_time::to_wire(tuesday_ten)),
        ..slot.r#ref.clone().unwrap()
    };
    let second = anna.book(&tuesday_slot, "check-up").await.unwrap();
    tmux.wait_for(&["10:00 ●Anna", "Anna Andersson: “check-up”"]);
    tmux.keys(&["Right"]);
    tmux.keys(&["u"]);
    tmux.wait_for(&["Make the day unavailable", "10:00 Anna Andersson"]);
    tmux.type_text("the dentist is on a course");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&[
        "1 appointment cancelled, 16 slots withdrawn; the day is unavailable",
        "10:00 ×",
    ]);
    let mine = anna.my_appointments().await.unwrap();
    let second = mine.iter().find(|a| a.id == second.id).unwrap();
    assert_eq!(second.status(), pb::AppointmentStatus::Cancelled);
    assert_eq!(second.cancellation_reason, "the dentist is on a course");

    // The week on screen is exported in slots.csv's columns.
    tmux.keys(&["e"]);
    tmux.wait_for(&["Export slots.csv"]);
    tmux.keys(&["Enter"]);
    let exported = format!("slots-dr-lindqvist-{monday}-week.csv");
    tmux.wait_for(&[&format!("Wrote 80 slots to {exported}")]);
    let rows = dentismile_client::slots_csv::parse(
        &std::fs::read_to_string(system.dir.path().join(&exported)).unwrap(),
    )
    .unwrap();
    let withdrawn = rows
        .iter()
        .filter(|r| r.status == dentismile_client::slots_csv::RowStatus::Withdrawn)
        .count();
    assert_eq!((rows.len(), withdrawn), (80, 16));

    // A file with bad lines is refused, every bad line listed, nothing changed.
    tmux.keys(&["i"]);
    tmux.wait_for(&["Import slots.csv"]);
    tmux.keys(&["C-u"]);
    tmux.type_text(&bad_file.display().to_string());
    tmux.keys(&["Enter"]);
    tmux.wait_for(&[
        "3 bad lines. Nothing was changed.",
        "line 10",
        "line 200",
        "line 377",
    ]);
    tmux.keys(&["Escape"]);

    tmux.keys(&["q"]);
    let deadline = Instant::now() + STEP;
    while !tmux.ended() {
        assert!(
            Instant::now() < deadline,
            "q did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("signed in"),
        "the log file has the session:\n{logged}"
    );
    let stderr = std::fs::read_to_string(system.dir.path().join("dentist.stderr")).unwrap();
    assert!(
        stderr.is_empty(),
        "nothing written outside the screen: {stderr}"
    );
    eprintln!("tmux test took {:?}", started.elapsed());
}
