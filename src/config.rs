//! Command line and environment settings of the `dentismile` binary. Every flag has an
//! environment variable (`DENTISMILE_...`); clap reports a bad value naming the flag and exits
//! non-zero.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// DentiSmile: dentist appointments for Gothenburg.
#[derive(Debug, Parser)]
#[command(name = "dentismile", version, about, long_about = None)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole system in this process: the auth service, the appointment service and the
    /// gateway, each on its own port and talking gRPC to each other, on the embedded store with
    /// demo data for Gothenburg. Ctrl-C stops it cleanly.
    Up(UpArgs),
    /// Run one component, for a deployment with replicas.
    Serve(ServeArgs),
    /// Create or upgrade the store's schema, then exit.
    Migrate(MigrateArgs),
}

/// Which store to use.
#[derive(Debug, Clone, Default)]
pub enum StoreChoice {
    /// The embedded SQLite store in the data directory.
    #[default]
    Embedded,
    /// A ScyllaDB cluster.
    Scylla(Box<dentismile_store::scylla::ScyllaConfig>),
}

fn parse_store(value: &str) -> Result<StoreChoice, String> {
    match value {
        "embedded" => Ok(StoreChoice::Embedded),
        _ if dentismile_store::scylla::config::is_scylla_uri(value) => {
            dentismile_store::scylla::ScyllaConfig::parse(value)
                .map(|config| StoreChoice::Scylla(Box::new(config)))
                .map_err(|error| error.to_string())
        }
        _ => Err(format!(
            "'{value}' is neither `embedded` nor a scylla://host:port,... URI (see docs/scylla.md)"
        )),
    }
}

/// Settings of `dentismile up`.
#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// Directory of the embedded store and the token signing key; created if missing.
    #[arg(long, env = "DENTISMILE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// The store: `embedded` (SQLite in the data directory) or
    /// `scylla://host:9042,host2:9042/keyspace?dc=NAME&rf=3` (migrated at start by `up`).
    #[arg(long, env = "DENTISMILE_STORE", default_value = "embedded", value_parser = parse_store)]
    pub store: StoreChoice,

    /// Where the gateway (the public gRPC endpoint) listens. Port 0 picks a free port.
    #[arg(
        long,
        env = "DENTISMILE_GATEWAY_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    pub gateway_addr: SocketAddr,

    /// Where the auth service listens (internal; port 0 picks a free port).
    #[arg(long, env = "DENTISMILE_AUTH_ADDR", default_value = "127.0.0.1:0")]
    pub auth_addr: SocketAddr,

    /// Where the appointment service listens (internal; port 0 picks a free port).
    #[arg(
        long,
        env = "DENTISMILE_APPOINTMENTS_ADDR",
        default_value = "127.0.0.1:0"
    )]
    pub appointments_addr: SocketAddr,

    /// Do not create the Gothenburg demo clinics, slots and accounts.
    #[arg(long, env = "DENTISMILE_NO_DEMO")]
    pub no_demo: bool,

    /// MQTT: where slot events go.
    #[command(flatten)]
    pub mqtt: MqttArgs,
}

/// MQTT settings shared by `up` and `serve --target gateway`.
#[derive(Debug, Clone, Args)]
pub struct MqttArgs {
    /// Where the embedded MQTT broker of `up` listens; ignored when `--mqtt` names brokers.
    #[arg(long, env = "DENTISMILE_MQTT_ADDR", default_value = "127.0.0.1:1883")]
    pub mqtt_addr: SocketAddr,

    /// An external broker to publish slot events to, `mqtt://[user:password@]host:port`;
    /// repeatable or comma-separated. Every event goes to every broker. With `up`, replaces the
    /// embedded broker.
    #[arg(long = "mqtt", env = "DENTISMILE_MQTT", value_delimiter = ',', value_parser = parse_broker)]
    pub brokers: Vec<dentismile_gateway::bridge::brokers::BrokerAddress>,

    /// QoS of slot events: 1 (at least once) or 2 (exactly once per broker hop).
    #[arg(long, env = "DENTISMILE_MQTT_QOS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub mqtt_qos: u8,

    /// Most publishes awaiting a broker's acknowledgement. Keep it at or under the broker's
    /// limit (Mosquitto: `max_inflight_messages`, 20 by default).
    #[arg(long, env = "DENTISMILE_MQTT_MAX_IN_FLIGHT", default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub mqtt_max_in_flight: u16,

