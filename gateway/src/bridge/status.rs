//! The bridge's state per broker, as operators see it: connected or not, events acknowledged,
//! events in flight, and the lag from an event's commit to its acknowledgement by the broker.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use dentismile_domain::jiff::Timestamp;

/// One broker's gauges, updated by its session.
#[derive(Debug)]
pub struct BrokerGauge {
    /// `mqtt://host:port`, without credentials.
    pub address: String,
    connected: AtomicBool,
    acknowledged: AtomicU64,
    in_flight: AtomicU64,
    lag_ms: AtomicU64,
}

/// A reading of one broker's gauges.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerReading {
    /// `mqtt://host:port`.
    pub address: String,
    /// Connected now.
    pub connected: bool,
    /// Events acknowledged since start.
    pub acknowledged: u64,
    /// Events sent, not yet acknowledged.
    pub in_flight: u64,
    /// Seconds from commit to acknowledgement of the last acknowledged event.
    pub lag_seconds: f64,
}

impl BrokerGauge {
    /// Gauges for the broker at `address`.
    pub fn new(address: String) -> Self {
        Self {
            address,
            connected: AtomicBool::new(false),
            acknowledged: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            lag_ms: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
        if !connected {
            self.in_flight.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn set_in_flight(&self, in_flight: usize) {
        self.in_flight.store(
            u64::try_from(in_flight).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub(crate) fn acknowledged(&self, events: u64, occurred_at: Option<Timestamp>) {
        self.acknowledged.fetch_add(events, Ordering::Relaxed);
        if let Some(occurred_at) = occurred_at {
            let lag = (Timestamp::now() - occurred_at).as_millis().max(0);
            self.lag_ms
                .store(u64::try_from(lag).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
    }

    /// The current readings.
    pub fn read(&self) -> BrokerReading {
        #[allow(clippy::cast_precision_loss)] // milliseconds of lag, far below 2^52
        BrokerReading {
            address: self.address.clone(),
            connected: self.connected.load(Ordering::Relaxed),
            acknowledged: self.acknowledged.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            lag_seconds: self.lag_ms.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use dentismile_domain::jiff::SignedDuration;

    use super::*;

    #[test]
    fn readings_follow_the_session() {
        let gauge = BrokerGauge::new("mqtt://127.0.0.1:1883".into());
        gauge.set_connected(true);
        gauge.set_in_flight(7);
        gauge.acknowledged(
            3,
            Some(Timestamp::now() - SignedDuration::from_millis(1500)),
        );
        let reading = gauge.read();
        assert!(reading.connected);
        assert_eq!((reading.acknowledged, reading.in_flight), (3, 7));
        assert!(
            reading.lag_seconds >= 1.5 && reading.lag_seconds < 5.0,
            "{}",
            reading.lag_seconds
        );
        gauge.set_connected(false);
        assert_eq!(gauge.read().in_flight, 0);
    }
}
