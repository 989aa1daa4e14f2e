//! Assembling components: each binds its listener first (so its real address is known, port 0
//! included), then serves until the shutdown token is cancelled. `up` starts all three in one
//! process, wired over real gRPC; `serve` starts one.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::{Context, anyhow};
use dentismile_appointments::{AppointmentsApi, Callers, EventFanout};
use dentismile_auth::{AuthGrpc, AuthSettings, Authenticator, TokenSigner, TokenVerifier};
use dentismile_domain::{
    booking::BookingPolicy,
    ports::Store,
    scheduler::{ClockDebug, Scheduler},
    time::SystemClock,
};
use dentismile_gateway::{
    Gateway, ReplicaSet, RevocationList,
    backends::keep_probing,
    bridge::{Bridge, BridgeSettings, QoS, brokers::BrokerAddress, gateway_id},
    embedded_broker, revocations,
};
use dentismile_proto::v1::{
    GetTokenVerificationKeyRequest, appointment_service_server::AppointmentServiceServer,
    auth_service_client::AuthServiceClient, auth_service_server::AuthServiceServer,
    clinic_service_server::ClinicServiceServer, operations_service_server::OperationsServiceServer,
    slot_event_service_server::SlotEventServiceServer,
};
use dentismile_runtime::{
    CancellationToken,
    server::{GrpcServer, ServerLimits, bind},
};
use dentismile_store::{SqliteStore, scylla::ScyllaStore};
use tokio::task::JoinHandle;

use crate::{config, demo};

/// A component serving in the background.
#[derive(Debug)]
pub struct Component {
    /// `gateway`, `auth` or `appointments`.
    pub name: &'static str,
    /// Where it listens.
    pub address: SocketAddr,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
    /// The gateway's MQTT bridge, if it runs one.
    bridge: Option<Bridge>,
}

impl Component {
    /// `http://address`, for clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Waits for it to stop (after shutdown).
    pub async fn stopped(self) -> anyhow::Result<()> {
        let served = self
            .task
            .await
            .with_context(|| format!("the {} task failed", self.name))?
            .with_context(|| format!("the {} server failed", self.name));
        if let Some(bridge) = self.bridge {
            bridge.stopped().await;
        }
        served
    }
}

async fn listen(
    setting: &str,
    address: SocketAddr,
) -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    bind(address)
        .await
        .with_context(|| format!("{setting}: cannot listen on {address}"))
}

/// Opens the chosen store. The embedded store is migrated on open (it belongs to this
/// process); a ScyllaDB keyspace only when `migrate_scylla` says so (`up`), since a shared
/// cluster is migrated by one `dentismile migrate`, not by every replica.
pub async fn open_store(
    choice: &config::StoreChoice,
    data_dir: &Path,
    migrate_scylla: bool,
) -> anyhow::Result<Arc<dyn Store>> {
    match choice {
        config::StoreChoice::Embedded => {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("--data-dir: cannot create {}", data_dir.display()))?;
            let path = config::database_path(data_dir);
            let store = SqliteStore::migrate_and_open(&path)
                .with_context(|| format!("--data-dir: cannot open the store {}", path.display()))?;
            Ok(Arc::new(store))
        }
        config::StoreChoice::Scylla(scylla) => {
            let config = scylla.as_ref().clone();
            let store = if migrate_scylla {
                ScyllaStore::migrate_and_connect(config).await
            } else {
                ScyllaStore::connect(config).await
            }
            .with_context(|| format!("--store: cannot use {scylla}"))?;
            Ok(Arc::new(store))
        }
    }
}

fn clock() -> Arc<dyn ClockDebug> {
    Arc::new(SystemClock)
}

/// Starts the auth service.
pub async fn start_auth(
    store: Arc<dyn Store>,
    signer: TokenSigner,
    settings: AuthSettings,
    address: SocketAddr,
    setting: &str,
    shutdown: CancellationToken,
) -> anyhow::Result<(Component, Arc<Authenticator>)> {
    let (listener, address) = listen(setting, address).await?;
    let core = Arc::new(Authenticator::new(store, clock(), signer, settings));
    let server = GrpcServer::new(ServerLimits::default()).add_service(AuthServiceServer::new(
        AuthGrpc::new(core.clone(), shutdown.clone()),
    ));
    let task = tokio::spawn(server.serve(listener, shutdown));
    Ok((
        Component {
            name: "auth",
            address,
            task,
            bridge: None,
        },
        core,
    ))
}

