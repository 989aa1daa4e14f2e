//! The embedded backend: SQLite in WAL mode, one writer thread with group commit, a few reader
//! threads, and an outbox whose positions are the event cursors.
//!
//! - [`migrations`]: versioned schema files and [`migrate`].
//! - `writer`: the single writing connection, group commit, replies after COMMIT.
//! - `readers`: the reading connections.
//! - `writes`: the conditional writes (publish, book, cancel, withdraw) and their events.
//! - `rows`, `cursor`: mapping rows to domain values, and cursor text.

mod accounts;
mod connection;
mod cursor;
pub mod migrations;
mod readers;
mod rows;
mod writer;
mod writes;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

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
use rusqlite::{ErrorCode, params};
use tokio::sync::watch;

pub use self::migrations::{SCHEMA_VERSION, migrate};
use self::{
    connection::open_connection,
    cursor::{decode_cursor, encode_cursor},
    readers::Readers,
    rows::*,
    writer::Writer,
};

/// Turns rusqlite results into store results, classifying the failure.
pub(crate) trait DbResult<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T> DbResult<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(classify)
    }
}

fn classify(error: rusqlite::Error) -> StoreError {
    let code = error.sqlite_error_code();
    let source: dentismile_domain::ports::ErrorSource = Arc::new(error);
    match code {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Overloaded,
        Some(
            ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::PermissionDenied
            | ErrorCode::OutOfMemory,
        ) => StoreError::Unavailable(source),
        _ => StoreError::Internal(source),
    }
}

/// The highest outbox position, 0 while the outbox is empty. A rusqlite error, so the writer
/// can log its cause; readers classify it with `.db()`.
pub(crate) fn outbox_head(connection: &rusqlite::Connection) -> rusqlite::Result<i64> {
    connection
        .prepare_cached("SELECT coalesce(max(position), 0) FROM outbox")?
        .query_row([], |row| row.get(0))
}

pub(crate) fn internal(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Internal(Arc::new(error))
}

/// Settings of the embedded store.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// The database file; `-wal` and `-shm` files live beside it.
    pub path: PathBuf,
    /// Reader threads.
    pub readers: usize,
    /// Most writes committed together.
    pub max_group: usize,
    /// Most writes (and, separately, reads) waiting; beyond it callers wait for room.
    pub queue_depth: usize,
}

impl SqliteConfig {
    /// Defaults for a database at `path`: 4 readers, groups of up to 256 writes.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            readers: 4,
            max_group: 256,
            queue_depth: 4096,
        }
    }
}

/// The embedded store. Cheap to share behind an `Arc`; dropping the last handle finishes the
/// queued writes and closes the database.
#[derive(Debug)]
pub struct SqliteStore {
    // Field order is drop order: stop the writer (flushing its queue) before the readers.
    writer: Writer,
    readers: Readers,
    outbox_head: watch::Receiver<i64>,
    store_id: Arc<str>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens a migrated database; refuses one whose schema is not [`SCHEMA_VERSION`].
    pub fn open(config: SqliteConfig) -> Result<Self, StoreError> {
        let probe = open_connection(&config.path, false)?;
        let found = migrations::schema_version(&probe)?;
        if found != SCHEMA_VERSION {
            return Err(StoreError::SchemaMismatch {
                found,
                expected: SCHEMA_VERSION,
            });
        }
        let store_id: String = probe
            .query_row(
                "SELECT value FROM store_meta WHERE key = 'store_id'",
                [],
                |row| row.get(0),
            )
            .db()?;
        drop(probe);
        let (head_sender, outbox_head) = watch::channel(0);
        let writer = Writer::start(
            &config.path,
            config.max_group,
            config.queue_depth,
            head_sender,
        )?;
        let readers = Readers::start(&config.path, config.readers, config.queue_depth)?;
        Ok(Self {
            writer,
            readers,
            outbox_head,
            store_id: store_id.into(),
            path: config.path,
        })
    }

