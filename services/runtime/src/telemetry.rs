//! Log setup: `tracing` to stderr, filtered by `RUST_LOG` (default: info for DentiSmile, warn for
//! libraries, nothing from the embedded broker). Request spans come from the request-id layer.

use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber once; later calls do nothing (tests call it freely).
pub fn init() {
    // rumqttd (the embedded broker of `dentismile up`) logs every client that goes away, even
    // cleanly, as an ERROR; a demo would open with alarms about nothing. Whether it runs is
    // checked by `dentismile up` itself (it must answer an MQTT CONNECT before `up` goes on),
    // and `RUST_LOG=rumqttd=info` brings its own logs back.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("warn,dentismile=info,dentismile_gateway=info,rumqttd=off")
    });
    let _ = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
