//! Live slot updates for one clinic and a range of days: MQTT first, the gateway's
//! `WatchSlots` stream when no broker is reachable, and back to MQTT when it returns.
//!
//! Whatever the source, updates arrive as [`LiveUpdate`]s: deduplicated by `event_id`, with a
//! [`LiveUpdate::Resync`] whenever events may have been missed (every (re)connection, a jump in
//! a clinic-day's `seq`, and other days watched on the same MQTT session), telling the caller to
//! list the slots again. This is the subscriber's side of the contract in `docs/mqtt.md`.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    time::Duration,
};

use dentismile_domain::jiff::Timestamp;
use dentismile_proto::{
    mqtt::{SlotEventMessage, clinic_slots_filter},
    v1::{self as pb, SlotEventKind, appointment_service_client::AppointmentServiceClient},
};
use rumqttc::{AsyncClient, Event, MqttOptions, NetworkOptions, Packet, QoS};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::client::Client;

/// How long a broker may take to accept us before the stream is used instead.
const MQTT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// While on the gRPC stream, how often to try MQTT again.
const MQTT_RETRY: Duration = Duration::from_secs(15);
/// Event ids remembered for deduplication.
const REMEMBERED: usize = 4096;

/// What to watch: one clinic, local days `from_day..=to_day` (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Watch {
    /// The clinic.
    pub clinic_id: String,
    /// First day.
    pub from_day: String,
    /// Last day (inclusive).
    pub to_day: String,
}

/// Where updates come from right now; for a status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Trying to connect.
    Connecting,
    /// Subscribed on this broker.
    Mqtt(String),
    /// On the gateway's `WatchSlots` stream (no broker reachable).
    Grpc,
    /// Neither works; retrying.
    Offline(String),
}

/// One slot event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    /// Unique per event.
    pub event_id: String,
    /// Position within its clinic-day.
    pub seq: u64,
    /// What happened.
    pub kind: SlotEventKind,
    /// The clinic.
    pub clinic_id: String,
    /// The dentist.
    pub dentist_id: String,
    /// The slot's local day.
    pub day: String,
    /// The slot's start.
    pub slot_start: Timestamp,
    /// The slot's end.
    pub slot_end: Timestamp,
}

impl LiveEvent {
    /// From an MQTT message; `None` if it does not parse.
    pub fn from_message(message: &SlotEventMessage) -> Option<Self> {
        let kind = match message.kind.as_str() {
            "published" => SlotEventKind::Published,
            "booked" => SlotEventKind::Booked,
            "released" => SlotEventKind::Released,
            "withdrawn" => SlotEventKind::Withdrawn,
            _ => return None,
        };
        Some(Self {
            event_id: message.event_id.clone(),
            seq: message.seq,
            kind,
            clinic_id: message.clinic_id.clone(),
            dentist_id: message.dentist_id.clone(),
            day: message.day.clone(),
            slot_start: message.slot_start.parse().ok()?,
            slot_end: message.slot_end.parse().ok()?,
        })
    }

    /// From the gRPC stream; `None` if incomplete.
    pub fn from_wire(event: &pb::SlotEvent) -> Option<Self> {
        let time = crate::time::from_wire;
        Some(Self {
            event_id: event.event_id.clone(),
            seq: event.seq,
            kind: SlotEventKind::try_from(event.kind).ok()?,
            clinic_id: event.clinic_id.clone(),
            dentist_id: event.dentist_id.clone(),
            day: event.day.clone(),
            slot_start: time(event.slot_start.as_ref())?,
            slot_end: time(event.slot_end.as_ref())?,
        })
    }

    /// Whether the slot is free after this event.
    pub fn leaves_free(&self) -> bool {
        matches!(
            self.kind,
            SlotEventKind::Published | SlotEventKind::Released
        )
    }
}

/// What the feed delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveUpdate {
    /// The source changed.
    Connection(Connection),
    /// A slot changed.
    Event(LiveEvent),
    /// Events may have been missed: list the watched slots again.
    Resync,
}

/// Deduplicates by id and notices gaps in each clinic-day's `seq`.
#[derive(Debug, Default)]
pub struct Sequencer {
    seen: HashSet<String>,
    order: VecDeque<String>,
    last_seq: HashMap<(String, String), u64>,
}

