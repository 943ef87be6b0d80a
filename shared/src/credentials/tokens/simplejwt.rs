//! simplejwt's tokens and the tutorial's, issued and checked by [`Tokens`]:
//! the key ring and the lifetimes, so an endpoint never handles either.

use std::ops::Deref;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::claims::{TokenError, TokenType, py_int};
use super::tutorial::{TutorialClaims, TutorialToken, TutorialTokenError, decode_tutorial};
use super::valid::{ValidToken, decode_simplejwt};
use crate::base::jwt::JwtBackend;
use crate::base::mac::KeyedMac;
use crate::base::random::new_jti;
use crate::model::token::Rotation;
use crate::model::user::User;
use crate::settings::{Binding, TokenSettings};

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

    /// Whether access and refresh tokens are told apart by more than
    /// their `token_type` claim, for the services that verify them on
    /// their own: with a private-key `ALGORITHM`, access tokens are typed
    /// `at+jwt` (RFC 9068) and refresh tokens have an audience only this
    /// service accepts ([`Tokens::refresh_audience`]), so a verifier that
    /// checks `iss`, `aud` and the signature never takes a refresh token
    /// for an access token (RFC 8725 §3.11–3.12). HS256 tokens stay as
    /// simplejwt makes them (their key verifies nowhere else).
    fn kinds_apart(&self) -> bool {
        self.settings.algorithm.is_asymmetric()
    }

    /// The `aud` of refresh tokens when they are told apart: the refresh
    /// endpoint's URL (`<ISSUER>/login/simpleJWT/refresh`), which no other
    /// service names as its audience.
    pub fn refresh_audience(&self) -> Option<String> {
        let issuer = self.settings.issuer.as_deref().unwrap_or("");
        self.kinds_apart()
            .then(|| format!("{issuer}/login/simpleJWT/refresh"))
    }

    /// Signs an access token's claims: typed `at+jwt` when kinds are told
    /// apart.
    fn sign_access<C: Serialize>(&self, claims: &C) -> String {
        match self.kinds_apart() {
            true => self.jwt.sign_typed(claims, "at+jwt"),
            false => self.jwt.sign(claims),
        }
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
        let refresh_audience = self.refresh_audience();
        let token = |token_type: TokenType, exp: i64| {
            let (access, refresh) = match token_type {
                TokenType::Access => (true, false),
                TokenType::Refresh => (false, true),
            };
            let aud = match (refresh, &refresh_audience) {
                (true, Some(own)) => Some(own.as_str()),
                _ => s.audience.as_deref(),
            };
            let claims = NewToken {
                token_type: token_type.as_str(),
                exp,
                iat: now,
                jti: new_jti(),
                user_id: Some(&id),
                fam: Some(&fam),
                generation: Some(user.generation),
                auth_time: refresh.then_some(now),
                bnd: bnd.as_deref().filter(|_| refresh),
                scope: s.access_token_scope.as_deref().filter(|_| access),
                aud,
                iss: s.issuer.as_deref(),
                ..NewToken::default()
            };
            match access {
                true => self.sign_access(&claims),
                false => self.jwt.sign(&claims),
            }
        };
        Pair {
            refresh: token(TokenType::Refresh, self.new_family_refresh_exp(now)),
            access: token(TokenType::Access, s.access_token_lifetime.after(now)),
        }
    }

    /// An OAuth access token for a client acting on its own behalf
    /// (`client_credentials`), in the RFC 9068 profile: typed `at+jwt`,
    /// `sub` and `client_id` the client, `scope` what it was granted, `aud`
    /// the configured audience (else the issuer), and simplejwt's
    /// `token_type` so that this service's own checks take it as an access
    /// token. No `user_id`: it names no user. Its lifetime is
    /// `ACCESS_TOKEN_LIFETIME`'s, returned as `expires_in`.
    pub fn client_access_token(&self, client_id: &str, scope: &str, now: i64) -> (String, i64) {
        let whose = NewToken {
            sub: Some(client_id),
            client_id: Some(client_id),
            scope: Some(scope),
            ..NewToken::default()
        };
        (
            self.client_held_access(whose, now),
            self.settings.access_token_lifetime.get(),
        )
    }

    /// The `exp` of the first refresh token of a new family: a full
    /// refresh lifetime, within the family's maximum.
    fn new_family_refresh_exp(&self, now: i64) -> i64 {
        let s = &self.settings;
        (s.refresh_token_lifetime.after(now)).min(s.refresh_token_max_lifetime.after(now))
    }

    /// An access token held by an OAuth client (RFC 9068 §2.2), whose
    /// claims `whose` gives (user, family, generation, `sub`, `client_id`,
    /// `scope`): typed `at+jwt`, `aud` the configured audience (else the
    /// issuer), `iss` the issuer, `ACCESS_TOKEN_LIFETIME`.
    fn client_held_access(&self, whose: NewToken<'_>, now: i64) -> String {
        let s = &self.settings;
        let issuer = s.issuer.as_deref().unwrap_or_default();
        let claims = NewToken {
            token_type: TokenType::Access.as_str(),
            exp: s.access_token_lifetime.after(now),
            iat: now,
            jti: new_jti(),
            aud: Some(s.audience.as_deref().unwrap_or(issuer)),
            iss: Some(issuer),
            ..whose
        };
        self.jwt.sign_typed(&claims, "at+jwt")
    }

    /// The claims of a user's access token held by an OAuth client: the
    /// user (also as `sub`), family and generation, the client and scope.
    fn held_by<'a>(
        user_id: &'a str,
        fam: &'a str,
        generation: u64,
        client_id: &'a str,
        scope: &'a str,
    ) -> NewToken<'a> {
        NewToken {
            user_id: Some(user_id),
            fam: Some(fam),
            generation: Some(generation),
            sub: Some(user_id),
            client_id: Some(client_id),
            scope: Some(scope),
            ..NewToken::default()
        }
    }

    /// The tokens of an authorization-code grant for `user`: an access
    /// token in the RFC 9068 profile that is also one of this service's
    /// own (simplejwt's claims with `fam` and `gen`, so logout everywhere,
    /// a password change and the family's revocation end it; then `sub`,
    /// `client_id`, `scope`, `aud` and `iss`), and with `openid` in the
    /// scope an OpenID Connect id_token (Core §2: `iss`, `sub`, `aud` the
    /// client, `exp`, `iat`, `auth_time`, `nonce`, `amr`). Both live
    /// `ACCESS_TOKEN_LIFETIME`.
    pub fn oauth_tokens(&self, user: &User, grant: &OAuthGrant<'_>, now: i64) -> OAuthTokens {
        let s = &self.settings;
        let issuer = s.issuer.as_deref().unwrap_or_default();
        let sub = user.id.to_string();
        let whose = || {
            Self::held_by(
                &sub,
                grant.fam,
                user.generation,
                grant.client_id,
                grant.scope,
            )
        };
        let openid = grant.scope.split(' ').any(|scope| scope == "openid");
        let id_token = openid.then(|| {
            self.jwt.sign(&IdToken {
                iss: issuer,
                sub: &sub,
                aud: grant.client_id,
                exp: s.access_token_lifetime.after(now),
                iat: now,
                auth_time: grant.auth_time,
                nonce: grant.nonce,
                amr: grant.amr,
            })
        });
        let refresh = grant.refresh.then(|| {
            let refresh_audience = self.refresh_audience();
            self.jwt.sign(&NewToken {
                token_type: TokenType::Refresh.as_str(),
                exp: self.new_family_refresh_exp(now),
                iat: now,
                jti: new_jti(),
                // A refresh token names its user by `user_id` alone, as a
                // pair's does.
                sub: None,
                auth_time: Some(now),
                aud: Some(refresh_audience.as_deref().unwrap_or(issuer)),
                iss: Some(issuer),
                ..whose()
            })
        });
        OAuthTokens {
            access: self.client_held_access(whose(), now),
            id_token,
            refresh,
            expires_in: s.access_token_lifetime.get(),
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
        let names = |audience: &str| match token.claims.get("aud") {
            Some(Value::String(aud)) => aud == audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        // A refresh token names the refresh audience (or, issued before
        // kinds were told apart, the configured one).
        let own_refresh = self
            .refresh_audience()
            .filter(|_| token.token_type() == Some(TokenType::Refresh.as_str()));
        let audience_ok =
            own_refresh.is_some_and(|own| names(&own)) || s.audience.as_deref().is_none_or(names);
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
        // The refresh token's own audience is never an access token's.
        let refresh_audience = |k: &str| k == "aud" && self.tokens.kinds_apart();
        for (k, v) in &self.token.claims {
            let fresh = matches!(k.as_str(), "token_type" | "exp" | "iat" | "jti");
            let refresh_only = REFRESH_ONLY.contains(&k.as_str()) || refresh_audience(k);
            if !fresh && !refresh_only && !is_configured(k) {
                claims.insert(k.clone(), v.clone());
            }
        }
        for (name, value) in configured {
            if let Some(value) = value {
                claims.insert(name.into(), value.as_str().into());
            }
        }
        self.tokens.sign_access(&claims)
    }

    /// The client a refresh token was issued to (its `client_id` claim),
    /// if an OAuth client's.
    pub fn client_id(&self) -> Option<&str> {
        self.token.claims.get("client_id").and_then(Value::as_str)
    }

    /// An OAuth client's new access token from its refresh token: the
    /// user, family, generation and client it names, for `scope` (its own
    /// or less: RFC 9068).
    pub fn oauth_access_token(&self, scope: &str, now: i64) -> Option<(String, i64)> {
        let claims = &self.token.claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let whose = Tokens::held_by(
            text("user_id")?,
            text("fam")?,
            super::claims::claim_gen(claims).unwrap_or(0),
            text("client_id")?,
            scope,
        );
        let access = self.tokens.client_held_access(whose, now);
        Some((access, self.tokens.settings.access_token_lifetime.get()))
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
        if let Some(own) = self.tokens.refresh_audience() {
            claims.insert("aud".into(), own.into());
        }
        self.tokens.jwt.sign(&claims)
    }
}

/// The claims of every token this service signs but the tutorial's and
/// the id_token, in the one order they take: simplejwt's, then ours. Each
/// kind sets its own (absent ones are left out):
/// * a pair's: `user_id`, `fam`, `gen`; a refresh token's `auth_time` and
///   `bnd`; an access token's configured `scope`; `aud`, `iss`;
/// * an OAuth client's access token for a user: `user_id`, `fam`, `gen`,
///   `sub`, `client_id`, `scope`, `aud`, `iss`; its refresh token the same
///   without `sub`, with `auth_time`;
/// * an OAuth client's own access token: `sub`, `client_id`, `scope`,
///   `aud`, `iss`.
#[derive(Serialize, Default)]
struct NewToken<'a> {
    token_type: &'static str,
    exp: i64,
    iat: i64,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fam: Option<&'a str>,
    #[serde(rename = "gen", skip_serializing_if = "Option::is_none")]
    generation: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bnd: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
}

