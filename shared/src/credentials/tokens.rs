//! Tokens by name: what each endpoint issues and accepts.
//!
//! * simplejwt tokens (`access`, `refresh`): `{"token_type","exp","iat","jti","user_id"}`,
//!   plus `fam` (the refresh family a login starts, kept through rotations
//!   and copied into every access token made from it) and `gen` (the
//!   user's credential generation when issued); refresh tokens also carry
//!   `auth_time` (when the family's login happened: no successor outlives
//!   `REFRESH_TOKEN_MAX_LIFETIME` after it) and, with
//!   `REFRESH_TOKEN_BIND=address`, `bnd` (a keyed hash of the client
//!   address, or IPv6 /64, that logged in).
//! * the tutorial's `login/jwt` tokens: `{"id","username","iat","exp"}` plus
//!   `gen`, sent back in the `jwt-auth` header.
//!
//! [`Tokens`] holds the key ring and the lifetimes (`TokenSettings`), so an
//! endpoint asks for `tokens.pair_for(&user, now)` or
//! `tokens.refresh(raw, now)?.access_token(now)` and never handles keys or
//! lifetimes itself.
//!
//! A token whose `gen` is older than its user's (a password change or a
//! logout-everywhere since) is revoked; tokens without `gen` (signed
//! elsewhere with the same key) count as generation 0.
//!
//! Both are signed by the same key ring ([`crate::base::jwt::JwtBackend`]; HS256
//! unless `ALGORITHM` says otherwise). With `ISSUER`, `AUDIENCE` and
//! `ACCESS_TOKEN_SCOPE` set, access and refresh tokens carry `iss` and `aud`
//! (after simplejwt's claims, in simplejwt's order) and access tokens
//! `scope`; `iss` and `aud` are then required on every one presented. Time claims
//! follow PyJWT (leeway 0): `iat` or `nbf` in the future is not yet valid,
//! `exp <= now` is expired, and a time claim is read the way Python's `int()`
//! reads it. Refusals are [`TokenError`] and [`TutorialTokenError`]; their
//! wording is simplejwt's and the tutorial's, in `contract.rs`.

use std::ops::Deref;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::base::jwt::{Claims, DecodeError, JwtBackend};
use crate::base::mac::KeyedMac;
use crate::base::random::new_jti;
use crate::model::token::{Rotation, TokenState};
use crate::model::user::User;
use crate::settings::{Binding, TokenSettings};
use crate::store::api::{StoreError, TokenStore};

/// `token_type` claim values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Access,
    Refresh,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
        }
    }
}

/// Why a simplejwt token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Bad signature, garbage, expired, not yet valid, badly typed claims.
    InvalidOrExpired,
    NoExp,
    NoId,
    NoType,
    WrongType,
    /// Revoked: blacklisted, rotated, of a revoked family, or issued before
    /// its user's password change or logout everywhere.
    Blacklisted,
}

/// Signs and checks every kind of token, with the configured lifetimes,
/// issuer, audience and scope.
pub struct Tokens {
    jwt: Arc<JwtBackend>,
    settings: TokenSettings,
    /// The `bnd` claim's keyed hash of a client address.
    binder: KeyedMac,
}

/// Claims only refresh tokens carry: never copied into access tokens.
const REFRESH_ONLY: [&str; 2] = ["auth_time", "bnd"];

/// The salt of the `bnd` keyed hash.
const BINDING_SALT: &str = "auth.tokens.bnd";

/// A fresh pair for a user, as `TokenObtainPairView` issues it.
pub struct Pair {
    pub refresh: String,
    pub access: String,
}

impl Tokens {
    /// `signing_keys` key the `bnd` hash (current first), as they key
    /// session hashes.
    pub fn new(
        jwt: impl Into<Arc<JwtBackend>>,
        settings: TokenSettings,
        signing_keys: &[&[u8]],
    ) -> Self {
        Tokens {
            jwt: jwt.into(),
            settings,
            binder: KeyedMac::new(BINDING_SALT, signing_keys),
        }
    }

