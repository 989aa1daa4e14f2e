//! Accounts and sessions in the embedded store. Writes run on the writer thread like every
//! other write, so each is one transaction with its condition.

use dentismile_domain::{
    accounts::{
        Account, CreateAccountOutcome, Email, NewSession, PasswordHash, RefreshRotation,
        RefreshTokenHash, RevokedSession, Role, RotateOutcome, SessionId,
    },
    ids::{ClinicId, DentistId, UserId},
    jiff::Timestamp,
    ports::StoreError,
    text::DisplayName,
};
use rusqlite::{Connection, Row, params};

use super::{
    DbResult,
    rows::{from_ms, get, query_all, query_first, to_ms},
};
use crate::decode::{corrupt, parsed};

const ACCOUNT_COLUMNS: &str =
    "user_id, email, password_hash, display_name, role, clinic_id, dentist_id, created_ms";

fn account_from_row(row: &Row<'_>) -> Result<Account, StoreError> {
    let id: String = get(row, 0)?;
    let email: String = get(row, 1)?;
    let display_name: String = get(row, 3)?;
    let role: String = get(row, 4)?;
    let clinic: Option<String> = get(row, 5)?;
    let dentist: Option<String> = get(row, 6)?;
    Ok(Account {
        id: parsed("user id", &id, UserId::parse(&id))?,
        email: parsed("email", &email, Email::parse(&email))?,
        password_hash: PasswordHash::from_phc(get(row, 2)?),
        display_name: parsed(
            "display name",
            &display_name,
            DisplayName::parse(&display_name),
        )?,
        role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        clinic_id: clinic
            .map(|id| parsed("clinic id", &id, ClinicId::parse(&id)))
            .transpose()?,
        dentist_id: dentist
            .map(|id| parsed("dentist id", &id, DentistId::parse(&id)))
            .transpose()?,
        created_at: from_ms(get(row, 7)?)?,
    })
}

pub(crate) fn create_account(
    connection: &Connection,
    account: &Account,
) -> Result<CreateAccountOutcome, StoreError> {
    let inserted = connection
        .prepare_cached(&format!(
            "INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (email) DO NOTHING"
        ))
        .db()?
        .execute(params![
            account.id.to_string(),
            account.email.as_str(),
            account.password_hash.as_str(),
            account.display_name.as_str(),
            account.role.name(),
            account.clinic_id.as_ref().map(ClinicId::as_str),
            account.dentist_id.as_ref().map(DentistId::as_str),
            to_ms(account.created_at),
        ])
        .db()?;
    Ok(if inserted == 1 {
        CreateAccountOutcome::Created
    } else {
        CreateAccountOutcome::EmailTaken
    })
}

pub(crate) fn account_where(
    connection: &Connection,
    column: &str,
    value: &str,
) -> Result<Option<Account>, StoreError> {
    query_first(
        connection,
        &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {column} = ?1"),
        [value],
        account_from_row,
    )
}

pub(crate) fn start_session(
    connection: &Connection,
    session: &NewSession,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO sessions (session_id, user_id, created_ms) VALUES (?1, ?2, ?3)",
        )
        .db()?
        .execute(params![
            session.session_id.to_string(),
            session.user_id.to_string(),
            to_ms(session.at)
        ])
        .db()?;
    insert_refresh_token(
        connection,
        &session.refresh_token,
        &session.session_id,
        session.refresh_expires_at,
    )
}

fn insert_refresh_token(
    connection: &Connection,
    token: &RefreshTokenHash,
    session: &SessionId,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO refresh_tokens (token_hash, session_id, expires_ms) VALUES (?1, ?2, ?3)",
        )
        .db()?
        .execute(params![
            token.as_str(),
            session.to_string(),
            to_ms(expires_at)
        ])
        .db()?;
    Ok(())
}

/// A refresh token with its session's state.
struct TokenRow {
    session_id: SessionId,
    user_id: UserId,
    expires_ms: i64,
    spent: bool,
    session_revoked: bool,
}

fn token_row(
    connection: &Connection,
    token: &RefreshTokenHash,
) -> Result<Option<TokenRow>, StoreError> {
    query_first(
        connection,
        "SELECT t.session_id, s.user_id, t.expires_ms, t.spent_ms IS NOT NULL, s.revoked_ms IS NOT NULL
         FROM refresh_tokens t JOIN sessions s ON s.session_id = t.session_id
         WHERE t.token_hash = ?1",
        [token.as_str()],
        |row| {
            let session: String = get(row, 0)?;
            let user: String = get(row, 1)?;
            Ok(TokenRow {
                session_id: parsed("session id", &session, SessionId::parse(&session))?,
                user_id: parsed("user id", &user, UserId::parse(&user))?,
                expires_ms: get(row, 2)?,
                spent: get(row, 3)?,
                session_revoked: get(row, 4)?,
            })
        },
    )
}

pub(crate) fn rotate_refresh_token(
    connection: &Connection,
    rotation: &RefreshRotation,
) -> Result<RotateOutcome, StoreError> {
    let Some(token) = token_row(connection, &rotation.presented)? else {
        return Ok(RotateOutcome::Invalid);
    };
    if token.session_revoked {
        return Ok(RotateOutcome::Invalid);
    }
    if token.spent {
        revoke_session(connection, &token.session_id, rotation.at)?;
        return Ok(RotateOutcome::Reused {
            session_id: token.session_id,
        });
    }
    if token.expires_ms <= to_ms(rotation.at) {
        return Ok(RotateOutcome::Invalid);
    }
    connection
        .prepare_cached("UPDATE refresh_tokens SET spent_ms = ?2 WHERE token_hash = ?1")
        .db()?
        .execute(params![rotation.presented.as_str(), to_ms(rotation.at)])
        .db()?;
    insert_refresh_token(
        connection,
        &rotation.next,
        &token.session_id,
        rotation.next_expires_at,
    )?;
    Ok(RotateOutcome::Rotated {
        session_id: token.session_id,
        user_id: token.user_id,
    })
}

pub(crate) fn end_session(
    connection: &Connection,
    token: &RefreshTokenHash,
    at: Timestamp,
) -> Result<Option<SessionId>, StoreError> {
    let Some(token) = token_row(connection, token)? else {
        return Ok(None);
    };
    if !token.session_revoked {
        revoke_session(connection, &token.session_id, at)?;
    }
    Ok(Some(token.session_id))
}

fn revoke_session(
    connection: &Connection,
    session: &SessionId,
    at: Timestamp,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "UPDATE sessions SET revoked_ms = ?2 WHERE session_id = ?1 AND revoked_ms IS NULL",
        )
        .db()?
        .execute(params![session.to_string(), to_ms(at)])
        .db()?;
    Ok(())
}

pub(crate) fn revoked_sessions_since(
    connection: &Connection,
    since: Timestamp,
    limit: usize,
) -> Result<Vec<RevokedSession>, StoreError> {
    query_all(
        connection,
        "SELECT session_id, revoked_ms FROM sessions WHERE revoked_ms >= ?1
         ORDER BY revoked_ms, session_id LIMIT ?2",
        params![to_ms(since), i64::try_from(limit).unwrap_or(i64::MAX)],
        |row| {
            let session: String = get(row, 0)?;
            Ok(RevokedSession {
                session_id: parsed("session id", &session, SessionId::parse(&session))?,
                revoked_at: from_ms(get(row, 1)?)?,
            })
        },
    )
}