impl Sequencer {
    /// Forgets the `seq` positions (after a resync, the next event of each day starts afresh).
    pub fn reset_positions(&mut self) {
        self.last_seq.clear();
    }

    /// What to deliver for `event`: nothing for a duplicate, a resync before it after a gap.
    pub fn accept(&mut self, event: LiveEvent) -> Vec<LiveUpdate> {
        if !self.seen.insert(event.event_id.clone()) {
            return Vec::new();
        }
        self.order.push_back(event.event_id.clone());
        if self.order.len() > REMEMBERED
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        let key = (event.clinic_id.clone(), event.day.clone());
        let mut updates = Vec::with_capacity(2);
        match self.last_seq.get(&key) {
            Some(last) if event.seq > last + 1 => updates.push(LiveUpdate::Resync),
            _ => {}
        }
        let last = self.last_seq.entry(key).or_insert(0);
        *last = (*last).max(event.seq);
        updates.push(LiveUpdate::Event(event));
        updates
    }
}

/// An MQTT broker to read from: `mqtt://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Broker {
    /// Parses `mqtt://host[:port]` (default port 1883).
    pub fn parse(value: &str) -> Result<Self, String> {
        let rest = value
            .strip_prefix("mqtt://")
            .ok_or_else(|| format!("--mqtt: '{value}' must start with mqtt://"))?
            .trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| format!("--mqtt: '{port}' is not a port"))?,
            ),
            None => (rest, 1883),
        };
        if host.is_empty() {
            return Err(format!("--mqtt: '{value}' has no host"));
        }
        Ok(Self {
            host: host.to_string(),
            port,
        })
    }
}

impl std::fmt::Display for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mqtt://{}:{}", self.host, self.port)
    }
}

/// A running feed; dropping it stops it.
#[derive(Debug)]
pub struct LiveFeed {
    updates: mpsc::Receiver<LiveUpdate>,
    watch: watch::Sender<Watch>,
    stop: CancellationToken,
}

enum Ended {
    Stopped,
    WatchChanged,
    TryMqttAgain,
    Failed(String),
}

impl LiveFeed {
    /// Starts watching; MQTT through `broker` if given, else (and as fallback) the gateway's
    /// stream through `client`.
    pub fn start(client: Client, broker: Option<Broker>, watch: Watch) -> Self {
        let (sender, updates) = mpsc::channel(1024);
        let (watch_sender, watch_receiver) = watch::channel(watch);
        let stop = CancellationToken::new();
        tokio::spawn(run(client, broker, sender, watch_receiver, stop.clone()));
        Self {
            updates,
            watch: watch_sender,
            stop,
        }
    }

    /// The next update; `None` once stopped.
    pub async fn next(&mut self) -> Option<LiveUpdate> {
        self.updates.recv().await
    }

    /// Watches another clinic or other days from now on. On MQTT, other days of the same
    /// clinic keep the session (the topic names only the clinic) and bring a resync; another
    /// clinic, or any change on the gateway's stream (its request names the days), connects
    /// afresh.
    pub fn set_watch(&self, watch: Watch) {
        self.watch.send_if_modified(|current| {
            let changed = *current != watch;
            *current = watch;
            changed
        });
    }
}

