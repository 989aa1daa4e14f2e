//! The `dentismile` server: every component in one process (`up`) or one component per
//! process (`serve`), plus schema migration.
//!
//! - [`config`]: command line and environment settings.
//! - [`app`]: starting components on their listeners and wiring them over gRPC.
//! - [`demo`]: the Gothenburg demo data of `up`.
//!
//! The binary (`main.rs`) only parses settings, installs logging and a signal handler, and
//! calls into [`app`].

pub mod app;
pub mod config;
pub mod demo;
