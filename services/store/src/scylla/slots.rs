//! Slots and appointments on ScyllaDB.
//!
//! Every change is one lightweight transaction on the slot's clinic-day partition, built the
//! same way: read the partition's version (`event_seq`) and the rows the rule needs, decide
//! with the same rules as the embedded store, then write the change, its appointment row and
//! its event in one conditional batch that holds only `IF event_seq = <read>` (and, for one
//! slot, `IF <its columns> = <read>`). The version check makes the batch compare-and-set over
//! the whole partition, so the decision is applied only to the state it was made on, and the
//! new event gets exactly the next `seq`.
//!
//! When the batch does not apply, ScyllaDB returns the slot as it is now beside `[applied]`;
//! the outcome (taken, a retry of the same booking, only the version moved on) is decided from
//! that row. When the outcome is unknown (a CAS timeout), a `LOCAL_SERIAL` read of the slot
//! settles it before answering: that read completes or supersedes the write in flight, and the
//! row it returns says whether this command's change is there.

use std::{
    cmp::Ordering,
    ops::ControlFlow,
    time::{Duration, SystemTime},
};

use dentismile_domain::{
    booking::{Appointment, AppointmentStatus, Cancellation},
    event::{SlotEvent, SlotEventKind},
    ids::{AppointmentId, DentistId, EventId},
    jiff::{SignedDuration, Timestamp},
    ports::{
        AppointmentQuery, BookOutcome, BookSlot, CancelAppointment, CancelOutcome, PublishOutcome,
        PublishSlots, SlotQuery, StoreError, WithdrawOutcome, WithdrawSlot,
    },
    slot::{
        MAX_SLOT_MINUTES, PartitionKey, PublishStep, Slot, SlotKey, SlotState, reconcile_publish,
    },
};
use scylla::{response::PagingState, value::CqlTimestamp};
use uuid::Uuid;

use super::{
    ScyllaStore,
    cas::CasRow,
    driver_errors::is_unknown_outcome,
    rows::{
        AppointmentRow, ByPatientRow, EventRow, KeyRow, LocationRow, PartitionSeqRow, RowKind,
        SlotRow, StoredSlot, located_key,
    },
    statements::Cql,
    values::{
        Values, bigint, day, from_cql_timestamp, opt_text, stored_instant, text, timestamp, uuid,
    },
};

/// Attempts of one conditional write before giving up. An attempt fails only because another
/// write to the same clinic-day won, so many attempts mean heavy contention for one partition.
const MAX_ATTEMPTS: usize = 200;

/// The longest TTL ScyllaDB accepts (20 years), for idempotency keys.
const MAX_TTL_SECONDS: i64 = 630_720_000;

/// Before every slot start, for "from the beginning" slices.
const MIN_START: CqlTimestamp = CqlTimestamp(i64::MIN);

/// A partition's version and one of its slots, as read or as returned by a CAS.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SlotSnapshot {
    /// The seq of the partition's last event; `None` before its first.
    pub event_seq: Option<i64>,
    /// The slot; `None` when there is no such slot.
    pub slot: Option<StoredSlot>,
}

impl SlotSnapshot {
    /// The snapshot in the reply to `SLOT_CAS`: the row as it was when the condition was
    /// checked, whether or not the write applied.
    pub(crate) fn from_reply(key: &SlotKey, row: &CasRow) -> Result<Self, StoreError> {
        Ok(Self {
            event_seq: row.bigint("event_seq")?,
            slot: row.slot_columns()?.into_slot(key.clone())?,
        })
    }
}

// --- statement values --------------------------------------------------------------------

fn clustering(values: Values, key: &SlotKey, kind: RowKind, seq: i64, appointment: Uuid) -> Values {
    values
        .partition(&key.partition())
        .key("row_kind", text(kind.name()))
        .key("seq", bigint(seq))
        .key("dentist_id", text(key.dentist_id.as_str()))
        .key("start", timestamp(key.start))
        .key("appointment_id", uuid(appointment))
}

pub(crate) fn slot_key_values(key: &SlotKey) -> Values {
    clustering(Values::new(), key, RowKind::Slot, 0, Uuid::nil())
}

pub(crate) fn appointment_key_values(key: &SlotKey, id: AppointmentId) -> Values {
    clustering(Values::new(), key, RowKind::Appointment, 0, id.as_uuid())
}

/// The holder columns of a state: appointment and patient when booked.
fn holders(state: &SlotState) -> (Option<Uuid>, Option<Uuid>) {
    match state {
        SlotState::Booked {
            appointment_id,
            patient_id,
        } => (Some(appointment_id.as_uuid()), Some(patient_id.as_uuid())),
        SlotState::Free | SlotState::Withdrawn => (None, None),
    }
}

/// `SLOT_CAS`: the slot becomes `new` (with `booking_key` when booked) if it and the partition
/// are exactly as read.
pub(crate) fn slot_cas(
    expected_seq: Option<i64>,
    expected: &StoredSlot,
    new: &SlotState,
    booking_key: Option<&str>,
    at: Timestamp,
) -> (Cql, Values) {
    let key = &expected.slot.key;
    let (new_appointment, new_patient) = holders(new);
    let (old_appointment, old_patient) = holders(&expected.slot.state);
    let values = Values::new()
        .set("event_seq", bigint(expected_seq.unwrap_or(0) + 1))
        .set("slot_end", timestamp(expected.slot.end))
        .set("state", text(new.name()))
        .set("holder_appointment_id", new_appointment.map(uuid))
        .set("holder_patient_id", new_patient.map(uuid))
        .set("booking_key", opt_text(booking_key))
        .set("updated_at", timestamp(at));
    let values = clustering(values, key, RowKind::Slot, 0, Uuid::nil())
        .cond("event_seq", expected_seq.map(bigint))
        .cond("state", text(expected.slot.state.name()))
        .cond("slot_end", timestamp(expected.slot.end))
        .cond("holder_appointment_id", old_appointment.map(uuid))
        .cond("holder_patient_id", old_patient.map(uuid))
        .cond("booking_key", opt_text(expected.booking_key.as_deref()));
    (Cql::SlotCas, values)
}

/// `PARTITION_CAS`: the partition's version moves from `expected` to `new`.
pub(crate) fn partition_cas(
    partition: &PartitionKey,
    expected: Option<i64>,
    new: i64,
) -> (Cql, Values) {
    let values = Values::new()
        .set("event_seq", bigint(new))
        .partition(partition)
        .cond("event_seq", expected.map(bigint));
    (Cql::PartitionCas, values)
}

/// `SLOT_UPSERT`: a free slot, new or revived.
pub(crate) fn slot_upsert(slot: &Slot, at: Timestamp) -> (Cql, Values) {
    let values = Values::new()
        .set("slot_end", timestamp(slot.end))
        .set("state", text(SlotState::Free.name()))
        .set("holder_appointment_id", None)
        .set("holder_patient_id", None)
        .set("booking_key", None)
        .set("updated_at", timestamp(at));
    (
        Cql::SlotUpsert,
        clustering(values, &slot.key, RowKind::Slot, 0, Uuid::nil()),
    )
}

