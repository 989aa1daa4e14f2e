//! System tests: the whole of `dentismile up` on port 0, driven only through the gateway (and,
//! for the internal event feed, the appointment service), as a client would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorization;
mod booking_race;
mod chaos;
mod helpers;
mod live_feed;
mod mqtt;
mod operations;
mod plumbing;
mod restart;
mod sessions;
mod validation;
mod walkthrough;
