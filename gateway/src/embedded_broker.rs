//! The MQTT broker `dentismile up` runs in-process when no external broker is configured:
//! rumqttd, in memory, on one TCP listener (MQTT 3.1.1 and 5 clients both speak 3.1.1 to it).
//! It is for development and demos: no credentials, no ACL, nothing kept across restarts. A
//! deployment uses Mosquitto with the config and ACL in `scripts/mosquitto/`.

use std::{
    collections::HashMap,
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    thread,
    time::{Duration, Instant},
};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
#[error("--mqtt-addr: cannot run the embedded MQTT broker on {address}: {reason}")]
pub struct EmbeddedBrokerError {
    /// Where it was to listen.
    pub address: SocketAddr,
    /// Why.
    pub reason: String,
}

/// Starts the broker on `address` in its own thread and returns once it accepts connections.
/// The broker lives as long as the process.
pub fn start(address: SocketAddr, max_connections: usize) -> Result<(), EmbeddedBrokerError> {
    // rumqttd does not tell which port it picked for port 0, so nobody could connect to it.
    if address.port() == 0 {
        return Err(EmbeddedBrokerError {
            address,
            reason: "port 0 is not supported (the broker cannot report the port it would pick); \
                     name a free port"
                .to_string(),
        });
    }
    // rumqttd binds inside its own thread and offers no way to learn of a failure, so check the
    // port first: a clear error beats a broker that silently never listens.
    std::net::TcpListener::bind(address).map_err(|error| EmbeddedBrokerError {
        address,
        reason: error.to_string(),
    })?;
    let server = ServerSettings {
        name: "v4".to_string(),
        listen: address,
        tls: None,
        next_connection_delay_ms: 0,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 64 * 1024,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections,
            max_outgoing_packet_count: 200,
            max_segment_size: 100 * 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(HashMap::from([("v4".to_string(), server)])),
        v5: None,
        ws: None,
        cluster: None,
        console: None,
        bridge: None,
        prometheus: None,
        metrics: None,
    };
    thread::Builder::new()
        .name("mqtt-broker".to_string())
        .spawn(move || {
            let mut broker = Broker::new(config);
            if let Err(error) = broker.start() {
                tracing::error!(%error, "the embedded MQTT broker stopped");
            }
        })
        .map_err(|error| EmbeddedBrokerError {
            address,
            reason: error.to_string(),
        })?;
    // Wait until it answers, so callers can connect at once.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !answers_mqtt(address) {
        if Instant::now() > deadline {
            return Err(EmbeddedBrokerError {
                address,
                reason: "it did not start answering within 10 s".to_string(),
            });
        }
        thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Whether an MQTT broker answers at `address`: a whole CONNECT, CONNACK, DISCONNECT exchange
/// (MQTT 3.1.1), not just a TCP connection, which rumqttd would log as a failed client at every
/// start.
fn answers_mqtt(address: SocketAddr) -> bool {
    const CLIENT_ID: &[u8] = b"dentismile-up-readiness";
    const PATIENCE: Duration = Duration::from_secs(1);
    let Ok(mut stream) = TcpStream::connect_timeout(&address, PATIENCE) else {
        return false;
    };
    if stream.set_read_timeout(Some(PATIENCE)).is_err() {
        return false;
    }
    // Variable header: protocol name "MQTT", level 4 (3.1.1), clean session, keep-alive 10 s;
    // payload: the client id.
    let mut body = vec![0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x0A];
    body.extend_from_slice(&(CLIENT_ID.len() as u16).to_be_bytes());
    body.extend_from_slice(CLIENT_ID);
    // Under 128 bytes, so its remaining length is one byte.
    let mut connect = vec![0x10, body.len() as u8];
    connect.extend_from_slice(&body);
    let mut connack = [0u8; 4];
    let accepted = stream.write_all(&connect).is_ok()
        && stream.read_exact(&mut connack).is_ok()
        && connack[0] == 0x20
        && connack[3] == 0x00;
    if accepted {
        let _ = stream.write_all(&[0xE0, 0x00]);
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free_address() -> SocketAddr {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    }

    #[test]
    fn start_returns_once_the_broker_answers_mqtt_and_a_taken_port_is_refused() {
        let address = free_address();
        start(address, 10).unwrap();
        assert!(answers_mqtt(address));
        let taken = start(address, 10).unwrap_err().to_string();
        assert!(taken.starts_with("--mqtt-addr:"), "{taken}");
    }

    #[test]
    fn a_listener_that_does_not_speak_mqtt_is_not_a_broker() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = silent.local_addr().unwrap();
        assert!(!answers_mqtt(address));
        drop(silent);
        assert!(!answers_mqtt(address), "nothing listens");
    }

    #[test]
    fn port_zero_is_refused_with_the_flag_named() {
        let error = start("127.0.0.1:0".parse().unwrap(), 10).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("--mqtt-addr:"), "{message}");
        assert!(message.contains("port 0 is not supported"), "{message}");
    }
}