/// `EVENT_INSERT`: an event row of the slot's partition.
pub(crate) fn event_insert(event: &SlotEvent) -> (Cql, Values) {
    let partition = event.slot.partition();
    let values = Values::new()
        .value("clinic_id", text(partition.clinic_id.as_str()))
        .value("day", day(partition.day))
        .value("row_kind", text(RowKind::Event.name()))
        .value("seq", bigint(seq_value(event.seq)))
        .value("dentist_id", text(event.slot.dentist_id.as_str()))
        .value("start", timestamp(event.slot.start))
        .value("appointment_id", uuid(Uuid::nil()))
        .value("event_id", uuid(event.event_id.as_uuid()))
        .value("kind", text(event.kind.name()))
        .value("slot_end", timestamp(event.slot_end))
        .value("occurred_at", timestamp(event.occurred_at));
    (Cql::EventInsert, values)
}

pub(crate) fn seq_value(seq: u64) -> i64 {
    // Sequence numbers count events of one clinic-day: far below i64::MAX.
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// `APPOINTMENT_INSERT`: a booked appointment row.
pub(crate) fn appointment_insert(appointment: &Appointment) -> (Cql, Values) {
    let key = &appointment.slot;
    let partition = key.partition();
    let values = Values::new()
        .value("clinic_id", text(partition.clinic_id.as_str()))
        .value("day", day(partition.day))
        .value("row_kind", text(RowKind::Appointment.name()))
        .value("seq", bigint(0))
        .value("dentist_id", text(key.dentist_id.as_str()))
        .value("start", timestamp(key.start))
        .value("appointment_id", uuid(appointment.id.as_uuid()))
        .value("slot_end", timestamp(appointment.end))
        .value("patient_id", uuid(appointment.patient_id.as_uuid()))
        .value("patient_name", text(appointment.patient_name.as_str()))
        .value(
            "reason",
            opt_text(appointment.reason.as_ref().map(|r| r.as_str())),
        )
        .value("booked_at", timestamp(appointment.booked_at))
        .value("status", text("booked"));
    (Cql::AppointmentInsert, values)
}

/// `APPOINTMENT_CANCEL`.
pub(crate) fn appointment_cancel(
    appointment: &Appointment,
    cancellation: &Cancellation,
) -> (Cql, Values) {
    let values = Values::new()
        .set("status", text("cancelled"))
        .set("cancelled_at", timestamp(cancellation.at))
        .set("cancelled_by", text(cancellation.by.name()))
        .set(
            "cancellation_reason",
            opt_text(cancellation.reason.as_ref().map(|r| r.as_str())),
        );
    (
        Cql::AppointmentCancel,
        clustering(
            values,
            &appointment.slot,
            RowKind::Appointment,
            0,
            appointment.id.as_uuid(),
        ),
    )
}

pub(crate) fn location_insert(id: AppointmentId, key: &SlotKey) -> (Cql, Values) {
    let values = Values::new()
        .value("appointment_id", uuid(id.as_uuid()))
        .value("clinic_id", text(key.clinic_id.as_str()))
        .value("day", day(key.day()))
        .value("dentist_id", text(key.dentist_id.as_str()))
        .value("start", timestamp(key.start));
    (Cql::LocationInsert, values)
}

pub(crate) fn by_patient_insert(patient: Uuid, id: AppointmentId, key: &SlotKey) -> (Cql, Values) {
    let values = Values::new()
        .value("patient_id", uuid(patient))
        .value("start", timestamp(key.start))
        .value("appointment_id", uuid(id.as_uuid()))
        .value("clinic_id", text(key.clinic_id.as_str()))
        .value("day", day(key.day()))
        .value("dentist_id", text(key.dentist_id.as_str()));
    (Cql::ByPatientInsert, values)
}

/// `KEY_INSERT`: what the key booked, forgotten by ScyllaDB when the key expires.
pub(crate) fn key_insert(command: &BookSlot, appointment: &Appointment) -> (Cql, Values) {
    let ttl = (command.key_expires_at - command.at)
        .as_secs()
        .clamp(1, MAX_TTL_SECONDS);
    let key = &appointment.slot;
    let values = Values::new()
        .value("patient_id", uuid(command.patient_id.as_uuid()))
        .value("idempotency_key", text(command.idempotency_key.as_str()))
        .value("appointment_id", uuid(appointment.id.as_uuid()))
        .value("clinic_id", text(key.clinic_id.as_str()))
        .value("day", day(key.day()))
        .value("dentist_id", text(key.dentist_id.as_str()))
        .value("start", timestamp(key.start))
        .value("expires_at", timestamp(command.key_expires_at))
        .ttl(i32::try_from(ttl).unwrap_or(i32::MAX));
    (Cql::KeyInsert, values)
}

// --- decisions -----------------------------------------------------------------------------

/// What to do about a booking, given the slot as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BookStep {
    /// The slot is free: write.
    Attempt(StoredSlot),
    /// No such slot.
    NoSuchSlot,
    /// Taken by someone else, or withdrawn.
    Conflict(Slot),
    /// Held by this very command's appointment: an earlier attempt whose outcome was unknown
    /// did apply.
    Ours,
    /// Held by the same patient with the same key: a retry of an earlier booking.
    Replay(AppointmentId),
}

pub(crate) fn decide_book(snapshot: &SlotSnapshot, command: &BookSlot) -> BookStep {
    let Some(stored) = &snapshot.slot else {
        return BookStep::NoSuchSlot;
    };
    match &stored.slot.state {
        SlotState::Free => BookStep::Attempt(stored.clone()),
        SlotState::Booked { appointment_id, .. } if *appointment_id == command.appointment_id => {
            BookStep::Ours
        }
        SlotState::Booked {
            appointment_id,
            patient_id,
        } if *patient_id == command.patient_id
            && stored.booking_key.as_deref() == Some(command.idempotency_key.as_str()) =>
        {
            BookStep::Replay(*appointment_id)
        }
        SlotState::Booked { .. } | SlotState::Withdrawn => BookStep::Conflict(stored.slot.clone()),
    }
}

/// A booking's conditional batch and the appointment it makes.
pub(crate) struct BookPlan {
    pub statements: Vec<(Cql, Values)>,
    pub appointment: Appointment,
}

pub(crate) fn book_plan(
    command: &BookSlot,
    expected_seq: Option<i64>,
    expected: &StoredSlot,
) -> BookPlan {
    let at = stored_instant(command.at);
    let state = SlotState::Booked {
        appointment_id: command.appointment_id,
        patient_id: command.patient_id,
    };
    let appointment = booked_appointment(command, expected.slot.end);
    let booked = Slot {
        state: state.clone(),
        ..expected.slot.clone()
    };
    let mut event = SlotEvent::new(SlotEventKind::Booked, &booked, at);
    event.seq = next_seq(expected_seq);
    BookPlan {
        statements: vec![
            slot_cas(
                expected_seq,
                expected,
                &state,
                Some(command.idempotency_key.as_str()),
                at,
            ),
            appointment_insert(&appointment),
            event_insert(&event),
        ],
        appointment,
    }
}

fn next_seq(expected: Option<i64>) -> u64 {
    u64::try_from(expected.unwrap_or(0) + 1).unwrap_or(1)
}

fn booked_appointment(command: &BookSlot, end: Timestamp) -> Appointment {
    Appointment {
        id: command.appointment_id,
        slot: command.slot.clone(),
        end,
        patient_id: command.patient_id,
        patient_name: command.patient_name.clone(),
        reason: command.reason.clone(),
        booked_at: stored_instant(command.at),
        status: AppointmentStatus::Booked,
    }
}

