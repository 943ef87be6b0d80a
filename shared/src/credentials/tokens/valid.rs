//! A simplejwt token that passed the checks (signature, registered claims,
//! `exp`, `jti`, its type), and what its claims say: whose, which family,
//! which credential generation, whether the tables revoke it.

use serde_json::Value;

use super::claims::{
    TokenError, TokenType, UserIdClaim, check_registered_claims, claim_gen, is_falsy, py_int,
    user_id_claim,
};
use crate::base::jwt::{Claims, DecodeError, JwtBackend};
use crate::model::token::TokenState;
use crate::store::api::{StoreError, TokenStore};

/// A simplejwt token whose signature and claims passed the checks.
#[derive(Debug, Clone)]
pub struct ValidToken {
    pub claims: Claims,
}

impl ValidToken {
    pub fn jti(&self) -> &str {
        self.claims
            .get("jti")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `exp` as epoch seconds (always present on a valid token).
    pub fn exp(&self) -> i64 {
        self.claims.get("exp").and_then(py_int).unwrap_or(0)
    }

    /// When it was issued (`iat`; 0 if it has none).
    pub fn iat(&self) -> i64 {
        self.claims.get("iat").and_then(py_int).unwrap_or(0)
    }

    pub fn token_type(&self) -> Option<&str> {
        self.claims.get("token_type").and_then(Value::as_str)
    }

    /// The `user_id` claim, if present.
    pub fn user_id(&self) -> Option<&Value> {
        self.claims.get("user_id")
    }

    /// The refresh token family, if the token names one.
    pub fn fam(&self) -> Option<&str> {
        self.claims.get("fam").and_then(Value::as_str)
    }

    /// When the refresh family's login happened (`auth_time`), if the token says.
    pub fn auth_time(&self) -> Option<i64> {
        self.claims.get("auth_time").and_then(py_int)
    }

    /// Whether the token belongs to the user's current generation.
    pub fn current_for(&self, user_gen: u64) -> bool {
        claim_gen(&self.claims) == Some(user_gen)
    }

    /// The `user_id` claim as simplejwt's refresh reads it: only a truthy
    /// claim names a user to check.
    pub fn user_claim(&self) -> Option<UserIdClaim> {
        self.user_id().filter(|v| !is_falsy(v)).map(user_id_claim)
    }

    /// The user id worth looking up, if the claim names one.
    pub fn lookup_id(&self) -> Option<u64> {
        match self.user_claim() {
            Some(UserIdClaim::Id(id)) => Some(id),
            _ => None,
        }
    }

    /// Whether the tables revoke this refresh token: blacklisted, rotated,
    /// What the tables say about this token, in one round trip: its user,
    /// its family and, for a refresh token or a token issued to an OAuth
    /// client (which may revoke it, RFC 7009), its blacklist entry (this
    /// service's own access tokens are never blacklisted one by one).
    pub async fn state_in<S: TokenStore>(&self, store: &S) -> Result<TokenState, StoreError> {
        let refresh = self.token_type() == Some(TokenType::Refresh.as_str());
        let listed = refresh || self.claims.contains_key("client_id");
        store
            .token_state(self.lookup_id(), listed.then(|| self.jti()), self.fam())
            .await
    }

    /// its family revoked, or issued before its user's current generation.
    pub fn revoked_by(&self, state: &TokenState) -> bool {
        state.family_revoked
            || state.revoked.is_some()
            || state
                .user
                .as_ref()
                .is_some_and(|u| !self.current_for(u.generation))
    }
}

/// Decodes a simplejwt token and applies simplejwt's checks: exp present, jti
/// present, and (unless `expected` is `None`, as for verify) the token type.
pub fn decode_simplejwt(
    backend: &JwtBackend,
    token: &str,
    expected: Option<TokenType>,
    now: i64,
) -> Result<ValidToken, TokenError> {
    let claims = backend
        .decode(token)
        .map_err(|_: DecodeError| TokenError::InvalidOrExpired)?;
    check_registered_claims(&claims, now).map_err(|_| TokenError::InvalidOrExpired)?;
    if !claims.contains_key("exp") {
        return Err(TokenError::NoExp);
    }
    if !claims.contains_key("jti") {
        return Err(TokenError::NoId);
    }
    if let Some(expected) = expected {
        match claims.get("token_type") {
            None => return Err(TokenError::NoType),
            Some(t) if t.as_str() != Some(expected.as_str()) => {
                return Err(TokenError::WrongType);
            }
            Some(_) => {}
        }
    }
    Ok(ValidToken { claims })
}

/// What the tokens' tests share: a key ring, a moment, signing and reading.
#[cfg(test)]
pub(super) mod testing {
    use super::*;

    pub(crate) const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    pub(crate) const NOW: i64 = 1_800_000_000;

    pub(crate) fn backend() -> JwtBackend {
        JwtBackend::new(&[KEY])
    }

    pub(crate) fn sign(v: Value) -> String {
        backend().sign(&v)
    }

    pub(crate) fn simple(token: &str, t: Option<TokenType>) -> Result<ValidToken, TokenError> {
        decode_simplejwt(&backend(), token, t, NOW)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn expiry_has_no_leeway() {
        let at = |exp: i64| {
            sign(json!({"token_type":"access","exp":exp,"iat":NOW-10,"jti":"a","user_id":"1"}))
        };
        assert_eq!(
            simple(&at(NOW), None).unwrap_err(),
            TokenError::InvalidOrExpired
        );
        assert!(simple(&at(NOW + 1), None).is_ok());
        assert_eq!(
            simple(&at(NOW - 1), None).unwrap_err(),
            TokenError::InvalidOrExpired
        );
    }

    #[test]
    fn simplejwt_errors_in_simplejwt_order() {
        let t = |v: Value| simple(&sign(v), Some(TokenType::Access)).unwrap_err();
        assert_eq!(
            t(json!({"jti":"a","token_type":"access"})),
            TokenError::NoExp
        );
        assert_eq!(
            t(json!({"exp":NOW+5,"token_type":"access"})),
            TokenError::NoId
        );
        assert_eq!(t(json!({"exp":NOW+5,"jti":"a"})), TokenError::NoType);
        assert_eq!(
            t(json!({"exp":NOW+5,"jti":"a","token_type":"refresh"})),
            TokenError::WrongType
        );
        assert_eq!(
            t(json!({"exp":NOW+5,"jti":"a","token_type":"access","iat":NOW+1})),
            TokenError::InvalidOrExpired
        );
        assert_eq!(
            t(json!({"exp":NOW+5,"jti":"a","token_type":"access","nbf":NOW+1})),
            TokenError::InvalidOrExpired
        );
        assert_eq!(
            t(json!({"exp":"soon","jti":"a","token_type":"access"})),
            TokenError::InvalidOrExpired
        );
        assert_eq!(
            t(json!({"exp":NOW+5,"jti":5,"token_type":"access"})),
            TokenError::InvalidOrExpired
        );
        // untyped (verify) accepts any type
        assert!(simple(&sign(json!({"exp":NOW+5,"jti":"a","token_type":"x"})), None).is_ok());
    }
}
