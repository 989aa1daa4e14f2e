//! Versioned schema migrations for the embedded store, applied by `dentismile migrate` (or at
//! the start of `dentismile up`), never on a request path.
//!
//! Each file in `migrations/sqlite/` is one version, applied once, in its own transaction, and
//! recorded in `schema_migrations`. The store refuses to open a database whose version differs
//! from [`SCHEMA_VERSION`].

use std::path::Path;

use dentismile_domain::ports::StoreError;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{DbResult, connection::open_connection};

/// One migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Its version: consecutive from 1.
    pub version: i64,
    /// Its file name.
    pub name: &'static str,
    /// Its SQL.
    pub sql: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_slots_and_outbox.sql",
        sql: include_str!("../../migrations/sqlite/0001_slots_and_outbox.sql"),
    },
    Migration {
        version: 2,
        name: "0002_accounts.sql",
        sql: include_str!("../../migrations/sqlite/0002_accounts.sql"),
    },
];

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Brings the database at `path` (created if missing) up to [`SCHEMA_VERSION`]; returns the
/// migrations it applied, none if it was current.
pub fn migrate(path: &Path) -> Result<Vec<Migration>, StoreError> {
    let mut connection = open_connection(path, false)?;
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 name       TEXT    NOT NULL,
                 applied_ms INTEGER NOT NULL
             ) STRICT;",
        )
        .db()?;
    let current = schema_version(&connection)?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaMismatch {
            found: current,
            expected: SCHEMA_VERSION,
        });
    }
    let mut applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        // Take the write lock first and look again: another process sharing this database may
        // have applied the migration since we read the version.
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db()?;
        if schema_version(&transaction)? >= migration.version {
            continue;
        }
        transaction.execute_batch(migration.sql).db()?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, name, applied_ms)
                 VALUES (?1, ?2, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
                params![migration.version, migration.name],
            )
            .db()?;
        transaction.commit().db()?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
        applied.push(*migration);
    }
    Ok(applied)
}

/// The highest applied version; 0 for a database never migrated.
pub(crate) fn schema_version(connection: &Connection) -> Result<i64, StoreError> {
    let has_table: bool = connection
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
            [],
            |row| row.get(0),
        )
        .db()?;
    if !has_table {
        return Ok(0);
    }
    Ok(connection
        .query_row("SELECT max(version) FROM schema_migrations", [], |row| {
            row.get::<_, Option<i64>>(0)
        })
        .optional()
        .db()?
        .flatten()
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_and_named_after_their_files() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1);
            assert!(
                migration
                    .name
                    .starts_with(&format!("{:04}_", migration.version)),
                "{}",
                migration.name
            );
        }
    }

    #[test]
    fn processes_migrating_at_once_both_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let racers: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || migrate(&path).map(|applied| applied.len()))
            })
            .collect();
        let applied: usize = racers.into_iter().map(|r| r.join().unwrap().unwrap()).sum();
        assert_eq!(
            applied,
            MIGRATIONS.len(),
            "each migration applied exactly once"
        );
    }

    #[test]
    fn migrating_twice_applies_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        assert_eq!(migrate(&path).unwrap().len(), MIGRATIONS.len());
        assert!(migrate(&path).unwrap().is_empty());
        let connection = open_connection(&path, true).unwrap();
        assert_eq!(schema_version(&connection).unwrap(), SCHEMA_VERSION);
    }
}
