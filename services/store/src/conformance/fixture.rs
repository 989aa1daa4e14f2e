//! A clinic with two dentists, a stopped clock, and helpers to make slots and patients.

use std::sync::Arc;

use async_trait::async_trait;
use dentismile_domain::{
    actor::Actor,
    booking::BookingPolicy,
    clinic::{Clinic, Dentist, GeoPoint, OpeningHours},
    event::{EventCursor, SlotEventKind, StoredEvent},
    ids::{AppointmentId, ClinicId, DentistId, IdempotencyKey, UserId},
    jiff::{SignedDuration, Timestamp, civil::Weekday},
    ports::{BookOutcome, BookSlot, PublishOutcome, PublishSlots, SlotQuery, Store},
    scheduler::Scheduler,
    slot::{NewSlot, PartitionKey, Slot, SlotKey},
    text::{Address, DisplayName},
    time::{LocalDay, LocalTime, LocalTimeRange, ManualClock},
};

/// Makes a fresh, empty, migrated store per test.
#[async_trait]
pub trait StoreFactory: Send + Sync {
    /// A store for the test `name`, or `None` (after printing why) when the backend cannot run.
    async fn fresh(&self, name: &str) -> Option<Arc<dyn Store>>;
}

/// "Now" for every case: Tuesday 24 November 2026, 07:00 in Stockholm.
pub const NOW: &str = "2026-11-24T06:00:00Z";

/// A seeded store.
pub struct Fixture {
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// The scheduling core over it.
    pub scheduler: Scheduler,
    /// The scheduler's clock, stopped at [`NOW`].
    pub clock: Arc<ManualClock>,
    /// The clinic `conformance-clinic`, open every day 07:00-20:00.
    pub clinic: Clinic,
    /// Its dentists `dr-a` and `dr-b`.
    pub dentists: Vec<Dentist>,
}

impl Fixture {
    /// Seeds the clinic and its dentists into `store`.
    pub async fn seed(store: Arc<dyn Store>) -> Self {
        let clinic = clinic("conformance-clinic");
        store.upsert_clinic(&clinic).await.unwrap();
        let mut dentists = Vec::new();
        for (id, name) in [("dr-a", "Dr Astrid Andersson"), ("dr-b", "Dr Bo Berg")] {
            let dentist = Dentist {
                clinic_id: clinic.id.clone(),
                id: DentistId::parse(id).unwrap(),
                name: DisplayName::parse(name).unwrap(),
            };
            store.upsert_dentist(&dentist).await.unwrap();
            dentists.push(dentist);
        }
        let clock = Arc::new(ManualClock::new(now()));
        let scheduler = Scheduler::new(store.clone(), clock.clone(), BookingPolicy::default());
        Self {
            store,
            scheduler,
            clock,
            clinic,
            dentists,
        }
    }

    /// A dentist id of the clinic (`a` or `b`).
    pub fn dentist(&self, which: char) -> DentistId {
        DentistId::parse(&format!("dr-{which}")).unwrap()
    }

    /// Staff of the clinic.
    pub fn staff(&self) -> Actor {
        Actor::Staff {
            id: UserId::random(),
            clinic_id: self.clinic.id.clone(),
            dentist_id: Some(self.dentist('a')),
        }
    }

    /// `count` back-to-back slots of `minutes` for `dentist`, `days_ahead` days after today,
    /// from `first` local time.
    pub fn slots(
        &self,
        dentist: char,
        days_ahead: i32,
        first: &str,
        minutes: i64,
        count: usize,
    ) -> Vec<NewSlot> {
        let day = today().plus_days(days_ahead);
        let mut start = day.at(LocalTime::parse(first).unwrap());
        (0..count)
            .map(|_| {
                let end = start + SignedDuration::from_mins(minutes);
                let slot = NewSlot::new(self.clinic.id.clone(), self.dentist(dentist), start, end)
                    .unwrap();
                start = end;
                slot
            })
            .collect()
    }

