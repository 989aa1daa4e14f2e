//! Accounts and sessions on ScyllaDB.
//!
//! - An email belongs to one account through `INSERT ... IF NOT EXISTS` on `users_by_email`,
//!   the account's authoritative row. The id-to-email lookup is written first and checked
//!   against it when read, so a lost sign-up leaves nothing visible.
//! - A session is one row whose `current_token` is the only refresh token that may be spent
//!   next; rotating is a lightweight transaction on it, so of two concurrent refreshes with one
//!   token exactly one succeeds and the other is seen as a replay.
//! - Revocations are listed by UTC day for token verifiers.

use std::ops::ControlFlow;

use dentismile_domain::{
    accounts::{
        Account, CreateAccountOutcome, Email, NewSession, RefreshRotation, RefreshTokenHash,
        RevokedSession, RotateOutcome, SessionId,
    },
    ids::{ClinicId, DentistId, UserId},
    jiff::{Timestamp, tz::TimeZone},
    ports::StoreError,
    time::LocalDay,
};

use super::{
    ScyllaStore,
    driver_errors::is_unknown_outcome,
    rows::{AccountRow, EmailRow, RevocationDayRow, RevocationRow, SessionRow, TokenRow},
    statements::Cql,
    values::{
        Values, day, from_cql_date, from_cql_timestamp, opt_text, stored_instant, text, timestamp,
        uuid,
    },
};

/// Attempts of one account or session write when its outcome stays unclear.
const MAX_ATTEMPTS: usize = 8;

/// The partition key of the revocation-day list.
const DIRECTORY: &str = "revocations";

/// The UTC day of an instant (revocations are bucketed by it, not by the clinics' local day).
fn utc_day(at: Timestamp) -> LocalDay {
    LocalDay::from_date(TimeZone::UTC.to_datetime(at).date())
}

pub(crate) fn account_claim(account: &Account) -> (Cql, Values) {
    let values = Values::new()
        .value("email", text(account.email.as_str()))
        .value("user_id", uuid(account.id.as_uuid()))
        .value("password_hash", text(account.password_hash.as_str()))
        .value("display_name", text(account.display_name.as_str()))
        .value("account_role", text(account.role.name()))
        .value(
            "clinic_id",
            opt_text(account.clinic_id.as_ref().map(ClinicId::as_str)),
        )
        .value(
            "dentist_id",
            opt_text(account.dentist_id.as_ref().map(DentistId::as_str)),
        )
        .value("created_at", timestamp(account.created_at));
    (Cql::AccountClaim, values)
}

pub(crate) fn session_rotate(rotation: &RefreshRotation, session: SessionId) -> (Cql, Values) {
    let values = Values::new()
        .set("current_token", text(rotation.next.as_str()))
        .set("current_expires_at", timestamp(rotation.next_expires_at))
        .key("session_id", uuid(session.as_uuid()))
        .cond("current_token", text(rotation.presented.as_str()))
        .cond("revoked_at", None);
    (Cql::SessionRotate, values)
}

pub(crate) fn session_revoke(session: SessionId, at: Timestamp) -> (Cql, Values) {
    let values = Values::new()
        .set("revoked_at", timestamp(at))
        .key("session_id", uuid(session.as_uuid()))
        .cond("user_id", None)
        .cond("revoked_at", None);
    (Cql::SessionRevoke, values)
}

fn token_insert(
    token: &RefreshTokenHash,
    session: SessionId,
    expires_at: Timestamp,
) -> (Cql, Values) {
    let values = Values::new()
        .value("token_hash", text(token.as_str()))
        .value("session_id", uuid(session.as_uuid()))
        .value("expires_at", timestamp(expires_at));
    (Cql::TokenInsert, values)
}

/// What a session row says about presenting `presented`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RotateStep {
    /// Unknown session, ended session, or an expired token.
    Invalid,
    /// The token is the session's but not its current one: it was spent before.
    Replayed,
    /// The token is current and unexpired: rotate.
    Attempt { user: UserId },
}

pub(crate) fn decide_rotation(
    session: Option<&SessionRow>,
    rotation: &RefreshRotation,
) -> Result<RotateStep, StoreError> {
    let Some(session) = session else {
        return Ok(RotateStep::Invalid);
    };
    let Some(user) = session.user_id else {
        return Ok(RotateStep::Invalid);
    };
    if session.revoked_at.is_some() {
        return Ok(RotateStep::Invalid);
    }
    if session.current_token.as_deref() != Some(rotation.presented.as_str()) {
        return Ok(RotateStep::Replayed);
    }
    let expires = session
        .current_expires_at
        .map(from_cql_timestamp)
        .transpose()?;
    if expires.is_none_or(|expires| expires <= rotation.at) {
        return Ok(RotateStep::Invalid);
    }
    Ok(RotateStep::Attempt {
        user: UserId::from(user),
    })
}

