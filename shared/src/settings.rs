//! Every setting of the service, read once per cold start from the environment.
//!
//! Each setting is written once, in the [`settings!`] table below: its
//! group, field, type, environment variable, default and meaning. The table
//! generates the group structs, their parsing and [`TABLE`] (what the
//! README's settings table is tested against). Names and defaults are
//! simplejwt's `SIMPLE_JWT` and Django's where those exist.
//!
//! The signing keys are the one setting outside the table: they come from
//! either of two variables (or SSM, see `runtime.rs`) and are secrets.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use crate::base::jwt::{Alg, JwtBackend, pem_blocks};

/// Shortest signing key accepted: HS256 wants at least 256 bits of key.
pub const MIN_SIGNING_KEY_BYTES: usize = 32;

/// Lifetime of the `csrftoken` cookie (Django's `CSRF_COOKIE_AGE`, 52 weeks).
pub const CSRF_COOKIE_AGE: Seconds = Seconds(31_449_600);

/// A span of whole seconds, at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seconds(i64);

impl Seconds {
    /// `n` seconds; panics below one (for constants and tests).
    pub const fn new(n: i64) -> Self {
        assert!(n >= 1, "a span of at least one second");
        Seconds(n)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// The epoch second this long after `t`.
    pub const fn after(self, t: i64) -> i64 {
        t.saturating_add(self.0)
    }

    /// The epoch second this long before `t`.
    pub const fn before(self, t: i64) -> i64 {
        t.saturating_sub(self.0)
    }
}

/// One row of [`TABLE`].
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub variable: &'static str,
    /// As written in the environment; `""` for empty.
    pub default: &'static str,
    pub meaning: &'static str,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("neither SIGNING_KEYS nor SIGNING_KEY is set; refusing to start without a signing key")]
    MissingSigningKey,
    #[error("a signing key is too short: each needs at least {MIN_SIGNING_KEY_BYTES} bytes")]
    ShortSigningKey,
    #[error("{name}: {reason}")]
    BadSigningKey { name: &'static str, reason: String },
    #[error("ALGORITHM must be HS256, RS256, ES256 or EdDSA, got {0:?}")]
    BadAlgorithm(String),
    #[error("{name} must be a whole number of seconds, got {value:?}")]
    BadSeconds { name: &'static str, value: String },
    #[error("{name} must be a whole number of at least 1, got {value:?}")]
    BadNumber { name: &'static str, value: String },
    #[error("{name} must be none or address, got {value:?}")]
    BadBinding { name: &'static str, value: String },
    #[error("{name} must be true or false, got {value:?}")]
    BadBool { name: &'static str, value: String },
    #[error("{name} entry {value:?} must start with a scheme, like https://")]
    BadOrigin { name: &'static str, value: String },
    #[error(
        "{name} entry {value:?} must be an exact origin: scheme://host[:port], no path, no wildcard"
    )]
    NotAnOrigin { name: &'static str, value: String },
    #[error("{name} must be Lax, Strict, None or false, got {value:?}")]
    BadSameSite { name: &'static str, value: String },
    #[error("{name} is None, which browsers accept only with Secure: set {secure}=true")]
    SameSiteNoneNeedsSecure {
        name: &'static str,
        secure: &'static str,
    },
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("{0} must not contain a colon (it separates issuer and account in otpauth:// labels)")]
    IssuerWithColon(&'static str),
}

/// How a setting's text becomes its value.
pub trait SettingValue: Sized {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError>;
}

impl SettingValue for Seconds {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim().parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Seconds(n)),
            _ => Err(SettingsError::BadSeconds {
                name,
                value: raw.to_owned(),
            }),
        }
    }
}

/// Seconds where `0` means off.
impl SettingValue for Option<Seconds> {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim() {
            "0" => Ok(None),
            _ => Seconds::parse(name, raw).map(Some),
        }
    }
}

/// Counts and limits: at least 1.
impl SettingValue for u64 {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(SettingsError::BadNumber {
                name,
                value: raw.to_owned(),
            }),
        }
    }
}

/// A limit where `0` means none.
impl SettingValue for Option<u64> {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim() {
            "0" => Ok(None),
            _ => u64::parse(name, raw).map(Some),
        }
    }
}

/// Where a refresh token may be used (`REFRESH_TOKEN_BIND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// Anywhere (simplejwt's behaviour).
    None,
    /// Only from the client address (for IPv6, the /64) that logged in.
    Address,
}

