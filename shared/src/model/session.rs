//! Sessions as stored: keyed by the SHA-256 of the key the client holds.

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The key the client holds; stored as its [`stored_session_key`].
    pub session_key: String,
    pub user_id: u64,
    /// The keyed HMAC of the user's id and credential generation when the
    /// session was created (`session.rs`): a password change or logout
    /// everywhere ends the session.
    pub auth_hash: String,
    /// Epoch seconds; the table's TTL attribute.
    pub expires_at: i64,
    /// How the user logged in (RFC 8176's `amr` values: `pwd`, `otp`,
    /// `hwk`, `user`), for the OAuth provider's id_tokens; empty in
    /// sessions made before it was recorded (read as `pwd`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What the sessions table is keyed by: the SHA-256 of the session key,
/// never the key itself, so whoever reads the table (a backup, an
/// over-broad role) cannot take over a session. The key has 160+ bits: a
/// plain hash is enough.
pub fn stored_session_key(session_key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(session_key))
}

/// Session keys as we issue them: 32 characters `[a-z0-9]`.
pub fn valid_session_key(key: &str) -> bool {
    key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}
