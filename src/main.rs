//! The `dentismile` server binary.
//!
//! Subcommands:
//! - `migrate`: creates or upgrades the embedded store's schema.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// DentiSmile: dentist appointments for Gothenburg.
#[derive(Debug, Parser)]
#[command(name = "dentismile", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or upgrade the store's schema, then exit.
    Migrate {
        /// Directory of the embedded store; created if missing.
        #[arg(long, env = "DENTISMILE_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate { data_dir } => {
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("--data-dir: cannot create {}", data_dir.display()))?;
            let path = data_dir.join("dentismile.db");
            let applied = dentismile_store::sqlite::migrate(&path)
                .with_context(|| format!("migrating {}", path.display()))?;
            if applied.is_empty() {
                println!("{} is up to date", path.display());
            }
            for migration in applied {
                println!("applied {} to {}", migration.name, path.display());
            }
        }
    }
    Ok(())
}
