//! The distributed backend: every store port on a ScyllaDB cluster, with the same semantics as
//! the embedded store (the shared conformance suite checks both).
//!
//! - [`config`]: the `scylla://` URI ([`ScyllaConfig`]).
//! - [`migrations`]: versioned `.cql` files and [`migrate`]; never run on a request path.
//! - `statements`: every CQL statement, prepared once and kept in fields; `values` binds them
//!   with named markers, `rows` reads typed rows back.
//! - `slots`: publish, book, cancel and withdraw as lightweight transactions on one clinic-day
//!   partition, with typed outcomes decided from `[applied]` and the row ScyllaDB returns
//!   (`cas`); unknown outcomes resolved by a serial read.
//! - `events`, `cursor`: the outbox rows of each partition, copied in order into one global log
//!   whose positions are the event cursors.
//! - `accounts`, `directory`: accounts and sessions; clinics and dentists.
//! - `driver_errors`: the one mapping from driver errors to [`StoreError`].
//!
//! Consistency: writes and reads at `LOCAL_QUORUM`, lightweight transactions with serial
//! consistency `LOCAL_SERIAL`, outcome-resolving reads at `LOCAL_SERIAL`. Routing is
//! token-aware and, when the URI names `dc`, confined to that datacenter. All reads are paged.
//! See docs/scylla.md for the schema, the event design and what was verified.

mod accounts;
mod cas;
pub mod config;
mod cursor;
mod directory;
mod driver_errors;
mod events;
pub mod migrations;
mod rows;
mod slots;
mod statements;
mod values;

use std::{fmt, ops::ControlFlow, sync::Arc, time::Duration};

use async_trait::async_trait;
use dentismile_domain::{
    accounts::{
        Account, CreateAccountOutcome, Email, NewSession, RefreshRotation, RefreshTokenHash,
        RevokedSession, RotateOutcome, SessionId,
    },
    booking::Appointment,
    clinic::{Clinic, Dentist},
    event::{EventCursor, StoredEvent},
    ids::{AppointmentId, ClinicId, UserId},
    jiff::Timestamp,
    ports::{
        AccountStore, AppointmentQuery, BookOutcome, BookSlot, CancelAppointment, CancelOutcome,
        ClinicDirectory, DentistOutcome, EventLog, PublishOutcome, PublishSlots, SlotQuery,
        SlotStore, StoreError, WithdrawOutcome, WithdrawSlot,
    },
    slot::{PartitionKey, Slot, SlotKey},
};
use scylla::{
    client::{
        execution_profile::{ExecutionProfile, ExecutionProfileHandle},
        session::Session,
        session_builder::SessionBuilder,
    },
    deserialize::row::DeserializeRow,
    frame::types::{Consistency, SerialConsistency},
    policies::{load_balancing::DefaultPolicy, retry::DefaultRetryPolicy},
    response::{PagingState, PagingStateResponse},
    statement::{
        batch::{Batch, BatchType},
        prepared::PreparedStatement,
    },
    value::CqlValue,
};
use tokio::sync::Mutex;
use uuid::Uuid;

use self::{
    cas::{CasReply, decode_cas},
    driver_errors::{Request, classify, row_error, rows_error, session_error, typed_rows_error},
    events::SequencerState,
    rows::StoreIdRow,
    statements::{Cql, Statements},
    values::{Values, text},
};
pub use self::{
    config::{Credentials, ReplicationStrategy, ScyllaConfig, ScyllaConfigError, Tablets},
    migrations::{Migration, SCHEMA_VERSION, migrate},
};

/// Rows that can be read into an owned value.
pub(crate) trait OwnedRow: for<'frame, 'metadata> DeserializeRow<'frame, 'metadata> {}
impl<T> OwnedRow for T where T: for<'frame, 'metadata> DeserializeRow<'frame, 'metadata> {}

/// The ScyllaDB store. Cheap to share behind an `Arc`; every method is safe to call
/// concurrently, from any number of processes.
pub struct ScyllaStore {
    session: Session,
    statements: Statements,
    store_id: Uuid,
    keyspace: String,
    event_poll_interval: Duration,
    write_lease: Duration,
    /// One sequencing pass at a time per process: concurrent passes would only contend for the
    /// same log segment. Other processes' passes are coordinated by the segment's CAS.
    sequencer: Mutex<SequencerState>,
}

