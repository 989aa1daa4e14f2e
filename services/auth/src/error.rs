//! What the auth use cases refuse, and the one mapping to gRPC statuses.

use std::time::Duration;

use dentismile_domain::{error::ValidationError, ports::StoreError};
use dentismile_runtime::status;
use tonic::{Code, Status};

/// Why an auth use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Malformed input (INVALID_ARGUMENT naming the field).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The email has an account already (ALREADY_EXISTS).
    #[error("email: is already registered")]
    EmailTaken,
    /// Wrong email or password; which one is never said (UNAUTHENTICATED).
    #[error("wrong email or password")]
    WrongCredentials,
    /// The refresh token is unknown, expired, spent or its session ended (UNAUTHENTICATED).
    #[error("refresh_token: unknown, expired or revoked; sign in again")]
    SessionEnded,
    /// No valid access token (UNAUTHENTICATED).
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but not allowed (PERMISSION_DENIED).
    #[error("{0}")]
    PermissionDenied(String),
    /// A named thing does not exist (NOT_FOUND).
    #[error("{field}: {message}")]
    NotFound {
        /// The request field.
        field: &'static str,
        /// What is missing.
        message: String,
    },
    /// Too many attempts (RESOURCE_EXHAUSTED).
    #[error("too many {what}; retry in {} s", .retry_after.as_secs().max(1))]
    RateLimited {
        /// Attempts of what.
        what: &'static str,
        /// When to retry.
        retry_after: Duration,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing or randomness failed (INTERNAL).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<AuthError> for Status {
    fn from(error: AuthError) -> Self {
        match &error {
            AuthError::Invalid(invalid) => status::invalid_argument(invalid),
            AuthError::EmailTaken => Status::new(Code::AlreadyExists, error.to_string()),
            AuthError::WrongCredentials
            | AuthError::SessionEnded
            | AuthError::Unauthenticated(_) => Status::unauthenticated(error.to_string()),
            AuthError::PermissionDenied(_) => Status::permission_denied(error.to_string()),
            AuthError::NotFound { field, .. } => status::not_found(field, error.to_string()),
            AuthError::RateLimited { what, retry_after } => {
                status::rate_limited(what, *retry_after)
            }
            AuthError::Store(store) => status::from_store_error(store),
            AuthError::Internal(cause) => {
                tracing::error!(%cause, "auth internal error");
                Status::internal("internal error; it has been logged")
            }
        }
    }
}
