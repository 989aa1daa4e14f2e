//! The client library's live feed against a running system: over MQTT, over the gateway's
//! stream when there is no broker, and falling back to the stream when the broker is gone.

use std::time::Duration;

use dentismile_client::{Broker, Client, Connection, LiveFeed, LiveUpdate, Watch, pb};

use crate::helpers::{Mqtt, Options, TestSystem, free_port, free_slots, later_than, spawn_system};

/// Waits for the first update matching `wanted`, failing after 15 s.
async fn expect(
    feed: &mut LiveFeed,
    what: &str,
    wanted: impl Fn(&LiveUpdate) -> bool,
) -> LiveUpdate {
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let update = feed.next().await.expect("the feed runs");
            if wanted(&update) {
                return update;
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no {what} within 15 s"))
}

async fn book_one_and_see_it(
    system: &TestSystem,
    broker: Option<Broker>,
    expected: fn(&Connection) -> bool,
) {
    let client = Client::new(&system.gateway).unwrap();
    client
        .register("live@example.se", "long enough password", "Liv Live")
        .await
        .unwrap();
    let slot = later_than(free_slots(system, "johanneberg-tandklinik").await, 30).remove(0);
    let watch = Watch {
        clinic_id: "johanneberg-tandklinik".into(),
        from_day: slot.day.clone(),
        to_day: slot.day.clone(),
    };
    let mut feed = LiveFeed::start(client.clone(), broker, watch);
    let connected = expect(
        &mut feed,
        "connection",
        |u| matches!(u, LiveUpdate::Connection(c) if c != &Connection::Connecting),
    )
    .await;
    let LiveUpdate::Connection(connection) = connected else {
        unreachable!()
    };
    assert!(expected(&connection), "connected via {connection:?}");
    expect(&mut feed, "resync after connecting", |u| {
        *u == LiveUpdate::Resync
    })
    .await;
    let appointment = client.book(slot.r#ref.as_ref().unwrap(), "").await.unwrap();
    let booked = appointment.slot.and_then(|s| s.r#ref).unwrap();
    let start = booked.start.unwrap().seconds;
    // Older events may come first (a bridge catching up): wait for this booking's.
    let update = expect(&mut feed, "the booking", |u| {
        matches!(u, LiveUpdate::Event(e) if e.kind == pb::SlotEventKind::Booked && e.slot_start.as_second() == start)
    })
    .await;
    let LiveUpdate::Event(event) = update else {
        unreachable!()
    };
    assert_eq!(event.dentist_id, booked.dentist_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_over_mqtt() {
    let port = free_port();
    let system = spawn_system(Options {
        mqtt: Mqtt::Embedded(format!("127.0.0.1:{port}").parse().unwrap()),
        ..Options::default()
    })
    .await;
    let broker = Broker::parse(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    book_one_and_see_it(&system, Some(broker), |c| matches!(c, Connection::Mqtt(_))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_over_the_gateway_stream_without_a_broker() {
    let system = spawn_system(Options::default()).await;
    book_one_and_see_it(&system, None, |c| *c == Connection::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_fall_back_to_the_stream_when_the_broker_is_unreachable() {
    let system = spawn_system(Options::default()).await;
    // Nothing listens on this port.
    let broker = Broker::parse(&format!("mqtt://127.0.0.1:{}", free_port())).unwrap();
    book_one_and_see_it(&system, Some(broker), |c| *c == Connection::Grpc).await;
}