impl fmt::Debug for ScyllaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScyllaStore")
            .field("keyspace", &self.keyspace)
            .field("store_id", &self.store_id)
            .finish_non_exhaustive()
    }
}

/// Opens a session on `config`'s cluster: token-aware and DC-aware routing, `LOCAL_QUORUM`
/// with `LOCAL_SERIAL` for conditional writes, the URI's timeout, and the driver's default
/// retry policy (which never retries a timed-out write that is not idempotent, so lightweight
/// transactions are never retried blindly). Returns the session and a profile for serial reads.
pub(crate) async fn open_session(
    config: &ScyllaConfig,
) -> Result<(Session, ExecutionProfileHandle), StoreError> {
    let mut policy = DefaultPolicy::builder()
        .token_aware(true)
        // LOCAL_* consistency counts replicas of the local datacenter; sending a request to a
        // remote one would quietly make "local" mean somewhere else.
        .permit_dc_failover(false);
    if let Some(dc) = &config.datacenter {
        policy = policy.prefer_datacenter(dc.clone());
    }
    let regular = ExecutionProfile::builder()
        .consistency(Consistency::LocalQuorum)
        .serial_consistency(Some(SerialConsistency::LocalSerial))
        .request_timeout(Some(config.request_timeout))
        .load_balancing_policy(policy.build())
        .retry_policy(Arc::new(DefaultRetryPolicy::new()))
        .build();
    let serial = regular
        .to_builder()
        .consistency(Consistency::LocalSerial)
        .build();
    let mut builder = SessionBuilder::new()
        .known_nodes(&config.nodes)
        .default_execution_profile_handle(regular.into_handle());
    if let Some(credentials) = &config.credentials {
        builder = builder.user(&credentials.user, &credentials.password);
    }
    let session = builder.build().await.map_err(session_error)?;
    Ok((session, serial.into_handle()))
}

impl ScyllaStore {
    /// Connects to a migrated keyspace; refuses one whose schema is not [`SCHEMA_VERSION`]
    /// (a missing keyspace is version 0).
    pub async fn connect(config: ScyllaConfig) -> Result<Self, StoreError> {
        let (session, serial_profile) = open_session(&config).await?;
        let found = migrations::schema_version(&session, &config.keyspace).await?;
        if found != SCHEMA_VERSION {
            return Err(StoreError::SchemaMismatch {
                found,
                expected: SCHEMA_VERSION,
            });
        }
        migrations::use_keyspace(&session, &config.keyspace).await?;
        let statements = Statements::prepare(&session, &serial_profile).await?;
        let store_id = select_rows::<StoreIdRow>(
            &session,
            &statements.store_id,
            Values::new().key("meta_key", text("store")),
            1,
        )
        .await?
        .into_iter()
        .next()
        .and_then(|row| row.store_id)
        .ok_or_else(|| StoreError::Corrupt("store_meta has no store id".to_string()))?;
        let tail_hint = events::read_tail_hint(&session, &statements).await?;
        Ok(Self {
            session,
            statements,
            store_id,
            keyspace: config.keyspace.clone(),
            event_poll_interval: config.event_poll_interval,
            // Longer than any write may take from registering its partition to finishing its
            // conditional write (a few request timeouts), see events.rs.
            write_lease: (config.request_timeout * 3).max(Duration::from_secs(30)),
            sequencer: Mutex::new(SequencerState::new(tail_hint)),
        })
    }

    /// Migrates (if needed) and connects.
    pub async fn migrate_and_connect(config: ScyllaConfig) -> Result<Self, StoreError> {
        migrate(&config).await?;
        Self::connect(config).await
    }

    /// The keyspace in use.
    pub fn keyspace(&self) -> &str {
        &self.keyspace
    }

    /// The driver session, for operational tools (and tests that clean up keyspaces).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Up to `limit` rows, paged.
    async fn select<R: OwnedRow>(
        &self,
        statement: &PreparedStatement,
        values: Values,
        limit: usize,
    ) -> Result<Vec<R>, StoreError> {
        select_rows(&self.session, statement, values, limit).await
    }

    /// The first row, if any.
    async fn select_one<R: OwnedRow>(
        &self,
        statement: &PreparedStatement,
        values: Values,
    ) -> Result<Option<R>, StoreError> {
        Ok(self.select(statement, values, 1).await?.into_iter().next())
    }

    /// Pages through a SELECT, handing each row to `visit` until it breaks.
    async fn scan<R: OwnedRow>(
        &self,
        statement: &PreparedStatement,
        values: Values,
        visit: impl FnMut(R) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        scan_rows(&self.session, statement, values, visit).await
    }

