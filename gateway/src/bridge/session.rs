//! One broker: connect, read the event feed from the saved cursor, publish each event, save the
//! cursor as acknowledgements arrive; on any failure tear the connection down and start over.
//!
//! Starting over means from the saved cursor after the feed failed, and from a cursor at least
//! one replay window older after the broker failed: a broker that died may have acknowledged
//! messages it never delivered, and subscribers deduplicate by `event_id`, so sending an event
//! twice is harmless and not sending it is not.

use std::{
    collections::VecDeque,
    sync::Arc,
    time::{Duration, Instant},
};

use dentismile_proto::v1::{
    GetLatestCursorRequest, WatchEventsRequest, slot_event_service_client::SlotEventServiceClient,
};
use dentismile_runtime::CancellationToken;
use rumqttc::{
    AsyncClient, ConnectReturnCode, Event, EventLoop, LastWill, MqttOptions, NetworkOptions,
    Outgoing, Packet, QoS,
};
use tonic::Code;

use crate::backends::ReplicaSet;

use super::{
    BridgeSettings,
    acks::AckTracker,
    availability::AvailabilityBoard,
    brokers::BrokerAddress,
    cursor_file::CursorFile,
    messages::{
        SCHEMA_VERSION, StatusMessage, availability_topic, event_message, status_topic, to_json,
    },
    status::BrokerGauge,
};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often an advancing cursor is written to disk.
const SAVE_EVERY: Duration = Duration::from_millis(200);
/// Reconnection backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Requests the client may hold unsent; above the in-flight budget, so `try_publish` never
/// finds it full.
const REQUEST_CAPACITY: usize = 512;

/// Why a session ended.
enum SessionEnd {
    Shutdown,
    /// The broker failed or refused us: replay a window on the next session.
    Broker(String),
    /// The event feed failed: resume from the saved cursor.
    Feed(String),
}

/// One sample of the acknowledged cursor: opened at `opened`, last moved at `at`.
#[derive(Debug)]
struct Sample {
    opened: Instant,
    at: Instant,
    cursor: String,
}

/// Acknowledged cursors over time, to find where a replay window starts.
#[derive(Debug)]
struct CursorHistory {
    samples: VecDeque<Sample>,
    window: Duration,
}

impl CursorHistory {
    fn new(window: Duration, start: String) -> Self {
        let now = Instant::now();
        Self {
            samples: VecDeque::from([Sample {
                opened: now,
                at: now,
                cursor: start,
            }]),
            window,
        }
    }

    fn record(&mut self, cursor: &str) {
        let now = Instant::now();
        // One sample per second is plenty to find a window's start; within its second a sample
        // follows the cursor, keeping the time it last moved. The first sample is where the
        // bridge started and is never moved: a failure soon after start replays from there.
        let only_the_start = self.samples.len() == 1;
        match self.samples.back_mut() {
            Some(last)
                if !only_the_start && now.duration_since(last.opened) < Duration::from_secs(1) =>
            {
                last.at = now;
                last.cursor = cursor.to_string();
            }
            _ => self.samples.push_back(Sample {
                opened: now,
                at: now,
                cursor: cursor.to_string(),
            }),
        }
        // Keep one sample older than two windows; drop the ones before it.
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|sample| now.duration_since(sample.at) > self.window * 2)
        {
            self.samples.pop_front();
        }
    }

    /// The newest cursor at least one window older than `failed_at` (or the oldest known).
    fn replay_from(&self, failed_at: Instant) -> String {
        self.samples
            .iter()
            .rev()
            .find(|sample| failed_at.saturating_duration_since(sample.at) >= self.window)
            .or_else(|| self.samples.front())
            .map(|sample| sample.cursor.clone())
            .unwrap_or_default()
    }
}

/// Publishes the event feed to one broker until `shutdown`.
pub struct BrokerSession {
    pub gauge: Arc<BrokerGauge>,
    pub broker: BrokerAddress,
    pub settings: Arc<BridgeSettings>,
    pub feed: SlotEventServiceClient<ReplicaSet>,
    pub board: Arc<AvailabilityBoard>,
    pub shutdown: CancellationToken,
}

