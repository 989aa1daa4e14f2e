//! Pre-issued patient tokens.
//!
//! Signing in costs an argon2id hash by design (about 19 MiB and tens of milliseconds of one
//! core each, at most one per core at a time), and sign-ins are rate-limited per address: 10,000
//! real logins would take minutes and measure argon2, not booking. So the virtual patients carry
//! access tokens signed with the running system's own key (`<data-dir>/auth-signing.key`),
//! exactly as the auth service would sign them, and the Login row is measured on a sample of
//! real sign-ins.

use std::path::Path;

use dentismile_auth::{AccessClaims, TokenSigner, tokens::ACCESS_TOKEN_LIFETIME};
use dentismile_client::{Session, pb};
use dentismile_domain::{
    accounts::{Role, SessionId},
    ids::UserId,
    jiff::Timestamp,
    text::DisplayName,
};
use serde::{Deserialize, Serialize};

/// Signs patient tokens with a system's key.
pub struct PatientTokens {
    signer: TokenSigner,
}

impl PatientTokens {
    /// Loads the key of a running system. Never creates one: a fresh key would sign tokens the
    /// system refuses.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        if !path.is_file() {
            anyhow::bail!(
                "--signing-key: {} does not exist; pass <data-dir>/auth-signing.key of the running system",
                path.display()
            );
        }
        Ok(Self {
            signer: TokenSigner::load_or_create(path)?,
        })
    }

    /// A token for a new patient, valid for the usual access-token lifetime from now.
    pub fn issue(&self, number: u64) -> anyhow::Result<IssuedToken> {
        let now = Timestamp::now();
        let claims = AccessClaims {
            user_id: UserId::random(),
            session_id: SessionId::random(),
            role: Role::Patient,
            clinic_id: None,
            dentist_id: None,
            name: DisplayName::parse(&format!("Stress Patient {number}"))
                .map_err(|e| anyhow::anyhow!("{}", e.message()))?,
            issued_at: now,
            expires_at: now + ACCESS_TOKEN_LIFETIME,
        };
        Ok(IssuedToken {
            access_token: self.signer.sign(&claims),
            expires_at_s: claims.expires_at.as_second(),
            user_id: claims.user_id.to_string(),
            display_name: claims.name.to_string(),
        })
    }
}

/// A pre-issued token with what a client session needs to know of it; travels to the workers
/// in their spec files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedToken {
    /// The signed access token.
    pub access_token: String,
    /// When it expires, seconds since the epoch.
    pub expires_at_s: i64,
    /// The patient it was issued to.
    pub user_id: String,
    /// The patient's name in it.
    pub display_name: String,
}

impl IssuedToken {
    /// A client session carrying this token. It has no refresh token: a run is shorter than the
    /// token's life (the plan refuses longer ones).
    pub fn session(&self) -> anyhow::Result<Session> {
        Ok(Session {
            access_token: self.access_token.clone(),
            access_expires_at: Timestamp::from_second(self.expires_at_s)?,
            refresh_token: String::new(),
            account: pb::Account {
                user_id: self.user_id.clone(),
                display_name: self.display_name.clone(),
                role: pb::Role::Patient.into(),
                ..Default::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_with_the_systems_public_key_and_are_patients() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth-signing.key");
        assert!(
            PatientTokens::load(&path).is_err(),
            "a missing key is an error"
        );
        let system = TokenSigner::load_or_create(&path).unwrap();
        let tokens = PatientTokens::load(&path).unwrap();
        let issued = tokens.issue(7).unwrap();
        let claims = system
            .verifier()
            .verify(&issued.access_token, Timestamp::now())
            .unwrap();
        assert_eq!(claims.role, Role::Patient);
        assert_eq!(claims.name.to_string(), "Stress Patient 7");
        let session = issued.session().unwrap();
        assert_eq!(
            session.access_expires_at.as_second(),
            claims.expires_at.as_second()
        );
        assert_eq!(session.account.user_id, claims.user_id.to_string());
    }
}