    /// Migrates (if needed) and opens the database at `path` with default settings.
    pub fn migrate_and_open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let config = SqliteConfig::at(path);
        migrate(&config.path)?;
        Self::open(config)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write transactions committed since the store opened. The writer commits concurrent
    /// writes in groups, one transaction and one fsync per group, so this grows more slowly
    /// than the number of writes under load; the ratio of the two is the average group size.
    /// There for operators (as a metric) and for tests that check the grouping.
    pub fn write_commits(&self) -> u64 {
        self.writer.commits()
    }
}

#[async_trait]
impl ClinicDirectory for SqliteStore {
    async fn upsert_clinic(&self, clinic: &Clinic) -> Result<(), StoreError> {
        let clinic = clinic.clone();
        self.writer
            .write(move |connection| writes::upsert_clinic(connection, &clinic))
            .await
    }

    async fn upsert_dentist(&self, dentist: &Dentist) -> Result<DentistOutcome, StoreError> {
        let dentist = dentist.clone();
        self.writer
            .write(move |connection| writes::upsert_dentist(connection, &dentist))
            .await
    }

    async fn clinic(&self, id: &ClinicId) -> Result<Option<Clinic>, StoreError> {
        let id = id.clone();
        self.readers
            .read(move |connection| {
                query_first(
                    connection,
                    &format!("SELECT {CLINIC_COLUMNS} FROM clinics WHERE clinic_id = ?1"),
                    [id.as_str()],
                    clinic_from_row,
                )
            })
            .await
    }

    async fn clinics(
        &self,
        after: Option<&ClinicId>,
        limit: usize,
    ) -> Result<Vec<Clinic>, StoreError> {
        let after = after.map(|id| id.as_str().to_string()).unwrap_or_default();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.readers
            .read(move |connection| {
                query_all(
                    connection,
                    &format!(
                        "SELECT {CLINIC_COLUMNS} FROM clinics WHERE clinic_id > ?1
                         ORDER BY clinic_id LIMIT ?2"
                    ),
                    params![after, limit],
                    clinic_from_row,
                )
            })
            .await
    }

    async fn dentists(&self, clinic: &ClinicId) -> Result<Vec<Dentist>, StoreError> {
        let clinic = clinic.clone();
        self.readers
            .read(move |connection| {
                query_all(
                    connection,
                    "SELECT clinic_id, dentist_id, name FROM dentists WHERE clinic_id = ?1
                     ORDER BY dentist_id",
                    [clinic.as_str()],
                    dentist_from_row,
                )
            })
            .await
    }
}

#[async_trait]
impl SlotStore for SqliteStore {
    async fn publish(&self, command: &PublishSlots) -> Result<PublishOutcome, StoreError> {
        let command = command.clone();
        self.writer
            .write(move |connection| writes::publish(connection, &command))
            .await
    }

    async fn book(&self, command: &BookSlot) -> Result<BookOutcome, StoreError> {
        let command = command.clone();
        self.writer
            .write(move |connection| writes::book(connection, &command))
            .await
    }

    async fn cancel(&self, command: &CancelAppointment) -> Result<CancelOutcome, StoreError> {
        let command = command.clone();
        self.writer
            .write(move |connection| writes::cancel(connection, &command))
            .await
    }

    async fn withdraw(&self, command: &WithdrawSlot) -> Result<WithdrawOutcome, StoreError> {
        let command = command.clone();
        self.writer
            .write(move |connection| writes::withdraw(connection, &command))
            .await
    }

    async fn slot(&self, key: &SlotKey) -> Result<Option<Slot>, StoreError> {
        let key = key.clone();
        self.readers
            .read(move |connection| writes::slot_by_key(connection, &key))
            .await
    }