impl BrokerSession {
    /// Runs until shutdown, reconnecting as needed.
    pub async fn run(self) {
        let file = CursorFile::new(&self.settings.state_dir, &self.broker.key());
        let mut cursor = match file.load() {
            Ok(Some(cursor)) => cursor,
            Ok(None) => match self.first_cursor(&file).await {
                Some(cursor) => cursor,
                None => return, // shut down while waiting
            },
            Err(error) => {
                tracing::error!(%error, path = %file.path().display(), "cannot read the bridge cursor; starting from the beginning of the feed (subscribers deduplicate)");
                String::new()
            }
        };
        let mut history = CursorHistory::new(self.settings.replay_window, cursor.clone());
        let mut start = cursor.clone();
        let mut backoff = BACKOFF_MIN;
        loop {
            let began = Instant::now();
            let end = self.session(&start, &mut cursor, &mut history, &file).await;
            self.gauge.set_connected(false);
            save(&file, &cursor);
            match end {
                SessionEnd::Shutdown => return,
                SessionEnd::Broker(why) => {
                    tracing::warn!(broker = %self.broker, %why, "broker connection lost; will reconnect and replay the last {} s", self.settings.replay_window.as_secs());
                    start = history.replay_from(Instant::now());
                }
                SessionEnd::Feed(why) => {
                    tracing::warn!(broker = %self.broker, %why, "event feed interrupted; will resume from the saved cursor");
                    start = cursor.clone();
                }
            }
            if began.elapsed() > BACKOFF_MAX * 4 {
                backoff = BACKOFF_MIN;
            }
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// Where a bridge that never published to this broker starts: after the newest event. MQTT
    /// is a live feed; a client lists the current state over gRPC when it connects, and
    /// replaying all history first would hold back every live event behind it. The cursor is
    /// saved at once, so events committed while the bridge is down are never skipped later.
    async fn first_cursor(&self, file: &CursorFile) -> Option<String> {
        let mut backoff = BACKOFF_MIN;
        loop {
            match self
                .feed
                .clone()
                .get_latest_cursor(GetLatestCursorRequest {})
                .await
            {
                Ok(response) => {
                    let cursor = response.into_inner().cursor;
                    save(file, &cursor);
                    tracing::info!(broker = %self.broker, "first start: publishing events from now on");
                    return Some(cursor);
                }
                Err(status) => {
                    tracing::warn!(%status, "cannot read the newest event cursor; retrying");
                }
            }
            tokio::select! {
                _ = self.shutdown.cancelled() => return None,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    fn options(&self) -> MqttOptions {
        let client_id = format!("dentismile-bridge-{}", self.settings.gateway_id);
        let mut options = MqttOptions::new(client_id, self.broker.host.clone(), self.broker.port);
        options
            .set_keep_alive(Duration::from_secs(10))
            .set_clean_session(true)
            .set_inflight(self.settings.max_in_flight)
            .set_request_channel_capacity(REQUEST_CAPACITY)
            .set_max_packet_size(64 * 1024, 64 * 1024)
            .set_last_will(LastWill::new(
                status_topic(&self.settings.gateway_id),
                to_json(&self.status("offline")),
                QoS::AtLeastOnce,
                true,
            ));
        if let Some((user, password)) = &self.broker.credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        options
    }

    fn status(&self, status: &str) -> StatusMessage {
        StatusMessage {
            schema_version: SCHEMA_VERSION,
            gateway_id: self.settings.gateway_id.clone(),
            status: status.to_string(),
        }
    }

    async fn connect(&self) -> Result<(AsyncClient, EventLoop), SessionEnd> {
        let (client, mut events) = AsyncClient::new(self.options(), REQUEST_CAPACITY);
        // Small frames must not wait for Nagle: without this, deliveries crawl.
        let mut network = NetworkOptions::new();
        network.set_tcp_nodelay(true);
        network.set_connection_timeout(CONNECT_TIMEOUT.as_secs());
        events.set_network_options(network);
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, async {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                        return if ack.code == ConnectReturnCode::Success {
                            Ok(())
                        } else {
                            Err(format!("refused: {:?}", ack.code))
                        };
                    }
                    Ok(_) => {}
                    Err(error) => return Err(error.to_string()),
                }
            }
        });
        tokio::select! {
            _ = self.shutdown.cancelled() => Err(SessionEnd::Shutdown),
            outcome = connected => match outcome {
                Ok(Ok(())) => Ok((client, events)),
                Ok(Err(why)) => Err(SessionEnd::Broker(why)),
                Err(_) => Err(SessionEnd::Broker("connection timed out".to_string())),
            },
        }
    }

    async fn session(
        &self,
        start: &str,
        cursor: &mut String,
        history: &mut CursorHistory,
        file: &CursorFile,
    ) -> SessionEnd {
        let (client, mut events) = match self.connect().await {
            Ok(connected) => connected,
            Err(end) => return end,
        };
        tracing::info!(broker = %self.broker, "bridge connected");
        self.gauge.set_connected(true);
        let mut tracker = AckTracker::new();
        let status = status_topic(&self.settings.gateway_id);
        if client
            .try_publish(
                &status,
                QoS::AtLeastOnce,
                true,
                to_json(&self.status("online")),
            )
            .is_err()
        {
            return SessionEnd::Broker("cannot queue the status message".to_string());
        }
        tracker.queued_other();

        let mut feed = match self
            .feed
            .clone()
            .watch_events(WatchEventsRequest {
                after_cursor: start.to_string(),
            })
            .await
        {
            Ok(response) => response.into_inner(),
            Err(status) if status.code() == Code::InvalidArgument && !start.is_empty() => {
                // The store does not know this cursor (a new store, say): start over. Events may
                // repeat; none is lost.
                tracing::error!(%status, "the saved bridge cursor is not valid for this store; starting from the beginning");
                cursor.clear();
                return SessionEnd::Feed(status.to_string());
            }
            Err(status) => return SessionEnd::Feed(status.to_string()),
        };

        // Summaries up to this version are published in this session.
        let mut summaries_published: u64 = 0;
        let mut summaries = self.board.subscribe();
        let mut unsaved = false;
        let mut save_tick = tokio::time::interval(SAVE_EVERY);
        let budget = usize::from(self.settings.max_in_flight);
        let summary_budget = (budget / 2).max(1);
        let qos = self.settings.qos;
        let mut summaries_pending = true;

        loop {
            let room = tracker.outstanding() < budget;
            tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => {
                    self.say_goodbye(&client, &mut events).await;
                    return SessionEnd::Shutdown;
                }
                polled = events.poll() => match polled {
                    Ok(Event::Outgoing(Outgoing::Publish(pkid))) => tracker.sent(pkid),
                    Ok(Event::Incoming(Packet::PubAck(ack))) if qos == QoS::AtLeastOnce => {
                        if let Some(advance) = tracker.acked(ack.pkid) {
                            self.gauge.acknowledged(advance.events, advance.occurred_at);
                            *cursor = advance.cursor;
                            history.record(cursor);
                            unsaved = true;
                        }
                    }
                    Ok(Event::Incoming(Packet::PubComp(done))) if qos == QoS::ExactlyOnce => {
                        if let Some(advance) = tracker.acked(done.pkid) {
                            self.gauge.acknowledged(advance.events, advance.occurred_at);
                            *cursor = advance.cursor;
                            history.record(cursor);
                            unsaved = true;
                        }
                    }
                    // Status and summaries always go at QoS 1.
                    Ok(Event::Incoming(Packet::PubAck(ack))) => { tracker.acked(ack.pkid); }
                    Ok(_) => {}
                    Err(error) => return SessionEnd::Broker(error.to_string()),
                },
                message = feed.message(), if room => match message {
                    Ok(Some(envelope)) => {
                        let Some(event) = envelope.event else { continue };
                        let message = event_message(&event);
                        if client.try_publish(message.topic(), qos, false, to_json(&message)).is_err() {
                            return SessionEnd::Broker("the client's request queue is closed or full".to_string());
                        }
                        let occurred_at = event
                            .occurred_at
                            .and_then(|t| dentismile_domain::jiff::Timestamp::new(t.seconds, t.nanos).ok());
                        tracker.queued_event(envelope.cursor, occurred_at);
                        self.board.touch(&message.clinic_id, &message.day);
                    }
                    Ok(None) => return SessionEnd::Feed("the event feed ended".to_string()),
                    Err(status) => return SessionEnd::Feed(status.to_string()),
                },
                changed = summaries.changed(), if !summaries_pending => {
                    if changed.is_err() {
                        return SessionEnd::Shutdown;
                    }
                    summaries_pending = true;
                }
                // Summaries use at most half the in-flight budget, the other half stays free for
                // live slot events (which the feed branch above always serves first), and never
                // more than fits: a reconnection republishes every summary, which may be
                // thousands, and must not overflow the client's queue.
                _ = std::future::ready(()), if summaries_pending && tracker.outstanding() < summary_budget => {
                    let room_for = summary_budget - tracker.outstanding();
                    let batch = self.board.newer_than(&mut summaries_published, room_for);
                    if batch.len() < room_for {
                        summaries_pending = false;
                    }
                    for summary in batch {
                        let topic = availability_topic(&summary.clinic_id, &summary.day);
                        if client.try_publish(topic, QoS::AtLeastOnce, true, to_json(&summary)).is_err() {
                            return SessionEnd::Broker("the client's request queue is closed".to_string());
                        }
                        tracker.queued_other();
                    }
                }
                _ = save_tick.tick() => {
                    self.gauge.set_in_flight(tracker.outstanding());
                    if unsaved {
                        save(file, cursor);
                        unsaved = false;
                    }
                }
            }
        }
    }

    /// On a clean stop, says "offline" itself (the last will covers crashes) and disconnects.
    async fn say_goodbye(&self, client: &AsyncClient, events: &mut EventLoop) {
        let topic = status_topic(&self.settings.gateway_id);
        let _ = client.try_publish(
            topic,
            QoS::AtLeastOnce,
            true,
            to_json(&self.status("offline")),
        );
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while let Ok(event) = events.poll().await {
                if matches!(event, Event::Outgoing(Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }
}

fn save(file: &CursorFile, cursor: &str) {
    if let Err(error) = file.save(cursor) {
        tracing::error!(%error, path = %file.path().display(), "cannot save the bridge cursor; a restart will repeat some events");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_starts_a_window_before_the_failure() {
        let mut history = CursorHistory::new(Duration::from_secs(30), "start".to_string());
        history.record("a");
        history.record("b");
        // Everything is younger than the window: replay from where the bridge started.
        assert_eq!(history.replay_from(Instant::now()), "start");
        // Pretend the failure happens a minute later: the newest sample older than 30 s wins.
        let later = Instant::now() + Duration::from_secs(60);
        assert_eq!(history.replay_from(later), "b");
    }
}
