//! Password hashing: Argon2id with OWASP's parameters, always off the async
//! executor.
//!
//! An unknown or inactive username still costs one verification (against
//! [`DUMMY_HASH`]) so response times do not reveal which usernames exist.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// The Argon2id hash of a random password nobody knows, with the same
/// parameters as real hashes, so verifying against it costs the same.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$gZiV/M1gPOl6S1ZscV7tJw$cRvCXGWVl2BDVmNbJ9CQxM9/V6RRfoo2X/dW6GQXEOo";

#[derive(Debug, Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("the OWASP parameters are valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` into an Argon2id PHC string with a fresh random salt.
pub async fn hash_password(password: SecretString) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password)).await?
}

/// The blocking half of [`hash_password`], for command-line tools.
pub fn hash_password_blocking(password: &SecretString) -> Result<String, PasswordError> {
    argon2()
        .hash_password(password.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Checks `password` against `stored` (a PHC string); with `None` it checks
/// against [`DUMMY_HASH`] and returns false, spending the same time.
///
/// A stored value that is not a valid PHC string never matches.
pub async fn verify_password(
    password: SecretString,
    stored: Option<String>,
) -> Result<bool, PasswordError> {
    Ok(tokio::task::spawn_blocking(move || {
        let real = stored.is_some();
        let phc = stored.as_deref().unwrap_or(DUMMY_HASH);
        let matches = match PasswordHash::new(phc) {
            Ok(hash) => argon2()
                .verify_password(password.expose_secret().as_bytes(), &hash)
                .is_ok(),
            Err(_) => {
                // Keep the cost even for a corrupt stored hash.
                let dummy = PasswordHash::new(DUMMY_HASH).expect("DUMMY_HASH parses");
                let _ = argon2().verify_password(password.expose_secret().as_bytes(), &dummy);
                false
            }
        };
        real && matches
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_password(SecretString::from("correct horse"))
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password(SecretString::from("correct horse"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password(SecretString::from("correct horsf"), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn salts_differ() {
        let a = hash_password(SecretString::from("x")).await.unwrap();
        let b = hash_password(SecretString::from("x")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn unknown_users_and_corrupt_hashes_never_match() {
        assert!(!verify_password(SecretString::from(""), None).await.unwrap());
        assert!(
            !verify_password(SecretString::from("x"), Some("not a phc string".into()))
                .await
                .unwrap()
        );
    }

    #[test]
    fn dummy_hash_uses_the_same_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }
}
