//! Where the ScyllaDB cluster is and how to use it, parsed from one URI:
//!
//! ```text
//! scylla://[user:password@]host[:port][,host[:port]...][/keyspace][?param=value&...]
//! ```
//!
//! - hosts: names or addresses (IPv6 in brackets), port 9042 unless given. Any reachable node
//!   is enough to discover the rest of the cluster.
//! - keyspace: `dentismile` unless given; `a-z`, `0-9` and `_`, starting with a letter, at most
//!   48 characters (ScyllaDB's limit).
//! - `dc`: the local datacenter. Requests go to its nodes only (DC-aware routing) and
//!   `LOCAL_QUORUM` / `LOCAL_SERIAL` are counted there; with `strategy=network` the keyspace is
//!   replicated `rf` times in it. Without `dc`, every node counts as local.
//! - `rf`: replication factor for a new keyspace, 1 to 9, default 3.
//! - `strategy`: `network` (NetworkTopologyStrategy, default) or `simple` (SimpleStrategy, for
//!   a throwaway single node).
//! - `tablets`: `off` (default: `AND tablets = {'enabled': false}`), `on`, or `omit` (leave the
//!   option out, for ScyllaDB before 6.0 which does not know it). See docs/scylla.md.
//! - `timeout_ms`: client-side timeout of one request, default 10000. Longer than ScyllaDB's own
//!   write and CAS timeouts, so a slow write is reported by the server (with its kind) first.
//! - `poll_ms`: how often `wait_for_events` looks for new events, default 100.
//!
//! Parse errors name the part of the URI that is wrong. The password never appears in `Debug`
//! output or in [`ScyllaConfig::redacted`].

use std::{fmt, time::Duration};

/// A parsed store URI.
#[derive(Clone, PartialEq, Eq)]
pub struct ScyllaConfig {
    /// Contact points, `host:port`.
    pub nodes: Vec<String>,
    /// The keyspace holding DentiSmile's tables.
    pub keyspace: String,
    /// The local datacenter, if named.
    pub datacenter: Option<String>,
    /// How a new keyspace is replicated.
    pub strategy: ReplicationStrategy,
    /// Replicas per datacenter (NetworkTopologyStrategy) or in total (SimpleStrategy).
    pub replication_factor: u8,
    /// What to say about tablets when creating the keyspace.
    pub tablets: Tablets,
    /// Username and password, if the cluster requires authentication.
    pub credentials: Option<Credentials>,
    /// Client-side timeout of one request.
    pub request_timeout: Duration,
    /// How often `wait_for_events` polls.
    pub event_poll_interval: Duration,
}

/// Replication strategy of a new keyspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicationStrategy {
    /// `NetworkTopologyStrategy`: replicas per datacenter, rack-aware.
    NetworkTopology,
    /// `SimpleStrategy`: for a single-node development cluster only.
    Simple,
}

/// The keyspace's tablets option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tablets {
    /// `tablets = {'enabled': false}`: needed for lightweight transactions before 2025.4.
    Disabled,
    /// `tablets = {'enabled': true}`: ScyllaDB 2025.4 and later support LWT on tablets.
    Enabled,
    /// No tablets option at all (ScyllaDB before 6.0, Cassandra).
    Omitted,
}

/// A username and password. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The username.
    pub user: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"..")
            .finish()
    }
}

impl fmt::Debug for ScyllaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URI form is the most readable, and it is already redacted.
        f.debug_tuple("ScyllaConfig")
            .field(&self.redacted())
            .finish()
    }
}

/// What is wrong with a store URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScyllaConfigError {
    /// Not a `scylla://` URI.
    #[error("the store URI must start with scylla:// (got '{0}')")]
    Scheme(String),
    /// No host at all.
    #[error("the store URI names no host: expected scylla://host[:port][,host...]/keyspace")]
    NoHosts,
    /// A host or port that cannot be used.
    #[error("host '{host}' in the store URI: {problem}")]
    Host {
        /// The host as written.
        host: String,
        /// What is wrong.
        problem: String,
    },
    /// A keyspace name ScyllaDB would refuse (or that would need quoting).
    #[error(
        "keyspace '{0}' in the store URI: use 1 to 48 of a-z, 0-9 and _, starting with a letter"
    )]
    Keyspace(String),
    /// Username or password problems.
    #[error("credentials in the store URI: {0}")]
    Credentials(String),
    /// A query parameter that is unknown or has a bad value.
    #[error("parameter '{name}' in the store URI: {problem}")]
    Parameter {
        /// The parameter.
        name: String,
        /// What is wrong.
        problem: String,
    },
}