/// Starts the appointment service (clinics, appointments, the event feed).
pub async fn start_appointments(
    store: Arc<dyn Store>,
    verifier: TokenVerifier,
    address: SocketAddr,
    setting: &str,
    shutdown: CancellationToken,
) -> anyhow::Result<(Component, Scheduler)> {
    let (listener, address) = listen(setting, address).await?;
    let scheduler = Scheduler::new(store.clone(), clock(), BookingPolicy::default());
    let fanout = EventFanout::start(store, shutdown.clone())
        .await
        .context("cannot read the event log")?;
    let api = AppointmentsApi::new(
        scheduler.clone(),
        Callers::new(verifier),
        fanout,
        shutdown.clone(),
    );
    let server = GrpcServer::new(ServerLimits::default())
        .add_service(ClinicServiceServer::new(api.clone()))
        .add_service(AppointmentServiceServer::new(api.clone()))
        .add_service(SlotEventServiceServer::new(api));
    let task = tokio::spawn(server.serve(listener, shutdown));
    Ok((
        Component {
            name: "appointments",
            address,
            task,
            bridge: None,
        },
        scheduler,
    ))
}

/// What the gateway's MQTT bridge publishes to.
#[derive(Debug, Clone)]
pub struct MqttBridge {
    /// How it publishes.
    pub settings: BridgeSettings,
    /// Where.
    pub brokers: Vec<BrokerAddress>,
}

impl MqttBridge {
    /// Bridge settings from the command line, for a gateway named `gateway_id` keeping its
    /// cursors in `state_dir`.
    pub fn from_args(
        args: &config::MqttArgs,
        brokers: Vec<BrokerAddress>,
        gateway_id: String,
        state_dir: std::path::PathBuf,
    ) -> Self {
        let mut settings = BridgeSettings::new(gateway_id, state_dir);
        settings.qos = if args.mqtt_qos == 2 {
            QoS::ExactlyOnce
        } else {
            QoS::AtLeastOnce
        };
        settings.max_in_flight = args.mqtt_max_in_flight;
        Self { settings, brokers }
    }
}

/// This machine's name, for gateway ids.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Starts the gateway in front of the given replicas, with its MQTT bridge if `mqtt` is given.
pub async fn start_gateway(
    auth_urls: &[String],
    appointment_urls: &[String],
    address: SocketAddr,
    setting: &str,
    mqtt: Option<MqttBridge>,
    shutdown: CancellationToken,
) -> anyhow::Result<Component> {
    let auth = ReplicaSet::new("--auth-url", auth_urls)?;
    let appointments = ReplicaSet::new("--appointments-url", appointment_urls)?;
    let verifier = fetch_verifier(auth.clone(), &shutdown).await?;
    let (listener, address) = listen(setting, address).await?;
    tokio::spawn(keep_probing(auth.clone(), shutdown.clone()));
    tokio::spawn(keep_probing(appointments.clone(), shutdown.clone()));
    let revoked = Arc::new(RevocationList::new());
    revocations::follow_auth_service(
        revoked.clone(),
        AuthServiceClient::new(auth.clone()),
        shutdown.clone(),
    );
    let bridge = mqtt.filter(|mqtt| !mqtt.brokers.is_empty()).map(|mqtt| {
        Bridge::start(
            mqtt.settings,
            &mqtt.brokers,
            appointments.clone(),
            shutdown.clone(),
        )
    });
    let gauges = bridge.as_ref().map(Bridge::gauges).unwrap_or_default();
    let gateway = Gateway::new(
        format!("http://{address}"),
        verifier,
        revoked,
        auth,
        appointments,
        gauges,
    );
    let server = GrpcServer::new(ServerLimits::default())
        .add_service(AuthServiceServer::new(gateway.clone()))
        .add_service(ClinicServiceServer::new(gateway.clone()))
        .add_service(AppointmentServiceServer::new(gateway.clone()))
        .add_service(OperationsServiceServer::new(gateway));
    let task = tokio::spawn(server.serve(listener, shutdown));
    Ok(Component {
        name: "gateway",
        address,
        task,
        bridge,
    })
}

/// How long a component waits for the auth service's public key at start.
const KEY_FETCH_PATIENCE: Duration = Duration::from_secs(60);