    /// The `bnd` claim of a client address: its bucket (an IPv6 /64), hashed.
    fn binding_of(&self, address: &str) -> String {
        let bucket = crate::base::address::address_bucket(address);
        self.binder.tag(bucket.as_bytes())
    }

    /// The key ring (to sign arbitrary claims in tests and tools).
    pub fn jwt(&self) -> &JwtBackend {
        &self.jwt
    }

    /// A pair starting a new refresh family for `user` at its current
    /// generation, logged in from `address`.
    pub fn pair_for(&self, user: &User, now: i64, address: &str) -> Pair {
        let id = user.id.to_string();
        let s = &self.settings;
        let fam = new_jti();
        let bnd = (s.refresh_token_bind == Binding::Address).then(|| self.binding_of(address));
        let token = |token_type: TokenType, exp: i64| {
            let (access, refresh) = match token_type {
                TokenType::Access => (true, false),
                TokenType::Refresh => (false, true),
            };
            self.jwt.sign(&NewToken {
                token_type: token_type.as_str(),
                exp,
                iat: now,
                jti: new_jti(),
                user_id: &id,
                fam: &fam,
                generation: user.generation,
                auth_time: refresh.then_some(now),
                bnd: bnd.as_deref().filter(|_| refresh),
                scope: s.access_token_scope.as_deref().filter(|_| access),
                aud: s.audience.as_deref(),
                iss: s.issuer.as_deref(),
            })
        };
        let refresh_exp = s
            .refresh_token_lifetime
            .after(now)
            .min(s.refresh_token_max_lifetime.after(now));
        Pair {
            refresh: token(TokenType::Refresh, refresh_exp),
            access: token(TokenType::Access, s.access_token_lifetime.after(now)),
        }
    }

    /// A `login/jwt` token for `user`.
    pub fn tutorial_for(&self, user: &User, now: i64) -> String {
        self.jwt.sign(&TutorialClaims {
            id: user.id,
            username: &user.username,
            iat: now,
            exp: self.settings.jwt_login_token_lifetime.after(now),
            generation: user.generation,
        })
    }

    /// An access token (`Authorization: Bearer`).
    pub fn access(&self, raw: &str, now: i64) -> Result<ValidToken, TokenError> {
        self.simplejwt(raw, Some(TokenType::Access), now)
    }

    /// A refresh token (refresh, blacklist).
    pub fn refresh(&self, raw: &str, now: i64) -> Result<Refresh<'_>, TokenError> {
        let token = self.simplejwt(raw, Some(TokenType::Refresh), now)?;
        Ok(Refresh {
            token,
            tokens: self,
        })
    }

    /// A token of any type (verify).
    pub fn any(&self, raw: &str, now: i64) -> Result<ValidToken, TokenError> {
        self.simplejwt(raw, None, now)
    }

    /// simplejwt's checks, then the configured issuer and audience
    /// (simplejwt's `TokenBackend`: `iss` must equal `ISSUER`, `aud` be or
    /// contain `AUDIENCE`), then a refresh token's family lifetime
    /// (`auth_time` + `REFRESH_TOKEN_MAX_LIFETIME`, expired like `exp`).
    fn simplejwt(
        &self,
        raw: &str,
        expected: Option<TokenType>,
        now: i64,
    ) -> Result<ValidToken, TokenError> {
        let token = decode_simplejwt(&self.jwt, raw, expected, now)?;
        let s = &self.settings;
        let issuer_ok = s
            .issuer
            .as_deref()
            .is_none_or(|issuer| token.claims.get("iss").and_then(Value::as_str) == Some(issuer));
        let audience_ok =
            s.audience
                .as_deref()
                .is_none_or(|audience| match token.claims.get("aud") {
                    Some(Value::String(aud)) => aud == audience,
                    Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
                    _ => false,
                });
        let family_alive = token.token_type() != Some(TokenType::Refresh.as_str())
            || token
                .auth_time()
                .is_none_or(|at| now < s.refresh_token_max_lifetime.after(at));
        match issuer_ok && audience_ok && family_alive {
            true => Ok(token),
            false => Err(TokenError::InvalidOrExpired),
        }
    }

    /// A `jwt-auth` token, down to the user id it names.
    pub fn tutorial(&self, raw: &str, now: i64) -> Result<TutorialToken, TutorialTokenError> {
        decode_tutorial(&self.jwt, raw, now)
    }
}

