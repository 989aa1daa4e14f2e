//! The public API: every RPC of `AuthService`, `ClinicService` and `AppointmentService`,
//! checked against its [`Policy`] (authenticated unless public), and forwarded to a replica of the service
//! that owns it. The internal feeds (`WatchRevokedSessions`, `SlotEventService`) are not served
//! here. `OperationsService` is answered by the gateway itself.

use std::{
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use dentismile_auth::{AccessClaims, CachingVerifier, TokenVerifier, grpc::FORWARDED_FOR};
use dentismile_domain::{accounts::SessionId, jiff::Timestamp};
use dentismile_proto::v1::{
    self as pb, appointment_service_client::AppointmentServiceClient,
    appointment_service_server::AppointmentService, auth_service_client::AuthServiceClient,
    auth_service_server::AuthService, clinic_service_client::ClinicServiceClient,
    clinic_service_server::ClinicService, operations_service_server::OperationsService,
};
use dentismile_runtime::{request_id::REQUEST_ID, wire};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, metadata::MetadataValue};

use crate::{
    backends::ReplicaSet,
    bridge::status::BrokerGauge,
    metrics::GatewayMetrics,
    policy::{ADMINISTRATORS, ADMINS, PATIENTS, Policy, STAFF},
    revocations::RevocationList,
};

/// What the operations view reads.
#[derive(Debug)]
struct Operations {
    address: String,
    metrics: GatewayMetrics,
    backends: Vec<(&'static str, ReplicaSet)>,
    brokers: Vec<Arc<BrokerGauge>>,
}

/// Metadata the gateway passes on: the token (services verify it again), the request id (one
/// id across hops), and the client's deadline.
const PASSED_ON: [&str; 3] = [wire::AUTHORIZATION, REQUEST_ID, "grpc-timeout"];

/// The gateway's services; cheap to clone.
#[derive(Debug, Clone)]
pub struct Gateway {
    verifier: Arc<CachingVerifier>,
    revoked: Arc<RevocationList>,
    auth: AuthServiceClient<ReplicaSet>,
    clinics: ClinicServiceClient<ReplicaSet>,
    appointments: AppointmentServiceClient<ReplicaSet>,
    operations: Arc<Operations>,
}

impl Gateway {
    /// A gateway listening at `address`, forwarding to `auth` and `appointments` (which also
    /// serves clinics), reporting on the bridge's `brokers`.
    pub fn new(
        address: String,
        verifier: TokenVerifier,
        revoked: Arc<RevocationList>,
        auth: ReplicaSet,
        appointments: ReplicaSet,
        brokers: Vec<Arc<BrokerGauge>>,
    ) -> Self {
        Self {
            verifier: Arc::new(CachingVerifier::new(verifier)),
            revoked,
            auth: AuthServiceClient::new(auth.clone()),
            clinics: ClinicServiceClient::new(appointments.clone()),
            appointments: AppointmentServiceClient::new(appointments.clone()),
            operations: Arc::new(Operations {
                address,
                metrics: GatewayMetrics::new(),
                backends: vec![("auth", auth), ("appointments", appointments)],
                brokers,
            }),
        }
    }

    /// Counts a finished call for the operations view.
    fn observe<T>(&self, method: &str, outcome: &Result<T, Status>, started: Instant) {
        let code = outcome
            .as_ref()
            .map_or_else(Status::code, |_| tonic::Code::Ok);
        let booked = method == "book_slot" && outcome.is_ok();
        self.operations
            .metrics
            .record(code, booked, started.elapsed(), Instant::now());
    }

    /// The verified, unrevoked claims of a request's token; `None` without a token.
    fn authenticate<T>(&self, request: &Request<T>) -> Result<Option<AccessClaims>, Status> {
        let Some(token) = wire::bearer_token(request.metadata()) else {
            return Ok(None);
        };
        let claims = self
            .verifier
            .verify(token, Timestamp::now())
            .map_err(|error| Status::unauthenticated(error.to_string()))?;
        if self.revoked.is_revoked(&claims.session_id) {
            return Err(Status::unauthenticated(
                "this session has ended (signed out); sign in again",
            ));
        }
        Ok(Some(claims))
    }

    /// Authenticates, applies `policy`, and builds the request to send on.
    fn admit<T>(
        &self,
        method: &str,
        policy: Policy,
        request: Request<T>,
    ) -> Result<Request<T>, Status> {
        Ok(self.admit_once(method, policy, request)?.into_outgoing())
    }

