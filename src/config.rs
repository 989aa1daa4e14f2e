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

/// Settings of `dentismile up`.
#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// Directory of the embedded store and the token signing key; created if missing.
    #[arg(long, env = "DENTISMILE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

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

    /// Directory of the embedded store (auth and appointments). The embedded store belongs to
    /// one process: give each component its own directory, or use a shared ScyllaDB store.
    #[arg(long, env = "DENTISMILE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

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
}

/// Settings of `dentismile migrate`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Directory of the embedded store; created if missing.
    #[arg(long, env = "DENTISMILE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
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
    }
}
