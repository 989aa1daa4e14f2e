//! A UI-free DentiSmile client, shared by the terminal booker, the dentist's schedule and the
//! stress tool.
//!
//! - [`client`]: [`Client`], one gateway connection with the signed-in session (tokens refreshed
//!   before they expire) and every call those programs make. Bookings carry an idempotency key
//!   and are retried with it, never booking twice.
//! - [`live`]: [`LiveFeed`], slot changes of one clinic as they happen: MQTT first, the gateway's
//!   `WatchSlots` stream when no broker is reachable; deduplicated, with a resync signal whenever
//!   something may have been missed.
//! - [`slots_csv`]: the original report's `slots.csv`, read line-checked and written.
//! - [`time`]: instants to and from the wire's timestamps.
//! - [`error`]: [`ClientError`], what a failed call tells a person.
//!
//! It does no rendering and holds no screen state.

pub mod client;
pub mod error;
pub mod live;
pub mod slots_csv;
pub mod time;

pub use client::{Client, Session};
pub use dentismile_proto::{mqtt, v1 as pb};
pub use error::ClientError;
pub use live::{Broker, Connection, LiveEvent, LiveFeed, LiveUpdate, Watch};

/// The gateway `dentismile up` serves on this machine.
pub const DEFAULT_GATEWAY: &str = "http://127.0.0.1:50051";
/// The embedded broker `dentismile up` runs on this machine.
pub const DEFAULT_MQTT: &str = "mqtt://127.0.0.1:1883";
