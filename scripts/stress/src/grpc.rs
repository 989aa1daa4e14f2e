//! gRPC plumbing of the load: a small pool of gateway connections shared by the virtual
//! patients.
//!
//! Every patient is a `dentismile_client::Client` (the terminals' own calls, token handling and
//! booking retries), but on a pooled connection rather than one of its own: 10,000 connections
//! next to 10,000 MQTT connections would take the server process past its 20,000 open files
//! (the embedded broker lives in the same process). HTTP/2 multiplexes, so a few connections
//! carry every patient's calls, as a mobile carrier's NAT or a web backend would.

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

/// The reason every virtual patient gives for its booking.
pub const BOOKING_REASON: &str = "stress test";

/// A few HTTP/2 connections to one server, used round robin.
#[derive(Debug, Clone)]
pub struct Pool {
    channels: Vec<Channel>,
}

impl Pool {
    /// Opens `size` connections to `url` (at least one) and waits until each is up, so the
    /// first measured call does not pay for the handshake.
    pub async fn connect(url: &str, size: usize) -> anyhow::Result<Self> {
        let endpoint = Endpoint::from_shared(url.to_string())?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .tcp_nodelay(true);
        let mut channels = Vec::with_capacity(size.max(1));
        for _ in 0..size.max(1) {
            channels.push(endpoint.connect().await.map_err(|error| {
                anyhow::anyhow!("cannot connect to {url}: {error} (is the server running?)")
            })?);
        }
        Ok(Self { channels })
    }

    /// The connection for caller number `index`.
    pub fn channel(&self, index: usize) -> Channel {
        self.channels[index % self.channels.len()].clone()
    }
}
