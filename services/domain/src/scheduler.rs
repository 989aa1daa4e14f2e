//! The scheduling use cases: the booking rules applied over a [`Store`].
//!
//! Services translate their wire requests into the parsed types taken here, call one method,
//! and translate the result back; they hold no rules of their own. Everything that needs "now"
//! reads the injected [`Clock`].

use std::{collections::HashMap, sync::Arc};

use jiff::Timestamp;

use crate::{
    actor::Actor,
    booking::{Appointment, BookingPolicy, CancelledBy},
    clinic::{Clinic, Dentist},
    error::{AtField, SchedulingError, ValidationError},
    ids::{AppointmentId, ClinicId, DentistId, IdempotencyKey},
    paging::{AppointmentPageToken, SlotPageToken},
    plan::WorkingPlan,
    ports::{
        AppointmentQuery, BookOutcome, BookSlot, CancelAppointment, CancelOutcome, DentistOutcome,
        PublishOutcome, PublishSlots, SlotQuery, Store, WithdrawOutcome, WithdrawSlot,
    },
    slot::{NewSlot, PartitionKey, PublishStep, Slot, SlotKey, SlotState, reconcile_publish},
    text::Reason,
    time::{Clock, LocalDay, add_saturating, to_local},
};

/// Most slots one publish request may carry.
pub const MAX_SLOTS_PER_REQUEST: usize = 2000;
/// Most days one listing may cover.
pub const MAX_LISTING_DAYS: i64 = 31;
/// Most slots one earliest-free search returns.
pub const MAX_EARLIEST: usize = 50;
/// Slots a page of one partition is read in.
const PARTITION_PAGE: usize = 500;

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Slots created or made free again, ordered by start.
    pub published: Vec<Slot>,
    /// Requested slots that already existed exactly as asked.
    pub unchanged: usize,
}

/// What a plan would do, without doing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanPreview {
    /// The plan's slots (those still in the future), ordered by start.
    pub slots: Vec<NewSlot>,
    /// Stored slots that collide with the plan.
    pub conflicts: Vec<Slot>,
    /// How many of `slots` already exist exactly as planned.
    pub unchanged: usize,
}

/// A booking to make.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    /// The slot.
    pub slot: SlotKey,
    /// The client's key for this booking.
    pub idempotency_key: IdempotencyKey,
    /// The patient's note.
    pub reason: Option<Reason>,
}

/// A confirmed booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingConfirmation {
    /// The appointment.
    pub appointment: Appointment,
    /// Whether an earlier call with the same key made it.
    pub replayed: bool,
}

/// Which slots to list.
#[derive(Debug, Clone)]
pub struct SlotListing {
    /// The clinic.
    pub clinic_id: ClinicId,
    /// First day.
    pub from_day: LocalDay,
    /// Last day, inclusive.
    pub to_day: LocalDay,
    /// Only this dentist.
    pub dentist_id: Option<DentistId>,
    /// Only free slots.
    pub only_free: bool,
    /// Page size.
    pub page_size: usize,
    /// Where the previous page ended.
    pub page_token: Option<SlotPageToken>,
}

/// A page of slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotPage {
    /// Ordered by (day, dentist, start).
    pub slots: Vec<Slot>,
    /// Where to continue, if there may be more.
    pub next: Option<SlotPageToken>,
}

/// A page of appointments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppointmentPage {
    /// Ordered by (slot start, id).
    pub appointments: Vec<Appointment>,
    /// Where to continue, if there may be more.
    pub next: Option<AppointmentPageToken>,
}

/// One slot of a schedule, with its appointment when booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEntry {
    /// The slot.
    pub slot: Slot,
    /// The appointment holding it, if booked.
    pub appointment: Option<Appointment>,
}

/// The scheduling core.
#[derive(Debug, Clone)]
pub struct Scheduler {
    store: Arc<dyn Store>,
    clock: Arc<dyn ClockDebug>,
    policy: BookingPolicy,
}

