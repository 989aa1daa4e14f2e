//! The booker against a real `dentismile up`: in a real terminal under tmux (sign in, book,
//! find it under my appointments, cancel), and live updates reaching an open week view.
//!
//! `dentismile` is found next to this test's executable; `cargo nextest run --workspace` (or
//! `cargo build --workspace`) builds it.

// Tests may unwrap (the workspace's clippy.toml says so for #[test] functions; this extends it
// to the helpers of this test binary): a panic here is a failed test with a line number.
#![allow(clippy::unwrap_used)]

mod booking;
mod live;
mod system;
mod tmux;
