//! Every CQL statement the store runs, prepared once at connection and kept in [`Statements`].
//!
//! All partition and clustering key columns are bound (never inlined), so the driver can route
//! each request to a replica that owns the partition (token-aware routing) and the statement
//! text stays the same for every call. Tables are unqualified: the session uses the store's
//! keyspace.

use scylla::{
    client::{execution_profile::ExecutionProfileHandle, session::Session},
    statement::{prepared::PreparedStatement, unprepared::Statement},
};

use super::driver_errors::prepare_error;
use dentismile_domain::ports::StoreError;

/// Rows per page of every paged read.
pub(crate) const PAGE_SIZE: i32 = 500;

// --- the clinic-day partitions -------------------------------------------------------------

/// The partition's version (its last event's seq), read before anything else of it.
pub(crate) const PARTITION_SEQ: &str =
    "SELECT event_seq FROM clinic_days WHERE clinic_id = ? AND day = ? LIMIT 1";

/// Columns of a slot row, as `rows::SlotRow` reads them (with the partition's version).
#[cfg(test)]
const SLOT_COLUMNS: &str = "event_seq, dentist_id, start, slot_end, state, \
     holder_appointment_id, holder_patient_id, booking_key, updated_at";

pub(crate) const SLOT: &str = concat!(
    "SELECT event_seq, dentist_id, start, slot_end, state, holder_appointment_id, ",
    "holder_patient_id, booking_key, updated_at FROM clinic_days ",
    "WHERE clinic_id = ? AND day = ? AND row_kind = ? AND seq = ? AND dentist_id = ? ",
    "AND start = ? AND appointment_id = ?"
);

/// One dentist's slots after a start, in start order.
pub(crate) const SLOTS_OF_DENTIST_AFTER: &str = concat!(
    "SELECT event_seq, dentist_id, start, slot_end, state, holder_appointment_id, ",
    "holder_patient_id, booking_key, updated_at FROM clinic_days ",
    "WHERE clinic_id = ? AND day = ? AND row_kind = ? AND seq = ? AND dentist_id = ? ",
    "AND start > ?"
);

/// The slots of every dentist after a dentist, in (dentist, start) order.
pub(crate) const SLOTS_AFTER_DENTIST: &str = concat!(
    "SELECT event_seq, dentist_id, start, slot_end, state, holder_appointment_id, ",
    "holder_patient_id, booking_key, updated_at FROM clinic_days ",
    "WHERE clinic_id = ? AND day = ? AND row_kind = ? AND seq = ? AND dentist_id > ?"
);

/// Creates a slot, or rewrites a withdrawn one as free (publishing).
pub(crate) const SLOT_UPSERT: &str = concat!(
    "UPDATE clinic_days SET slot_end = ?, state = ?, holder_appointment_id = ?, ",
    "holder_patient_id = ?, booking_key = ?, updated_at = ? ",
    "WHERE clinic_id = ? AND day = ? AND row_kind = ? AND seq = ? AND dentist_id = ? ",
    "AND start = ? AND appointment_id = ?"
);

/// Changes one slot if it, and the whole partition, is exactly as read: the one conditional
/// statement of booking, cancelling and withdrawing. The conditions name every column of the
/// slot, so the row ScyllaDB returns beside `[applied]` carries the slot as it is now, and the
/// outcome (conflict, retry, replay) is decided from it without another read.
pub(crate) const SLOT_CAS: &str = concat!(
    "UPDATE clinic_days SET event_seq = ?, slot_end = ?, state = ?, holder_appointment_id = ?, ",
    "holder_patient_id = ?, booking_key = ?, updated_at = ? ",
    "WHERE clinic_id = ? AND day = ? AND row_kind = ? AND seq = ? AND dentist_id = ? ",
    "AND start = ? AND appointment_id = ? ",
    "IF event_seq = ? AND state = ? AND slot_end = ? AND holder_appointment_id = ? ",
    "AND holder_patient_id = ? AND booking_key = ?"
);

/// Moves the partition's version on if nobody else did (publishing, which changes many rows).
pub(crate) const PARTITION_CAS: &str =
    "UPDATE clinic_days SET event_seq = ? WHERE clinic_id = ? AND day = ? IF event_seq = ?";

#[cfg(test)]
const APPOINTMENT_COLUMNS: &str = "dentist_id, start, appointment_id, slot_end, patient_id, \
     patient_name, reason, booked_at, status, cancelled_at, cancelled_by, cancellation_reason";