/// A valid refresh token, and what can be made from it.
pub struct Refresh<'t> {
    token: ValidToken,
    tokens: &'t Tokens,
}

impl Deref for Refresh<'_> {
    type Target = ValidToken;

    fn deref(&self) -> &ValidToken {
        &self.token
    }
}

impl Refresh<'_> {
    /// A new access token: fresh `token_type`, `exp`, `iat` and `jti`, every
    /// other claim copied.
    pub fn access_token(&self, now: i64) -> String {
        let s = &self.tokens.settings;
        let mut claims = Map::new();
        claims.insert("token_type".into(), TokenType::Access.as_str().into());
        claims.insert("exp".into(), s.access_token_lifetime.after(now).into());
        claims.insert("iat".into(), now.into());
        claims.insert("jti".into(), new_jti().into());
        // The configured scope, audience and issuer go last, in that order,
        // whatever the refresh token had (it has no scope).
        let configured = [
            ("scope", &s.access_token_scope),
            ("aud", &s.audience),
            ("iss", &s.issuer),
        ];
        let is_configured = |k: &str| configured.iter().any(|(n, v)| *n == k && v.is_some());
        for (k, v) in &self.token.claims {
            let fresh = matches!(k.as_str(), "token_type" | "exp" | "iat" | "jti");
            if !fresh && !REFRESH_ONLY.contains(&k.as_str()) && !is_configured(k) {
                claims.insert(k.clone(), v.clone());
            }
        }
        for (name, value) in configured {
            if let Some(value) = value {
                claims.insert(name.into(), value.as_str().into());
            }
        }
        self.tokens.jwt.sign(&claims)
    }

    /// Rotation now: the successor's `jti`, `iat` and `exp` (a full refresh
    /// lifetime, but never past the family's end), in this token's family
    /// (or a new one named after it).
    pub fn rotation(&self, now: i64) -> Rotation {
        let s = &self.tokens.settings;
        Rotation {
            fam: self.family().to_owned(),
            next_jti: new_jti(),
            next_iat: now,
            next_exp: s
                .refresh_token_lifetime
                .after(now)
                .min(s.refresh_token_max_lifetime.after(self.family_start())),
            rotated_at: now,
        }
    }

    /// The family this token belongs to: `fam`, or for a token without one
    /// (signed elsewhere, or before families) the one its rotation starts.
    pub fn family(&self) -> &str {
        self.fam().unwrap_or(self.jti())
    }

    /// When the family's login happened: `auth_time`, or for a token
    /// without one, the earliest time known (its `iat`, else now's lifetime
    /// ago).
    fn family_start(&self) -> i64 {
        self.auth_time()
            .or_else(|| self.claims.get("iat").and_then(py_int))
            .unwrap_or(self.exp() - self.tokens.settings.refresh_token_lifetime.get())
    }

    /// Whether this token is bound (`bnd`, with `REFRESH_TOKEN_BIND=address`)
    /// to a client address other than `address`. Tokens without `bnd`, or
    /// with binding off, are bound nowhere.
    pub fn bound_elsewhere(&self, address: &str) -> bool {
        if self.tokens.settings.refresh_token_bind != Binding::Address {
            return false;
        }
        match self.claims.get("bnd") {
            None => false,
            Some(Value::String(tag)) => !self.tokens.binder.verify(
                tag,
                crate::base::address::address_bucket(address).as_bytes(),
            ),
            Some(_) => true,
        }
    }

    /// The successor `rotation` names: the same claims with its `jti`,
    /// `exp`, `iat` and family. The same rotation gives the same token (the
    /// same claims; the same bytes but with ES256, whose signatures are
    /// randomized), so a retried refresh can be handed the successor it
    /// already got.
    pub fn successor(&self, rotation: &Rotation) -> String {
        let mut claims = self.token.claims.clone();
        claims.insert("jti".into(), rotation.next_jti.clone().into());
        claims.insert("exp".into(), rotation.next_exp.into());
        claims.insert("iat".into(), rotation.next_iat.into());
        if !claims.contains_key("fam") {
            claims.insert("fam".into(), rotation.fam.clone().into());
        }
        if !claims.contains_key("auth_time") {
            claims.insert("auth_time".into(), self.family_start().into());
        }
        self.tokens.jwt.sign(&claims)
    }
}

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
    /// its family and, for a refresh token, its blacklist entry (access
    /// tokens are never blacklisted one by one).
    pub async fn state_in<S: TokenStore>(&self, store: &S) -> Result<TokenState, StoreError> {
        let refresh = self.token_type() == Some(TokenType::Refresh.as_str());
        store
            .token_state(self.lookup_id(), refresh.then(|| self.jti()), self.fam())
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

/// The `gen` claim: absent is 0; anything but a non-negative integer is None
/// (never current).
pub fn claim_gen(claims: &Claims) -> Option<u64> {
    match claims.get("gen") {
        None => Some(0),
        Some(v) => v.as_u64(),
    }
}

/// How a user id claim (`user_id` or `id`) reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserIdClaim {
    /// An id that may exist.
    Id(u64),
    /// A number that no user can have (negative, zero, too large), or null.
    NoSuchUser,
    /// Not an id at all (text, float, bool, list, object).
    Unrecognizable,
}

