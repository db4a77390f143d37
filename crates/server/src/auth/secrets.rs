//! Generating, hashing and checking secrets.
//!
//! Client secrets are stored as argon2id PHC strings (slow on purpose: a leaked
//! database must not give the secrets away). Access tokens are 256 random bits, stored
//! as their SHA-256: they are already unguessable, so a fast hash suffices and keeps
//! verification cheap.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
pub use depot_api::names::is_valid_client_id;
use sha2::{Digest, Sha256};

pub const TOKEN_PREFIX: &str = "dpt_";
pub const SECRET_PREFIX: &str = "dps_";
pub const CLIENT_ID_PREFIX: &str = "dpc_";

/// `prefix` followed by 256 random bits in base64url.
pub fn generate(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A stream ticket issued at `issued` (Unix seconds): `dpt_<issued>_<256 random bits>`.
pub fn generate_ticket(issued: i64) -> String {
    generate(&format!("{TOKEN_PREFIX}{issued}_"))
}

/// Whether `text` has a ticket's shape (which no token has: a token's random part
/// follows the prefix directly and is 43 characters long, a ticket is longer). Returns
/// the issue time.
pub fn ticket_issued(text: &str) -> Option<i64> {
    let rest = text.strip_prefix(TOKEN_PREFIX)?;
    let (issued, random) = rest.split_once('_')?;
    let url_safe = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if issued.is_empty()
        || issued.len() > 12
        || !issued.bytes().all(|b| b.is_ascii_digit())
        || random.len() != 43
        || !random.bytes().all(url_safe)
    {
        return None;
    }
    issued.parse().ok()
}

/// Whether `text` is a stream ticket rather than a token.
pub fn is_ticket(text: &str) -> bool {
    ticket_issued(text).is_some()
}

/// A new client id: a prefix and 96 random bits.
pub fn generate_client_id() -> String {
    let bytes: [u8; 12] = rand::random();
    format!("{CLIENT_ID_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The argon2id PHC string of `secret`.
pub fn hash_secret(secret: &str) -> Result<String, String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `secret` matches the PHC string (argon2 compares in constant time).
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The SHA-256 of a token's text: the only form in which tokens are stored.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_verify_only_against_their_own_hash() {
        let hash = hash_secret("s3cret").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("s3cret", &hash));
        assert!(!verify_secret("s3cret!", &hash));
        assert!(!verify_secret("s3cret", "not a hash"));
    }

    #[test]
    fn generated_values_are_prefixed_unique_and_valid() {
        let a = generate(TOKEN_PREFIX);
        assert!(a.starts_with("dpt_") && a.len() == 4 + 43);
        assert_ne!(a, generate(TOKEN_PREFIX));
        assert!(is_valid_client_id(&generate_client_id()));
        let ticket = generate_ticket(1_700_000_000);
        assert_eq!(ticket_issued(&ticket), Some(1_700_000_000));
        assert!(!is_ticket(&a), "a token is never a ticket");
        assert!(!is_ticket("dpt_12_short"));
        assert!(!is_valid_client_id("a b") && !is_valid_client_id(""));
    }
}
