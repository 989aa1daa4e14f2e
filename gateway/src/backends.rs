//! Channels to the service replicas behind the gateway.
//!
//! Each service gets one channel balanced over all its replicas (tower's power-of-two-choices
//! balancer inside tonic), connected lazily, so the gateway starts even while a replica is down
//! and requests flow as soon as one is up.

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

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

/// A channel balanced over `addresses` (`http://host:port`), named `setting` in errors.
pub fn balanced_channel(
    setting: &'static str,
    addresses: &[String],
) -> Result<Channel, BackendAddressError> {
    if addresses.is_empty() {
        return Err(BackendAddressError {
            setting,
            address: String::new(),
            reason: "at least one address is needed".to_string(),
        });
    }
    let mut endpoints = Vec::with_capacity(addresses.len());
    for address in addresses {
        let endpoint =
            Endpoint::from_shared(address.clone()).map_err(|error| BackendAddressError {
                setting,
                address: address.clone(),
                reason: error.to_string(),
            })?;
        endpoints.push(
            endpoint
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(REQUEST_TIMEOUT)
                .tcp_nodelay(true)
                .http2_keep_alive_interval(Duration::from_secs(20))
                .keep_alive_while_idle(true),
        );
    }
    Ok(if endpoints.len() == 1 {
        let endpoint = endpoints.remove(0);
        endpoint.connect_lazy()
    } else {
        Channel::balance_list(endpoints.into_iter())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bad_addresses_name_their_setting() {
        let error = balanced_channel("--auth-url", &["not a url".to_string()]).unwrap_err();
        assert!(
            error.to_string().starts_with("--auth-url: 'not a url'"),
            "{error}"
        );
        assert!(balanced_channel("--auth-url", &[]).is_err());
        assert!(balanced_channel("--auth-url", &["http://127.0.0.1:1".to_string()]).is_ok());
    }
}
