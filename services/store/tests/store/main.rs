//! The embedded store's integration tests: the shared conformance suite on a fresh SQLite file
//! per test, and crash safety under `kill -9`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod crash;

use std::sync::Arc;

use async_trait::async_trait;
use dentismile_domain::ports::Store;
use dentismile_store::{SqliteStore, conformance::StoreFactory, conformance_tests};

/// A fresh migrated database in its own temporary directory per test. The directory lives as
/// long as the test process; each test runs in its own process under nextest.
struct FreshSqlite;

#[async_trait]
impl StoreFactory for FreshSqlite {
    async fn fresh(&self, name: &str) -> Option<Arc<dyn Store>> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("dentismile-{name}-"))
            .tempdir()
            .unwrap()
            .keep();
        let store = SqliteStore::migrate_and_open(dir.join("store.db")).unwrap();
        Some(Arc::new(store))
    }
}

conformance_tests!(FreshSqlite);
