//! OAuth authorization codes as stored: only the code's SHA-256 names the
//! item (`code#<hex>` in the throttle table), with what the code grants,
//! until it expires (60 s). A code is redeemed once, by one conditional
//! write; its item stays, marked used, until it expires, so a second
//! redemption is told apart from an unknown code and revokes what the
//! first one issued (RFC 6749 §4.1.2).

use serde::{Deserialize, Serialize};

/// Seconds a code lives (RFC 6749 §4.1.2: at most 10 minutes; OAuth 2.1
/// and the issue: 60 s or less).
pub const CODE_LIFETIME: i64 = 60;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    /// Its item's key: `code#<sha256 of the code, hex>`.
    #[serde(rename = "counter_key")]
    pub id: String,
    pub client_id: String,
    pub user_id: u64,
    /// The user's credential generation when it was issued: a password
    /// change or logout everywhere since voids it.
    #[serde(rename = "gen")]
    pub generation: u64,
    /// The redirect URI it was issued for: the token request must name
    /// the same.
    pub redirect_uri: String,
    /// The granted scope, space-separated.
    pub scope: String,
    /// PKCE's S256 `code_challenge`.
    pub code_challenge: String,
    /// OpenID Connect's `nonce`, for the id_token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the user logged in.
    pub auth_time: i64,
    /// How they logged in (RFC 8176 values).
    pub amr: Vec<String>,
    /// The refresh family every token issued from it carries: a second
    /// redemption revokes it.
    pub fam: String,
    /// Epoch seconds; the table's TTL attribute.
    pub expires_at: i64,
}

impl AuthorizationCode {
    /// The item id of the code whose SHA-256 (hex) is `hash`.
    pub fn item_key(hash: &str) -> String {
        format!("code#{hash}")
    }
}

impl std::fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// Live and unused: now used, by this redemption.
    Fresh(AuthorizationCode),
    /// Used already (and not yet expired): a replay.
    Reused(AuthorizationCode),
    /// Unknown or expired.
    Unknown,
}
