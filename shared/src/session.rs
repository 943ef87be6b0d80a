//! Session keys and the session's password-hash HMAC.
//!
//! As Django's `get_session_auth_hash`, a session stores an HMAC of the
//! user's password hash at login; a session whose HMAC no longer matches
//! (the password changed) is flushed. The HMAC key is derived from the
//! signing key the way Django's `salted_hmac` derives it from `SECRET_KEY`.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

const KEY_SALT: &str = "auth.session.SessionAuthHash";
const KEY_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const SESSION_KEY_LENGTH: usize = 32;

/// A new session key: 32 random characters `[a-z0-9]` (Django's format).
pub fn new_session_key() -> String {
    let mut rng = rand::rng();
    (0..SESSION_KEY_LENGTH)
        .map(|_| KEY_CHARS[rng.random_range(0..KEY_CHARS.len())] as char)
        .collect()
}

/// Computes and checks session auth hashes.
pub struct SessionHasher {
    key: [u8; 32],
}

impl SessionHasher {
    pub fn new(signing_key: &[u8]) -> Self {
        let mut digest = Sha256::new();
        digest.update(KEY_SALT.as_bytes());
        digest.update(signing_key);
        SessionHasher {
            key: digest.finalize().into(),
        }
    }

    fn mac(&self, password_hash: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key size");
        mac.update(password_hash.as_bytes());
        mac
    }

    /// The hex HMAC stored in a new session.
    pub fn hash(&self, password_hash: &str) -> String {
        hex::encode(self.mac(password_hash).finalize().into_bytes())
    }

    /// Whether `stored` is the HMAC of `password_hash`, in constant time.
    pub fn verify(&self, stored: &str, password_hash: &str) -> bool {
        match hex::decode(stored) {
            Ok(bytes) => self.mac(password_hash).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_look_like_djangos() {
        let k = new_session_key();
        assert_eq!(k.len(), 32);
        assert!(
            k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(k, new_session_key());
    }

    #[test]
    fn hash_changes_with_the_password_and_the_key() {
        let h = SessionHasher::new(b"key one, thirty-two bytes long!!");
        let stored = h.hash("$argon2id$old");
        assert!(h.verify(&stored, "$argon2id$old"));
        assert!(!h.verify(&stored, "$argon2id$new"));
        assert!(!h.verify("not hex", "$argon2id$old"));
        let other = SessionHasher::new(b"key two, thirty-two bytes long!!");
        assert!(!other.verify(&stored, "$argon2id$old"));
    }
}
