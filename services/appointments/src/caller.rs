//! Who is calling: the verified access token as a domain [`Actor`].
//!
//! The gateway has already checked the token (and refused revoked sessions); this service
//! checks the signature and expiry again, so that nothing reaching it without a valid token can
//! act as anyone.

use std::sync::Arc;

use dentismile_auth::{CachingVerifier, TokenVerifier};
use dentismile_domain::{actor::Actor, scheduler::Scheduler};
use dentismile_runtime::wire;
use tonic::{Request, Status};

/// Turns request metadata into an actor.
#[derive(Debug, Clone)]
pub struct Callers {
    verifier: Arc<CachingVerifier>,
}

impl Callers {
    /// Verifies with `verifier`.
    pub fn new(verifier: TokenVerifier) -> Self {
        Self {
            verifier: Arc::new(CachingVerifier::new(verifier)),
        }
    }

    /// The caller: anonymous without a token, UNAUTHENTICATED with a bad one.
    pub fn actor<T>(&self, request: &Request<T>, scheduler: &Scheduler) -> Result<Actor, Status> {
        match wire::bearer_token(request.metadata()) {
            None => Ok(Actor::Anonymous),
            Some(token) => self
                .verifier
                .verify(token, scheduler.now())
                .map(|claims| claims.actor())
                .map_err(|error| Status::unauthenticated(error.to_string())),
        }
    }

    /// The caller, who must be signed in.
    pub fn signed_in<T>(
        &self,
        request: &Request<T>,
        scheduler: &Scheduler,
    ) -> Result<Actor, Status> {
        match self.actor(request, scheduler)? {
            Actor::Anonymous => Err(Status::unauthenticated("sign in first: no access token")),
            actor => Ok(actor),
        }
    }
}
