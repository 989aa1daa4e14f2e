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
use dentismile_domain::{
    accounts::{Role, SessionId},
    ids::UserId,
    jiff::Timestamp,
    text::DisplayName,
};

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
    pub fn issue(&self, number: u64) -> anyhow::Result<String> {
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
        Ok(self.signer.sign(&claims))
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
        let claims = system
            .verifier()
            .verify(&tokens.issue(7).unwrap(), Timestamp::now())
            .unwrap();
        assert_eq!(claims.role, Role::Patient);
        assert_eq!(claims.name.to_string(), "Stress Patient 7");
    }
}
