//! The replicas of each backend service, and how calls are spread over them.
//!
//! A [`ReplicaSet`] is a tower `Service` that tonic clients use like a channel. Each call goes to
//! one replica, chosen by power of two choices on calls in flight among the replicas that are
//! not ejected. A replica whose call fails at the transport level (connection refused or reset,
//! no answer in time) is ejected at once, for a backoff that doubles with every further failure
//! (100 ms up to 5 s); when the backoff is over it is offered calls again, and one success
//! re-admits it. [`keep_probing`] asks every replica's `grpc.health.v1` once a second as well,
//! so a replica that died or began shutting down is ejected before a patient's call finds out,
//! and one that came back is re-admitted without waiting for its backoff.
//!
//! Why not tonic's `Channel::balance_list`: its endpoints all report a load of 0, and an endpoint
//! whose replica was killed stays "ready" and fails every call it is given, so after a `kill -9`
//! about every other call went to the dead replica. The gateway retries idempotent calls, but
//! each retry was the same coin toss again.
//!
//! Each replica's connection is lazy, so the gateway starts while a replica is down and calls
//! flow as soon as one is up.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use dentismile_runtime::CancellationToken;
use tokio::time::Instant;
use tonic::{
    body::Body,
    transport::{Channel, Endpoint},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tower::ServiceExt;

/// Why a backend address was refused.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: '{address}' is not a valid service URL ({reason})")]
pub struct BackendAddressError {
    /// The setting that named it.
    pub setting: &'static str,
    /// The address as given.
    pub address: String,
    /// Why.
    pub reason: String,
}

/// How long to wait for a TCP connection to a replica.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a unary answer (or a stream's first response) from a replica.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The first ejection's length; each further consecutive failure doubles it, up to
/// [`LONGEST_EJECTION`]. Short, because a transport failure on a healthy replica (a connection
/// closed under it) should cost it little.
const FIRST_EJECTION: Duration = Duration::from_millis(100);
const LONGEST_EJECTION: Duration = Duration::from_secs(5);
/// How often [`keep_probing`] asks each replica's health.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long a health check may take before the replica counts as not serving.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// One replica of a service.
#[derive(Debug)]
pub struct Replica {
    address: String,
    channel: Channel,
    in_flight: AtomicUsize,
    /// Consecutive failures; read without the lock on every successful call, so that the
    /// common case (a healthy replica) takes no lock.
    failures: AtomicU32,
    /// Until when it gets no calls, after a failure.
    ejected_until: Mutex<Option<Instant>>,
}

/// What the operations view shows of a replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaReading {
    /// Its address, as configured.
    pub address: String,
    /// Whether it answered its last call or probe.
    pub serving: bool,
    /// Why not, when it did not.
    pub detail: String,
}

impl Replica {
    fn ejection(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.ejected_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn available(&self, now: Instant) -> bool {
        self.failures.load(Ordering::Acquire) == 0 || self.ejection().is_none_or(|t| now >= t)
    }

    fn ejected_until(&self) -> Option<Instant> {
        *self.ejection()
    }

    fn succeeded(&self) {
        if self.failures.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut ejection = self.ejection();
        if self.failures.swap(0, Ordering::AcqRel) > 0 {
            tracing::info!(replica = %self.address, "replica answers again; re-admitted");
        }
        *ejection = None;
    }

    fn failed(&self, now: Instant, why: String) {
        let mut ejection = self.ejection();
        let failures = self.failures.fetch_add(1, Ordering::AcqRel) + 1;
        let backoff = FIRST_EJECTION
            .saturating_mul(1 << (failures - 1).min(16))
            .min(LONGEST_EJECTION);
        if failures == 1 {
            tracing::warn!(replica = %self.address, error = %why, "replica unreachable or not serving; ejected");
        }
        *ejection = Some(now + backoff);
    }

    /// Asks the replica's health, ejecting or re-admitting it by the answer.
    async fn probe(&self) -> Result<(), String> {
        let mut client = HealthClient::new(self.channel.clone());
        let checked = tokio::time::timeout(
            PROBE_TIMEOUT,
            client.check(HealthCheckRequest {
                service: String::new(),
            }),
        )
        .await;
        let outcome = match checked {
            Ok(Ok(response)) if response.get_ref().status == ServingStatus::Serving as i32 => {
                Ok(())
            }
            Ok(Ok(response)) => Err(format!(
                "health status {}",
                ServingStatus::try_from(response.get_ref().status)
                    .map_or("unknown", |status| status.as_str_name())
            )),
            Ok(Err(status)) => Err(status.message().to_string()),
            Err(_) => Err(format!(
                "no health answer within {} s",
                PROBE_TIMEOUT.as_secs()
            )),
        };
        match &outcome {
            Ok(()) => self.succeeded(),
            Err(why) => self.failed(Instant::now(), why.clone()),
        }
        outcome
    }
}

/// The replicas of one service, used by tonic clients as their channel; cheap to clone.
#[derive(Debug, Clone)]
pub struct ReplicaSet {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    replicas: Vec<Arc<Replica>>,
    /// Drives the random choice of two replicas; see [`ReplicaSet::choose`].
    draws: AtomicU64,
}

impl ReplicaSet {
    /// The replicas at `addresses` (`http://host:port`), named `setting` in errors.
    pub fn new(setting: &'static str, addresses: &[String]) -> Result<Self, BackendAddressError> {
        if addresses.is_empty() {
            return Err(BackendAddressError {
                setting,
                address: String::new(),
                reason: "at least one address is needed".to_string(),
            });
        }
        let mut replicas = Vec::with_capacity(addresses.len());
        for address in addresses {
            let endpoint =
                Endpoint::from_shared(address.clone()).map_err(|error| BackendAddressError {
                    setting,
                    address: address.clone(),
                    reason: error.to_string(),
                })?;
            let channel = endpoint
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(REQUEST_TIMEOUT)
                .tcp_nodelay(true)
                .http2_keep_alive_interval(Duration::from_secs(20))
                .keep_alive_while_idle(true)
                .connect_lazy();
            replicas.push(Arc::new(Replica {
                address: address.clone(),
                channel,
                in_flight: AtomicUsize::new(0),
                failures: AtomicU32::new(0),
                ejected_until: Mutex::new(None),
            }));
        }
        Ok(Self {
            shared: Arc::new(Shared {
                replicas,
                draws: AtomicU64::new(0),
            }),
        })
    }

