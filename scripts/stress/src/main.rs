//! `dentismile-stress`: generate and load `slots.csv`, then run the stress plan against a
//! DentiSmile on this machine. `scripts/stress.sh` runs the whole benchmark with it.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use dentismile_client::slots_csv;
use dentismile_domain::{
    jiff::Timestamp,
    time::{LocalDay, LocalTime},
};
use dentismile_stress::{
    baseline, generate,
    load::{self, LoadOptions},
    plan::{self, RunOptions},
    target::{GrpcTarget, MqttTarget},
    worker,
};

/// Stress tool and benchmarks of DentiSmile. Load goes only to this machine (loopback).
#[derive(Debug, Parser)]
#[command(name = "dentismile-stress", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write slots.csv for N clinics × M dentists × D days, every slot free.
    Generate(GenerateArgs),
    /// Create the clinics and dentists of a slots.csv (as an admin) and publish its slots.
    Load(LoadArgs),
    /// Run the plan: baselines, virtual patients, saturated booking, consistency checks.
    Run(Box<RunArgs>),
    /// One worker process of a run (started by `run`).
    #[command(hide = true)]
    Worker {
        /// The worker's spec (JSON).
        #[arg(long)]
        spec: PathBuf,
        /// Where to write its result (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve the gRPC echo baseline on a free loopback port (started by `run`).
    #[command(hide = true)]
    EchoServe,
    /// Print a free TCP port on 127.0.0.1 (for scripts).
    FreePort,
}

#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// Clinics.
    #[arg(long, default_value_t = 100)]
    clinics: u32,
    /// Dentists per clinic.
    #[arg(long, default_value_t = 4)]
    dentists: u32,
    /// Consecutive days.
    #[arg(long, default_value_t = 5)]
    days: u32,
    /// The first day, YYYY-MM-DD (default: the day after tomorrow, Europe/Stockholm).
    #[arg(long)]
    first_day: Option<String>,
    /// Working hours of every day, local time, HH:MM-HH:MM.
    #[arg(long, default_value = "08:00-16:00")]
    hours: String,
    /// Slot length in minutes.
    #[arg(long, default_value_t = 30)]
    slot_minutes: u32,
    /// Where to write the file.
    #[arg(long, default_value = "slots.csv")]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
struct LoadArgs {
    /// The gateway (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    gateway: String,
    /// The broker to watch for the slots' announcements (loopback only); none to skip.
    #[arg(long)]
    mqtt: Option<String>,
    /// The file to load.
    #[arg(long, default_value = "slots.csv")]
    slots: PathBuf,
    /// Admin account (the demo admin of `dentismile up` by default).
    #[arg(long, default_value = "admin@dentismile.test")]
    admin_email: String,
    /// Admin password.
    #[arg(long, default_value = "admin-demo-2026")]
    admin_password: String,
    /// Seconds to wait for the bridge to announce every new slot.
    #[arg(long, default_value_t = 120)]
    wait: u64,
    /// Seconds without slot events after which the load counts as settled.
    #[arg(long, default_value_t = 3.0)]
    settle: f64,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// A name for the report.
    #[arg(long, default_value = "stress run")]
    name: String,
    /// The gateway (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    gateway: String,
    /// The broker patients subscribe to (loopback only; anonymous).
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    mqtt: String,
    /// The broker for the raw MQTT baseline, with credentials if publishing needs them
    /// (Mosquitto: mqtt://gateway:SECRET@127.0.0.1:PORT). Default: --mqtt.
    #[arg(long)]
    mqtt_baseline: Option<String>,
    /// The slots (as loaded).
    #[arg(long, default_value = "slots.csv")]
    slots: PathBuf,
    /// `<data-dir>/auth-signing.key` of the running system, to pre-issue patient tokens.
    #[arg(long)]
    signing_key: PathBuf,
    /// Admin account, for reading schedules in the store check.
    #[arg(long, default_value = "admin@dentismile.test")]
    admin_email: String,
    /// Admin password.
    #[arg(long, default_value = "admin-demo-2026")]
    admin_password: String,
    /// Virtual patients.
    #[arg(long, default_value_t = 1000)]
    users: u64,
    /// Seconds over which they start.
    #[arg(long, default_value_t = 10.0)]
    ramp_up: f64,
    /// Seconds the plan may take at most (ramp-up included); nothing runs past it.
    #[arg(long, default_value_t = 120)]
    duration: u64,
    /// Patients per slot: 1 books unique slots, more race for the same slots.
    #[arg(long, default_value_t = 1)]
    contention: u64,
    /// Worker processes (0: as many as the open-files limit needs, one per 5,000 patients).
    #[arg(long, default_value_t = 0)]
    processes: u64,
    /// gRPC connections per process.
    #[arg(long, default_value_t = 8)]
    grpc_connections: usize,
    /// Patients that sign in for real (the Login row), at most 80.
    #[arg(long, default_value_t = 40)]
    login_sample: u64,
    /// Seconds a patient waits for its booking's event.
    #[arg(long, default_value_t = 30)]
    event_timeout: u64,
    /// Seconds patients stay connected after the ramp ended.
    #[arg(long, default_value_t = 2.0)]
    hold: f64,
    /// Calls in flight in the echo baseline and the saturated booking phase.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds of echo baseline.
    #[arg(long, default_value_t = 5.0)]
    echo_seconds: f64,
    /// Bookings of the saturated phase at most (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    saturation_bookings: u64,
    /// Seconds of the saturated phase at most.
    #[arg(long, default_value_t = 10.0)]
    saturation_seconds: f64,
    /// Messages of the raw MQTT baseline (one per millisecond).
    #[arg(long, default_value_t = 2000)]
    mqtt_baseline_messages: u64,
    /// Write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the report as Markdown here.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

fn parse_hours(value: &str) -> anyhow::Result<(LocalTime, LocalTime)> {
    let (start, end) = value
        .split_once('-')
        .ok_or_else(|| anyhow::anyhow!("--hours: '{value}' is not HH:MM-HH:MM"))?;
    let time =
        |t: &str| LocalTime::parse(t).map_err(|e| anyhow::anyhow!("--hours: {}", e.message()));
    Ok((time(start)?, time(end)?))
}

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let first_day = match &args.first_day {
        Some(day) => {
            LocalDay::parse(day).map_err(|e| anyhow::anyhow!("--first-day: {}", e.message()))?
        }
        None => LocalDay::of(Timestamp::now()).plus_days(2),
    };
    let (day_start, day_end) = parse_hours(&args.hours)?;
    let rows = generate::slots(&generate::Shape {
        clinics: args.clinics,
        dentists: args.dentists,
        days: args.days,
        first_day,
        day_start,
        day_end,
        slot_minutes: args.slot_minutes,
    })
    .map_err(|e| anyhow::anyhow!(e))?;
    std::fs::write(&args.out, slots_csv::write(&rows))
        .map_err(|e| anyhow::anyhow!("--out: {}: {e}", args.out.display()))?;
    println!(
        "wrote {} slots ({} clinics × {} dentists × {} days from {first_day}) to {}",
        rows.len(),
        args.clinics,
        args.dentists,
        args.days,
        args.out.display()
    );
    Ok(())
}

