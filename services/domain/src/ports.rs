//! The store ports: what the domain needs from storage, shaped by what ScyllaDB can do so that
//! the embedded and the distributed backends keep the same semantics.
//!
//! - Every write that must not race touches one partition (a clinic's local day) and is one
//!   conditional write there: a lightweight transaction in ScyllaDB, one transaction in SQLite.
//! - Outcomes are typed: applied, or a conflict carrying the row as it is now.
//! - Every change of a slot appends its [`SlotEvent`] in the same atomic write, so an event
//!   exists if and only if its change does.
//! - Bookings carry a client-chosen idempotency key, kept on the slot row, so a retry is
//!   recognised from the row itself and answered with the original appointment.
//! - Reads are paged and never scan more than the partition they name.

use std::{fmt, sync::Arc, time::Duration};

use async_trait::async_trait;
use jiff::Timestamp;

use crate::{
    accounts::{
        Account, CreateAccountOutcome, Email, NewSession, RefreshRotation, RefreshTokenHash,
        RevokedSession, RotateOutcome, SessionId,
    },
    booking::{Appointment, CancelledBy},
    clinic::{Clinic, Dentist},
    event::{EventCursor, StoredEvent},
    ids::{AppointmentId, ClinicId, DentistId, IdempotencyKey, UserId},
    slot::{NewSlot, PartitionKey, PublishConflict, Slot, SlotKey},
    text::{DisplayName, Reason},
};

/// The cause of a store error, shareable because one failed commit answers many callers.
pub type ErrorSource = Arc<dyn std::error::Error + Send + Sync>;

/// Why the store could not answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or cannot write (disk, network). Nothing was changed;
    /// retrying later may work.
    #[error("the store is unavailable")]
    Unavailable(#[source] ErrorSource),

    /// The store has more work queued than it accepts; retry after a short delay.
    #[error("the store is overloaded; retry shortly")]
    Overloaded,

    /// A write was sent but whether it applied is unknown (a timeout). Retrying with the same
    /// idempotency key is safe and settles it.
    #[error("the outcome of the write is unknown")]
    OutcomeUnknown(#[source] ErrorSource),

    /// The store's schema is not the one this build expects.
    #[error(
        "the store's schema is at version {found}, this build needs {expected}; run `dentismile migrate`"
    )]
    SchemaMismatch {
        /// The version found.
        found: i64,
        /// The version needed.
        expected: i64,
    },

    /// An event cursor this store did not issue.
    #[error("'{0}' is not an event cursor of this store")]
    InvalidCursor(String),

    /// Stored data that breaks the domain's rules; a bug or a damaged store.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),

    /// Any other failure.
    #[error("internal store error")]
    Internal(#[source] ErrorSource),
}

impl StoreError {
    /// Whether retrying the same request later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(_) | Self::Overloaded | Self::OutcomeUnknown(_)
        )
    }
}

/// Slots to publish into one partition, all or nothing.
#[derive(Debug, Clone)]
pub struct PublishSlots {
    partition: PartitionKey,
    slots: Vec<NewSlot>,
    /// When the change happens.
    pub at: Timestamp,
}

impl PublishSlots {
    /// Groups slots by partition, keeping each group's order. Callers have already checked that
    /// the slots do not overlap each other.
    pub fn by_partition(slots: Vec<NewSlot>, at: Timestamp) -> Vec<PublishSlots> {
        let mut batches: Vec<PublishSlots> = Vec::new();
        for slot in slots {
            let partition = slot.key().partition();
            match batches
                .iter_mut()
                .find(|batch| batch.partition == partition)
            {
                Some(batch) => batch.slots.push(slot),
                None => batches.push(PublishSlots {
                    partition,
                    slots: vec![slot],
                    at,
                }),
            }
        }
        batches
    }

    /// The partition written.
    pub fn partition(&self) -> &PartitionKey {
        &self.partition
    }

    /// The slots, all in [`PublishSlots::partition`].
    pub fn slots(&self) -> &[NewSlot] {
        &self.slots
    }
}