    async fn slots(&self, query: &SlotQuery) -> Result<Vec<Slot>, StoreError> {
        let query = query.clone();
        self.readers
            .read(move |connection| {
                // Row-value comparison resumes right after (dentist, start) in clustering order;
                // the empty dentist sorts before every slug, so "no cursor" reads from the start.
                let (after_dentist, after_ms) = query
                    .after
                    .as_ref()
                    .map_or((String::new(), i64::MIN), |(dentist, start)| {
                        (dentist.as_str().to_string(), to_ms(*start))
                    });
                query_all(
                    connection,
                    &format!(
                        "SELECT {SLOT_COLUMNS} FROM slots
                         WHERE clinic_id = ?1 AND day = ?2
                           AND (?3 IS NULL OR dentist_id = ?3)
                           AND (?4 = 0 OR state = 'free')
                           AND (dentist_id, start_ms) > (?5, ?6)
                         ORDER BY dentist_id, start_ms
                         LIMIT ?7"
                    ),
                    params![
                        query.partition.clinic_id.as_str(),
                        query.partition.day.to_string(),
                        query.dentist_id.as_ref().map(|d| d.as_str()),
                        query.only_free,
                        after_dentist,
                        after_ms,
                        i64::try_from(query.limit).unwrap_or(i64::MAX),
                    ],
                    slot_from_row,
                )
            })
            .await
    }

    async fn appointment(&self, id: &AppointmentId) -> Result<Option<Appointment>, StoreError> {
        let id = id.to_string();
        self.readers
            .read(move |connection| writes::appointment_by_id(connection, &id))
            .await
    }

    async fn appointments_in(
        &self,
        partition: &PartitionKey,
    ) -> Result<Vec<Appointment>, StoreError> {
        let partition = partition.clone();
        self.readers
            .read(move |connection| {
                query_all(
                    connection,
                    &format!(
                        "SELECT {APPOINTMENT_COLUMNS} FROM appointments
                         WHERE clinic_id = ?1 AND day = ?2 ORDER BY dentist_id, start_ms, booked_ms"
                    ),
                    params![partition.clinic_id.as_str(), partition.day.to_string()],
                    appointment_from_row,
                )
            })
            .await
    }

    async fn appointments_of_patient(
        &self,
        query: &AppointmentQuery,
    ) -> Result<Vec<Appointment>, StoreError> {
        let query = query.clone();
        self.readers
            .read(move |connection| {
                let (after_ms, after_id) = query
                    .after
                    .map_or((i64::MIN, String::new()), |(start, id)| {
                        (to_ms(start), id.to_string())
                    });
                query_all(
                    connection,
                    &format!(
                        "SELECT {APPOINTMENT_COLUMNS} FROM appointments
                         WHERE patient_id = ?1
                           AND end_ms > ?2
                           AND (start_ms, appointment_id) > (?3, ?4)
                           AND (NOT ?6 OR status = 'booked')
                         ORDER BY start_ms, appointment_id
                         LIMIT ?5"
                    ),
                    params![
                        query.patient_id.to_string(),
                        query.ending_after.map_or(i64::MIN, to_ms),
                        after_ms,
                        after_id,
                        i64::try_from(query.limit).unwrap_or(i64::MAX),
                        query.only_booked,
                    ],
                    appointment_from_row,
                )
            })
            .await
    }
}

