//! Counters in the throttle table and the keys they are stored under.

/// One password-attempt counter: its key, and the username and address it
/// counts (kept on the item, for `authctl unthrottle`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub key: String,
    pub username: Option<String>,
    pub address: Option<String>,
}

/// The throttle-table key counting an `mfa_token`'s wrong codes and its use.
pub(crate) fn mfa_token_key(jti: &str) -> String {
    bounded_key("mfa#", jti, 200)
}

/// `prefix` and `value` as one DynamoDB key, the value replaced by its
/// SHA-256 when longer than `max` bytes (keys stay short whatever a client
/// sends, and distinct values stay distinct keys).
pub(crate) fn bounded_key(prefix: &str, value: &str, max: usize) -> String {
    match value.len() <= max {
        true => format!("{prefix}{value}"),
        false => hashed_key(prefix, value),
    }
}

/// `prefix` and the SHA-256 of `value` as one DynamoDB key.
pub(crate) fn hashed_key(prefix: &str, value: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{prefix}sha256:{}", hex::encode(Sha256::digest(value)))
}
