//! Session keys and the session's auth hash.
//!
//! As Django's `get_session_auth_hash`, a session stores an HMAC taken at
//! login and compared on every request. Ours covers the user's id and
//! credential generation (`generation`), which moves on every password change and
//! logout-everywhere, so such an event ends every older session — while a
//! silent re-hash of the same password (a Django hash upgraded to Argon2id)
//! leaves sessions alone. Because it is keyed, someone able to write the
//! sessions table but without the signing key still cannot forge a session.
//! The HMAC key is derived from each signing key as Django's `salted_hmac`
//! derives it from `SECRET_KEY`; every key of the ring verifies, so rotating
//! the signing key keeps sessions.

use crate::base::mac::KeyedMac;
use crate::base::random::random_string;

const KEY_SALT: &str = "auth.session.SessionAuthHash";
const KEY_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const SESSION_KEY_LENGTH: usize = 32;

/// A new session key: 32 random characters `[a-z0-9]` (Django's format).
pub fn new_session_key() -> String {
    random_string(SESSION_KEY_LENGTH, KEY_CHARS)
}

/// Computes and checks session auth hashes.
pub struct SessionHasher(KeyedMac);

impl SessionHasher {
    pub fn new(signing_keys: &[&[u8]]) -> Self {
        SessionHasher(KeyedMac::new(KEY_SALT, signing_keys))
    }

    /// The hex HMAC stored in a new session of this user at this generation.
    pub fn hash(&self, user_id: u64, generation: u64) -> String {
        self.0.tag(format!("{user_id}:{generation}").as_bytes())
    }

    /// Whether `stored` matches the user's current generation under any of
    /// the keys, each compared in constant time.
    pub fn verify(&self, stored: &str, user_id: u64, generation: u64) -> bool {
        self.0
            .verify(stored, format!("{user_id}:{generation}").as_bytes())
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

    const ONE: &[u8] = b"key one, thirty-two bytes long!!";
    const TWO: &[u8] = b"key two, thirty-two bytes long!!";

    #[test]
    fn hash_changes_with_the_generation_the_user_and_the_key() {
        let h = SessionHasher::new(&[ONE]);
        let stored = h.hash(1, 0);
        assert!(h.verify(&stored, 1, 0));
        assert!(!h.verify(&stored, 1, 1));
        assert!(!h.verify(&stored, 2, 0));
        assert!(!h.verify("not hex", 1, 0));
        assert!(!SessionHasher::new(&[TWO]).verify(&stored, 1, 0));
    }

    #[test]
    fn rotating_the_key_keeps_sessions() {
        let stored = SessionHasher::new(&[ONE]).hash(1, 3);
        assert!(SessionHasher::new(&[TWO, ONE]).verify(&stored, 1, 3));
        assert!(!SessionHasher::new(&[TWO]).verify(&stored, 1, 3));
    }
}
