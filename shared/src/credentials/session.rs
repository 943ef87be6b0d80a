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

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::random::random_string;

const KEY_SALT: &str = "auth.session.SessionAuthHash";
const KEY_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const SESSION_KEY_LENGTH: usize = 32;

/// A new session key: 32 random characters `[a-z0-9]` (Django's format).
pub fn new_session_key() -> String {
    random_string(SESSION_KEY_LENGTH, KEY_CHARS)
}

/// A key for one use (named by `salt`) derived from a signing key, as
/// Django's `salted_hmac` derives one from `SECRET_KEY`: SHA-256 of the
/// salt and the key.
pub fn derive_key(salt: &str, signing_key: &[u8]) -> [u8; 32] {
    let mut digest = Sha256::new();
    digest.update(salt.as_bytes());
    digest.update(signing_key);
    digest.finalize().into()
}

/// A keyed HMAC-SHA256 with one key derived from each signing key (as
/// Django's `salted_hmac` derives one from `SECRET_KEY`, by a salt naming
/// its use): tags are made with the current key and checked against all,
/// in constant time, so rotating the signing key keeps them valid.
pub struct KeyedMac {
    /// One derived key per signing key, the current one first.
    keys: Vec<[u8; 32]>,
}

impl KeyedMac {
    pub fn new(salt: &str, signing_keys: &[&[u8]]) -> Self {
        let keys = signing_keys.iter().map(|k| derive_key(salt, k)).collect();
        KeyedMac { keys }
    }

    fn mac(key: &[u8; 32], message: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key size");
        mac.update(message);
        mac
    }

    /// The hex tag of `message` under the current key.
    pub fn tag(&self, message: &[u8]) -> String {
        hex::encode(Self::mac(&self.keys[0], message).finalize().into_bytes())
    }

    /// Whether `tag` is `message`'s under any of the keys.
    pub fn verify(&self, tag: &str, message: &[u8]) -> bool {
        let Ok(bytes) = hex::decode(tag) else {
            return false;
        };
        self.keys
            .iter()
            .any(|k| Self::mac(k, message).verify_slice(&bytes).is_ok())
    }
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
