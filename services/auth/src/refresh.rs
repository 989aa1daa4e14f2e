//! Refresh tokens: 256 random bits, shown to the client once as base64url, stored only as the
//! hex SHA-256 of the raw bytes. A fast hash is right here (unlike passwords): the input has
//! 256 bits of entropy, so there is nothing to brute-force.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use dentismile_domain::{accounts::RefreshTokenHash, error::ValidationError};
use sha2::{Digest, Sha256};

/// A freshly minted refresh token: the text for the client and the hash for the store.
#[derive(Debug)]
pub struct RefreshToken {
    /// Give to the client; never stored.
    pub text: String,
    /// Store this.
    pub hash: RefreshTokenHash,
}

/// Mints a token from the operating system's random source.
pub fn mint() -> Result<RefreshToken, getrandom::Error> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw)?;
    Ok(RefreshToken {
        text: URL_SAFE_NO_PAD.encode(raw),
        hash: hash_raw(&raw),
    })
}

/// The stored hash of a token presented by a client; the error has no field, for the caller.
pub fn hash_presented(text: &str) -> Result<RefreshTokenHash, ValidationError> {
    if text.is_empty() {
        return Err(ValidationError::value("must not be empty"));
    }
    let raw = URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()
        .filter(|raw| raw.len() == 32)
        .ok_or_else(|| ValidationError::value("is not a refresh token issued by this system"))?;
    Ok(hash_raw(&raw))
}

fn hash_raw(raw: &[u8]) -> RefreshTokenHash {
    let digest = Sha256::digest(raw);
    RefreshTokenHash::from_hex(digest.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_tokens_hash_like_minted_ones() {
        let token = mint().unwrap();
        assert_eq!(token.text.len(), 43);
        assert_eq!(hash_presented(&token.text).unwrap(), token.hash);
        assert_ne!(mint().unwrap().hash, token.hash);
        assert!(hash_presented("").is_err());
        assert!(hash_presented("short").is_err());
    }
}