pub(crate) const APPOINTMENT: &str = concat!(
    "SELECT dentist_id, start, appointment_id, slot_end, patient_id, patient_name, reason, ",
    "booked_at, status, cancelled_at, cancelled_by, cancellation_reason FROM clinic_days ",
    "WHERE clinic_id = ? AND day = ? AND row_kind = ? AND seq = ? AND dentist_id = ? ",
    "AND start = ? AND appointment_id = ?"
);

pub(crate) const APPOINTMENTS_IN_PARTITION: &str = concat!(
    "SELECT dentist_id, start, appointment_id, slot_end, patient_id, patient_name, reason, ",
    "booked_at, status, cancelled_at, cancelled_by, cancellation_reason FROM clinic_days ",
    "WHERE clinic_id = ? AND day = ? AND row_kind = ?"
);

pub(crate) const APPOINTMENT_INSERT: &str = concat!(
    "INSERT INTO clinic_days (clinic_id, day, row_kind, seq, dentist_id, start, appointment_id, ",
    "slot_end, patient_id, patient_name, reason, booked_at, status) ",
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
);

pub(crate) const APPOINTMENT_CANCEL: &str = concat!(
    "UPDATE clinic_days SET status = ?, cancelled_at = ?, cancelled_by = ?, ",
    "cancellation_reason = ? ",
    "WHERE clinic_id = ? AND day = ? AND row_kind = ? AND seq = ? AND dentist_id = ? ",
    "AND start = ? AND appointment_id = ?"
);

pub(crate) const EVENT_INSERT: &str = concat!(
    "INSERT INTO clinic_days (clinic_id, day, row_kind, seq, dentist_id, start, appointment_id, ",
    "event_id, kind, slot_end, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
);

/// A partition's events after a seq, in seq order.
pub(crate) const EVENTS_AFTER_SEQ: &str = concat!(
    "SELECT seq, dentist_id, start, event_id, kind, slot_end, occurred_at FROM clinic_days ",
    "WHERE clinic_id = ? AND day = ? AND row_kind = ? AND seq > ?"
);

// --- lookups beside the partitions -----------------------------------------------------------

pub(crate) const LOCATION_INSERT: &str = concat!(
    "INSERT INTO appointment_locations (appointment_id, clinic_id, day, dentist_id, start) ",
    "VALUES (?, ?, ?, ?, ?)"
);

pub(crate) const LOCATION: &str = concat!(
    "SELECT clinic_id, day, dentist_id, start FROM appointment_locations ",
    "WHERE appointment_id = ?"
);

pub(crate) const LOCATION_DELETE: &str =
    "DELETE FROM appointment_locations WHERE appointment_id = ?";

pub(crate) const BY_PATIENT_INSERT: &str = concat!(
    "INSERT INTO appointments_by_patient (patient_id, start, appointment_id, clinic_id, day, ",
    "dentist_id) VALUES (?, ?, ?, ?, ?, ?)"
);

/// A patient's appointments after (start, id), in that order. A multi-column slice on the
/// clustering columns, which CQL allows from the first clustering column.
pub(crate) const BY_PATIENT_AFTER: &str = concat!(
    "SELECT start, appointment_id, clinic_id, day, dentist_id FROM appointments_by_patient ",
    "WHERE patient_id = ? AND (start, appointment_id) > (?, ?)"
);

pub(crate) const BY_PATIENT_DELETE: &str =
    "DELETE FROM appointments_by_patient WHERE patient_id = ? AND start = ? AND appointment_id = ?";

pub(crate) const KEY: &str = concat!(
    "SELECT appointment_id, clinic_id, day, dentist_id, start, expires_at FROM idempotency_keys ",
    "WHERE patient_id = ? AND idempotency_key = ?"
);

pub(crate) const KEY_INSERT: &str = concat!(
    "INSERT INTO idempotency_keys (patient_id, idempotency_key, appointment_id, clinic_id, day, ",
    "dentist_id, start, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?"
);

// --- the directory ---------------------------------------------------------------------------

#[cfg(test)]
const CLINIC_COLUMNS: &str =
    "clinic_id, name, neighbourhood, address, latitude, longitude, opening_hours";

pub(crate) const CLINIC_UPSERT: &str = concat!(
    "INSERT INTO clinics (directory, clinic_id, name, neighbourhood, address, latitude, ",
    "longitude, opening_hours) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
);

pub(crate) const CLINIC: &str = concat!(
    "SELECT clinic_id, name, neighbourhood, address, latitude, longitude, opening_hours ",
    "FROM clinics WHERE directory = ? AND clinic_id = ?"
);