async fn load(args: LoadArgs) -> anyhow::Result<()> {
    let options = LoadOptions {
        gateway: GrpcTarget::parse("--gateway", &args.gateway).map_err(anyhow::Error::msg)?,
        mqtt: args
            .mqtt
            .as_deref()
            .map(|m| MqttTarget::parse("--mqtt", m))
            .transpose()
            .map_err(anyhow::Error::msg)?,
        admin_email: args.admin_email,
        admin_password: args.admin_password,
        wait: Duration::from_secs(args.wait),
        settle: Duration::from_secs_f64(args.settle),
    };
    let text = std::fs::read_to_string(&args.slots)
        .map_err(|e| anyhow::anyhow!("--slots: {}: {e}", args.slots.display()))?;
    let rows = slots_csv::parse(&text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().take(10).map(ToString::to_string).collect();
        anyhow::anyhow!("--slots: {} bad lines: {}", errors.len(), lines.join("; "))
    })?;
    let report = load::load(&options, &rows).await?;
    println!(
        "loaded {} clinics, {} dentists: {} slots published, {} already there, {} rows skipped (not free), in {:.1} s",
        report.clinics,
        report.dentists,
        report.published,
        report.unchanged,
        report.skipped,
        report.seconds
    );
    if let Some(announced) = report.announced {
        println!(
            "{announced} of the {} new slots announced on MQTT",
            report.published
        );
        if announced < report.published {
            anyhow::bail!("the bridge did not announce every new slot within --wait");
        }
    }
    Ok(())
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mqtt = MqttTarget::parse("--mqtt", &args.mqtt).map_err(anyhow::Error::msg)?;
    let mqtt_baseline = match &args.mqtt_baseline {
        Some(value) => MqttTarget::parse("--mqtt-baseline", value).map_err(anyhow::Error::msg)?,
        None => mqtt.clone(),
    };
    let options = RunOptions {
        name: args.name,
        gateway: GrpcTarget::parse("--gateway", &args.gateway).map_err(anyhow::Error::msg)?,
        mqtt,
        mqtt_baseline,
        slots: args.slots,
        signing_key: args.signing_key,
        admin_email: args.admin_email,
        admin_password: args.admin_password,
        users: args.users,
        ramp_up_s: args.ramp_up,
        duration_s: args.duration,
        contention: args.contention,
        processes: args.processes,
        grpc_connections: args.grpc_connections,
        login_sample: args.login_sample,
        event_timeout_s: args.event_timeout,
        hold_s: args.hold,
        concurrency: args.concurrency,
        echo_s: args.echo_seconds,
        saturation_bookings: args.saturation_bookings,
        saturation_s: args.saturation_seconds,
        mqtt_baseline_messages: args.mqtt_baseline_messages,
        exe: std::env::current_exe()?,
    };
    let report = plan::run(options).await?;
    let markdown = report.markdown();
    println!("{markdown}");
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, &markdown)?;
    }
    // Timing never fails a run; a consistency violation always does.
    Ok(if report.consistency.clean() {
        ExitCode::SUCCESS
    } else {
        eprintln!("CONSISTENCY VIOLATED: see the consistency block above");
        ExitCode::from(3)
    })
}

async fn worker(spec: PathBuf, out: PathBuf) -> anyhow::Result<()> {
    let spec: worker::WorkerSpec = serde_json::from_slice(&std::fs::read(&spec)?)?;
    let result = worker::run(spec).await?;
    std::fs::write(&out, serde_json::to_vec(&result)?)?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Generate(args) => generate(args).map(|()| ExitCode::SUCCESS),
        Command::Load(args) => load(args).await.map(|()| ExitCode::SUCCESS),
        Command::Run(args) => run(*args).await,
        Command::Worker { spec, out } => worker(spec, out).await.map(|()| ExitCode::SUCCESS),
        Command::EchoServe => baseline::serve_echo().await.map(|()| ExitCode::SUCCESS),
        Command::FreePort => std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| {
                println!("{}", address.port());
                ExitCode::SUCCESS
            })
            .map_err(anyhow::Error::from),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("dentismile-stress: {error:#}");
            ExitCode::FAILURE
        }
    }
}