/// Fetches the token verification key from the auth service, retrying while it starts.
pub async fn fetch_verifier(
    auth: ReplicaSet,
    shutdown: &CancellationToken,
) -> anyhow::Result<TokenVerifier> {
    let deadline = tokio::time::Instant::now() + KEY_FETCH_PATIENCE;
    let mut delay = Duration::from_millis(50);
    loop {
        let mut client = AuthServiceClient::new(auth.clone());
        match client
            .get_token_verification_key(GetTokenVerificationKeyRequest {})
            .await
        {
            Ok(response) => {
                let key = response.into_inner();
                return TokenVerifier::from_public_key(&key.ed25519_public_key).ok_or_else(|| {
                    anyhow!("--auth-url: the auth service sent an invalid public key")
                });
            }
            Err(status) if tokio::time::Instant::now() < deadline => {
                tracing::info!(%status, "waiting for the auth service");
            }
            Err(status) => {
                return Err(anyhow!(
                    "--auth-url: no token key from the auth service within {} s: {status}",
                    KEY_FETCH_PATIENCE.as_secs()
                ));
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Err(anyhow!("shut down while waiting for the auth service")),
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// Settings of a whole system in one process.
#[derive(Debug, Clone)]
pub struct SystemConfig {
    /// Command line settings.
    pub args: config::UpArgs,
    /// Auth limits (tests relax the rate limits).
    pub auth: AuthSettings,
}

/// The three components of `dentismile up`, running.
#[derive(Debug)]
pub struct RunningSystem {
    /// The public endpoint.
    pub gateway: Component,
    /// The auth service.
    pub auth: Component,
    /// The appointment service.
    pub appointments: Component,
    /// The demo accounts, if demo data was loaded.
    pub demo: Option<demo::DemoSummary>,
    /// The brokers slot events are published to (the embedded one, or those configured).
    pub mqtt: Vec<BrokerAddress>,
    /// The store, shared by the two services in this process.
    pub store: Arc<dyn Store>,
    shutdown: CancellationToken,
}

impl RunningSystem {
    /// Starts everything; the system runs until `shutdown` is cancelled.
    pub async fn start(config: SystemConfig, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let args = &config.args;
        let store = open_store(&args.store, &args.data_dir, true).await?;
        let key_file = config::signing_key_path(&args.data_dir);
        let signer = TokenSigner::load_or_create(&key_file).with_context(|| {
            format!(
                "--data-dir: cannot load the signing key {}",
                key_file.display()
            )
        })?;
        let (auth, authenticator) = start_auth(
            store.clone(),
            signer,
            config.auth,
            args.auth_addr,
            "--auth-addr",
            shutdown.clone(),
        )
        .await?;
        let auth_replicas = ReplicaSet::new("--auth-addr", &[auth.url()])?;
        let verifier = fetch_verifier(auth_replicas, &shutdown).await?;
        let (appointments, scheduler) = start_appointments(
            store.clone(),
            verifier,
            args.appointments_addr,
            "--appointments-addr",
            shutdown.clone(),
        )
        .await?;
        let demo = if args.no_demo {
            None
        } else {
            Some(
                demo::seed(&scheduler, &authenticator)
                    .await
                    .context("loading the demo data")?,
            )
        };
        let brokers = if args.mqtt.no_mqtt {
            Vec::new()
        } else if args.mqtt.brokers.is_empty() {
            embedded_broker::start(args.mqtt.mqtt_addr, 20_000)?;
            vec![BrokerAddress {
                host: args.mqtt.mqtt_addr.ip().to_string(),
                port: args.mqtt.mqtt_addr.port(),
                credentials: None,
            }]
        } else {
            args.mqtt.brokers.clone()
        };
        let gateway_id = gateway_id(&host_name(), args.gateway_addr.port());
        let mqtt = MqttBridge::from_args(
            &args.mqtt,
            brokers.clone(),
            gateway_id,
            args.data_dir.clone(),
        );
        let gateway = start_gateway(
            &[auth.url()],
            &[appointments.url()],
            args.gateway_addr,
            "--gateway-addr",
            Some(mqtt),
            shutdown.clone(),
        )
        .await?;
        Ok(Self {
            gateway,
            auth,
            appointments,
            demo,
            mqtt: brokers,
            store,
            shutdown,
        })
    }

    /// Begins a clean shutdown.
    pub fn shut_down(&self) {
        self.shutdown.cancel();
    }

    /// Waits until every component stopped.
    pub async fn stopped(self) -> anyhow::Result<()> {
        let results = [
            self.gateway.stopped().await,
            self.appointments.stopped().await,
            self.auth.stopped().await,
        ];
        results.into_iter().collect()
    }
}
