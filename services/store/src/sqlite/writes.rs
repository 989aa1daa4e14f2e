//! The conditional writes. Each runs inside the writer's transaction (its own savepoint), reads
//! the rows its condition is about, decides, and writes the change together with its outbox
//! event. Nothing here is ever called outside the writer thread, so the read and the write of
//! one job cannot interleave with another job's.

use dentismile_domain::{
    booking::{Appointment, AppointmentStatus, Cancellation},
    clinic::{Clinic, Dentist},
    event::{SlotEvent, SlotEventKind},
    ports::{
        BookOutcome, BookSlot, CancelAppointment, CancelOutcome, DentistOutcome, PublishOutcome,
        PublishSlots, StoreError, WithdrawOutcome, WithdrawSlot,
    },
    slot::{PublishStep, Slot, SlotKey, SlotState, reconcile_publish},
};
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    DbResult,
    rows::{
        APPOINTMENT_COLUMNS, SLOT_COLUMNS, appointment_from_row, encode_opening_hours, query_all,
        query_first, slot_from_row, to_ms,
    },
};

pub(crate) fn upsert_clinic(connection: &Connection, clinic: &Clinic) -> Result<(), StoreError> {
    connection
        .execute(
            "INSERT INTO clinics (clinic_id, name, neighbourhood, address, latitude, longitude, opening_hours)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (clinic_id) DO UPDATE SET
                 name = excluded.name, neighbourhood = excluded.neighbourhood,
                 address = excluded.address, latitude = excluded.latitude,
                 longitude = excluded.longitude, opening_hours = excluded.opening_hours",
            params![
                clinic.id.as_str(),
                clinic.name.as_str(),
                clinic.neighbourhood.as_str(),
                clinic.address.as_str(),
                clinic.location.latitude(),
                clinic.location.longitude(),
                encode_opening_hours(&clinic.opening_hours),
            ],
        )
        .db()?;
    Ok(())
}

pub(crate) fn upsert_dentist(
    connection: &Connection,
    dentist: &Dentist,
) -> Result<DentistOutcome, StoreError> {
    let clinic_exists: bool = connection
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM clinics WHERE clinic_id = ?1)",
            [dentist.clinic_id.as_str()],
            |row| row.get(0),
        )
        .db()?;
    if !clinic_exists {
        return Ok(DentistOutcome::NoSuchClinic);
    }
    connection
        .execute(
            "INSERT INTO dentists (clinic_id, dentist_id, name) VALUES (?1, ?2, ?3)
             ON CONFLICT (clinic_id, dentist_id) DO UPDATE SET name = excluded.name",
            params![
                dentist.clinic_id.as_str(),
                dentist.id.as_str(),
                dentist.name.as_str()
            ],
        )
        .db()?;
    Ok(DentistOutcome::Saved)
}

pub(crate) fn publish(
    connection: &Connection,
    command: &PublishSlots,
) -> Result<PublishOutcome, StoreError> {
    let partition = command.partition();
    let day = partition.day.to_string();
    let mut stored = Vec::new();
    let mut dentists: Vec<&str> = command
        .slots()
        .iter()
        .map(|slot| slot.key().dentist_id.as_str())
        .collect();
    dentists.sort_unstable();
    dentists.dedup();
    for dentist in dentists {
        stored.extend(query_all(
            connection,
            &format!(
                "SELECT {SLOT_COLUMNS} FROM slots WHERE clinic_id = ?1 AND day = ?2 AND dentist_id = ?3"
            ),
            params![partition.clinic_id.as_str(), day, dentist],
            slot_from_row,
        )?);
    }
    let steps = match reconcile_publish(command.slots(), &stored) {
        Ok(steps) => steps,
        Err(conflict) => return Ok(PublishOutcome::Conflict(conflict)),
    };
    let mut published = Vec::new();
    let mut unchanged = 0;
    for step in steps {
        match step {
            PublishStep::Unchanged(_) => unchanged += 1,
            PublishStep::Insert(slot) => {
                connection
                    .prepare_cached(
                        "INSERT INTO slots (clinic_id, day, dentist_id, start_ms, end_ms, state, updated_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, 'free', ?6)",
                    )
                    .db()?
                    .execute(params![
                        slot.key().clinic_id.as_str(),
                        day,
                        slot.key().dentist_id.as_str(),
                        to_ms(slot.key().start),
                        to_ms(slot.end()),
                        to_ms(command.at),
                    ])
                    .db()?;
                let slot = slot.into_free_slot();
                append_event(connection, SlotEventKind::Published, &slot, command.at)?;
                published.push(slot);
            }
            PublishStep::Republish(slot) => {
                set_state(
                    connection,
                    slot.key(),
                    Some(slot.end()),
                    &SlotState::Free,
                    None,
                    command.at,
                )?;
                let slot = slot.into_free_slot();
                append_event(connection, SlotEventKind::Published, &slot, command.at)?;
                published.push(slot);
            }
        }
    }
    Ok(PublishOutcome::Applied {
        published,
        unchanged,
    })
}

