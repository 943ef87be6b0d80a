//! [`Settings`]: every group of the table and the signing keys, read at
//! once from the environment (or any lookup), checked together.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::table::{
    AccountSettings, CorsSettings, CsrfSettings, FrontSettings, MFA_FAILURES_CAP, MailSettings,
    MfaSettings, OAuthSettings, RefreshCookieSettings, SessionSettings, Tables, ThrottleSettings,
    TokenSettings,
};
use super::values::{MIN_SIGNING_KEY_BYTES, SameSite, SettingsError};
use crate::base::jwt::{Alg, JwtBackend, pem_blocks};

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
    pub front: FrontSettings,
    pub accounts: AccountSettings,
    pub mail: MailSettings,
    pub oauth: OAuthSettings,
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
            front: FrontSettings::from_lookup(&lookup)?,
            accounts: AccountSettings::from_lookup(&lookup)?,
            mail: MailSettings::from_lookup(&lookup)?,
            oauth: OAuthSettings::from_lookup(&lookup)?,
            tables: Tables::from_lookup(&lookup)?,
        };
        settings.check_cookies()?;
        if settings.mfa.totp_issuer.contains(':') {
            return Err(SettingsError::IssuerWithColon("MFA_TOTP_ISSUER"));
        }
        let accounts = &settings.accounts;
        accounts
            .activation_url
            .check("ACTIVATION_URL", &["{key}"])?;
        (accounts.password_reset_confirm_url)
            .check("PASSWORD_RESET_CONFIRM_URL", &["{uid}", "{token}"])?;
        if accounts.registration_open && accounts.activation_url.0.is_none() {
            return Err(SettingsError::Needs("REGISTRATION_OPEN", "ACTIVATION_URL"));
        }
        if settings.oauth.enabled {
            // Clients verify the provider's tokens with its published keys.
            if !settings.tokens.algorithm.is_asymmetric() {
                return Err(SettingsError::Needs(
                    "OAUTH_ENABLED",
                    "ALGORITHM RS256, ES256 or EdDSA",
                ));
            }
            if settings.tokens.issuer.is_none() {
                return Err(SettingsError::Needs("OAUTH_ENABLED", "ISSUER"));
            }
        }
        let max_failures = settings.mfa.totp_max_failures;
        if max_failures > MFA_FAILURES_CAP {
            return Err(SettingsError::AboveMaximum {
                name: "MFA_TOTP_MAX_FAILURES",
                max: MFA_FAILURES_CAP,
                value: max_failures,
            });
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
    use super::super::table::TABLE;
    use super::super::values::Seconds;
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
            ("MFA_TOTP_MAX_FAILURES", "0"),
            ("MFA_TOTP_MAX_FAILURES", "101"),
            ("FRONT_ORIGIN_SECRET", "short"),
        ] {
            assert!(
                settings(&[("SIGNING_KEY", KEY), (name, value)]).is_err(),
                "{name}={value} accepted"
            );
        }
    }

    #[test]
    fn the_oauth_provider_needs_published_keys_and_an_issuer() {
        let pem = include_str!("../../tests/fixtures/keys/ec.pem");
        let on = ("OAUTH_ENABLED", "true");
        assert_eq!(
            settings(&[("SIGNING_KEY", KEY), on]).unwrap_err(),
            SettingsError::Needs("OAUTH_ENABLED", "ALGORITHM RS256, ES256 or EdDSA")
        );
        let es256 = [("SIGNING_KEY", pem), ("ALGORITHM", "ES256"), on];
        assert_eq!(
            settings(&es256).unwrap_err(),
            SettingsError::Needs("OAUTH_ENABLED", "ISSUER")
        );
        let issuer = ("ISSUER", "https://auth.example.com/api/v1/users");
        assert!(
            settings(&[es256[0], es256[1], on, issuer])
                .unwrap()
                .oauth
                .enabled
        );
        assert!(!settings(&[("SIGNING_KEY", KEY)]).unwrap().oauth.enabled);
    }

    #[test]
    fn debug_output_does_not_show_the_key() {
        let s = settings(&[("SIGNING_KEY", KEY)]).unwrap();
        assert!(!format!("{s:?}").contains(KEY));
    }
}
