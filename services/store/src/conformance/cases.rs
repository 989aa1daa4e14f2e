//! The conformance cases. Each takes a factory, gets a fresh store, and checks what a user of
//! the store would rely on.

use std::{collections::HashMap, sync::Arc, time::Duration};

use dentismile_domain::{
    actor::Actor,
    booking::{AppointmentStatus, CancelledBy},
    clinic::Dentist,
    error::{AtField, SchedulingError},
    event::{EventCursor, SlotEventKind},
    ids::{AppointmentId, ClinicId, DentistId, IdempotencyKey, UserId},
    jiff::{SignedDuration, civil::Weekday},
    paging::SlotPageToken,
    plan::{WorkingPlan, WorkingPlanParts},
    ports::{
        BookOutcome, CancelAppointment, CancelOutcome, DentistOutcome, PublishOutcome,
        PublishSlots, StoreError, WithdrawOutcome, WithdrawSlot,
    },
    scheduler::{BookingRequest, SlotListing},
    slot::{NewSlot, SlotState},
    text::{DisplayName, Reason},
    time::{LocalTimeRange, to_local},
};
use tokio::sync::Barrier;

use super::fixture::*;

macro_rules! fresh {
    ($factory:expr, $name:expr) => {
        match $factory.fresh($name).await {
            Some(store) => Fixture::seed(store).await,
            None => return,
        }
    };
}