pub(crate) const CLINICS_AFTER: &str = concat!(
    "SELECT clinic_id, name, neighbourhood, address, latitude, longitude, opening_hours ",
    "FROM clinics WHERE directory = ? AND clinic_id > ?"
);

pub(crate) const DENTIST_UPSERT: &str =
    "INSERT INTO dentists (clinic_id, dentist_id, name) VALUES (?, ?, ?)";

pub(crate) const DENTISTS: &str =
    "SELECT clinic_id, dentist_id, name FROM dentists WHERE clinic_id = ?";

// --- the event log ---------------------------------------------------------------------------

pub(crate) const STORE_ID: &str = "SELECT store_id FROM store_meta WHERE meta_key = ?";

pub(crate) const PENDING_REGISTER: &str = concat!(
    "INSERT INTO pending_event_partitions (shard, clinic_id, day, registered_at) ",
    "VALUES (?, ?, ?, ?)"
);

pub(crate) const PENDING: &str = concat!(
    "SELECT clinic_id, day, WRITETIME(registered_at) AS registered_micros ",
    "FROM pending_event_partitions ",
    "WHERE shard = ?"
);

/// Deletes a registration only as of the write the sequencer saw: a later registration (a
/// newer write timestamp) survives it.
pub(crate) const PENDING_DELETE: &str = concat!(
    "DELETE FROM pending_event_partitions USING TIMESTAMP ? ",
    "WHERE shard = ? AND clinic_id = ? AND day = ?"
);

/// The last sequenced seq of a partition (the clustering order is seq descending).
pub(crate) const SEQUENCED_UP_TO: &str =
    "SELECT seq FROM event_positions WHERE clinic_id = ? AND day = ? LIMIT 1";

pub(crate) const POSITION_INSERT: &str =
    "INSERT INTO event_positions (clinic_id, day, seq, position) VALUES (?, ?, ?, ?)";

/// A segment's head, read at LOCAL_SERIAL before appending to it.
pub(crate) const SEGMENT_HEAD: &str =
    "SELECT head, confirmed FROM event_log WHERE segment = ? LIMIT 1";

/// Appends to a segment if nobody appended since its head was read.
pub(crate) const SEGMENT_CAS: &str =
    "UPDATE event_log SET head = ?, confirmed = ? WHERE segment = ? IF head = ?";

pub(crate) const LOG_INSERT: &str = concat!(
    "INSERT INTO event_log (segment, position, event_id, clinic_id, day, seq, kind, dentist_id, ",
    "slot_start, slot_end, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
);

pub(crate) const LOG_AFTER: &str = concat!(
    "SELECT position, event_id, clinic_id, day, seq, kind, dentist_id, slot_start, slot_end, ",
    "occurred_at FROM event_log WHERE segment = ? AND position > ?"
);

/// Log entries in a range, to write their event_positions rows.
pub(crate) const LOG_RANGE: &str = concat!(
    "SELECT position, event_id, clinic_id, day, seq, kind, dentist_id, slot_start, slot_end, ",
    "occurred_at FROM event_log WHERE segment = ? AND position > ? AND position <= ?"
);

pub(crate) const TAIL: &str = "SELECT segment FROM event_log_tail WHERE meta_key = ?";

pub(crate) const TAIL_SET: &str = "INSERT INTO event_log_tail (meta_key, segment) VALUES (?, ?)";

// --- accounts and sessions -------------------------------------------------------------------

#[cfg(test)]
const ACCOUNT_COLUMNS: &str = "email, user_id, password_hash, display_name, account_role, \
     clinic_id, dentist_id, created_at";

pub(crate) const ACCOUNT_CLAIM: &str = concat!(
    "INSERT INTO users_by_email (email, user_id, password_hash, display_name, account_role, ",
    "clinic_id, dentist_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS"
);

pub(crate) const ACCOUNT_BY_EMAIL: &str = concat!(
    "SELECT email, user_id, password_hash, display_name, account_role, clinic_id, dentist_id, ",
    "created_at FROM users_by_email WHERE email = ?"
);

pub(crate) const USER_EMAIL_INSERT: &str = "INSERT INTO user_emails (user_id, email) VALUES (?, ?)";

pub(crate) const USER_EMAIL: &str = "SELECT email FROM user_emails WHERE user_id = ?";

pub(crate) const SESSION_INSERT: &str = concat!(
    "INSERT INTO sessions (session_id, user_id, created_at, current_token, ",
    "current_expires_at) VALUES (?, ?, ?, ?, ?)"
);

