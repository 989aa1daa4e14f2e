//! DentiSmile's gateway: the one public gRPC endpoint of the system.
//!
//! - [`forward`]: every public RPC, checked against its role [`policy`] (authenticated by
//!   Ed25519 signature, expiry and revoked sessions unless open to anyone), and forwarded with
//!   the request id, the client's address and deadline to a replica of the owning service.
//! - [`backends`]: each service's replicas, balanced by power of two choices on calls in
//!   flight, the unreachable ejected with backoff and re-admitted by health probes.
//! - [`metrics`]: what the forwarders count, for `OperationsService.GetSystemStatus`.
//! - [`revocations`]: the sessions whose tokens must be refused, kept from logouts seen here and
//!   the auth service's revocation feed.
//!
//! - [`bridge`]: slot events onto MQTT, at least once, to every configured broker, with
//!   retained availability summaries and the gateway's online/offline status.
//! - [`embedded_broker`]: the in-process rumqttd broker of `dentismile up`.
//!
//! Request ids, timeouts, load shedding, health and reflection come from the shared server
//! assembly in `dentismile-runtime`.

pub mod backends;
pub mod bridge;
pub mod embedded_broker;
pub mod forward;
pub mod metrics;
pub mod policy;
pub mod revocations;

pub use backends::ReplicaSet;
pub use forward::Gateway;
pub use revocations::RevocationList;