/// Clinics and dentists read back as written; a dentist of an unknown clinic is refused.
pub async fn directory_round_trips(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "directory_round_trips");
    let stored = fx.store.clinic(&fx.clinic.id).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&fx.clinic));
    assert_eq!(fx.store.dentists(&fx.clinic.id).await.unwrap(), fx.dentists);

    for id in ["b-clinic", "c-clinic", "a-clinic"] {
        fx.store.upsert_clinic(&clinic(id)).await.unwrap();
    }
    let first = fx.store.clinics(None, 2).await.unwrap();
    let ids: Vec<&str> = first.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a-clinic", "b-clinic"]);
    let rest = fx.store.clinics(Some(&first[1].id), 10).await.unwrap();
    let ids: Vec<&str> = rest.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c-clinic", "conformance-clinic"]);

    // Renaming keeps one dentist; an unknown clinic is refused and stores nothing.
    let renamed = Dentist {
        name: DisplayName::parse("Dr Astrid Ek").unwrap(),
        ..fx.dentists[0].clone()
    };
    assert_eq!(
        fx.store.upsert_dentist(&renamed).await.unwrap(),
        DentistOutcome::Saved
    );
    let dentists = fx.store.dentists(&fx.clinic.id).await.unwrap();
    assert_eq!(dentists.len(), 2);
    assert_eq!(dentists[0].name.as_str(), "Dr Astrid Ek");
    let orphan = Dentist {
        clinic_id: ClinicId::parse("no-such-clinic").unwrap(),
        ..fx.dentists[0].clone()
    };
    assert_eq!(
        fx.store.upsert_dentist(&orphan).await.unwrap(),
        DentistOutcome::NoSuchClinic
    );
    assert!(
        fx.store
            .dentists(&orphan.clinic_id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Publishing writes each slot once with one event; publishing again changes nothing; an
/// overlapping batch writes nothing at all.
pub async fn publish_is_atomic_and_idempotent(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "publish_is_atomic_and_idempotent");
    let slots = fx.slots('a', 1, "09:00", 30, 6);
    let published = fx.publish(slots.clone()).await;
    assert_eq!(published.len(), 6);
    assert!(published.iter().all(|s| s.state == SlotState::Free));
    let events = fx.all_events().await;
    assert_eq!(events.len(), 6);
    assert!(
        events
            .iter()
            .all(|e| e.event.kind == SlotEventKind::Published)
    );

    // Again: all unchanged, no events.
    let again = PublishSlots::by_partition(slots.clone(), now());
    match fx.store.publish(&again[0]).await.unwrap() {
        PublishOutcome::Applied {
            published,
            unchanged,
        } => {
            assert!(published.is_empty());
            assert_eq!(unchanged, 6);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fx.all_events().await.len(), 6);

    // A batch of two new slots and one that overlaps 09:00-09:30: nothing written.
    let mut batch = fx.slots('a', 1, "12:00", 30, 2);
    batch.extend(fx.slots('a', 1, "09:15", 30, 1));
    let batch = PublishSlots::by_partition(batch, now());
    match fx.store.publish(&batch[0]).await.unwrap() {
        PublishOutcome::Conflict(conflict) => {
            assert_eq!(conflict.existing.key, slots[0].key().clone());
            assert_eq!(
                conflict.requested.key().start,
                fx.slots('a', 1, "09:15", 30, 1)[0].key().start
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fx.day_slots(1).await.len(), 6);
    assert_eq!(fx.all_events().await.len(), 6);

    // Another dentist may work at the same time.
    assert_eq!(fx.publish(fx.slots('b', 1, "09:15", 30, 1)).await.len(), 1);
}

/// 64 patients race for each of 50 slots: exactly one booking per slot, every loser sees a
/// conflict carrying the winner's booking, and the outbox holds one "booked" event per slot.
pub async fn concurrent_bookings_have_one_winner_per_slot(factory: &dyn StoreFactory) {
    const PATIENTS: usize = 64;
    const SLOTS: usize = 50;
    let fx = fresh!(factory, "concurrent_bookings_have_one_winner_per_slot");
    let slots: Vec<_> = fx
        .publish(fx.slots('a', 1, "07:00", 10, SLOTS))
        .await
        .into_iter()
        .map(|slot| slot.key)
        .collect();
    let slots = Arc::new(slots);
    let fx = Arc::new(fx);
    let start = Arc::new(Barrier::new(PATIENTS));
    let mut tasks = Vec::new();
    for task in 0..PATIENTS {
        let (fx, slots, start) = (fx.clone(), slots.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            let patient = UserId::random();
            start.wait().await;
            let mut outcomes = Vec::with_capacity(SLOTS);
            // Each patient walks the slots from a different place, so every slot is contended
            // by many patients at once rather than in one queue.
            for step in 0..SLOTS {
                let index = (task * 7 + step) % SLOTS;
                let outcome = fx
                    .store
                    .book(&fx.booking(&slots[index], patient))
                    .await
                    .unwrap();
                outcomes.push((index, patient, outcome));
            }
            outcomes
        }));
    }
    let mut winners: HashMap<usize, (AppointmentId, UserId)> = HashMap::new();
    let mut conflicts: Vec<(usize, dentismile_domain::slot::Slot)> = Vec::new();
    for task in tasks {
        for (index, patient, outcome) in task.await.unwrap() {
            match outcome {
                BookOutcome::Booked(appointment) => {
                    assert_eq!(appointment.patient_id, patient);
                    let earlier = winners.insert(index, (appointment.id, patient));
                    assert!(earlier.is_none(), "slot {index} was booked twice");
                }
                BookOutcome::Conflict(current) => conflicts.push((index, current)),
                other => panic!("slot {index}: unexpected {other:?}"),
            }
        }
    }
    assert_eq!(winners.len(), SLOTS, "every slot has exactly one winner");
    assert_eq!(conflicts.len(), SLOTS * (PATIENTS - 1));
    for (index, current) in &conflicts {
        let (winner, patient) = winners[index];
        assert_eq!(
            current.state,
            SlotState::Booked {
                appointment_id: winner,
                patient_id: patient
            },
            "a loser of slot {index} must see the winner's booking"
        );
    }
    for (index, slot) in slots.iter().enumerate() {
        let stored = fx.store.slot(slot).await.unwrap().unwrap();
        let (winner, patient) = winners[&index];
        assert_eq!(
            stored.state,
            SlotState::Booked {
                appointment_id: winner,
                patient_id: patient
            }
        );
        let appointment = fx.store.appointment(&winner).await.unwrap().unwrap();
        assert!(appointment.is_booked());
    }
    let events = fx.all_events().await;
    for slot in slots.iter() {
        assert_eq!(
            kinds_of(&events, slot),
            [SlotEventKind::Published, SlotEventKind::Booked],
            "{slot}"
        );
    }
}

/// A retry with the same patient and key returns the original appointment, concurrently or
/// not; never a second booking and never a false "taken". The key does not book another slot.
pub async fn retries_with_the_same_key_return_the_same_appointment(factory: &dyn StoreFactory) {
    let fx = Arc::new(fresh!(
        factory,
        "retries_with_the_same_key_return_the_same_appointment"
    ));
    let slots = fx.publish(fx.slots('a', 2, "10:00", 30, 3)).await;
    let patient = UserId::random();
    let key = "retry-key-0001";

    // Eight identical requests at once, none committed before: one books, seven replay it.
    let start = Arc::new(Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (fx, start, slot) = (fx.clone(), start.clone(), slots[0].key.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            fx.store
                .book(&book_command(&slot, patient, key))
                .await
                .unwrap()
        }));
    }
    let mut booked = Vec::new();
    let mut replayed = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            BookOutcome::Booked(a) => booked.push(a),
            BookOutcome::Replayed(a) => replayed.push(a),
            other => panic!("a retry must never look taken: {other:?}"),
        }
    }
    assert_eq!(booked.len(), 1);
    assert_eq!(replayed.len(), 7);
    assert!(replayed.iter().all(|a| *a == booked[0]));

    // Later, once more: the same appointment.
    match fx
        .store
        .book(&book_command(&slots[0].key, patient, key))
        .await
        .unwrap()
    {
        BookOutcome::Replayed(a) => assert_eq!(a, booked[0]),
        other => panic!("{other:?}"),
    }
    // The same key for another slot is refused, naming the appointment it belongs to.
    match fx
        .store
        .book(&book_command(&slots[1].key, patient, key))
        .await
        .unwrap()
    {
        BookOutcome::KeyReused(a) => assert_eq!(a.id, booked[0].id),
        other => panic!("{other:?}"),
    }
    // Keys are per patient: another patient's identical key books normally.
    assert!(matches!(
        fx.store
            .book(&book_command(&slots[1].key, UserId::random(), key))
            .await
            .unwrap(),
        BookOutcome::Booked(_)
    ));
    let events = fx.all_events().await;
    assert_eq!(
        kinds_of(&events, &slots[0].key),
        [SlotEventKind::Published, SlotEventKind::Booked]
    );

    // Through the scheduler the retry says so.
    let actor = patient_actor(patient);
    let request = BookingRequest {
        slot: slots[0].key.clone(),
        idempotency_key: IdempotencyKey::parse(key).unwrap(),
        reason: None,
    };
    let confirmation = fx.scheduler.book(&actor, request).await.unwrap();
    assert!(confirmation.replayed);
    assert_eq!(confirmation.appointment.id, booked[0].id);
}

