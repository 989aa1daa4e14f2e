//! The public API: every RPC of `AuthService`, `ClinicService` and `AppointmentService`,
//! authenticated, checked against its [`Policy`], and forwarded to a replica of the service
//! that owns it. The internal feeds (`WatchRevokedSessions`, `SlotEventService`) are not served
//! here.

use std::{pin::Pin, sync::Arc};

use dentismile_auth::{AccessClaims, TokenVerifier, grpc::FORWARDED_FOR};
use dentismile_domain::{accounts::SessionId, jiff::Timestamp};
use dentismile_proto::v1::{
    self as pb, appointment_service_client::AppointmentServiceClient,
    appointment_service_server::AppointmentService, auth_service_client::AuthServiceClient,
    auth_service_server::AuthService, clinic_service_client::ClinicServiceClient,
    clinic_service_server::ClinicService,
};
use dentismile_runtime::{request_id::REQUEST_ID, wire};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, metadata::MetadataValue, transport::Channel};

use crate::{
    policy::{ADMINISTRATORS, ADMINS, PATIENTS, Policy, STAFF},
    revocations::RevocationList,
};

/// Metadata the gateway passes on: the token (services verify it again), the request id (one
/// id across hops), and the client's deadline.
const PASSED_ON: [&str; 3] = [wire::AUTHORIZATION, REQUEST_ID, "grpc-timeout"];

/// The gateway's services; cheap to clone.
#[derive(Debug, Clone)]
pub struct Gateway {
    verifier: Arc<TokenVerifier>,
    revoked: Arc<RevocationList>,
    auth: AuthServiceClient<Channel>,
    clinics: ClinicServiceClient<Channel>,
    appointments: AppointmentServiceClient<Channel>,
}

impl Gateway {
    /// A gateway forwarding to `auth` and `appointments` (which also serves clinics).
    pub fn new(
        verifier: TokenVerifier,
        revoked: Arc<RevocationList>,
        auth: Channel,
        appointments: Channel,
    ) -> Self {
        Self {
            verifier: Arc::new(verifier),
            revoked,
            auth: AuthServiceClient::new(auth),
            clinics: ClinicServiceClient::new(appointments.clone()),
            appointments: AppointmentServiceClient::new(appointments),
        }
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
        let claims = self.authenticate(&request)?;
        policy.admit(method, claims.as_ref())?;
        let client = request.remote_addr();
        let (metadata, _, message) = request.into_parts();
        let mut outgoing = Request::new(message);
        for key in PASSED_ON {
            if let Some(value) = metadata.get(key) {
                outgoing.metadata_mut().insert(key, value.clone());
            }
        }
        // Always our own view of the client: a client-sent x-forwarded-for is dropped above.
        if let Some(address) = client.and_then(|a| MetadataValue::try_from(a.ip().to_string()).ok())
        {
            outgoing.metadata_mut().insert(FORWARDED_FOR, address);
        }
        Ok(outgoing)
    }
}

type Streamed<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Writes a service impl whose listed unary RPCs are forwarded as they are, plus `$extra` items
/// written by hand. The attribute is emitted with the methods so that async-trait sees them.
macro_rules! forwarding {
    (
        impl $service:ident {
            $( $method:ident($request:ty) -> $response:ty => $client:ident, $policy:expr; )*
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
                    let request = self.admit(stringify!($method), $policy, request)?;
                    let response = self.$client.clone().$method(request).await?;
                    Ok(Response::new(response.into_inner()))
                }
            )*
            $($extra)*
        }
    };
}

forwarding! {
    impl AuthService {
        register(pb::RegisterRequest) -> pb::Session => auth, Policy::Public;
        login(pb::LoginRequest) -> pb::Session => auth, Policy::Public;
        refresh(pb::RefreshRequest) -> pb::Session => auth, Policy::Public;
        who_am_i(pb::WhoAmIRequest) -> pb::Account => auth, Policy::SignedIn;
        create_staff_account(pb::CreateStaffAccountRequest) -> pb::Account => auth, ADMINISTRATORS;
        get_token_verification_key(pb::GetTokenVerificationKeyRequest) -> pb::TokenVerificationKey => auth, Policy::Public;
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let request = self.admit("logout", Policy::Public, request)?;
        let response = self.auth.clone().logout(request).await?.into_inner();
        // Refuse the session's access tokens here at once; other gateways learn it from the
        // auth service's revocation feed.
        if let Ok(session) = SessionId::parse(&response.session_id) {
            self.revoked.revoke(session, Timestamp::now());
        }
        Ok(Response::new(response))
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
        list_clinics(pb::ListClinicsRequest) -> pb::ListClinicsResponse => clinics, Policy::Public;
        get_clinic(pb::GetClinicRequest) -> pb::Clinic => clinics, Policy::Public;
        list_dentists(pb::ListDentistsRequest) -> pb::ListDentistsResponse => clinics, Policy::Public;
        upsert_clinic(pb::UpsertClinicRequest) -> pb::Clinic => clinics, ADMINS;
        add_dentist(pb::AddDentistRequest) -> pb::Dentist => clinics, ADMINISTRATORS;
    }
}

forwarding! {
    impl AppointmentService {
        list_slots(pb::ListSlotsRequest) -> pb::ListSlotsResponse => appointments, Policy::Public;
        find_earliest_free_slots(pb::FindEarliestFreeSlotsRequest) -> pb::FindEarliestFreeSlotsResponse => appointments, Policy::Public;
        publish_slots(pb::PublishSlotsRequest) -> pb::PublishSlotsResponse => appointments, STAFF;
        publish_working_plan(pb::PublishWorkingPlanRequest) -> pb::PublishSlotsResponse => appointments, STAFF;
        preview_working_plan(pb::PublishWorkingPlanRequest) -> pb::PreviewWorkingPlanResponse => appointments, STAFF;
        withdraw_slot(pb::WithdrawSlotRequest) -> pb::Slot => appointments, STAFF;
        book_slot(pb::BookSlotRequest) -> pb::BookSlotResponse => appointments, PATIENTS;
        cancel_appointment(pb::CancelAppointmentRequest) -> pb::Appointment => appointments, Policy::SignedIn;
        list_my_appointments(pb::ListMyAppointmentsRequest) -> pb::ListMyAppointmentsResponse => appointments, PATIENTS;
        get_dentist_schedule(pb::GetDentistScheduleRequest) -> pb::GetDentistScheduleResponse => appointments, STAFF;
    }

    type WatchSlotsStream = Streamed<pb::SlotEvent>;

    async fn watch_slots(
        &self,
        request: Request<pb::WatchSlotsRequest>,
    ) -> Result<Response<Self::WatchSlotsStream>, Status> {
        let request = self.admit("watch_slots", Policy::Public, request)?;
        let stream = self.appointments.clone().watch_slots(request).await?.into_inner();
        Ok(Response::new(Box::pin(stream)))
    }
}
