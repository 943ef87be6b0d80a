//! Our hashes' parameters, and what a check can answer.

use argon2::{Algorithm, Argon2, Params, Version};
use thiserror::Error;

/// OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// Argon2 work (KiB × passes) of one verification against our own hashes.
pub const OUR_ARGON2_WORK: u64 = MEMORY_KIB as u64 * ITERATIONS as u64;

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

/// Outcome of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Wrong password, or a stored hash that can never match.
    Mismatch,
    /// Right password, and the stored hash is ours with our parameters.
    Match,
    /// Right password, but the stored hash is another format (Django's) or
    /// other parameters: the caller should store [`hash_password`] of it.
    MatchNeedsUpgrade,
}

impl Verdict {
    /// Whether the password was right.
    pub fn matched(self) -> bool {
        self != Verdict::Mismatch
    }
}

pub(super) fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("the OWASP parameters are valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}
