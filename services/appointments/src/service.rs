//! The gRPC services: `ClinicService`, `AppointmentService` and the internal
//! `SlotEventService`. Each method parses its request into domain values (errors name the
//! field), makes one call on the scheduler, and converts the answer back.

use std::{pin::Pin, sync::Arc};

use dentismile_domain::{
    error::{AtField, ValidationError},
    event::EventCursor,
    ids::{AppointmentId, ClinicId, IdempotencyKey},
    paging::{self, AppointmentPageToken, SlotPageToken},
    scheduler::{BookingRequest, Scheduler, SlotListing},
    text::Reason,
};
use dentismile_proto::v1::{
    self as pb, appointment_service_server::AppointmentService,
    clinic_service_server::ClinicService, slot_event_service_server::SlotEventService,
};
use dentismile_runtime::{CancellationToken, status, wire::optional_instant};
use tokio::sync::{broadcast::error::RecvError, mpsc};
use tokio_stream::{Stream, wrappers::ReceiverStream};
use tonic::{Request, Response, Status};

use crate::{
    caller::Callers,
    error::to_status,
    events::{EventFanout, tail_from},
    names::NameCache,
    wire,
};

type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn invalid(error: ValidationError) -> Status {
    status::invalid_argument(&error)
}

/// Everything the three services share; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppointmentsApi {
    scheduler: Scheduler,
    callers: Callers,
    names: Arc<NameCache>,
    fanout: EventFanout,
    shutdown: CancellationToken,
}

impl AppointmentsApi {
    /// The services over `scheduler`, verifying callers with `callers`; streams end on
    /// `shutdown`.
    pub fn new(
        scheduler: Scheduler,
        callers: Callers,
        fanout: EventFanout,
        shutdown: CancellationToken,
    ) -> Self {
        let names = Arc::new(NameCache::new(scheduler.store().clone()));
        Self {
            scheduler,
            callers,
            names,
            fanout,
            shutdown,
        }
    }

    async fn appointment(
        &self,
        appointment: &dentismile_domain::booking::Appointment,
    ) -> pb::Appointment {
        let names = self.names.for_slot(&appointment.slot).await;
        wire::appointment(appointment, &names)
    }

    async fn clinic_with_dentists(
        &self,
        clinic: &dentismile_domain::clinic::Clinic,
    ) -> Result<pb::Clinic, Status> {
        let dentists = self
            .scheduler
            .store()
            .dentists(&clinic.id)
            .await
            .map_err(|e| status::from_store_error(&e))?;
        Ok(wire::clinic(clinic, &dentists))
    }
}

fn parse_clinic_id(value: &str, field: &str) -> Result<ClinicId, Status> {
    ClinicId::parse(value).at_field(field).map_err(invalid)
}

#[tonic::async_trait]
impl ClinicService for AppointmentsApi {
    async fn list_clinics(
        &self,
        request: Request<pb::ListClinicsRequest>,
    ) -> Result<Response<pb::ListClinicsResponse>, Status> {
        let body = request.into_inner();
        let page_size = paging::page_size(body.page_size)
            .at_field("page_size")
            .map_err(invalid)?;
        let after = paging::parse_clinic_token(&body.page_token)
            .at_field("page_token")
            .map_err(invalid)?;
        let clinics = self
            .scheduler
            .store()
            .clinics(after.as_ref(), page_size)
            .await
            .map_err(|e| status::from_store_error(&e))?;
        let next_page_token = if clinics.len() == page_size {
            clinics.last().map(|c| c.id.to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        let mut wire_clinics = Vec::with_capacity(clinics.len());
        for clinic in &clinics {
            wire_clinics.push(self.clinic_with_dentists(clinic).await?);
        }
        Ok(Response::new(pb::ListClinicsResponse {
            clinics: wire_clinics,
            next_page_token,
        }))
    }

    async fn get_clinic(
        &self,
        request: Request<pb::GetClinicRequest>,
    ) -> Result<Response<pb::Clinic>, Status> {
        let id = parse_clinic_id(&request.get_ref().clinic_id, "clinic_id")?;
        let clinic = self
            .scheduler
            .clinic(&id, "clinic_id")
            .await
            .map_err(to_status)?;
        Ok(Response::new(self.clinic_with_dentists(&clinic).await?))
    }

    async fn list_dentists(
        &self,
        request: Request<pb::ListDentistsRequest>,
    ) -> Result<Response<pb::ListDentistsResponse>, Status> {
        let id = parse_clinic_id(&request.get_ref().clinic_id, "clinic_id")?;
        let clinic = self
            .scheduler
            .clinic(&id, "clinic_id")
            .await
            .map_err(to_status)?;
        let wire_clinic = self.clinic_with_dentists(&clinic).await?;
        Ok(Response::new(pb::ListDentistsResponse {
            dentists: wire_clinic.dentists,
        }))
    }

    async fn upsert_clinic(
        &self,
        request: Request<pb::UpsertClinicRequest>,
    ) -> Result<Response<pb::Clinic>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let clinic = wire::parse_clinic(request.get_ref().clinic.as_ref()).map_err(invalid)?;
        self.scheduler
            .upsert_clinic(&actor, &clinic)
            .await
            .map_err(to_status)?;
        self.names.invalidate(&clinic.id);
        Ok(Response::new(self.clinic_with_dentists(&clinic).await?))
    }

    async fn add_dentist(
        &self,
        request: Request<pb::AddDentistRequest>,
    ) -> Result<Response<pb::Dentist>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let dentist = wire::parse_dentist(request.get_ref().dentist.as_ref()).map_err(invalid)?;
        self.scheduler
            .add_dentist(&actor, &dentist)
            .await
            .map_err(to_status)?;
        self.names.invalidate(&dentist.clinic_id);
        Ok(Response::new(wire::dentist(&dentist)))
    }
}

