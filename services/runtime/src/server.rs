//! Serving gRPC the same way in every component: a listener bound up front (port 0 allowed, so
//! tests and `dentismile up` learn the real port before serving), health and reflection beside
//! the services, request ids, a per-request timeout, a global limit on requests in flight with
//! load shedding (RESOURCE_EXHAUSTED instead of a growing queue), and a graceful stop when the
//! shutdown token is cancelled.

use std::{convert::Infallible, net::SocketAddr, time::Duration};

use dentismile_proto::FILE_DESCRIPTOR_SET;
use tokio::net::TcpListener;
use tokio_stream::{StreamExt, wrappers::TcpListenerStream};
use tokio_util::sync::CancellationToken;
use tonic::{
    body::Body,
    server::NamedService,
    service::{Routes, RoutesBuilder},
    transport::Server,
};
use tonic_health::ServingStatus;
use tower::{Service, ServiceBuilder, limit::GlobalConcurrencyLimitLayer};

use crate::request_id::RequestIdLayer;

/// Limits applied to every request of a server.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// A unary call (or the opening of a stream) taking longer is cancelled with
    /// DEADLINE_EXCEEDED.
    pub request_timeout: Duration,
    /// Requests in flight across all connections; more are refused at once with
    /// RESOURCE_EXHAUSTED rather than queued behind a backlog.
    pub max_in_flight: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            max_in_flight: 4096,
        }
    }
}

/// Binds `addr` (port 0 picks a free port) and returns the listener with its real address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// A gRPC server under assembly.
#[derive(Debug)]
pub struct GrpcServer {
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    limits: ServerLimits,
}

impl GrpcServer {
    /// An empty server with `limits`.
    pub fn new(limits: ServerLimits) -> Self {
        Self {
            routes: Routes::builder(),
            names: Vec::new(),
            limits,
        }
    }

    /// Adds a generated tonic service; it is also reported healthy and listed by reflection.
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Serves on `listener` until `shutdown` is cancelled, then lets requests in flight finish.
    /// Health reports NOT_SERVING as soon as shutdown begins, so balancers stop sending work.
    pub async fn serve(
        mut self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), tonic::transport::Error> {
        let (health, health_service) = tonic_health::server::health_reporter();
        for name in &self.names {
            health
                .set_service_status(*name, ServingStatus::Serving)
                .await;
        }
        health.set_service_status("", ServingStatus::Serving).await;
        // Reflection lists exactly the services served here (and health), so grpcurl shows a
        // gateway's public API without the internal event feed, for example.
        let reflection = || {
            self.names.iter().fold(
                tonic_reflection::server::Builder::configure()
                    .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                    .with_service_name("grpc.health.v1.Health"),
                |builder, name| builder.with_service_name(*name),
            )
        };
        match (reflection().build_v1(), reflection().build_v1alpha()) {
            (Ok(v1), Ok(v1alpha)) => {
                self.routes.add_service(v1);
                self.routes.add_service(v1alpha);
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "gRPC reflection unavailable");
            }
        }
        self.routes.add_service(health_service);

        // Accepted connections get TCP_NODELAY: small gRPC frames must not wait for Nagle.
        let incoming = TcpListenerStream::new(listener).map(|connection| {
            connection.and_then(|stream| {
                stream.set_nodelay(true)?;
                Ok(stream)
            })
        });
        let layers = ServiceBuilder::new()
            .layer(RequestIdLayer)
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::new(self.limits.max_in_flight))
            .into_inner();
        let stopping = shutdown.clone();
        let announce = health.clone();
        Server::builder()
            .timeout(self.limits.request_timeout)
            .http2_keepalive_interval(Some(Duration::from_secs(20)))
            .layer(layers)
            .add_routes(self.routes.routes())
            .serve_with_incoming_shutdown(incoming, async move {
                stopping.cancelled().await;
                announce
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_have_sane_defaults() {
        let limits = ServerLimits::default();
        assert!(limits.max_in_flight >= 1024);
        assert!(limits.request_timeout >= Duration::from_secs(5));
    }
}