    /// Authenticates and applies `policy`, keeping what is needed to send the request on as
    /// often as a retry needs.
    fn admit_once<T>(
        &self,
        method: &str,
        policy: Policy,
        request: Request<T>,
    ) -> Result<Admitted<T>, Status> {
        // A public call is answered the same for everyone (no public handler reads the caller),
        // so its token is not checked: a client whose access token expired must still be able
        // to sign out with its refresh token, or list slots, without being refused first.
        if policy != Policy::Public {
            let claims = self.authenticate(&request)?;
            policy.admit(method, claims.as_ref())?;
        }
        let client = request
            .remote_addr()
            .and_then(|a| MetadataValue::try_from(a.ip().to_string()).ok());
        let (metadata, _, message) = request.into_parts();
        Ok(Admitted {
            metadata,
            client,
            message,
        })
    }
}

/// An authenticated, authorized request, ready to be sent on (again).
struct Admitted<T> {
    metadata: tonic::metadata::MetadataMap,
    client: Option<MetadataValue<tonic::metadata::Ascii>>,
    message: T,
}

impl<T> Admitted<T> {
    /// The request to a backend, sent once.
    fn into_outgoing(self) -> Request<T> {
        let Self {
            metadata,
            client,
            message,
        } = self;
        Admitted {
            metadata,
            client,
            message: (),
        }
        .outgoing(message)
    }