/// The scheme every store URI starts with.
pub const SCHEME: &str = "scylla://";
/// The keyspace when the URI names none.
pub const DEFAULT_KEYSPACE: &str = "dentismile";
/// ScyllaDB's CQL port.
pub const DEFAULT_PORT: u16 = 9042;

impl ScyllaConfig {
    /// Parses a store URI (see the module documentation for the format).
    pub fn parse(uri: &str) -> Result<Self, ScyllaConfigError> {
        let rest = uri
            .strip_prefix(SCHEME)
            .ok_or_else(|| ScyllaConfigError::Scheme(redact_uri(uri)))?;
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((authority, path)) => (authority, path),
            None => (rest, ""),
        };
        // The last '@' separates credentials: a password may contain '@' only percent-encoded,
        // but being lenient here costs nothing.
        let (credentials, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(parse_credentials(userinfo)?), hosts),
            None => (None, authority),
        };
        if hosts.trim().is_empty() {
            return Err(ScyllaConfigError::NoHosts);
        }
        let nodes = hosts
            .split(',')
            .map(parse_host)
            .collect::<Result<Vec<_>, _>>()?;
        let keyspace = if path.is_empty() {
            DEFAULT_KEYSPACE.to_string()
        } else {
            check_keyspace(path)?;
            path.to_string()
        };
        let mut config = Self {
            nodes,
            keyspace,
            datacenter: None,
            strategy: ReplicationStrategy::NetworkTopology,
            replication_factor: 3,
            tablets: Tablets::Disabled,
            credentials,
            request_timeout: Duration::from_millis(10_000),
            event_poll_interval: Duration::from_millis(100),
        };
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            config.apply_parameter(name, value)?;
        }
        Ok(config)
    }

    fn apply_parameter(&mut self, name: &str, value: &str) -> Result<(), ScyllaConfigError> {
        let bad = |problem: String| ScyllaConfigError::Parameter {
            name: name.to_string(),
            problem,
        };
        match name {
            "dc" => {
                // The name goes into CQL as a string literal and a map key: allow what
                // datacenter names look like and nothing that could end the literal.
                let valid = !value.is_empty()
                    && value.len() <= 64
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if !valid {
                    return Err(bad(format!(
                        "'{value}' is not a datacenter name (1 to 64 of A-Z, a-z, 0-9, '-', '_', '.')"
                    )));
                }
                self.datacenter = Some(value.to_string());
            }
            "rf" => {
                self.replication_factor = value
                    .parse::<u8>()
                    .ok()
                    .filter(|rf| (1..=9).contains(rf))
                    .ok_or_else(|| bad(format!("'{value}' is not a number from 1 to 9")))?;
            }
            "strategy" => {
                self.strategy = match value {
                    "network" => ReplicationStrategy::NetworkTopology,
                    "simple" => ReplicationStrategy::Simple,
                    other => {
                        return Err(bad(format!("'{other}' is not 'network' or 'simple'")));
                    }
                };
            }
            "tablets" => {
                self.tablets = match value {
                    "off" => Tablets::Disabled,
                    "on" => Tablets::Enabled,
                    "omit" => Tablets::Omitted,
                    other => {
                        return Err(bad(format!("'{other}' is not 'off', 'on' or 'omit'")));
                    }
                };
            }
            "timeout_ms" => {
                self.request_timeout = parse_millis(value, 100, 600_000).map_err(bad)?;
            }
            "poll_ms" => {
                self.event_poll_interval = parse_millis(value, 10, 60_000).map_err(bad)?;
            }
            _ => {
                return Err(bad(
                    "unknown; known parameters are dc, rf, strategy, tablets, timeout_ms, poll_ms"
                        .to_string(),
                ));
            }
        }
        Ok(())
    }

    /// The same settings with another keyspace (tests give each case its own).
    pub fn with_keyspace(&self, keyspace: &str) -> Result<Self, ScyllaConfigError> {
        check_keyspace(keyspace)?;
        Ok(Self {
            keyspace: keyspace.to_string(),
            ..self.clone()
        })
    }

    /// The keyspace's replication map, as CQL.
    pub fn replication_cql(&self) -> String {
        let rf = self.replication_factor;
        match (self.strategy, &self.datacenter) {
            (ReplicationStrategy::NetworkTopology, Some(dc)) => {
                format!("{{'class': 'NetworkTopologyStrategy', '{dc}': {rf}}}")
            }
            // Without a datacenter name, NetworkTopologyStrategy's `replication_factor`
            // shorthand puts `rf` replicas in every datacenter that exists now.
            (ReplicationStrategy::NetworkTopology, None) => {
                format!("{{'class': 'NetworkTopologyStrategy', 'replication_factor': {rf}}}")
            }
            (ReplicationStrategy::Simple, _) => {
                format!("{{'class': 'SimpleStrategy', 'replication_factor': {rf}}}")
            }
        }
    }

    /// The keyspace's tablets clause, as CQL to append to `WITH replication = ...`.
    pub fn tablets_cql(&self) -> &'static str {
        match self.tablets {
            Tablets::Disabled => " AND tablets = {'enabled': false}",
            Tablets::Enabled => " AND tablets = {'enabled': true}",
            Tablets::Omitted => "",
        }
    }

    /// The URI with the password replaced by `***`, for logs and messages.
    pub fn redacted(&self) -> String {
        let credentials = self
            .credentials
            .as_ref()
            .map(|c| format!("{}:***@", c.user))
            .unwrap_or_default();
        let mut parameters = vec![
            format!("rf={}", self.replication_factor),
            format!(
                "strategy={}",
                match self.strategy {
                    ReplicationStrategy::NetworkTopology => "network",
                    ReplicationStrategy::Simple => "simple",
                }
            ),
            format!(
                "tablets={}",
                match self.tablets {
                    Tablets::Disabled => "off",
                    Tablets::Enabled => "on",
                    Tablets::Omitted => "omit",
                }
            ),
            format!("timeout_ms={}", self.request_timeout.as_millis()),
            format!("poll_ms={}", self.event_poll_interval.as_millis()),
        ];
        if let Some(dc) = &self.datacenter {
            parameters.insert(0, format!("dc={dc}"));
        }
        format!(
            "{SCHEME}{credentials}{}/{}?{}",
            self.nodes.join(","),
            self.keyspace,
            parameters.join("&")
        )
    }
}