impl ScyllaStore {
    pub(crate) async fn claim_account(
        &self,
        account: &Account,
    ) -> Result<CreateAccountOutcome, StoreError> {
        let lookup = Values::new()
            .value("user_id", uuid(account.id.as_uuid()))
            .value("email", text(account.email.as_str()));
        self.write(Cql::UserEmailInsert, lookup).await?;
        let mut unknown = None;
        for _ in 0..MAX_ATTEMPTS {
            let owner = match self.cas(vec![account_claim(account)]).await {
                Ok(reply) if reply.applied => return Ok(CreateAccountOutcome::Created),
                // IF NOT EXISTS: the reply carries the whole existing row.
                Ok(reply) => reply.first()?.uuid("user_id")?,
                Err(error) if is_unknown_outcome(&error) => {
                    let owner = match self
                        .select_one::<AccountRow>(
                            &self.statements.account_by_email_serial,
                            Values::new().key("email", text(account.email.as_str())),
                        )
                        .await
                    {
                        Ok(row) => row.map(|row| row.user_id),
                        Err(_) => return Err(error),
                    };
                    unknown = Some(error);
                    match owner {
                        Some(owner) => Some(owner),
                        // Nobody has it: the claim did not apply; try again.
                        None => continue,
                    }
                }
                Err(error) => return Err(error),
            };
            return Ok(if owner == Some(account.id.as_uuid()) {
                CreateAccountOutcome::Created
            } else {
                CreateAccountOutcome::EmailTaken
            });
        }
        Err(unknown.unwrap_or(StoreError::Overloaded))
    }

    pub(crate) async fn find_account_by_email(
        &self,
        email: &Email,
    ) -> Result<Option<Account>, StoreError> {
        self.select_one::<AccountRow>(
            &self.statements.account_by_email,
            Values::new().key("email", text(email.as_str())),
        )
        .await?
        .map(AccountRow::into_account)
        .transpose()
    }

    pub(crate) async fn find_account(&self, id: &UserId) -> Result<Option<Account>, StoreError> {
        let Some(email) = self
            .select_one::<EmailRow>(
                &self.statements.user_email,
                Values::new().key("user_id", uuid(id.as_uuid())),
            )
            .await?
            .and_then(|row| row.email)
        else {
            return Ok(None);
        };
        let Ok(email) = Email::parse(&email) else {
            return Err(StoreError::Corrupt(format!(
                "stored email {email:?} is invalid"
            )));
        };
        // The lookup may belong to a sign-up that lost the email to someone else.
        Ok(self
            .find_account_by_email(&email)
            .await?
            .filter(|account| account.id == *id))
    }

    pub(crate) async fn begin_session(&self, session: &NewSession) -> Result<(), StoreError> {
        // The token first: a session row never names a token that cannot be found.
        let (cql, values) = token_insert(
            &session.refresh_token,
            session.session_id,
            session.refresh_expires_at,
        );
        self.write(cql, values).await?;
        let values = Values::new()
            .value("session_id", uuid(session.session_id.as_uuid()))
            .value("user_id", uuid(session.user_id.as_uuid()))
            .value("created_at", timestamp(session.at))
            .value("current_token", text(session.refresh_token.as_str()))
            .value("current_expires_at", timestamp(session.refresh_expires_at));
        self.write(Cql::SessionInsert, values).await
    }

    async fn token(&self, token: &RefreshTokenHash) -> Result<Option<SessionId>, StoreError> {
        Ok(self
            .select_one::<TokenRow>(
                &self.statements.token,
                Values::new().key("token_hash", text(token.as_str())),
            )
            .await?
            .map(|row| SessionId::from(row.session_id)))
    }

    async fn read_session(
        &self,
        session: SessionId,
        serial: bool,
    ) -> Result<Option<SessionRow>, StoreError> {
        let statement = if serial {
            &self.statements.session_serial
        } else {
            &self.statements.session
        };
        self.select_one::<SessionRow>(
            statement,
            Values::new().key("session_id", uuid(session.as_uuid())),
        )
        .await
    }