/// What publishing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    /// All written: `published` became free (new or revived), `unchanged` already were.
    Applied {
        /// Slots created or made free again, each with a `published` event.
        published: Vec<Slot>,
        /// Slots that already existed exactly as requested.
        unchanged: usize,
    },
    /// Nothing written: a requested slot overlaps a stored slot of its dentist.
    Conflict(Box<PublishConflict>),
}

/// Book a free slot.
#[derive(Debug, Clone)]
pub struct BookSlot {
    /// The id the appointment gets if this books it.
    pub appointment_id: AppointmentId,
    /// The slot.
    pub slot: SlotKey,
    /// Who books.
    pub patient_id: UserId,
    /// The patient's name, for the schedule.
    pub patient_name: DisplayName,
    /// The patient's note.
    pub reason: Option<Reason>,
    /// The client's key for this booking.
    pub idempotency_key: IdempotencyKey,
    /// When.
    pub at: Timestamp,
    /// When the store may forget the key.
    pub key_expires_at: Timestamp,
}

/// What booking did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookOutcome {
    /// Booked now; a `booked` event was appended.
    Booked(Appointment),
    /// An earlier call with the same patient and key booked it; nothing changed.
    Replayed(Appointment),
    /// The slot is not free; nothing changed.
    Conflict(Slot),
    /// The key was used by this patient for another slot; nothing changed.
    KeyReused(Appointment),
    /// No such slot.
    NoSuchSlot,
}

/// Cancel an appointment, releasing its slot.
#[derive(Debug, Clone)]
pub struct CancelAppointment {
    /// The appointment.
    pub appointment_id: AppointmentId,
    /// Its slot (the partition to write).
    pub slot: SlotKey,
    /// Who cancels.
    pub by: CancelledBy,
    /// Why.
    pub reason: Option<Reason>,
    /// When.
    pub at: Timestamp,
}

/// What cancelling did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Cancelled now; the slot is free and a `released` event was appended.
    Cancelled(Appointment),
    /// It was cancelled before; nothing changed.
    AlreadyCancelled(Appointment),
    /// No such appointment on that slot.
    NoSuchAppointment,
}

/// Withdraw a free slot.
#[derive(Debug, Clone)]
pub struct WithdrawSlot {
    /// The slot.
    pub slot: SlotKey,
    /// When.
    pub at: Timestamp,
}

/// What withdrawing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithdrawOutcome {
    /// Withdrawn now; a `withdrawn` event was appended.
    Withdrawn(Slot),
    /// It was withdrawn before; nothing changed.
    AlreadyWithdrawn(Slot),
    /// It is booked; nothing changed.
    Conflict(Slot),
    /// No such slot.
    NoSuchSlot,
}

/// A page of one partition's slots, in clustering order (dentist, start).
#[derive(Debug, Clone)]
pub struct SlotQuery {
    /// The partition.
    pub partition: PartitionKey,
    /// Only this dentist.
    pub dentist_id: Option<DentistId>,
    /// Only free slots.
    pub only_free: bool,
    /// Start after this (dentist, start), exclusive.
    pub after: Option<(DentistId, Timestamp)>,
    /// At most this many.
    pub limit: usize,
}

/// A page of a patient's appointments, ordered by (slot start, id).
#[derive(Debug, Clone)]
pub struct AppointmentQuery {
    /// The patient.
    pub patient_id: UserId,
    /// Only appointments whose slot ends after this instant.
    pub ending_after: Option<Timestamp>,
    /// Only booked ones (not cancelled). Filtered by the store, before the limit, so that a page
    /// is only short at the end of the list.
    pub only_booked: bool,
    /// Start after this (slot start, id), exclusive.
    pub after: Option<(Timestamp, AppointmentId)>,
    /// At most this many.
    pub limit: usize,
}

/// What adding a dentist did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DentistOutcome {
    /// Added or renamed.
    Saved,
    /// The clinic does not exist.
    NoSuchClinic,
}

/// Clinics and dentists.
#[async_trait]
pub trait ClinicDirectory: Send + Sync {
    /// Creates or replaces a clinic's details.
    async fn upsert_clinic(&self, clinic: &Clinic) -> Result<(), StoreError>;

    /// Adds a dentist to an existing clinic, or renames one.
    async fn upsert_dentist(&self, dentist: &Dentist) -> Result<DentistOutcome, StoreError>;