/// Cancelling frees the slot for someone else; the slot's events read published, booked,
/// released, booked, with consecutive sequence numbers in the partition.
pub async fn cancelled_slot_can_be_booked_again(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "cancelled_slot_can_be_booked_again");
    let slot = fx.publish(fx.slots('b', 3, "14:00", 45, 1)).await.remove(0);
    let first = fx.book(&slot.key, UserId::random()).await;
    let cancel = CancelAppointment {
        appointment_id: first.id,
        slot: slot.key.clone(),
        by: CancelledBy::Patient,
        reason: Some(Reason::parse("feeling better").unwrap()),
        at: now(),
    };
    let cancelled = match fx.store.cancel(&cancel).await.unwrap() {
        CancelOutcome::Cancelled(a) => a,
        other => panic!("{other:?}"),
    };
    assert!(
        matches!(cancelled.status, AppointmentStatus::Cancelled(ref c) if c.by == CancelledBy::Patient)
    );
    // Cancelling again changes nothing.
    assert!(matches!(
        fx.store.cancel(&cancel).await.unwrap(),
        CancelOutcome::AlreadyCancelled(_)
    ));
    assert_eq!(
        fx.store.slot(&slot.key).await.unwrap().unwrap().state,
        SlotState::Free
    );

    let second = fx.book(&slot.key, UserId::random()).await;
    assert_ne!(second.id, first.id);
    assert_eq!(
        fx.store
            .appointment(&first.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        cancelled.status
    );

    let events = fx.all_events().await;
    assert_eq!(
        kinds_of(&events, &slot.key),
        [
            SlotEventKind::Published,
            SlotEventKind::Booked,
            SlotEventKind::Released,
            SlotEventKind::Booked
        ]
    );
    let seqs: Vec<u64> = events
        .iter()
        .filter(|e| e.event.slot.partition() == slot.key.partition())
        .map(|e| e.event.seq)
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
}

/// "Upcoming" lists a patient's booked appointments page by page; cancelled ones in between
/// neither show nor cut the paging short.
pub async fn upcoming_appointments_page_past_cancelled_ones(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "upcoming_appointments_page_past_cancelled_ones");
    let actor = patient("Pat Pager");
    let Actor::Patient { id: patient_id, .. } = &actor else {
        unreachable!()
    };
    let slots = fx.publish(fx.slots('a', 2, "09:00", 30, 6)).await;
    let mut booked = Vec::new();
    for slot in &slots {
        booked.push(fx.book(&slot.key, *patient_id).await);
    }
    for cancelled in &booked[1..4] {
        let outcome = fx
            .store
            .cancel(&CancelAppointment {
                appointment_id: cancelled.id,
                slot: cancelled.slot.clone(),
                by: CancelledBy::Patient,
                reason: None,
                at: now(),
            })
            .await
            .unwrap();
        assert!(
            matches!(outcome, CancelOutcome::Cancelled(_)),
            "{outcome:?}"
        );
    }
    let list_all = |upcoming_only: bool| {
        let (scheduler, actor) = (&fx.scheduler, &actor);
        async move {
            let mut ids = Vec::new();
            let mut token = None;
            loop {
                let page = scheduler
                    .my_appointments(actor, upcoming_only, 2, token)
                    .await
                    .unwrap();
                ids.extend(page.appointments.iter().map(|a| a.id));
                match page.next {
                    Some(next) => token = Some(next),
                    None => return ids,
                }
            }
        }
    };
    let still_booked: Vec<AppointmentId> = [&booked[0], &booked[4], &booked[5]]
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(list_all(true).await, still_booked);
    let everything: Vec<AppointmentId> = booked.iter().map(|a| a.id).collect();
    assert_eq!(list_all(false).await, everything);
}

/// Only a free slot can be withdrawn; withdrawn slots cannot be booked and come back when
/// published again.
pub async fn only_free_slots_can_be_withdrawn(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "only_free_slots_can_be_withdrawn");
    let slots = fx.publish(fx.slots('a', 1, "08:00", 30, 2)).await;
    let withdraw = |slot: &dentismile_domain::slot::Slot| WithdrawSlot {
        slot: slot.key.clone(),
        at: now(),
    };
    assert!(matches!(
        fx.store.withdraw(&withdraw(&slots[0])).await.unwrap(),
        WithdrawOutcome::Withdrawn(ref s) if s.state == SlotState::Withdrawn
    ));
    assert!(matches!(
        fx.store.withdraw(&withdraw(&slots[0])).await.unwrap(),
        WithdrawOutcome::AlreadyWithdrawn(_)
    ));
    assert!(matches!(
        fx.store.book(&fx.booking(&slots[0].key, UserId::random())).await.unwrap(),
        BookOutcome::Conflict(ref s) if s.state == SlotState::Withdrawn
    ));
    fx.book(&slots[1].key, UserId::random()).await;
    assert!(matches!(
        fx.store.withdraw(&withdraw(&slots[1])).await.unwrap(),
        WithdrawOutcome::Conflict(_)
    ));
    // Published again, 10 minutes shorter: free again with the new end.
    let shorter = NewSlot::new(
        slots[0].key.clinic_id.clone(),
        slots[0].key.dentist_id.clone(),
        slots[0].key.start,
        slots[0].end - SignedDuration::from_mins(10),
    )
    .unwrap();
    let revived = fx.publish(vec![shorter.clone()]).await;
    assert_eq!(revived[0].end, shorter.end());
    let missing = fx.slots('a', 9, "08:00", 30, 1).remove(0);
    assert!(matches!(
        fx.store
            .withdraw(&WithdrawSlot {
                slot: missing.key().clone(),
                at: now()
            })
            .await
            .unwrap(),
        WithdrawOutcome::NoSuchSlot
    ));
    let events = fx.all_events().await;
    assert_eq!(
        kinds_of(&events, &slots[0].key),
        [
            SlotEventKind::Published,
            SlotEventKind::Withdrawn,
            SlotEventKind::Published
        ]
    );
}