/// What to do about a cancellation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CancelStep {
    NoSuchAppointment,
    AlreadyCancelled(Appointment),
    /// Booked and holding its slot: write.
    Attempt(Appointment, StoredSlot),
    /// The two rows disagree: they were read on either side of another write. Read again.
    Inconsistent,
}

pub(crate) fn decide_cancel(
    snapshot: &SlotSnapshot,
    appointment: Option<Appointment>,
    command: &CancelAppointment,
) -> CancelStep {
    let Some(appointment) = appointment.filter(|a| a.slot == command.slot) else {
        return CancelStep::NoSuchAppointment;
    };
    if !appointment.is_booked() {
        return CancelStep::AlreadyCancelled(appointment);
    }
    match &snapshot.slot {
        Some(stored)
            if matches!(&stored.slot.state,
                SlotState::Booked { appointment_id, .. } if *appointment_id == appointment.id) =>
        {
            CancelStep::Attempt(appointment, stored.clone())
        }
        _ => CancelStep::Inconsistent,
    }
}

pub(crate) fn cancel_plan(
    command: &CancelAppointment,
    expected_seq: Option<i64>,
    expected: &StoredSlot,
    appointment: &Appointment,
) -> (Vec<(Cql, Values)>, Appointment) {
    let at = stored_instant(command.at);
    let cancellation = Cancellation {
        at,
        by: command.by,
        reason: command.reason.clone(),
    };
    let released = Slot {
        state: SlotState::Free,
        ..expected.slot.clone()
    };
    let mut event = SlotEvent::new(SlotEventKind::Released, &released, at);
    event.seq = next_seq(expected_seq);
    let statements = vec![
        slot_cas(expected_seq, expected, &SlotState::Free, None, at),
        appointment_cancel(appointment, &cancellation),
        event_insert(&event),
    ];
    let cancelled = Appointment {
        status: AppointmentStatus::Cancelled(cancellation),
        ..appointment.clone()
    };
    (statements, cancelled)
}

/// Whether a stored cancellation is the one `command` asked for (after an unknown outcome).
fn is_cancellation_of(appointment: &Appointment, command: &CancelAppointment) -> bool {
    matches!(&appointment.status, AppointmentStatus::Cancelled(c)
        if c.at == stored_instant(command.at) && c.by == command.by && c.reason == command.reason)
}

/// What to do about withdrawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WithdrawStep {
    NoSuchSlot,
    AlreadyWithdrawn(StoredSlot),
    Conflict(Slot),
    Attempt(StoredSlot),
}

pub(crate) fn decide_withdraw(snapshot: &SlotSnapshot) -> WithdrawStep {
    match &snapshot.slot {
        None => WithdrawStep::NoSuchSlot,
        Some(stored) => match stored.slot.state {
            SlotState::Withdrawn => WithdrawStep::AlreadyWithdrawn(stored.clone()),
            SlotState::Booked { .. } => WithdrawStep::Conflict(stored.slot.clone()),
            SlotState::Free => WithdrawStep::Attempt(stored.clone()),
        },
    }
}

pub(crate) fn withdraw_plan(
    command: &WithdrawSlot,
    expected_seq: Option<i64>,
    expected: &StoredSlot,
) -> (Vec<(Cql, Values)>, Slot) {
    let at = stored_instant(command.at);
    let withdrawn = Slot {
        state: SlotState::Withdrawn,
        ..expected.slot.clone()
    };
    let mut event = SlotEvent::new(SlotEventKind::Withdrawn, &withdrawn, at);
    event.seq = next_seq(expected_seq);
    let statements = vec![
        slot_cas(expected_seq, expected, &SlotState::Withdrawn, None, at),
        event_insert(&event),
    ];
    (statements, withdrawn)
}

/// A publish's conditional batch, what it reports if it applies, and its first event (to
/// recognise it after an unknown outcome).
pub(crate) struct PublishPlan {
    pub statements: Vec<(Cql, Values)>,
    pub outcome: PublishOutcome,
    pub first_event: Option<(i64, EventId)>,
}

pub(crate) fn publish_plan(
    command: &PublishSlots,
    expected_seq: Option<i64>,
    steps: Vec<PublishStep>,
) -> PublishPlan {
    let at = stored_instant(command.at);
    let mut slot_writes = Vec::new();
    let mut published = Vec::new();
    let mut unchanged = 0;
    let mut seq = expected_seq.unwrap_or(0);
    let mut first_event = None;
    for step in steps {
        let slot = match step {
            PublishStep::Unchanged(_) => {
                unchanged += 1;
                continue;
            }
            PublishStep::Insert(slot) | PublishStep::Republish(slot) => slot.into_free_slot(),
        };
        seq += 1;
        let mut event = SlotEvent::new(SlotEventKind::Published, &slot, at);
        event.seq = u64::try_from(seq).unwrap_or(1);
        first_event.get_or_insert((seq, event.event_id));
        slot_writes.push(slot_upsert(&slot, at));
        slot_writes.push(event_insert(&event));
        published.push(slot);
    }
    let mut statements = Vec::new();
    if !published.is_empty() {
        // The conditional statement first, so its row is the first of the reply.
        statements.push(partition_cas(command.partition(), expected_seq, seq));
        statements.extend(slot_writes);
    }
    PublishPlan {
        statements,
        outcome: PublishOutcome::Applied {
            published,
            unchanged,
        },
        first_event,
    }
}

/// Waits a little before retrying a conditional write that lost to another one. The jitter
/// spreads competing writers apart; the cap keeps one request's latency bounded.
async fn backoff(attempt: usize) {
    let cap_ms = (1_u64 << attempt.min(6)).min(50);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = u64::from(nanos) % (cap_ms + 1);
    tokio::time::sleep(Duration::from_millis(jitter)).await;
}

fn contention(partition: &PartitionKey) -> StoreError {
    tracing::warn!(%partition, "gave up after {MAX_ATTEMPTS} conflicting conditional writes");
    StoreError::Overloaded
}

impl ScyllaStore {
    /// One slot with its partition's version (`serial`: at LOCAL_SERIAL).
    pub(crate) async fn read_slot(
        &self,
        key: &SlotKey,
        serial: bool,
    ) -> Result<SlotSnapshot, StoreError> {
        let statement = if serial {
            &self.statements.slot_serial
        } else {
            &self.statements.slot
        };
        let Some(row) = self
            .select_one::<SlotRow>(statement, slot_key_values(key))
            .await?
        else {
            return Ok(SlotSnapshot::default());
        };
        Ok(SlotSnapshot {
            event_seq: row.event_seq,
            slot: Some(row.into_slot(&key.clinic_id)?),
        })
    }

    /// The partition's version; at LOCAL_SERIAL it also completes any write in flight, so the
    /// QUORUM reads that follow see everything up to it.
    async fn read_partition_seq(
        &self,
        partition: &PartitionKey,
        serial: bool,
    ) -> Result<Option<i64>, StoreError> {
        let statement = if serial {
            &self.statements.partition_seq_serial
        } else {
            &self.statements.partition_seq
        };
        let row = self
            .select_one::<PartitionSeqRow>(statement, Values::new().partition(partition))
            .await?;
        Ok(row.and_then(|row| row.event_seq))
    }

