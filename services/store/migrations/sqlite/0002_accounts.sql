-- Schema version 2: accounts, sessions and refresh tokens.

CREATE TABLE accounts (
    user_id       TEXT PRIMARY KEY,
    -- Lowercase; unique, so two sign-ups with one address cannot both succeed.
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('patient', 'dentist', 'clinic_admin', 'admin')),
    clinic_id     TEXT,
    dentist_id    TEXT,
    created_ms    INTEGER NOT NULL,
    CHECK ((role IN ('dentist', 'clinic_admin')) = (clinic_id IS NOT NULL)),
    CHECK ((role = 'dentist') = (dentist_id IS NOT NULL))
) STRICT;

-- One sign-in. Revoked by logout, or when a spent refresh token is presented again.
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES accounts (user_id),
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
) STRICT;
CREATE INDEX sessions_by_revocation ON sessions (revoked_ms) WHERE revoked_ms IS NOT NULL;

-- Refresh tokens are stored as SHA-256 hashes only. `spent_ms` is set when the token was
-- exchanged for its successor; presenting a spent token again revokes the session.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT    NOT NULL REFERENCES sessions (session_id),
    expires_ms INTEGER NOT NULL,
    spent_ms   INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);