    /// Publish no MQTT at all (and, with `up`, run no broker).
    #[arg(long, env = "DENTISMILE_NO_MQTT")]
    pub no_mqtt: bool,
}

fn parse_broker(value: &str) -> Result<dentismile_gateway::bridge::brokers::BrokerAddress, String> {
    dentismile_gateway::bridge::brokers::BrokerAddress::parse(value)
}

/// The component `dentismile serve` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// The public gRPC endpoint.
    Gateway,
    /// Accounts and tokens.
    Auth,
    /// Clinics, slots, bookings and the event feeds.
    Appointments,
}

/// Settings of `dentismile serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The component to run.
    #[arg(long, env = "DENTISMILE_TARGET", value_enum)]
    pub target: Target,

    /// Where to listen. Defaults: gateway 127.0.0.1:50051, auth 127.0.0.1:50061,
    /// appointments 127.0.0.1:50071.
    #[arg(long, env = "DENTISMILE_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Directory of the embedded store (auth and appointments) and of the MQTT bridge's
    /// cursors (gateway). Processes on one machine may share an embedded store (SQLite's locking
    /// serialises their writes); replicas on several machines need ScyllaDB.
    #[arg(long, env = "DENTISMILE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// The store (auth and appointments): `embedded` or `scylla://...` (see `up --help`). A
    /// ScyllaDB keyspace must have been migrated with `dentismile migrate --store ...` first.
    #[arg(long, env = "DENTISMILE_STORE", default_value = "embedded", value_parser = parse_store)]
    pub store: StoreChoice,

    /// The auth service's token signing key (auth only); created if missing. Every auth
    /// replica must use the same key. Default: `<data-dir>/auth-signing.key`.
    #[arg(long, env = "DENTISMILE_SIGNING_KEY_FILE")]
    pub signing_key_file: Option<PathBuf>,

    /// URL of an auth service replica, repeatable or comma-separated (gateway and
    /// appointments: to fetch the token verification key; gateway: to forward to).
    #[arg(long, env = "DENTISMILE_AUTH_URL", value_delimiter = ',')]
    pub auth_url: Vec<String>,

    /// URL of an appointment service replica, repeatable or comma-separated (gateway).
    #[arg(long, env = "DENTISMILE_APPOINTMENTS_URL", value_delimiter = ',')]
    pub appointments_url: Vec<String>,

    /// Names this gateway in MQTT client ids and its status topic; unique per gateway.
    /// Default: the host name and listening port.
    #[arg(long, env = "DENTISMILE_GATEWAY_ID")]
    pub gateway_id: Option<String>,

    /// MQTT (gateway): the brokers to publish slot events to.
    #[command(flatten)]
    pub mqtt: MqttArgs,
}

/// Settings of `dentismile migrate`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Directory of the embedded store; created if missing.
    #[arg(long, env = "DENTISMILE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// The store to migrate: `embedded` or `scylla://...` (creates the keyspace and tables).
    #[arg(long, env = "DENTISMILE_STORE", default_value = "embedded", value_parser = parse_store)]
    pub store: StoreChoice,
}

/// The embedded store's file inside a data directory.
pub fn database_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("dentismile.db")
}

/// The signing key's default file inside a data directory.
pub fn signing_key_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("auth-signing.key")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bad_values_name_their_flag() {
        let error = Cli::try_parse_from(["dentismile", "up", "--gateway-addr", "localhost"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--gateway-addr"), "{error}");
        let error = Cli::try_parse_from(["dentismile", "serve", "--target", "everything"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--target"), "{error}");
        let error = Cli::try_parse_from(["dentismile", "up", "--mqtt", "tcp://broker"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("--mqtt") && error.contains("mqtt://"),
            "{error}"
        );
        let error = Cli::try_parse_from(["dentismile", "migrate", "--store", "postgres://db"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--store"), "{error}");
        let parsed = Cli::try_parse_from([
            "dentismile",
            "up",
            "--store",
            "scylla://10.0.0.1:9042,10.0.0.2:9042/dentismile?dc=dc1&rf=3",
        ])
        .unwrap();
        let Command::Up(up) = parsed.command else {
            panic!()
        };
        assert!(matches!(up.store, StoreChoice::Scylla(_)));
        let error = Cli::try_parse_from(["dentismile", "up", "--mqtt-qos", "0"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--mqtt-qos"), "{error}");
    }
}
