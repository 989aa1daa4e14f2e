//! [`Client`]: one connection to the gateway, the signed-in session, and every call a terminal
//! client makes. Access tokens are refreshed shortly before they expire; bookings carry an
//! idempotency key and are retried with it when the server is briefly unavailable, so a retry
//! never books twice.

use std::{sync::Arc, time::Duration};

use dentismile_domain::jiff::{SignedDuration, Timestamp};
use dentismile_proto::v1::{
    self as pb, appointment_service_client::AppointmentServiceClient,
    auth_service_client::AuthServiceClient, clinic_service_client::ClinicServiceClient,
};
use tokio::sync::RwLock;
use tonic::{Request, transport::Channel};

use crate::error::ClientError;

/// Refresh the access token when less than this much of its life is left.
const REFRESH_MARGIN: SignedDuration = SignedDuration::from_secs(60);
/// How many times a booking is retried (same key) while the server is briefly unavailable.
const BOOKING_ATTEMPTS: u32 = 3;

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The current access token.
    pub access_token: String,
    /// When it expires.
    pub access_expires_at: Timestamp,
    /// The current refresh token.
    pub refresh_token: String,
    /// Who is signed in.
    pub account: pb::Account,
}

impl Session {
    fn from_wire(session: pb::Session) -> Result<Self, ClientError> {
        let expires = crate::time::from_wire(session.access_token_expires_at.as_ref())
            .ok_or_else(|| ClientError::local("the server sent a session without an expiry"))?;
        Ok(Self {
            access_token: session.access_token,
            access_expires_at: expires,
            refresh_token: session.refresh_token,
            account: session.account.ok_or_else(|| {
                ClientError::local("the server sent a session without an account")
            })?,
        })
    }
}

/// A client of one DentiSmile gateway. Cheap to clone; clones share the session.
#[derive(Debug, Clone)]
pub struct Client {
    channel: Channel,
    session: Arc<RwLock<Option<Session>>>,
}

