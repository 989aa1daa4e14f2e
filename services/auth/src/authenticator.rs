//! The auth use cases: register, sign in, refresh, sign out, who am I, staff accounts.
//!
//! A session is one sign-in. Its refresh token rotates on every use; presenting a spent token
//! ends the session (someone replayed it). Access tokens carry the session id, and ended
//! sessions are published to verifiers (see [`Authenticator::revoked_since`]) so that signing out
//! stops the access token too, not only the refresh token.

use std::{sync::Arc, time::Instant};

use dentismile_domain::{
    accounts::{
        Account, CreateAccountOutcome, Email, NewSession, RefreshRotation, RevokedSession, Role,
        RotateOutcome, SessionId,
    },
    error::{AtField, ValidationError},
    ids::{ClinicId, DentistId, UserId},
    jiff::{SignedDuration, Timestamp},
    ports::Store,
    text::DisplayName,
    time::add_saturating,
};
use tokio::sync::Notify;

use crate::{
    error::AuthError,
    passwords::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, PasswordHasher},
    rate_limit::{Quota, RateLimiter},
    refresh,
    tokens::{ACCESS_TOKEN_LIFETIME, AccessClaims, TokenSigner, TokenVerifier},
};

/// Settings of the auth use cases.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    /// Sign-in attempts per account.
    pub login_per_account: Quota,
    /// Sign-in attempts per client address.
    pub login_per_address: Quota,
    /// Registrations per client address.
    pub register_per_address: Quota,
    /// Registration attempts per email: probing which emails have accounts, or hammering
    /// one, is slowed even when spread over addresses.
    pub register_per_account: Quota,
    /// How long a refresh token lives unless rotated first.
    pub refresh_token_lifetime: SignedDuration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        use std::time::Duration;
        Self {
            // Ten guesses per account per 15 minutes stops online guessing cold while a person
            // who mistypes a few times never notices.
            login_per_account: Quota::per(10, Duration::from_secs(15 * 60)),
            // Addresses are shared (offices, mobile carriers), so this one is looser.
            login_per_address: Quota::per(100, Duration::from_secs(60)),
            register_per_address: Quota::per(20, Duration::from_secs(60 * 60)),
            register_per_account: Quota::per(5, Duration::from_secs(60 * 60)),
            refresh_token_lifetime: SignedDuration::from_hours(30 * 24),
        }
    }
}

/// A signed-in session as handed to the client.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    /// The access token.
    pub access_token: String,
    /// When it expires.
    pub access_expires_at: Timestamp,
    /// The refresh token (shown once).
    pub refresh_token: String,
    /// When it expires.
    pub refresh_expires_at: Timestamp,
    /// Who signed in.
    pub account: Account,
}

/// A staff account to create.
#[derive(Debug, Clone)]
pub struct StaffRequest {
    /// Sign-in email.
    pub email: String,
    /// Initial password.
    pub password: String,
    /// Display name.
    pub display_name: String,
    /// Dentist, clinic admin or admin.
    pub role: Option<Role>,
    /// Clinic (empty for admins).
    pub clinic_id: String,
    /// Dentist record (dentists only).
    pub dentist_id: String,
}

/// The auth core.
#[derive(Debug)]
pub struct Authenticator {
    store: Arc<dyn Store>,
    clock: Arc<dyn dentismile_domain::scheduler::ClockDebug>,
    hasher: PasswordHasher,
    signer: TokenSigner,
    settings: AuthSettings,
    login_by_account: RateLimiter,
    login_by_address: RateLimiter,
    register_by_address: RateLimiter,
    register_by_account: RateLimiter,
    revoked: Notify,
}