pub(crate) const SESSION: &str = concat!(
    "SELECT user_id, revoked_at, current_token, current_expires_at FROM sessions ",
    "WHERE session_id = ?"
);

pub(crate) const SESSION_ROTATE: &str = concat!(
    "UPDATE sessions SET current_token = ?, current_expires_at = ? WHERE session_id = ? ",
    "IF current_token = ? AND revoked_at = ?"
);

/// Ends a session that exists and has not ended (`user_id != null` keeps the update from
/// creating a row for an unknown session).
pub(crate) const SESSION_REVOKE: &str = concat!(
    "UPDATE sessions SET revoked_at = ? WHERE session_id = ? ",
    "IF user_id != ? AND revoked_at = ?"
);

pub(crate) const TOKEN_INSERT: &str =
    "INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES (?, ?, ?)";

pub(crate) const TOKEN: &str = "SELECT session_id FROM refresh_tokens WHERE token_hash = ?";

pub(crate) const REVOCATION_INSERT: &str = concat!(
    "INSERT INTO session_revocations (revoked_day, revoked_at, session_id) ",
    "VALUES (?, ?, ?)"
);

pub(crate) const REVOCATION_DAY_INSERT: &str =
    "INSERT INTO session_revocation_days (directory, revoked_day) VALUES (?, ?)";

pub(crate) const REVOCATION_DAYS_FROM: &str = concat!(
    "SELECT revoked_day FROM session_revocation_days ",
    "WHERE directory = ? AND revoked_day >= ?"
);

pub(crate) const REVOCATIONS_SINCE: &str = concat!(
    "SELECT revoked_at, session_id FROM session_revocations ",
    "WHERE revoked_day = ? AND revoked_at >= ?"
);

/// The store's prepared statements, one field per statement above.
#[derive(Debug)]
pub(crate) struct Statements {
    pub partition_seq: PreparedStatement,
    pub partition_seq_serial: PreparedStatement,
    pub slot: PreparedStatement,
    pub slot_serial: PreparedStatement,
    pub slots_of_dentist_after: PreparedStatement,
    pub slots_after_dentist: PreparedStatement,
    pub slot_upsert: PreparedStatement,
    pub slot_cas: PreparedStatement,
    pub partition_cas: PreparedStatement,
    pub appointment: PreparedStatement,
    pub appointment_serial: PreparedStatement,
    pub appointments_in_partition: PreparedStatement,
    pub appointment_insert: PreparedStatement,
    pub appointment_cancel: PreparedStatement,
    pub event_insert: PreparedStatement,
    pub events_after_seq: PreparedStatement,
    pub events_after_seq_serial: PreparedStatement,
    pub location_insert: PreparedStatement,
    pub location: PreparedStatement,
    pub location_delete: PreparedStatement,
    pub by_patient_insert: PreparedStatement,
    pub by_patient_after: PreparedStatement,
    pub by_patient_delete: PreparedStatement,
    pub key: PreparedStatement,
    pub key_insert: PreparedStatement,
    pub clinic_upsert: PreparedStatement,
    pub clinic: PreparedStatement,
    pub clinics_after: PreparedStatement,
    pub dentist_upsert: PreparedStatement,
    pub dentists: PreparedStatement,
    pub store_id: PreparedStatement,
    pub pending_register: PreparedStatement,
    pub pending: PreparedStatement,
    pub pending_delete: PreparedStatement,
    pub sequenced_up_to: PreparedStatement,
    pub position_insert: PreparedStatement,
    pub segment_head_serial: PreparedStatement,
    pub segment_cas: PreparedStatement,
    pub log_insert: PreparedStatement,
    pub log_after: PreparedStatement,
    pub log_range: PreparedStatement,
    pub tail: PreparedStatement,
    pub tail_set: PreparedStatement,
    pub account_claim: PreparedStatement,
    pub account_by_email: PreparedStatement,
    pub account_by_email_serial: PreparedStatement,
    pub user_email_insert: PreparedStatement,
    pub user_email: PreparedStatement,
    pub session_insert: PreparedStatement,
    pub session: PreparedStatement,
    pub session_serial: PreparedStatement,
    pub session_rotate: PreparedStatement,
    pub session_revoke: PreparedStatement,
    pub token_insert: PreparedStatement,
    pub token: PreparedStatement,
    pub revocation_insert: PreparedStatement,
    pub revocation_day_insert: PreparedStatement,
    pub revocation_days_from: PreparedStatement,
    pub revocations_since: PreparedStatement,
}

