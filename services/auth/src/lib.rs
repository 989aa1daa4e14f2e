//! DentiSmile's auth service: accounts, sessions and tokens.
//!
//! - [`authenticator`]: the use cases (register, login, refresh, logout, who am I, staff
//!   accounts) with rate limits.
//! - [`passwords`]: argon2id at OWASP's parameters, off the async runtime, bounded in
//!   concurrency.
//! - [`tokens`]: Ed25519-signed JWT access tokens; [`tokens::TokenVerifier`] is what the gateway
//!   and the other services use to check them.
//! - [`refresh`]: opaque 256-bit refresh tokens, stored hashed.
//! - [`rate_limit`]: token buckets per account and per address.
//! - [`grpc`]: the `dentismile.v1.AuthService` adapter; [`error`]: the status mapping.
//!
//! What it does not do: decide who may book or cancel (the domain's scheduler does), or keep
//! the list of revoked sessions that verifiers consult (the gateway does, fed by
//! `WatchRevokedSessions`).

pub mod authenticator;
pub mod error;
pub mod grpc;
pub mod passwords;
pub mod rate_limit;
pub mod refresh;
pub mod tokens;

pub use authenticator::{AuthSettings, Authenticator};
pub use grpc::AuthGrpc;
pub use tokens::{AccessClaims, CachingVerifier, TokenSigner, TokenVerifier};