#[async_trait]
impl EventLog for SqliteStore {
    async fn events_after(
        &self,
        cursor: &EventCursor,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let after = decode_cursor(&self.store_id, cursor)?;
        let store_id = Arc::clone(&self.store_id);
        let cursor = cursor.clone();
        self.readers
            .read(move |connection| {
                let events = query_all(
                    connection,
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM outbox WHERE position > ?1
                         ORDER BY position LIMIT ?2"
                    ),
                    params![after, i64::try_from(limit).unwrap_or(i64::MAX)],
                    |row| event_from_row(row, &store_id),
                )?;
                // Any event after the cursor proves it is not past the end, so only an empty
                // page (the usual answer to a caller tailing the log) needs the head.
                if events.is_empty() && after > outbox_head(connection).db()? {
                    // A cursor past the end was issued by a store that has since lost events
                    // or was replaced: resuming from it would silently skip what comes next.
                    return Err(StoreError::InvalidCursor(cursor.as_str().to_string()));
                }
                Ok(events)
            })
            .await
    }

    async fn wait_for_events(&self, cursor: &EventCursor, max_wait: Duration) {
        let Ok(after) = decode_cursor(&self.store_id, cursor) else {
            // events_after reports the bad cursor; do not make the caller wait for it.
            return;
        };
        let mut head = self.outbox_head.clone();
        // Either a commit moves the head past the cursor, or the wait times out; both mean
        // "read again". A closed channel (store dropping) also ends the wait.
        let _ = tokio::time::timeout(max_wait, head.wait_for(|position| *position > after)).await;
    }

    async fn latest_cursor(&self) -> Result<EventCursor, StoreError> {
        let store_id = Arc::clone(&self.store_id);
        self.readers
            .read(move |connection| {
                let head = outbox_head(connection).db()?;
                Ok(if head == 0 {
                    EventCursor::beginning()
                } else {
                    EventCursor::from_store(encode_cursor(&store_id, head))
                })
            })
            .await
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, account: &Account) -> Result<CreateAccountOutcome, StoreError> {
        let account = account.clone();
        self.writer
            .write(move |connection| accounts::create_account(connection, &account))
            .await
    }

    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
        let email = email.as_str().to_string();
        self.readers
            .read(move |connection| accounts::account_where(connection, "email", &email))
            .await
    }

    async fn account(&self, id: &UserId) -> Result<Option<Account>, StoreError> {
        let id = id.to_string();
        self.readers
            .read(move |connection| accounts::account_where(connection, "user_id", &id))
            .await
    }

    async fn start_session(&self, session: &NewSession) -> Result<(), StoreError> {
        let session = session.clone();
        self.writer
            .write(move |connection| accounts::start_session(connection, &session))
            .await
    }

    async fn rotate_refresh_token(
        &self,
        rotation: &RefreshRotation,
    ) -> Result<RotateOutcome, StoreError> {
        let rotation = rotation.clone();
        self.writer
            .write(move |connection| accounts::rotate_refresh_token(connection, &rotation))
            .await
    }

    async fn end_session(
        &self,
        refresh_token: &RefreshTokenHash,
        at: Timestamp,
    ) -> Result<Option<SessionId>, StoreError> {
        let token = refresh_token.clone();
        self.writer
            .write(move |connection| accounts::end_session(connection, &token, at))
            .await
    }

    async fn revoked_sessions_since(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<RevokedSession>, StoreError> {
        self.readers
            .read(move |connection| accounts::revoked_sessions_since(connection, since, limit))
            .await
    }
}

#[cfg(test)]
mod tests {
    use dentismile_domain::ids::EventId;

    use super::*;

    fn fresh_store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::migrate_and_open(dir.path().join("store.db")).unwrap();
        (dir, store)
    }

    /// Appends events to the outbox as committed writes would.
    async fn append_events(store: &SqliteStore, count: i64) {
        store
            .writer
            .write(move |connection| {
                for seq in 1..=count {
                    connection
                        .execute(
                            "INSERT INTO outbox (event_id, clinic_id, day, seq, kind, dentist_id,
                                 slot_start_ms, slot_end_ms, occurred_ms)
                             VALUES (?1, 'clinic', '2030-01-01', ?2, 'published', 'dentist',
                                 0, 900000, 0)",
                            params![EventId::random().to_string(), seq],
                        )
                        .db()?;
                }
                Ok(())
            })
            .await
            .unwrap();
    }

    fn cursor_at(store: &SqliteStore, position: i64) -> EventCursor {
        EventCursor::from_store(encode_cursor(&store.store_id, position))
    }

    #[tokio::test]
    async fn cursors_up_to_the_head_read_and_past_it_are_refused() {
        let (_dir, store) = fresh_store();
        assert!(matches!(
            store.events_after(&cursor_at(&store, 1), 10).await,
            Err(StoreError::InvalidCursor(_))
        ));
        append_events(&store, 3).await;
        let all = store.events_after(&cursor_at(&store, 0), 10).await.unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[2].cursor, cursor_at(&store, 3));
        assert_eq!(
            store.events_after(&cursor_at(&store, 1), 10).await.unwrap(),
            all[1..]
        );
        assert!(
            store
                .events_after(&cursor_at(&store, 3), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            store.events_after(&cursor_at(&store, 4), 10).await,
            Err(StoreError::InvalidCursor(_))
        ));
        assert_eq!(store.latest_cursor().await.unwrap(), cursor_at(&store, 3));
    }
}
