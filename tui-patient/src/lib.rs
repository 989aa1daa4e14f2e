//! `dentismile-patient`: the terminal booker of DentiSmile. A patient signs in, picks a clinic
//! from a list and a small map of Gothenburg, watches a week of free slots change live, books
//! with a confirmation, sees and cancels their appointments and exports them to a calendar.
//!
//! Built the way gitui and the ratatui templates are: the UI never does I/O.
//!
//! - [`app`]: [`App`], every piece of screen state, and the questions the screens ask of it
//!   (which slots are free in a cell, which alternatives are nearest). No I/O, no terminal.
//! - [`action`]: [`Action`], every change: a key's meaning, a tick of the clock, the answer of a
//!   server call, a live slot event; and [`Command`], the I/O that an action asks for.
//! - [`update`]: `update(&mut App, Action) -> Vec<Command>`, the only place state changes; pure,
//!   so every action is unit-tested without a terminal or a server.
//! - [`keys`]: what a key press or mouse click means in the current state, and the help table.
//! - [`layout`]: the geometry of every screen, shared by rendering and by mouse hit-testing so
//!   the two cannot disagree.
//! - [`view`]: `impl Widget for &App`; rendering reads the state and never changes it.
//! - [`runtime`]: [`runtime::Driver`], which runs commands as tasks against the shared
//!   `dentismile-client` (gRPC calls, the MQTT/gRPC live feed, file export) and turns their
//!   results back into actions.
//! - [`terminal`]: the real terminal: raw mode, mouse, the panic hook that restores the screen,
//!   the input thread and the draw loop.
//! - [`ics`]: RFC 5545 calendar files. [`local_time`]: instants shown in Gothenburg time.
//! - [`config`]: flags and environment. [`logging`]: logs to a file, never to the screen.
//!
//! It holds no business rules: the server decides what may be booked or cancelled (the 24 h
//! cutoff, taken slots) and this program shows its answer.

pub mod action;
pub mod app;
pub mod config;
#[cfg(test)]
mod fixtures;
pub mod ics;
pub mod keys;
pub mod layout;
pub mod local_time;
pub mod logging;
pub mod runtime;
pub mod terminal;
pub mod update;
pub mod view;

pub use action::{Action, Command};
pub use app::App;
pub use update::update;