    async fn read_partition_appointment(
        &self,
        key: &SlotKey,
        id: AppointmentId,
        serial: bool,
    ) -> Result<Option<Appointment>, StoreError> {
        let statement = if serial {
            &self.statements.appointment_serial
        } else {
            &self.statements.appointment
        };
        self.select_one::<AppointmentRow>(statement, appointment_key_values(key, id))
            .await?
            .map(|row| row.into_appointment(&key.clinic_id))
            .transpose()
    }

    /// Writes, best effort, rows that only cost a lookup when they are missing or stale.
    async fn write_best_effort(&self, writes: Vec<(Cql, Values)>, what: &str) {
        for (cql, values) in writes {
            if let Err(error) = self.write(cql, values).await {
                tracing::warn!(error = %error, "could not write {what}; readers tolerate it");
            }
        }
    }

    pub(crate) async fn publish_slots(
        &self,
        command: &PublishSlots,
    ) -> Result<PublishOutcome, StoreError> {
        let partition = command.partition();
        let mut dentists: Vec<&DentistId> = command
            .slots()
            .iter()
            .map(|s| &s.key().dentist_id)
            .collect();
        dentists.sort_unstable();
        dentists.dedup();
        let mut lease = self.register_pending(partition).await?;
        let mut serial = false;
        let mut in_doubt: Vec<((i64, EventId), PublishOutcome)> = Vec::new();
        let mut unknown: Option<StoreError> = None;
        for attempt in 0..MAX_ATTEMPTS {
            let expected_seq = match self.read_partition_seq(partition, serial).await {
                Ok(seq) => seq,
                Err(error) => return Err(unknown.unwrap_or(error)),
            };
            // An earlier attempt whose outcome was unknown may have applied after all.
            for ((seq, event_id), outcome) in &in_doubt {
                if expected_seq >= Some(*seq) && self.has_event(partition, *seq, *event_id).await? {
                    return Ok(outcome.clone());
                }
            }
            let mut stored = Vec::new();
            for dentist in &dentists {
                let values = Values::new()
                    .partition(partition)
                    .key("row_kind", text(RowKind::Slot.name()))
                    .key("seq", bigint(0))
                    .key("dentist_id", text(dentist.as_str()))
                    .key("start", scylla::value::CqlValue::Timestamp(MIN_START));
                self.scan::<SlotRow>(&self.statements.slots_of_dentist_after, values, |row| {
                    stored.push(row.into_slot(&partition.clinic_id)?.slot);
                    Ok(ControlFlow::Continue(()))
                })
                .await?;
            }
            let steps = match reconcile_publish(command.slots(), &stored) {
                Ok(steps) => steps,
                Err(conflict) => return Ok(PublishOutcome::Conflict(conflict)),
            };
            let plan = publish_plan(command, expected_seq, steps);
            let Some(first_event) = plan.first_event else {
                return Ok(plan.outcome);
            };
            lease.refresh(self).await?;
            match self.cas(plan.statements).await {
                Ok(reply) if reply.applied => return Ok(plan.outcome),
                Ok(_) => {
                    serial = true;
                    backoff(attempt).await;
                }
                Err(error) if is_unknown_outcome(&error) => {
                    in_doubt.push((first_event, plan.outcome));
                    unknown = Some(error);
                    serial = true;
                }
                Err(error) => return Err(error),
            }
        }
        Err(unknown.unwrap_or_else(|| contention(partition)))
    }

    /// Whether the event at `seq` of a partition is `event_id` (read at LOCAL_SERIAL).
    async fn has_event(
        &self,
        partition: &PartitionKey,
        seq: i64,
        event_id: EventId,
    ) -> Result<bool, StoreError> {
        let values = Values::new()
            .partition(partition)
            .key("row_kind", text(RowKind::Event.name()))
            .key("seq", bigint(seq - 1));
        let row = self
            .select_one::<EventRow>(&self.statements.events_after_seq_serial, values)
            .await?;
        Ok(row.is_some_and(|row| row.seq == seq && row.event_id == Some(event_id.as_uuid())))
    }