    /// Publishes slots through the port (one batch per partition) and returns them as stored.
    pub async fn publish(&self, slots: Vec<NewSlot>) -> Vec<Slot> {
        let mut published = Vec::new();
        for batch in PublishSlots::by_partition(slots, now()) {
            match self.store.publish(&batch).await.unwrap() {
                PublishOutcome::Applied { published: new, .. } => published.extend(new),
                PublishOutcome::Conflict(conflict) => panic!("unexpected conflict {conflict:?}"),
            }
        }
        published
    }

    /// A booking command for a new patient with a fresh key.
    pub fn booking(&self, slot: &SlotKey, patient: UserId) -> BookSlot {
        book_command(slot, patient, &format!("key-{}", AppointmentId::random()))
    }

    /// Books through the port and expects it to book.
    pub async fn book(
        &self,
        slot: &SlotKey,
        patient: UserId,
    ) -> dentismile_domain::booking::Appointment {
        match self.store.book(&self.booking(slot, patient)).await.unwrap() {
            BookOutcome::Booked(appointment) => appointment,
            other => panic!("expected a booking, got {other:?}"),
        }
    }

    /// Every event in the store.
    pub async fn all_events(&self) -> Vec<StoredEvent> {
        all_events(self.store.as_ref()).await
    }

    /// Every slot of the clinic on the day `days_ahead` days after today.
    pub async fn day_slots(&self, days_ahead: i32) -> Vec<Slot> {
        let query = SlotQuery {
            partition: PartitionKey {
                clinic_id: self.clinic.id.clone(),
                day: today().plus_days(days_ahead),
            },
            dentist_id: None,
            only_free: false,
            after: None,
            limit: 10_000,
        };
        self.store.slots(&query).await.unwrap()
    }
}

/// A booking command.
pub fn book_command(slot: &SlotKey, patient: UserId, key: &str) -> BookSlot {
    BookSlot {
        appointment_id: AppointmentId::random(),
        slot: slot.clone(),
        patient_id: patient,
        patient_name: DisplayName::parse("Pat Patient").unwrap(),
        reason: None,
        idempotency_key: IdempotencyKey::parse(key).unwrap(),
        at: now(),
        key_expires_at: now() + SignedDuration::from_hours(24 * 7),
    }
}

/// A patient actor.
pub fn patient(name: &str) -> Actor {
    Actor::Patient {
        id: UserId::random(),
        name: DisplayName::parse(name).unwrap(),
    }
}

/// A clinic open every day 07:00-20:00.
pub fn clinic(id: &str) -> Clinic {
    let hours = LocalTimeRange::parse("07:00", "20:00").unwrap();
    let days = (0..7).map(|offset| (Weekday::from_monday_zero_offset(offset).unwrap(), hours));
    Clinic {
        id: ClinicId::parse(id).unwrap(),
        name: DisplayName::parse("Conformance Tandvård").unwrap(),
        neighbourhood: DisplayName::parse("Haga").unwrap(),
        address: Address::parse("Haga Nygata 1, 413 01 Göteborg").unwrap(),
        location: GeoPoint::new(57.6985, 11.9559).unwrap(),
        opening_hours: OpeningHours::from_days(days).unwrap(),
    }
}

/// [`NOW`] as an instant.
pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// The local day of [`NOW`].
pub fn today() -> LocalDay {
    LocalDay::of(now())
}

/// Every event of a store, read in pages of 1000.
pub async fn all_events(store: &dyn Store) -> Vec<StoredEvent> {
    let mut events: Vec<StoredEvent> = Vec::new();
    loop {
        let cursor = events
            .last()
            .map_or_else(EventCursor::beginning, |e| e.cursor.clone());
        let page = store.events_after(&cursor, 1000).await.unwrap();
        if page.is_empty() {
            return events;
        }
        events.extend(page);
    }
}

/// The kinds of the events of one slot, in order.
pub fn kinds_of(events: &[StoredEvent], slot: &SlotKey) -> Vec<SlotEventKind> {
    events
        .iter()
        .filter(|e| &e.event.slot == slot)
        .map(|e| e.event.kind)
        .collect()
}