/// Reads a user id the strict way: a JSON integer or a string of digits.
pub fn user_id_claim(value: &Value) -> UserIdClaim {
    match value {
        Value::Null => UserIdClaim::NoSuchUser,
        Value::Number(n) if n.is_u64() || n.is_i64() => match n.as_u64() {
            Some(0) | None => UserIdClaim::NoSuchUser,
            Some(id) if id > i64::MAX as u64 => UserIdClaim::NoSuchUser,
            Some(id) => UserIdClaim::Id(id),
        },
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix('+').unwrap_or(t);
            let negative =
                t.starts_with('-') && t[1..].bytes().all(|b| b.is_ascii_digit()) && t.len() > 1;
            if negative {
                UserIdClaim::NoSuchUser
            } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                match digits.parse::<u64>() {
                    Ok(0) | Err(_) => UserIdClaim::NoSuchUser,
                    Ok(id) if id > i64::MAX as u64 => UserIdClaim::NoSuchUser,
                    Ok(id) => UserIdClaim::Id(id),
                }
            } else {
                UserIdClaim::Unrecognizable
            }
        }
        _ => UserIdClaim::Unrecognizable,
    }
}

/// Python's `int(x)` for a JSON value, saturating at the `i64` range: numbers
/// (floats truncate), booleans, and strings of digits with optional sign,
/// surrounding whitespace and single underscores between digits.
pub fn py_int(value: &Value) -> Option<i64> {
    match value {
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i)
            } else if n.is_u64() {
                Some(i64::MAX)
            } else {
                let f = n.as_f64()?;
                if f.is_finite() {
                    // `as` saturates at the i64 range and truncates toward zero.
                    Some(f as i64)
                } else {
                    None
                }
            }
        }
        Value::String(s) => {
            let t = s.trim();
            let (negative, body) = match t.as_bytes().first() {
                Some(b'-') => (true, &t[1..]),
                Some(b'+') => (false, &t[1..]),
                _ => (false, t),
            };
            let valid = !body.is_empty()
                && !body.starts_with('_')
                && !body.ends_with('_')
                && !body.contains("__")
                && body.bytes().all(|b| b.is_ascii_digit() || b == b'_');
            if !valid {
                return None;
            }
            let digits: String = body.chars().filter(|c| *c != '_').collect();
            Some(match digits.parse::<i64>() {
                Ok(v) if negative => -v,
                Ok(v) => v,
                Err(_) if negative => i64::MIN,
                Err(_) => i64::MAX,
            })
        }
        _ => None,
    }
}