impl Authenticator {
    /// An authenticator over `store`, signing with `signer`.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn dentismile_domain::scheduler::ClockDebug>,
        signer: TokenSigner,
        settings: AuthSettings,
    ) -> Self {
        Self {
            store,
            clock,
            hasher: PasswordHasher::new(),
            signer,
            login_by_account: RateLimiter::new(settings.login_per_account),
            login_by_address: RateLimiter::new(settings.login_per_address),
            register_by_address: RateLimiter::new(settings.register_per_address),
            register_by_account: RateLimiter::new(settings.register_per_account),
            settings,
            revoked: Notify::new(),
        }
    }

    /// Verifies the tokens this authenticator signs.
    pub fn verifier(&self) -> TokenVerifier {
        self.signer.verifier()
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Registers a patient and signs them in.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
        client: &str,
    ) -> Result<IssuedSession, AuthError> {
        limit(
            &self.register_by_address,
            client,
            "registrations from this address",
        )?;
        let email = Email::parse(email).at_field("email")?;
        limit(
            &self.register_by_account,
            email.as_str(),
            "registration attempts for this email",
        )?;
        check_password(password)?;
        let display_name = DisplayName::parse(display_name).at_field("display_name")?;
        let account = Account {
            id: UserId::random(),
            email,
            display_name,
            role: Role::Patient,
            clinic_id: None,
            dentist_id: None,
            password_hash: self.hash(password).await?,
            created_at: self.now(),
        };
        match self.store.create_account(&account).await? {
            CreateAccountOutcome::Created => {
                tracing::info!(user_id = %account.id, "patient registered");
                self.start_session(account).await
            }
            CreateAccountOutcome::EmailTaken => Err(AuthError::EmailTaken),
        }
    }

    /// Signs in with email and password.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: &str,
    ) -> Result<IssuedSession, AuthError> {
        limit(
            &self.login_by_address,
            client,
            "sign-in attempts from this address",
        )?;
        let email = Email::parse(email).at_field("email")?;
        if password.is_empty() {
            return Err(ValidationError::new("password", "must not be empty").into());
        }
        limit(
            &self.login_by_account,
            email.as_str(),
            "sign-in attempts for this account",
        )?;
        let Some(account) = self.store.account_by_email(&email).await? else {
            // Spend the same time as a real check, so timing does not reveal unknown emails.
            self.hasher
                .verify_decoy(password)
                .await
                .map_err(|e| AuthError::Internal(e.to_string()))?;
            return Err(AuthError::WrongCredentials);
        };
        let matches = self
            .hasher
            .verify(password, &account.password_hash)
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        if !matches {
            return Err(AuthError::WrongCredentials);
        }
        self.start_session(account).await
    }

    /// Exchanges a refresh token for a new session state.
    pub async fn refresh(&self, refresh_token: &str) -> Result<IssuedSession, AuthError> {
        let presented = refresh::hash_presented(refresh_token).at_field("refresh_token")?;
        let next = refresh::mint().map_err(|e| AuthError::Internal(e.to_string()))?;
        let now = self.now();
        let next_expires_at = add_saturating(now, self.settings.refresh_token_lifetime);
        let rotation = RefreshRotation {
            presented,
            next: next.hash,
            next_expires_at,
            at: now,
        };
        match self.store.rotate_refresh_token(&rotation).await? {
            RotateOutcome::Rotated {
                session_id,
                user_id,
            } => {
                let account = self
                    .store
                    .account(&user_id)
                    .await?
                    .ok_or(AuthError::SessionEnded)?;
                Ok(self.issue(account, session_id, next.text, next_expires_at))
            }
            RotateOutcome::Reused { session_id } => {
                tracing::warn!(%session_id, "a spent refresh token was presented again; session revoked");
                self.revoked.notify_waiters();
                Err(AuthError::SessionEnded)
            }
            RotateOutcome::Invalid => Err(AuthError::SessionEnded),
        }
    }

    /// Ends the session of a refresh token; returns it, or `None` for an unknown token.
    pub async fn logout(&self, refresh_token: &str) -> Result<Option<SessionId>, AuthError> {
        let token = refresh::hash_presented(refresh_token).at_field("refresh_token")?;
        let ended = self.store.end_session(&token, self.now()).await?;
        if ended.is_some() {
            self.revoked.notify_waiters();
        }
        Ok(ended)
    }

    /// The account behind verified claims.
    pub async fn who_am_i(&self, claims: &AccessClaims) -> Result<Account, AuthError> {
        self.store
            .account(&claims.user_id)
            .await?
            .ok_or_else(|| AuthError::Unauthenticated("the account no longer exists".to_string()))
    }

    /// Creates a staff account: admins any role; clinic admins dentists of their own clinic.
    pub async fn create_staff(
        &self,
        caller: &AccessClaims,
        request: StaffRequest,
    ) -> Result<Account, AuthError> {
        let email = Email::parse(&request.email).at_field("email")?;
        check_password(&request.password)?;
        let display_name = DisplayName::parse(&request.display_name).at_field("display_name")?;
        let role = match request.role {
            Some(role @ (Role::Dentist | Role::ClinicAdmin | Role::Admin)) => role,
            Some(Role::Patient) => {
                return Err(ValidationError::new(
                    "role",
                    "patients register themselves; choose dentist, clinic admin or admin",
                )
                .into());
            }
            None => return Err(ValidationError::new("role", "is required").into()),
        };
        let clinic_id = optional_id(&request.clinic_id, ClinicId::parse).at_field("clinic_id")?;
        let dentist_id =
            optional_id(&request.dentist_id, DentistId::parse).at_field("dentist_id")?;
        Account::check_role_fields(role, clinic_id.as_ref(), dentist_id.as_ref())?;
        let allowed = match caller.role {
            Role::Admin => true,
            Role::ClinicAdmin => role == Role::Dentist && clinic_id == caller.clinic_id,
            Role::Patient | Role::Dentist => false,
        };
        if !allowed {
            return Err(AuthError::PermissionDenied(format!(
                "a {} may not create {role} accounts{}",
                caller.role,
                clinic_id
                    .as_ref()
                    .map(|c| format!(" for clinic '{c}'"))
                    .unwrap_or_default()
            )));
        }
        if let Some(clinic) = &clinic_id {
            if self.store.clinic(clinic).await?.is_none() {
                return Err(AuthError::NotFound {
                    field: "clinic_id",
                    message: format!("no clinic '{clinic}'"),
                });
            }
            if let Some(dentist) = &dentist_id {
                let dentists = self.store.dentists(clinic).await?;
                if !dentists.iter().any(|d| &d.id == dentist) {
                    return Err(AuthError::NotFound {
                        field: "dentist_id",
                        message: format!("no dentist '{dentist}' at clinic '{clinic}'"),
                    });
                }
            }
        }
        let account = Account {
            id: UserId::random(),
            email,
            display_name,
            role,
            clinic_id,
            dentist_id,
            password_hash: self.hash(&request.password).await?,
            created_at: self.now(),
        };
        match self.store.create_account(&account).await? {
            CreateAccountOutcome::Created => Ok(account),
            CreateAccountOutcome::EmailTaken => Err(AuthError::EmailTaken),
        }
    }

    /// Creates an account unless its email exists (then returns the existing one). For demo data
    /// and bootstrapping the first admin: no caller, no rate limit.
    pub async fn provision(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
        role: Role,
        clinic_id: Option<ClinicId>,
        dentist_id: Option<DentistId>,
    ) -> Result<Account, AuthError> {
        let email = Email::parse(email).at_field("email")?;
        if let Some(existing) = self.store.account_by_email(&email).await? {
            return Ok(existing);
        }
        check_password(password)?;
        Account::check_role_fields(role, clinic_id.as_ref(), dentist_id.as_ref())?;
        let account = Account {
            id: UserId::random(),
            email: email.clone(),
            display_name: DisplayName::parse(display_name).at_field("display_name")?,
            role,
            clinic_id,
            dentist_id,
            password_hash: self.hash(password).await?,
            created_at: self.now(),
        };
        match self.store.create_account(&account).await? {
            CreateAccountOutcome::Created => Ok(account),
            // Someone created it between the read and the write: theirs stands.
            CreateAccountOutcome::EmailTaken => self
                .store
                .account_by_email(&email)
                .await?
                .ok_or(AuthError::EmailTaken),
        }
    }

    /// Sessions ended at or after `since` (no earlier than one access-token lifetime ago).
    pub async fn revoked_since(
        &self,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<RevokedSession>, AuthError> {
        let oldest_relevant = add_saturating(self.now(), -ACCESS_TOKEN_LIFETIME);
        Ok(self
            .store
            .revoked_sessions_since(since.max(oldest_relevant), limit)
            .await?)
    }

    /// Resolves when this replica ends a session; watchers then read [`Self::revoked_since`].
    pub async fn session_ended(&self) {
        self.revoked.notified().await;
    }

    async fn start_session(&self, account: Account) -> Result<IssuedSession, AuthError> {
        let token = refresh::mint().map_err(|e| AuthError::Internal(e.to_string()))?;
        let now = self.now();
        let expires_at = add_saturating(now, self.settings.refresh_token_lifetime);
        let session_id = SessionId::random();
        self.store
            .start_session(&NewSession {
                session_id,
                user_id: account.id,
                refresh_token: token.hash,
                refresh_expires_at: expires_at,
                at: now,
            })
            .await?;
        Ok(self.issue(account, session_id, token.text, expires_at))
    }

    fn issue(
        &self,
        account: Account,
        session_id: SessionId,
        refresh_token: String,
        refresh_expires_at: Timestamp,
    ) -> IssuedSession {
        let now = self.now();
        let claims = AccessClaims {
            user_id: account.id,
            session_id,
            role: account.role,
            clinic_id: account.clinic_id.clone(),
            dentist_id: account.dentist_id.clone(),
            name: account.display_name.clone(),
            issued_at: now,
            expires_at: add_saturating(now, ACCESS_TOKEN_LIFETIME),
        };
        IssuedSession {
            access_token: self.signer.sign(&claims),
            access_expires_at: claims.expires_at,
            refresh_token,
            refresh_expires_at,
            account,
        }
    }

    async fn hash(
        &self,
        password: &str,
    ) -> Result<dentismile_domain::accounts::PasswordHash, AuthError> {
        self.hasher
            .hash(password)
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))
    }
}

fn limit(limiter: &RateLimiter, key: &str, what: &'static str) -> Result<(), AuthError> {
    limiter
        .check(key, Instant::now())
        .map_err(|retry_after| AuthError::RateLimited { what, retry_after })
}

fn check_password(password: &str) -> Result<(), ValidationError> {
    let length = password.chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&length) {
        return Err(ValidationError::new(
            "password",
            format!("must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters, got {length}"),
        ));
    }
    Ok(())
}

fn optional_id<T>(
    value: &str,
    parse: fn(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse(value).map(Some)
    }
}
