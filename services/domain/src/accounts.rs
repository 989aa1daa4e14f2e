//! Accounts and sessions: who can sign in, in which role, and the refresh tokens that keep a
//! session alive. Password hashing and token signing are the auth service's; this module holds
//! the values and rules every store must keep.

use std::fmt;

use jiff::Timestamp;

use crate::{
    error::ValidationError,
    ids::{ClinicId, DentistId, UserId},
    text::DisplayName,
};

/// A sign-in email: trimmed, lowercase, at most 254 characters, `local@domain.tld`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Longest email (RFC 5321's path limit).
    pub const MAX_LEN: usize = 254;

    /// Parses an email address. The check is deliberately simple (one `@`, something on each
    /// side, a dot in the domain, no spaces or control characters): the real test of an address
    /// is mail reaching it.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(ValidationError::value("must not be empty"));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(ValidationError::value(format!(
                "must be at most {} characters",
                Self::MAX_LEN
            )));
        }
        let invalid = || ValidationError::value(format!("'{value}' is not an email address"));
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let well_formed = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if !well_formed {
            return Err(invalid());
        }
        Ok(Self(value.to_lowercase()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Books and cancels their own appointments.
    Patient,
    /// Works at one clinic as one dentist.
    Dentist,
    /// Runs one clinic.
    ClinicAdmin,
    /// Runs the system.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Self::Patient, Self::Dentist, Self::ClinicAdmin, Self::Admin];

    /// `patient`, `dentist`, `clinic_admin` or `admin`: the stored and token name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Dentist => "dentist",
            Self::ClinicAdmin => "clinic_admin",
            Self::Admin => "admin",
        }
    }

    /// Parses a stored or token name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.name() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

crate::ids::uuid_id!(
    /// A session: one sign-in, kept alive by rotating refresh tokens until logout.
    SessionId,
    new_v4
);

/// A password hash in PHC string form (`$argon2id$v=19$m=...`). Opaque here.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string made by the auth service (or read from a store).
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print hashes into logs.
        f.write_str("PasswordHash(..)")
    }
}

/// The hash of a refresh token (hex SHA-256). Only hashes are stored, so a leaked store does
/// not leak live sessions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefreshTokenHash(String);

impl RefreshTokenHash {
    /// Wraps a hash computed by the auth service.
    pub fn from_hex(hex: String) -> Self {
        Self(hex)
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id; for a patient also the patient id on appointments.
    pub id: UserId,
    /// Sign-in email, unique.
    pub email: Email,
    /// Shown on schedules and greetings.
    pub display_name: DisplayName,
    /// What the account may do.
    pub role: Role,
    /// The clinic of a dentist or clinic admin.
    pub clinic_id: Option<ClinicId>,
    /// The dentist record of a dentist.
    pub dentist_id: Option<DentistId>,
    /// The password's hash.
    pub password_hash: PasswordHash,
    /// When it was created.
    pub created_at: Timestamp,
}

impl Account {
    /// Checks that the role and the clinic fields agree: dentists have a clinic and a dentist
    /// record, clinic admins a clinic only, patients and admins neither. Errors name
    /// `clinic_id` or `dentist_id`.
    pub fn check_role_fields(
        role: Role,
        clinic_id: Option<&ClinicId>,
        dentist_id: Option<&DentistId>,
    ) -> Result<(), ValidationError> {
        let (needs_clinic, needs_dentist) = match role {
            Role::Patient | Role::Admin => (false, false),
            Role::Dentist => (true, true),
            Role::ClinicAdmin => (true, false),
        };
        match (needs_clinic, clinic_id.is_some()) {
            (true, false) => {
                return Err(ValidationError::new(
                    "clinic_id",
                    format!("a {role} account needs a clinic"),
                ));
            }
            (false, true) => {
                return Err(ValidationError::new(
                    "clinic_id",
                    format!("a {role} account has no clinic"),
                ));
            }
            _ => {}
        }
        match (needs_dentist, dentist_id.is_some()) {
            (true, false) => Err(ValidationError::new(
                "dentist_id",
                "a dentist account needs the dentist record it works as",
            )),
            (false, true) => Err(ValidationError::new(
                "dentist_id",
                format!("a {role} account has no dentist record"),
            )),
            _ => Ok(()),
        }
    }
}

/// A new session with its first refresh token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The session.
    pub session_id: SessionId,
    /// Whose.
    pub user_id: UserId,
    /// The first refresh token's hash.
    pub refresh_token: RefreshTokenHash,
    /// When that token expires.
    pub refresh_expires_at: Timestamp,
    /// When.
    pub at: Timestamp,
}

/// Exchange one refresh token for the next.
#[derive(Debug, Clone)]
pub struct RefreshRotation {
    /// The token presented.
    pub presented: RefreshTokenHash,
    /// The token to issue in its place.
    pub next: RefreshTokenHash,
    /// When the next token expires.
    pub next_expires_at: Timestamp,
    /// When.
    pub at: Timestamp,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The token was current: it is spent and `next` is now the session's token.
    Rotated {
        /// The session.
        session_id: SessionId,
        /// Whose.
        user_id: UserId,
    },
    /// The token was already spent: someone replayed it. The whole session is revoked, so
    /// whoever stole it and the rightful owner both have to sign in again.
    Reused {
        /// The revoked session.
        session_id: SessionId,
    },
    /// Unknown, expired, or its session has ended.
    Invalid,
}

/// What creating an account did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateAccountOutcome {
    /// Created.
    Created,
    /// The email belongs to another account; nothing was written.
    EmailTaken,
}

/// A session that ended (logout or detected reuse), so its access tokens stop working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedSession {
    /// The session.
    pub session_id: SessionId,
    /// When it ended.
    pub revoked_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_sanity_checked() {
        assert_eq!(
            Email::parse("  Anna@Example.SE ").unwrap().as_str(),
            "anna@example.se"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.se",
            "anna@example",
            "an na@x.se",
            "a@b@c.se",
            "a@.se",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@x.se", "a".repeat(250))).is_err());
    }

    #[test]
    fn role_fields_must_agree() {
        let clinic = ClinicId::parse("majorna").unwrap();
        let dentist = DentistId::parse("dr-a").unwrap();
        assert!(Account::check_role_fields(Role::Patient, None, None).is_ok());
        assert!(Account::check_role_fields(Role::Dentist, Some(&clinic), Some(&dentist)).is_ok());
        assert!(Account::check_role_fields(Role::ClinicAdmin, Some(&clinic), None).is_ok());
        assert_eq!(
            Account::check_role_fields(Role::Dentist, Some(&clinic), None)
                .unwrap_err()
                .field(),
            "dentist_id"
        );
        assert_eq!(
            Account::check_role_fields(Role::Patient, Some(&clinic), None)
                .unwrap_err()
                .field(),
            "clinic_id"
        );
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
    }

    #[test]
    fn hashes_never_print() {
        let hash = PasswordHash::from_phc("$argon2id$secret".to_string());
        assert_eq!(format!("{hash:?}"), "PasswordHash(..)");
    }
}