pub(crate) fn book(connection: &Connection, command: &BookSlot) -> Result<BookOutcome, StoreError> {
    let now_ms = to_ms(command.at);
    let earlier: Option<String> = connection
        .prepare_cached(
            "SELECT appointment_id FROM idempotency_keys
             WHERE patient_id = ?1 AND idempotency_key = ?2 AND expires_ms > ?3",
        )
        .db()?
        .query_row(
            params![
                command.patient_id.to_string(),
                command.idempotency_key.as_str(),
                now_ms
            ],
            |row| row.get(0),
        )
        .optional()
        .db()?;
    if let Some(earlier) = earlier {
        let appointment = appointment_by_id(connection, &earlier)?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "idempotency key points at missing appointment {earlier}"
            ))
        })?;
        return Ok(if appointment.slot == command.slot {
            BookOutcome::Replayed(appointment)
        } else {
            BookOutcome::KeyReused(appointment)
        });
    }
    let Some(slot) = slot_by_key(connection, &command.slot)? else {
        return Ok(BookOutcome::NoSuchSlot);
    };
    if slot.state != SlotState::Free {
        return Ok(BookOutcome::Conflict(slot));
    }
    let booked = SlotState::Booked {
        appointment_id: command.appointment_id,
        patient_id: command.patient_id,
    };
    set_state(
        connection,
        &command.slot,
        None,
        &booked,
        Some(command.idempotency_key.as_str()),
        command.at,
    )?;
    let appointment = Appointment {
        id: command.appointment_id,
        slot: command.slot.clone(),
        end: slot.end,
        patient_id: command.patient_id,
        patient_name: command.patient_name.clone(),
        reason: command.reason.clone(),
        booked_at: command.at,
        status: AppointmentStatus::Booked,
    };
    connection
        .prepare_cached(
            "INSERT INTO appointments (appointment_id, patient_id, patient_name, clinic_id, day,
                 dentist_id, start_ms, end_ms, reason, booked_ms, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'booked')",
        )
        .db()?
        .execute(params![
            appointment.id.to_string(),
            appointment.patient_id.to_string(),
            appointment.patient_name.as_str(),
            appointment.slot.clinic_id.as_str(),
            appointment.slot.day().to_string(),
            appointment.slot.dentist_id.as_str(),
            to_ms(appointment.slot.start),
            to_ms(appointment.end),
            appointment.reason.as_ref().map(|r| r.as_str()),
            now_ms,
        ])
        .db()?;
    // Replace: a key that expired but was not purged yet may still have a row.
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO idempotency_keys (patient_id, idempotency_key, appointment_id, expires_ms)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .db()?
        .execute(params![
            command.patient_id.to_string(),
            command.idempotency_key.as_str(),
            appointment.id.to_string(),
            to_ms(command.key_expires_at),
        ])
        .db()?;
    let booked_slot = Slot {
        state: booked,
        ..slot
    };
    append_event(connection, SlotEventKind::Booked, &booked_slot, command.at)?;
    Ok(BookOutcome::Booked(appointment))
}

pub(crate) fn cancel(
    connection: &Connection,
    command: &CancelAppointment,
) -> Result<CancelOutcome, StoreError> {
    let id = command.appointment_id.to_string();
    let Some(mut appointment) = appointment_by_id(connection, &id)? else {
        return Ok(CancelOutcome::NoSuchAppointment);
    };
    if appointment.slot != command.slot {
        return Ok(CancelOutcome::NoSuchAppointment);
    }
    if !appointment.is_booked() {
        return Ok(CancelOutcome::AlreadyCancelled(appointment));
    }
    let slot = slot_by_key(connection, &command.slot)?;
    let holds_slot = matches!(
        &slot,
        Some(Slot { state: SlotState::Booked { appointment_id, .. }, .. })
            if *appointment_id == command.appointment_id
    );
    let Some(slot) = slot.filter(|_| holds_slot) else {
        return Err(StoreError::Corrupt(format!(
            "booked appointment {id} does not hold its slot {}",
            command.slot
        )));
    };
    set_state(
        connection,
        &command.slot,
        None,
        &SlotState::Free,
        None,
        command.at,
    )?;
    connection
        .prepare_cached(
            "UPDATE appointments SET status = 'cancelled', cancelled_ms = ?2, cancelled_by = ?3,
                 cancellation_reason = ?4
             WHERE appointment_id = ?1 AND status = 'booked'",
        )
        .db()?
        .execute(params![
            id,
            to_ms(command.at),
            command.by.name(),
            command.reason.as_ref().map(|r| r.as_str()),
        ])
        .db()?;
    let released = Slot {
        state: SlotState::Free,
        ..slot
    };
    append_event(connection, SlotEventKind::Released, &released, command.at)?;
    appointment.status = AppointmentStatus::Cancelled(Cancellation {
        at: command.at,
        by: command.by,
        reason: command.reason.clone(),
    });
    Ok(CancelOutcome::Cancelled(appointment))
}