/// A clock that can be printed in `Debug` output of the scheduler.
pub trait ClockDebug: Clock + std::fmt::Debug {}
impl<T: Clock + std::fmt::Debug> ClockDebug for T {}

fn permission_denied(actor: &Actor, what: &str) -> SchedulingError {
    SchedulingError::PermissionDenied(format!("{} may not {what}", actor.describe()))
}

/// Why `actor` may not publish slots of `clinic_id` (only its staff and admins may).
fn publish_denied(actor: &Actor, clinic_id: &ClinicId) -> SchedulingError {
    permission_denied(actor, &format!("publish slots of clinic '{clinic_id}'"))
}

impl Scheduler {
    /// A scheduler over `store`, reading time from `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn ClockDebug>, policy: BookingPolicy) -> Self {
        Self {
            store,
            clock,
            policy,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The rules about time.
    pub fn policy(&self) -> &BookingPolicy {
        &self.policy
    }

    /// The current instant of the scheduler's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A clinic, or NOT_FOUND naming `field`.
    pub async fn clinic(&self, id: &ClinicId, field: &str) -> Result<Clinic, SchedulingError> {
        self.store
            .clinic(id)
            .await?
            .ok_or_else(|| SchedulingError::not_found(field, "clinic", id))
    }

    /// A dentist of a clinic, or NOT_FOUND naming `field`.
    pub async fn dentist(
        &self,
        clinic: &ClinicId,
        dentist: &DentistId,
        field: &str,
    ) -> Result<Dentist, SchedulingError> {
        self.store
            .dentists(clinic)
            .await?
            .into_iter()
            .find(|d| &d.id == dentist)
            .ok_or_else(|| {
                SchedulingError::not_found(field, "dentist", format!("{clinic}/{dentist}"))
            })
    }

    /// Creates or replaces a clinic's details. System admins only.
    pub async fn upsert_clinic(
        &self,
        actor: &Actor,
        clinic: &Clinic,
    ) -> Result<(), SchedulingError> {
        if !matches!(actor, Actor::Admin { .. }) {
            return Err(permission_denied(
                actor,
                "create or change clinics; only admins can",
            ));
        }
        Ok(self.store.upsert_clinic(clinic).await?)
    }

    /// Adds a dentist to a clinic, or renames one. The clinic's admins and system admins.
    pub async fn add_dentist(
        &self,
        actor: &Actor,
        dentist: &Dentist,
    ) -> Result<(), SchedulingError> {
        if !actor.administers(&dentist.clinic_id) {
            return Err(permission_denied(
                actor,
                &format!("add dentists to clinic '{}'", dentist.clinic_id),
            ));
        }
        match self.store.upsert_dentist(dentist).await? {
            DentistOutcome::Saved => Ok(()),
            DentistOutcome::NoSuchClinic => Err(SchedulingError::not_found(
                "dentist.clinic_id",
                "clinic",
                &dentist.clinic_id,
            )),
        }
    }

    /// Publishes explicit slots for one dentist. Field names are those of PublishSlotsRequest.
    pub async fn publish_slots(
        &self,
        actor: &Actor,
        clinic_id: &ClinicId,
        dentist_id: &DentistId,
        periods: &[(Timestamp, Timestamp)],
    ) -> Result<PublishReport, SchedulingError> {
        if !actor.manages(clinic_id) {
            return Err(publish_denied(actor, clinic_id));
        }
        if periods.is_empty() || periods.len() > MAX_SLOTS_PER_REQUEST {
            return Err(ValidationError::new(
                "slots",
                format!(
                    "list 1 to {MAX_SLOTS_PER_REQUEST} slots, got {}",
                    periods.len()
                ),
            )
            .into());
        }
        let clinic = self.clinic(clinic_id, "clinic_id").await?;
        self.dentist(clinic_id, dentist_id, "dentist_id").await?;
        let now = self.now();
        let mut requested = Vec::with_capacity(periods.len());
        for (index, (start, end)) in periods.iter().enumerate() {
            let field = format!("slots[{index}]");
            let slot = NewSlot::new(clinic_id.clone(), dentist_id.clone(), *start, *end)
                .at_field(&field)?;
            self.policy
                .check_start(now, *start)
                .at_field(&format!("{field}.start"))?;
            check_within_opening_hours(&clinic, &slot).at_field(&field)?;
            requested.push((field, slot));
        }
        check_no_overlap_within(&requested)?;
        self.write_slots(requested, now).await
    }

    /// Expands a plan without storing it; lists what it would collide with.
    pub async fn preview_plan(
        &self,
        actor: &Actor,
        plan: &WorkingPlan,
    ) -> Result<PlanPreview, SchedulingError> {
        let slots = self.checked_plan_slots(actor, plan).await?;
        let mut preview = PlanPreview::default();
        for batch in PublishSlots::by_partition(slots.clone(), self.now()) {
            let stored = self
                .partition_slots(batch.partition(), Some(plan.dentist_id()), false)
                .await?;
            for slot in batch.slots() {
                match reconcile_publish(std::slice::from_ref(slot), &stored) {
                    Ok(steps) => {
                        if matches!(steps.first(), Some(PublishStep::Unchanged(_))) {
                            preview.unchanged += 1;
                        }
                    }
                    Err(conflict) => {
                        if !preview.conflicts.contains(&conflict.existing) {
                            preview.conflicts.push(conflict.existing);
                        }
                    }
                }
            }
        }
        preview.slots = slots;
        Ok(preview)
    }

    /// Expands a plan and publishes its slots. Field names are under `plan.`.
    pub async fn publish_plan(
        &self,
        actor: &Actor,
        plan: &WorkingPlan,
    ) -> Result<PublishReport, SchedulingError> {
        let slots = self.checked_plan_slots(actor, plan).await?;
        let requested = slots
            .into_iter()
            .map(|slot| ("plan".to_string(), slot))
            .collect();
        self.write_slots(requested, self.now()).await
    }

    /// The future slots of a plan, after checking the caller, the clinic and the dates.
    async fn checked_plan_slots(
        &self,
        actor: &Actor,
        plan: &WorkingPlan,
    ) -> Result<Vec<NewSlot>, SchedulingError> {
        let clinic_id = plan.clinic_id();
        if !actor.manages(clinic_id) {
            return Err(publish_denied(actor, clinic_id));
        }
        let clinic = self.clinic(clinic_id, "plan.clinic_id").await?;
        self.dentist(clinic_id, plan.dentist_id(), "plan.dentist_id")
            .await?;
        let now = self.now();
        let today = LocalDay::of(now);
        if plan.first_day() < today {
            return Err(ValidationError::new(
                "plan.first_day",
                format!("{} is in the past (today is {today})", plan.first_day()),
            )
            .into());
        }
        let horizon_end = add_saturating(now, self.policy.horizon);
        let last_bookable = LocalDay::of(horizon_end);
        if plan.last_day() > last_bookable {
            return Err(ValidationError::new(
                "plan.last_day",
                format!(
                    "{} is beyond the booking horizon of {} days (the last bookable day is {last_bookable})",
                    plan.last_day(),
                    self.policy.horizon_days()
                ),
            )
            .into());
        }
        for weekday in plan.weekdays() {
            match clinic.opening_hours.on(weekday) {
                None => {
                    return Err(ValidationError::new(
                        "plan.weekdays",
                        format!("the clinic is closed on {weekday:?}"),
                    )
                    .into());
                }
                Some(open) if !open.contains(&plan.hours()) => {
                    return Err(ValidationError::new(
                        "plan.hours",
                        format!(
                            "{} is outside the clinic's opening hours on {weekday:?} ({open})",
                            plan.hours()
                        ),
                    )
                    .into());
                }
                Some(_) => {}
            }
        }
        Ok(plan
            .expand()
            .into_iter()
            .filter(|slot| slot.key().start > now && slot.key().start <= horizon_end)
            .collect())
    }

    /// Writes checked slots one partition at a time.
    async fn write_slots(
        &self,
        requested: Vec<(String, NewSlot)>,
        now: Timestamp,
    ) -> Result<PublishReport, SchedulingError> {
        let fields: HashMap<SlotKey, String> = requested
            .iter()
            .map(|(field, slot)| (slot.key().clone(), field.clone()))
            .collect();
        let slots = requested.into_iter().map(|(_, slot)| slot).collect();
        let mut report = PublishReport::default();
        for batch in PublishSlots::by_partition(slots, now) {
            match self.store.publish(&batch).await? {
                PublishOutcome::Applied {
                    published,
                    unchanged,
                } => {
                    report.published.extend(published);
                    report.unchanged += unchanged;
                }
                PublishOutcome::Conflict(conflict) => {
                    let field = fields
                        .get(conflict.requested.key())
                        .cloned()
                        .unwrap_or_else(|| "slots".to_string());
                    return Err(SchedulingError::Overlap {
                        field,
                        existing: conflict.existing,
                    });
                }
            }
        }
        report.published.sort_by_key(|slot| slot.key.start);
        Ok(report)
    }

    /// Withdraws a free slot; withdrawing a withdrawn slot succeeds.
    pub async fn withdraw(&self, actor: &Actor, slot: &SlotKey) -> Result<Slot, SchedulingError> {
        if !actor.manages(&slot.clinic_id) {
            return Err(permission_denied(
                actor,
                &format!("withdraw slots of clinic '{}'", slot.clinic_id),
            ));
        }
        let command = WithdrawSlot {
            slot: slot.clone(),
            at: self.now(),
        };
        match self.store.withdraw(&command).await? {
            WithdrawOutcome::Withdrawn(slot) | WithdrawOutcome::AlreadyWithdrawn(slot) => Ok(slot),
            WithdrawOutcome::Conflict(_) => Err(SchedulingError::SlotBooked {
                field: "slot".to_string(),
            }),
            WithdrawOutcome::NoSuchSlot => Err(SchedulingError::slot_missing("slot", slot)),
        }
    }

    /// Books a slot for the calling patient.
    pub async fn book(
        &self,
        actor: &Actor,
        request: BookingRequest,
    ) -> Result<BookingConfirmation, SchedulingError> {
        let Actor::Patient { id, name } = actor else {
            return Err(permission_denied(
                actor,
                "book appointments; only patients can",
            ));
        };
        let now = self.now();
        self.policy
            .check_start(now, request.slot.start)
            .at_field("slot.start")?;
        let command = BookSlot {
            appointment_id: AppointmentId::random(),
            slot: request.slot.clone(),
            patient_id: *id,
            patient_name: name.clone(),
            reason: request.reason,
            idempotency_key: request.idempotency_key,
            at: now,
            key_expires_at: add_saturating(now, self.policy.idempotency_ttl),
        };
        match self.store.book(&command).await? {
            BookOutcome::Booked(appointment) => Ok(BookingConfirmation {
                appointment,
                replayed: false,
            }),
            BookOutcome::Replayed(appointment) => Ok(BookingConfirmation {
                appointment,
                replayed: true,
            }),
            BookOutcome::Conflict(current) => Err(SchedulingError::slot_not_free("slot", current)),
            BookOutcome::KeyReused(existing) => Err(SchedulingError::IdempotencyKeyReused {
                existing: Box::new(existing),
            }),
            BookOutcome::NoSuchSlot => Err(SchedulingError::slot_missing("slot", &request.slot)),
        }
    }

    /// Cancels an appointment: by its patient up to the cutoff, by staff of its clinic until
    /// it starts. Cancelling a cancelled appointment returns it unchanged.
    pub async fn cancel(
        &self,
        actor: &Actor,
        appointment_id: &AppointmentId,
        reason: Option<Reason>,
    ) -> Result<Appointment, SchedulingError> {
        let appointment = self
            .store
            .appointment(appointment_id)
            .await?
            .ok_or_else(|| {
                SchedulingError::not_found("appointment_id", "appointment", appointment_id)
            })?;
        let by = match actor {
            Actor::Patient { id, .. } if *id == appointment.patient_id => CancelledBy::Patient,
            _ if actor.manages(&appointment.slot.clinic_id) => CancelledBy::Clinic,
            _ => {
                return Err(permission_denied(
                    actor,
                    "cancel this appointment: it belongs to someone else",
                ));
            }
        };
        if !appointment.is_booked() {
            return Ok(appointment);
        }
        let now = self.now();
        let start = appointment.slot.start;
        if now >= start {
            return Err(SchedulingError::AppointmentStarted { start });
        }
        match by {
            CancelledBy::Patient => {
                let deadline = self.policy.patient_cancellation_deadline(start);
                if now > deadline {
                    return Err(SchedulingError::CancellationClosed {
                        deadline,
                        hours: self.policy.cancellation_cutoff.as_hours(),
                    });
                }
            }
            CancelledBy::Clinic => {
                if reason.is_none() {
                    return Err(ValidationError::new(
                        "reason",
                        "staff must say why they cancel; the patient is told",
                    )
                    .into());
                }
            }
        }
        let command = CancelAppointment {
            appointment_id: *appointment_id,
            slot: appointment.slot.clone(),
            by,
            reason,
            at: now,
        };
        match self.store.cancel(&command).await? {
            CancelOutcome::Cancelled(appointment)
            | CancelOutcome::AlreadyCancelled(appointment) => Ok(appointment),
            CancelOutcome::NoSuchAppointment => Err(SchedulingError::not_found(
                "appointment_id",
                "appointment",
                appointment_id,
            )),
        }
    }

    /// A page of a clinic's slots over a range of days.
    pub async fn list_slots(&self, listing: SlotListing) -> Result<SlotPage, SchedulingError> {
        self.check_days_of_clinic(&listing.clinic_id, listing.from_day, listing.to_day)
            .await?;
        if let Some(dentist) = &listing.dentist_id {
            self.dentist(&listing.clinic_id, dentist, "dentist_id")
                .await?;
        }
        let (first_day, mut after) = match &listing.page_token {
            Some(token) if token.day >= listing.from_day && token.day <= listing.to_day => {
                (token.day, Some((token.dentist_id.clone(), token.start)))
            }
            Some(_) => {
                return Err(ValidationError::new(
                    "page_token",
                    "does not belong to this day range",
                )
                .into());
            }
            None => (listing.from_day, None),
        };
        let mut page = SlotPage::default();
        for day in first_day.through(listing.to_day) {
            let wanted = listing.page_size - page.slots.len();
            let query = SlotQuery {
                partition: PartitionKey {
                    clinic_id: listing.clinic_id.clone(),
                    day,
                },
                dentist_id: listing.dentist_id.clone(),
                only_free: listing.only_free,
                after: after.take(),
                limit: wanted,
            };
            page.slots.extend(self.store.slots(&query).await?);
            if page.slots.len() == listing.page_size {
                page.next = page.slots.last().map(|last| SlotPageToken {
                    day,
                    dentist_id: last.key.dentist_id.clone(),
                    start: last.key.start,
                });
                break;
            }
        }
        Ok(page)
    }

    /// The earliest free slots from `not_before` (or now) across `clinics` (or every clinic),
    /// ordered by (start, clinic, dentist). Reads day by day up to the horizon.
    pub async fn earliest_free(
        &self,
        not_before: Option<Timestamp>,
        limit: usize,
        clinics: &[ClinicId],
    ) -> Result<Vec<Slot>, SchedulingError> {
        if limit == 0 || limit > MAX_EARLIEST {
            return Err(ValidationError::new(
                "limit",
                format!("must be 1 to {MAX_EARLIEST}, got {limit}"),
            )
            .into());
        }
        let now = self.now();
        let from = not_before.map_or(now, |t| t.max(now));
        let horizon_end = add_saturating(now, self.policy.horizon);
        if from > horizon_end {
            return Err(ValidationError::new(
                "not_before",
                format!(
                    "is beyond the booking horizon of {} days",
                    self.policy.horizon_days()
                ),
            )
            .into());
        }
        let clinic_ids = if clinics.is_empty() {
            self.all_clinic_ids().await?
        } else {
            for (index, id) in clinics.iter().enumerate() {
                self.clinic(id, &format!("clinic_ids[{index}]")).await?;
            }
            clinics.to_vec()
        };
        let mut found: Vec<Slot> = Vec::new();
        for day in LocalDay::of(from).through(LocalDay::of(horizon_end)) {
            for clinic_id in &clinic_ids {
                let partition = PartitionKey {
                    clinic_id: clinic_id.clone(),
                    day,
                };
                let free = self.partition_slots(&partition, None, true).await?;
                found.extend(
                    free.into_iter()
                        .filter(|slot| slot.key.start >= from && slot.key.start <= horizon_end),
                );
            }
            // Later days only hold later slots: stop once a day completes the answer.
            if found.len() >= limit {
                break;
            }
        }
        found.sort_by(|a, b| {
            (a.key.start, &a.key.clinic_id, &a.key.dentist_id).cmp(&(
                b.key.start,
                &b.key.clinic_id,
                &b.key.dentist_id,
            ))
        });
        found.truncate(limit);
        Ok(found)
    }

    /// Checks what a listing or a watch of a clinic's days needs: a day range within bounds, and
    /// a clinic that exists (`clinic_id`).
    pub async fn check_days_of_clinic(
        &self,
        clinic_id: &ClinicId,
        from_day: LocalDay,
        to_day: LocalDay,
    ) -> Result<(), SchedulingError> {
        check_day_range(from_day, to_day)?;
        self.clinic(clinic_id, "clinic_id").await?;
        Ok(())
    }

    /// A page of the calling patient's appointments.
    pub async fn my_appointments(
        &self,
        actor: &Actor,
        upcoming_only: bool,
        page_size: usize,
        page_token: Option<AppointmentPageToken>,
    ) -> Result<AppointmentPage, SchedulingError> {
        let Actor::Patient { id, .. } = actor else {
            return Err(permission_denied(
                actor,
                "list patient appointments; only patients have them",
            ));
        };
        let query = AppointmentQuery {
            patient_id: *id,
            ending_after: upcoming_only.then(|| self.now()),
            only_booked: upcoming_only,
            after: page_token.map(|token| (token.start, token.id)),
            limit: page_size,
        };
        let appointments = self.store.appointments_of_patient(&query).await?;
        let next = (appointments.len() == page_size)
            .then(|| appointments.last())
            .flatten()
            .map(|last| AppointmentPageToken {
                start: last.slot.start,
                id: last.id,
            });
        Ok(AppointmentPage { appointments, next })
    }

    /// A clinic's slots with their appointments, for staff.
    pub async fn schedule(
        &self,
        actor: &Actor,
        clinic_id: &ClinicId,
        dentist_id: Option<&DentistId>,
        from_day: LocalDay,
        to_day: LocalDay,
    ) -> Result<Vec<ScheduleEntry>, SchedulingError> {
        if !actor.manages(clinic_id) {
            return Err(permission_denied(
                actor,
                &format!("read the schedule of clinic '{clinic_id}'"),
            ));
        }
        check_day_range(from_day, to_day)?;
        self.clinic(clinic_id, "clinic_id").await?;
        if let Some(dentist) = dentist_id {
            self.dentist(clinic_id, dentist, "dentist_id").await?;
        }
        let mut entries = Vec::new();
        for day in from_day.through(to_day) {
            let partition = PartitionKey {
                clinic_id: clinic_id.clone(),
                day,
            };
            let slots = self.partition_slots(&partition, dentist_id, false).await?;
            if slots.is_empty() {
                continue;
            }
            let mut appointments: HashMap<AppointmentId, Appointment> = self
                .store
                .appointments_in(&partition)
                .await?
                .into_iter()
                .map(|a| (a.id, a))
                .collect();
            entries.extend(slots.into_iter().map(|slot| {
                let appointment = match &slot.state {
                    SlotState::Booked { appointment_id, .. } => appointments.remove(appointment_id),
                    SlotState::Free | SlotState::Withdrawn => None,
                };
                ScheduleEntry { slot, appointment }
            }));
        }
        Ok(entries)
    }

    /// Every slot of one partition (optionally one dentist's, optionally free only), paging
    /// through the store.
    pub async fn partition_slots(
        &self,
        partition: &PartitionKey,
        dentist_id: Option<&DentistId>,
        only_free: bool,
    ) -> Result<Vec<Slot>, SchedulingError> {
        let mut slots: Vec<Slot> = Vec::new();
        loop {
            let query = SlotQuery {
                partition: partition.clone(),
                dentist_id: dentist_id.cloned(),
                only_free,
                after: slots
                    .last()
                    .map(|last| (last.key.dentist_id.clone(), last.key.start)),
                limit: PARTITION_PAGE,
            };
            let page = self.store.slots(&query).await?;
            let complete = page.len() < PARTITION_PAGE;
            slots.extend(page);
            if complete {
                return Ok(slots);
            }
        }
    }

    async fn all_clinic_ids(&self) -> Result<Vec<ClinicId>, SchedulingError> {
        let mut ids: Vec<ClinicId> = Vec::new();
        loop {
            let page = self.store.clinics(ids.last(), PARTITION_PAGE).await?;
            let complete = page.len() < PARTITION_PAGE;
            ids.extend(page.into_iter().map(|clinic| clinic.id));
            if complete {
                return Ok(ids);
            }
        }
    }
}

fn check_day_range(from_day: LocalDay, to_day: LocalDay) -> Result<(), ValidationError> {
    if to_day < from_day {
        return Err(ValidationError::new(
            "to_day",
            format!("{to_day} is before from_day {from_day}"),
        ));
    }
    let span = from_day.days_until(to_day);
    if span > MAX_LISTING_DAYS {
        return Err(ValidationError::new(
            "to_day",
            format!("must be at most {MAX_LISTING_DAYS} days after from_day, is {span}"),
        ));
    }
    Ok(())
}

/// A slot must lie within the clinic's opening hours of its local day. Public so clients can
/// check a whole file of slots before sending any.
pub fn check_within_opening_hours(clinic: &Clinic, slot: &NewSlot) -> Result<(), ValidationError> {
    let local_start = to_local(slot.key().start);
    let local_end = to_local(slot.end());
    let day = slot.key().day();
    let weekday = day.weekday();
    let Some(open) = clinic.opening_hours.on(weekday) else {
        return Err(ValidationError::new(
            "start",
            format!("the clinic is closed on {weekday:?}"),
        ));
    };
    // Instants, not times of day: a slot ending at midnight has the time 00:00, which no
    // closing time is before.
    if slot.key().start < day.at(open.start()) {
        return Err(ValidationError::new(
            "start",
            format!(
                "{} is before the clinic opens on {weekday:?} ({open})",
                local_start.time().strftime("%H:%M")
            ),
        ));
    }
    if slot.end() > day.at(open.end()) {
        return Err(ValidationError::new(
            "end",
            format!(
                "{} is after the clinic closes on {weekday:?} ({open})",
                local_end.time().strftime("%H:%M")
            ),
        ));
    }
    Ok(())
}

/// Requested slots of one dentist must not overlap each other; each is named by its field (or
/// line). Public for the same reason as [`check_within_opening_hours`].
pub fn check_no_overlap_within(requested: &[(String, NewSlot)]) -> Result<(), ValidationError> {
    let mut order: Vec<&(String, NewSlot)> = requested.iter().collect();
    order.sort_by_key(|(_, slot)| slot.key().start);
    for pair in order.windows(2) {
        let ((earlier_field, earlier), (later_field, later)) = (pair[0], pair[1]);
        if earlier.overlaps(later) {
            return Err(ValidationError::new(
                later_field.clone(),
                format!("overlaps {earlier_field} of the same request"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        clinic::OpeningHours,
        text::{Address, DisplayName},
        time::LocalTimeRange,
    };
    use jiff::civil::Weekday;

    fn clinic() -> Clinic {
        let hours = LocalTimeRange::parse("08:00", "17:00").unwrap();
        Clinic {
            id: ClinicId::parse("majorna").unwrap(),
            name: DisplayName::parse("Majorna Tandvård").unwrap(),
            neighbourhood: DisplayName::parse("Majorna").unwrap(),
            address: Address::parse("Karl Johansgatan 1, 414 59 Göteborg").unwrap(),
            location: crate::clinic::GeoPoint::new(57.69, 11.92).unwrap(),
            opening_hours: OpeningHours::from_days([(Weekday::Tuesday, hours)]).unwrap(),
        }
    }

    fn slot(start: &str, end: &str) -> NewSlot {
        NewSlot::new(
            ClinicId::parse("majorna").unwrap(),
            DentistId::parse("dr-a").unwrap(),
            start.parse().unwrap(),
            end.parse().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn opening_hours_are_wall_clock_hours() {
        // Tuesday 24 November 2026, CET: 08:00 local is 07:00 UTC.
        let fine = slot("2026-11-24T07:00:00Z", "2026-11-24T07:30:00Z");
        assert!(check_within_opening_hours(&clinic(), &fine).is_ok());
        let early = slot("2026-11-24T06:30:00Z", "2026-11-24T07:00:00Z");
        assert_eq!(
            check_within_opening_hours(&clinic(), &early)
                .unwrap_err()
                .field(),
            "start"
        );
        let late = slot("2026-11-24T15:45:00Z", "2026-11-24T16:15:00Z");
        assert_eq!(
            check_within_opening_hours(&clinic(), &late)
                .unwrap_err()
                .field(),
            "end"
        );
        // 23:00-24:00 local: ends at midnight, long after closing.
        let night = slot("2026-11-24T22:00:00Z", "2026-11-24T23:00:00Z");
        assert_eq!(
            check_within_opening_hours(&clinic(), &night)
                .unwrap_err()
                .field(),
            "end"
        );
        let wednesday = slot("2026-11-25T08:00:00Z", "2026-11-25T08:30:00Z");
        assert!(
            check_within_opening_hours(&clinic(), &wednesday)
                .unwrap_err()
                .message()
                .contains("closed on Wednesday")
        );
    }

    #[test]
    fn overlapping_requests_name_the_later_slot() {
        let requested = vec![
            (
                "slots[0]".to_string(),
                slot("2026-11-24T09:00:00Z", "2026-11-24T09:30:00Z"),
            ),
            (
                "slots[1]".to_string(),
                slot("2026-11-24T08:00:00Z", "2026-11-24T08:30:00Z"),
            ),
            (
                "slots[2]".to_string(),
                slot("2026-11-24T08:15:00Z", "2026-11-24T08:45:00Z"),
            ),
        ];
        let error = check_no_overlap_within(&requested).unwrap_err();
        assert_eq!(error.field(), "slots[2]");
        assert!(error.message().contains("slots[1]"));
    }

    #[test]
    fn day_ranges_are_bounded() {
        let day = |s| LocalDay::parse(s).unwrap();
        assert!(check_day_range(day("2026-11-01"), day("2026-12-02")).is_ok());
        assert_eq!(
            check_day_range(day("2026-11-01"), day("2026-12-03"))
                .unwrap_err()
                .field(),
            "to_day"
        );
        assert!(check_day_range(day("2026-11-02"), day("2026-11-01")).is_err());
    }
}