/// PyJWT's registered-claim checks, in its order (iat, nbf, exp, sub, jti).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimError {
    /// `iat`/`nbf`/`exp`/`sub`/`jti` of the wrong type, or not yet valid.
    Invalid,
    Expired,
}

pub fn check_registered_claims(claims: &Claims, now: i64) -> Result<(), ClaimError> {
    if let Some(iat) = claims.get("iat") {
        let iat = py_int(iat).ok_or(ClaimError::Invalid)?;
        if iat > now {
            return Err(ClaimError::Invalid);
        }
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf = py_int(nbf).ok_or(ClaimError::Invalid)?;
        if nbf > now {
            return Err(ClaimError::Invalid);
        }
    }
    if let Some(exp) = claims.get("exp") {
        let exp = py_int(exp).ok_or(ClaimError::Invalid)?;
        if exp <= now {
            return Err(ClaimError::Expired);
        }
    }
    if claims.get("sub").is_some_and(|s| !s.is_string()) {
        return Err(ClaimError::Invalid);
    }
    if claims.get("jti").is_some_and(|s| !s.is_string()) {
        return Err(ClaimError::Invalid);
    }
    Ok(())
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

#[derive(Serialize)]
struct NewToken<'a> {
    token_type: &'static str,
    exp: i64,
    iat: i64,
    jti: String,
    user_id: &'a str,
    fam: &'a str,
    #[serde(rename = "gen")]
    generation: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bnd: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
}

// ---------------------------------------------------------------------------
// The tutorial's hand-written tokens (`login/jwt`, `jwt-auth` header)

#[derive(Serialize)]
struct TutorialClaims<'a> {
    id: u64,
    username: &'a str,
    iat: i64,
    exp: i64,
    #[serde(rename = "gen")]
    generation: u64,
}

/// A decoded `jwt-auth` token: whose, and of which generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TutorialToken {
    pub user_id: u64,
    pub generation: Option<u64>,
}

/// Why a `jwt-auth` token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TutorialTokenError {
    Decoding,
    Expired,
    InvalidToken,
    UserNotFound,
}

/// Decodes a `jwt-auth` token down to the user id it names.
pub fn decode_tutorial(
    backend: &JwtBackend,
    token: &str,
    now: i64,
) -> Result<TutorialToken, TutorialTokenError> {
    let claims = backend
        .decode(token)
        .map_err(|_| TutorialTokenError::Decoding)?;
    check_registered_claims(&claims, now).map_err(|e| match e {
        ClaimError::Expired => TutorialTokenError::Expired,
        ClaimError::Invalid => TutorialTokenError::Decoding,
    })?;
    let id = claims.get("id").ok_or(TutorialTokenError::InvalidToken)?;
    if is_falsy(id) || !claims.contains_key("exp") {
        return Err(TutorialTokenError::InvalidToken);
    }
    match user_id_claim(id) {
        UserIdClaim::Id(id) => Ok(TutorialToken {
            user_id: id,
            generation: claim_gen(&claims),
        }),
        UserIdClaim::NoSuchUser => Err(TutorialTokenError::UserNotFound),
        UserIdClaim::Unrecognizable => Err(TutorialTokenError::InvalidToken),
    }
}

