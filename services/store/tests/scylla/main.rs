//! The ScyllaDB store's integration tests: the shared conformance suite, each case in its own
//! freshly migrated keyspace on the cluster `SCYLLA_URI` names, and a check of the deployment's
//! compose file.
//!
//! Without `SCYLLA_URI` every conformance case prints why it is skipped and passes: no ScyllaDB
//! can run on the machines this is developed on. With a cluster (see docs/scylla.md):
//!
//! ```text
//! SCYLLA_URI='scylla://127.0.0.1:9042/?dc=datacenter1&rf=3' \
//!     cargo nextest run -p dentismile-store --test scylla
//! ```
//!
//! The URI's keyspace is ignored: each case gets `dstest_<unix time>_<random>_<case>`. Keyspaces
//! of earlier runs older than half an hour are dropped when a case starts (a case cannot drop
//! its own: the suite has no teardown hook, and the store is still in use when it ends).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod compose;

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use dentismile_domain::ports::Store;
use dentismile_store::{
    conformance::StoreFactory,
    conformance_tests,
    scylla::{ScyllaConfig, ScyllaStore},
};
use scylla::client::session_builder::SessionBuilder;

/// Test keyspaces start with this, then the unix time they were made at.
const PREFIX: &str = "dstest_";

/// Keyspaces of runs older than this are dropped.
const STALE_AFTER: Duration = Duration::from_secs(30 * 60);

struct FreshKeyspace;

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `dstest_<secs>_<4 hex>_<case>`, cut to ScyllaDB's 48 characters.
fn keyspace_for(case: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let mut name = format!("{PREFIX}{}_{}_{case}", unix_seconds(), &random[..4]);
    name.truncate(48);
    name
}

/// Drops the test keyspaces of runs that ended long ago.
async fn drop_stale_keyspaces(config: &ScyllaConfig) {
    let mut builder = SessionBuilder::new().known_nodes(&config.nodes);
    if let Some(credentials) = &config.credentials {
        builder = builder.user(&credentials.user, &credentials.password);
    }
    let Ok(session) = builder.build().await else {
        return;
    };
    // A scan of one small system table, on purpose.
    let Ok(result) = session
        .query_unpaged("SELECT keyspace_name FROM system_schema.keyspaces", ())
        .await
    else {
        return;
    };
    let Ok(rows) = result.into_rows_result() else {
        return;
    };
    let now = unix_seconds();
    let names: Vec<String> = rows
        .rows::<(String,)>()
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|(name,)| name)
        .collect();
    for name in names {
        let Some(created) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok())
        else {
            continue;
        };
        if now.saturating_sub(created) > STALE_AFTER.as_secs() {
            let _ = session
                .query_unpaged(format!("DROP KEYSPACE IF EXISTS {name}"), ())
                .await;
        }
    }
}

#[async_trait]
impl StoreFactory for FreshKeyspace {
    async fn fresh(&self, name: &str) -> Option<Arc<dyn Store>> {
        let Ok(uri) = std::env::var("SCYLLA_URI") else {
            println!(
                "skipped: SCYLLA_URI is not set (no ScyllaDB here; set it to a cluster, e.g. \
                 SCYLLA_URI='scylla://127.0.0.1:9042/?rf=1', to run this case against it)"
            );
            return None;
        };
        let base = ScyllaConfig::parse(&uri).expect("SCYLLA_URI must be a scylla:// store URI");
        drop_stale_keyspaces(&base).await;
        let config = base.with_keyspace(&keyspace_for(name)).unwrap();
        println!("case {name} runs in keyspace {}", config.keyspace);
        let store = ScyllaStore::migrate_and_connect(config)
            .await
            .expect("migrating and connecting to the test keyspace");
        Some(Arc::new(store))
    }
}

conformance_tests!(FreshKeyspace);

#[test]
fn test_keyspaces_are_valid_and_dated() {
    let name = keyspace_for("concurrent_bookings_have_one_winner_per_slot");
    assert!(name.len() <= 48, "{name}");
    let config = ScyllaConfig::parse("scylla://localhost").unwrap();
    assert!(config.with_keyspace(&name).is_ok(), "{name}");
    let created: u64 = name[PREFIX.len()..]
        .split('_')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(unix_seconds() - created < 5);
}
