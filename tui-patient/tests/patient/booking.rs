//! A patient's whole visit in a real terminal: sign in, book a slot a week ahead, find it under
//! my appointments, cancel it, quit.

use std::time::Duration;

use crate::{system::spawn_system, tmux::Tmux};

/// The line of a dialog or list that holds `needle`, without the borders.
fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with '{needle}' in\n{screen}"))
        .trim_matches(|c: char| c == '│' || c.is_whitespace())
}

#[test]
fn sign_in_book_find_it_and_cancel_it_in_a_real_terminal() {
    let system = spawn_system();
    let log_file = system.dir.path().join("patient.log");
    let args = vec![
        "--gateway".to_string(),
        system.gateway.clone(),
        "--mqtt".into(),
        system.mqtt.clone(),
        "--log-file".into(),
        log_file.display().to_string(),
        "--export-dir".into(),
        system.dir.path().join("export").display().to_string(),
    ];
    let program = std::path::PathBuf::from(env!("CARGO_BIN_EXE_dentismile-patient"));
    // The smallest size the booker supports.
    let tmux = Tmux::start(system.dir.path(), 80, 24, &program, &args);

    // Sign in as a demo patient; the password is never on screen.
    tmux.wait_for("Sign in");
    tmux.type_text("anna@patients.dentismile.test");
    tmux.keys(&["Tab"]);
    tmux.type_text("smile-anna-2026");
    let screen = tmux.wait_for("•••••••••••••••");
    assert!(!screen.contains("smile-anna-2026"), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Signed in as Anna Andersson");
    tmux.wait_for("Haga Tandläkare");

    // Haga is the third clinic by id; open its week, then the next week (more than 24 hours
    // ahead, so the booking may be cancelled). The cursor lands on its first free slot.
    tmux.keys(&["j", "j"]);
    tmux.wait_until("Haga selected", Duration::from_secs(5), |s| {
        s.contains("▶ C Haga Tandläkare")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_until("this week's free slots", Duration::from_secs(15), |s| {
        s.contains("Haga Tandläkare · ") && s.contains("— free:") && !s.contains("listing…")
    });
    let this_week = line_with(&tmux.screen(), "Haga Tandläkare · ").to_string();
    tmux.keys(&["]"]);
    tmux.wait_until("next week's free slots", Duration::from_secs(15), |s| {
        !s.contains(&this_week) && s.contains("— free:") && !s.contains("listing…")
    });

    // Book it.
    tmux.keys(&["Enter"]);
    tmux.wait_for("Book this appointment?");
    tmux.type_text("check-up");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("BOOKED");
    // The dialog sits over the week, so cut the line to the dialog's own text.
    let line = line_with(&screen, "(Gothenburg time)");
    let when = line[..line.find("(Gothenburg time)").unwrap()]
        .rsplit('│')
        .next()
        .unwrap()
        .trim()
        .to_string();
    assert!(when.contains('–'), "a time span: {when}");

    // It is under my appointments, booked.
    tmux.keys(&["Escape"]);
    tmux.wait_until("the dialog closed", Duration::from_secs(5), |s| {
        !s.contains("BOOKED")
    });
    tmux.keys(&["4"]);
    tmux.wait_until("the appointment listed", Duration::from_secs(15), |s| {
        s.contains("Upcoming (1)") && s.contains(&when)
    });
    assert!(line_with(&tmux.screen(), &when).contains("✔ booked"));

    // Cancel it, with a reason.
    tmux.keys(&["c"]);
    tmux.wait_for("Cancel this appointment?");
    tmux.type_text("plans changed");
    tmux.keys(&["Enter"]);
    tmux.wait_for("✔ Cancelled");
    let screen = tmux.wait_until("the list updated", Duration::from_secs(15), |s| {
        s.contains("Upcoming (0)") && s.contains("Past and cancelled (1)")
    });
    assert!(
        line_with(&screen, &when).contains("✘ cancelled"),
        "{screen}"
    );

    // q quits cleanly, and the log went to the file, not the screen.
    tmux.keys(&["q"]);
    // The screen is given back: the shell's line shows on the normal screen.
    let screen = tmux.wait_for("exited with status");
    assert!(screen.contains("exited with status 0"), "{screen}");
    assert!(
        !screen.contains("My appointments"),
        "the alternate screen is gone"
    );
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(log.contains("command=Cancel"), "{log}");
    assert!(!log.contains("smile-anna-2026"), "no password in the log");
}
