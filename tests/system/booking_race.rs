//! 200 patients, each on their own connection, race for 20 slots at once.

use std::{collections::HashMap, sync::Arc};

use dentismile_proto::v1::{self as pb, appointment_service_client::AppointmentServiceClient};
use tokio::sync::Barrier;
use tonic::Code;

use crate::helpers::{
    Options, authed, book_request, booked_events_per_slot, free_slots, later_than, spawn_system,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_clients_race_for_twenty_slots() {
    const CLIENTS: usize = 200;
    const SLOTS: usize = 20;
    let system = Arc::new(spawn_system(Options::default()).await);
    let slots: Vec<pb::Slot> = later_than(free_slots(&system, "vasastan-tandklinik").await, 30)
        .into_iter()
        .take(SLOTS)
        .collect();
    assert_eq!(slots.len(), SLOTS);

    // Sign everyone up first (argon2 is meant to be slow), then race.
    let mut patients = Vec::with_capacity(CLIENTS);
    for index in 0..CLIENTS {
        let session = system.register(&format!("Racer {index}")).await;
        let client = AppointmentServiceClient::new(system.channel().await);
        patients.push((session, client));
    }
    let start = Arc::new(Barrier::new(CLIENTS));
    let slots = Arc::new(slots);
    let mut tasks = Vec::with_capacity(CLIENTS);
    for (index, (session, mut client)) in patients.into_iter().enumerate() {
        let (start, slots) = (start.clone(), slots.clone());
        tasks.push(tokio::spawn(async move {
            let slot = &slots[index % SLOTS];
            start.wait().await;
            let outcome = client
                .book_slot(authed(book_request(slot), &session.access_token))
                .await;
            (index % SLOTS, outcome)
        }));
    }
    let mut winners: HashMap<usize, String> = HashMap::new();
    let mut refused = 0;
    for task in tasks {
        let (slot, outcome) = task.await.unwrap();
        match outcome {
            Ok(response) => {
                let appointment = response.into_inner().appointment.unwrap();
                assert!(
                    winners.insert(slot, appointment.id).is_none(),
                    "slot {slot} booked twice"
                );
            }
            Err(status) => {
                assert!(
                    matches!(
                        status.code(),
                        Code::FailedPrecondition | Code::AlreadyExists
                    ),
                    "a loser must hear the slot is taken, got {status:?}"
                );
                assert!(status.message().contains("booked"), "{}", status.message());
                refused += 1;
            }
        }
    }
    assert_eq!(winners.len(), SLOTS, "every slot has exactly one winner");
    assert_eq!(refused, CLIENTS - SLOTS);

    // The store agrees: each slot booked once, by the winner, with one "booked" event.
    let booked_events = booked_events_per_slot(&*system.running().store).await;
    assert_eq!(booked_events.len(), SLOTS);
    assert!(booked_events.values().all(|count| *count == 1));
    let still_free = free_slots(&system, "vasastan-tandklinik").await;
    for slot in slots.iter() {
        assert!(
            !still_free.iter().any(|s| s.r#ref == slot.r#ref),
            "a won slot still shows free"
        );
    }
}
