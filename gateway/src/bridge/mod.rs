//! The MQTT bridge: slot events from the appointment service's internal feed, published to
//! every configured broker, at least once.
//!
//! - [`session`]: one task per broker, with its own durable cursor, so a broker that is down
//!   holds up nobody else and catches up from where it stopped when it returns.
//! - [`acks`]: which events a broker has really acknowledged; only those move the cursor.
//! - [`availability`]: retained per clinic-day summaries for late subscribers.
//! - [`messages`]: topics and JSON payloads (see `docs/mqtt.md`); [`brokers`]: addresses;
//!   [`cursor_file`]: the cursor on disk.

pub mod acks;
pub mod availability;
pub mod brokers;
pub mod cursor_file;
pub mod messages;
pub mod session;
pub mod status;

use std::{path::PathBuf, sync::Arc, time::Duration};

use dentismile_proto::v1::slot_event_service_client::SlotEventServiceClient;
use dentismile_runtime::CancellationToken;
pub use rumqttc::QoS;
use tokio::task::JoinHandle;

use crate::backends::ReplicaSet;

use self::{
    availability::AvailabilityBoard, brokers::BrokerAddress, session::BrokerSession,
    status::BrokerGauge,
};

/// How the bridge publishes.
#[derive(Debug, Clone)]
pub struct BridgeSettings {
    /// Names this gateway in client ids and its status topic; unique per gateway.
    pub gateway_id: String,
    /// QoS of slot events: at least once (1, the default) or exactly once (2).
    pub qos: QoS,
    /// Most publishes awaiting acknowledgement per broker. Mosquitto 2.0 silently drops
    /// incoming QoS 2 messages beyond its `max_inflight_messages` (20 by default) from MQTT 3.1.1
    /// clients, so this must stay at or under the broker's limit.
    pub max_in_flight: u16,
    /// Where the per-broker cursors are kept.
    pub state_dir: PathBuf,
    /// After a broker failure, events acknowledged this long before it are sent again.
    pub replay_window: Duration,
}

impl BridgeSettings {
    /// Defaults for a gateway named `gateway_id` keeping its cursors in `state_dir`.
    pub fn new(gateway_id: String, state_dir: PathBuf) -> Self {
        Self {
            gateway_id,
            qos: QoS::AtLeastOnce,
            max_in_flight: 20,
            state_dir,
            replay_window: Duration::from_secs(30),
        }
    }
}

/// A running bridge.
#[derive(Debug)]
pub struct Bridge {
    tasks: Vec<JoinHandle<()>>,
    gauges: Vec<Arc<BrokerGauge>>,
}

impl Bridge {
    /// Starts publishing the feed of `appointments` to every broker, until `shutdown`.
    pub fn start(
        settings: BridgeSettings,
        brokers: &[BrokerAddress],
        appointments: ReplicaSet,
        shutdown: CancellationToken,
    ) -> Self {
        let settings = Arc::new(settings);
        let board = Arc::new(AvailabilityBoard::new());
        let mut tasks = vec![tokio::spawn(availability::keep_counting(
            board.clone(),
            appointments.clone(),
            shutdown.clone(),
        ))];
        let mut gauges = Vec::with_capacity(brokers.len());
        for broker in brokers {
            let gauge = Arc::new(BrokerGauge::new(broker.to_string()));
            gauges.push(gauge.clone());
            let session = BrokerSession {
                gauge,
                broker: broker.clone(),
                settings: settings.clone(),
                feed: SlotEventServiceClient::new(appointments.clone()),
                board: board.clone(),
                shutdown: shutdown.clone(),
            };
            tasks.push(tokio::spawn(session.run()));
        }
        Self { tasks, gauges }
    }

    /// Each broker's gauges, for operators.
    pub fn gauges(&self) -> Vec<Arc<BrokerGauge>> {
        self.gauges.clone()
    }

    /// Waits until every task stopped (after shutdown), saving the cursors on the way.
    pub async fn stopped(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Stops at once without saving anything: what a crash does. For tests of recovery.
    pub fn abort(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// A gateway id from a host name and port, safe for topics and client ids.
pub fn gateway_id(host: &str, port: u16) -> String {
    let cleaned: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{}-{port}", cleaned.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_ids_fit_topics() {
        assert_eq!(gateway_id("Web.01/eu", 50051), "web-01-eu-50051");
    }
}