/// The statements that write, by name: write plans are built as `(Cql, Values)` pairs so
/// tests can check each plan's values against its statement's text without a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cql {
    SlotCas,
    PartitionCas,
    SlotUpsert,
    AppointmentInsert,
    AppointmentCancel,
    EventInsert,
    LocationInsert,
    LocationDelete,
    ByPatientInsert,
    ByPatientDelete,
    KeyInsert,
    ClinicUpsert,
    DentistUpsert,
    PendingRegister,
    PendingDelete,
    PositionInsert,
    SegmentCas,
    LogInsert,
    TailSet,
    AccountClaim,
    UserEmailInsert,
    SessionInsert,
    SessionRotate,
    SessionRevoke,
    TokenInsert,
    RevocationInsert,
    RevocationDayInsert,
}

impl Cql {
    /// The statement's CQL.
    #[cfg(test)]
    pub(crate) fn text(self) -> &'static str {
        match self {
            Self::SlotCas => SLOT_CAS,
            Self::PartitionCas => PARTITION_CAS,
            Self::SlotUpsert => SLOT_UPSERT,
            Self::AppointmentInsert => APPOINTMENT_INSERT,
            Self::AppointmentCancel => APPOINTMENT_CANCEL,
            Self::EventInsert => EVENT_INSERT,
            Self::LocationInsert => LOCATION_INSERT,
            Self::LocationDelete => LOCATION_DELETE,
            Self::ByPatientInsert => BY_PATIENT_INSERT,
            Self::ByPatientDelete => BY_PATIENT_DELETE,
            Self::KeyInsert => KEY_INSERT,
            Self::ClinicUpsert => CLINIC_UPSERT,
            Self::DentistUpsert => DENTIST_UPSERT,
            Self::PendingRegister => PENDING_REGISTER,
            Self::PendingDelete => PENDING_DELETE,
            Self::PositionInsert => POSITION_INSERT,
            Self::SegmentCas => SEGMENT_CAS,
            Self::LogInsert => LOG_INSERT,
            Self::TailSet => TAIL_SET,
            Self::AccountClaim => ACCOUNT_CLAIM,
            Self::UserEmailInsert => USER_EMAIL_INSERT,
            Self::SessionInsert => SESSION_INSERT,
            Self::SessionRotate => SESSION_ROTATE,
            Self::SessionRevoke => SESSION_REVOKE,
            Self::TokenInsert => TOKEN_INSERT,
            Self::RevocationInsert => REVOCATION_INSERT,
            Self::RevocationDayInsert => REVOCATION_DAY_INSERT,
        }
    }
}

impl Statements {
    /// The prepared form of a writing statement.
    pub(crate) fn get(&self, cql: Cql) -> &PreparedStatement {
        match cql {
            Cql::SlotCas => &self.slot_cas,
            Cql::PartitionCas => &self.partition_cas,
            Cql::SlotUpsert => &self.slot_upsert,
            Cql::AppointmentInsert => &self.appointment_insert,
            Cql::AppointmentCancel => &self.appointment_cancel,
            Cql::EventInsert => &self.event_insert,
            Cql::LocationInsert => &self.location_insert,
            Cql::LocationDelete => &self.location_delete,
            Cql::ByPatientInsert => &self.by_patient_insert,
            Cql::ByPatientDelete => &self.by_patient_delete,
            Cql::KeyInsert => &self.key_insert,
            Cql::ClinicUpsert => &self.clinic_upsert,
            Cql::DentistUpsert => &self.dentist_upsert,
            Cql::PendingRegister => &self.pending_register,
            Cql::PendingDelete => &self.pending_delete,
            Cql::PositionInsert => &self.position_insert,
            Cql::SegmentCas => &self.segment_cas,
            Cql::LogInsert => &self.log_insert,
            Cql::TailSet => &self.tail_set,
            Cql::AccountClaim => &self.account_claim,
            Cql::UserEmailInsert => &self.user_email_insert,
            Cql::SessionInsert => &self.session_insert,
            Cql::SessionRotate => &self.session_rotate,
            Cql::SessionRevoke => &self.session_revoke,
            Cql::TokenInsert => &self.token_insert,
            Cql::RevocationInsert => &self.revocation_insert,
            Cql::RevocationDayInsert => &self.revocation_day_insert,
        }
    }
}

