//! A slot booked by another patient disappears from an open week view within a second: the
//! booker's own driver (the same wiring the terminal runs), live over MQTT, and over the
//! gateway's stream when no broker answers.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use dentismile_client::{Broker, Client, Connection, LiveUpdate};
use dentismile_domain::jiff::{SignedDuration, Timestamp};
use dentismile_tui_patient::{
    Action, App,
    app::{Pane, Screen, Slot},
    runtime::Driver,
};
use ratatui::{Terminal, backend::TestBackend};

use crate::system::{TestSystem, free_port, spawn_system};

/// Runs the driver until `done` holds, failing after `timeout`.
async fn run_until(
    driver: &mut Driver,
    what: &str,
    timeout: Duration,
    done: impl Fn(&App) -> bool,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !done(&driver.app) {
        let action = tokio::time::timeout_at(deadline, driver.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no {what} within {timeout:?}; status: {:?}",
                    driver.app.status
                )
            });
        driver.dispatch(action);
    }
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    format!("{}", terminal.backend())
}

fn still_offered(app: &App, slot: &Slot) -> bool {
    app.week
        .slots
        .get(&slot.key())
        .is_some_and(|s| s.bookable(app.now))
}

/// Signed in as Anna with Haga's week open, listed and live via a connection `expected` takes.
async fn live_week(
    system: &TestSystem,
    broker: Broker,
    expected: fn(&Connection) -> bool,
) -> Driver {
    let client = Client::new(&system.gateway).unwrap();
    let mut driver = Driver::new(
        App::new(Timestamp::now(), PathBuf::from(system.dir.path())),
        client,
        Some(broker),
    );
    driver.dispatch(Action::Resize {
        width: 80,
        height: 24,
    });
    driver.dispatch(Action::Started);
    driver.app.sign_in.email = "anna@patients.dentismile.test".into();
    driver.app.sign_in.password = "smile-anna-2026".into();
    driver.dispatch(Action::Activate);
    run_until(
        &mut driver,
        "sign-in and clinics",
        Duration::from_secs(15),
        |app| app.screen == Screen::Main && !app.clinics.is_empty(),
    )
    .await;

    // Open Haga's week, as Enter on the list does.
    driver.app.clinic_cursor.selected = driver
        .app
        .clinics
        .iter()
        .position(|c| c.id == "haga-tandlakare")
        .unwrap();
    driver.dispatch(Action::Activate);
    run_until(
        &mut driver,
        "a live, listed week",
        Duration::from_secs(20),
        |app| {
            app.pane == Pane::Week
                && !app.week.loading()
                && !app.week.slots.is_empty()
                && app.live.as_ref().is_some_and(expected)
        },
    )
    .await;
    driver
}

/// Another patient books a free slot of the open week; it leaves the view within a second.
async fn booked_elsewhere_disappears(driver: &mut Driver, system: &TestSystem) {
    // A slot well ahead, so it is bookable whatever the time of day.
    driver.dispatch(Action::Tick(Timestamp::now()));
    let horizon = driver.app.now + SignedDuration::from_hours(2);
    let slot = driver
        .app
        .week
        .slots
        .values()
        .find(|s| s.bookable(horizon))
        .expect("a free slot this week")
        .clone();
    assert!(still_offered(&driver.app, &slot));
    driver.app.week.cursor_day = driver.app.week.first_day.days_until(slot.day) as usize;
    driver.app.week.cursor_minute = slot.minute;
    let dentist = driver
        .app
        .dentist_name(&slot.clinic_id, &slot.dentist_id)
        .to_string();
    let before = screen(&driver.app);
    assert!(
        before.contains(&dentist),
        "the open week offers it:\n{before}"
    );

    // Someone else books it.
    let other = Client::new(&system.gateway).unwrap();
    other
        .login("lars@patients.dentismile.test", "smile-lars-2026")
        .await
        .unwrap();
    let started = Instant::now();
    let slot_ref = slot.slot_ref();
    let booking = tokio::spawn(async move { other.book(&slot_ref, "").await });
    run_until(
        driver,
        "the slot to disappear",
        Duration::from_secs(5),
        |app| !still_offered(app, &slot),
    )
    .await;
    let took = started.elapsed();
    booking.await.unwrap().expect("the other patient's booking");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    let after = screen(&driver.app);
    let detail = after
        .lines()
        .find(|l| l.contains(" — "))
        .unwrap_or_default()
        .to_string();
    assert!(
        !detail.contains(&dentist) || detail.contains("nothing free"),
        "{after}"
    );
    eprintln!("gone from the open week {took:?} after the other booking started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_booked_by_another_patient_disappears_within_a_second_over_mqtt() {
    let system = spawn_system();
    let broker = Broker::parse(&system.mqtt).unwrap();
    let mut driver = live_week(&system, broker, |c| matches!(c, Connection::Mqtt(_))).await;
    booked_elsewhere_disappears(&mut driver, &system).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_week_stays_on_the_same_mqtt_session_and_its_bookings_arrive() {
    let system = spawn_system();
    let broker = Broker::parse(&system.mqtt).unwrap();
    let mut driver = live_week(&system, broker, |c| matches!(c, Connection::Mqtt(_))).await;
    driver.dispatch(Action::NextWeek);
    // The feed takes the new days in place: a resync, and the week listed after it, with no
    // new connection on the way.
    let mut updates = Vec::new();
    let mut resynced = false;
    while !resynced || driver.app.week.loading() {
        let action = tokio::time::timeout(Duration::from_secs(15), driver.next())
            .await
            .unwrap_or_else(|_| panic!("no resync and listing; updates: {updates:?}"));
        if let Action::Live(update) = &action {
            resynced |= *update == LiveUpdate::Resync;
            updates.push(update.clone());
        }
        driver.dispatch(action);
    }
    assert!(
        !updates
            .iter()
            .any(|u| matches!(u, LiveUpdate::Connection(_))),
        "the session was not replaced: {updates:?}"
    );
    assert!(matches!(driver.app.live, Some(Connection::Mqtt(_))));
    booked_elsewhere_disappears(&mut driver, &system).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_broker_the_gateway_stream_carries_it_within_a_second() {
    let system = spawn_system();
    // Nothing listens there: the feed falls back to the gateway's WatchSlots stream.
    let broker = Broker::parse(&format!("mqtt://127.0.0.1:{}", free_port())).unwrap();
    let mut driver = live_week(&system, broker, |c| *c == Connection::Grpc).await;
    booked_elsewhere_disappears(&mut driver, &system).await;
}