/// What an authorization-code grant issues tokens for.
pub struct OAuthGrant<'a> {
    pub client_id: &'a str,
    pub scope: &'a str,
    /// The family its tokens carry (chosen with the code).
    pub fam: &'a str,
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    pub amr: &'a [String],
    /// Whether a refresh token comes with them (the client may use the
    /// `refresh_token` grant).
    pub refresh: bool,
}

/// An authorization-code grant's tokens.
pub struct OAuthTokens {
    pub access: String,
    pub id_token: Option<String>,
    pub refresh: Option<String>,
    pub expires_in: i64,
}

/// OpenID Connect Core §2's ID Token.
#[derive(Serialize)]
struct IdToken<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    amr: &'a [String],
}

// ---------------------------------------------------------------------------
// The tutorial's hand-written tokens (`login/jwt`, `jwt-auth` header)

#[cfg(test)]
mod tests {
    use super::super::valid::testing::*;
    use super::*;
    use serde_json::json;

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
            email: String::new(),
            email_verified: false,
            first_name: String::new(),
            last_name: String::new(),
            mfa: Default::default(),
            passkeys: Vec::new(),
            consents: Vec::new(),
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
    fn oauth_tokens_have_their_claims_in_order() {
        let keys = |token: &str| -> Vec<String> {
            let t = simple(token, None).unwrap();
            t.claims.keys().cloned().collect()
        };
        let (own, _) = tokens().client_access_token("c", "read", NOW);
        assert_eq!(
            keys(&own),
            [
                "token_type",
                "exp",
                "iat",
                "jti",
                "sub",
                "client_id",
                "scope",
                "aud",
                "iss"
            ]
        );
        let grant = OAuthGrant {
            client_id: "c",
            scope: "openid read",
            fam: "f",
            auth_time: NOW - 5,
            nonce: Some("n"),
            amr: &["pwd".to_owned()],
            refresh: true,
        };
        let issued = tokens().oauth_tokens(&user(7, 3), &grant, NOW);
        let access = [
            "token_type",
            "exp",
            "iat",
            "jti",
            "user_id",
            "fam",
            "gen",
            "sub",
            "client_id",
            "scope",
            "aud",
            "iss",
        ];
        assert_eq!(keys(&issued.access), access);
        let refresh = issued.refresh.unwrap();
        assert_eq!(
            keys(&refresh),
            [
                "token_type",
                "exp",
                "iat",
                "jti",
                "user_id",
                "fam",
                "gen",
                "auth_time",
                "client_id",
                "scope",
                "aud",
                "iss",
            ]
        );
        // A refreshed access token has the first one's claims.
        let t = tokens();
        let presented = t.refresh(&refresh, NOW).unwrap();
        let (again, _) = presented.oauth_access_token("read", NOW).unwrap();
        assert_eq!(keys(&again), access);
        assert!(issued.id_token.is_some());
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
