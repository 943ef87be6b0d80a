//! Every setting of the service, read once per cold start from the environment.
//!
//! The defaults are the tutorial's `SIMPLE_JWT` and Django's session/CSRF
//! defaults. [`Settings::DEFAULTS`] is the one place they are written down;
//! the README's settings table mirrors it.

use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// Shortest signing key accepted: HS256 wants at least 256 bits of key.
pub const MIN_SIGNING_KEY_BYTES: usize = 32;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `SIGNING_KEYS` (or a single `SIGNING_KEY`): HS256 keys for both token
    /// styles and the session hash. The first signs; all verify, so a key
    /// can be rotated without logging anyone out.
    pub signing_keys: Vec<SecretString>,
    /// `ACCESS_TOKEN_LIFETIME`, seconds.
    pub access_token_lifetime: i64,
    /// `REFRESH_TOKEN_LIFETIME`, seconds.
    pub refresh_token_lifetime: i64,
    /// `ROTATE_REFRESH_TOKENS`: refresh also returns a new refresh token.
    pub rotate_refresh_tokens: bool,
    /// `BLACKLIST_AFTER_ROTATION`: a rotated refresh token is blacklisted.
    pub blacklist_after_rotation: bool,
    /// `REFRESH_REUSE_DETECTION`: presenting an already-rotated refresh token
    /// revokes its whole family (only meaningful with rotation).
    pub refresh_reuse_detection: bool,
    /// `REFRESH_REUSE_INTERVAL`, seconds: within it, the token just rotated
    /// may be presented again (a network retry) and gets the same successor.
    pub refresh_reuse_interval: i64,
    /// `JWT_LOGIN_TOKEN_LIFETIME`, seconds: lifetime of `login/jwt` tokens.
    pub jwt_login_token_lifetime: i64,
    /// `CSRF_TRUSTED_ORIGINS`: comma-separated origins (`https://app.example.com`,
    /// `https://*.example.com`) allowed besides the request's own host.
    pub csrf_trusted_origins: Vec<String>,
    /// `SESSION_COOKIE_SECURE`: add `Secure` to the session and CSRF cookies.
    pub session_cookie_secure: bool,
    /// `SESSION_COOKIE_AGE`, seconds (Django's default: two weeks).
    pub session_cookie_age: i64,
    /// `THROTTLE_USERNAME_LIMIT`: password attempts per username per window.
    pub throttle_username_limit: u64,
    /// `THROTTLE_IP_LIMIT`: password attempts per client address per window.
    pub throttle_ip_limit: u64,
    /// `THROTTLE_WINDOW`, seconds.
    pub throttle_window: i64,
    /// `USERS_TABLE`, `SESSIONS_TABLE`, `BLACKLIST_TABLE`, `THROTTLE_TABLE`:
    /// DynamoDB table names.
    pub tables: Tables,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub users: String,
    pub sessions: String,
    pub blacklist: String,
    pub throttle: String,
}

impl Tables {
    /// `USERS_TABLE`, `SESSIONS_TABLE`, `BLACKLIST_TABLE`, `THROTTLE_TABLE` from the environment
    /// (all `authctl` needs).
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let d = Settings::DEFAULTS;
        let table = |name: &'static str, default: &str| match lookup(name) {
            None => Ok(default.to_owned()),
            Some(v) if v.trim().is_empty() => Err(SettingsError::Empty(name)),
            Some(v) => Ok(v.trim().to_owned()),
        };
        Ok(Tables {
            users: table("USERS_TABLE", d.users_table)?,
            sessions: table("SESSIONS_TABLE", d.sessions_table)?,
            blacklist: table("BLACKLIST_TABLE", d.blacklist_table)?,
            throttle: table("THROTTLE_TABLE", d.throttle_table)?,
        })
    }
}

/// The defaults of every setting but the signing key, in one place.
pub struct Defaults {
    pub access_token_lifetime: i64,
    pub refresh_token_lifetime: i64,
    pub rotate_refresh_tokens: bool,
    pub blacklist_after_rotation: bool,
    pub refresh_reuse_detection: bool,
    pub refresh_reuse_interval: i64,
    pub jwt_login_token_lifetime: i64,
    pub session_cookie_secure: bool,
    pub session_cookie_age: i64,
    pub users_table: &'static str,
    pub sessions_table: &'static str,
    pub blacklist_table: &'static str,
    pub throttle_table: &'static str,
    pub throttle_username_limit: u64,
    pub throttle_ip_limit: u64,
    pub throttle_window: i64,
}