impl fmt::Display for ScyllaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::str::FromStr for ScyllaConfig {
    type Err = ScyllaConfigError;

    fn from_str(uri: &str) -> Result<Self, Self::Err> {
        Self::parse(uri)
    }
}

/// Whether a store URI is meant for this backend (so a binary can pick the backend by scheme).
pub fn is_scylla_uri(uri: &str) -> bool {
    uri.starts_with(SCHEME)
}

fn check_keyspace(name: &str) -> Result<(), ScyllaConfigError> {
    let valid = (1..=48).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(ScyllaConfigError::Keyspace(name.to_string()))
    }
}

fn parse_host(text: &str) -> Result<String, ScyllaConfigError> {
    let bad = |problem: &str| ScyllaConfigError::Host {
        host: text.to_string(),
        problem: problem.to_string(),
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("is empty (two commas in a row, or a trailing comma?)"));
    }
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let (address, after) = bracketed
            .split_once(']')
            .ok_or_else(|| bad("has '[' without ']'"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| bad("expected ':port' after ']'"))?,
            ),
        };
        (format!("[{address}]"), port)
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (text.to_string(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(bad("has no host name"));
    }
    let valid_name = host.starts_with('[')
        || host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !valid_name {
        return Err(bad("is not a host name or IP address"));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| bad(&format!("port '{port}' is not a number from 1 to 65535")))?,
    };
    Ok(format!("{host}:{port}"))
}

