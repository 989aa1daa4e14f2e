-- DentiSmile embedded store, schema version 1: clinics, slots, appointments, idempotency keys
-- and the outbox. The layout mirrors the ScyllaDB tables: slots are keyed by their partition
-- (clinic_id, day) and clustered by (dentist_id, start_ms).
--
-- Instants are INTEGER milliseconds since the Unix epoch, UTC. `day` is the slot's local date in
-- Europe/Stockholm, 'YYYY-MM-DD'. Tables are STRICT so a wrong type is an error, not a surprise.

-- Facts about this store. `store_id` is random per store: event cursors carry it, so a cursor
-- from another store (say, after the data directory was replaced) is refused, never misread.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(8))));

CREATE TABLE clinics (
    clinic_id     TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    neighbourhood TEXT NOT NULL,
    address       TEXT NOT NULL,
    latitude      REAL NOT NULL,
    longitude     REAL NOT NULL,
    -- ISO weekday number and hours, e.g. '1 08:00-17:00;2 08:00-17:00'; empty when never open.
    opening_hours TEXT NOT NULL
) STRICT;

CREATE TABLE dentists (
    clinic_id  TEXT NOT NULL REFERENCES clinics (clinic_id),
    dentist_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (clinic_id, dentist_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE slots (
    clinic_id      TEXT    NOT NULL,
    day            TEXT    NOT NULL,
    dentist_id     TEXT    NOT NULL,
    start_ms       INTEGER NOT NULL,
    end_ms         INTEGER NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('free', 'booked', 'withdrawn')),
    -- Set exactly when booked: the appointment, its patient and the client's idempotency key.
    appointment_id TEXT,
    patient_id     TEXT,
    booking_key    TEXT,
    updated_ms     INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, day, dentist_id, start_ms),
    FOREIGN KEY (clinic_id, dentist_id) REFERENCES dentists (clinic_id, dentist_id),
    CHECK (end_ms > start_ms),
    CHECK ((state = 'booked') = (appointment_id IS NOT NULL)),
    CHECK ((state = 'booked') = (patient_id IS NOT NULL)),
    CHECK ((state = 'booked') = (booking_key IS NOT NULL))
) STRICT, WITHOUT ROWID;

CREATE TABLE appointments (
    appointment_id      TEXT PRIMARY KEY,
    patient_id          TEXT    NOT NULL,
    patient_name        TEXT    NOT NULL,
    clinic_id           TEXT    NOT NULL,
    day                 TEXT    NOT NULL,
    dentist_id          TEXT    NOT NULL,
    start_ms            INTEGER NOT NULL,
    end_ms              INTEGER NOT NULL,
    reason              TEXT,
    booked_ms           INTEGER NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('booked', 'cancelled')),
    cancelled_ms        INTEGER,
    cancelled_by        TEXT CHECK (cancelled_by IN ('patient', 'clinic')),
    cancellation_reason TEXT,
    CHECK ((status = 'cancelled') = (cancelled_ms IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_by IS NOT NULL))
) STRICT;
-- A patient's appointments in start order.
CREATE INDEX appointments_by_patient ON appointments (patient_id, start_ms, appointment_id);
-- A partition's appointments, for schedules.
CREATE INDEX appointments_by_partition ON appointments (clinic_id, day);
-- The last line of defence against double booking: one live appointment per slot.
CREATE UNIQUE INDEX one_live_appointment_per_slot
    ON appointments (clinic_id, dentist_id, start_ms) WHERE status = 'booked';

-- What a patient's idempotency key booked; forgotten after `expires_ms`.
CREATE TABLE idempotency_keys (
    patient_id      TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    appointment_id  TEXT    NOT NULL REFERENCES appointments (appointment_id),
    expires_ms      INTEGER NOT NULL,
    PRIMARY KEY (patient_id, idempotency_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_ms);

-- The last event sequence number of each partition.
CREATE TABLE partition_heads (
    clinic_id TEXT    NOT NULL,
    day       TEXT    NOT NULL,
    last_seq  INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, day)
) STRICT, WITHOUT ROWID;

-- Every slot change, in commit order. AUTOINCREMENT: positions are never reused, and since one
-- writer commits in order, a reader that has seen position N never later finds a new row below
-- it. That is what makes `position` a safe resumable cursor.
CREATE TABLE outbox (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL UNIQUE,
    clinic_id   TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('published', 'booked', 'released', 'withdrawn')),
    dentist_id  TEXT    NOT NULL,
    slot_start_ms INTEGER NOT NULL,
    slot_end_ms   INTEGER NOT NULL,
    occurred_ms INTEGER NOT NULL,
    UNIQUE (clinic_id, day, seq)
) STRICT;