    /// The request to a backend: only the metadata the gateway passes on, and always its own
    /// view of the client's address (a client-sent x-forwarded-for is dropped).
    fn outgoing<M>(&self, message: M) -> Request<M> {
        let mut outgoing = Request::new(message);
        for key in PASSED_ON {
            if let Some(value) = self.metadata.get(key) {
                outgoing.metadata_mut().insert(key, value.clone());
            }
        }
        if let Some(address) = &self.client {
            outgoing
                .metadata_mut()
                .insert(FORWARDED_FOR, address.clone());
        }
        outgoing
    }
}

/// Sent once: a retry could act twice (a second account, a second session) or, for a refresh,
/// present a spent token and end the session.
const ONCE: u32 = 1;
/// Safe to send again when a replica was unreachable: reads, upserts, and writes that are
/// idempotent by design (a booking carries its idempotency key; cancelling or withdrawing twice
/// changes nothing; publishing identical slots again leaves them unchanged).
const RETRIED: u32 = 3;

/// Whether a call failed for want of a backend rather than by its answer: the replica could not
/// be reached (UNAVAILABLE), or the connection broke while the call was in flight, which tonic
/// reports as UNKNOWN with the transport error as its source. Either way the call may or may not
/// have been carried out, so only idempotent calls are sent again.
fn backend_unreachable(status: &Status) -> bool {
    status.code() == tonic::Code::Unavailable
        || std::error::Error::source(status)
            .is_some_and(|source| source.downcast_ref::<tonic::transport::Error>().is_some())
}

/// The pause before attempt `attempt` (2, 3, ...): short, since the balancer has by then
/// stopped choosing the replica that failed.
fn retry_pause(attempt: u32) -> Duration {
    Duration::from_millis(25 * u64::from(attempt))
}

type Streamed<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Writes a service impl whose listed unary RPCs are forwarded as they are, plus `$extra` items
/// written by hand. The attribute is emitted with the methods so that async-trait sees them.
/// `$attempts` is [`ONCE`] or [`RETRIED`]: a retried call that finds its replica unreachable
/// (UNAVAILABLE) is sent again, and the balancer routes it to another replica.
macro_rules! forwarding {
    (
        impl $service:ident {
            $( $method:ident($request:ty) -> $response:ty => $client:ident, $policy:expr, $attempts:expr; )*
        }
        $($extra:tt)*
    ) => {
        #[tonic::async_trait]
        impl $service for Gateway {
            $(
                async fn $method(
                    &self,
                    request: Request<$request>,
                ) -> Result<Response<$response>, Status> {
                    let started = Instant::now();
                    let outcome = async {
                        let admitted = self.admit_once(stringify!($method), $policy, request)?;
                        let mut attempt = 1;
                        loop {
                            let outgoing = admitted.outgoing(admitted.message.clone());
                            match self.$client.clone().$method(outgoing).await {
                                Ok(response) => return Ok(Response::new(response.into_inner())),
                                Err(status)
                                    if backend_unreachable(&status) && attempt < $attempts =>
                                {
                                    attempt += 1;
                                    tracing::info!(method = stringify!($method), attempt, %status, "retrying on another replica");
                                    tokio::time::sleep(retry_pause(attempt)).await;
                                }
                                Err(status) => return Err(status),
                            }
                        }
                    }
                    .await;
                    self.observe(stringify!($method), &outcome, started);
                    outcome
                }
            )*
            $($extra)*
        }
    };
}

forwarding! {
    impl AuthService {
        register(pb::RegisterRequest) -> pb::Session => auth, Policy::Public, ONCE;
        login(pb::LoginRequest) -> pb::Session => auth, Policy::Public, ONCE;
        refresh(pb::RefreshRequest) -> pb::Session => auth, Policy::Public, ONCE;
        who_am_i(pb::WhoAmIRequest) -> pb::Account => auth, Policy::SignedIn, RETRIED;
        create_staff_account(pb::CreateStaffAccountRequest) -> pb::Account => auth, ADMINISTRATORS, ONCE;
        get_token_verification_key(pb::GetTokenVerificationKeyRequest) -> pb::TokenVerificationKey => auth, Policy::Public, RETRIED;
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let started = Instant::now();
        let outcome = async {
            let request = self.admit("logout", Policy::Public, request)?;
            let response = self.auth.clone().logout(request).await?.into_inner();
            // Refuse the session's access tokens here at once; other gateways learn it from
            // the auth service's revocation feed.
            if let Ok(session) = SessionId::parse(&response.session_id) {
                self.revoked.revoke(session, Timestamp::now());
            }
            Ok(Response::new(response))
        }
        .await;
        self.observe("logout", &outcome, started);
        outcome
    }

    type WatchRevokedSessionsStream = Streamed<pb::RevokedSession>;

    async fn watch_revoked_sessions(
        &self,
        _request: Request<pb::WatchRevokedSessionsRequest>,
    ) -> Result<Response<Self::WatchRevokedSessionsStream>, Status> {
        Err(Status::unimplemented(
            "WatchRevokedSessions is internal to the deployment and not served by the gateway",
        ))
    }
}

forwarding! {
    impl ClinicService {
        list_clinics(pb::ListClinicsRequest) -> pb::ListClinicsResponse => clinics, Policy::Public, RETRIED;
        get_clinic(pb::GetClinicRequest) -> pb::Clinic => clinics, Policy::Public, RETRIED;
        list_dentists(pb::ListDentistsRequest) -> pb::ListDentistsResponse => clinics, Policy::Public, RETRIED;
        upsert_clinic(pb::UpsertClinicRequest) -> pb::Clinic => clinics, ADMINS, RETRIED;
        add_dentist(pb::AddDentistRequest) -> pb::Dentist => clinics, ADMINISTRATORS, RETRIED;
    }
}

forwarding! {
    impl AppointmentService {
        list_slots(pb::ListSlotsRequest) -> pb::ListSlotsResponse => appointments, Policy::Public, RETRIED;
        find_earliest_free_slots(pb::FindEarliestFreeSlotsRequest) -> pb::FindEarliestFreeSlotsResponse => appointments, Policy::Public, RETRIED;
        publish_slots(pb::PublishSlotsRequest) -> pb::PublishSlotsResponse => appointments, STAFF, RETRIED;
        publish_working_plan(pb::PublishWorkingPlanRequest) -> pb::PublishSlotsResponse => appointments, STAFF, RETRIED;
        preview_working_plan(pb::PublishWorkingPlanRequest) -> pb::PreviewWorkingPlanResponse => appointments, STAFF, RETRIED;
        withdraw_slot(pb::WithdrawSlotRequest) -> pb::Slot => appointments, STAFF, RETRIED;
        book_slot(pb::BookSlotRequest) -> pb::BookSlotResponse => appointments, PATIENTS, RETRIED;
        cancel_appointment(pb::CancelAppointmentRequest) -> pb::Appointment => appointments, Policy::SignedIn, RETRIED;
        list_my_appointments(pb::ListMyAppointmentsRequest) -> pb::ListMyAppointmentsResponse => appointments, PATIENTS, RETRIED;
        get_dentist_schedule(pb::GetDentistScheduleRequest) -> pb::GetDentistScheduleResponse => appointments, STAFF, RETRIED;
    }

    type WatchSlotsStream = Streamed<pb::SlotEvent>;

    async fn watch_slots(
        &self,
        request: Request<pb::WatchSlotsRequest>,
    ) -> Result<Response<Self::WatchSlotsStream>, Status> {
        let started = Instant::now();
        let outcome = async {
            let request = self.admit("watch_slots", Policy::Public, request)?;
            let stream = self.appointments.clone().watch_slots(request).await?.into_inner();
            Ok(Response::new(Box::pin(stream) as Self::WatchSlotsStream))
        }
        .await;
        self.observe("watch_slots", &outcome, started);
        outcome
    }
}

#[tonic::async_trait]
impl OperationsService for Gateway {
    async fn get_system_status(
        &self,
        request: Request<pb::GetSystemStatusRequest>,
    ) -> Result<Response<pb::SystemStatus>, Status> {
        let started = Instant::now();
        let outcome = async {
            self.admit("get_system_status", ADMINISTRATORS, request)?;
            let operations = &self.operations;
            let figures = operations.metrics.snapshot(Instant::now());
            let mut components = vec![pb::ComponentHealth {
                name: "gateway".into(),
                address: operations.address.clone(),
                serving: true,
                detail: String::new(),
            }];
            // One line per replica, so an operator sees which one is down.
            for (name, replicas) in &operations.backends {
                components.extend(replicas.probe_all().await.into_iter().map(|reading| {
                    pb::ComponentHealth {
                        name: (*name).to_string(),
                        address: reading.address,
                        serving: reading.serving,
                        detail: reading.detail,
                    }
                }));
            }
            let brokers = operations
                .brokers
                .iter()
                .map(|gauge| {
                    let reading = gauge.read();
                    pb::BrokerStatus {
                        address: reading.address,
                        connected: reading.connected,
                        lag_seconds: reading.lag_seconds,
                        events_acknowledged: reading.acknowledged,
                        events_in_flight: reading.in_flight,
                    }
                })
                .collect();
            Ok(Response::new(pb::SystemStatus {
                as_of: Some(dentismile_runtime::wire::timestamp(Timestamp::now())),
                requests_per_second: figures.requests_per_second,
                bookings_per_second: figures.bookings_per_second,
                errors_per_second: figures.errors_per_second,
                p99_latency_ms: figures.p99_latency_ms,
                requests_total: figures.requests_total,
                bookings_total: figures.bookings_total,
                errors_total: figures.errors_total,
                components,
                brokers,
            }))
        }
        .await;
        self.observe("get_system_status", &outcome, started);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use dentismile_auth::TokenSigner;
    use dentismile_domain::{accounts::Role, ids::UserId, jiff::SignedDuration, text::DisplayName};
    use tonic::Code;

    use super::*;

    fn backend() -> ReplicaSet {
        ReplicaSet::new("--auth-url", &["http://127.0.0.1:9".to_string()]).unwrap()
    }

    fn token(signer: &TokenSigner, session_id: SessionId, expires_at: Timestamp) -> String {
        signer.sign(&AccessClaims {
            user_id: UserId::random(),
            session_id,
            role: Role::Patient,
            clinic_id: None,
            dentist_id: None,
            name: DisplayName::parse("Pia Patient").unwrap(),
            issued_at: expires_at - SignedDuration::from_mins(15),
            expires_at,
        })
    }

    fn with_token(token: &str) -> Request<pb::LogoutRequest> {
        let mut request = Request::new(pb::LogoutRequest::default());
        request.metadata_mut().insert(
            wire::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        request
    }

    #[tokio::test]
    async fn public_calls_are_admitted_with_an_expired_or_ended_token() {
        let signer = TokenSigner::generate().unwrap();
        let revoked = Arc::new(RevocationList::new());
        let gateway = Gateway::new(
            "http://gateway".into(),
            signer.verifier(),
            revoked.clone(),
            backend(),
            backend(),
            vec![],
        );
        let expired = token(
            &signer,
            SessionId::random(),
            Timestamp::now() - SignedDuration::from_hours(1),
        );
        let ended_session = SessionId::random();
        let ended = token(
            &signer,
            ended_session,
            Timestamp::now() + SignedDuration::from_mins(10),
        );
        revoked.revoke(ended_session, Timestamp::now());

        for stale in [&expired, &ended, &"not.a.token".to_string()] {
            assert!(
                gateway
                    .admit_once("logout", Policy::Public, with_token(stale))
                    .is_ok(),
                "a public call with the token {stale} was refused"
            );
            let refused = gateway
                .admit_once("who_am_i", Policy::SignedIn, with_token(stale))
                .err()
                .expect("a call for signed-in callers refuses a stale token");
            assert_eq!(refused.code(), Code::Unauthenticated);
        }
    }
}