    /// One page of a SELECT and where the next begins.
    async fn page<R: OwnedRow>(
        &self,
        statement: &PreparedStatement,
        values: &[Option<CqlValue>],
        paging: PagingState,
    ) -> Result<(Vec<R>, Option<PagingState>), StoreError> {
        page_rows(&self.session, statement, values, paging).await
    }

    /// An unconditional write.
    async fn write(&self, cql: Cql, values: Values) -> Result<(), StoreError> {
        self.session
            .execute_unpaged(self.statements.get(cql), values.into_cql())
            .await
            .map_err(|error| classify(error, Request::Write))?;
        Ok(())
    }

    /// Unconditional writes to one partition, applied together.
    async fn write_batch(&self, writes: Vec<(Cql, Values)>) -> Result<(), StoreError> {
        match writes.len() {
            0 => Ok(()),
            1 => {
                let (cql, values) = writes.into_iter().next().expect("one write");
                self.write(cql, values).await
            }
            _ => {
                // Unlogged: every statement of these batches is in one partition, which
                // ScyllaDB applies atomically without a batch log.
                let (batch, values) = self.batch(BatchType::Unlogged, writes);
                self.session
                    .batch(&batch, values)
                    .await
                    .map_err(|error| classify(error, Request::Write))?;
                Ok(())
            }
        }
    }

    fn batch(
        &self,
        batch_type: BatchType,
        statements: Vec<(Cql, Values)>,
    ) -> (Batch, Vec<Vec<Option<CqlValue>>>) {
        let mut batch = Batch::new(batch_type);
        let mut values = Vec::with_capacity(statements.len());
        for (cql, bound) in statements {
            batch.append_statement(self.statements.get(cql).clone());
            values.push(bound.into_cql());
        }
        (batch, values)
    }

    /// A lightweight transaction: one conditional statement, or a conditional batch on one
    /// partition. Errors are classified; a timeout is [`StoreError::OutcomeUnknown`].
    async fn cas(&self, statements: Vec<(Cql, Values)>) -> Result<CasReply, StoreError> {
        let result = if statements.len() == 1 {
            let (cql, values) = statements.into_iter().next().expect("one statement");
            self.session
                .execute_unpaged(self.statements.get(cql), values.into_cql())
                .await
        } else {
            let (batch, values) = self.batch(BatchType::Logged, statements);
            self.session.batch(&batch, values).await
        };
        let result = result.map_err(|error| classify(error, Request::Conditional))?;
        let rows = result.into_rows_result().map_err(rows_error)?;
        let columns: Vec<String> = rows
            .column_specs()
            .iter()
            .map(|spec| spec.name().to_string())
            .collect();
        let mut raw = Vec::new();
        for row in rows
            .rows::<scylla::value::Row>()
            .map_err(typed_rows_error)?
        {
            raw.push(row.map_err(row_error)?.columns);
        }
        decode_cas(&columns, raw)
    }
}