/// Python truthiness of a JSON value.
pub fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_800_000_000;

    fn backend() -> JwtBackend {
        JwtBackend::new(&[KEY])
    }

    fn sign(v: Value) -> String {
        backend().sign(&v)
    }

    fn simple(token: &str, t: Option<TokenType>) -> Result<ValidToken, TokenError> {
        decode_simplejwt(&backend(), token, t, NOW)
    }

    /// Tokens with the default lifetimes: access 300 s, refresh 86,400 s,
    /// `login/jwt` 60 s.
    fn tokens() -> Tokens {
        let mut settings =
            crate::settings::Settings::with_signing_key(std::str::from_utf8(KEY).unwrap())
                .unwrap()
                .tokens;
        settings.jwt_login_token_lifetime = crate::settings::Seconds::new(60);
        Tokens::new(backend(), settings, &[KEY])
    }

    fn user(id: u64, generation: u64) -> User {
        User {
            id,
            username: "alice".into(),
            password: String::new(),
            is_active: true,
            generation,
            mfa: Default::default(),
        }
    }

    fn rotation(fam: &str, next_jti: &str, next_iat: i64, next_exp: i64) -> Rotation {
        Rotation {
            fam: fam.into(),
            next_jti: next_jti.into(),
            next_iat,
            next_exp,
            rotated_at: next_iat,
        }
    }

    #[test]
    fn issued_pairs_have_simplejwts_claims_in_order() {
        let pair = tokens().pair_for(&user(7, 3), NOW, "192.0.2.1");
        let access = simple(&pair.access, Some(TokenType::Access)).unwrap();
        let keys: Vec<_> = access.claims.keys().cloned().collect();
        assert_eq!(
            keys,
            ["token_type", "exp", "iat", "jti", "user_id", "fam", "gen"]
        );
        assert!(access.current_for(3));
        let refresh = simple(&pair.refresh, Some(TokenType::Refresh)).unwrap();
        let keys: Vec<_> = refresh.claims.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "token_type",
                "exp",
                "iat",
                "jti",
                "user_id",
                "fam",
                "gen",
                "auth_time"
            ]
        );
        assert_eq!(refresh.fam(), access.fam(), "one family");
        assert_eq!(refresh.auth_time(), Some(NOW));
        assert!(!access.current_for(4));
        assert_eq!(access.claims["exp"], json!(NOW + 300));
        assert_eq!(access.claims["iat"], json!(NOW));
        assert_eq!(access.claims["user_id"], json!("7"));
        let jti = access.jti();
        assert_eq!(jti.len(), 32);
        assert!(
            jti.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(refresh.claims["exp"], json!(NOW + 86_400));
        assert_ne!(refresh.jti(), access.jti());
        assert_eq!(refresh.fam().unwrap().len(), 32);
    }

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

    #[test]
    fn time_claims_read_like_python_int() {
        assert_eq!(py_int(&json!(5)), Some(5));
        assert_eq!(py_int(&json!(5.9)), Some(5));
        assert_eq!(py_int(&json!(-5.9)), Some(-5));
        assert_eq!(py_int(&json!(" 12 ")), Some(12));
        assert_eq!(py_int(&json!("1_000")), Some(1000));
        assert_eq!(py_int(&json!("-3")), Some(-3));
        assert_eq!(py_int(&json!(true)), Some(1));
        assert_eq!(py_int(&json!(1e300)), Some(i64::MAX));
        assert_eq!(py_int(&json!(u64::MAX)), Some(i64::MAX));
        assert_eq!(py_int(&json!("99999999999999999999999")), Some(i64::MAX));
        for bad in [
            json!("1.5"),
            json!("_1"),
            json!("1__0"),
            json!(""),
            json!(null),
            json!([1]),
        ] {
            assert_eq!(py_int(&bad), None, "{bad}");
        }
    }

    #[test]
    fn user_ids_are_read_strictly() {
        assert_eq!(user_id_claim(&json!(1)), UserIdClaim::Id(1));
        assert_eq!(user_id_claim(&json!("1")), UserIdClaim::Id(1));
        assert_eq!(user_id_claim(&json!("-1")), UserIdClaim::NoSuchUser);
        assert_eq!(user_id_claim(&json!(-1)), UserIdClaim::NoSuchUser);
        assert_eq!(user_id_claim(&json!(u64::MAX)), UserIdClaim::NoSuchUser);
        assert_eq!(
            user_id_claim(&json!("99999999999999999999999")),
            UserIdClaim::NoSuchUser
        );
        assert_eq!(user_id_claim(&json!(null)), UserIdClaim::NoSuchUser);
        for bad in [
            json!("abc"),
            json!(1.0),
            json!(true),
            json!([1]),
            json!({"id":1}),
            json!(""),
        ] {
            assert_eq!(user_id_claim(&bad), UserIdClaim::Unrecognizable, "{bad}");
        }
    }

    #[test]
    fn refresh_gives_fresh_access_claims_and_rotation_keeps_the_rest() {
        let tokens = tokens();
        let refresh = sign(
            json!({"token_type":"refresh","exp":NOW+100,"iat":NOW-100,"jti":"r1","user_id":"3","fam":"f"}),
        );
        let valid = tokens.refresh(&refresh, NOW).unwrap();
        let access = valid.access_token(NOW);
        let access = simple(&access, Some(TokenType::Access)).unwrap();
        let keys: Vec<_> = access.claims.keys().cloned().collect();
        assert_eq!(keys, ["token_type", "exp", "iat", "jti", "user_id", "fam"]);
        assert_eq!(access.claims["iat"], json!(NOW));
        assert_ne!(access.jti(), "r1");
        let next = valid.successor(&rotation("other", "r2", NOW, NOW + 1000));
        assert_eq!(
            next,
            valid.successor(&rotation("other", "r2", NOW, NOW + 1000)),
            "deterministic"
        );
        let rotated = simple(&next, Some(TokenType::Refresh)).unwrap();
        let keys: Vec<_> = rotated.claims.keys().cloned().collect();
        let with_start = [
            "token_type",
            "exp",
            "iat",
            "jti",
            "user_id",
            "fam",
            "auth_time",
        ];
        assert_eq!(keys, with_start, "a family's start is added");
        assert_eq!(rotated.auth_time(), Some(NOW - 100));
        assert_eq!(rotated.claims["exp"], json!(NOW + 1000));
        assert_eq!(rotated.jti(), "r2");
        assert_eq!(rotated.fam(), Some("f"), "the family is kept");
        let legacy = tokens
            .refresh(
                &sign(json!({"token_type":"refresh","exp":NOW+100,"jti":"x","user_id":"3"})),
                NOW,
            )
            .unwrap();
        let next = simple(&legacy.successor(&rotation("x", "y", NOW, NOW + 9)), None).unwrap();
        assert_eq!(next.fam(), Some("x"), "a token without a family starts one");
        assert_eq!(
            next.auth_time(),
            Some(NOW + 100 - 86_400),
            "the earliest start known"
        );
        let planned = legacy.rotation(NOW);
        assert_eq!(
            (planned.fam.as_str(), planned.next_iat, planned.next_exp),
            ("x", NOW, NOW + 86_400)
        );
    }

    #[test]
    fn a_family_never_outlives_its_maximum_lifetime() {
        let tokens = tokens(); // max 30 days, refresh lifetime 1 day
        let max = 2_592_000;
        let at = |auth_time: i64| {
            sign(
                json!({"token_type":"refresh","exp":NOW+100,"iat":NOW-10,"jti":"r","user_id":"3","fam":"f","auth_time":auth_time}),
            )
        };
        let young = tokens.refresh(&at(NOW - 1000), NOW).unwrap();
        assert_eq!(young.rotation(NOW).next_exp, NOW + 86_400);
        let old = tokens.refresh(&at(NOW - max + 500), NOW).unwrap();
        assert_eq!(
            old.rotation(NOW).next_exp,
            NOW + 500,
            "capped by the family's end"
        );
        let next = old.successor(&old.rotation(NOW));
        assert_eq!(
            simple(&next, None).unwrap().auth_time(),
            Some(NOW - max + 500)
        );
        assert_eq!(
            tokens.refresh(&at(NOW - max), NOW).err(),
            Some(TokenError::InvalidOrExpired),
            "past its family's end, however late its own exp"
        );
        assert!(tokens.any(&at(NOW - max), NOW).is_err(), "verify too");
        // Access tokens made from it carry no refresh-only claims.
        let access = simple(&young.access_token(NOW), None).unwrap();
        assert!(access.auth_time().is_none() && access.fam() == Some("f"));
    }

    #[test]
    fn bound_tokens_work_from_their_address_only() {
        let mut settings =
            crate::settings::Settings::with_signing_key(std::str::from_utf8(KEY).unwrap())
                .unwrap()
                .tokens;
        settings.refresh_token_bind = Binding::Address;
        let tokens = Tokens::new(backend(), settings, &[KEY]);
        let pair = tokens.pair_for(&user(7, 0), NOW, "2001:db8:1:2::10");
        let refresh = tokens.refresh(&pair.refresh, NOW).unwrap();
        assert!(!refresh.bound_elsewhere("2001:db8:1:2::99"), "the same /64");
        assert!(refresh.bound_elsewhere("2001:db8:1:3::10"));
        assert!(refresh.bound_elsewhere("192.0.2.1"));
        let access = simple(&pair.access, None).unwrap();
        assert!(!access.claims.contains_key("bnd"), "refresh tokens only");
        let off = self::tokens();
        let unbound = off.refresh(&pair.refresh, NOW).unwrap();
        assert!(
            !unbound.bound_elsewhere("192.0.2.1"),
            "binding off: anywhere"
        );
    }

    #[test]
    fn tutorial_tokens() {
        let backend = backend();
        let token = tokens().tutorial_for(&user(1, 0), NOW);
        let payload = token.split('.').nth(1).unwrap();
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        assert_eq!(
            payload,
            format!(
                r#"{{"id":1,"username":"alice","iat":{NOW},"exp":{},"gen":0}}"#,
                NOW + 60
            )
            .as_bytes()
        );
        let ok = |user_id, generation| {
            Ok(TutorialToken {
                user_id,
                generation,
            })
        };
        assert_eq!(decode_tutorial(&backend, &token, NOW), ok(1, Some(0)));
        let err = |v: Value| decode_tutorial(&backend, &sign(v), NOW).unwrap_err();
        use TutorialTokenError::*;
        assert_eq!(err(json!({"id":1,"exp":NOW})), Expired);
        assert_eq!(err(json!({"id":1})), InvalidToken);
        assert_eq!(err(json!({"id":0,"exp":NOW+9})), InvalidToken);
        assert_eq!(err(json!({"id":"x","exp":NOW+9})), InvalidToken);
        assert_eq!(err(json!({"exp":NOW+9})), InvalidToken);
        assert_eq!(err(json!({"id":1,"exp":NOW+9,"nbf":NOW+5})), Decoding);
        assert_eq!(err(json!({"id":-4,"exp":NOW+9})), UserNotFound);
        assert_eq!(
            decode_tutorial(&backend, "garbage", NOW).unwrap_err(),
            Decoding
        );
        assert_eq!(
            decode_tutorial(&backend, &sign(json!({"id":"2","exp":NOW+9})), NOW),
            ok(2, Some(0))
        );
        assert_eq!(
            decode_tutorial(&backend, &sign(json!({"id":2,"exp":NOW+9,"gen":"x"})), NOW),
            ok(2, None)
        );
    }
}
