//! The keys of email links: a verification link's key and a password
//! reset's token. Each is stored only as its SHA-256, in the throttle
//! table, until it expires, and is used once (a conditional delete).

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `registration/verify-email`'s key: proves the user holds `email`.
    /// Its item is `confirm#<sha256 of the key>`; several may be live (a
    /// resend does not void the earlier link).
    Confirmation,
    /// `password/reset/confirm`'s token: one per user, `reset#<id>`, so a
    /// newer reset replaces (voids) the older one; a login deletes it, and
    /// a password change voids it (its `password_mark` no longer matches).
    Reset,
}

/// One stored key (never the key itself).
#[derive(Clone, PartialEq, Eq)]
pub struct AccountKey {
    /// Its item's key in the throttle table.
    pub id: String,
    pub kind: KeyKind,
    pub user_id: u64,
    /// The address it was sent to.
    pub email: String,
    /// The SHA-256 (hex) of a reset's token (a confirmation's is its id).
    pub secret_hash: Option<String>,
    /// A reset's mark of the password hash it was issued under (SHA-256
    /// hex): the token dies with a password change.
    pub password_mark: Option<String>,
    pub expires_at: i64,
}

impl AccountKey {
    /// The item id of a confirmation key whose SHA-256 (hex) is `hash`.
    pub fn confirmation_id(hash: &str) -> String {
        format!("confirm#{hash}")
    }

    /// The item id of user `id`'s reset token.
    pub fn reset_id(user_id: u64) -> String {
        format!("reset#{user_id}")
    }
}

impl std::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountKey")
            .field("kind", &self.kind)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What using a key does, in the same transaction as its deletion.
#[derive(Clone)]
pub enum KeyUse {
    /// The user's address is verified, if it is still the key's `email`.
    VerifyEmail,
    /// The key's `email` becomes the user's address, verified, if their
    /// address is still `old` and no other user holds the new one (its
    /// item written, the old one's deleted, in the same transaction).
    ChangeEmail { old: String },
    /// The user's password becomes `new_hash` (and the credential
    /// generation moves on, ending every session and token), if it is
    /// still `old_hash`, the one the token was issued under.
    ResetPassword { old_hash: String, new_hash: String },
}
