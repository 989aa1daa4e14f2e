//! Opening SQLite connections the one way this store uses them.

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use dentismile_domain::ports::StoreError;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::DbResult;

/// How long a connection waits for a lock held by another connection before giving up. Only
/// checkpoints and migrations contend with the single writer, so this is rarely reached.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a connection: WAL journal (readers never block the writer), `synchronous = FULL` (a
/// commit is on disk, fsynced, before it returns: a confirmed booking survives `kill -9` and
/// power loss), foreign keys enforced. `read_only` connections refuse writes.
pub(crate) fn open_connection(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let connection = Connection::open_with_flags(path, flags).db()?;
    connection.busy_timeout(BUSY_TIMEOUT).db()?;
    enable_wal(&connection)?;
    connection
        .execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;",
        )
        .db()?;
    if read_only {
        connection.execute_batch("PRAGMA query_only = ON;").db()?;
    }
    Ok(connection)
}

/// Switches the database to WAL (a no-op once it is). SQLite answers BUSY at once, without
/// consulting the busy handler, when another connection holds a lock while the journal mode
/// changes: two processes opening a new database together hit that. So retry here, up to the
/// busy timeout, and check that the mode really is WAL afterwards.
fn enable_wal(connection: &Connection) -> Result<(), StoreError> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        match connection.query_row("PRAGMA journal_mode = WAL", [], |row| {
            row.get::<_, String>(0)
        }) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                return Err(StoreError::Unavailable(Arc::new(std::io::Error::other(
                    format!("the database stays in journal mode {mode}, not WAL"),
                ))));
            }
            Err(error)
                if error.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(error) => return Err(error).db(),
        }
    }
}
