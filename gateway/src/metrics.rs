//! What the gateway counts about the requests it forwards: totals since start and a sliding
//! window of the last ten seconds (rates and the 99th percentile of latency), for
//! `OperationsService.GetSystemStatus`.
//!
//! Recorded in the forwarders, where the outcome of each call is known as a status code.
//! Refusals of a client's input (INVALID_ARGUMENT, FAILED_PRECONDITION, ...) are answers, not
//! errors; only codes that mean the server failed count as errors.

use std::{
    collections::VecDeque,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tonic::Code;

/// The window rates and percentiles are computed over.
pub const WINDOW: Duration = Duration::from_secs(10);
/// Latencies kept per second of the window; beyond it a second's percentile is taken from a
/// sample (every request still counts in the rates).
const LATENCIES_PER_SECOND: usize = 20_000;

/// Whether a status code means the server (not the request) failed.
pub fn is_server_error(code: Code) -> bool {
    matches!(
        code,
        Code::Unknown
            | Code::Internal
            | Code::Unavailable
            | Code::DeadlineExceeded
            | Code::ResourceExhausted
            | Code::DataLoss
    )
}

#[derive(Debug, Default)]
struct Second {
    at: u64,
    requests: u64,
    errors: u64,
    bookings: u64,
    latencies_us: Vec<u32>,
}

/// Figures of the last [`WINDOW`] and since start.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Snapshot {
    /// Requests per second over the window.
    pub requests_per_second: f64,
    /// Server-side failures per second over the window.
    pub errors_per_second: f64,
    /// Successful bookings per second over the window.
    pub bookings_per_second: f64,
    /// 99th percentile latency over the window, milliseconds (0 without requests).
    pub p99_latency_ms: f64,
    /// Requests since start.
    pub requests_total: u64,
    /// Server-side failures since start.
    pub errors_total: u64,
    /// Successful bookings since start.
    pub bookings_total: u64,
}

/// The gateway's counters.
#[derive(Debug)]
pub struct GatewayMetrics {
    started: Instant,
    requests: AtomicU64,
    errors: AtomicU64,
    bookings: AtomicU64,
    window: Mutex<VecDeque<Second>>,
}

impl GatewayMetrics {
    /// Counters starting now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            bookings: AtomicU64::new(0),
            window: Mutex::new(VecDeque::new()),
        }
    }

    fn second(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.started).as_secs()
    }

    /// Records one finished call: its outcome, whether it was a successful booking, and how
    /// long it took.
    pub fn record(&self, code: Code, booked: bool, latency: Duration, at: Instant) {
        let error = is_server_error(code);
        self.requests.fetch_add(1, Ordering::Relaxed);
        if error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if booked {
            self.bookings.fetch_add(1, Ordering::Relaxed);
        }
        let now = self.second(at);
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.back().is_none_or(|last| last.at != now) {
            window.push_back(Second {
                at: now,
                ..Second::default()
            });
        }
        while window
            .front()
            .is_some_and(|first| first.at + WINDOW.as_secs() <= now)
        {
            window.pop_front();
        }
        if let Some(current) = window.back_mut() {
            current.requests += 1;
            current.errors += u64::from(error);
            current.bookings += u64::from(booked);
            if current.latencies_us.len() < LATENCIES_PER_SECOND {
                current
                    .latencies_us
                    .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
            }
        }
    }

    /// The figures as of `now`.
    pub fn snapshot(&self, now: Instant) -> Snapshot {
        let current = self.second(now);
        let window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        let recent = window
            .iter()
            .filter(|second| second.at + WINDOW.as_secs() > current);
        let (mut requests, mut errors, mut bookings) = (0u64, 0u64, 0u64);
        let mut latencies: Vec<u32> = Vec::new();
        for second in recent {
            requests += second.requests;
            errors += second.errors;
            bookings += second.bookings;
            latencies.extend_from_slice(&second.latencies_us);
        }
        drop(window);
        // Over the seconds the gateway has lived, up to the window: rates right after start are
        // not diluted by seconds that never happened.
        let span = (now.saturating_duration_since(self.started))
            .min(WINDOW)
            .as_secs_f64()
            .max(1.0);
        latencies.sort_unstable();
        let p99 = latencies
            .get((latencies.len() * 99).div_ceil(100).saturating_sub(1))
            .map_or(0.0, |us| f64::from(*us) / 1000.0);
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        Snapshot {
            requests_per_second: requests as f64 / span,
            errors_per_second: errors as f64 / span,
            bookings_per_second: bookings as f64 / span,
            p99_latency_ms: p99,
            requests_total: self.requests.load(Ordering::Relaxed),
            errors_total: self.errors.load(Ordering::Relaxed),
            bookings_total: self.bookings.load(Ordering::Relaxed),
        }
    }
}

impl Default for GatewayMetrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_percentiles_and_totals() {
        let metrics = GatewayMetrics::new();
        let start = metrics.started + Duration::from_secs(20);
        for i in 0..100u64 {
            let code = if i % 10 == 0 {
                Code::Unavailable
            } else {
                Code::Ok
            };
            // Latencies 1..=100 ms.
            metrics.record(code, i % 4 == 0, Duration::from_millis(i + 1), start);
        }
        // A refused slot is an answer, not a server error.
        metrics.record(
            Code::FailedPrecondition,
            false,
            Duration::from_millis(1),
            start,
        );
        let snapshot = metrics.snapshot(start);
        assert_eq!(snapshot.requests_total, 101);
        assert_eq!(snapshot.errors_total, 10);
        assert_eq!(snapshot.bookings_total, 25);
        assert!((snapshot.requests_per_second - 10.1).abs() < 1e-9);
        assert!(
            (snapshot.p99_latency_ms - 99.0).abs() < 1e-9,
            "{}",
            snapshot.p99_latency_ms
        );
        // Ten seconds later the window is empty; totals remain.
        let later = metrics.snapshot(start + Duration::from_secs(10));
        assert_eq!(later.requests_per_second, 0.0);
        assert_eq!(later.p99_latency_ms, 0.0);
        assert_eq!(later.requests_total, 101);
    }
}
