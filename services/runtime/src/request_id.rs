//! Request ids: every request gets an `x-request-id` (the client's, if it sent a sane one), its
//! handling runs in a tracing span carrying it, and the response echoes it. The gateway passes
//! it on to the services it calls, so one id follows a request across every hop.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use http::{HeaderValue, Request, Response};
use tower::{Layer, Service};
use tracing::Instrument;

/// The header (gRPC metadata key) carrying the id.
pub const REQUEST_ID: &str = "x-request-id";

/// Adds request ids; see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestIdService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestIdService { inner }
    }
}

/// The service made by [`RequestIdLayer`].
#[derive(Debug, Clone)]
pub struct RequestIdService<S> {
    inner: S,
}

/// Accepts a client's id only if it is short and plain, so logs cannot be flooded or forged
/// with arbitrary text.
fn acceptable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
}

impl<S, B, R> Service<Request<B>> for RequestIdService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let id = match request.headers().get(REQUEST_ID) {
            Some(value) if acceptable(value) => value.clone(),
            _ => HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .expect("a UUID is a valid header value"),
        };
        request.headers_mut().insert(REQUEST_ID, id.clone());
        let span = tracing::info_span!(
            "grpc",
            method = %request.uri().path(),
            request_id = %id.to_str().unwrap_or_default(),
        );
        let response = self.inner.call(request);
        Box::pin(
            async move {
                let mut response = response.await?;
                response.headers_mut().insert(REQUEST_ID, id);
                Ok(response)
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::{ServiceExt, service_fn};

    use super::*;

    async fn echo(request: Request<()>) -> Result<Response<Option<HeaderValue>>, Infallible> {
        Ok(Response::new(request.headers().get(REQUEST_ID).cloned()))
    }

    #[tokio::test]
    async fn keeps_a_sane_client_id_and_replaces_others() {
        let service = RequestIdLayer.layer(service_fn(echo));
        let request = Request::builder()
            .header(REQUEST_ID, "abc-123")
            .body(())
            .unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.body().as_ref().unwrap(), "abc-123");
        assert_eq!(response.headers()[REQUEST_ID], "abc-123");

        let request = Request::builder()
            .header(REQUEST_ID, "has spaces and ; semicolons")
            .body(())
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        let given = response
            .body()
            .as_ref()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(given.len(), 36, "a fresh UUID: {given}");
    }
}