#[tonic::async_trait]
impl AppointmentService for AppointmentsApi {
    async fn list_slots(
        &self,
        request: Request<pb::ListSlotsRequest>,
    ) -> Result<Response<pb::ListSlotsResponse>, Status> {
        let body = request.into_inner();
        let listing = SlotListing {
            clinic_id: parse_clinic_id(&body.clinic_id, "clinic_id")?,
            from_day: wire::parse_day(&body.from_day, "from_day").map_err(invalid)?,
            to_day: wire::parse_day(&body.to_day, "to_day").map_err(invalid)?,
            dentist_id: wire::parse_optional_dentist(&body.dentist_id, "dentist_id")
                .map_err(invalid)?,
            only_free: body.only_free,
            page_size: paging::page_size(body.page_size)
                .at_field("page_size")
                .map_err(invalid)?,
            page_token: SlotPageToken::parse(&body.page_token)
                .at_field("page_token")
                .map_err(invalid)?,
        };
        let page = self
            .scheduler
            .list_slots(listing)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListSlotsResponse {
            slots: page.slots.iter().map(wire::slot).collect(),
            next_page_token: page.next.map(|t| t.encode()).unwrap_or_default(),
            stale: false,
        }))
    }

    async fn find_earliest_free_slots(
        &self,
        request: Request<pb::FindEarliestFreeSlotsRequest>,
    ) -> Result<Response<pb::FindEarliestFreeSlotsResponse>, Status> {
        let body = request.into_inner();
        let not_before = optional_instant(body.not_before.as_ref())
            .at_field("not_before")
            .map_err(invalid)?;
        let limit = if body.limit == 0 {
            10
        } else {
            body.limit as usize
        };
        let mut clinics = Vec::with_capacity(body.clinic_ids.len());
        for (index, id) in body.clinic_ids.iter().enumerate() {
            clinics.push(parse_clinic_id(id, &format!("clinic_ids[{index}]"))?);
        }
        let slots = self
            .scheduler
            .earliest_free(not_before, limit, &clinics)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::FindEarliestFreeSlotsResponse {
            slots: slots.iter().map(wire::slot).collect(),
        }))
    }

    async fn publish_slots(
        &self,
        request: Request<pb::PublishSlotsRequest>,
    ) -> Result<Response<pb::PublishSlotsResponse>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let body = request.into_inner();
        let clinic_id = parse_clinic_id(&body.clinic_id, "clinic_id")?;
        let dentist_id = dentismile_domain::ids::DentistId::parse(&body.dentist_id)
            .at_field("dentist_id")
            .map_err(invalid)?;
        let mut periods = Vec::with_capacity(body.slots.len());
        for (index, range) in body.slots.iter().enumerate() {
            let start = dentismile_runtime::wire::instant(range.start.as_ref())
                .at_field(&format!("slots[{index}].start"))
                .map_err(invalid)?;
            let end = dentismile_runtime::wire::instant(range.end.as_ref())
                .at_field(&format!("slots[{index}].end"))
                .map_err(invalid)?;
            periods.push((start, end));
        }
        let report = self
            .scheduler
            .publish_slots(&actor, &clinic_id, &dentist_id, &periods)
            .await
            .map_err(to_status)?;
        Ok(Response::new(publish_response(&report)))
    }

    async fn publish_working_plan(
        &self,
        request: Request<pb::PublishWorkingPlanRequest>,
    ) -> Result<Response<pb::PublishSlotsResponse>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let plan = wire::parse_plan(request.get_ref().plan.as_ref()).map_err(invalid)?;
        let report = self
            .scheduler
            .publish_plan(&actor, &plan)
            .await
            .map_err(to_status)?;
        Ok(Response::new(publish_response(&report)))
    }

    async fn preview_working_plan(
        &self,
        request: Request<pb::PublishWorkingPlanRequest>,
    ) -> Result<Response<pb::PreviewWorkingPlanResponse>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let plan = wire::parse_plan(request.get_ref().plan.as_ref()).map_err(invalid)?;
        let preview = self
            .scheduler
            .preview_plan(&actor, &plan)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::PreviewWorkingPlanResponse {
            slots: preview
                .slots
                .into_iter()
                .map(|slot| wire::slot(&slot.into_free_slot()))
                .collect(),
            conflicts: preview.conflicts.iter().map(wire::slot).collect(),
            unchanged: u32::try_from(preview.unchanged).unwrap_or(u32::MAX),
        }))
    }

    async fn withdraw_slot(
        &self,
        request: Request<pb::WithdrawSlotRequest>,
    ) -> Result<Response<pb::Slot>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let key = wire::parse_slot_ref(request.get_ref().slot.as_ref(), "slot").map_err(invalid)?;
        let slot = self
            .scheduler
            .withdraw(&actor, &key)
            .await
            .map_err(to_status)?;
        Ok(Response::new(wire::slot(&slot)))
    }

    async fn book_slot(
        &self,
        request: Request<pb::BookSlotRequest>,
    ) -> Result<Response<pb::BookSlotResponse>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let body = request.into_inner();
        let booking = BookingRequest {
            slot: wire::parse_slot_ref(body.slot.as_ref(), "slot").map_err(invalid)?,
            idempotency_key: IdempotencyKey::parse(&body.idempotency_key)
                .at_field("idempotency_key")
                .map_err(invalid)?,
            reason: Reason::parse_optional(&body.reason)
                .at_field("reason")
                .map_err(invalid)?,
        };
        let confirmation = self
            .scheduler
            .book(&actor, booking)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::BookSlotResponse {
            appointment: Some(self.appointment(&confirmation.appointment).await),
            replayed: confirmation.replayed,
        }))
    }

    async fn cancel_appointment(
        &self,
        request: Request<pb::CancelAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let body = request.into_inner();
        let id = AppointmentId::parse(&body.appointment_id)
            .at_field("appointment_id")
            .map_err(invalid)?;
        let reason = Reason::parse_optional(&body.reason)
            .at_field("reason")
            .map_err(invalid)?;
        let appointment = self
            .scheduler
            .cancel(&actor, &id, reason)
            .await
            .map_err(to_status)?;
        Ok(Response::new(self.appointment(&appointment).await))
    }

    async fn list_my_appointments(
        &self,
        request: Request<pb::ListMyAppointmentsRequest>,
    ) -> Result<Response<pb::ListMyAppointmentsResponse>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let body = request.into_inner();
        let page_size = paging::page_size(body.page_size)
            .at_field("page_size")
            .map_err(invalid)?;
        let token = AppointmentPageToken::parse(&body.page_token)
            .at_field("page_token")
            .map_err(invalid)?;
        let page = self
            .scheduler
            .my_appointments(&actor, body.upcoming_only, page_size, token)
            .await
            .map_err(to_status)?;
        let mut appointments = Vec::with_capacity(page.appointments.len());
        for appointment in &page.appointments {
            appointments.push(self.appointment(appointment).await);
        }
        Ok(Response::new(pb::ListMyAppointmentsResponse {
            appointments,
            next_page_token: page.next.map(|t| t.encode()).unwrap_or_default(),
        }))
    }

    async fn get_dentist_schedule(
        &self,
        request: Request<pb::GetDentistScheduleRequest>,
    ) -> Result<Response<pb::GetDentistScheduleResponse>, Status> {
        let actor = self.callers.signed_in(&request, &self.scheduler)?;
        let body = request.into_inner();
        let clinic_id = parse_clinic_id(&body.clinic_id, "clinic_id")?;
        let dentist_id =
            wire::parse_optional_dentist(&body.dentist_id, "dentist_id").map_err(invalid)?;
        let from_day = wire::parse_day(&body.from_day, "from_day").map_err(invalid)?;
        let to_day = wire::parse_day(&body.to_day, "to_day").map_err(invalid)?;
        let entries = self
            .scheduler
            .schedule(&actor, &clinic_id, dentist_id.as_ref(), from_day, to_day)
            .await
            .map_err(to_status)?;
        let mut wire_entries = Vec::with_capacity(entries.len());
        for entry in &entries {
            let (appointment, patient_name) = match &entry.appointment {
                Some(appointment) => (
                    Some(self.appointment(appointment).await),
                    appointment.patient_name.to_string(),
                ),
                None => (None, String::new()),
            };
            wire_entries.push(pb::ScheduleEntry {
                slot: Some(wire::slot(&entry.slot)),
                appointment,
                patient_name,
            });
        }
        Ok(Response::new(pb::GetDentistScheduleResponse {
            entries: wire_entries,
        }))
    }

    type WatchSlotsStream = EventStream<pb::SlotEvent>;

    async fn watch_slots(
        &self,
        request: Request<pb::WatchSlotsRequest>,
    ) -> Result<Response<Self::WatchSlotsStream>, Status> {
        let body = request.into_inner();
        let clinic_id = parse_clinic_id(&body.clinic_id, "clinic_id")?;
        let from_day = wire::parse_day(&body.from_day, "from_day").map_err(invalid)?;
        let to_day = wire::parse_day(&body.to_day, "to_day").map_err(invalid)?;
        // Same bounds as a listing of those days, and the clinic must exist.
        self.scheduler
            .check_days_of_clinic(&clinic_id, from_day, to_day)
            .await
            .map_err(to_status)?;
        // Subscribe before answering, so nothing committed after this call returns is missed.
        let mut events = self.fanout.subscribe();
        let (sender, receiver) = mpsc::channel(256);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    _ = shutdown.cancelled() => {
                        let _ = sender.send(Err(Status::unavailable("shutting down; reconnect and list again"))).await;
                        return;
                    }
                    _ = sender.closed() => return,
                    received = events.recv() => received,
                };
                match received {
                    Ok(stored) => {
                        let event = &stored.event;
                        let day = event.slot.day();
                        if event.slot.clinic_id != clinic_id || day < from_day || day > to_day {
                            continue;
                        }
                        if sender.send(Ok(wire::event(event))).await.is_err() {
                            return;
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        let _ = sender
                            .send(Err(Status::aborted(format!(
                                "this watcher fell {missed} events behind; list the slots again and reconnect"
                            ))))
                            .await;
                        return;
                    }
                    Err(RecvError::Closed) => {
                        let _ = sender
                            .send(Err(Status::unavailable("event feed stopped; reconnect")))
                            .await;
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}

fn publish_response(
    report: &dentismile_domain::scheduler::PublishReport,
) -> pb::PublishSlotsResponse {
    pb::PublishSlotsResponse {
        published: report.published.iter().map(wire::slot).collect(),
        unchanged: u32::try_from(report.unchanged).unwrap_or(u32::MAX),
    }
}

#[tonic::async_trait]
impl SlotEventService for AppointmentsApi {
    async fn get_latest_cursor(
        &self,
        _request: Request<pb::GetLatestCursorRequest>,
    ) -> Result<Response<pb::LatestCursor>, Status> {
        let cursor = self
            .scheduler
            .store()
            .latest_cursor()
            .await
            .map_err(|e| status::from_store_error(&e))?;
        Ok(Response::new(pb::LatestCursor {
            cursor: cursor.to_string(),
        }))
    }

    type WatchEventsStream = EventStream<pb::EventEnvelope>;

    async fn watch_events(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        let cursor = EventCursor::parse(&request.get_ref().after_cursor)
            .at_field("after_cursor")
            .map_err(invalid)?;
        let store = self.scheduler.store().clone();
        // Check the cursor now, so a bad one fails the call instead of the stream.
        store
            .events_after(&cursor, 1)
            .await
            .map_err(|e| status::from_store_error(&e))?;
        let (sender, receiver) = mpsc::channel(1024);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let forward = |stored: dentismile_domain::event::StoredEvent| {
                let sender = sender.clone();
                async move {
                    let envelope = pb::EventEnvelope {
                        cursor: stored.cursor.to_string(),
                        event: Some(wire::event(&stored.event)),
                    };
                    sender.send(Ok(envelope)).await.is_ok()
                }
            };
            let result = tail_from(store, cursor, shutdown.clone(), forward).await;
            let ending = match result {
                Err(error) => status::from_store_error(&error),
                Ok(()) => Status::unavailable("shutting down; resume from your last cursor"),
            };
            let _ = sender.send(Err(ending)).await;
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}
