//! Opening SQLite connections the one way this store uses them.

use std::{path::Path, time::Duration};

use dentismile_domain::ports::StoreError;
use rusqlite::{Connection, OpenFlags};

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
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;",
        )
        .db()?;
    if read_only {
        connection.execute_batch("PRAGMA query_only = ON;").db()?;
    }
    Ok(connection)
}
