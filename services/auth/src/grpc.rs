//! The `dentismile.v1.AuthService` over gRPC: wire to domain, one call, domain to wire.

use std::{pin::Pin, sync::Arc, time::Duration};

use dentismile_domain::accounts::{Account, Role};
use dentismile_proto::v1::{
    self as pb,
    auth_service_server::{AuthService, AuthServiceServer},
};
use dentismile_runtime::{CancellationToken, wire};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::{
    authenticator::{Authenticator, IssuedSession, StaffRequest},
    error::AuthError,
    tokens::AccessClaims,
};

/// Metadata key of the client's address as the gateway saw it. The auth service listens on an
/// internal address only the gateway reaches, so the header is trusted; the gateway overwrites
/// whatever a client sent.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// How often a revocation watcher looks at the store when nothing woke it sooner; bounds how
/// late a gateway learns of a session ended through another auth replica.
const REVOCATION_POLL: Duration = Duration::from_millis(500);

/// The gRPC face of an [`Authenticator`].
#[derive(Debug, Clone)]
pub struct AuthGrpc {
    core: Arc<Authenticator>,
    shutdown: CancellationToken,
}

impl AuthGrpc {
    /// A service over `core`; streams end when `shutdown` is cancelled.
    pub fn new(core: Arc<Authenticator>, shutdown: CancellationToken) -> Self {
        Self { core, shutdown }
    }

    /// The tonic server.
    pub fn into_server(self) -> AuthServiceServer<Self> {
        AuthServiceServer::new(self)
    }

    fn claims<T>(&self, request: &Request<T>) -> Result<AccessClaims, Status> {
        let token = wire::bearer_token(request.metadata())
            .ok_or_else(|| Status::unauthenticated("sign in first: no access token"))?;
        self.core
            .verifier()
            .verify(token, self.core.now())
            .map_err(|error| Status::unauthenticated(error.to_string()))
    }
}

