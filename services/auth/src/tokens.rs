//! Access tokens: JSON Web Tokens signed with Ed25519 (`alg: EdDSA`).
//!
//! The auth service signs; the gateway and the other services verify with the public key alone,
//! so verification needs no call and no shared secret. Verification is strict on purpose: the
//! header must say `EdDSA` and name our key id, the signature must verify under the strict
//! Ed25519 rules (no malleable encodings), and the token must be inside its validity window.
//! Tokens last 15 minutes; what must end sooner (logout) is handled by session revocation.

use std::{fs, io, path::Path};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use dentismile_domain::{
    accounts::{Role, SessionId},
    actor::Actor,
    ids::{ClinicId, DentistId, UserId},
    jiff::{SignedDuration, Timestamp},
    text::DisplayName,
};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long an access token is accepted.
pub const ACCESS_TOKEN_LIFETIME: SignedDuration = SignedDuration::from_mins(15);

/// Clock difference between services that verification tolerates.
const LEEWAY: SignedDuration = SignedDuration::from_secs(30);

/// Who a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// The account.
    pub user_id: UserId,
    /// The session the token belongs to; revoked sessions make their tokens useless.
    pub session_id: SessionId,
    /// What the account may do.
    pub role: Role,
    /// The clinic of staff.
    pub clinic_id: Option<ClinicId>,
    /// The dentist record of a dentist.
    pub dentist_id: Option<DentistId>,
    /// Display name, so a booking can record it without a call.
    pub name: DisplayName,
    /// When the token was issued.
    pub issued_at: Timestamp,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
}

impl AccessClaims {
    /// The caller as the booking rules see them.
    pub fn actor(&self) -> Actor {
        match self.role {
            Role::Patient => Actor::Patient {
                id: self.user_id,
                name: self.name.clone(),
            },
            Role::Dentist | Role::ClinicAdmin => match &self.clinic_id {
                Some(clinic_id) => Actor::Staff {
                    id: self.user_id,
                    clinic_id: clinic_id.clone(),
                    dentist_id: self.dentist_id.clone(),
                },
                // Verification refuses staff tokens without a clinic; this arm is unreachable
                // in practice and grants nothing if it is reached.
                None => Actor::Anonymous,
            },
            Role::Admin => Actor::Admin { id: self.user_id },
        }
    }
}

/// Why a token was refused. The message is safe to return to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts of the expected JSON.
    #[error("the access token is malformed")]
    Malformed,
    /// Signed by another key, or with another algorithm.
    #[error("the access token was not issued by this system")]
    UnknownKey,
    /// The signature does not match: the token was altered or forged.
    #[error("the access token's signature is invalid")]
    BadSignature,
    /// Past its expiry.
    #[error("the access token expired at {0}; refresh the session")]
    Expired(Timestamp),
    /// Issued in the future (clocks disagree by more than the leeway).
    #[error("the access token is not valid yet")]
    NotYetValid,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// The JSON claims; names follow RFC 7519 where one exists.
#[derive(Debug, Serialize, Deserialize)]
struct WireClaims {
    sub: String,
    sid: String,
    role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clinic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dentist: Option<String>,
    name: String,
    iat: i64,
    exp: i64,
}

impl WireClaims {
    fn from_claims(claims: &AccessClaims) -> Self {
        Self {
            sub: claims.user_id.to_string(),
            sid: claims.session_id.to_string(),
            role: claims.role.name().to_string(),
            clinic: claims.clinic_id.as_ref().map(ToString::to_string),
            dentist: claims.dentist_id.as_ref().map(ToString::to_string),
            name: claims.name.to_string(),
            iat: claims.issued_at.as_second(),
            exp: claims.expires_at.as_second(),
        }
    }

    fn into_claims(self) -> Option<AccessClaims> {
        let role = Role::parse(&self.role)?;
        let clinic_id = self.clinic.map(|c| ClinicId::parse(&c)).transpose().ok()?;
        let dentist_id = self
            .dentist
            .map(|d| DentistId::parse(&d))
            .transpose()
            .ok()?;
        let staff = matches!(role, Role::Dentist | Role::ClinicAdmin);
        if staff != clinic_id.is_some() || (role == Role::Dentist) != dentist_id.is_some() {
            return None;
        }
        Some(AccessClaims {
            user_id: UserId::parse(&self.sub).ok()?,
            session_id: SessionId::parse(&self.sid).ok()?,
            role,
            clinic_id,
            dentist_id,
            name: DisplayName::parse(&self.name).ok()?,
            issued_at: Timestamp::from_second(self.iat).ok()?,
            expires_at: Timestamp::from_second(self.exp).ok()?,
        })
    }
}