    /// One clinic.
    async fn clinic(&self, id: &ClinicId) -> Result<Option<Clinic>, StoreError>;

    /// Clinics ordered by id, after `after` (exclusive).
    async fn clinics(
        &self,
        after: Option<&ClinicId>,
        limit: usize,
    ) -> Result<Vec<Clinic>, StoreError>;

    /// A clinic's dentists ordered by id.
    async fn dentists(&self, clinic: &ClinicId) -> Result<Vec<Dentist>, StoreError>;
}

/// Slots and appointments.
#[async_trait]
pub trait SlotStore: Send + Sync {
    /// Publishes slots into one partition, all or nothing, as [`crate::slot::reconcile_publish`]
    /// decides.
    async fn publish(&self, command: &PublishSlots) -> Result<PublishOutcome, StoreError>;

    /// Books a slot if it is free, or recognises a retry.
    async fn book(&self, command: &BookSlot) -> Result<BookOutcome, StoreError>;

    /// Cancels a booked appointment and frees its slot.
    async fn cancel(&self, command: &CancelAppointment) -> Result<CancelOutcome, StoreError>;

    /// Withdraws a free slot.
    async fn withdraw(&self, command: &WithdrawSlot) -> Result<WithdrawOutcome, StoreError>;

    /// One slot.
    async fn slot(&self, key: &SlotKey) -> Result<Option<Slot>, StoreError>;

    /// A page of one partition.
    async fn slots(&self, query: &SlotQuery) -> Result<Vec<Slot>, StoreError>;

    /// One appointment.
    async fn appointment(&self, id: &AppointmentId) -> Result<Option<Appointment>, StoreError>;

    /// The appointments holding (or having held) slots of one partition, for schedules.
    async fn appointments_in(
        &self,
        partition: &PartitionKey,
    ) -> Result<Vec<Appointment>, StoreError>;

    /// A page of a patient's appointments.
    async fn appointments_of_patient(
        &self,
        query: &AppointmentQuery,
    ) -> Result<Vec<Appointment>, StoreError>;
}

/// The outbox, read in the store's log order: within a partition always in `seq` order; across
/// partitions in commit order (SQLite) or the order the sequencer copied them (ScyllaDB, see
/// docs/scylla.md). Either way a cursor never skips an event and never repeats one before it.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Up to `limit` events after `cursor`, in log order.
    async fn events_after(
        &self,
        cursor: &EventCursor,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Returns once events after `cursor` may exist, or after `max_wait`, whichever is first.
    /// May return early; callers read with [`EventLog::events_after`] and wait again.
    async fn wait_for_events(&self, cursor: &EventCursor, max_wait: Duration);

    /// The cursor after the newest event: where a reader that wants only new events starts.
    async fn latest_cursor(&self) -> Result<EventCursor, StoreError>;
}

/// Accounts and their sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account unless its email is taken (one conditional write on the email).
    async fn create_account(&self, account: &Account) -> Result<CreateAccountOutcome, StoreError>;

    /// The account signing in with `email`.
    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError>;

    /// One account.
    async fn account(&self, id: &crate::ids::UserId) -> Result<Option<Account>, StoreError>;

    /// Starts a session with its first refresh token.
    async fn start_session(&self, session: &NewSession) -> Result<(), StoreError>;

    /// Spends a refresh token and stores its successor, or detects a replay (and revokes the
    /// session), in one conditional write.
    async fn rotate_refresh_token(
        &self,
        rotation: &RefreshRotation,
    ) -> Result<RotateOutcome, StoreError>;

    /// Ends the session of a refresh token (spent or not); `None` if the token is unknown.
    /// Ending an ended session changes nothing and still names it.
    async fn end_session(
        &self,
        refresh_token: &RefreshTokenHash,
        at: Timestamp,
    ) -> Result<Option<SessionId>, StoreError>;

    /// Sessions revoked at or after `since`, oldest first, at most `limit`.
    async fn revoked_sessions_since(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<RevokedSession>, StoreError>;
}

/// Everything the services need from a store.
pub trait Store: ClinicDirectory + SlotStore + EventLog + AccountStore + fmt::Debug {}

impl<T: ClinicDirectory + SlotStore + EventLog + AccountStore + fmt::Debug> Store for T {}
