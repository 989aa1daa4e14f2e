//! Where load may go: loopback only.
//!
//! This tool generates thousands of connections per second; pointed at another machine it
//! would be an attack, not a test. So every address it is given is checked here before anything
//! connects: an IP literal in 127.0.0.0/8 or `::1`, or the name `localhost`. Names are never
//! resolved, because a resolver could answer with any address.

use std::net::{IpAddr, Ipv4Addr};

/// A gRPC endpoint on this machine: `http://127.0.0.1:50051`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrpcTarget {
    /// `http://host:port`, with `localhost` replaced by `127.0.0.1`.
    pub url: String,
}

/// An MQTT broker on this machine, with optional credentials: `mqtt://[user:pass@]host:port`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MqttTarget {
    /// The IP literal to connect to.
    pub host: String,
    /// The port.
    pub port: u16,
    /// User name and password, when the broker wants them.
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Display for MqttTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        match &self.credentials {
            Some((user, _)) => write!(f, "mqtt://{user}:***@{}:{}", self.host, self.port),
            None => write!(f, "mqtt://{}:{}", self.host, self.port),
        }
    }
}

/// Checks that `host` is a loopback address and returns the IP to use.
pub fn loopback_host(flag: &str, host: &str) -> Result<String, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return Ok(Ipv4Addr::LOCALHOST.to_string());
    }
    match bare.parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => Ok(match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        }),
        Ok(ip) => Err(format!(
            "{flag}: {ip} is not a loopback address; load goes only to this machine (127.0.0.0/8, ::1, localhost)"
        )),
        Err(_) => Err(format!(
            "{flag}: '{host}' is not an IP literal or localhost; load goes only to this machine, and names are not resolved"
        )),
    }
}

fn split_host_port(flag: &str, rest: &str, default_port: u16) -> Result<(String, u16), String> {
    let rest = rest.trim_end_matches('/');
    // `[::1]:1883`, `127.0.0.1:1883`, `localhost`.
    let (host, port) = if let Some(stripped) = rest.strip_prefix('[') {
        let (host, after) = stripped
            .split_once(']')
            .ok_or_else(|| format!("{flag}: '{rest}' has an unclosed '['"))?;
        match after.strip_prefix(':') {
            Some(port) => (host.to_string(), Some(port)),
            None if after.is_empty() => (host.to_string(), None),
            None => return Err(format!("{flag}: unexpected '{after}' after the address")),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (rest.to_string(), None),
        }
    };
    let port = match port {
        Some(port) => port
            .parse()
            .map_err(|_| format!("{flag}: '{port}' is not a port"))?,
        None => default_port,
    };
    Ok((loopback_host(flag, &host)?, port))
}

impl GrpcTarget {
    /// Parses `http://host:port` and refuses anything off this machine.
    pub fn parse(flag: &str, value: &str) -> Result<Self, String> {
        let rest = value
            .strip_prefix("http://")
            .ok_or_else(|| format!("{flag}: '{value}' must start with http://"))?;
        let (host, port) = split_host_port(flag, rest, 50051)?;
        Ok(Self {
            url: format!("http://{host}:{port}"),
        })
    }
}

impl MqttTarget {
    /// Parses `mqtt://[user:password@]host[:port]` and refuses anything off this machine.
    pub fn parse(flag: &str, value: &str) -> Result<Self, String> {
        let rest = value
            .strip_prefix("mqtt://")
            .ok_or_else(|| format!("{flag}: '{value}' must start with mqtt://"))?;
        let (credentials, rest) = match rest.rsplit_once('@') {
            Some((userinfo, rest)) => {
                let (user, password) = userinfo
                    .split_once(':')
                    .ok_or_else(|| format!("{flag}: credentials must be user:password"))?;
                (Some((user.to_string(), password.to_string())), rest)
            }
            None => (None, rest),
        };
        let (host, port) = split_host_port(flag, rest, 1883)?;
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            credentials,
        })
    }

    /// The same broker without credentials: how an anonymous subscriber reaches it.
    pub fn anonymous(&self) -> Self {
        Self {
            credentials: None,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_are_accepted() {
        assert_eq!(
            GrpcTarget::parse("--gateway", "http://localhost:50051")
                .unwrap()
                .url,
            "http://127.0.0.1:50051"
        );
        assert_eq!(
            GrpcTarget::parse("--gateway", "http://127.0.0.2:7")
                .unwrap()
                .url,
            "http://127.0.0.2:7"
        );
        assert_eq!(
            GrpcTarget::parse("--gateway", "http://[::1]:7")
                .unwrap()
                .url,
            "http://[::1]:7"
        );
        let mqtt = MqttTarget::parse("--mqtt", "mqtt://gateway:s3cret@127.0.0.1:1884").unwrap();
        assert_eq!(mqtt.port, 1884);
        assert_eq!(
            mqtt.credentials,
            Some(("gateway".to_string(), "s3cret".to_string()))
        );
        assert_eq!(mqtt.to_string(), "mqtt://gateway:***@127.0.0.1:1884");
        assert_eq!(
            MqttTarget::parse("--mqtt", "mqtt://localhost")
                .unwrap()
                .port,
            1883
        );
    }

    #[test]
    fn anything_off_this_machine_is_refused() {
        for value in [
            "http://10.0.0.5:50051",
            "http://192.168.1.2:50051",
            "http://8.8.8.8:50051",
            "http://example.com:50051",
            "http://0.0.0.0:50051",
        ] {
            let error = GrpcTarget::parse("--gateway", value).unwrap_err();
            assert!(error.starts_with("--gateway"), "{error}");
        }
        assert!(MqttTarget::parse("--mqtt", "mqtt://172.16.0.1:1883").is_err());
        assert!(MqttTarget::parse("--mqtt", "mqtt://broker:1883").is_err());
        assert!(MqttTarget::parse("--mqtt", "tcp://127.0.0.1:1883").is_err());
    }
}
