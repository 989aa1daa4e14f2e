//! Storage backends for DentiSmile, behind the store ports of `dentismile-domain`.
//!
//! - [`sqlite`]: the embedded default. SQLite in WAL mode, one writer thread that commits
//!   concurrent writes in groups (one fsync per group), a pool of reader threads, versioned
//!   migrations, and an outbox whose positions are resumable event cursors.
//! - [`scylla`]: the distributed backend on ScyllaDB, partitioned by clinic and day.
//! - `decode`: stored text and column combinations back into domain values, for both backends.
//! - `conformance` (feature `conformance`): the behaviour every backend must show, written once
//!   against the ports and run by each backend's integration tests.
//!
//! What this crate does not do: apply booking rules (the domain's `Scheduler` does), or speak
//! gRPC. Schema changes are applied by [`sqlite::migrate`] from `dentismile migrate`, never on a
//! request path.

mod decode;
pub mod scylla;
pub mod sqlite;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use sqlite::{SqliteConfig, SqliteStore};