/// Reading the outbox page by page from cursors yields every event once, in order; a cursor
/// that is not this store's is refused.
pub async fn event_cursor_resumes_without_gaps_or_repeats(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "event_cursor_resumes_without_gaps_or_repeats");
    let slots = fx.publish(fx.slots('a', 1, "07:00", 15, 20)).await;
    for slot in &slots[..10] {
        fx.book(&slot.key, UserId::random()).await;
    }
    let everything = fx.all_events().await;
    assert_eq!(everything.len(), 30);
    let mut cursor = EventCursor::beginning();
    let mut paged = Vec::new();
    loop {
        let page = fx.store.events_after(&cursor, 7).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = last.cursor.clone();
        paged.extend(page);
    }
    assert_eq!(paged, everything);
    let ids: std::collections::HashSet<_> = paged.iter().map(|e| e.event.event_id).collect();
    assert_eq!(ids.len(), paged.len(), "event ids are unique");
    // Resuming from the middle continues right after it.
    let resumed = fx
        .store
        .events_after(&everything[11].cursor, 5)
        .await
        .unwrap();
    assert_eq!(resumed, everything[12..17]);
    // Per-partition sequence numbers are consecutive from 1.
    let seqs: Vec<u64> = everything.iter().map(|e| e.event.seq).collect();
    assert_eq!(seqs, (1..=30).collect::<Vec<u64>>());
    let foreign = EventCursor::parse("not-a-cursor-of-this-store").unwrap();
    assert!(matches!(
        fx.store.events_after(&foreign, 10).await,
        Err(StoreError::InvalidCursor(_))
    ));
}

/// A reader waiting at the end of the log wakes when a change commits.
pub async fn event_waiters_wake_on_commit(factory: &dyn StoreFactory) {
    let fx = Arc::new(fresh!(factory, "event_waiters_wake_on_commit"));
    let slot = fx.publish(fx.slots('a', 1, "09:00", 30, 1)).await.remove(0);
    let head = fx.all_events().await.last().unwrap().cursor.clone();
    let waiter = {
        let fx = fx.clone();
        let head = head.clone();
        tokio::spawn(async move {
            // Long enough that only a commit, not the timeout, can end it within the test.
            fx.store
                .wait_for_events(&head, Duration::from_secs(300))
                .await;
            fx.store.events_after(&head, 10).await.unwrap()
        })
    };
    fx.book(&slot.key, UserId::random()).await;
    let woken = tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("the waiter must wake on commit, long before its own timeout")
        .unwrap();
    assert_eq!(woken.len(), 1);
    assert_eq!(woken[0].event.kind, SlotEventKind::Booked);
}

/// Bad input is refused with an error naming the field, and nothing stored changes.
pub async fn bad_input_is_rejected_and_changes_nothing(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "bad_input_is_rejected_and_changes_nothing");
    let existing = fx.publish(fx.slots('a', 1, "09:00", 30, 2)).await;
    let before = (fx.all_events().await, fx.day_slots(1).await);
    let admin = Actor::Admin {
        id: UserId::random(),
    };
    let clinic = fx.clinic.id.clone();
    let dentist = fx.dentist('a');
    let at = |days: i32, time: &str| {
        today()
            .plus_days(days)
            .at(dentismile_domain::time::LocalTime::parse(time).unwrap())
    };

    // Unknown clinic and dentist.
    let unknown = ClinicId::parse("no-such-clinic").unwrap();
    let period = [(at(1, "11:00"), at(1, "11:30"))];
    expect_field(
        fx.scheduler
            .publish_slots(&admin, &unknown, &dentist, &period)
            .await,
        "clinic_id",
    );
    let nobody = DentistId::parse("dr-nobody").unwrap();
    expect_field(
        fx.scheduler
            .publish_slots(&admin, &clinic, &nobody, &period)
            .await,
        "dentist_id",
    );
    // End before start, zero length, in the past, beyond the horizon, outside opening hours,
    // overlapping itself.
    for (periods, field) in [
        (vec![(at(1, "11:00"), at(1, "10:30"))], "slots[0].end"),
        (vec![(at(1, "11:00"), at(1, "11:00"))], "slots[0].end"),
        (
            vec![
                (at(1, "11:00"), at(1, "11:30")),
                (at(-1, "11:00"), at(-1, "11:30")),
            ],
            "slots[1].start",
        ),
        (vec![(at(200, "11:00"), at(200, "11:30"))], "slots[0].start"),
        (vec![(at(1, "06:00"), at(1, "06:30"))], "slots[0].start"),
        (
            vec![
                (at(1, "13:00"), at(1, "14:00")),
                (at(1, "13:30"), at(1, "14:30")),
            ],
            "slots[1]",
        ),
    ] {
        expect_field(
            fx.scheduler
                .publish_slots(&admin, &clinic, &dentist, &periods)
                .await,
            field,
        );
    }
    // No slots at all.
    expect_field(
        fx.scheduler
            .publish_slots(&admin, &clinic, &dentist, &[])
            .await,
        "slots",
    );
    // A slot that overlaps a stored one is a conflict naming the slot.
    match fx
        .scheduler
        .publish_slots(
            &admin,
            &clinic,
            &dentist,
            &[(at(1, "09:15"), at(1, "09:45"))],
        )
        .await
    {
        Err(SchedulingError::Overlap {
            field,
            existing: stored,
        }) => {
            assert_eq!(field, "slots[0]");
            assert_eq!(stored.key, existing[0].key);
        }
        other => panic!("{other:?}"),
    }

    // Plans: breaks that do not fit, a slot length of 0, days in the past.
    let plan = |breaks: Vec<LocalTimeRange>, slot_minutes: u32, first: i32| {
        WorkingPlan::new(WorkingPlanParts {
            clinic_id: clinic.clone(),
            dentist_id: dentist.clone(),
            weekdays: vec![Weekday::Monday, Weekday::Thursday],
            hours: LocalTimeRange::parse("08:00", "16:00").unwrap(),
            breaks,
            slot_minutes,
            first_day: today().plus_days(first),
            last_day: today().plus_days(first + 13),
        })
        .at_field("plan")
    };
    let outside = vec![LocalTimeRange::parse("15:30", "16:30").unwrap()];
    assert_eq!(plan(outside, 30, 1).unwrap_err().field(), "plan.breaks[0]");
    assert_eq!(plan(vec![], 0, 1).unwrap_err().field(), "plan.slot_minutes");
    let past = plan(vec![], 30, -7).unwrap();
    expect_field(
        fx.scheduler.publish_plan(&admin, &past).await,
        "plan.first_day",
    );

    // Parsing at the boundary: empty ids and overlong text name their field.
    assert_eq!(
        ClinicId::parse("")
            .at_field("clinic_id")
            .unwrap_err()
            .to_string(),
        "clinic_id: must not be empty"
    );
    assert_eq!(
        DentistId::parse("")
            .at_field("slot.dentist_id")
            .unwrap_err()
            .field(),
        "slot.dentist_id"
    );
    assert_eq!(
        Reason::parse(&"x".repeat(501))
            .at_field("reason")
            .unwrap_err()
            .to_string(),
        "reason: must be at most 500 characters, got 501"
    );
    assert_eq!(
        DisplayName::parse(&"n".repeat(101))
            .at_field("display_name")
            .unwrap_err()
            .field(),
        "display_name"
    );

    // Bookings: unknown slot, in the past, by someone who is not a patient.
    let pat = patient("Pat");
    let key = IdempotencyKey::parse("bad-input-key").unwrap();
    let ghost = fx.slots('b', 1, "09:00", 30, 1).remove(0);
    let request = |slot: dentismile_domain::slot::SlotKey| BookingRequest {
        slot,
        idempotency_key: key.clone(),
        reason: None,
    };
    expect_field(
        fx.scheduler.book(&pat, request(ghost.key().clone())).await,
        "slot",
    );
    let yesterday = fx.slots('a', -1, "09:00", 30, 1).remove(0);
    expect_field(
        fx.scheduler
            .book(&pat, request(yesterday.key().clone()))
            .await,
        "slot.start",
    );
    assert!(matches!(
        fx.scheduler
            .book(&admin, request(existing[0].key.clone()))
            .await,
        Err(SchedulingError::PermissionDenied(_))
    ));

    let after = (fx.all_events().await, fx.day_slots(1).await);
    assert_eq!(
        before, after,
        "rejected requests must not change anything stored"
    );
}

