//! gRPC plumbing of the load: a small pool of gateway connections shared by the virtual
//! patients, and the two calls every patient makes (list slots, book) with a bearer token.
//!
//! Why not one `dentismile_client::Client` per patient: each `Client` owns its own connection,
//! and 10,000 of them next to 10,000 MQTT connections would take the server process past its
//! 20,000 open files (the embedded broker lives in the same process). HTTP/2 multiplexes, so a
//! few connections carry every patient's calls, as a mobile carrier's NAT or a web backend
//! would. The calls are the same RPCs `Client` makes; the booking keeps `Client::book`'s rule
//! of retrying only transient failures, always with the same idempotency key.

use std::time::Duration;

use dentismile_client::{ClientError, pb};
use dentismile_proto::v1::appointment_service_client::AppointmentServiceClient;
use tonic::{
    Request,
    transport::{Channel, Endpoint},
};

/// How many times a booking is tried (same key) while the server is briefly unavailable; as
/// `Client::book`.
const BOOKING_ATTEMPTS: u32 = 3;

/// A few HTTP/2 connections to one server, used round robin.
#[derive(Debug, Clone)]
pub struct Pool {
    channels: Vec<Channel>,
}

impl Pool {
    /// Opens `size` connections to `url` (at least one) and waits until each is up, so the
    /// first measured call does not pay for the handshake.
    pub async fn connect(url: &str, size: usize) -> anyhow::Result<Self> {
        let endpoint = Endpoint::from_shared(url.to_string())?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .tcp_nodelay(true);
        let mut channels = Vec::with_capacity(size.max(1));
        for _ in 0..size.max(1) {
            channels.push(endpoint.connect().await.map_err(|error| {
                anyhow::anyhow!("cannot connect to {url}: {error} (is the server running?)")
            })?);
        }
        Ok(Self { channels })
    }

    /// The connection for caller number `index`.
    pub fn channel(&self, index: usize) -> Channel {
        self.channels[index % self.channels.len()].clone()
    }
}

/// `message` with `authorization: Bearer <token>`.
pub fn authed<T>(message: T, token: &str) -> Result<Request<T>, ClientError> {
    let mut request = Request::new(message);
    let value = format!("Bearer {token}")
        .parse()
        .map_err(|_| ClientError::local("the access token is not valid header text"))?;
    request.metadata_mut().insert("authorization", value);
    Ok(request)
}

/// Every free slot of one clinic-day (all pages).
pub async fn list_free(
    channel: Channel,
    clinic_id: &str,
    day: &str,
) -> Result<Vec<pb::Slot>, ClientError> {
    let mut service = AppointmentServiceClient::new(channel);
    let mut slots = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = service
            .list_slots(pb::ListSlotsRequest {
                clinic_id: clinic_id.to_string(),
                from_day: day.to_string(),
                to_day: day.to_string(),
                dentist_id: String::new(),
                only_free: true,
                page_size: 500,
                page_token,
            })
            .await?
            .into_inner();
        slots.extend(page.slots);
        if page.next_page_token.is_empty() {
            return Ok(slots);
        }
        page_token = page.next_page_token;
    }
}

/// Books `slot` for the patient of `token`; returns the appointment id. Transient failures are
/// retried with the same key, so this books at most once.
pub async fn book(
    channel: Channel,
    token: &str,
    slot: &pb::SlotRef,
    key: &str,
) -> Result<String, ClientError> {
    let mut service = AppointmentServiceClient::new(channel);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let request = authed(
            pb::BookSlotRequest {
                slot: Some(slot.clone()),
                idempotency_key: key.to_string(),
                reason: "stress test".to_string(),
            },
            token,
        )?;
        match service.book_slot(request).await {
            Ok(response) => {
                return response
                    .into_inner()
                    .appointment
                    .map(|appointment| appointment.id)
                    .ok_or_else(|| ClientError::local("the server confirmed no appointment"));
            }
            Err(status) => {
                let error = ClientError::from(status);
                if !error.is_transient() || attempt >= BOOKING_ATTEMPTS {
                    return Err(error);
                }
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
        }
    }
}