impl Drop for LiveFeed {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn run(
    client: Client,
    broker: Option<Broker>,
    sender: mpsc::Sender<LiveUpdate>,
    mut watch: watch::Receiver<Watch>,
    stop: CancellationToken,
) {
    let mut sequencer = Sequencer::default();
    let mut backoff = Duration::from_millis(250);
    loop {
        let mut current = watch.borrow_and_update().clone();
        let _ = sender
            .send(LiveUpdate::Connection(Connection::Connecting))
            .await;
        if let Some(broker) = &broker {
            // Takes other days of the same clinic in place, so `current` is what it ended on.
            match mqtt(
                broker,
                &mut current,
                &sender,
                &mut sequencer,
                &mut watch,
                &stop,
            )
            .await
            {
                Ended::Stopped => return,
                Ended::WatchChanged => continue,
                Ended::TryMqttAgain | Ended::Failed(_) => {}
            }
        }
        match grpc(
            &client,
            &current,
            &sender,
            &mut sequencer,
            &mut watch,
            &stop,
            broker.is_some(),
        )
        .await
        {
            Ended::Stopped => return,
            Ended::WatchChanged | Ended::TryMqttAgain => backoff = Duration::from_millis(250),
            Ended::Failed(why) => {
                let _ = sender
                    .send(LiveUpdate::Connection(Connection::Offline(why)))
                    .await;
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Sends updates; `false` when the receiver is gone.
async fn deliver(sender: &mpsc::Sender<LiveUpdate>, updates: Vec<LiveUpdate>) -> bool {
    for update in updates {
        if sender.send(update).await.is_err() {
            return false;
        }
    }
    true
}

fn in_range(watch: &Watch, day: &str) -> bool {
    watch.from_day.as_str() <= day && day <= watch.to_day.as_str()
}

/// A resync, with the sequencer's positions forgotten (the next event of each day starts
/// afresh).
fn resync(sequencer: &mut Sequencer) -> Vec<LiveUpdate> {
    sequencer.reset_positions();
    vec![LiveUpdate::Resync]
}

async fn resynced(
    sender: &mpsc::Sender<LiveUpdate>,
    sequencer: &mut Sequencer,
    connection: Connection,
) -> bool {
    let mut updates = vec![LiveUpdate::Connection(connection)];
    updates.extend(resync(sequencer));
    deliver(sender, updates).await
}

/// Follows `current` over MQTT until it fails or the clinic changes. The topic names only the
/// clinic and days are filtered here, so other days of the same clinic are taken in place (a
/// resync then lists them) rather than by a new session.
async fn mqtt(
    broker: &Broker,
    current: &mut Watch,
    sender: &mpsc::Sender<LiveUpdate>,
    sequencer: &mut Sequencer,
    watch: &mut watch::Receiver<Watch>,
    stop: &CancellationToken,
) -> Ended {
    let client_id = format!("dentismile-client-{}", uuid::Uuid::new_v4().simple());
    let mut options = MqttOptions::new(client_id, broker.host.clone(), broker.port);
    options
        .set_keep_alive(Duration::from_secs(10))
        .set_clean_session(true);
    let (client, mut events) = AsyncClient::new(options, 16);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    network.set_connection_timeout(MQTT_CONNECT_TIMEOUT.as_secs());
    events.set_network_options(network);
    let mut subscribed = false;
    loop {
        // Until subscribed, a silent broker counts as unreachable; after, silence is normal.
        let limit = if subscribed {
            Duration::MAX
        } else {
            MQTT_CONNECT_TIMEOUT
        };
        let polled = tokio::select! {
            _ = stop.cancelled() => return Ended::Stopped,
            changed = watch.changed() => {
                // The sender lives in the feed, whose drop also cancels `stop`.
                if changed.is_err() {
                    return Ended::Stopped;
                }
                let wanted = watch.borrow_and_update().clone();
                if wanted.clinic_id != current.clinic_id {
                    return Ended::WatchChanged;
                }
                *current = wanted;
                // Events of the new days were dropped until now. Before the subscription is
                // acknowledged nothing was delivered, and its acknowledgement resyncs anyway.
                if subscribed && !deliver(sender, resync(sequencer)).await {
                    return Ended::Stopped;
                }
                continue;
            }
            polled = tokio::time::timeout(limit, events.poll()) => match polled {
                Ok(polled) => polled,
                Err(_) => return Ended::Failed("the broker did not answer".to_string()),
            },
        };
        match polled {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                if client
                    .try_subscribe(clinic_slots_filter(&current.clinic_id), QoS::AtLeastOnce)
                    .is_err()
                {
                    return Ended::Failed("cannot subscribe".to_string());
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                subscribed = true;
                if !resynced(sender, sequencer, Connection::Mqtt(broker.to_string())).await {
                    return Ended::Stopped;
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let Ok(message) = serde_json::from_slice::<SlotEventMessage>(&publish.payload)
                else {
                    continue;
                };
                if !in_range(current, &message.day) {
                    continue;
                }
                if let Some(event) = LiveEvent::from_message(&message)
                    && !deliver(sender, sequencer.accept(event)).await
                {
                    return Ended::Stopped;
                }
            }
            Ok(_) => {}
            Err(error) => return Ended::Failed(error.to_string()),
        }
    }
}

async fn grpc(
    client: &Client,
    current: &Watch,
    sender: &mpsc::Sender<LiveUpdate>,
    sequencer: &mut Sequencer,
    watch: &mut watch::Receiver<Watch>,
    stop: &CancellationToken,
    retry_mqtt: bool,
) -> Ended {
    let mut service = AppointmentServiceClient::new(client.channel());
    let opened = service
        .watch_slots(pb::WatchSlotsRequest {
            clinic_id: current.clinic_id.clone(),
            from_day: current.from_day.clone(),
            to_day: current.to_day.clone(),
        })
        .await;
    let mut stream = match opened {
        Ok(response) => response.into_inner(),
        Err(status) => return Ended::Failed(status.message().to_string()),
    };
    if !resynced(sender, sequencer, Connection::Grpc).await {
        return Ended::Stopped;
    }
    let retry_at = tokio::time::Instant::now() + MQTT_RETRY;
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => return Ended::Stopped,
            _ = watch.changed() => return Ended::WatchChanged,
            _ = tokio::time::sleep_until(retry_at), if retry_mqtt => return Ended::TryMqttAgain,
            message = stream.message() => message,
        };
        match message {
            Ok(Some(event)) => {
                if let Some(event) = LiveEvent::from_wire(&event)
                    && !deliver(sender, sequencer.accept(event)).await
                {
                    return Ended::Stopped;
                }
            }
            Ok(None) => return Ended::Failed("the stream ended".to_string()),
            Err(status) => return Ended::Failed(status.message().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, seq: u64) -> LiveEvent {
        LiveEvent {
            event_id: id.to_string(),
            seq,
            kind: SlotEventKind::Booked,
            clinic_id: "c".into(),
            dentist_id: "d".into(),
            day: "2026-11-25".into(),
            slot_start: "2026-11-25T08:00:00Z".parse().unwrap(),
            slot_end: "2026-11-25T08:30:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn duplicates_are_dropped_and_gaps_ask_for_a_resync() {
        let mut sequencer = Sequencer::default();
        assert_eq!(
            sequencer.accept(event("a", 4)).len(),
            1,
            "the first event sets the position"
        );
        assert!(
            sequencer.accept(event("a", 4)).is_empty(),
            "a duplicate is dropped"
        );
        assert_eq!(sequencer.accept(event("b", 5)).len(), 1);
        let after_gap = sequencer.accept(event("d", 7));
        assert_eq!(after_gap[0], LiveUpdate::Resync);
        assert!(matches!(after_gap[1], LiveUpdate::Event(_)));
        sequencer.reset_positions();
        assert_eq!(
            sequencer.accept(event("e", 12)).len(),
            1,
            "no gap right after a resync"
        );
    }

    #[test]
    fn messages_and_wire_events_become_the_same_event() {
        let message = SlotEventMessage {
            schema_version: 1,
            event_id: "x".into(),
            seq: 3,
            kind: "released".into(),
            clinic_id: "c".into(),
            dentist_id: "d".into(),
            day: "2026-11-25".into(),
            slot_start: "2026-11-25T08:00:00Z".into(),
            slot_end: "2026-11-25T08:30:00Z".into(),
            occurred_at: "2026-11-24T10:00:00Z".into(),
        };
        let from_mqtt = LiveEvent::from_message(&message).unwrap();
        assert!(from_mqtt.leaves_free());
        let wire = pb::SlotEvent {
            event_id: "x".into(),
            seq: 3,
            kind: SlotEventKind::Released.into(),
            clinic_id: "c".into(),
            dentist_id: "d".into(),
            day: "2026-11-25".into(),
            slot_start: Some(prost_types::Timestamp {
                seconds: from_mqtt.slot_start.as_second(),
                nanos: 0,
            }),
            slot_end: Some(prost_types::Timestamp {
                seconds: from_mqtt.slot_end.as_second(),
                nanos: 0,
            }),
            occurred_at: None,
            schema_version: 1,
        };
        assert_eq!(LiveEvent::from_wire(&wire).unwrap(), from_mqtt);
    }

    #[test]
    fn brokers_parse() {
        assert_eq!(Broker::parse("mqtt://127.0.0.1").unwrap().port, 1883);
        assert_eq!(
            Broker::parse("mqtt://h:1884").unwrap().to_string(),
            "mqtt://h:1884"
        );
        assert!(Broker::parse("http://h").is_err());
    }
}