/// Slot listings page through days in (day, dentist, start) order; patients' appointments page
/// in start order.
pub async fn listings_page_in_partition_order(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "listings_page_in_partition_order");
    let mut all = Vec::new();
    for days in 1..=3 {
        for dentist in ['b', 'a'] {
            all.extend(fx.publish(fx.slots(dentist, days, "10:00", 20, 6)).await);
        }
    }
    all.sort_by(|x, y| {
        (x.key.day(), &x.key.dentist_id, x.key.start).cmp(&(
            y.key.day(),
            &y.key.dentist_id,
            y.key.start,
        ))
    });
    let listing =
        |token: Option<SlotPageToken>, only_free: bool, dentist: Option<DentistId>| SlotListing {
            clinic_id: fx.clinic.id.clone(),
            from_day: today().plus_days(1),
            to_day: today().plus_days(3),
            dentist_id: dentist,
            only_free,
            page_size: 5,
            page_token: token,
        };
    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let page = fx
            .scheduler
            .list_slots(listing(token, false, None))
            .await
            .unwrap();
        assert!(page.slots.len() <= 5);
        listed.extend(page.slots);
        match page.next {
            Some(next) => token = Some(SlotPageToken::parse(&next.encode()).unwrap().unwrap()),
            None => break,
        }
    }
    assert_eq!(listed, all);

    let patient = patient("Page Patient");
    let Actor::Patient { id: patient_id, .. } = patient.clone() else {
        unreachable!()
    };
    for slot in all.iter().step_by(5) {
        fx.book(&slot.key, patient_id).await;
    }
    let mut free = Vec::new();
    let mut token = None;
    loop {
        let page = fx
            .scheduler
            .list_slots(listing(token, true, Some(fx.dentist('a'))))
            .await
            .unwrap();
        free.extend(page.slots);
        match page.next {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    let expected: Vec<_> = all
        .iter()
        .enumerate()
        .filter(|(i, s)| i % 5 != 0 && s.key.dentist_id == fx.dentist('a'))
        .map(|(_, s)| s.key.clone())
        .collect();
    assert_eq!(
        free.iter().map(|s| s.key.clone()).collect::<Vec<_>>(),
        expected
    );

    let mut mine = Vec::new();
    let mut token = None;
    loop {
        let page = fx
            .scheduler
            .my_appointments(&patient, false, 3, token)
            .await
            .unwrap();
        mine.extend(page.appointments);
        match page.next {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    let mut booked: Vec<_> = all.iter().step_by(5).map(|s| s.key.start).collect();
    booked.sort();
    assert_eq!(
        mine.iter().map(|a| a.slot.start).collect::<Vec<_>>(),
        booked
    );
}

/// Patients cancel their own appointments until the cutoff; staff until the start, with a
/// reason; nobody else at all.
pub async fn cancellation_rules(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "cancellation_rules");
    let slots = fx.publish(fx.slots('a', 2, "09:00", 30, 3)).await;
    let alice = patient("Alice");
    let bob = patient("Bob");
    let book = async |actor: &Actor, index: usize, key: &str| {
        fx.scheduler
            .book(
                actor,
                BookingRequest {
                    slot: slots[index].key.clone(),
                    idempotency_key: IdempotencyKey::parse(key).unwrap(),
                    reason: Some(Reason::parse("check-up").unwrap()),
                },
            )
            .await
    };
    let first = book(&alice, 0, "alice-key-0").await.unwrap().appointment;
    let second = book(&alice, 1, "alice-key-1").await.unwrap().appointment;
    let third = book(&alice, 2, "alice-key-2").await.unwrap().appointment;

    // Someone else's appointment.
    assert!(matches!(
        fx.scheduler.cancel(&bob, &first.id, None).await,
        Err(SchedulingError::PermissionDenied(_))
    ));
    let other_clinic_staff = Actor::Staff {
        id: UserId::random(),
        clinic_id: ClinicId::parse("other-clinic").unwrap(),
        dentist_id: None,
    };
    assert!(matches!(
        fx.scheduler
            .cancel(
                &other_clinic_staff,
                &first.id,
                Some(Reason::parse("x").unwrap())
            )
            .await,
        Err(SchedulingError::PermissionDenied(_))
    ));
    // The patient, in time.
    let cancelled = fx.scheduler.cancel(&alice, &first.id, None).await.unwrap();
    assert!(!cancelled.is_booked());
    // Past the cutoff (24 hours before the start) the patient may not; staff may, with a reason.
    let deadline = fx
        .scheduler
        .policy()
        .patient_cancellation_deadline(second.slot.start);
    fx.clock.set(deadline + SignedDuration::from_mins(1));
    assert!(matches!(
        fx.scheduler.cancel(&alice, &second.id, None).await,
        Err(SchedulingError::CancellationClosed { .. })
    ));
    match fx.scheduler.cancel(&fx.staff(), &second.id, None).await {
        Err(SchedulingError::Invalid(error)) => assert_eq!(error.field(), "reason"),
        other => panic!("{other:?}"),
    }
    let by_staff = fx
        .scheduler
        .cancel(
            &fx.staff(),
            &second.id,
            Some(Reason::parse("dentist ill").unwrap()),
        )
        .await
        .unwrap();
    assert!(
        matches!(by_staff.status, AppointmentStatus::Cancelled(ref c) if c.by == CancelledBy::Clinic)
    );
    // Once started, nobody can.
    fx.clock.set(third.slot.start);
    assert!(matches!(
        fx.scheduler
            .cancel(&fx.staff(), &third.id, Some(Reason::parse("late").unwrap()))
            .await,
        Err(SchedulingError::AppointmentStarted { .. })
    ));
    // Cancelling a cancelled appointment is harmless, even past the cutoff.
    assert_eq!(
        fx.scheduler.cancel(&alice, &first.id, None).await.unwrap(),
        cancelled
    );
}

/// Staff of the clinic see who booked and why; patients and other clinics' staff do not.
pub async fn schedules_show_patients_to_their_clinic_only(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "schedules_show_patients_to_their_clinic_only");
    let slots = fx.publish(fx.slots('a', 1, "09:00", 30, 4)).await;
    let pat = patient("Greta Garbo");
    let confirmation = fx
        .scheduler
        .book(
            &pat,
            BookingRequest {
                slot: slots[1].key.clone(),
                idempotency_key: IdempotencyKey::parse("greta-key-1").unwrap(),
                reason: Some(Reason::parse("toothache").unwrap()),
            },
        )
        .await
        .unwrap();
    let day = today().plus_days(1);
    let entries = fx
        .scheduler
        .schedule(&fx.staff(), &fx.clinic.id, Some(&fx.dentist('a')), day, day)
        .await
        .unwrap();
    assert_eq!(entries.len(), 4);
    let booked: Vec<_> = entries.iter().filter(|e| e.appointment.is_some()).collect();
    assert_eq!(booked.len(), 1);
    let appointment = booked[0].appointment.as_ref().unwrap();
    assert_eq!(appointment.id, confirmation.appointment.id);
    assert_eq!(appointment.patient_name.as_str(), "Greta Garbo");
    assert_eq!(
        appointment.reason.as_ref().map(Reason::as_str),
        Some("toothache")
    );
    for outsider in [
        pat,
        Actor::Staff {
            id: UserId::random(),
            clinic_id: ClinicId::parse("other-clinic").unwrap(),
            dentist_id: None,
        },
    ] {
        assert!(matches!(
            fx.scheduler
                .schedule(&outsider, &fx.clinic.id, None, day, day)
                .await,
            Err(SchedulingError::PermissionDenied(_))
        ));
    }
}

/// A working plan publishes its slots once; publishing it again changes nothing, and a preview
/// lists what a plan would collide with.
pub async fn working_plans_publish_idempotently(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "working_plans_publish_idempotently");
    let plan = WorkingPlan::new(WorkingPlanParts {
        clinic_id: fx.clinic.id.clone(),
        dentist_id: fx.dentist('b'),
        weekdays: vec![Weekday::Monday, Weekday::Wednesday, Weekday::Friday],
        hours: LocalTimeRange::parse("08:00", "12:00").unwrap(),
        breaks: vec![LocalTimeRange::parse("10:00", "10:15").unwrap()],
        slot_minutes: 30,
        first_day: today().plus_days(1),
        last_day: today().plus_days(7),
    })
    .unwrap();
    // Wed, Fri, Mon within the week: 3 days x (4 slots before the break, 3 after).
    let report = fx.scheduler.publish_plan(&fx.staff(), &plan).await.unwrap();
    assert_eq!(report.published.len(), 3 * 7);
    assert!(report.published.iter().all(|s| {
        let local = to_local(s.key.start);
        local.time() >= dentismile_domain::jiff::civil::time(8, 0, 0, 0)
            && !(local.time() >= dentismile_domain::jiff::civil::time(10, 0, 0, 0)
                && local.time() < dentismile_domain::jiff::civil::time(10, 15, 0, 0))
    }));
    let again = fx.scheduler.publish_plan(&fx.staff(), &plan).await.unwrap();
    assert!(again.published.is_empty());
    assert_eq!(again.unchanged, 21);
    assert_eq!(fx.all_events().await.len(), 21);

    // A colleague's plan over an hour already taken by an explicit slot of dr-b.
    let wednesday = today().plus_days(1);
    assert_eq!(wednesday.weekday(), Weekday::Wednesday);
    let moved = WorkingPlan::new(WorkingPlanParts {
        hours: LocalTimeRange::parse("08:15", "12:00").unwrap(),
        ..parts_of(&plan)
    })
    .unwrap();
    let preview = fx
        .scheduler
        .preview_plan(&fx.staff(), &moved)
        .await
        .unwrap();
    assert!(!preview.conflicts.is_empty());
    assert!(matches!(
        fx.scheduler.publish_plan(&fx.staff(), &moved).await,
        Err(SchedulingError::Overlap { .. })
    ));
    // Patients may not publish.
    assert!(matches!(
        fx.scheduler.publish_plan(&patient("P"), &plan).await,
        Err(SchedulingError::PermissionDenied(_))
    ));
}

