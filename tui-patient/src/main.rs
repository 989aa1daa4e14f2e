//! `dentismile-patient`: reads the configuration, opens the log file, runs the booker.

use std::process::ExitCode;

use dentismile_tui_patient::{config::Config, logging, terminal};

fn main() -> ExitCode {
    let config = match Config::load() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("dentismile-patient: {message}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = logging::init(&config.log_file, &config.log_filter) {
        eprintln!("dentismile-patient: {error:#}");
        return ExitCode::from(2);
    }
    tracing::info!(gateway = %config.gateway, broker = ?config.broker, "starting");
    match terminal::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("dentismile-patient: {error:#}");
            ExitCode::FAILURE
        }
    }
}
