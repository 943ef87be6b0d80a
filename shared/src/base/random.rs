//! Random strings for secrets (session keys, CSRF secrets), as Django's
//! `get_random_string`: each character drawn uniformly from an alphabet by
//! a cryptographically secure generator (`rand`'s thread-local ChaCha,
//! seeded from the OS).

use rand::Rng;

/// `length` characters drawn from `alphabet` (ASCII).
pub fn random_string(length: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// A fresh `jti`: 32 lowercase hex characters, like `uuid4().hex`.
pub fn new_jti() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
