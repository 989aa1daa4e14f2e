//! Versioned schema files for ScyllaDB (`services/store/migrations/scylla/`), applied in order
//! by [`migrate`] (from `dentismile migrate --store scylla://...`) and recorded in
//! `schema_migrations`. The store refuses to connect to a keyspace at another version; nothing
//! migrates on a request path.
//!
//! `keyspace.cql` is a template (name, replication and tablets come from the URI); the numbered
//! files run with the keyspace as the session's keyspace, so they name no keyspace and one file
//! serves every deployment. Every statement in them is `IF NOT EXISTS`, so re-running a file
//! that was cut short finishes it.

use dentismile_domain::ports::StoreError;
use scylla::{client::session::Session, statement::unprepared::Statement};
use std::sync::Arc;

use super::{
    config::ScyllaConfig,
    driver_errors::{Request, classify},
    open_session, select_rows,
    values::{Values, bigint, text},
};

/// One schema file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Its version, from 1.
    pub version: i64,
    /// Its file name.
    pub name: &'static str,
    /// Its statements.
    pub cql: &'static str,
}

/// The keyspace template.
pub const KEYSPACE_TEMPLATE: &str = include_str!("../../migrations/scylla/keyspace.cql");

/// Every schema file, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_directory_slots_and_events.cql",
        cql: include_str!("../../migrations/scylla/0001_directory_slots_and_events.cql"),
    },
    Migration {
        version: 2,
        name: "0002_accounts.cql",
        cql: include_str!("../../migrations/scylla/0002_accounts.cql"),
    },
];

/// The schema version this build needs.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The `schema_migrations` partition of this schema.
const SCOPE: &str = "schema";

const SCHEMA_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    scope      text,
    version    bigint,
    name       text,
    applied_at timestamp,
    PRIMARY KEY ((scope), version)
)";

/// Splits a `.cql` file into statements: `--` comments dropped, split at `;`. (The files
/// contain no string literal with `;` or `--` in it.)
pub fn split_statements(cql: &str) -> Vec<String> {
    let without_comments: String = cql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(|statement| statement.trim().to_string())
        .filter(|statement| !statement.is_empty())
        .collect()
}

/// The `CREATE KEYSPACE` statement for `config`.
pub fn keyspace_statement(config: &ScyllaConfig) -> String {
    let statements = split_statements(KEYSPACE_TEMPLATE);
    let template = statements.first().map(String::as_str).unwrap_or("");
    template
        .replace("{keyspace}", &config.keyspace)
        .replace("{replication}", &config.replication_cql())
        .replace("{tablets}", config.tablets_cql())
}

async fn run(session: &Session, cql: &str) -> Result<(), StoreError> {
    let mut statement = Statement::new(cql);
    // DDL and the migration's own writes are safe to repeat.
    statement.set_is_idempotent(true);
    session
        .query_unpaged(statement, ())
        .await
        .map_err(|error| classify(error, Request::Write))?;
    Ok(())
}

/// Makes `keyspace` the session's keyspace.
pub(crate) async fn use_keyspace(session: &Session, keyspace: &str) -> Result<(), StoreError> {
    session
        .use_keyspace(keyspace, false)
        .await
        .map_err(|error| StoreError::Unavailable(Arc::new(error)))
}

/// Creates or upgrades the keyspace of `config` to [`SCHEMA_VERSION`]; returns the files it
/// applied (none if the schema was current).
pub async fn migrate(config: &ScyllaConfig) -> Result<Vec<Migration>, StoreError> {
    let (session, _) = open_session(config).await?;
    run(&session, &keyspace_statement(config)).await?;
    use_keyspace(&session, &config.keyspace).await?;
    run(&session, SCHEMA_MIGRATIONS_TABLE).await?;
    let current = schema_version(&session, &config.keyspace).await?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaMismatch {
            found: current,
            expected: SCHEMA_VERSION,
        });
    }
    let record = session
        .prepare(
            "INSERT INTO schema_migrations (scope, version, name, applied_at) \
             VALUES (?, ?, ?, toTimestamp(now()))",
        )
        .await
        .map_err(|error| {
            super::driver_errors::prepare_error("INSERT INTO schema_migrations", error)
        })?;
    let mut applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        for statement in split_statements(migration.cql) {
            run(&session, &statement).await?;
        }
        let values = Values::new()
            .value("scope", text(SCOPE))
            .value("version", bigint(migration.version))
            .value("name", text(migration.name))
            .into_cql();
        session
            .execute_unpaged(&record, values)
            .await
            .map_err(|error| classify(error, Request::Write))?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            keyspace = %config.keyspace,
            "applied migration"
        );
        applied.push(*migration);
    }
    // DDL returns once the coordinator has the new schema; wait until every node agrees, so
    // the store's prepared statements find their tables wherever they run.
    session
        .await_schema_agreement()
        .await
        .map_err(|error| StoreError::Unavailable(Arc::new(error)))?;
    Ok(applied)
}

