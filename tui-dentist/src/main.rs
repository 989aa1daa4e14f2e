//! `dentismile-dentist`: a thin binary. Reads the configuration (a bad value exits before the
//! screen is touched), starts logging to a file, and runs the terminal loop.

use std::process::ExitCode;

use dentismile_tui_dentist::{config::Config, logging, terminal};

fn main() -> ExitCode {
    let config = match Config::load() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("dentismile-dentist: {message}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = logging::init(&config.log_file, &config.log_filter) {
        eprintln!("dentismile-dentist: {error:#}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("dentismile-dentist: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(terminal::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "stopped");
            eprintln!("dentismile-dentist: {error:#}");
            ExitCode::FAILURE
        }
    }
}
