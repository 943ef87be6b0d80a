//! What the tables say about refresh tokens: rotations, blacklist entries,
//! and a token's state read in one round trip.

use crate::model::user::User;

/// A refresh token rotated into its successor (kept on its blacklist entry,
/// so a retry within `REFRESH_REUSE_INTERVAL` can be given the same
/// successor, and a later reuse can revoke the family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub fam: String,
    pub next_jti: String,
    pub next_iat: i64,
    pub next_exp: i64,
    pub rotated_at: i64,
}

/// A live blacklist entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub expires_at: i64,
    /// Set when the token was rotated rather than blacklisted by a client.
    pub rotation: Option<Rotation>,
}

/// What the tables say about one refresh token, read in one round trip.
#[derive(Debug, Clone, Default)]
pub struct TokenState {
    pub user: Option<User>,
    pub revoked: Option<Revocation>,
    pub family_revoked: bool,
}