/// The schema version of `keyspace`: 0 if it or its `schema_migrations` does not exist.
pub(crate) async fn schema_version(session: &Session, keyspace: &str) -> Result<i64, StoreError> {
    let prepare = |cql: &'static str| async move {
        let mut statement = Statement::new(cql);
        statement.set_page_size(super::statements::PAGE_SIZE);
        session
            .prepare(statement)
            .await
            .map_err(|error| super::driver_errors::prepare_error(cql, error))
    };
    let keyspaces =
        prepare("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?")
            .await?;
    let found = select_rows::<(String,)>(
        session,
        &keyspaces,
        Values::new().key("keyspace_name", text(keyspace)),
        1,
    )
    .await?;
    if found.is_empty() {
        return Ok(0);
    }
    let tables = prepare(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
    )
    .await?;
    let found = select_rows::<(String,)>(
        session,
        &tables,
        Values::new()
            .key("keyspace_name", text(keyspace))
            .key("table_name", text("schema_migrations")),
        1,
    )
    .await?;
    if found.is_empty() {
        return Ok(0);
    }
    // The keyspace is checked (a-z, 0-9, _), so naming it in the text is safe; table names
    // cannot be bound.
    let mut statement = Statement::new(format!(
        "SELECT version FROM {keyspace}.schema_migrations WHERE scope = ?"
    ));
    statement.set_page_size(super::statements::PAGE_SIZE);
    let versions = session
        .prepare(statement)
        .await
        .map_err(|error| super::driver_errors::prepare_error("SELECT version", error))?;
    let versions = select_rows::<(i64,)>(
        session,
        &versions,
        Values::new().key("scope", text(SCOPE)),
        usize::MAX,
    )
    .await?;
    Ok(versions.into_iter().map(|(v,)| v).max().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let version = i64::try_from(index).unwrap() + 1;
            assert_eq!(migration.version, version);
            assert!(
                migration.name.starts_with(&format!("{version:04}_")),
                "{}",
                migration.name
            );
        }
        assert_eq!(SCHEMA_VERSION, 2);
    }

    #[test]
    fn files_split_into_statements_that_are_safe_to_rerun() {
        for migration in MIGRATIONS {
            let statements = split_statements(migration.cql);
            assert!(!statements.is_empty(), "{}", migration.name);
            for statement in &statements {
                assert!(!statement.contains("--"), "{statement}");
                let rerunnable = statement.starts_with("CREATE TABLE IF NOT EXISTS")
                    || (statement.starts_with("INSERT") && statement.ends_with("IF NOT EXISTS"));
                assert!(rerunnable, "{}: {statement}", migration.name);
                // No keyspace in the files: the session's keyspace is the store's.
                assert!(!statement.contains("dentismile."), "{statement}");
            }
        }
        let first = split_statements(MIGRATIONS[0].cql);
        let tables: Vec<&str> = first
            .iter()
            .filter_map(|s| s.strip_prefix("CREATE TABLE IF NOT EXISTS "))
            .filter_map(|s| s.split_whitespace().next())
            .collect();
        assert_eq!(
            tables,
            [
                "store_meta",
                "clinics",
                "dentists",
                "clinic_days",
                "appointment_locations",
                "appointments_by_patient",
                "idempotency_keys",
                "pending_event_partitions",
                "event_positions",
                "event_log",
                "event_log_tail",
            ]
        );
    }

    #[test]
    fn slots_are_partitioned_by_clinic_and_day_and_clustered_by_dentist_and_start() {
        let clinic_days = split_statements(MIGRATIONS[0].cql)
            .into_iter()
            .find(|s| s.contains("TABLE IF NOT EXISTS clinic_days"))
            .unwrap();
        assert!(clinic_days.contains(
            "PRIMARY KEY ((clinic_id, day), row_kind, seq, dentist_id, start, appointment_id)"
        ));
        assert!(clinic_days.contains("event_seq             bigint STATIC"));
    }

    #[test]
    fn the_keyspace_statement_follows_the_uri() {
        let config = ScyllaConfig::parse("scylla://h/bookings?dc=dc1&rf=3").unwrap();
        assert_eq!(
            keyspace_statement(&config),
            "CREATE KEYSPACE IF NOT EXISTS bookings\n    WITH replication = \
             {'class': 'NetworkTopologyStrategy', 'dc1': 3} AND tablets = {'enabled': false}"
        );
        let old = ScyllaConfig::parse("scylla://h/ks?strategy=simple&rf=1&tablets=omit").unwrap();
        assert_eq!(
            keyspace_statement(&old),
            "CREATE KEYSPACE IF NOT EXISTS ks\n    WITH replication = \
             {'class': 'SimpleStrategy', 'replication_factor': 1}"
        );
    }
}