fn parse_credentials(userinfo: &str) -> Result<Credentials, ScyllaConfigError> {
    let (user, password) = userinfo.split_once(':').ok_or_else(|| {
        ScyllaConfigError::Credentials("expected user:password before '@'".to_string())
    })?;
    let user = percent_decode(user).ok_or_else(|| {
        ScyllaConfigError::Credentials("the user is badly percent-encoded".into())
    })?;
    let password = percent_decode(password).ok_or_else(|| {
        ScyllaConfigError::Credentials("the password is badly percent-encoded".into())
    })?;
    if user.is_empty() {
        return Err(ScyllaConfigError::Credentials("the user is empty".into()));
    }
    Ok(Credentials { user, password })
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

fn parse_millis(value: &str, min: u64, max: u64) -> Result<Duration, String> {
    value
        .parse::<u64>()
        .ok()
        .filter(|ms| (min..=max).contains(ms))
        .map(Duration::from_millis)
        .ok_or_else(|| format!("'{value}' is not a number of milliseconds from {min} to {max}"))
}

/// A URI for an error message: anything between "://" and '@' is hidden.
fn redact_uri(uri: &str) -> String {
    match (uri.find("://"), uri.rfind('@')) {
        (Some(start), Some(at)) if at > start => format!("{}***{}", &uri[..start + 3], &uri[at..]),
        _ => uri.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_keyspace_and_parameters() {
        let config = ScyllaConfig::parse(
            "scylla://host1:9042,host2,10.0.0.3:19042/bookings?dc=datacenter1&rf=3",
        )
        .unwrap();
        assert_eq!(config.nodes, ["host1:9042", "host2:9042", "10.0.0.3:19042"]);
        assert_eq!(config.keyspace, "bookings");
        assert_eq!(config.datacenter.as_deref(), Some("datacenter1"));
        assert_eq!(config.replication_factor, 3);
        assert_eq!(config.strategy, ReplicationStrategy::NetworkTopology);
        assert_eq!(config.tablets, Tablets::Disabled);
        assert_eq!(
            config.replication_cql(),
            "{'class': 'NetworkTopologyStrategy', 'datacenter1': 3}"
        );
        assert_eq!(config.tablets_cql(), " AND tablets = {'enabled': false}");
    }

    #[test]
    fn defaults_fill_what_the_uri_leaves_out() {
        let config = ScyllaConfig::parse("scylla://localhost").unwrap();
        assert_eq!(config.nodes, ["localhost:9042"]);
        assert_eq!(config.keyspace, DEFAULT_KEYSPACE);
        assert_eq!(config.datacenter, None);
        assert_eq!(config.request_timeout, Duration::from_secs(10));
        assert_eq!(config.event_poll_interval, Duration::from_millis(100));
        assert_eq!(
            config.replication_cql(),
            "{'class': 'NetworkTopologyStrategy', 'replication_factor': 3}"
        );
        let simple =
            ScyllaConfig::parse("scylla://localhost/ks?strategy=simple&rf=1&tablets=omit").unwrap();
        assert_eq!(
            simple.replication_cql(),
            "{'class': 'SimpleStrategy', 'replication_factor': 1}"
        );
        assert_eq!(simple.tablets_cql(), "");
    }

    #[test]
    fn ipv6_credentials_and_redaction() {
        let config =
            ScyllaConfig::parse("scylla://app:s%40cret@[::1]:9043,[fe80::1]/ks?timeout_ms=2500")
                .unwrap();
        assert_eq!(config.nodes, ["[::1]:9043", "[fe80::1]:9042"]);
        let credentials = config.credentials.clone().unwrap();
        assert_eq!(credentials.user, "app");
        assert_eq!(credentials.password, "s@cret");
        assert_eq!(config.request_timeout, Duration::from_millis(2500));
        let shown = format!("{config} {config:?}");
        assert!(
            !shown.contains("s@cret") && !shown.contains("s%40cret"),
            "{shown}"
        );
        assert!(shown.contains("app:***@"), "{shown}");
        // What redacted() prints parses back to the same settings (less the password).
        let again = ScyllaConfig::parse(&config.redacted()).unwrap();
        assert_eq!(again.nodes, config.nodes);
        assert_eq!(again.request_timeout, config.request_timeout);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let cases = [
            ("http://localhost", "must start with scylla://"),
            ("scylla://", "names no host"),
            ("scylla:///ks", "names no host"),
            ("scylla://a,,b", "host '' in the store URI: is empty"),
            ("scylla://host:0", "port '0'"),
            ("scylla://host:99999", "port '99999'"),
            ("scylla://ho st", "not a host name"),
            ("scylla://[::1", "without ']'"),
            ("scylla://host/Bad-Name", "keyspace 'Bad-Name'"),
            ("scylla://host/1abc", "keyspace '1abc'"),
            ("scylla://host/ks?rf=0", "parameter 'rf'"),
            ("scylla://host/ks?rf=x", "parameter 'rf'"),
            ("scylla://host/ks?dc=a'b", "parameter 'dc'"),
            ("scylla://host/ks?strategy=local", "parameter 'strategy'"),
            ("scylla://host/ks?tablets=maybe", "parameter 'tablets'"),
            ("scylla://host/ks?timeout_ms=5", "parameter 'timeout_ms'"),
            ("scylla://host/ks?color=blue", "parameter 'color'"),
            ("scylla://user@host", "credentials"),
            ("scylla://:pw@host", "the user is empty"),
        ];
        for (uri, expected) in cases {
            let error = ScyllaConfig::parse(uri).unwrap_err().to_string();
            assert!(error.contains(expected), "{uri}: {error}");
        }
        let long = format!("scylla://host/{}", "k".repeat(49));
        assert!(ScyllaConfig::parse(&long).is_err());
    }

    #[test]
    fn a_wrong_scheme_does_not_echo_the_password() {
        let error = ScyllaConfig::parse("cassandra://me:secret@host")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("secret"), "{error}");
        assert!(is_scylla_uri("scylla://x") && !is_scylla_uri("sqlite://x"));
    }

    #[test]
    fn keyspaces_can_be_swapped_for_tests() {
        let config = ScyllaConfig::parse("scylla://h/ks").unwrap();
        assert_eq!(
            config.with_keyspace("other_ks").unwrap().keyspace,
            "other_ks"
        );
        assert!(config.with_keyspace("drop table x").is_err());
    }
}