/// The key id of a public key: the first 16 hex digits of its SHA-256.
fn key_id(key: &VerifyingKey) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Errors loading or creating the signing key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("signing key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// The file does not hold a base64url 32-byte Ed25519 seed.
    #[error("signing key file {0} does not hold a base64url-encoded 32-byte Ed25519 seed")]
    Invalid(String),
    /// The operating system's random source failed.
    #[error("no randomness available to create a signing key: {0}")]
    Random(String),
}

/// Signs access tokens. Holds the private key; only the auth service has one.
#[derive(Clone)]
pub struct TokenSigner {
    key: SigningKey,
    key_id: String,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id(&key.verifying_key());
        Self { key, key_id }
    }

    /// A signer with a fresh random key.
    pub fn generate() -> Result<Self, KeyFileError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyFileError::Random(e.to_string()))?;
        Ok(Self::from_seed(seed))
    }

    /// Loads the key from `path` (base64url of the 32-byte seed), creating the file with a new
    /// key, readable by its owner only, when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyFileError> {
        let io_error = |source| KeyFileError::Io {
            path: path.display().to_string(),
            source,
        };
        match fs::read_to_string(path) {
            Ok(text) => {
                let bytes = URL_SAFE_NO_PAD
                    .decode(text.trim())
                    .map_err(|_| KeyFileError::Invalid(path.display().to_string()))?;
                let seed: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| KeyFileError::Invalid(path.display().to_string()))?;
                Ok(Self::from_seed(seed))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let signer = Self::generate()?;
                write_private(path, &URL_SAFE_NO_PAD.encode(signer.key.to_bytes()))
                    .map_err(io_error)?;
                Ok(signer)
            }
            Err(error) => Err(io_error(error)),
        }
    }

    /// The id carried in every token's header.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The matching verifier.
    pub fn verifier(&self) -> TokenVerifier {
        TokenVerifier {
            key: self.key.verifying_key(),
            key_id: self.key_id.clone(),
        }
    }

    /// Signs `claims` into a compact JWT.
    pub fn sign(&self, claims: &AccessClaims) -> String {
        let header = Header {
            alg: "EdDSA".to_string(),
            typ: "JWT".to_string(),
            kid: self.key_id.clone(),
        };
        let signing_input = format!(
            "{}.{}",
            encode_json(&header),
            encode_json(&WireClaims::from_claims(claims))
        );
        let signature = self.key.sign(signing_input.as_bytes());
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }
}

fn encode_json<T: Serialize>(value: &T) -> String {
    let json =
        serde_json::to_vec(value).expect("token parts are plain structs of strings and numbers");
    URL_SAFE_NO_PAD.encode(json)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> io::Result<()> {
    fs::write(path, contents)
}

/// Verifies access tokens with the public key.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    key: VerifyingKey,
    key_id: String,
}

impl TokenVerifier {
    /// A verifier from a raw 32-byte public key; `None` if the bytes are not a valid key.
    pub fn from_public_key(bytes: &[u8]) -> Option<Self> {
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        let key = VerifyingKey::from_bytes(&bytes).ok()?;
        let key_id = key_id(&key);
        Some(Self { key, key_id })
    }

    /// The raw public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key id tokens must name.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Checks a compact JWT and returns its claims.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<AccessClaims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(header)?;
        if header.alg != "EdDSA" || header.kid != self.key_id {
            return Err(TokenError::UnknownKey);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let signature = Signature::from_slice(&signature).map_err(|_| TokenError::Malformed)?;
        let signed = &token[..token.len() - token.rsplit('.').next().map_or(0, str::len) - 1];
        self.key
            .verify_strict(signed.as_bytes(), &signature)
            .map_err(|_| TokenError::BadSignature)?;
        let claims = decode_json::<WireClaims>(claims)?
            .into_claims()
            .ok_or(TokenError::Malformed)?;
        check_times(&claims, now)?;
        Ok(claims)
    }
}

fn check_times(claims: &AccessClaims, now: Timestamp) -> Result<(), TokenError> {
    if now >= claims.expires_at + LEEWAY {
        return Err(TokenError::Expired(claims.expires_at));
    }
    if claims.issued_at > now + LEEWAY {
        return Err(TokenError::NotYetValid);
    }
    Ok(())
}

/// Tokens remembered by a [`CachingVerifier`]; past it, expired ones are dropped first.
const CACHED_TOKENS: usize = 50_000;

/// A [`TokenVerifier`] that remembers the tokens it verified until they expire. A signature
/// check is the largest single cost of a request (a fifth of a booking's server time, measured),
/// and a client presents the same token for up to 15 minutes. Keyed by the whole token, so a
/// token differing in any byte is verified afresh; the time checks run on every use.
#[derive(Debug)]
pub struct CachingVerifier {
    verifier: TokenVerifier,
    verified: std::sync::Mutex<std::collections::HashMap<String, AccessClaims>>,
}

