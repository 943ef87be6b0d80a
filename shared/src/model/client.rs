//! OAuth clients as registered (`authctl clients add`): who may ask this
//! service for tokens, where it may send a user back to, and what it may
//! ask for. A confidential client's secret is stored only as its SHA-256.

use serde::{Deserialize, Serialize};

/// The grants a client may use (RFC 6749 §1.3; OAuth 2.1 drops implicit
/// and password, and so do we).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl Grant {
    pub const ALL: [Grant; 3] = [
        Grant::AuthorizationCode,
        Grant::RefreshToken,
        Grant::ClientCredentials,
    ];

    /// Its `grant_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::RefreshToken => "refresh_token",
            Grant::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(value: &str) -> Option<Grant> {
        Grant::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

/// One registered client. Its item is `client#<id>` in the users table.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    /// `client_id`: random, URL-safe.
    pub client_id: String,
    /// What the consent page calls it.
    pub name: String,
    /// The SHA-256 (hex) of a confidential client's secret; `None`: a
    /// public client (a SPA, a mobile app), which authenticates with
    /// PKCE alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
    /// The exact redirect URIs it may name (compared character for character).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// A first-party client gets codes without a consent page.
    #[serde(default)]
    pub first_party: bool,
    /// The scopes it may be granted.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The grants it may use.
    pub grants: Vec<Grant>,
    /// Epoch seconds.
    pub created: i64,
}

impl OAuthClient {
    /// Its item's key in the users table.
    pub fn item_key(client_id: &str) -> String {
        format!("client#{client_id}")
    }

    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some()
    }

    pub fn may_use(&self, grant: Grant) -> bool {
        self.grants.contains(&grant)
    }

    /// Whether what it was issued at `issued_at` for `user` stands: a
    /// first-party client acts for its users; a third-party one only while
    /// the user's consent, given by then, stands.
    pub fn acts_for(&self, user: &crate::model::user::User, issued_at: i64) -> bool {
        self.first_party
            || user
                .consent(&self.client_id)
                .is_some_and(|c| c.stands_for(issued_at))
    }

    /// Whether every scope of `asked` is one it may be granted.
    pub fn allows_scopes<'a>(&self, mut asked: impl Iterator<Item = &'a str>) -> bool {
        asked.all(|scope| self.scopes.iter().any(|s| s == scope))
    }
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .field("confidential", &self.is_confidential())
            .field("redirect_uris", &self.redirect_uris)
            .field("first_party", &self.first_party)
            .field("scopes", &self.scopes)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}