/// How a statement is run, which decides its profile and whether the driver may retry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A read at LOCAL_QUORUM, paged; safe to retry.
    Read,
    /// A linearizable read at LOCAL_SERIAL (sees, and completes, conditional writes in flight).
    SerialRead,
    /// An unconditional write: an upsert or delete, so applying it twice is harmless.
    Write,
    /// A lightweight transaction: never retried blindly by the driver, because a timeout leaves
    /// its outcome unknown; the store resolves that itself.
    Conditional,
}

async fn prepare(
    session: &Session,
    serial_profile: &ExecutionProfileHandle,
    cql: &str,
    kind: Kind,
) -> Result<PreparedStatement, StoreError> {
    let mut statement = Statement::new(cql);
    match kind {
        Kind::Read | Kind::SerialRead => {
            statement.set_page_size(PAGE_SIZE);
            statement.set_is_idempotent(true);
        }
        Kind::Write => statement.set_is_idempotent(true),
        Kind::Conditional => statement.set_is_idempotent(false),
    }
    if kind == Kind::SerialRead {
        statement.set_execution_profile_handle(Some(serial_profile.clone()));
    }
    session
        .prepare(statement)
        .await
        .map_err(|error| prepare_error(cql, error))
}

impl Statements {
    /// Prepares every statement on `session` (whose keyspace is the store's).
    pub(crate) async fn prepare(
        session: &Session,
        serial_profile: &ExecutionProfileHandle,
    ) -> Result<Self, StoreError> {
        use Kind::*;
        let p = |cql: &'static str, kind: Kind| prepare(session, serial_profile, cql, kind);
        Ok(Self {
            partition_seq: p(PARTITION_SEQ, Read).await?,
            partition_seq_serial: p(PARTITION_SEQ, SerialRead).await?,
            slot: p(SLOT, Read).await?,
            slot_serial: p(SLOT, SerialRead).await?,
            slots_of_dentist_after: p(SLOTS_OF_DENTIST_AFTER, Read).await?,
            slots_after_dentist: p(SLOTS_AFTER_DENTIST, Read).await?,
            slot_upsert: p(SLOT_UPSERT, Write).await?,
            slot_cas: p(SLOT_CAS, Conditional).await?,
            partition_cas: p(PARTITION_CAS, Conditional).await?,
            appointment: p(APPOINTMENT, Read).await?,
            appointment_serial: p(APPOINTMENT, SerialRead).await?,
            appointments_in_partition: p(APPOINTMENTS_IN_PARTITION, Read).await?,
            appointment_insert: p(APPOINTMENT_INSERT, Write).await?,
            appointment_cancel: p(APPOINTMENT_CANCEL, Write).await?,
            event_insert: p(EVENT_INSERT, Write).await?,
            events_after_seq: p(EVENTS_AFTER_SEQ, Read).await?,
            events_after_seq_serial: p(EVENTS_AFTER_SEQ, SerialRead).await?,
            location_insert: p(LOCATION_INSERT, Write).await?,
            location: p(LOCATION, Read).await?,
            location_delete: p(LOCATION_DELETE, Write).await?,
            by_patient_insert: p(BY_PATIENT_INSERT, Write).await?,
            by_patient_after: p(BY_PATIENT_AFTER, Read).await?,
            by_patient_delete: p(BY_PATIENT_DELETE, Write).await?,
            key: p(KEY, Read).await?,
            key_insert: p(KEY_INSERT, Write).await?,
            clinic_upsert: p(CLINIC_UPSERT, Write).await?,
            clinic: p(CLINIC, Read).await?,
            clinics_after: p(CLINICS_AFTER, Read).await?,
            dentist_upsert: p(DENTIST_UPSERT, Write).await?,
            dentists: p(DENTISTS, Read).await?,
            store_id: p(STORE_ID, Read).await?,
            pending_register: p(PENDING_REGISTER, Write).await?,
            pending: p(PENDING, Read).await?,
            pending_delete: p(PENDING_DELETE, Write).await?,
            sequenced_up_to: p(SEQUENCED_UP_TO, Read).await?,
            position_insert: p(POSITION_INSERT, Write).await?,
            segment_head_serial: p(SEGMENT_HEAD, SerialRead).await?,
            segment_cas: p(SEGMENT_CAS, Conditional).await?,
            log_insert: p(LOG_INSERT, Write).await?,
            log_after: p(LOG_AFTER, Read).await?,
            log_range: p(LOG_RANGE, Read).await?,
            tail: p(TAIL, Read).await?,
            tail_set: p(TAIL_SET, Write).await?,
            account_claim: p(ACCOUNT_CLAIM, Conditional).await?,
            account_by_email: p(ACCOUNT_BY_EMAIL, Read).await?,
            account_by_email_serial: p(ACCOUNT_BY_EMAIL, SerialRead).await?,
            user_email_insert: p(USER_EMAIL_INSERT, Write).await?,
            user_email: p(USER_EMAIL, Read).await?,
            session_insert: p(SESSION_INSERT, Write).await?,
            session: p(SESSION, Read).await?,
            session_serial: p(SESSION, SerialRead).await?,
            session_rotate: p(SESSION_ROTATE, Conditional).await?,
            session_revoke: p(SESSION_REVOKE, Conditional).await?,
            token_insert: p(TOKEN_INSERT, Write).await?,
            token: p(TOKEN, Read).await?,
            revocation_insert: p(REVOCATION_INSERT, Write).await?,
            revocation_day_insert: p(REVOCATION_DAY_INSERT, Write).await?,
            revocation_days_from: p(REVOCATION_DAYS_FROM, Read).await?,
            revocations_since: p(REVOCATIONS_SINCE, Read).await?,
        })
    }
}