/// The client's address: the gateway's `x-forwarded-for`, else the peer.
fn client_address<T>(request: &Request<T>) -> String {
    request
        .metadata()
        .get(FORWARDED_FOR)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(|value| value.trim().to_string())
        .or_else(|| request.remote_addr().map(|addr| addr.ip().to_string()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// A domain role on the wire.
pub fn role_to_wire(role: Role) -> pb::Role {
    match role {
        Role::Patient => pb::Role::Patient,
        Role::Dentist => pb::Role::Dentist,
        Role::ClinicAdmin => pb::Role::ClinicAdmin,
        Role::Admin => pb::Role::Admin,
    }
}

fn role_from_wire(value: i32) -> Option<Role> {
    match pb::Role::try_from(value).ok()? {
        pb::Role::Patient => Some(Role::Patient),
        pb::Role::Dentist => Some(Role::Dentist),
        pb::Role::ClinicAdmin => Some(Role::ClinicAdmin),
        pb::Role::Admin => Some(Role::Admin),
        pb::Role::Unspecified => None,
    }
}

/// An account on the wire (never its password hash).
pub fn account_to_wire(account: &Account) -> pb::Account {
    pb::Account {
        user_id: account.id.to_string(),
        email: account.email.to_string(),
        display_name: account.display_name.to_string(),
        role: role_to_wire(account.role).into(),
        clinic_id: account
            .clinic_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        dentist_id: account
            .dentist_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    }
}

fn session_to_wire(session: IssuedSession) -> pb::Session {
    pb::Session {
        access_token: session.access_token,
        access_token_expires_at: Some(wire::timestamp(session.access_expires_at)),
        refresh_token: session.refresh_token,
        refresh_token_expires_at: Some(wire::timestamp(session.refresh_expires_at)),
        account: Some(account_to_wire(&session.account)),
    }
}

type RevokedStream = Pin<Box<dyn Stream<Item = Result<pb::RevokedSession, Status>> + Send>>;

#[tonic::async_trait]
impl AuthService for AuthGrpc {
    async fn register(
        &self,
        request: Request<pb::RegisterRequest>,
    ) -> Result<Response<pb::Session>, Status> {
        let client = client_address(&request);
        let body = request.into_inner();
        let session = self
            .core
            .register(&body.email, &body.password, &body.display_name, &client)
            .await?;
        Ok(Response::new(session_to_wire(session)))
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::Session>, Status> {
        let client = client_address(&request);
        let body = request.into_inner();
        let session = self
            .core
            .login(&body.email, &body.password, &client)
            .await?;
        Ok(Response::new(session_to_wire(session)))
    }

    async fn refresh(
        &self,
        request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::Session>, Status> {
        let session = self
            .core
            .refresh(&request.into_inner().refresh_token)
            .await?;
        Ok(Response::new(session_to_wire(session)))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let ended = self
            .core
            .logout(&request.into_inner().refresh_token)
            .await?;
        Ok(Response::new(pb::LogoutResponse {
            session_id: ended.map(|id| id.to_string()).unwrap_or_default(),
        }))
    }

    async fn who_am_i(
        &self,
        request: Request<pb::WhoAmIRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let claims = self.claims(&request)?;
        let account = self.core.who_am_i(&claims).await?;
        Ok(Response::new(account_to_wire(&account)))
    }

    async fn create_staff_account(
        &self,
        request: Request<pb::CreateStaffAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let claims = self.claims(&request)?;
        let body = request.into_inner();
        let staff = StaffRequest {
            email: body.email,
            password: body.password,
            display_name: body.display_name,
            role: role_from_wire(body.role),
            clinic_id: body.clinic_id,
            dentist_id: body.dentist_id,
        };
        let account = self.core.create_staff(&claims, staff).await?;
        Ok(Response::new(account_to_wire(&account)))
    }

    async fn get_token_verification_key(
        &self,
        _request: Request<pb::GetTokenVerificationKeyRequest>,
    ) -> Result<Response<pb::TokenVerificationKey>, Status> {
        let verifier = self.core.verifier();
        Ok(Response::new(pb::TokenVerificationKey {
            ed25519_public_key: verifier.public_key().to_vec(),
            key_id: verifier.key_id().to_string(),
        }))
    }

    type WatchRevokedSessionsStream = RevokedStream;

    async fn watch_revoked_sessions(
        &self,
        request: Request<pb::WatchRevokedSessionsRequest>,
    ) -> Result<Response<Self::WatchRevokedSessionsStream>, Status> {
        let since = wire::optional_instant(request.get_ref().since.as_ref())
            .map_err(|e| Status::from(AuthError::Invalid(e.within("since"))))?
            .unwrap_or(dentismile_domain::jiff::Timestamp::UNIX_EPOCH);
        let (sender, receiver) = tokio::sync::mpsc::channel(256);
        let core = self.core.clone();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let mut since = since;
            let mut sent_at_since: Vec<String> = Vec::new();
            loop {
                match core.revoked_since(since, 1000).await {
                    Ok(batch) => {
                        for revoked in batch {
                            let id = revoked.session_id.to_string();
                            // Several revocations can share an instant: resume at that instant
                            // and skip the ones already sent, so none is lost or repeated.
                            if revoked.revoked_at == since && sent_at_since.contains(&id) {
                                continue;
                            }
                            if revoked.revoked_at > since {
                                since = revoked.revoked_at;
                                sent_at_since.clear();
                            }
                            sent_at_since.push(id.clone());
                            let message = pb::RevokedSession {
                                session_id: id,
                                revoked_at: Some(wire::timestamp(revoked.revoked_at)),
                            };
                            if sender.send(Ok(message)).await.is_err() {
                                return; // the watcher went away
                            }
                        }
                    }
                    Err(error) => {
                        let _ = sender.send(Err(Status::from(error))).await;
                        return;
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => {
                        let _ = sender.send(Err(Status::unavailable("shutting down; reconnect"))).await;
                        return;
                    }
                    _ = sender.closed() => return,
                    _ = core.session_ended() => {}
                    _ = tokio::time::sleep(REVOCATION_POLL) => {}
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }
}