    /// Asks every replica's health now, and says what each answered.
    pub async fn probe_all(&self) -> Vec<ReplicaReading> {
        // All at once, so one replica that does not answer delays the others by nothing.
        let probes: Vec<_> = self
            .shared
            .replicas
            .iter()
            .map(|replica| {
                let replica = replica.clone();
                tokio::spawn(async move { replica.probe().await })
            })
            .collect();
        let mut readings = Vec::with_capacity(probes.len());
        for (replica, probe) in self.shared.replicas.iter().zip(probes) {
            let outcome = probe
                .await
                .unwrap_or_else(|_| Err("the health probe did not finish".to_string()));
            readings.push(ReplicaReading {
                address: replica.address.clone(),
                serving: outcome.is_ok(),
                detail: outcome.err().unwrap_or_default(),
            });
        }
        readings
    }

    /// The replica for the next call: of two replicas drawn at random from those not ejected,
    /// the one with fewer calls in flight. When every replica is ejected, the one whose ejection
    /// ends first is tried anyway: failing fast beats refusing outright, and it may be back.
    fn choose(&self, now: Instant) -> &Arc<Replica> {
        let replicas = &self.shared.replicas;
        if replicas.len() == 1 {
            return &replicas[0];
        }
        let available: Vec<&Arc<Replica>> = replicas
            .iter()
            .filter(|replica| replica.available(now))
            .collect();
        match available.len() {
            0 => replicas
                .iter()
                .min_by_key(|replica| replica.ejected_until())
                .unwrap_or(&replicas[0]),
            1 => available[0],
            count => {
                let draw = splitmix64(self.shared.draws.fetch_add(1, Ordering::Relaxed));
                let (first, second) = two_distinct(draw, count);
                let (first, second) = (available[first], available[second]);
                if second.in_flight.load(Ordering::Relaxed)
                    < first.in_flight.load(Ordering::Relaxed)
                {
                    second
                } else {
                    first
                }
            }
        }
    }
}

/// A well-mixed 64-bit number from a counter (SplitMix64's finaliser): enough randomness for
/// spreading calls, with no lock and no generator state to share.
fn splitmix64(counter: u64) -> u64 {
    let mut z = counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Two different indexes below `count` (at least 2) from one random draw.
fn two_distinct(draw: u64, count: usize) -> (usize, usize) {
    let count = count as u64;
    let first = draw % count;
    let offset = 1 + (draw >> 32) % (count - 1);
    (first as usize, ((first + offset) % count) as usize)
}

/// Counts a call in flight on a replica for as long as it lives, even if the caller gives up.
struct InFlight(Arc<Replica>);

impl InFlight {
    fn start(replica: Arc<Replica>) -> Self {
        replica.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(replica)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl tower::Service<http::Request<Body>> for ReplicaSet {
    type Response = http::Response<Body>;
    type Error = tonic::transport::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    /// Always ready: readiness is a property of each replica, settled when a call chooses one.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let replica = self.choose(Instant::now()).clone();
        let call = replica.channel.clone().oneshot(request);
        let in_flight = InFlight::start(replica);
        Box::pin(async move {
            let outcome = call.await;
            // Any HTTP answer, gRPC errors included, shows the replica is there; only a
            // transport failure counts against it.
            match &outcome {
                Ok(_) => in_flight.0.succeeded(),
                Err(error) => in_flight.0.failed(Instant::now(), error.to_string()),
            }
            outcome
        })
    }
}

/// Probes every replica of `set` once a second until `shutdown`.
pub async fn keep_probing(set: ReplicaSet, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(PROBE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = set.probe_all() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use dentismile_runtime::server::{GrpcServer, ServerLimits, bind};
    use tonic_health::pb::health_client::HealthClient;

    use super::*;

    fn two_replicas() -> ReplicaSet {
        ReplicaSet::new(
            "--appointments-url",
            &[
                "http://127.0.0.1:9".to_string(),
                "http://127.0.0.1:10".to_string(),
            ],
        )
        .unwrap()
    }

    fn chosen(set: &ReplicaSet, now: Instant, times: usize) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for _ in 0..times {
            *counts.entry(set.choose(now).address.clone()).or_default() += 1;
        }
        counts
    }

    /// A port nothing listens on: bound, then released.
    async fn dead_address() -> String {
        let (listener, address) = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        drop(listener);
        format!("http://{address}")
    }

    #[tokio::test]
    async fn bad_addresses_name_their_setting() {
        let error = ReplicaSet::new("--auth-url", &["not a url".to_string()]).unwrap_err();
        assert!(
            error.to_string().starts_with("--auth-url: 'not a url'"),
            "{error}"
        );
        assert!(ReplicaSet::new("--auth-url", &[]).is_err());
        assert!(ReplicaSet::new("--auth-url", &["http://127.0.0.1:1".to_string()]).is_ok());
    }

    #[test]
    fn two_draws_are_always_distinct_and_cover_every_replica() {
        for count in 2..6 {
            let mut seen = vec![0; count];
            for counter in 0..1000 {
                let (first, second) = two_distinct(splitmix64(counter), count);
                assert_ne!(first, second);
                assert!(first < count && second < count);
                seen[first] += 1;
            }
            assert!(seen.iter().all(|n| *n > 1000 / count / 2), "{seen:?}");
        }
    }

    #[tokio::test]
    async fn calls_spread_over_replicas_and_prefer_the_less_busy() {
        let set = two_replicas();
        let now = Instant::now();
        let spread = chosen(&set, now, 1000);
        assert!(spread.values().all(|n| *n > 300), "{spread:?}");

        set.shared.replicas[0].in_flight.store(5, Ordering::Relaxed);
        let busy = chosen(&set, now, 100);
        assert_eq!(busy.get("http://127.0.0.1:10"), Some(&100), "{busy:?}");
    }

    #[tokio::test]
    async fn an_ejected_replica_rests_for_a_doubling_backoff_and_one_success_readmits_it() {
        let set = two_replicas();
        let dead = &set.shared.replicas[0];
        let start = Instant::now();
        dead.failed(start, "connection refused".into());
        assert_eq!(
            chosen(&set, start, 100).get("http://127.0.0.1:10"),
            Some(&100)
        );
        // Back after the first backoff; failing again doubles it.
        let after_first = start + FIRST_EJECTION;
        assert!(dead.available(after_first));
        dead.failed(after_first, "connection refused".into());
        assert!(!dead.available(after_first + FIRST_EJECTION));
        assert!(dead.available(after_first + FIRST_EJECTION * 2));
        // Many failures never rest it longer than the cap.
        for _ in 0..40 {
            dead.failed(start, "connection refused".into());
        }
        assert!(dead.available(start + LONGEST_EJECTION));
        // One success clears the record.
        dead.succeeded();
        assert!(dead.available(start));
        assert_eq!(dead.failures.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn every_replica_ejected_still_tries_the_one_back_soonest() {
        let set = two_replicas();
        let now = Instant::now();
        set.shared.replicas[0].failed(now, "refused".into());
        set.shared.replicas[0].failed(now, "refused".into());
        set.shared.replicas[1].failed(now, "refused".into());
        assert_eq!(set.choose(now).address, "http://127.0.0.1:10");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dead_replica_costs_one_failed_call_then_calls_go_to_the_live_one() {
        let (listener, live) = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(
            GrpcServer::new(ServerLimits::default()).serve(listener, shutdown.clone()),
        );
        let dead = dead_address().await;
        let set = ReplicaSet::new("--auth-url", &[dead.clone(), format!("http://{live}")]).unwrap();
        let mut health = HealthClient::new(set.clone());
        let started = Instant::now();
        let mut failed = 0;
        for _ in 0..50 {
            if health.check(HealthCheckRequest::default()).await.is_err() {
                failed += 1;
            }
        }
        // Each failure rests the dead replica for 100 ms, then 200, 400, ...: in a run of T ms
        // it can fail at most 1 + log2(T / 100 + 1) times, however slow the machine. Without
        // ejection, about half of the 50 calls would fail.
        let windows = started.elapsed().as_secs_f64() / FIRST_EJECTION.as_secs_f64() + 1.0;
        let allowed = 1 + windows.log2().floor() as usize;
        assert!(
            failed <= allowed,
            "{failed} of 50 calls failed; at most {allowed} in this run's time"
        );
        let readings = set.probe_all().await;
        assert_eq!(readings[0].address, dead);
        assert!(!readings[0].serving);
        assert!(!readings[0].detail.is_empty());
        assert!(readings[1].serving, "{readings:?}");

        // The live replica begins shutting down: its health says so and the probe ejects it.
        shutdown.cancel();
        server.await.unwrap().unwrap();
        let readings = set.probe_all().await;
        assert!(!readings[1].serving, "{readings:?}");
    }
}
