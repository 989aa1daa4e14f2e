//! MQTT plumbing shared by the virtual patients, the loader and the coordinator: client options
//! as DentiSmile's own clients set them, and [`Monitor`], an independent subscriber that keeps
//! every slot event it sees so the consistency checks can ask "was this booking announced?".

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use dentismile_client::mqtt::SlotEventMessage;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, NetworkOptions, Packet, QoS};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{slot::SlotKey, target::MqttTarget};

/// How long a broker may take to accept a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client and its event loop for `target`. `tcp_nodelay` because rumqttd delivers small
/// frames late without it (DESIGN.md, broker facts).
pub fn client(
    target: &MqttTarget,
    client_id: &str,
    clean_session: bool,
    capacity: usize,
) -> (AsyncClient, EventLoop) {
    let mut options = MqttOptions::new(client_id, target.host.clone(), target.port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_session(clean_session)
        // Mosquitto 2.0.11 drops QoS 2 beyond 20 in flight from 3.1.1 clients; QoS 1 is not
        // dropped, but staying under the broker's limit keeps both brokers comparable.
        .set_inflight(20);
    if let Some((user, password)) = &target.credentials {
        options.set_credentials(user.clone(), password.clone());
    }
    let (client, mut eventloop) = AsyncClient::new(options, capacity);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    network.set_connection_timeout(CONNECT_TIMEOUT.as_secs());
    eventloop.set_network_options(network);
    (client, eventloop)
}

/// What the monitor has seen.
#[derive(Debug, Default)]
pub struct Seen {
    /// Distinct `booked` event ids per slot.
    pub booked: HashMap<SlotKey, HashSet<String>>,
    /// Distinct `released` event ids per slot (the tool never cancels, so normally none).
    pub released: HashMap<SlotKey, HashSet<String>>,
    /// Slots announced as `published`.
    pub published: HashSet<SlotKey>,
    /// Messages received, duplicates included.
    pub messages: u64,
    /// Connection failures (the monitor reconnects with a persistent session).
    pub failures: u64,
}

/// An independent subscriber to slot events: QoS 1, resubscribing after every reconnection.
///
/// Unlike the long-lived subscriber docs/mqtt.md describes, it uses a clean session: a stress
/// run's monitor must leave nothing behind. A persistent session outlives the run on the broker,
/// and Mosquitto then queues every later event for it (up to `max_queued_messages`, 100,000 in
/// the shipped config) and writes them all to disk on each save. A reconnection that loses
/// events shows up as missing events in the consistency block, never as a false pass.
pub struct Monitor {
    seen: Arc<Mutex<Seen>>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Monitor {
    /// Subscribes to `filter` and returns once the broker acknowledged the subscription.
    pub async fn start(target: &MqttTarget, client_id: &str, filter: &str) -> anyhow::Result<Self> {
        let (client, mut eventloop) = client(target, client_id, true, 16);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = CancellationToken::new();
        let (subscribed, mut subscribed_rx) = watch::channel(false);
        let (seen_out, stop_in, topic) = (seen.clone(), stop.clone(), filter.to_string());
        let task =
            tokio::spawn(async move {
                loop {
                    let event = tokio::select! {
                        () = stop_in.cancelled() => break,
                        event = eventloop.poll() => event,
                    };
                    match event {
                        Ok(Event::Incoming(Packet::ConnAck(_))) => {
                            if client
                                .subscribe(topic.clone(), QoS::AtLeastOnce)
                                .await
                                .is_err()
                            {
                                break;
                            }
                        }
                        Ok(Event::Incoming(Packet::SubAck(ack))) => {
                            // A refused subscription (return code 0x80) leaves the monitor deaf:
                            // never report it as subscribed.
                            if ack.return_codes.iter().all(|code| {
                                matches!(code, rumqttc::SubscribeReasonCode::Success(_))
                            }) {
                                let _ = subscribed.send(true);
                            }
                        }
                        Ok(Event::Incoming(Packet::Publish(publish))) => {
                            let mut seen = lock(&seen_out);
                            seen.messages += 1;
                            let Ok(event) =
                                serde_json::from_slice::<SlotEventMessage>(&publish.payload)
                            else {
                                continue;
                            };
                            let Some(key) = SlotKey::of_event(&event) else {
                                continue;
                            };
                            match event.kind.as_str() {
                                "booked" => {
                                    seen.booked.entry(key).or_default().insert(event.event_id);
                                }
                                "released" => {
                                    seen.released.entry(key).or_default().insert(event.event_id);
                                }
                                "published" => {
                                    seen.published.insert(key);
                                }
                                _ => {}
                            }
                        }
                        Ok(_) => {}
                        Err(_) => {
                            lock(&seen_out).failures += 1;
                            // rumqttc reconnects on the next poll; do not spin while the broker is
                            // away.
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
                let _ = client.try_disconnect();
            });
        let acknowledged = tokio::time::timeout(CONNECT_TIMEOUT, async {
            while !*subscribed_rx.borrow_and_update() {
                if subscribed_rx.changed().await.is_err() {
                    return false;
                }
            }
            true
        })
        .await;
        if acknowledged != Ok(true) {
            stop.cancel();
            anyhow::bail!("the monitor could not subscribe to {filter} on {target}");
        }
        Ok(Self { seen, stop, task })
    }

    /// What it has seen so far.
    pub fn seen(&self) -> MutexGuard<'_, Seen> {
        lock(&self.seen)
    }

    /// Waits until no message has arrived for `quiet`, or `timeout` passes; says which.
    pub async fn wait_quiet(&self, quiet: Duration, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last = (self.seen().messages, tokio::time::Instant::now());
        loop {
            let now = tokio::time::Instant::now();
            let messages = self.seen().messages;
            if messages != last.0 {
                last = (messages, now);
            } else if now - last.1 >= quiet {
                return true;
            }
            if now >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `done` holds for what was seen, or `timeout` passes; says which.
    pub async fn wait_for(&self, timeout: Duration, done: impl Fn(&Seen) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if done(&self.seen()) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Disconnects.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// The lock, even if a holder panicked: counters stay meaningful after a panic elsewhere.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
