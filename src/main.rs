//! The `dentismile` binary; see the library docs for what each subcommand runs.

use anyhow::Context;
use clap::Parser;
use dentismile::{
    app::{self, RunningSystem, SystemConfig},
    config::{self, Cli, Command, ServeArgs, Target},
};
use dentismile_auth::{AuthSettings, TokenSigner};
use dentismile_gateway::ReplicaSet;
use dentismile_runtime::{CancellationToken, shutdown, telemetry};

/// Prints a line to stdout, ignoring a closed pipe: a server must not fail at shutdown because
/// whoever started it stopped reading its output.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate(args) => match &args.store {
            config::StoreChoice::Embedded => migrate(&args.data_dir),
            config::StoreChoice::Scylla(scylla) => {
                let applied = dentismile_store::scylla::migrate(scylla)
                    .await
                    .with_context(|| format!("migrating {scylla}"))?;
                if applied.is_empty() {
                    say!("{scylla} is up to date");
                }
                for migration in applied {
                    say!("applied {} to {scylla}", migration.name);
                }
                Ok(())
            }
        },
        Command::Up(args) => up(args).await,
        Command::Serve(args) => serve(args).await,
    }
}

fn migrate(data_dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("--data-dir: cannot create {}", data_dir.display()))?;
    let path = config::database_path(data_dir);
    let applied = dentismile_store::sqlite::migrate(&path)
        .with_context(|| format!("migrating {}", path.display()))?;
    if applied.is_empty() {
        say!("{} is up to date", path.display());
    }
    for migration in applied {
        say!("applied {} to {}", migration.name, path.display());
    }
    Ok(())
}

async fn up(args: config::UpArgs) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    shutdown::cancel_on_signal(shutdown.clone());
    let data_dir = args.data_dir.clone();
    let config = SystemConfig {
        args,
        auth: AuthSettings::default(),
    };
    let system = RunningSystem::start(config, shutdown).await?;
    say!("DentiSmile is running (data in {}).", data_dir.display());
    say!("auth: {} (internal)", system.auth.url());
    say!("appointments: {} (internal)", system.appointments.url());
    if let Some(demo) = &system.demo {
        say!(
            "demo data: {} clinics, {} dentists, {} new slots",
            demo.clinics,
            demo.dentists,
            demo.slots_added
        );
        say!(
            "demo accounts (every dentist: <dentist-id>@<clinic-id>.dentismile.test, password {}):",
            dentismile::demo::STAFF_PASSWORD
        );
        for (role, email, password) in &demo.accounts {
            say!("  {role:<13} {email:<40} {password}");
        }
    }
    for broker in &system.mqtt {
        say!("mqtt: {broker}");
    }
    // Last, so scripts can wait for this line: the system is ready when it appears.
    say!("gateway: {}", system.gateway.url());
    system.stopped().await?;
    say!("stopped");
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    shutdown::cancel_on_signal(shutdown.clone());
    let default_port = match args.target {
        Target::Gateway => 50051,
        Target::Auth => 50061,
        Target::Appointments => 50071,
    };
    let listen = args
        .listen
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], default_port)));
    let component = match args.target {
        Target::Auth => {
            let store = app::open_store(&args.store, &args.data_dir, false).await?;
            let key_file = args
                .signing_key_file
                .clone()
                .unwrap_or_else(|| config::signing_key_path(&args.data_dir));
            let signer = TokenSigner::load_or_create(&key_file).with_context(|| {
                format!("--signing-key-file: cannot load {}", key_file.display())
            })?;
            app::start_auth(
                store,
                signer,
                AuthSettings::default(),
                listen,
                "--listen",
                shutdown,
            )
            .await?
            .0
        }
        Target::Appointments => {
            let store = app::open_store(&args.store, &args.data_dir, false).await?;
            let auth = ReplicaSet::new("--auth-url", &args.auth_url)?;
            let verifier = app::fetch_verifier(auth, &shutdown).await?;
            app::start_appointments(store, verifier, listen, "--listen", shutdown)
                .await?
                .0
        }
        Target::Gateway => {
            let id = args.gateway_id.clone().unwrap_or_else(|| {
                dentismile_gateway::bridge::gateway_id(&app::host_name(), listen.port())
            });
            let brokers = if args.mqtt.no_mqtt {
                Vec::new()
            } else {
                args.mqtt.brokers.clone()
            };
            for broker in &brokers {
                say!("mqtt: {broker}");
            }
            let mqtt = app::MqttBridge::from_args(&args.mqtt, brokers, id, args.data_dir.clone());
            app::start_gateway(
                &args.auth_url,
                &args.appointments_url,
                listen,
                "--listen",
                Some(mqtt),
                shutdown,
            )
            .await?
        }
    };
    say!("{}: {}", component.name, component.url());
    component.stopped().await?;
    say!("stopped");
    Ok(())
}