fn parts_of(plan: &WorkingPlan) -> WorkingPlanParts {
    WorkingPlanParts {
        clinic_id: plan.clinic_id().clone(),
        dentist_id: plan.dentist_id().clone(),
        weekdays: plan.weekdays().collect(),
        hours: plan.hours(),
        breaks: plan.breaks().to_vec(),
        slot_minutes: u32::try_from(plan.slot_minutes()).unwrap(),
        first_day: plan.first_day(),
        last_day: plan.last_day(),
    }
}

/// The earliest free slots come from whichever clinic has them first; booked ones drop out.
pub async fn earliest_free_slots_span_clinics(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "earliest_free_slots_span_clinics");
    let other = clinic("other-clinic");
    fx.store.upsert_clinic(&other).await.unwrap();
    let other_dentist = Dentist {
        clinic_id: other.id.clone(),
        id: DentistId::parse("dr-c").unwrap(),
        name: DisplayName::parse("Dr Carl").unwrap(),
    };
    fx.store.upsert_dentist(&other_dentist).await.unwrap();
    let here = fx.publish(fx.slots('a', 3, "09:00", 30, 2)).await;
    let start = today()
        .plus_days(2)
        .at(dentismile_domain::time::LocalTime::parse("15:00").unwrap());
    let there = NewSlot::new(
        other.id.clone(),
        other_dentist.id.clone(),
        start,
        start + SignedDuration::from_mins(30),
    )
    .unwrap();
    let there = fx.publish(vec![there]).await;

    let earliest = fx.scheduler.earliest_free(None, 2, &[]).await.unwrap();
    assert_eq!(
        earliest.iter().map(|s| s.key.clone()).collect::<Vec<_>>(),
        [there[0].key.clone(), here[0].key.clone()]
    );
    fx.book(&there[0].key, UserId::random()).await;
    let earliest = fx.scheduler.earliest_free(None, 2, &[]).await.unwrap();
    assert_eq!(
        earliest.iter().map(|s| s.key.clone()).collect::<Vec<_>>(),
        [here[0].key.clone(), here[1].key.clone()]
    );
    let only_other = fx
        .scheduler
        .earliest_free(None, 5, std::slice::from_ref(&other.id))
        .await
        .unwrap();
    assert!(only_other.is_empty());
    match fx
        .scheduler
        .earliest_free(None, 5, &[ClinicId::parse("nowhere").unwrap()])
        .await
    {
        Err(SchedulingError::NotFound { field, .. }) => assert_eq!(field, "clinic_ids[0]"),
        other => panic!("{other:?}"),
    }
}