    pub(crate) async fn rotate_token(
        &self,
        rotation: &RefreshRotation,
    ) -> Result<RotateOutcome, StoreError> {
        let Some(session_id) = self.token(&rotation.presented).await? else {
            return Ok(RotateOutcome::Invalid);
        };
        let mut serial = false;
        let mut unknown = None;
        for _ in 0..MAX_ATTEMPTS {
            let session = match self.read_session(session_id, serial).await {
                Ok(session) => session,
                Err(error) => return Err(unknown.unwrap_or(error)),
            };
            if unknown.is_some()
                && let Some(row) = &session
                && row.current_token.as_deref() == Some(rotation.next.as_str())
                && let Some(user) = row.user_id
            {
                // The rotation whose outcome was unknown did apply.
                return Ok(RotateOutcome::Rotated {
                    session_id,
                    user_id: UserId::from(user),
                });
            }
            match decide_rotation(session.as_ref(), rotation)? {
                RotateStep::Invalid => return Ok(RotateOutcome::Invalid),
                RotateStep::Replayed => {
                    // Someone presented a spent token: end the session for everyone holding
                    // one of its tokens.
                    self.revoke(session_id, rotation.at).await?;
                    return Ok(RotateOutcome::Reused { session_id });
                }
                RotateStep::Attempt { user } => {
                    let (cql, values) =
                        token_insert(&rotation.next, session_id, rotation.next_expires_at);
                    self.write(cql, values).await?;
                    match self.cas(vec![session_rotate(rotation, session_id)]).await {
                        Ok(reply) if reply.applied => {
                            return Ok(RotateOutcome::Rotated {
                                session_id,
                                user_id: user,
                            });
                        }
                        // Another refresh spent the token first, or the session ended; the
                        // next round reads the session as it is now and decides again.
                        Ok(_) => serial = true,
                        Err(error) if is_unknown_outcome(&error) => {
                            unknown = Some(error);
                            serial = true;
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
        }
        Err(unknown.unwrap_or(StoreError::Overloaded))
    }

    pub(crate) async fn revoke_by_token(
        &self,
        token: &RefreshTokenHash,
        at: Timestamp,
    ) -> Result<Option<SessionId>, StoreError> {
        let Some(session_id) = self.token(token).await? else {
            return Ok(None);
        };
        Ok(self.revoke(session_id, at).await?.then_some(session_id))
    }

    /// Ends a session unless it has ended; false if there is no such session.
    async fn revoke(&self, session: SessionId, at: Timestamp) -> Result<bool, StoreError> {
        let at = stored_instant(at);
        let mut unknown = None;
        for _ in 0..MAX_ATTEMPTS {
            let (exists, revoked_at) = match self.cas(vec![session_revoke(session, at)]).await {
                Ok(reply) if reply.applied => (true, Some(at)),
                Ok(reply) => {
                    let row = reply.first()?;
                    let revoked = row
                        .timestamp("revoked_at")?
                        .map(from_cql_timestamp)
                        .transpose()?;
                    (row.uuid("user_id")?.is_some(), revoked)
                }
                Err(error) if is_unknown_outcome(&error) => {
                    let row = match self.read_session(session, true).await {
                        Ok(row) => row,
                        Err(_) => return Err(error),
                    };
                    unknown = Some(error);
                    match row {
                        None => (false, None),
                        Some(row) => match row.revoked_at {
                            Some(revoked) => (true, Some(from_cql_timestamp(revoked)?)),
                            None => continue,
                        },
                    }
                }
                Err(error) => return Err(error),
            };
            if let Some(revoked_at) = revoked_at {
                // Also when it was revoked before: an earlier call may have died before
                // listing it.
                self.record_revocation(session, revoked_at).await?;
            }
            return Ok(exists);
        }
        Err(unknown.unwrap_or(StoreError::Overloaded))
    }

    async fn record_revocation(&self, session: SessionId, at: Timestamp) -> Result<(), StoreError> {
        let revoked_day = utc_day(at);
        let day_values = Values::new()
            .value("directory", text(DIRECTORY))
            .value("revoked_day", day(revoked_day));
        self.write(Cql::RevocationDayInsert, day_values).await?;
        let values = Values::new()
            .value("revoked_day", day(revoked_day))
            .value("revoked_at", timestamp(at))
            .value("session_id", uuid(session.as_uuid()));
        self.write(Cql::RevocationInsert, values).await
    }

    pub(crate) async fn list_revocations(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<RevokedSession>, StoreError> {
        let mut revoked = Vec::new();
        if limit == 0 {
            return Ok(revoked);
        }
        let mut days = Vec::new();
        let values = Values::new()
            .key("directory", text(DIRECTORY))
            .key("revoked_day", day(utc_day(since)));
        self.scan::<RevocationDayRow>(&self.statements.revocation_days_from, values, |row| {
            days.push(from_cql_date(row.revoked_day)?);
            Ok(ControlFlow::Continue(()))
        })
        .await?;
        for revoked_day in days {
            let values = Values::new()
                .key("revoked_day", day(revoked_day))
                .key("revoked_at", timestamp(since));
            self.scan::<RevocationRow>(&self.statements.revocations_since, values, |row| {
                revoked.push(RevokedSession {
                    session_id: SessionId::from(row.session_id),
                    revoked_at: from_cql_timestamp(row.revoked_at)?,
                });
                Ok(if revoked.len() >= limit {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })
            .await?;
            if revoked.len() >= limit {
                break;
            }
        }
        Ok(revoked)
    }
}

#[cfg(test)]
mod tests {
    use dentismile_domain::{
        accounts::{PasswordHash, Role},
        text::DisplayName,
    };
    use scylla::value::CqlTimestamp;
    use uuid::Uuid;

    use super::*;
    use crate::scylla::{statements::bind_markers, values::to_cql_timestamp};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn rotation() -> RefreshRotation {
        RefreshRotation {
            presented: RefreshTokenHash::from_hex("aa".repeat(32)),
            next: RefreshTokenHash::from_hex("bb".repeat(32)),
            next_expires_at: at("2026-11-25T06:00:00Z"),
            at: at("2026-11-24T06:00:00Z"),
        }
    }

    fn session(current: &str, expires: &str) -> SessionRow {
        SessionRow {
            user_id: Some(Uuid::new_v4()),
            revoked_at: None,
            current_token: Some(current.to_string()),
            current_expires_at: Some(to_cql_timestamp(at(expires))),
        }
    }

    #[test]
    fn account_and_session_writes_bind_every_marker_in_order() {
        let account = Account {
            id: UserId::random(),
            email: Email::parse("anna@example.se").unwrap(),
            display_name: DisplayName::parse("Anna").unwrap(),
            role: Role::Patient,
            clinic_id: None,
            dentist_id: None,
            password_hash: PasswordHash::from_phc("$argon2id$x".into()),
            created_at: at("2026-11-24T06:00:00Z"),
        };
        let session_id = SessionId::random();
        for (cql, values) in [
            account_claim(&account),
            session_rotate(&rotation(), session_id),
            session_revoke(session_id, at("2026-11-24T06:00:00Z")),
            token_insert(&rotation().next, session_id, at("2026-11-25T06:00:00Z")),
        ] {
            assert_eq!(bind_markers(cql.text()), values.names(), "{cql:?}");
        }
        // The revoke condition binds null twice: the session must exist and not have ended.
        let values = session_revoke(session_id, at("2026-11-24T06:00:00Z"))
            .1
            .into_cql();
        assert_eq!(&values[2..], [None, None]);
    }

    #[test]
    fn rotation_decisions_follow_the_session_row() {
        let rotation = rotation();
        let current = "aa".repeat(32);
        assert_eq!(
            decide_rotation(None, &rotation).unwrap(),
            RotateStep::Invalid
        );
        let live = session(&current, "2026-11-25T00:00:00Z");
        assert!(matches!(
            decide_rotation(Some(&live), &rotation).unwrap(),
            RotateStep::Attempt { .. }
        ));
        let spent = session(&"cc".repeat(32), "2026-11-25T00:00:00Z");
        assert_eq!(
            decide_rotation(Some(&spent), &rotation).unwrap(),
            RotateStep::Replayed
        );
        let expired = session(&current, "2026-11-24T06:00:00Z");
        assert_eq!(
            decide_rotation(Some(&expired), &rotation).unwrap(),
            RotateStep::Invalid
        );
        let ended = SessionRow {
            revoked_at: Some(CqlTimestamp(0)),
            ..live
        };
        assert_eq!(
            decide_rotation(Some(&ended), &rotation).unwrap(),
            RotateStep::Invalid
        );
    }

    #[test]
    fn revocations_are_bucketed_by_utc_day() {
        // 23:30 UTC is already the next day in Stockholm; revocations use UTC days.
        assert_eq!(
            utc_day(at("2026-11-24T23:30:00Z")).to_string(),
            "2026-11-24"
        );
        assert_eq!(
            utc_day(at("2026-11-25T00:00:00Z")).to_string(),
            "2026-11-25"
        );
    }
}
