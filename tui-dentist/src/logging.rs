//! Logs go to a file, never to the terminal: a line written to stdout or stderr while the
//! screen is drawn would corrupt it.

use std::{fs::OpenOptions, path::Path, sync::Mutex};

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// Sends every `tracing` event matching `filter` to `file` (appended; directories created).
pub fn init(file: &Path, filter: &str) -> anyhow::Result<()> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--log-file: cannot create {}", dir.display()))?;
    }
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("--log-file: cannot open {}", file.display()))?;
    let filter = EnvFilter::try_new(filter)
        .with_context(|| format!("--log-filter: '{filter}' is not a tracing filter"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(log))
        .with_ansi(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot start logging: {e}"))?;
    Ok(())
}