/// Lifetime of the `csrftoken` cookie (Django's `CSRF_COOKIE_AGE`, 52 weeks).
pub const CSRF_COOKIE_AGE: i64 = 31_449_600;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("neither SIGNING_KEYS nor SIGNING_KEY is set; refusing to start without a signing key")]
    MissingSigningKey,
    #[error("a signing key is too short: each needs at least {MIN_SIGNING_KEY_BYTES} bytes")]
    ShortSigningKey,
    #[error("{name} must be a whole number of seconds, got {value:?}")]
    BadSeconds { name: &'static str, value: String },
    #[error("{name} must be true or false, got {value:?}")]
    BadBool { name: &'static str, value: String },
    #[error("CSRF_TRUSTED_ORIGINS entry {0:?} must start with a scheme, like https://")]
    BadOrigin(String),
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

impl Settings {
    pub const DEFAULTS: Defaults = Defaults {
        access_token_lifetime: 300,
        refresh_token_lifetime: 86_400,
        rotate_refresh_tokens: false,
        blacklist_after_rotation: true,
        refresh_reuse_detection: true,
        refresh_reuse_interval: 0,
        jwt_login_token_lifetime: 86_400,
        session_cookie_secure: false,
        session_cookie_age: 1_209_600,
        users_table: "auth-users",
        sessions_table: "auth-sessions",
        blacklist_table: "auth-blacklist",
        throttle_table: "auth-throttle",
        throttle_username_limit: 5,
        throttle_ip_limit: 50,
        throttle_window: 900,
    };

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let d = Self::DEFAULTS;
        let signing_keys: Vec<SecretString> = match lookup("SIGNING_KEYS") {
            Some(list) => parse_key_list(&list),
            None => lookup("SIGNING_KEY")
                .filter(|k| !k.is_empty())
                .map(SecretString::from)
                .into_iter()
                .collect(),
        };
        if signing_keys.is_empty() {
            return Err(SettingsError::MissingSigningKey);
        }
        if signing_keys
            .iter()
            .any(|k| k.expose_secret().len() < MIN_SIGNING_KEY_BYTES)
        {
            return Err(SettingsError::ShortSigningKey);
        }
        let number = |name: &'static str, default: i64, min: i64| match lookup(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if n >= min => Ok(n),
                _ => Err(SettingsError::BadSeconds { name, value: v }),
            },
        };
        let seconds = |name: &'static str, default: i64| number(name, default, 1);
        let flag = |name: &'static str, default: bool| match lookup(name) {
            None => Ok(default),
            Some(v) => parse_bool(&v).ok_or(SettingsError::BadBool { name, value: v }),
        };
        let csrf_trusted_origins = match lookup("CSRF_TRUSTED_ORIGINS") {
            None => Vec::new(),
            Some(v) => parse_origins(&v)?,
        };
        Ok(Settings {
            signing_keys,
            access_token_lifetime: seconds("ACCESS_TOKEN_LIFETIME", d.access_token_lifetime)?,
            refresh_token_lifetime: seconds("REFRESH_TOKEN_LIFETIME", d.refresh_token_lifetime)?,
            rotate_refresh_tokens: flag("ROTATE_REFRESH_TOKENS", d.rotate_refresh_tokens)?,
            blacklist_after_rotation: flag("BLACKLIST_AFTER_ROTATION", d.blacklist_after_rotation)?,
            refresh_reuse_detection: flag("REFRESH_REUSE_DETECTION", d.refresh_reuse_detection)?,
            refresh_reuse_interval: number("REFRESH_REUSE_INTERVAL", d.refresh_reuse_interval, 0)?,
            jwt_login_token_lifetime: seconds(
                "JWT_LOGIN_TOKEN_LIFETIME",
                d.jwt_login_token_lifetime,
            )?,
            csrf_trusted_origins,
            session_cookie_secure: flag("SESSION_COOKIE_SECURE", d.session_cookie_secure)?,
            session_cookie_age: seconds("SESSION_COOKIE_AGE", d.session_cookie_age)?,
            throttle_username_limit: number(
                "THROTTLE_USERNAME_LIMIT",
                d.throttle_username_limit as i64,
                1,
            )? as u64,
            throttle_ip_limit: number("THROTTLE_IP_LIMIT", d.throttle_ip_limit as i64, 1)? as u64,
            throttle_window: seconds("THROTTLE_WINDOW", d.throttle_window)?,
            tables: Tables::from_lookup(&lookup)?,
        })
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

/// `SIGNING_KEYS`: keys separated by commas or whitespace, current first.
pub fn parse_key_list(list: &str) -> Vec<SecretString> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|k| !k.is_empty())
        .map(|k| SecretString::from(k.to_owned()))
        .collect()
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_origins(v: &str) -> Result<Vec<String>, SettingsError> {
    v.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            if o.contains("://") {
                Ok(o.to_owned())
            } else {
                Err(SettingsError::BadOrigin(o.to_owned()))
            }
        })
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
        assert_eq!(s.access_token_lifetime, 300);
        assert_eq!(s.refresh_token_lifetime, 86_400);
        assert!(!s.rotate_refresh_tokens);
        assert!(s.blacklist_after_rotation);
        assert!(s.refresh_reuse_detection);
        assert_eq!(s.refresh_reuse_interval, 0);
        assert_eq!(s.jwt_login_token_lifetime, 86_400);
        assert!(s.csrf_trusted_origins.is_empty());
        assert!(!s.session_cookie_secure);
        assert_eq!(s.session_cookie_age, 1_209_600);
        assert_eq!(s.tables.users, "auth-users");
        assert_eq!(s.tables.sessions, "auth-sessions");
        assert_eq!(s.tables.blacklist, "auth-blacklist");
        assert_eq!(s.tables.throttle, "auth-throttle");
        assert_eq!(
            (
                s.throttle_username_limit,
                s.throttle_ip_limit,
                s.throttle_window
            ),
            (5, 50, 900)
        );
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
        assert_eq!(s.access_token_lifetime, 60);
        assert_eq!(s.refresh_token_lifetime, 120);
        assert!(s.rotate_refresh_tokens);
        assert!(!s.blacklist_after_rotation);
        assert!(!s.refresh_reuse_detection);
        assert_eq!(s.refresh_reuse_interval, 10);
        assert_eq!(s.jwt_login_token_lifetime, 30);
        assert_eq!(
            s.csrf_trusted_origins,
            vec!["https://app.example.com", "https://*.example.org"]
        );
        assert!(s.session_cookie_secure);
        assert_eq!(s.session_cookie_age, 3600);
        assert_eq!(
            (
                s.throttle_username_limit,
                s.throttle_ip_limit,
                s.throttle_window
            ),
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
