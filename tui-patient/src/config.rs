//! Flags and environment, read once at start and validated before the screen is taken over, so a
//! bad value exits with a message naming the setting instead of a broken screen.

use std::path::PathBuf;

use clap::Parser;
use dentismile_client::{Broker, DEFAULT_GATEWAY, DEFAULT_MQTT};

/// The terminal booker of DentiSmile.
#[derive(Debug, Parser)]
#[command(name = "dentismile-patient", version, about)]
pub struct Cli {
    /// The DentiSmile gateway.
    #[arg(long, env = "DENTISMILE_GATEWAY", default_value = DEFAULT_GATEWAY)]
    pub gateway: String,
    /// The MQTT broker for live slot updates (`mqtt://host:port`); `none` to use only the
    /// gateway's stream.
    #[arg(long, env = "DENTISMILE_MQTT", default_value = DEFAULT_MQTT)]
    pub mqtt: String,
    /// Where to write the log [default: $XDG_STATE_HOME/dentismile/patient.log, or
    /// ~/.local/state/dentismile/patient.log].
    #[arg(long, env = "DENTISMILE_PATIENT_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    /// What to log, as a tracing filter (`info`, `debug`, `dentismile_client=debug`, ...).
    #[arg(long, env = "DENTISMILE_PATIENT_LOG", default_value = "info")]
    pub log_filter: String,
    /// Where exported calendar (.ics) files go.
    #[arg(long, env = "DENTISMILE_EXPORT_DIR", default_value = ".")]
    pub export_dir: PathBuf,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Gateway URL.
    pub gateway: String,
    /// Broker for live updates; `None` means the gateway's stream only.
    pub broker: Option<Broker>,
    /// Log file.
    pub log_file: PathBuf,
    /// Log filter.
    pub log_filter: String,
    /// Directory for .ics exports.
    pub export_dir: PathBuf,
}

impl Config {
    /// Validates the flags. `state_home` and `home` are `$XDG_STATE_HOME` and `$HOME`, passed in
    /// so that this stays testable and env is read in one place.
    pub fn from_cli(
        cli: Cli,
        state_home: Option<PathBuf>,
        home: Option<PathBuf>,
    ) -> Result<Self, String> {
        if !(cli.gateway.starts_with("http://") || cli.gateway.starts_with("https://")) {
            return Err(format!(
                "--gateway / DENTISMILE_GATEWAY: '{}' must start with http:// or https://",
                cli.gateway
            ));
        }
        let broker = match cli.mqtt.trim() {
            "" | "none" => None,
            url => Some(Broker::parse(url).map_err(|e| format!("{e} (DENTISMILE_MQTT)"))?),
        };
        let log_file = match cli.log_file {
            Some(path) => path,
            None => default_log_file(state_home, home).ok_or_else(|| {
                "--log-file: neither XDG_STATE_HOME nor HOME is set; pass --log-file".to_string()
            })?,
        };
        Ok(Self {
            gateway: cli.gateway,
            broker,
            log_file,
            log_filter: cli.log_filter,
            export_dir: cli.export_dir,
        })
    }

    /// Reads the flags, environment included.
    pub fn load() -> Result<Self, String> {
        let state_home = std::env::var_os("XDG_STATE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let home = std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Self::from_cli(Cli::parse(), state_home, home)
    }
}

/// The XDG state directory's log file: logs are state, not configuration or cache.
fn default_log_file(state_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    let base = state_home.or_else(|| home.map(|h| h.join(".local").join("state")))?;
    Some(base.join("dentismile").join("patient.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("dentismile-patient").chain(args.iter().copied()))
            .unwrap()
    }

    #[test]
    fn defaults_reach_dentismile_up_on_this_machine() {
        let config = Config::from_cli(cli(&[]), None, Some("/home/anna".into())).unwrap();
        assert_eq!(config.gateway, "http://127.0.0.1:50051");
        assert_eq!(config.broker.unwrap().to_string(), "mqtt://127.0.0.1:1883");
        assert_eq!(
            config.log_file,
            PathBuf::from("/home/anna/.local/state/dentismile/patient.log")
        );
        let config = Config::from_cli(cli(&[]), Some("/state".into()), None).unwrap();
        assert_eq!(
            config.log_file,
            PathBuf::from("/state/dentismile/patient.log")
        );
    }

    #[test]
    fn flags_override_and_bad_values_name_the_setting() {
        let config = Config::from_cli(
            cli(&[
                "--gateway",
                "http://10.0.0.1:9",
                "--mqtt",
                "none",
                "--log-file",
                "/tmp/x.log",
            ]),
            None,
            None,
        )
        .unwrap();
        assert_eq!(config.gateway, "http://10.0.0.1:9");
        assert!(config.broker.is_none());
        assert_eq!(config.log_file, PathBuf::from("/tmp/x.log"));
        let bad = Config::from_cli(cli(&["--mqtt", "tcp://x"]), None, Some("/h".into()));
        assert!(bad.unwrap_err().contains("--mqtt"));
        let bad = Config::from_cli(cli(&["--gateway", "localhost:1"]), None, Some("/h".into()));
        assert!(bad.unwrap_err().contains("--gateway"));
        let no_home = Config::from_cli(cli(&[]), None, None);
        assert!(no_home.unwrap_err().contains("--log-file"));
    }
}