impl SettingValue for Binding {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Binding::None),
            "address" => Ok(Binding::Address),
            _ => Err(SettingsError::BadBinding {
                name,
                value: raw.to_owned(),
            }),
        }
    }
}

/// `true/false`, `1/0`, `yes/no`, `on/off`, any case.
impl SettingValue for bool {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(SettingsError::BadBool {
                name,
                value: raw.to_owned(),
            }),
        }
    }
}

/// The signing algorithm (simplejwt's `ALGORITHM`).
impl SettingValue for Alg {
    fn parse(_: &'static str, raw: &str) -> Result<Self, SettingsError> {
        Alg::parse(raw).ok_or_else(|| SettingsError::BadAlgorithm(raw.to_owned()))
    }
}

/// Text where empty means unset.
impl SettingValue for Option<String> {
    fn parse(_: &'static str, raw: &str) -> Result<Self, SettingsError> {
        Ok(Some(raw.trim().to_owned()).filter(|v| !v.is_empty()))
    }
}

/// A flag whose empty value means "as another setting" (resolved in
/// [`Settings::from_lookup`]).
impl SettingValue for Option<bool> {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim() {
            "" => Ok(None),
            _ => bool::parse(name, raw).map(Some),
        }
    }
}

/// A cookie's `SameSite` attribute (Django's values; `false` leaves it out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
    None,
    /// No `SameSite` attribute at all.
    Omitted,
}

impl SettingValue for SameSite {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "lax" => Ok(SameSite::Lax),
            "strict" => Ok(SameSite::Strict),
            "none" => Ok(SameSite::None),
            "false" => Ok(SameSite::Omitted),
            _ => Err(SettingsError::BadSameSite {
                name,
                value: raw.to_owned(),
            }),
        }
    }
}

/// Comma-separated header names, lower-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderNames(pub Vec<String>);

impl SettingValue for HeaderNames {
    fn parse(_: &'static str, raw: &str) -> Result<Self, SettingsError> {
        Ok(HeaderNames(
            raw.split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        ))
    }
}

/// A table name: trimmed, not empty.
impl SettingValue for String {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim() {
            "" => Err(SettingsError::Empty(name)),
            v => Ok(v.to_owned()),
        }
    }
}

/// Comma-separated origins (`https://app.example.com`, `https://*.example.com`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(pub Vec<String>);

impl SettingValue for Origins {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        raw.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| match o.contains("://") {
                true => Ok(o.to_owned()),
                false => Err(SettingsError::BadOrigin {
                    name,
                    value: o.to_owned(),
                }),
            })
            .collect::<Result<_, _>>()
            .map(Origins)
    }
}

/// Comma-separated exact origins (`https://app.example.com`,
/// `http://localhost:3000`): what a browser sends in `Origin`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExactOrigins(pub Vec<String>);

impl ExactOrigins {
    pub fn contains(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o == origin)
    }
}

impl SettingValue for ExactOrigins {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        let exact = |o: &str| {
            let (scheme, rest) = o.split_once("://")?;
            let ok = matches!(scheme, "http" | "https")
                && !rest.is_empty()
                && !rest.contains(['/', '?', '#', '*', '@', ' '])
                && rest.to_ascii_lowercase() == rest;
            ok.then(|| o.to_owned())
        };
        raw.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                exact(o).ok_or_else(|| SettingsError::NotAnOrigin {
                    name,
                    value: o.to_owned(),
                })
            })
            .collect::<Result<_, _>>()
            .map(ExactOrigins)
    }
}

fn read<T: SettingValue>(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: &'static str,
) -> Result<T, SettingsError> {
    T::parse(name, lookup(name).as_deref().unwrap_or(default))
}