    pub(crate) async fn book_slot(&self, command: &BookSlot) -> Result<BookOutcome, StoreError> {
        let (earlier, snapshot) = tokio::join!(
            self.replay_by_key(command),
            self.read_slot(&command.slot, false)
        );
        if let Some(outcome) = earlier? {
            return Ok(outcome);
        }
        let mut snapshot = snapshot?;
        // A missing or taken slot is answered from this first read, as the loop below would
        // answer it, but before anything is written: those answers make no conditional write,
        // so they need neither lookups (which would only be deleted again, leaving tombstones)
        // nor a pending registration.
        match decide_book(&snapshot, command) {
            BookStep::NoSuchSlot => return Ok(BookOutcome::NoSuchSlot),
            BookStep::Conflict(slot) => return Ok(BookOutcome::Conflict(slot)),
            BookStep::Attempt(_) | BookStep::Ours | BookStep::Replay(_) => {}
        }
        let partition = command.slot.partition();
        // The lookups first: a booking that applies is then always findable by id and by
        // patient. One that loses leaves lookups to nothing, which readers skip (and which are
        // deleted below).
        let (location_cql, location_values) =
            location_insert(command.appointment_id, &command.slot);
        let (by_patient_cql, by_patient_values) = by_patient_insert(
            command.patient_id.as_uuid(),
            command.appointment_id,
            &command.slot,
        );
        let (location, by_patient, lease) = tokio::join!(
            self.write(location_cql, location_values),
            self.write(by_patient_cql, by_patient_values),
            self.register_pending(&partition)
        );
        location?;
        by_patient?;
        let mut lease = lease?;
        let mut unknown: Option<StoreError> = None;
        for attempt in 0..MAX_ATTEMPTS {
            match decide_book(&snapshot, command) {
                BookStep::NoSuchSlot => {
                    self.forget_attempt(command).await;
                    return Ok(BookOutcome::NoSuchSlot);
                }
                BookStep::Conflict(slot) => {
                    self.forget_attempt(command).await;
                    return Ok(BookOutcome::Conflict(slot));
                }
                BookStep::Ours => {
                    let end = snapshot
                        .slot
                        .as_ref()
                        .map_or(command.slot.start, |s| s.slot.end);
                    let appointment = booked_appointment(command, end);
                    self.remember_key(command, &appointment).await;
                    return Ok(BookOutcome::Booked(appointment));
                }
                BookStep::Replay(holder) => {
                    let appointment = self
                        .read_partition_appointment(&command.slot, holder, false)
                        .await?
                        .ok_or_else(|| {
                            StoreError::Corrupt(format!(
                                "slot {} is held by appointment {holder}, which is missing",
                                command.slot
                            ))
                        })?;
                    self.forget_attempt(command).await;
                    // The original call may have died before its lookups or key were written.
                    self.write_best_effort(
                        vec![
                            location_insert(appointment.id, &appointment.slot),
                            by_patient_insert(
                                appointment.patient_id.as_uuid(),
                                appointment.id,
                                &appointment.slot,
                            ),
                        ],
                        "the lookups of a replayed booking",
                    )
                    .await;
                    self.remember_key(command, &appointment).await;
                    return Ok(BookOutcome::Replayed(appointment));
                }
                BookStep::Attempt(expected) => {
                    lease.refresh(self).await?;
                    let plan = book_plan(command, snapshot.event_seq, &expected);
                    match self.cas(plan.statements).await {
                        Ok(reply) if reply.applied => {
                            self.remember_key(command, &plan.appointment).await;
                            return Ok(BookOutcome::Booked(plan.appointment));
                        }
                        Ok(reply) => {
                            snapshot = SlotSnapshot::from_reply(&command.slot, reply.first()?)?;
                            if snapshot
                                .slot
                                .as_ref()
                                .is_some_and(|s| s.slot.state == SlotState::Free)
                            {
                                // Only the version moved on (another slot of the day changed).
                                backoff(attempt).await;
                            }
                        }
                        Err(error) if is_unknown_outcome(&error) => {
                            // Settle it: the serial read shows this command's appointment in
                            // the slot if (and only if) the write applied.
                            snapshot = match self.read_slot(&command.slot, true).await {
                                Ok(snapshot) => snapshot,
                                Err(_) => return Err(error),
                            };
                            unknown = Some(error);
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
        }
        Err(unknown.unwrap_or_else(|| contention(&partition)))
    }

    /// The earlier booking of this patient's key, if it is still remembered.
    async fn replay_by_key(&self, command: &BookSlot) -> Result<Option<BookOutcome>, StoreError> {
        let values = Values::new()
            .key("patient_id", uuid(command.patient_id.as_uuid()))
            .key("idempotency_key", text(command.idempotency_key.as_str()));
        let Some(row) = self
            .select_one::<KeyRow>(&self.statements.key, values)
            .await?
        else {
            return Ok(None);
        };
        if let Some(expires) = row.expires_at
            && from_cql_timestamp(expires)? <= command.at
        {
            return Ok(None);
        }
        let key = located_key(&row.clinic_id, row.day, &row.dentist_id, row.start)?;
        let Some(appointment) = self
            .read_partition_appointment(&key, AppointmentId::from(row.appointment_id), false)
            .await?
            .filter(|a| a.patient_id == command.patient_id)
        else {
            return Ok(None);
        };
        Ok(Some(if appointment.slot == command.slot {
            BookOutcome::Replayed(appointment)
        } else {
            BookOutcome::KeyReused(appointment)
        }))
    }

    /// Remembers what a key booked. Best effort: until it is written, the key on the slot row
    /// still recognises retries for the same slot.
    async fn remember_key(&self, command: &BookSlot, appointment: &Appointment) {
        self.write_best_effort(vec![key_insert(command, appointment)], "an idempotency key")
            .await;
    }

    /// Removes the lookups of a booking attempt that did not book.
    async fn forget_attempt(&self, command: &BookSlot) {
        let location = Values::new().key("appointment_id", uuid(command.appointment_id.as_uuid()));
        let by_patient = Values::new()
            .key("patient_id", uuid(command.patient_id.as_uuid()))
            .key("start", timestamp(command.slot.start))
            .key("appointment_id", uuid(command.appointment_id.as_uuid()));
        self.write_best_effort(
            vec![
                (Cql::LocationDelete, location),
                (Cql::ByPatientDelete, by_patient),
            ],
            "the lookups of a lost booking",
        )
        .await;
    }

    pub(crate) async fn cancel_appointment(
        &self,
        command: &CancelAppointment,
    ) -> Result<CancelOutcome, StoreError> {
        let partition = command.slot.partition();
        let mut lease = self.register_pending(&partition).await?;
        let mut serial = false;
        let mut disagreements = 0;
        let mut unknown: Option<StoreError> = None;
        for attempt in 0..MAX_ATTEMPTS {
            // The slot (with the version) before the appointment: if the appointment then reads
            // booked, the slot read saw a state at least as new as that booking.
            let read = async {
                let snapshot = self.read_slot(&command.slot, serial).await?;
                let appointment = self
                    .read_partition_appointment(&command.slot, command.appointment_id, serial)
                    .await?;
                Ok::<_, StoreError>((snapshot, appointment))
            };
            let (snapshot, appointment) = match read.await {
                Ok(read) => read,
                Err(error) => return Err(unknown.unwrap_or(error)),
            };
            match decide_cancel(&snapshot, appointment, command) {
                CancelStep::NoSuchAppointment => return Ok(CancelOutcome::NoSuchAppointment),
                CancelStep::AlreadyCancelled(appointment) => {
                    return Ok(
                        if unknown.is_some() && is_cancellation_of(&appointment, command) {
                            CancelOutcome::Cancelled(appointment)
                        } else {
                            CancelOutcome::AlreadyCancelled(appointment)
                        },
                    );
                }
                CancelStep::Inconsistent => {
                    disagreements += 1;
                    if disagreements > 3 {
                        return Err(StoreError::Corrupt(format!(
                            "booked appointment {} does not hold its slot {}",
                            command.appointment_id, command.slot
                        )));
                    }
                    serial = true;
                }
                CancelStep::Attempt(appointment, expected) => {
                    lease.refresh(self).await?;
                    let (statements, cancelled) =
                        cancel_plan(command, snapshot.event_seq, &expected, &appointment);
                    match self.cas(statements).await {
                        Ok(reply) if reply.applied => {
                            return Ok(CancelOutcome::Cancelled(cancelled));
                        }
                        Ok(_) => {
                            serial = true;
                            backoff(attempt).await;
                        }
                        Err(error) if is_unknown_outcome(&error) => {
                            unknown = Some(error);
                            serial = true;
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
        }
        Err(unknown.unwrap_or_else(|| contention(&partition)))
    }

    pub(crate) async fn withdraw_slot(
        &self,
        command: &WithdrawSlot,
    ) -> Result<WithdrawOutcome, StoreError> {
        let partition = command.slot.partition();
        let mut lease = self.register_pending(&partition).await?;
        let mut snapshot = self.read_slot(&command.slot, false).await?;
        let mut unknown: Option<StoreError> = None;
        for attempt in 0..MAX_ATTEMPTS {
            match decide_withdraw(&snapshot) {
                WithdrawStep::NoSuchSlot => return Ok(WithdrawOutcome::NoSuchSlot),
                WithdrawStep::Conflict(slot) => return Ok(WithdrawOutcome::Conflict(slot)),
                WithdrawStep::AlreadyWithdrawn(stored) => {
                    let ours =
                        unknown.is_some() && stored.updated_at == Some(stored_instant(command.at));
                    return Ok(if ours {
                        WithdrawOutcome::Withdrawn(stored.slot)
                    } else {
                        WithdrawOutcome::AlreadyWithdrawn(stored.slot)
                    });
                }
                WithdrawStep::Attempt(expected) => {
                    lease.refresh(self).await?;
                    let (statements, withdrawn) =
                        withdraw_plan(command, snapshot.event_seq, &expected);
                    match self.cas(statements).await {
                        Ok(reply) if reply.applied => {
                            return Ok(WithdrawOutcome::Withdrawn(withdrawn));
                        }
                        Ok(reply) => {
                            snapshot = SlotSnapshot::from_reply(&command.slot, reply.first()?)?;
                            backoff(attempt).await;
                        }
                        Err(error) if is_unknown_outcome(&error) => {
                            snapshot = match self.read_slot(&command.slot, true).await {
                                Ok(snapshot) => snapshot,
                                Err(_) => return Err(error),
                            };
                            unknown = Some(error);
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
        }
        Err(unknown.unwrap_or_else(|| contention(&partition)))
    }

    pub(crate) async fn list_slots(&self, query: &SlotQuery) -> Result<Vec<Slot>, StoreError> {
        let mut slots = Vec::new();
        if query.limit == 0 {
            return Ok(slots);
        }
        let partition = &query.partition;
        let base = || {
            Values::new()
                .partition(partition)
                .key("row_kind", text(RowKind::Slot.name()))
                .key("seq", bigint(0))
        };
        let of_dentist = |dentist: &DentistId, after: Option<Timestamp>| {
            base().key("dentist_id", text(dentist.as_str())).key(
                "start",
                after.map_or(scylla::value::CqlValue::Timestamp(MIN_START), timestamp),
            )
        };
        let after_dentist = |dentist: &str| base().key("dentist_id", text(dentist));
        // Clustering order is (dentist, start); a page resumes right after (dentist, start),
        // which CQL expresses as "the rest of that dentist" then "every later dentist".
        let plan: Vec<(bool, Values)> = match (&query.dentist_id, &query.after) {
            (Some(dentist), None) => vec![(true, of_dentist(dentist, None))],
            (Some(dentist), Some((after_dentist_id, start))) => {
                match after_dentist_id.cmp(dentist) {
                    Ordering::Equal => vec![(true, of_dentist(dentist, Some(*start)))],
                    Ordering::Less => vec![(true, of_dentist(dentist, None))],
                    Ordering::Greater => vec![],
                }
            }
            (None, Some((dentist, start))) => vec![
                (true, of_dentist(dentist, Some(*start))),
                (false, after_dentist(dentist.as_str())),
            ],
            (None, None) => vec![(false, after_dentist(""))],
        };
        for (one_dentist, values) in plan {
            let statement = if one_dentist {
                &self.statements.slots_of_dentist_after
            } else {
                &self.statements.slots_after_dentist
            };
            self.scan::<SlotRow>(statement, values, |row| {
                let slot = row.into_slot(&partition.clinic_id)?.slot;
                if !query.only_free || slot.state == SlotState::Free {
                    slots.push(slot);
                }
                Ok(if slots.len() >= query.limit {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })
            .await?;
            if slots.len() >= query.limit {
                break;
            }
        }
        Ok(slots)
    }

    pub(crate) async fn find_appointment(
        &self,
        id: &AppointmentId,
    ) -> Result<Option<Appointment>, StoreError> {
        let Some(location) = self
            .select_one::<LocationRow>(
                &self.statements.location,
                Values::new().key("appointment_id", uuid(id.as_uuid())),
            )
            .await?
        else {
            return Ok(None);
        };
        self.read_partition_appointment(&location.slot_key()?, *id, false)
            .await
    }

    pub(crate) async fn partition_appointments(
        &self,
        partition: &PartitionKey,
    ) -> Result<Vec<Appointment>, StoreError> {
        let mut appointments = Vec::new();
        let values = Values::new()
            .partition(partition)
            .key("row_kind", text(RowKind::Appointment.name()));
        self.scan::<AppointmentRow>(&self.statements.appointments_in_partition, values, |row| {
            appointments.push(row.into_appointment(&partition.clinic_id)?);
            Ok(ControlFlow::Continue(()))
        })
        .await?;
        // The embedded store's order: by slot, then booking time.
        appointments.sort_by(|a, b| {
            (&a.slot.dentist_id, a.slot.start, a.booked_at, a.id).cmp(&(
                &b.slot.dentist_id,
                b.slot.start,
                b.booked_at,
                b.id,
            ))
        });
        Ok(appointments)
    }

    pub(crate) async fn patient_appointments(
        &self,
        query: &AppointmentQuery,
    ) -> Result<Vec<Appointment>, StoreError> {
        let mut appointments = Vec::new();
        if query.limit == 0 {
            return Ok(appointments);
        }
        let (after_start, after_id) = patient_list_start(query.after, query.ending_after).map_or(
            (scylla::value::CqlValue::Timestamp(MIN_START), Uuid::nil()),
            |(start, id)| (timestamp(start), id),
        );
        let values = Values::new()
            .key("patient_id", uuid(query.patient_id.as_uuid()))
            .key("start", after_start)
            .key("appointment_id", uuid(after_id))
            .into_cql();
        let mut paging = PagingState::start();
        loop {
            let (rows, next) = self
                .page::<ByPatientRow>(&self.statements.by_patient_after, &values, paging)
                .await?;
            for row in rows {
                // The list points at partitions; the partition says whether the booking
                // happened (a lookup of a lost attempt points at nothing).
                let key = located_key(&row.clinic_id, row.day, &row.dentist_id, row.start)?;
                let Some(appointment) = self
                    .read_partition_appointment(
                        &key,
                        AppointmentId::from(row.appointment_id),
                        false,
                    )
                    .await?
                    .filter(|a| a.patient_id == query.patient_id)
                else {
                    continue;
                };
                if query
                    .ending_after
                    .is_some_and(|after| appointment.end <= after)
                    || (query.only_booked && !appointment.is_booked())
                {
                    continue;
                }
                appointments.push(appointment);
                if appointments.len() >= query.limit {
                    return Ok(appointments);
                }
            }
            match next {
                Some(next) => paging = next,
                None => return Ok(appointments),
            }
        }
    }
}

/// The (start, id) after which a patient's appointment list is read: right after `after`, but
/// past every appointment that starts too early to end after `ending_after`, so those
/// appointments' partitions are never read only to be filtered out. Slots last at most
/// `MAX_SLOT_MINUTES` (`NewSlot` refuses longer ones, and every stored slot, so every
/// appointment, was published as one), so an appointment starting that long before
/// `ending_after`, or earlier, has ended by then. `None`: from the first appointment.
fn patient_list_start(
    after: Option<(Timestamp, AppointmentId)>,
    ending_after: Option<Timestamp>,
) -> Option<(Timestamp, Uuid)> {
    // Compared as the store compares them, in whole milliseconds.
    let after = after.map(|(start, id)| (stored_instant(start), id.as_uuid()));
    // The nil id sorts before every appointment id starting at the same instant.
    let ended_before = ending_after
        .and_then(|end| {
            end.checked_sub(SignedDuration::from_mins(MAX_SLOT_MINUTES))
                .ok()
        })
        .map(|start| (stored_instant(start), Uuid::nil()));
    after.max(ended_before)
}

#[cfg(test)]
mod tests {
    use dentismile_domain::{
        booking::CancelledBy,
        ids::{ClinicId, IdempotencyKey, UserId},
        slot::NewSlot,
        text::{DisplayName, Reason},
    };
    use scylla::value::CqlValue;

    use super::*;
    use crate::scylla::{
        cas::{APPLIED, decode_cas},
        statements::bind_markers,
    };

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn key() -> SlotKey {
        SlotKey::new(
            ClinicId::parse("majorna").unwrap(),
            DentistId::parse("dr-a").unwrap(),
            at("2026-10-25T01:30:00Z"), // 02:30 CET, the second 02:30 of the autumn change
        )
        .unwrap()
    }

    fn stored(state: SlotState, booking_key: Option<&str>) -> StoredSlot {
        StoredSlot {
            slot: Slot {
                key: key(),
                end: at("2026-10-25T02:00:00Z"),
                state,
            },
            booking_key: booking_key.map(str::to_string),
            updated_at: None,
        }
    }

    fn command() -> BookSlot {
        BookSlot {
            appointment_id: AppointmentId::random(),
            slot: key(),
            patient_id: UserId::random(),
            patient_name: DisplayName::parse("Pat Patient").unwrap(),
            reason: Some(Reason::parse("toothache").unwrap()),
            idempotency_key: IdempotencyKey::parse("retry-key-0001").unwrap(),
            at: at("2026-10-20T08:00:00.123456Z"),
            key_expires_at: at("2026-10-27T08:00:00.123456Z"),
        }
    }

    /// The reply ScyllaDB sends to the booking batch: `[applied]`, the key columns and the
    /// columns of SLOT_CAS's conditions, in schema order, for the slot as it is.
    fn reply(applied: bool, seq: Option<i64>, slot: Option<&StoredSlot>) -> SlotSnapshot {
        let columns: Vec<String> = [
            APPLIED,
            "clinic_id",
            "day",
            "row_kind",
            "seq",
            "dentist_id",
            "start",
            "appointment_id",
            "event_seq",
            "booking_key",
            "holder_appointment_id",
            "holder_patient_id",
            "slot_end",
            "state",
        ]
        .map(str::to_string)
        .to_vec();
        let (holder, patient) = slot.map_or((None, None), |s| holders(&s.slot.state));
        let row = vec![
            Some(CqlValue::Boolean(applied)),
            slot.map(|_| text("majorna")),
            slot.map(|s| day(s.slot.key.day())),
            slot.map(|_| text("slot")),
            slot.map(|_| bigint(0)),
            slot.map(|_| text("dr-a")),
            slot.map(|s| timestamp(s.slot.key.start)),
            slot.map(|_| uuid(Uuid::nil())),
            seq.map(bigint),
            slot.and_then(|s| opt_text(s.booking_key.as_deref())),
            holder.map(uuid),
            patient.map(uuid),
            slot.map(|s| timestamp(s.slot.end)),
            slot.map(|s| text(s.slot.state.name())),
        ];
        let reply = decode_cas(&columns, vec![row]).unwrap();
        assert_eq!(reply.applied, applied);
        SlotSnapshot::from_reply(&key(), reply.first().unwrap()).unwrap()
    }

    #[test]
    fn booking_outcomes_are_decided_from_the_returned_row() {
        let command = command();
        // The slot is still free but the day's version moved on: write again at the new one.
        let free = stored(SlotState::Free, None);
        let snapshot = reply(false, Some(5), Some(&free));
        assert_eq!(snapshot.event_seq, Some(5));
        assert_eq!(decide_book(&snapshot, &command), BookStep::Attempt(free));

        // Someone else holds it: a conflict carrying the current slot.
        let other = SlotState::Booked {
            appointment_id: AppointmentId::random(),
            patient_id: UserId::random(),
        };
        let taken = stored(other.clone(), Some("someone-elses-key"));
        match decide_book(&reply(false, Some(6), Some(&taken)), &command) {
            BookStep::Conflict(slot) => assert_eq!(slot.state, other),
            step => panic!("{step:?}"),
        }

        // The same patient with the same key holds it: a retry, answered with that booking.
        let original = AppointmentId::random();
        let replay = stored(
            SlotState::Booked {
                appointment_id: original,
                patient_id: command.patient_id,
            },
            Some(command.idempotency_key.as_str()),
        );
        assert_eq!(
            decide_book(&reply(false, Some(6), Some(&replay)), &command),
            BookStep::Replay(original)
        );
        // The same patient with another key is just taken.
        let other_key = StoredSlot {
            booking_key: Some("another-key-1".into()),
            ..replay.clone()
        };
        assert!(matches!(
            decide_book(&reply(false, Some(6), Some(&other_key)), &command),
            BookStep::Conflict(_)
        ));

        // This command's own appointment holds it: an attempt with an unknown outcome applied.
        let ours = stored(
            SlotState::Booked {
                appointment_id: command.appointment_id,
                patient_id: command.patient_id,
            },
            Some(command.idempotency_key.as_str()),
        );
        assert_eq!(
            decide_book(&reply(false, Some(6), Some(&ours)), &command),
            BookStep::Ours
        );

        // Withdrawn, or no slot at all.
        assert!(matches!(
            decide_book(
                &reply(false, Some(6), Some(&stored(SlotState::Withdrawn, None))),
                &command
            ),
            BookStep::Conflict(_)
        ));
        assert_eq!(
            decide_book(&reply(false, None, None), &command),
            BookStep::NoSuchSlot
        );
    }

    #[test]
    fn a_booking_is_one_batch_of_slot_appointment_and_event() {
        let command = command();
        let free = stored(SlotState::Free, None);
        let plan = book_plan(&command, Some(4), &free);
        let kinds: Vec<Cql> = plan.statements.iter().map(|(cql, _)| *cql).collect();
        assert_eq!(
            kinds,
            [Cql::SlotCas, Cql::AppointmentInsert, Cql::EventInsert]
        );
        for (cql, values) in &plan.statements {
            assert_eq!(bind_markers(cql.text()), values.names(), "{cql:?}");
        }
        let cas = plan.statements[0].1.clone().into_cql();
        // SET event_seq = 5 ... IF event_seq = 4 AND state = 'free' AND holders are null.
        assert_eq!(cas[0], Some(bigint(5)));
        assert_eq!(cas[2], Some(text("booked")));
        assert_eq!(cas[5], Some(text("retry-key-0001")));
        assert_eq!(
            &cas[14..],
            [
                Some(bigint(4)),
                Some(text("free")),
                Some(timestamp(free.slot.end)),
                None,
                None,
                None,
            ]
        );
        let event = plan.statements[2].1.clone().into_cql();
        assert_eq!(event[3], Some(bigint(5)), "the event takes the next seq");
        assert_eq!(event[8], Some(text("booked")));
        // What the booking returns equals what a later read returns (milliseconds).
        assert_eq!(plan.appointment.booked_at, at("2026-10-20T08:00:00.123Z"));
        assert_eq!(plan.appointment.end, free.slot.end);

        // The first event of a partition: the version is compared with null.
        let first = book_plan(&command, None, &free);
        let cas = first.statements[0].1.clone().into_cql();
        assert_eq!((cas[0].clone(), cas[14].clone()), (Some(bigint(1)), None));
    }

    #[test]
    fn cancelling_needs_the_slot_held_by_the_appointment() {
        let booking = command();
        let appointment = booked_appointment(&booking, at("2026-10-25T02:00:00Z"));
        let held = stored(
            SlotState::Booked {
                appointment_id: appointment.id,
                patient_id: appointment.patient_id,
            },
            Some("retry-key-0001"),
        );
        let command = CancelAppointment {
            appointment_id: appointment.id,
            slot: key(),
            by: CancelledBy::Clinic,
            reason: Some(Reason::parse("dentist ill").unwrap()),
            at: at("2026-10-21T08:00:00Z"),
        };
        let snapshot = SlotSnapshot {
            event_seq: Some(9),
            slot: Some(held.clone()),
        };
        assert_eq!(
            decide_cancel(&snapshot, Some(appointment.clone()), &command),
            CancelStep::Attempt(appointment.clone(), held.clone())
        );
        assert_eq!(
            decide_cancel(&snapshot, None, &command),
            CancelStep::NoSuchAppointment
        );
        let freed = SlotSnapshot {
            event_seq: Some(10),
            slot: Some(stored(SlotState::Free, None)),
        };
        assert_eq!(
            decide_cancel(&freed, Some(appointment.clone()), &command),
            CancelStep::Inconsistent
        );
        let (statements, cancelled) = cancel_plan(&command, Some(9), &held, &appointment);
        for (cql, values) in &statements {
            assert_eq!(bind_markers(cql.text()), values.names(), "{cql:?}");
        }
        assert!(is_cancellation_of(&cancelled, &command));
        assert_eq!(
            decide_cancel(&freed, Some(cancelled.clone()), &command),
            CancelStep::AlreadyCancelled(cancelled)
        );
        let cas = statements[0].1.clone().into_cql();
        assert_eq!(cas[2], Some(text("free")));
        assert_eq!(
            (cas[3].clone(), cas[4].clone(), cas[5].clone()),
            (None, None, None)
        );
    }

    #[test]
    fn withdrawing_only_takes_free_slots() {
        let snapshot = |state| SlotSnapshot {
            event_seq: Some(1),
            slot: Some(stored(state, None)),
        };
        assert!(matches!(
            decide_withdraw(&snapshot(SlotState::Free)),
            WithdrawStep::Attempt(_)
        ));
        assert!(matches!(
            decide_withdraw(&snapshot(SlotState::Withdrawn)),
            WithdrawStep::AlreadyWithdrawn(_)
        ));
        assert_eq!(
            decide_withdraw(&SlotSnapshot::default()),
            WithdrawStep::NoSuchSlot
        );
        let command = WithdrawSlot {
            slot: key(),
            at: at("2026-10-21T08:00:00Z"),
        };
        let (statements, withdrawn) =
            withdraw_plan(&command, Some(1), &stored(SlotState::Free, None));
        assert_eq!(withdrawn.state, SlotState::Withdrawn);
        for (cql, values) in &statements {
            assert_eq!(bind_markers(cql.text()), values.names(), "{cql:?}");
        }
    }

    #[test]
    fn publishing_writes_new_slots_with_consecutive_events_under_one_version_check() {
        let slot = |start: &str, end: &str| {
            NewSlot::new(
                ClinicId::parse("majorna").unwrap(),
                DentistId::parse("dr-a").unwrap(),
                at(start),
                at(end),
            )
            .unwrap()
        };
        let batches = PublishSlots::by_partition(
            vec![
                slot("2026-11-25T08:00:00Z", "2026-11-25T08:30:00Z"),
                slot("2026-11-25T08:30:00Z", "2026-11-25T09:00:00Z"),
                slot("2026-11-25T09:00:00Z", "2026-11-25T09:30:00Z"),
            ],
            at("2026-11-24T06:00:00Z"),
        );
        let command = &batches[0];
        let steps = vec![
            PublishStep::Insert(command.slots()[0].clone()),
            PublishStep::Unchanged(command.slots()[1].clone()),
            PublishStep::Republish(command.slots()[2].clone()),
        ];
        let plan = publish_plan(command, Some(3), steps);
        let kinds: Vec<Cql> = plan.statements.iter().map(|(cql, _)| *cql).collect();
        assert_eq!(
            kinds,
            [
                Cql::PartitionCas,
                Cql::SlotUpsert,
                Cql::EventInsert,
                Cql::SlotUpsert,
                Cql::EventInsert
            ]
        );
        for (cql, values) in &plan.statements {
            assert_eq!(bind_markers(cql.text()), values.names(), "{cql:?}");
        }
        let version = plan.statements[0].1.clone().into_cql();
        assert_eq!(
            (version[0].clone(), version[3].clone()),
            (Some(bigint(5)), Some(bigint(3)))
        );
        assert_eq!(plan.first_event.map(|(seq, _)| seq), Some(4));
        match plan.outcome {
            PublishOutcome::Applied {
                published,
                unchanged,
            } => {
                assert_eq!(published.len(), 2);
                assert_eq!(unchanged, 1);
            }
            other => panic!("{other:?}"),
        }
        let nothing = publish_plan(
            command,
            Some(3),
            vec![PublishStep::Unchanged(command.slots()[1].clone())],
        );
        assert!(nothing.statements.is_empty() && nothing.first_event.is_none());
    }

    #[test]
    fn lookups_and_keys_bind_every_marker_and_keys_expire_with_their_ttl() {
        let command = command();
        let appointment = booked_appointment(&command, at("2026-10-25T02:00:00Z"));
        for (cql, values) in [
            location_insert(appointment.id, &appointment.slot),
            by_patient_insert(
                command.patient_id.as_uuid(),
                appointment.id,
                &appointment.slot,
            ),
            key_insert(&command, &appointment),
            appointment_insert(&appointment),
            slot_upsert(&stored(SlotState::Free, None).slot, command.at),
            partition_cas(&key().partition(), None, 1),
        ] {
            assert_eq!(bind_markers(cql.text()), values.names(), "{cql:?}");
        }
        let values = key_insert(&command, &appointment).1.into_cql();
        let week = SignedDuration::from_hours(7 * 24).as_secs();
        assert_eq!(
            values.last(),
            Some(&Some(CqlValue::Int(i32::try_from(week).unwrap())))
        );
        // The appointment's day is the slot's local day (25 October), in every lookup.
        assert_eq!(values[4], Some(day(key().day())));
    }

    #[test]
    fn a_patients_list_starts_past_appointments_that_ended_before_the_window() {
        let id = AppointmentId::random();
        let now = at("2026-10-20T12:00:00.123456Z");
        // A slot of the longest length that ends a minute after `now` starts after the bound,
        // so it is still read; one starting before the bound and ending as late would be
        // longer than `NewSlot` allows.
        let longest = NewSlot::new(
            ClinicId::parse("majorna").unwrap(),
            DentistId::parse("dr-a").unwrap(),
            at("2026-10-20T04:01:00Z"),
            at("2026-10-20T12:01:00Z"),
        )
        .unwrap();
        let bound = at("2026-10-20T04:00:00.123Z");
        assert!(longest.key().start > bound);
        assert!(
            NewSlot::new(
                ClinicId::parse("majorna").unwrap(),
                DentistId::parse("dr-a").unwrap(),
                at("2026-10-20T04:00:00Z"),
                at("2026-10-20T12:01:00Z"),
            )
            .is_err()
        );

        assert_eq!(patient_list_start(None, None), None);
        assert_eq!(
            patient_list_start(None, Some(now)),
            Some((bound, Uuid::nil()))
        );
        // A cursor before the bound moves up to it; one after it is kept.
        let early = at("2026-10-19T09:00:00Z");
        assert_eq!(
            patient_list_start(Some((early, id)), Some(now)),
            Some((bound, Uuid::nil()))
        );
        let late = at("2026-10-21T09:00:00Z");
        assert_eq!(
            patient_list_start(Some((late, id)), Some(now)),
            Some((late, id.as_uuid()))
        );
        assert_eq!(
            patient_list_start(Some((early, id)), None),
            Some((early, id.as_uuid()))
        );
        // At the same instant the cursor is the later position: it has a real id.
        assert_eq!(
            patient_list_start(Some((bound, id)), Some(now)),
            Some((bound, id.as_uuid()))
        );
        // No instant lies that far before the earliest one: no bound, and no overflow.
        assert_eq!(patient_list_start(None, Some(Timestamp::MIN)), None);
    }
}
