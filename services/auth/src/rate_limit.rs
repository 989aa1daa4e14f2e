//! Token buckets per key (an email, a client address), to slow down password guessing and
//! sign-up floods.
//!
//! Limits are kept in memory per auth replica: an attacker spreading attempts across N replicas
//! gets N times the budget. That bound is accepted for now and written down in the README; a
//! shared limiter would need a store round trip on every attempt.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// How many attempts a key may make: a burst, refilled one attempt per `refill_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Attempts available at once.
    pub burst: u32,
    /// Time to earn back one attempt.
    pub refill_every: Duration,
}

impl Quota {
    /// `burst` attempts, refilled evenly over `period`.
    pub fn per(burst: u32, period: Duration) -> Self {
        Self {
            burst: burst.max(1),
            refill_every: period / burst.max(1),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Most keys remembered; beyond it, full buckets are forgotten first (they carry no state).
const MAX_KEYS: usize = 100_000;

/// A set of token buckets sharing one quota.
#[derive(Debug)]
pub struct RateLimiter {
    quota: Quota,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter allowing `quota` per key.
    pub fn new(quota: Quota) -> Self {
        Self {
            quota,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt for `key` at `now`, or says how long until one is available.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another thread panicked mid-update; the map is still a
        // valid set of buckets.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            self.forget_full(&mut buckets, now);
        }
        let burst = f64::from(self.quota.burst);
        let per_token = self.quota.refill_every.as_secs_f64();
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let earned = now.saturating_duration_since(bucket.updated).as_secs_f64() / per_token;
        bucket.tokens = (bucket.tokens + earned).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) * per_token))
        }
    }

    fn forget_full(&self, buckets: &mut HashMap<String, Bucket>, now: Instant) {
        let refill = self.quota.refill_every * self.quota.burst;
        buckets.retain(|_, bucket| now.saturating_duration_since(bucket.updated) < refill);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_refill_period() {
        let limiter = RateLimiter::new(Quota::per(3, Duration::from_secs(30)));
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("anna@example.se", start).is_ok());
        }
        let wait = limiter.check("anna@example.se", start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        // Another key is unaffected.
        assert!(limiter.check("bo@example.se", start).is_ok());
        // After one refill period, exactly one more attempt.
        let later = start + Duration::from_secs(10);
        assert!(limiter.check("anna@example.se", later).is_ok());
        assert!(limiter.check("anna@example.se", later).is_err());
    }
}
