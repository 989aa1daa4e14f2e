//! DentiSmile's stress tool and benchmarks: the original report's JMeter plan, rebuilt in Rust
//! against the running system, with baselines from the same run and consistency checks.
//!
//! - [`generate`]: `slots.csv` for N clinics × M dentists × D days.
//! - [`load`]: puts a `slots.csv` into a running system as the demo admin, and waits until the
//!   bridge has announced it on MQTT.
//! - [`plan`]: the coordinator of a run: slot assignment, pre-issued tokens, baselines, worker
//!   processes, the saturated booking phase, the consistency checks.
//! - [`worker`]: one process's virtual patients (MQTT connect, subscribe, sign in, list, book,
//!   wait for the booked event, disconnect).
//! - [`baseline`]: the gRPC echo ceiling (its server too) and raw MQTT publish-to-receive.
//! - [`stats`]: samples and the JMeter-style summary; [`report`]: the report, JSON and Markdown.
//! - [`target`]: loopback-only addresses; [`tokens`]: pre-issued patient tokens; [`grpc`],
//!   [`mqtt`], [`slot`]: plumbing.
//!
//! What it does not do: send load anywhere but this machine (every address is checked to be
//! loopback, names are never resolved), run unbounded (users, duration and every wait are
//! capped), or fail on timing: only consistency violations make a run fail.

pub mod baseline;
pub mod generate;
pub mod grpc;
pub mod load;
pub mod mqtt;
pub mod plan;
pub mod report;
pub mod slot;
pub mod stats;
pub mod target;
pub mod tokens;
pub mod worker;

/// The rows of the summary, by name.
pub mod labels {
    /// TCP connect + MQTT CONNECT until CONNACK.
    pub const MQTT_CONNECT: &str = "MQTT Connect";
    /// SUBSCRIBE until SUBACK.
    pub const SUBSCRIBE: &str = "Subscribe";
    /// A real sign-in (argon2id), on a sample of patients.
    pub const LOGIN: &str = "Login";
    /// The free slots of the patient's clinic-day.
    pub const LIST_SLOTS: &str = "List slots";
    /// BookSlot until the confirmation (retries with the same key included).
    pub const BOOK: &str = "Book";
    /// The booked event's `occurred_at` until it reached the patient's subscription.
    pub const PUBLISH_TO_RECEIVE: &str = "publish-to-receive";
    /// Baseline: unary gRPC echo.
    pub const ECHO: &str = "gRPC echo (baseline)";
    /// Baseline: raw MQTT publish until received, same broker.
    pub const MQTT_BASELINE: &str = "MQTT publish-to-receive (baseline)";
    /// Closed-loop booking at the echo baseline's concurrency.
    pub const BOOK_SATURATED: &str = "Book (saturated)";
}
