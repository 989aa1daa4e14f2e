//! `dentismile-dentist`: the terminal schedule of DentiSmile for dentists and clinic admins.
//! A dentist signs in and runs their day: the day and week schedule of their own slots (free,
//! booked with the patient's name and reason, withdrawn) with the current time marked;
//! publishing availability from a weekly working plan after the server's preview; adding and
//! withdrawing single slots; cancelling appointments with a reason; making a whole day
//! unavailable after a summary of the patients affected; importing and exporting `slots.csv`
//! (every line checked before anything changes); a notification line for every booking and
//! cancellation by patients as it happens; and, for clinic admins, the choice among the clinic's
//! dentists and an operations tab with the system's live figures.
//!
//! Built the way gitui and the ratatui templates are: the UI never does I/O.
//!
//! - [`app`]: [`App`], every piece of screen state and the questions the screens ask of it.
//! - [`action`]: [`Action`], every change (a key's meaning, a click, a tick, a server's
//!   answer, a live event), and [`Command`], the I/O an action asks for.
//! - [`update`]: `update(&mut App, Action) -> Vec<Command>`, the only place state changes;
//!   pure, so it is unit-tested without a terminal or a server.
//! - [`keys`]: what a key or mouse event means in the current state; the help table.
//! - [`layout`]: the geometry of every screen, shared by rendering and mouse hit-testing.
//! - `view`: `impl Widget for &App`; rendering reads the state and never changes it.
//! - [`runtime`]: [`runtime::Driver`], which runs commands as tasks against the shared
//!   `dentismile-client` (gRPC, the MQTT/gRPC live feed, files) and answers with actions.
//! - [`terminal`]: the real terminal: raw mode, mouse, the panic hook that restores the
//!   screen, the input thread and the draw loop.
//! - [`schedule`], [`plan_form`], [`import`]: the schedule's entries, the working-plan form and
//!   the `slots.csv` import, each checked with the domain crate's own rules.
//! - [`local_time`]: instants as Gothenburg reads them. [`theme`]: styles for dark and light
//!   terminals. [`config`]: flags and environment. [`logging`]: logs to a file, never the
//!   screen.
//!
//! It holds no business rules of its own: slot sanity, opening hours, the booking horizon and
//! overlaps are the domain crate's functions, applied here only to point at a mistake before
//! the server refuses it; the server decides.

pub mod action;
pub mod app;
pub mod config;
pub mod import;
pub mod keys;
pub mod layout;
pub mod local_time;
pub mod logging;
pub mod plan_form;
pub mod runtime;
pub mod schedule;
pub mod terminal;
pub mod theme;
pub mod update;
mod view;

#[cfg(test)]
mod fixtures;

pub use action::{Action, Command};
pub use app::App;
pub use update::update;