/// Up to `limit` rows of a paged SELECT.
pub(crate) async fn select_rows<R: OwnedRow>(
    session: &Session,
    statement: &PreparedStatement,
    values: Values,
    limit: usize,
) -> Result<Vec<R>, StoreError> {
    let mut rows = Vec::new();
    if limit == 0 {
        return Ok(rows);
    }
    scan_rows(session, statement, values, |row| {
        rows.push(row);
        Ok(if rows.len() >= limit {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    })
    .await?;
    Ok(rows)
}

async fn scan_rows<R: OwnedRow>(
    session: &Session,
    statement: &PreparedStatement,
    values: Values,
    mut visit: impl FnMut(R) -> Result<ControlFlow<()>, StoreError>,
) -> Result<(), StoreError> {
    let values = values.into_cql();
    let mut paging = PagingState::start();
    loop {
        let (rows, next) = page_rows::<R>(session, statement, &values, paging).await?;
        for row in rows {
            if visit(row)?.is_break() {
                return Ok(());
            }
        }
        match next {
            Some(next) => paging = next,
            None => return Ok(()),
        }
    }
}

async fn page_rows<R: OwnedRow>(
    session: &Session,
    statement: &PreparedStatement,
    values: &[Option<CqlValue>],
    paging: PagingState,
) -> Result<(Vec<R>, Option<PagingState>), StoreError> {
    let (result, response) = session
        .execute_single_page(statement, values, paging)
        .await
        .map_err(|error| classify(error, Request::Read))?;
    let rows = result.into_rows_result().map_err(rows_error)?;
    let mut decoded = Vec::with_capacity(rows.rows_num());
    for row in rows.rows::<R>().map_err(typed_rows_error)? {
        decoded.push(row.map_err(row_error)?);
    }
    let next = match response {
        PagingStateResponse::HasMorePages { state } => Some(state),
        PagingStateResponse::NoMorePages => None,
    };
    Ok((decoded, next))
}

#[async_trait]
impl ClinicDirectory for ScyllaStore {
    async fn upsert_clinic(&self, clinic: &Clinic) -> Result<(), StoreError> {
        self.save_clinic(clinic).await
    }

    async fn upsert_dentist(&self, dentist: &Dentist) -> Result<DentistOutcome, StoreError> {
        self.save_dentist(dentist).await
    }

    async fn clinic(&self, id: &ClinicId) -> Result<Option<Clinic>, StoreError> {
        self.find_clinic(id).await
    }

    async fn clinics(
        &self,
        after: Option<&ClinicId>,
        limit: usize,
    ) -> Result<Vec<Clinic>, StoreError> {
        self.list_clinics(after, limit).await
    }

    async fn dentists(&self, clinic: &ClinicId) -> Result<Vec<Dentist>, StoreError> {
        self.list_dentists(clinic).await
    }
}

#[async_trait]
impl SlotStore for ScyllaStore {
    async fn publish(&self, command: &PublishSlots) -> Result<PublishOutcome, StoreError> {
        self.publish_slots(command).await
    }

    async fn book(&self, command: &BookSlot) -> Result<BookOutcome, StoreError> {
        self.book_slot(command).await
    }

    async fn cancel(&self, command: &CancelAppointment) -> Result<CancelOutcome, StoreError> {
        self.cancel_appointment(command).await
    }

    async fn withdraw(&self, command: &WithdrawSlot) -> Result<WithdrawOutcome, StoreError> {
        self.withdraw_slot(command).await
    }

    async fn slot(&self, key: &SlotKey) -> Result<Option<Slot>, StoreError> {
        Ok(self
            .read_slot(key, false)
            .await?
            .slot
            .map(|stored| stored.slot))
    }

    async fn slots(&self, query: &SlotQuery) -> Result<Vec<Slot>, StoreError> {
        self.list_slots(query).await
    }

    async fn appointment(&self, id: &AppointmentId) -> Result<Option<Appointment>, StoreError> {
        self.find_appointment(id).await
    }

    async fn appointments_in(
        &self,
        partition: &PartitionKey,
    ) -> Result<Vec<Appointment>, StoreError> {
        self.partition_appointments(partition).await
    }

    async fn appointments_of_patient(
        &self,
        query: &AppointmentQuery,
    ) -> Result<Vec<Appointment>, StoreError> {
        self.patient_appointments(query).await
    }
}

#[async_trait]
impl EventLog for ScyllaStore {
    async fn events_after(
        &self,
        cursor: &EventCursor,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.read_events_after(cursor, limit).await
    }

    async fn wait_for_events(&self, cursor: &EventCursor, max_wait: Duration) {
        self.poll_for_events(cursor, max_wait).await;
    }

    async fn latest_cursor(&self) -> Result<EventCursor, StoreError> {
        self.newest_cursor().await
    }
}

#[async_trait]
impl AccountStore for ScyllaStore {
    async fn create_account(&self, account: &Account) -> Result<CreateAccountOutcome, StoreError> {
        self.claim_account(account).await
    }

    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
        self.find_account_by_email(email).await
    }

    async fn account(&self, id: &UserId) -> Result<Option<Account>, StoreError> {
        self.find_account(id).await
    }

    async fn start_session(&self, session: &NewSession) -> Result<(), StoreError> {
        self.begin_session(session).await
    }

    async fn rotate_refresh_token(
        &self,
        rotation: &RefreshRotation,
    ) -> Result<RotateOutcome, StoreError> {
        self.rotate_token(rotation).await
    }

    async fn end_session(
        &self,
        refresh_token: &RefreshTokenHash,
        at: Timestamp,
    ) -> Result<Option<SessionId>, StoreError> {
        self.revoke_by_token(refresh_token, at).await
    }

    async fn revoked_sessions_since(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<RevokedSession>, StoreError> {
        self.list_revocations(since, limit).await
    }
}