impl Client {
    /// A client of the gateway at `url` (`http://host:port`). Connects lazily, so it can be made
    /// while the gateway is still starting.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let endpoint = Channel::from_shared(url.to_string())
            .map_err(|_| ClientError::local(format!("--gateway: '{url}' is not a URL")))?
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(15))
            .tcp_nodelay(true);
        Ok(Self::on_channel(endpoint.connect_lazy()))
    }

    /// A signed-out client on a connection the caller already holds. HTTP/2 multiplexes, so
    /// many clients, each with its own session, can share one channel: a backend acting for many
    /// people, or the stress tool's virtual patients, whose own connections would take a process
    /// past its open-file limit.
    pub fn on_channel(channel: Channel) -> Self {
        Self {
            channel,
            session: Arc::new(RwLock::new(None)),
        }
    }

    /// Signs in with a session obtained elsewhere (for instance an access token the caller
    /// issued with the system's own key). A session without a refresh token is never refreshed:
    /// its access token is sent until the server refuses it.
    pub async fn resume(&self, session: Session) {
        *self.session.write().await = Some(session);
    }

    /// The channel, for calls this type does not wrap.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Who is signed in, if anyone.
    pub async fn account(&self) -> Option<pb::Account> {
        self.session
            .read()
            .await
            .as_ref()
            .map(|s| s.account.clone())
    }

    /// The current session, if any (tokens included).
    pub async fn session(&self) -> Option<Session> {
        self.session.read().await.clone()
    }

    fn auth(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(self.channel.clone())
    }

    fn clinic_service(&self) -> ClinicServiceClient<Channel> {
        ClinicServiceClient::new(self.channel.clone())
    }

    fn appointment_service(&self) -> AppointmentServiceClient<Channel> {
        AppointmentServiceClient::new(self.channel.clone())
    }

    async fn start(&self, session: pb::Session) -> Result<pb::Account, ClientError> {
        let session = Session::from_wire(session)?;
        let account = session.account.clone();
        *self.session.write().await = Some(session);
        Ok(account)
    }

    /// Registers a patient and signs in.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<pb::Account, ClientError> {
        let session = self
            .auth()
            .register(pb::RegisterRequest {
                email: email.to_string(),
                password: password.to_string(),
                display_name: display_name.to_string(),
            })
            .await?
            .into_inner();
        self.start(session).await
    }

    /// Signs in.
    pub async fn login(&self, email: &str, password: &str) -> Result<pb::Account, ClientError> {
        let session = self
            .auth()
            .login(pb::LoginRequest {
                email: email.to_string(),
                password: password.to_string(),
            })
            .await?
            .into_inner();
        self.start(session).await
    }

    /// Signs out: ends the session on the server (its tokens stop working) and forgets it.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let Some(session) = self.session.write().await.take() else {
            return Ok(());
        };
        let mut request = Request::new(pb::LogoutRequest {
            refresh_token: session.refresh_token,
        });
        bearer(&mut request, &session.access_token)?;
        self.auth().logout(request).await?;
        Ok(())
    }

    /// Exchanges the refresh token for fresh tokens if the access token expires soon.
    pub async fn refresh_if_needed(&self) -> Result<(), ClientError> {
        let mut guard = self.session.write().await;
        let Some(session) = guard.as_ref() else {
            return Err(ClientError::signed_out());
        };
        if session.refresh_token.is_empty()
            || session.access_expires_at - Timestamp::now() > REFRESH_MARGIN
        {
            return Ok(());
        }
        let refreshed = self
            .auth()
            .refresh(pb::RefreshRequest {
                refresh_token: session.refresh_token.clone(),
            })
            .await;
        match refreshed {
            Ok(response) => {
                *guard = Some(Session::from_wire(response.into_inner())?);
                Ok(())
            }
            Err(status) => {
                let error = ClientError::from(status);
                if error.is_unauthenticated() {
                    *guard = None;
                }
                Err(error)
            }
        }
    }

    /// `message` as a request carrying a fresh access token.
    pub async fn authed<T>(&self, message: T) -> Result<Request<T>, ClientError> {
        self.refresh_if_needed().await?;
        let token = self
            .session
            .read()
            .await
            .as_ref()
            .map(|s| s.access_token.clone())
            .ok_or_else(ClientError::signed_out)?;
        let mut request = Request::new(message);
        bearer(&mut request, &token)?;
        Ok(request)
    }

    /// Every clinic with its dentists.
    pub async fn clinics(&self) -> Result<Vec<pb::Clinic>, ClientError> {
        let mut clinics = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = self
                .clinic_service()
                .list_clinics(pb::ListClinicsRequest {
                    page_size: 500,
                    page_token,
                })
                .await?
                .into_inner();
            clinics.extend(page.clinics);
            if page.next_page_token.is_empty() {
                return Ok(clinics);
            }
            page_token = page.next_page_token;
        }
    }

    /// Every slot of a clinic over local days `from_day..=to_day` (`YYYY-MM-DD`), in
    /// (day, dentist, start) order.
    pub async fn slots(
        &self,
        clinic_id: &str,
        from_day: &str,
        to_day: &str,
        dentist_id: Option<&str>,
        only_free: bool,
    ) -> Result<Vec<pb::Slot>, ClientError> {
        let mut slots = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = self
                .appointment_service()
                .list_slots(pb::ListSlotsRequest {
                    clinic_id: clinic_id.to_string(),
                    from_day: from_day.to_string(),
                    to_day: to_day.to_string(),
                    dentist_id: dentist_id.unwrap_or_default().to_string(),
                    only_free,
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

    /// The earliest free slots from now, across `clinic_ids` (every clinic when empty).
    pub async fn earliest_free(
        &self,
        limit: u32,
        clinic_ids: &[String],
    ) -> Result<Vec<pb::Slot>, ClientError> {
        Ok(self
            .appointment_service()
            .find_earliest_free_slots(pb::FindEarliestFreeSlotsRequest {
                not_before: None,
                limit,
                clinic_ids: clinic_ids.to_vec(),
            })
            .await?
            .into_inner()
            .slots)
    }

    /// Books a slot for the signed-in patient. One idempotency key per call; retried with the
    /// same key while the server is briefly unavailable, so it books at most once.
    pub async fn book(
        &self,
        slot: &pb::SlotRef,
        reason: &str,
    ) -> Result<pb::Appointment, ClientError> {
        let key = uuid::Uuid::new_v4().to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self
                .authed(pb::BookSlotRequest {
                    slot: Some(slot.clone()),
                    idempotency_key: key.clone(),
                    reason: reason.to_string(),
                })
                .await?;
            match self.appointment_service().book_slot(request).await {
                Ok(response) => {
                    return response
                        .into_inner()
                        .appointment
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

    /// Cancels an appointment.
    pub async fn cancel(
        &self,
        appointment_id: &str,
        reason: &str,
    ) -> Result<pb::Appointment, ClientError> {
        let request = self
            .authed(pb::CancelAppointmentRequest {
                appointment_id: appointment_id.to_string(),
                reason: reason.to_string(),
            })
            .await?;
        Ok(self
            .appointment_service()
            .cancel_appointment(request)
            .await?
            .into_inner())
    }

    /// The signed-in patient's appointments, booked and cancelled, by start.
    pub async fn my_appointments(&self) -> Result<Vec<pb::Appointment>, ClientError> {
        let mut appointments = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = self
                .authed(pb::ListMyAppointmentsRequest {
                    upcoming_only: false,
                    page_size: 500,
                    page_token,
                })
                .await?;
            let page = self
                .appointment_service()
                .list_my_appointments(request)
                .await?
                .into_inner();
            appointments.extend(page.appointments);
            if page.next_page_token.is_empty() {
                return Ok(appointments);
            }
            page_token = page.next_page_token;
        }
    }

    /// A clinic's schedule over local days, with patients (staff only).
    pub async fn schedule(
        &self,
        clinic_id: &str,
        dentist_id: Option<&str>,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<pb::ScheduleEntry>, ClientError> {
        let request = self
            .authed(pb::GetDentistScheduleRequest {
                clinic_id: clinic_id.to_string(),
                dentist_id: dentist_id.unwrap_or_default().to_string(),
                from_day: from_day.to_string(),
                to_day: to_day.to_string(),
            })
            .await?;
        Ok(self
            .appointment_service()
            .get_dentist_schedule(request)
            .await?
            .into_inner()
            .entries)
    }

    /// What a working plan would publish, and what it collides with (staff only).
    pub async fn preview_plan(
        &self,
        plan: pb::WorkingPlan,
    ) -> Result<pb::PreviewWorkingPlanResponse, ClientError> {
        let request = self
            .authed(pb::PublishWorkingPlanRequest { plan: Some(plan) })
            .await?;
        Ok(self
            .appointment_service()
            .preview_working_plan(request)
            .await?
            .into_inner())
    }

    /// Publishes a working plan (staff only).
    pub async fn publish_plan(
        &self,
        plan: pb::WorkingPlan,
    ) -> Result<pb::PublishSlotsResponse, ClientError> {
        let request = self
            .authed(pb::PublishWorkingPlanRequest { plan: Some(plan) })
            .await?;
        Ok(self
            .appointment_service()
            .publish_working_plan(request)
            .await?
            .into_inner())
    }

    /// Publishes explicit slots for one dentist (staff only).
    pub async fn publish_slots(
        &self,
        clinic_id: &str,
        dentist_id: &str,
        slots: Vec<pb::TimeRange>,
    ) -> Result<pb::PublishSlotsResponse, ClientError> {
        let request = self
            .authed(pb::PublishSlotsRequest {
                clinic_id: clinic_id.to_string(),
                dentist_id: dentist_id.to_string(),
                slots,
            })
            .await?;
        Ok(self
            .appointment_service()
            .publish_slots(request)
            .await?
            .into_inner())
    }

    /// Withdraws a free slot (staff only).
    pub async fn withdraw(&self, slot: pb::SlotRef) -> Result<pb::Slot, ClientError> {
        let request = self
            .authed(pb::WithdrawSlotRequest { slot: Some(slot) })
            .await?;
        Ok(self
            .appointment_service()
            .withdraw_slot(request)
            .await?
            .into_inner())
    }
}

fn bearer<T>(request: &mut Request<T>, token: &str) -> Result<(), ClientError> {
    let value = format!("Bearer {token}")
        .parse()
        .map_err(|_| ClientError::local("the access token is not valid header text"))?;
    request.metadata_mut().insert("authorization", value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_that_need_a_session_say_so_before_touching_the_network() {
        let client = Client::new("http://127.0.0.1:1").unwrap();
        assert!(client.account().await.is_none());
        let error = client.my_appointments().await.unwrap_err();
        assert!(error.is_unauthenticated(), "{error:?}");
        assert!(
            client.logout().await.is_ok(),
            "signing out twice is harmless"
        );
        assert!(Client::new("not a url").is_err());
    }

    #[tokio::test]
    async fn a_resumed_session_without_a_refresh_token_is_sent_as_it_is() {
        // Nothing listens on port 1: a refresh attempt would fail with UNAVAILABLE.
        let client = Client::new("http://127.0.0.1:1").unwrap();
        let account = pb::Account {
            user_id: "5f0c2f7e-8d43-4a52-9a55-0d1c1f1e2a3b".into(),
            role: pb::Role::Patient.into(),
            ..Default::default()
        };
        client
            .resume(Session {
                access_token: "issued-elsewhere".into(),
                access_expires_at: Timestamp::now() + SignedDuration::from_secs(10),
                refresh_token: String::new(),
                account: account.clone(),
            })
            .await;
        assert_eq!(client.account().await, Some(account));
        let request = client.authed(()).await.unwrap();
        assert_eq!(
            request.metadata().get("authorization").unwrap(),
            "Bearer issued-elsewhere"
        );
    }
}