impl CachingVerifier {
    /// A cache in front of `verifier`.
    pub fn new(verifier: TokenVerifier) -> Self {
        Self {
            verifier,
            verified: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// As [`TokenVerifier::verify`].
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<AccessClaims, TokenError> {
        let known = self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned();
        if let Some(claims) = known {
            check_times(&claims, now)?;
            return Ok(claims);
        }
        let claims = self.verifier.verify(token, now)?;
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= CACHED_TOKENS {
            verified.retain(|_, claims| check_times(claims, now).is_ok());
            if verified.len() >= CACHED_TOKENS {
                verified.clear();
            }
        }
        verified.insert(token.to_string(), claims.clone());
        Ok(claims)
    }

    /// The underlying verifier.
    pub fn verifier(&self) -> &TokenVerifier {
        &self.verifier
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(now: Timestamp) -> AccessClaims {
        AccessClaims {
            user_id: UserId::random(),
            session_id: SessionId::random(),
            role: Role::Dentist,
            clinic_id: Some(ClinicId::parse("majorna").unwrap()),
            dentist_id: Some(DentistId::parse("dr-a").unwrap()),
            name: DisplayName::parse("Dr Åsa").unwrap(),
            issued_at: now,
            expires_at: now + ACCESS_TOKEN_LIFETIME,
        }
    }

    fn now() -> Timestamp {
        "2026-11-24T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn signed_tokens_verify_and_round_trip_the_claims() {
        let signer = TokenSigner::generate().unwrap();
        let original = claims(now());
        let verified = signer
            .verifier()
            .verify(&signer.sign(&original), now())
            .unwrap();
        assert_eq!(verified, original);
        assert!(matches!(verified.actor(), Actor::Staff { .. }));
    }

    #[test]
    fn expired_forged_and_foreign_tokens_are_refused() {
        let signer = TokenSigner::generate().unwrap();
        let verifier = signer.verifier();
        let token = signer.sign(&claims(now()));

        let later = now() + ACCESS_TOKEN_LIFETIME + SignedDuration::from_mins(1);
        assert!(matches!(
            verifier.verify(&token, later),
            Err(TokenError::Expired(_))
        ));

        // Another key with a forged key id: refused by signature.
        let forger = TokenSigner::generate().unwrap();
        let forged = forger.sign(&claims(now()));
        assert_eq!(verifier.verify(&forged, now()), Err(TokenError::UnknownKey));
        let mut parts: Vec<&str> = forged.split('.').collect();
        let our_header = token.split('.').next().unwrap();
        parts[0] = our_header;
        assert_eq!(
            verifier.verify(&parts.join("."), now()),
            Err(TokenError::BadSignature)
        );

        // Claims changed after signing (a patient promoting themself to admin).
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        let mut wire: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        wire["role"] = "admin".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap());
        assert_eq!(
            verifier.verify(&parts.join("."), now()),
            Err(TokenError::BadSignature)
        );

        // A "none" algorithm header is not accepted.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"x"}"#);
        let unsigned = format!("{header}.{}.", token.split('.').nth(1).unwrap());
        assert_eq!(
            verifier.verify(&unsigned, now()),
            Err(TokenError::UnknownKey)
        );

        for garbage in ["", "a.b", "a.b.c.d", "not a token"] {
            assert!(verifier.verify(garbage, now()).is_err(), "{garbage}");
        }
    }

    #[test]
    fn key_files_are_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.key");
        let first = TokenSigner::load_or_create(&path).unwrap();
        let again = TokenSigner::load_or_create(&path).unwrap();
        assert_eq!(first.key_id(), again.key_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(&path, "garbage").unwrap();
        assert!(matches!(
            TokenSigner::load_or_create(&path),
            Err(KeyFileError::Invalid(_))
        ));
    }

    #[test]
    fn the_cache_answers_like_the_verifier_and_still_expires_tokens() {
        let signer = TokenSigner::generate().unwrap();
        let cache = CachingVerifier::new(signer.verifier());
        let token = signer.sign(&claims(now()));
        assert_eq!(
            cache.verify(&token, now()),
            signer.verifier().verify(&token, now())
        );
        // Second use: from the cache, same claims.
        assert!(cache.verify(&token, now()).is_ok());
        // Past expiry the cached token is refused too.
        let later = now() + ACCESS_TOKEN_LIFETIME + SignedDuration::from_mins(1);
        assert!(matches!(
            cache.verify(&token, later),
            Err(TokenError::Expired(_))
        ));
        // One byte changed is a different key, verified afresh, and refused.
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(cache.verify(&tampered, now()).is_err());
    }

    #[test]
    fn verifiers_rebuilt_from_the_public_key_agree() {
        let signer = TokenSigner::generate().unwrap();
        let remote = TokenVerifier::from_public_key(&signer.verifier().public_key()).unwrap();
        assert_eq!(remote.key_id(), signer.key_id());
        assert!(remote.verify(&signer.sign(&claims(now())), now()).is_ok());
        assert!(TokenVerifier::from_public_key(&[1, 2, 3]).is_none());
    }
}
