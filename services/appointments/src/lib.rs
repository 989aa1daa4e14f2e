//! DentiSmile's appointment service: the clinic directory, slots, bookings and the slot event
//! feeds over gRPC.
//!
//! - [`service`]: `ClinicService`, `AppointmentService` and the internal `SlotEventService`,
//!   thin adapters over the domain's `Scheduler`.
//! - [`wire`]: message to domain conversions; every parse error names its request field.
//! - [`caller`]: access tokens to domain actors (verified again here, not only at the gateway).
//! - [`events`]: the live fan-out behind `WatchSlots`, and the per-cursor tail behind
//!   `WatchEvents`.
//! - [`names`], [`error`]: cached display names, and the status mapping.
//!
//! It holds no booking rules of its own: those are the domain's.

pub mod caller;
pub mod error;
pub mod events;
pub mod names;
pub mod service;
pub mod wire;

pub use caller::Callers;
pub use events::EventFanout;
pub use service::AppointmentsApi;
