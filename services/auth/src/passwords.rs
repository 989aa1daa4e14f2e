//! Password hashing with argon2id at OWASP's recommended parameters.
//!
//! Hashing is deliberately expensive (19 MiB of memory and two passes per attempt), so it runs
//! on the blocking thread pool, never on an async worker, and at most a few hashes run at once:
//! without that bound a burst of sign-ins would take gigabytes of memory.

use std::sync::{Arc, OnceLock};

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash as Phc},
};
use dentismile_domain::accounts::PasswordHash;
use tokio::sync::Semaphore;

/// OWASP Password Storage Cheat Sheet, argon2id option 1: m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longest accepted password; longer input only costs hashing time.
pub const MAX_PASSWORD_LEN: usize = 128;

/// Why hashing failed (never because of the password's content).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes and verifies passwords.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    decoy: Arc<OnceLock<String>>,
}

impl PasswordHasher {
    /// A hasher that runs at most one hash per CPU core at a time.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            decoy: Arc::new(OnceLock::new()),
        }
    }

    fn argon2() -> Argon2<'static> {
        let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
            .expect("the OWASP parameters are valid argon2 parameters");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes a password with a fresh random salt, into a PHC string.
    pub async fn hash(&self, password: &str) -> Result<PasswordHash, HashError> {
        let password = password.to_string();
        self.run(move || {
            Self::argon2()
                .hash_password(password.as_bytes())
                .map(|hash| PasswordHash::from_phc(hash.to_string()))
                .map_err(|e| HashError(e.to_string()))
        })
        .await?
    }

    /// Whether `password` matches `hash`. A hash that cannot be parsed matches nothing.
    pub async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, HashError> {
        let password = password.to_string();
        let hash = hash.as_str().to_string();
        self.run(move || {
            let Ok(parsed) = Phc::new(&hash) else {
                return false;
            };
            Self::argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .await
    }

    /// Spends the same effort as verifying a real password and answers `false`. Used when the
    /// email is unknown, so response times do not reveal which emails have accounts.
    pub async fn verify_decoy(&self, password: &str) -> Result<bool, HashError> {
        let decoy = match self.decoy.get() {
            Some(decoy) => decoy.clone(),
            None => {
                let made = self.hash("decoy password that matches nothing").await?;
                self.decoy.get_or_init(|| made.as_str().to_string()).clone()
            }
        };
        self.verify(password, &PasswordHash::from_phc(decoy))
            .await?;
        Ok(false)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError("the hasher is shut down".to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError(e.to_string()))
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_salted_argon2id_at_owasp_parameters() {
        let hasher = PasswordHasher::new();
        let first = hasher.hash("correct horse battery").await.unwrap();
        let second = hasher.hash("correct horse battery").await.unwrap();
        assert_ne!(first, second, "each hash has its own salt");
        assert!(
            first
                .as_str()
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            first.as_str()
        );
        assert!(
            hasher
                .verify("correct horse battery", &first)
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("correct horse battery!", &first)
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("x", &PasswordHash::from_phc("garbage".into()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify_decoy("anything at all").await.unwrap());
    }
}
