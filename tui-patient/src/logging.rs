//! Logs go to a file, never to the terminal the UI is drawn on.

use std::{fs::OpenOptions, path::Path, sync::Mutex};

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// Sends `tracing` output at `filter` to `path` (appending; directories created).
pub fn init(path: &Path, filter: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("--log-file: cannot create {}", parent.display()))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("--log-file: cannot open {}", path.display()))?;
    let filter = EnvFilter::try_new(filter)
        .with_context(|| format!("--log-filter: '{filter}' is not a tracing filter"))?;
    tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| anyhow::anyhow!("logging is already set up: {e}"))?;
    Ok(())
}
