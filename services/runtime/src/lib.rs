//! What every DentiSmile server shares.
//!
//! - [`server`]: binds a listener, serves gRPC services with health, reflection, request ids,
//!   timeouts and load shedding, and stops on a shutdown token.
//! - [`status`]: the one mapping from domain and store errors to gRPC statuses.
//! - [`wire`]: conversions between wire and domain values shared by every service.
//! - [`request_id`]: the `x-request-id` layer that ties log lines of one request together.
//! - [`shutdown`], [`telemetry`]: Ctrl-C/SIGTERM handling and log setup.
//!
//! No service logic lives here.

pub mod request_id;
pub mod server;
pub mod shutdown;
pub mod status;
pub mod telemetry;
pub mod wire;

pub use tokio_util::sync::CancellationToken;