pub(crate) fn withdraw(
    connection: &Connection,
    command: &WithdrawSlot,
) -> Result<WithdrawOutcome, StoreError> {
    let Some(slot) = slot_by_key(connection, &command.slot)? else {
        return Ok(WithdrawOutcome::NoSuchSlot);
    };
    match slot.state {
        SlotState::Withdrawn => Ok(WithdrawOutcome::AlreadyWithdrawn(slot)),
        SlotState::Booked { .. } => Ok(WithdrawOutcome::Conflict(slot)),
        SlotState::Free => {
            set_state(
                connection,
                &command.slot,
                None,
                &SlotState::Withdrawn,
                None,
                command.at,
            )?;
            let withdrawn = Slot {
                state: SlotState::Withdrawn,
                ..slot
            };
            append_event(connection, SlotEventKind::Withdrawn, &withdrawn, command.at)?;
            Ok(WithdrawOutcome::Withdrawn(withdrawn))
        }
    }
}

/// Reads one slot by key.
pub(crate) fn slot_by_key(
    connection: &Connection,
    key: &SlotKey,
) -> Result<Option<Slot>, StoreError> {
    query_first(
        connection,
        &format!(
            "SELECT {SLOT_COLUMNS} FROM slots
             WHERE clinic_id = ?1 AND day = ?2 AND dentist_id = ?3 AND start_ms = ?4"
        ),
        params![
            key.clinic_id.as_str(),
            key.day().to_string(),
            key.dentist_id.as_str(),
            to_ms(key.start)
        ],
        slot_from_row,
    )
}

/// Reads one appointment by id.
pub(crate) fn appointment_by_id(
    connection: &Connection,
    id: &str,
) -> Result<Option<Appointment>, StoreError> {
    query_first(
        connection,
        &format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE appointment_id = ?1"),
        [id],
        appointment_from_row,
    )
}

/// Sets a slot's state (and, when republishing, its end).
fn set_state(
    connection: &Connection,
    key: &SlotKey,
    new_end: Option<dentismile_domain::jiff::Timestamp>,
    state: &SlotState,
    booking_key: Option<&str>,
    at: dentismile_domain::jiff::Timestamp,
) -> Result<(), StoreError> {
    let (appointment, patient) = match state {
        SlotState::Booked {
            appointment_id,
            patient_id,
        } => (
            Some(appointment_id.to_string()),
            Some(patient_id.to_string()),
        ),
        SlotState::Free | SlotState::Withdrawn => (None, None),
    };
    let changed = connection
        .prepare_cached(
            "UPDATE slots SET state = ?5, appointment_id = ?6, patient_id = ?7, booking_key = ?8,
                 end_ms = coalesce(?9, end_ms), updated_ms = ?10
             WHERE clinic_id = ?1 AND day = ?2 AND dentist_id = ?3 AND start_ms = ?4",
        )
        .db()?
        .execute(params![
            key.clinic_id.as_str(),
            key.day().to_string(),
            key.dentist_id.as_str(),
            to_ms(key.start),
            state.name(),
            appointment,
            patient,
            booking_key,
            new_end.map(to_ms),
            to_ms(at),
        ])
        .db()?;
    if changed != 1 {
        return Err(StoreError::Corrupt(format!(
            "slot {key} changed {changed} rows, expected 1"
        )));
    }
    Ok(())
}

/// Appends a slot's event with the next sequence number of its partition.
fn append_event(
    connection: &Connection,
    kind: SlotEventKind,
    slot: &Slot,
    at: dentismile_domain::jiff::Timestamp,
) -> Result<(), StoreError> {
    let mut event = SlotEvent::new(kind, slot, at);
    let day = slot.key.day().to_string();
    let seq: i64 = connection
        .prepare_cached(
            "INSERT INTO partition_heads (clinic_id, day, last_seq) VALUES (?1, ?2, 1)
             ON CONFLICT (clinic_id, day) DO UPDATE SET last_seq = last_seq + 1
             RETURNING last_seq",
        )
        .db()?
        .query_row(params![slot.key.clinic_id.as_str(), day], |row| row.get(0))
        .db()?;
    event.seq =
        u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("partition seq {seq}")))?;
    connection
        .prepare_cached(
            "INSERT INTO outbox (event_id, clinic_id, day, seq, kind, dentist_id, slot_start_ms,
                 slot_end_ms, occurred_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .db()?
        .execute(params![
            event.event_id.to_string(),
            event.slot.clinic_id.as_str(),
            day,
            seq,
            kind.name(),
            event.slot.dentist_id.as_str(),
            to_ms(event.slot.start),
            to_ms(event.slot_end),
            to_ms(event.occurred_at),
        ])
        .db()?;
    Ok(())
}