/// Asserts that a use case refused its input, naming `field`.
fn expect_field<T>(result: Result<T, SchedulingError>, field: &str) {
    match result {
        Err(SchedulingError::Invalid(error)) => assert_eq!(error.field(), field, "{error}"),
        Err(SchedulingError::NotFound { field: got, .. }) => assert_eq!(got, field),
        Err(other) => panic!("{field}: unexpected {other}"),
        Ok(_) => panic!("{field}: accepted"),
    }
}

fn patient_actor(id: UserId) -> Actor {
    Actor::Patient {
        id,
        name: DisplayName::parse("Pat Patient").unwrap(),
    }
}

fn account(
    email: &str,
    role: dentismile_domain::accounts::Role,
) -> dentismile_domain::accounts::Account {
    use dentismile_domain::accounts::{Account, Email, PasswordHash, Role};
    let (clinic_id, dentist_id) = match role {
        Role::Dentist => (
            Some(ClinicId::parse("conformance-clinic").unwrap()),
            Some(DentistId::parse("dr-a").unwrap()),
        ),
        Role::ClinicAdmin => (Some(ClinicId::parse("conformance-clinic").unwrap()), None),
        Role::Patient | Role::Admin => (None, None),
    };
    Account {
        id: UserId::random(),
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse("Someone").unwrap(),
        role,
        clinic_id,
        dentist_id,
        password_hash: PasswordHash::from_phc(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_string(),
        ),
        created_at: now(),
    }
}

