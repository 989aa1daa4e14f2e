//! Broker addresses: `mqtt://[user:password@]host:port`.

use std::fmt;

/// One broker the bridge publishes to.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerAddress {
    /// Host name or IP.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Credentials, if the broker wants them (Mosquitto with the shipped ACL does).
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for BrokerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the password.
        write!(f, "{self}")
    }
}

impl fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.credentials {
            Some((user, _)) => write!(f, "mqtt://{user}@{}:{}", self.host, self.port),
            None => write!(f, "mqtt://{}:{}", self.host, self.port),
        }
    }
}

impl BrokerAddress {
    /// Parses `mqtt://[user:password@]host[:port]` (port 1883 by default); the error says what
    /// is wrong, for the caller to prefix with the setting's name.
    pub fn parse(value: &str) -> Result<Self, String> {
        let rest = value.strip_prefix("mqtt://").ok_or_else(|| {
            format!("'{value}' must start with mqtt:// (TLS is not supported yet)")
        })?;
        let rest = rest.trim_end_matches('/');
        let (credentials, host_port) = match rest.rsplit_once('@') {
            Some((login, host_port)) => {
                let (user, password) = login
                    .split_once(':')
                    .ok_or_else(|| format!("'{value}': give credentials as user:password@"))?;
                (Some((user.to_string(), password.to_string())), host_port)
            }
            None => (None, rest),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("'{value}': '{port}' is not a port"))?,
            ),
            None => (host_port, 1883),
        };
        if host.is_empty() || host.contains('/') {
            return Err(format!("'{value}' has no host"));
        }
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            credentials,
        })
    }

    /// A name safe for file names and client ids: `host_port`.
    pub fn key(&self) -> String {
        format!("{}_{}", self.host, self.port)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_brokers_and_hides_passwords() {
        let broker = BrokerAddress::parse("mqtt://gateway:s3cret@127.0.0.1:1884").unwrap();
        assert_eq!(broker.host, "127.0.0.1");
        assert_eq!(broker.port, 1884);
        assert_eq!(broker.to_string(), "mqtt://gateway@127.0.0.1:1884");
        assert!(!format!("{broker:?}").contains("s3cret"));
        assert_eq!(BrokerAddress::parse("mqtt://localhost").unwrap().port, 1883);
        assert_eq!(broker.key(), "127.0.0.1_1884");
        for bad in [
            "tcp://x:1",
            "mqtt://",
            "mqtt://host:port",
            "mqtt://user@host:1",
        ] {
            assert!(BrokerAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