/// Defines the setting groups, their fields and [`TABLE`] from one list.
macro_rules! settings {
    ($(
        $(#[doc = $group_doc:literal])*
        $group:ident {
            $(
                $(#[doc = $doc:literal])+
                $field:ident: $ty:ty = $variable:literal ($default:literal);
            )+
        }
    )+) => {
        $(
            $(#[doc = $group_doc])*
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct $group {
                $( $(#[doc = $doc])+ pub $field: $ty, )+
            }

            impl $group {
                /// This group's settings from the process environment.
                pub fn from_env() -> Result<Self, SettingsError> {
                    Self::from_lookup(&|name| std::env::var(name).ok())
                }

                fn from_lookup(
                    lookup: &dyn Fn(&str) -> Option<String>,
                ) -> Result<Self, SettingsError> {
                    Ok($group { $( $field: read(lookup, $variable, $default)?, )+ })
                }
            }
        )+

        /// Every setting read from the environment but the signing keys:
        /// variable, default, meaning.
        pub const TABLE: &[Spec] = &[
            $($( Spec { variable: $variable, default: $default, meaning: concat!($($doc),+) }, )+)+
        ];
    };
}

settings! {
    /// Tokens, with simplejwt's names (`SIMPLE_JWT`) where it has them.
    TokenSettings {
        /// Seconds an access token lives.
        access_token_lifetime: Seconds = "ACCESS_TOKEN_LIFETIME" ("300");
        /// Seconds a refresh token lives.
        refresh_token_lifetime: Seconds = "REFRESH_TOKEN_LIFETIME" ("86400");
        /// Refresh also returns a new refresh token.
        rotate_refresh_tokens: bool = "ROTATE_REFRESH_TOKENS" ("false");
        /// A rotated refresh token is blacklisted (single use).
        blacklist_after_rotation: bool = "BLACKLIST_AFTER_ROTATION" ("true");
        /// With rotation: reuse of a rotated token revokes its family.
        refresh_reuse_detection: bool = "REFRESH_REUSE_DETECTION" ("true");
        /// Seconds a just-rotated token may be retried (gets the same successor); 0 is off.
        refresh_reuse_interval: Option<Seconds> = "REFRESH_REUSE_INTERVAL" ("0");
        /// Seconds a refresh family lives from its login, whatever its rotations: no successor outlives it (30 days).
        refresh_token_max_lifetime: Seconds = "REFRESH_TOKEN_MAX_LIFETIME" ("2592000");
        /// Refreshes per refresh family per minute; over it, 429 and an audit event. 0 is no limit.
        refresh_token_rate_limit: Option<u64> = "REFRESH_TOKEN_RATE_LIMIT" ("30");
        /// `address`: a refresh token works only from the client address (IPv6: the /64) that logged in; from another, its family is revoked. `none`: anywhere.
        refresh_token_bind: Binding = "REFRESH_TOKEN_BIND" ("none");
        /// Seconds a `login/jwt` token lives.
        jwt_login_token_lifetime: Seconds = "JWT_LOGIN_TOKEN_LIFETIME" ("86400");
        /// How tokens are signed: HS256 (a shared secret), RS256, ES256 or EdDSA (private keys, public keys published).
        algorithm: Alg = "ALGORITHM" ("HS256");
        /// The `iss` of access and refresh tokens, required on them when set (the API's URL under /api/v1/users for API Gateway).
        issuer: Option<String> = "ISSUER" ("");
        /// The `aud` of access and refresh tokens, required on them when set.
        audience: Option<String> = "AUDIENCE" ("");
        /// A `scope` claim on access tokens only (for API Gateway's authorizer to tell them from refresh tokens).
        access_token_scope: Option<String> = "ACCESS_TOKEN_SCOPE" ("");
        /// Seconds other services may cache the JWKS and discovery documents.
        jwks_max_age: Seconds = "JWKS_MAX_AGE" ("3600");
    }

    /// Session cookies, with Django's names.
    SessionSettings {
        /// Seconds a session lives (two weeks).
        session_cookie_age: Seconds = "SESSION_COOKIE_AGE" ("1209600");
        /// `Secure` on the session cookie (and the CSRF cookie, unless CSRF_COOKIE_SECURE says otherwise).
        session_cookie_secure: bool = "SESSION_COOKIE_SECURE" ("false");
        /// `SameSite` of the session cookie: Lax, Strict, None (needs Secure) or false (none).
        session_cookie_samesite: SameSite = "SESSION_COOKIE_SAMESITE" ("Lax");
        /// `Domain` of the session cookie; empty: the API's host only.
        session_cookie_domain: Option<String> = "SESSION_COOKIE_DOMAIN" ("");
    }

    /// Django's CSRF protection.
    CsrfSettings {
        /// Origins trusted besides the request's own host, comma-separated.
        csrf_trusted_origins: Origins = "CSRF_TRUSTED_ORIGINS" ("");
        /// `Secure` on the CSRF cookie; empty: as SESSION_COOKIE_SECURE.
        csrf_cookie_secure: Option<bool> = "CSRF_COOKIE_SECURE" ("");
        /// `SameSite` of the CSRF cookie: Lax, Strict, None (needs Secure) or false (none).
        csrf_cookie_samesite: SameSite = "CSRF_COOKIE_SAMESITE" ("Lax");
        /// `Domain` of the CSRF cookie (e.g. `.example.com` for a frontend on a sibling host); empty: the API's host only.
        csrf_cookie_domain: Option<String> = "CSRF_COOKIE_DOMAIN" ("");
    }

    /// Browser frontends on other origins, with django-cors-headers' names.
    CorsSettings {
        /// Origins allowed to call the API from a browser, exact and comma-separated; empty: no CORS headers at all.
        cors_allowed_origins: ExactOrigins = "CORS_ALLOWED_ORIGINS" ("");
        /// `Access-Control-Allow-Credentials: true` for them (cookies, Authorization); empty: true when origins are set.
        cors_allow_credentials: Option<bool> = "CORS_ALLOW_CREDENTIALS" ("");
        /// Request headers a preflight may ask for, comma-separated.
        cors_allow_headers: HeaderNames = "CORS_ALLOW_HEADERS" ("accept, authorization, content-type, jwt-auth, user-agent, x-csrftoken, x-requested-with");
        /// Seconds a browser may cache a preflight's answer.
        cors_preflight_max_age: Seconds = "CORS_PREFLIGHT_MAX_AGE" ("86400");
        /// A 401 to a request with `X-Requested-With: XMLHttpRequest` carries no `WWW-Authenticate: Basic` (no browser login dialog).
        xhr_omits_basic_challenge: bool = "XHR_OMITS_BASIC_CHALLENGE" ("false");
    }

    /// The refresh token in an HttpOnly cookie, with dj-rest-auth's names (safer defaults).
    RefreshCookieSettings {
        /// The cookie's name; empty: off (refresh tokens travel in bodies only).
        jwt_auth_refresh_cookie: Option<String> = "JWT_AUTH_REFRESH_COOKIE" ("");
        /// The cookie's `Path`: only the refresh, verify and blacklist endpoints receive it.
        jwt_auth_refresh_cookie_path: String = "JWT_AUTH_REFRESH_COOKIE_PATH" ("/api/v1/users/login/simpleJWT");
        /// `Secure` on the cookie; empty: as SESSION_COOKIE_SECURE.
        jwt_auth_secure: Option<bool> = "JWT_AUTH_SECURE" ("");
        /// `SameSite` of the cookie: Lax, Strict, None (needs Secure) or false (none).
        jwt_auth_samesite: SameSite = "JWT_AUTH_SAMESITE" ("Strict");
        /// `HttpOnly` on the cookie, and `refresh` left out of response bodies.
        jwt_auth_httponly: bool = "JWT_AUTH_HTTPONLY" ("true");
    }

    /// Password-guessing limits (`throttle.rs`).
    ThrottleSettings {
        /// Password attempts per username from one client address (an IPv6 /64) per window: the lock.
        username_address_limit: u64 = "THROTTLE_USERNAME_ADDRESS_LIMIT" ("5");
        /// Password attempts per username from all addresses per window: the ceiling on spread-out guessing.
        username_limit: u64 = "THROTTLE_USERNAME_LIMIT" ("100");
        /// Password attempts per client address per window.
        ip_limit: u64 = "THROTTLE_IP_LIMIT" ("50");
        /// Seconds of a throttle window.
        window: Seconds = "THROTTLE_WINDOW" ("900");
    }

    /// Two-factor authentication (TOTP), with django-allauth's names (`MFA_*`).
    MfaSettings {
        /// The issuer authenticator apps show next to the account (the `otpauth://` URL's label and `issuer`); no colon.
        totp_issuer: String = "MFA_TOTP_ISSUER" ("auth");
    }

    /// DynamoDB table names.
    Tables {
        /// The users table.
        users: String = "USERS_TABLE" ("auth-users");
        /// The sessions table.
        sessions: String = "SESSIONS_TABLE" ("auth-sessions");
        /// The refresh-token blacklist table.
        blacklist: String = "BLACKLIST_TABLE" ("auth-blacklist");
        /// The password-attempt counters table.
        throttle: String = "THROTTLE_TABLE" ("auth-throttle");
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `SIGNING_KEYS` (or a single `SIGNING_KEY`): the keys of both token
    /// styles (HS256 secrets, or PEM private keys for the other
    /// algorithms) and of the session hash. The first signs; all verify,
    /// so a key can be rotated without logging anyone out.
    pub signing_keys: Vec<SecretString>,
    /// The same keys parsed into the signing ring, once.
    pub jwt: Arc<JwtBackend>,
    pub tokens: TokenSettings,
    pub sessions: SessionSettings,
    pub csrf: CsrfSettings,
    pub cors: CorsSettings,
    pub refresh_cookie: RefreshCookieSettings,
    pub throttle: ThrottleSettings,
    pub mfa: MfaSettings,
    pub tables: Tables,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let tokens = TokenSettings::from_lookup(&lookup)?;
        let (signing_keys, jwt) = signing_keys(&lookup, tokens.algorithm)?;
        let settings = Settings {
            signing_keys,
            jwt: Arc::new(jwt),
            tokens,
            sessions: SessionSettings::from_lookup(&lookup)?,
            csrf: CsrfSettings::from_lookup(&lookup)?,
            cors: CorsSettings::from_lookup(&lookup)?,
            refresh_cookie: RefreshCookieSettings::from_lookup(&lookup)?,
            throttle: ThrottleSettings::from_lookup(&lookup)?,
            mfa: MfaSettings::from_lookup(&lookup)?,
            tables: Tables::from_lookup(&lookup)?,
        };
        settings.check_cookies()?;
        if settings.mfa.totp_issuer.contains(':') {
            return Err(SettingsError::IssuerWithColon("MFA_TOTP_ISSUER"));
        }
        Ok(settings)
    }

    /// `Secure` on the CSRF cookie: `CSRF_COOKIE_SECURE`, else as the session's.
    pub fn csrf_cookie_secure(&self) -> bool {
        (self.csrf.csrf_cookie_secure).unwrap_or(self.sessions.session_cookie_secure)
    }

    /// `Secure` on the refresh cookie: `JWT_AUTH_SECURE`, else as the session's.
    pub fn refresh_cookie_secure(&self) -> bool {
        (self.refresh_cookie.jwt_auth_secure).unwrap_or(self.sessions.session_cookie_secure)
    }

    /// `Access-Control-Allow-Credentials`: as set, else on when origins are set.
    pub fn cors_allow_credentials(&self) -> bool {
        let origins = &self.cors.cors_allowed_origins;
        (self.cors.cors_allow_credentials).unwrap_or(!origins.0.is_empty())
    }

    /// Whether `origin` may be trusted by the CSRF checks: a configured
    /// trusted origin or a CORS-allowed one (Django's own-host rule aside).
    pub fn trusted_origins(&self) -> Vec<String> {
        let mut trusted = self.csrf.csrf_trusted_origins.0.clone();
        trusted.extend(self.cors.cors_allowed_origins.0.iter().cloned());
        trusted
    }

    /// Browsers refuse `SameSite=None` without `Secure`: refuse to start.
    fn check_cookies(&self) -> Result<(), SettingsError> {
        let cookies = [
            (
                "SESSION_COOKIE_SAMESITE",
                self.sessions.session_cookie_samesite,
                self.sessions.session_cookie_secure,
                "SESSION_COOKIE_SECURE",
            ),
            (
                "CSRF_COOKIE_SAMESITE",
                self.csrf.csrf_cookie_samesite,
                self.csrf_cookie_secure(),
                "CSRF_COOKIE_SECURE",
            ),
            (
                "JWT_AUTH_SAMESITE",
                self.refresh_cookie.jwt_auth_samesite,
                self.refresh_cookie_secure(),
                "JWT_AUTH_SECURE",
            ),
        ];
        match cookies
            .into_iter()
            .find(|(_, same_site, secure, _)| *same_site == SameSite::None && !secure)
        {
            Some((name, _, _, secure)) => {
                Err(SettingsError::SameSiteNoneNeedsSecure { name, secure })
            }
            None => Ok(()),
        }
    }

    /// Settings with every default and the given key: for tests and benches.
    pub fn with_signing_key(key: &str) -> Result<Self, SettingsError> {
        Self::from_lookup(|name| (name == "SIGNING_KEY").then(|| key.to_owned()))
    }

    /// The signing keys' bytes, the current one first.
    pub(crate) fn signing_key_bytes(&self) -> Vec<&[u8]> {
        self.signing_keys
            .iter()
            .map(|k| k.expose_secret().as_bytes())
            .collect()
    }
}

/// `SIGNING_KEYS`, else `SIGNING_KEY`, parsed for `alg`: HS256 secrets of
/// at least 32 bytes, or PEM private keys; and the ring they make.
fn signing_keys(
    lookup: &dyn Fn(&str) -> Option<String>,
    alg: Alg,
) -> Result<(Vec<SecretString>, JwtBackend), SettingsError> {
    let (name, text) = match (lookup("SIGNING_KEYS"), lookup("SIGNING_KEY")) {
        (Some(list), _) => ("SIGNING_KEYS", list),
        (None, Some(key)) => ("SIGNING_KEY", key),
        (None, None) => return Err(SettingsError::MissingSigningKey),
    };
    let text = SecretString::from(text);
    let keys: Vec<SecretString> = match (alg.is_asymmetric(), name) {
        (true, _) => pem_blocks(text.expose_secret())
            .into_iter()
            .map(SecretString::from)
            .collect(),
        (false, "SIGNING_KEYS") => parse_key_list(text.expose_secret()),
        (false, _) => Some(text)
            .filter(|k| !k.expose_secret().is_empty())
            .into_iter()
            .collect(),
    };
    if keys.is_empty() {
        return Err(match alg.is_asymmetric() {
            true => SettingsError::BadSigningKey {
                name,
                reason: format!("no PEM private key for {} in it", alg.name()),
            },
            false => SettingsError::MissingSigningKey,
        });
    }
    if !alg.is_asymmetric()
        && keys
            .iter()
            .any(|k| k.expose_secret().len() < MIN_SIGNING_KEY_BYTES)
    {
        return Err(SettingsError::ShortSigningKey);
    }
    let bytes: Vec<&[u8]> = keys.iter().map(|k| k.expose_secret().as_bytes()).collect();
    let jwt = JwtBackend::with_keys(alg, &bytes).map_err(|e| SettingsError::BadSigningKey {
        name,
        reason: e.to_string(),
    })?;
    Ok((keys, jwt))
}

/// `SIGNING_KEYS`: keys separated by commas or whitespace, current first.
pub fn parse_key_list(list: &str) -> Vec<SecretString> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|k| !k.is_empty())
        .map(|k| SecretString::from(k.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_are_the_tutorials() {
        let s = settings(&[("SIGNING_KEY", KEY)]).unwrap();
        let t = &s.tokens;
        assert_eq!(t.access_token_lifetime.get(), 300);
        assert_eq!(t.refresh_token_lifetime.get(), 86_400);
        assert!(!t.rotate_refresh_tokens);
        assert!(t.blacklist_after_rotation);
        assert!(t.refresh_reuse_detection);
        assert_eq!(t.refresh_reuse_interval, None);
        assert_eq!(t.jwt_login_token_lifetime.get(), 86_400);
        assert!(s.csrf.csrf_trusted_origins.0.is_empty());
        assert!(!s.sessions.session_cookie_secure);
        assert_eq!(s.sessions.session_cookie_age.get(), 1_209_600);
        assert_eq!(s.tables.users, "auth-users");
        assert_eq!(s.tables.sessions, "auth-sessions");
        assert_eq!(s.tables.blacklist, "auth-blacklist");
        assert_eq!(s.tables.throttle, "auth-throttle");
        let th = &s.throttle;
        assert_eq!(
            (
                th.username_address_limit,
                th.username_limit,
                th.ip_limit,
                th.window.get()
            ),
            (5, 100, 50, 900)
        );
    }

    #[test]
    fn the_table_names_every_setting_once() {
        let mut names: Vec<&str> = TABLE.iter().map(|s| s.variable).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "a variable appears twice");
        assert!(TABLE.iter().all(|s| !s.meaning.trim().is_empty()));
    }

    #[test]
    fn refuses_to_start_without_a_usable_key() {
        assert_eq!(settings(&[]).unwrap_err(), SettingsError::MissingSigningKey);
        assert_eq!(
            settings(&[("SIGNING_KEY", "")]).unwrap_err(),
            SettingsError::MissingSigningKey
        );
        assert_eq!(
            settings(&[("SIGNING_KEY", "short")]).unwrap_err(),
            SettingsError::ShortSigningKey
        );
    }

    #[test]
    fn reads_every_variable() {
        let s = settings(&[
            ("SIGNING_KEY", KEY),
            ("ACCESS_TOKEN_LIFETIME", "60"),
            ("REFRESH_TOKEN_LIFETIME", "120"),
            ("ROTATE_REFRESH_TOKENS", "True"),
            ("BLACKLIST_AFTER_ROTATION", "0"),
            ("REFRESH_REUSE_DETECTION", "off"),
            ("REFRESH_REUSE_INTERVAL", "10"),
            ("JWT_LOGIN_TOKEN_LIFETIME", "30"),
            (
                "CSRF_TRUSTED_ORIGINS",
                "https://app.example.com, https://*.example.org",
            ),
            ("SESSION_COOKIE_SECURE", "yes"),
            ("SESSION_COOKIE_AGE", "3600"),
            ("USERS_TABLE", "u"),
            ("SESSIONS_TABLE", "s"),
            ("BLACKLIST_TABLE", "b"),
            ("THROTTLE_TABLE", "t"),
            ("THROTTLE_USERNAME_LIMIT", "3"),
            ("THROTTLE_IP_LIMIT", "30"),
            ("THROTTLE_WINDOW", "60"),
        ])
        .unwrap();
        let t = &s.tokens;
        assert_eq!(t.access_token_lifetime.get(), 60);
        assert_eq!(t.refresh_token_lifetime.get(), 120);
        assert!(t.rotate_refresh_tokens);
        assert!(!t.blacklist_after_rotation);
        assert!(!t.refresh_reuse_detection);
        assert_eq!(t.refresh_reuse_interval, Some(Seconds::new(10)));
        assert_eq!(t.jwt_login_token_lifetime.get(), 30);
        assert_eq!(
            s.csrf.csrf_trusted_origins.0,
            vec!["https://app.example.com", "https://*.example.org"]
        );
        assert!(s.sessions.session_cookie_secure);
        assert_eq!(s.sessions.session_cookie_age.get(), 3600);
        let th = &s.throttle;
        assert_eq!(
            (th.username_limit, th.ip_limit, th.window.get()),
            (3, 30, 60)
        );
        assert_eq!(
            s.tables,
            Tables {
                users: "u".into(),
                sessions: "s".into(),
                blacklist: "b".into(),
                throttle: "t".into()
            }
        );
    }

    #[test]
    fn several_keys_current_first() {
        let other = "fedcba9876543210fedcba9876543210";
        let s = settings(&[
            ("SIGNING_KEYS", &format!(" {KEY},\n{other} ")),
            ("SIGNING_KEY", "ignored"),
        ])
        .unwrap();
        let keys: Vec<&str> = s.signing_keys.iter().map(|k| k.expose_secret()).collect();
        assert_eq!(keys, [KEY, other]);
        assert_eq!(
            settings(&[("SIGNING_KEYS", &format!("{KEY},short"))]).unwrap_err(),
            SettingsError::ShortSigningKey
        );
        assert_eq!(
            settings(&[("SIGNING_KEYS", " , ")]).unwrap_err(),
            SettingsError::MissingSigningKey
        );
    }

    #[test]
    fn rejects_bad_values_instead_of_guessing() {
        for (name, value) in [
            ("ACCESS_TOKEN_LIFETIME", "5m"),
            ("ACCESS_TOKEN_LIFETIME", "0"),
            ("REFRESH_TOKEN_LIFETIME", "-1"),
            ("REFRESH_REUSE_INTERVAL", "-1"),
            ("ROTATE_REFRESH_TOKENS", "maybe"),
            ("CSRF_TRUSTED_ORIGINS", "app.example.com"),
            ("USERS_TABLE", " "),
            ("THROTTLE_IP_LIMIT", "0"),
            ("MFA_TOTP_ISSUER", "a:b"),
            ("MFA_TOTP_ISSUER", " "),
        ] {
            assert!(
                settings(&[("SIGNING_KEY", KEY), (name, value)]).is_err(),
                "{name}={value} accepted"
            );
        }
    }

    #[test]
    fn debug_output_does_not_show_the_key() {
        let s = settings(&[("SIGNING_KEY", KEY)]).unwrap();
        assert!(!format!("{s:?}").contains(KEY));
    }
}