/// An email belongs to one account, even when many sign up with it at once.
pub async fn accounts_are_unique_by_email(factory: &dyn StoreFactory) {
    use dentismile_domain::accounts::{CreateAccountOutcome, Email, Role};
    let fx = Arc::new(fresh!(factory, "accounts_are_unique_by_email"));
    let dentist = account("dentist@example.se", Role::Dentist);
    assert_eq!(
        fx.store.create_account(&dentist).await.unwrap(),
        CreateAccountOutcome::Created
    );
    assert_eq!(
        fx.store.account(&dentist.id).await.unwrap(),
        Some(dentist.clone())
    );
    let by_email = fx
        .store
        .account_by_email(&Email::parse("Dentist@Example.se").unwrap())
        .await
        .unwrap();
    assert_eq!(by_email, Some(dentist));

    let start = Arc::new(Barrier::new(16));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (fx, start) = (fx.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            let candidate = account("race@example.se", Role::Patient);
            start.wait().await;
            (
                fx.store.create_account(&candidate).await.unwrap(),
                candidate.id,
            )
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (outcome, id) = task.await.unwrap();
        if outcome == CreateAccountOutcome::Created {
            winners.push(id);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one sign-up wins the email");
    let stored = fx
        .store
        .account_by_email(&Email::parse("race@example.se").unwrap())
        .await
        .unwrap();
    assert_eq!(stored.map(|a| a.id), Some(winners[0]));
}

/// Refresh tokens are spent on use; a spent token presented again ends the session; logout
/// ends it too, and ended sessions are listed for verifiers.
pub async fn refresh_tokens_rotate_and_detect_reuse(factory: &dyn StoreFactory) {
    use dentismile_domain::accounts::{
        NewSession, RefreshRotation, RefreshTokenHash, Role, RotateOutcome, SessionId,
    };
    let fx = Arc::new(fresh!(factory, "refresh_tokens_rotate_and_detect_reuse"));
    let patient = account("pat@example.se", Role::Patient);
    fx.store.create_account(&patient).await.unwrap();
    let token = |n: u32| RefreshTokenHash::from_hex(format!("{n:064x}"));
    let day = SignedDuration::from_hours(24);
    let session = SessionId::random();
    fx.store
        .start_session(&NewSession {
            session_id: session,
            user_id: patient.id,
            refresh_token: token(1),
            refresh_expires_at: now() + day,
            at: now(),
        })
        .await
        .unwrap();
    let rotate = |presented: u32, next: u32| RefreshRotation {
        presented: token(presented),
        next: token(next),
        next_expires_at: now() + day,
        at: now(),
    };
    assert_eq!(
        fx.store.rotate_refresh_token(&rotate(1, 2)).await.unwrap(),
        RotateOutcome::Rotated {
            session_id: session,
            user_id: patient.id
        }
    );
    assert_eq!(
        fx.store.rotate_refresh_token(&rotate(2, 3)).await.unwrap(),
        RotateOutcome::Rotated {
            session_id: session,
            user_id: patient.id
        }
    );
    assert!(
        fx.store
            .revoked_sessions_since(now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Token 1 again: a replay. The session ends, and its current token (3) dies with it.
    assert_eq!(
        fx.store.rotate_refresh_token(&rotate(1, 4)).await.unwrap(),
        RotateOutcome::Reused {
            session_id: session
        }
    );
    assert_eq!(
        fx.store.rotate_refresh_token(&rotate(3, 5)).await.unwrap(),
        RotateOutcome::Invalid
    );
    let revoked = fx.store.revoked_sessions_since(now(), 10).await.unwrap();
    assert_eq!(
        revoked.iter().map(|r| r.session_id).collect::<Vec<_>>(),
        [session]
    );
    assert_eq!(
        fx.store
            .rotate_refresh_token(&rotate(99, 100))
            .await
            .unwrap(),
        RotateOutcome::Invalid
    );

    // A second session: concurrent refreshes with one token spend it once; the rest are replays.
    let second = SessionId::random();
    fx.store
        .start_session(&NewSession {
            session_id: second,
            user_id: patient.id,
            refresh_token: token(10),
            refresh_expires_at: now() + day,
            at: now(),
        })
        .await
        .unwrap();
    let start = Arc::new(Barrier::new(6));
    let mut tasks = Vec::new();
    for n in 0..6u32 {
        let (fx, start) = (fx.clone(), start.clone());
        let rotation = rotate(10, 20 + n);
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            fx.store.rotate_refresh_token(&rotation).await.unwrap()
        }));
    }
    let mut rotated = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), RotateOutcome::Rotated { .. }) {
            rotated += 1;
        }
    }
    assert_eq!(rotated, 1);

    // Logout ends a session and is idempotent; an unknown token names none.
    let third = SessionId::random();
    fx.store
        .start_session(&NewSession {
            session_id: third,
            user_id: patient.id,
            refresh_token: token(30),
            refresh_expires_at: now() + day,
            at: now(),
        })
        .await
        .unwrap();
    assert_eq!(
        fx.store.end_session(&token(30), now()).await.unwrap(),
        Some(third)
    );
    assert_eq!(
        fx.store.end_session(&token(30), now()).await.unwrap(),
        Some(third)
    );
    assert_eq!(fx.store.end_session(&token(31), now()).await.unwrap(), None);
    assert_eq!(
        fx.store
            .rotate_refresh_token(&rotate(30, 32))
            .await
            .unwrap(),
        RotateOutcome::Invalid
    );
    let revoked: Vec<_> = fx
        .store
        .revoked_sessions_since(now(), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.session_id)
        .collect();
    assert!(revoked.contains(&third) && revoked.contains(&second) && revoked.contains(&session));

    // An expired token is invalid.
    let fourth = SessionId::random();
    fx.store
        .start_session(&NewSession {
            session_id: fourth,
            user_id: patient.id,
            refresh_token: token(40),
            refresh_expires_at: now() + SignedDuration::from_secs(1),
            at: now(),
        })
        .await
        .unwrap();
    let late = RefreshRotation {
        at: now() + SignedDuration::from_secs(2),
        ..rotate(40, 41)
    };
    assert_eq!(
        fx.store.rotate_refresh_token(&late).await.unwrap(),
        RotateOutcome::Invalid
    );
}

/// The latest cursor is where a reader that wants only new events starts.
pub async fn latest_cursor_skips_to_new_events(factory: &dyn StoreFactory) {
    let fx = fresh!(factory, "latest_cursor_skips_to_new_events");
    assert!(fx.store.latest_cursor().await.unwrap().is_beginning());
    let slots = fx.publish(fx.slots('a', 1, "09:00", 30, 3)).await;
    let latest = fx.store.latest_cursor().await.unwrap();
    assert!(fx.store.events_after(&latest, 10).await.unwrap().is_empty());
    fx.book(&slots[2].key, UserId::random()).await;
    let new = fx.store.events_after(&latest, 10).await.unwrap();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].event.kind, SlotEventKind::Booked);
    assert_eq!(fx.store.latest_cursor().await.unwrap(), new[0].cursor);
}
