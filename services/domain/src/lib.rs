//! DentiSmile's booking domain: what a slot, an appointment and a working plan are, the rules
//! for publishing, booking and cancelling, and the ports a store must implement.
//!
//! Module map:
//! - [`ids`], [`text`], [`time`]: values parsed once at the boundary (slugs, UUIDs, bounded text,
//!   Europe/Stockholm days and times, the clock).
//! - [`clinic`]: clinics, opening hours and dentists.
//! - [`slot`]: slots, their partition `(clinic, local day)`, and the publish rule both stores use.
//! - [`plan`]: weekly working plans expanded into slots, daylight-saving aware.
//! - [`booking`]: appointments and the policy (horizon, cancellation cutoff).
//! - [`event`]: slot events and the outbox cursor.
//! - [`ports`]: the store traits, shaped for ScyllaDB's single-partition conditional writes.
//! - [`accounts`]: accounts, roles and sessions (hashing and signing are the auth service's).
//! - [`actor`], [`scheduler`]: who is asking, and the use cases that apply the rules.
//! - [`paging`], [`error`]: page tokens, and errors that name the field they are about.
//!
//! This crate does no I/O of its own and knows nothing of gRPC, SQLite, ScyllaDB or MQTT:
//! adapters implement [`ports`] and call [`scheduler::Scheduler`].

pub mod accounts;
pub mod actor;
pub mod booking;
pub mod clinic;
pub mod error;
pub mod event;
pub mod ids;
pub mod paging;
pub mod plan;
pub mod ports;
pub mod scheduler;
pub mod slot;
pub mod text;
pub mod time;

pub use jiff;
