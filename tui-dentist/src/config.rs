//! Flags and environment, read once at start and validated before the screen is taken over, so a
//! bad value exits with a message naming the setting instead of leaving a broken terminal.
//! Nothing else in the crate reads the environment.

use std::path::PathBuf;

use clap::Parser;
use dentismile_client::{Broker, DEFAULT_GATEWAY, DEFAULT_MQTT};

/// The dentist's terminal schedule of DentiSmile.
#[derive(Debug, Parser)]
#[command(name = "dentismile-dentist", version, about)]
pub struct Cli {
    /// The DentiSmile gateway.
    #[arg(long, env = "DENTISMILE_GATEWAY", default_value = DEFAULT_GATEWAY)]
    pub gateway: String,
    /// The MQTT broker for live bookings (`mqtt://host:port`); `none` to use only the gateway's
    /// stream.
    #[arg(long, env = "DENTISMILE_MQTT", default_value = DEFAULT_MQTT)]
    pub mqtt: String,
    /// Where to write the log [default: $XDG_STATE_HOME/dentismile/dentist.log, or
    /// ~/.local/state/dentismile/dentist.log].
    #[arg(long, env = "DENTISMILE_DENTIST_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    /// What to log, as a tracing filter (`info`, `debug`, `dentismile_client=debug`, ...).
    #[arg(long, env = "DENTISMILE_DENTIST_LOG", default_value = "info")]
    pub log_filter: String,
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
    /// Whether to use colours (off when `NO_COLOR` is set, see <https://no-color.org>).
    pub colors: bool,
}

/// What [`Config::from_cli`] needs from the environment besides the flags, passed in so that
/// the validation stays testable.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `$XDG_STATE_HOME`.
    pub state_home: Option<PathBuf>,
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// Whether `$NO_COLOR` is set to something non-empty.
    pub no_color: bool,
}

impl Config {
    /// Validates the flags.
    pub fn from_cli(cli: Cli, env: Environment) -> Result<Self, String> {
        if !(cli.gateway.starts_with("http://") || cli.gateway.starts_with("https://")) {
            return Err(format!(
                "--gateway / DENTISMILE_GATEWAY: '{}' must start with http:// or https://",
                cli.gateway
            ));
        }
        let broker = match cli.mqtt.trim() {
            "" | "none" => None,
            url => Some(Broker::parse(url).map_err(|e| format!("{e} (or DENTISMILE_MQTT)"))?),
        };
        let log_file = match cli.log_file {
            Some(path) => path,
            None => default_log_file(env.state_home, env.home).ok_or_else(|| {
                "--log-file: neither XDG_STATE_HOME nor HOME is set; pass --log-file".to_string()
            })?,
        };
        Ok(Self {
            gateway: cli.gateway,
            broker,
            log_file,
            log_filter: cli.log_filter,
            colors: !env.no_color,
        })
    }

    /// Reads the flags and the environment.
    pub fn load() -> Result<Self, String> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let env = Environment {
            state_home: var("XDG_STATE_HOME").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
            no_color: var("NO_COLOR").is_some(),
        };
        Self::from_cli(Cli::parse(), env)
    }
}

/// Logs are state, not configuration or cache: the XDG state directory.
fn default_log_file(state_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    let base = state_home.or_else(|| home.map(|h| h.join(".local").join("state")))?;
    Some(base.join("dentismile").join("dentist.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("dentismile-dentist").chain(args.iter().copied()))
            .unwrap()
    }

    fn home() -> Environment {
        Environment {
            home: Some("/home/astrid".into()),
            ..Environment::default()
        }
    }

    #[test]
    fn no_flags_reach_dentismile_up_on_this_machine() {
        let config = Config::from_cli(cli(&[]), home()).unwrap();
        assert_eq!(config.gateway, "http://127.0.0.1:50051");
        assert_eq!(config.broker.unwrap().to_string(), "mqtt://127.0.0.1:1883");
        assert_eq!(
            config.log_file,
            PathBuf::from("/home/astrid/.local/state/dentismile/dentist.log")
        );
        assert!(config.colors);
    }

    #[test]
    fn flags_override_and_bad_values_name_the_setting() {
        let config = Config::from_cli(
            cli(&["--gateway", "http://10.0.0.1:9", "--mqtt", "none"]),
            Environment {
                no_color: true,
                ..home()
            },
        )
        .unwrap();
        assert_eq!(config.gateway, "http://10.0.0.1:9");
        assert!(config.broker.is_none());
        assert!(!config.colors);
        let bad = Config::from_cli(cli(&["--mqtt", "tcp://x"]), home());
        assert!(bad.unwrap_err().contains("--mqtt"));
        let bad = Config::from_cli(cli(&["--gateway", "localhost:1"]), home());
        assert!(bad.unwrap_err().contains("--gateway"));
        let nowhere = Config::from_cli(cli(&[]), Environment::default());
        assert!(nowhere.unwrap_err().contains("--log-file"));
    }
}