/// The column lists the row mappers expect, for the tests that keep them and the SELECTs equal.
#[cfg(test)]
pub(crate) const SELECTED_COLUMNS: &[(&str, &str)] = &[
    (SLOT, SLOT_COLUMNS),
    (SLOTS_OF_DENTIST_AFTER, SLOT_COLUMNS),
    (SLOTS_AFTER_DENTIST, SLOT_COLUMNS),
    (APPOINTMENT, APPOINTMENT_COLUMNS),
    (APPOINTMENTS_IN_PARTITION, APPOINTMENT_COLUMNS),
    (CLINIC, CLINIC_COLUMNS),
    (CLINICS_AFTER, CLINIC_COLUMNS),
    (ACCOUNT_BY_EMAIL, ACCOUNT_COLUMNS),
];

/// The names of a statement's `?` markers, in order, as [`super::values::Values`] names them:
/// `where c`, `set c`, `if c`, `value c`, `ttl`, `timestamp`. Only the statement shapes used
/// in this module are understood.
#[cfg(test)]
pub(crate) fn bind_markers(cql: &str) -> Vec<String> {
    let spaced = cql
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace(',', " , ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let upper = |t: &str| t.to_ascii_uppercase();
    let mut markers = Vec::new();
    let mut clause = String::new();
    let mut insert_columns: Vec<&str> = Vec::new();
    let mut insert_index = 0;
    let mut index = 0;
    while index < tokens.len() {
        let token = tokens[index];
        match upper(token).as_str() {
            "SET" => clause = "set".into(),
            "WHERE" => clause = "where".into(),
            "IF" => clause = "if".into(),
            "VALUES" => clause = "value".into(),
            "TTL" if clause == "using" => {}
            "USING" => clause = "using".into(),
            "INTO" => {
                // INSERT INTO table ( a , b ) : collect the column names.
                let mut cursor = index + 3;
                while cursor < tokens.len() && tokens[cursor] != ")" {
                    if tokens[cursor] != "," {
                        insert_columns.push(tokens[cursor]);
                    }
                    cursor += 1;
                }
                index = cursor;
            }
            _ => {}
        }
        if token == "?" {
            let previous = upper(tokens[index - 1]);
            let name = match (clause.as_str(), previous.as_str()) {
                ("using", "TTL") => "ttl".to_string(),
                ("using", "TIMESTAMP") => "timestamp".to_string(),
                ("value", _) => {
                    let column = insert_columns[insert_index];
                    insert_index += 1;
                    format!("value {column}")
                }
                (_, "(" | ",") => {
                    // ( a , b ) > ( ? , ? ): the n-th marker of the tuple names the n-th column.
                    let open = (0..index)
                        .rev()
                        .find(|&i| tokens[i] == "(")
                        .unwrap_or(index);
                    let position = tokens[open..index].iter().filter(|t| **t == "?").count();
                    let column_open = (0..open).rev().find(|&i| tokens[i] == "(").unwrap_or(open);
                    let columns: Vec<&str> = tokens[column_open + 1..open]
                        .iter()
                        .copied()
                        .filter(|t| *t != "," && *t != ")" && !t.starts_with(['>', '<', '=']))
                        .collect();
                    format!("{clause} {}", columns[position])
                }
                _ => {
                    // column <op> ?
                    format!("{clause} {}", tokens[index - 2])
                }
            };
            markers.push(name);
            if clause == "using" && index + 1 < tokens.len() && upper(tokens[index + 1]) == "WHERE"
            {
                clause = "where".into();
            }
        }
        index += 1;
    }
    markers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_from_every_statement_shape() {
        assert_eq!(
            bind_markers(PARTITION_CAS),
            [
                "set event_seq",
                "where clinic_id",
                "where day",
                "if event_seq"
            ]
        );
        assert_eq!(
            bind_markers(DENTIST_UPSERT),
            ["value clinic_id", "value dentist_id", "value name"]
        );
        assert_eq!(
            bind_markers(BY_PATIENT_AFTER),
            ["where patient_id", "where start", "where appointment_id"]
        );
        assert_eq!(
            bind_markers(PENDING_DELETE),
            ["timestamp", "where shard", "where clinic_id", "where day"]
        );
        assert_eq!(
            bind_markers(KEY_INSERT).last().map(String::as_str),
            Some("ttl")
        );
        assert_eq!(bind_markers(KEY_INSERT).len(), 9);
    }

    #[test]
    fn selects_list_the_columns_their_rows_read() {
        for (statement, columns) in SELECTED_COLUMNS {
            let selected = statement
                .strip_prefix("SELECT ")
                .and_then(|rest| rest.split(" FROM ").next())
                .unwrap();
            assert_eq!(selected, *columns, "{statement}");
        }
    }

    #[test]
    fn every_key_column_is_bound_never_inlined() {
        // A literal in a WHERE clause would defeat token-aware routing and prepared-statement
        // reuse; the only literals allowed are LIMITs.
        for statement in ALL {
            let where_clause = statement.split(" WHERE ").nth(1).unwrap_or("");
            let where_clause = where_clause.split(" IF ").next().unwrap_or("");
            if where_clause.is_empty() {
                continue;
            }
            assert!(
                !where_clause.contains('\''),
                "a quoted literal in the WHERE clause of {statement}"
            );
            for relation in where_clause.split(" AND ") {
                let relation = relation.split(" LIMIT ").next().unwrap_or(relation);
                assert!(
                    relation.trim_end().ends_with('?') || relation.trim_end().ends_with(')'),
                    "unbound relation '{relation}' in {statement}"
                );
            }
        }
    }

    /// Every statement, for the checks that apply to all of them.
    const ALL: &[&str] = &[
        PARTITION_SEQ,
        SLOT,
        SLOTS_OF_DENTIST_AFTER,
        SLOTS_AFTER_DENTIST,
        SLOT_UPSERT,
        SLOT_CAS,
        PARTITION_CAS,
        APPOINTMENT,
        APPOINTMENTS_IN_PARTITION,
        APPOINTMENT_INSERT,
        APPOINTMENT_CANCEL,
        EVENT_INSERT,
        EVENTS_AFTER_SEQ,
        LOCATION_INSERT,
        LOCATION,
        LOCATION_DELETE,
        BY_PATIENT_INSERT,
        BY_PATIENT_AFTER,
        BY_PATIENT_DELETE,
        KEY,
        KEY_INSERT,
        CLINIC_UPSERT,
        CLINIC,
        CLINICS_AFTER,
        DENTIST_UPSERT,
        DENTISTS,
        STORE_ID,
        PENDING_REGISTER,
        PENDING,
        PENDING_DELETE,
        SEQUENCED_UP_TO,
        POSITION_INSERT,
        SEGMENT_HEAD,
        SEGMENT_CAS,
        LOG_INSERT,
        LOG_AFTER,
        LOG_RANGE,
        TAIL,
        TAIL_SET,
        ACCOUNT_CLAIM,
        ACCOUNT_BY_EMAIL,
        USER_EMAIL_INSERT,
        USER_EMAIL,
        SESSION_INSERT,
        SESSION,
        SESSION_ROTATE,
        SESSION_REVOKE,
        TOKEN_INSERT,
        TOKEN,
        REVOCATION_INSERT,
        REVOCATION_DAY_INSERT,
        REVOCATION_DAYS_FROM,
        REVOCATIONS_SINCE,
    ];

    #[test]
    fn insert_markers_match_their_column_lists() {
        for statement in ALL.iter().filter(|s| s.starts_with("INSERT")) {
            let columns = statement
                .split('(')
                .nth(1)
                .and_then(|c| c.split(')').next())
                .unwrap()
                .split(", ")
                .count();
            let markers = bind_markers(statement)
                .iter()
                .filter(|m| m.starts_with("value "))
                .count();
            assert_eq!(columns, markers, "{statement}");
        }
    }
}
