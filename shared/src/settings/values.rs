//! The types settings take and how each is read from its text: spans of
//! seconds, counts, booleans, cookie `SameSite` values, origins, header
//! names; and why a value is refused (the function then does not start).

use thiserror::Error;

use crate::base::jwt::Alg;

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
    #[error("{name} must be username, email or username_email, got {value:?}")]
    BadLoginBy { name: &'static str, value: String },
    #[error("{name} must be mandatory, optional or none, got {value:?}")]
    BadVerification { name: &'static str, value: String },
    #[error("{name} must be ses or console, got {value:?}")]
    BadEmailBackend { name: &'static str, value: String },
    #[error("{name} must be open or closed, got {value:?}")]
    BadFailMode { name: &'static str, value: String },
    #[error("{name} must be an absolute http(s) URL with {placeholders}, got {value:?}")]
    BadLink {
        name: &'static str,
        placeholders: &'static str,
        value: String,
    },
    #[error("{0} is on, which needs {1}")]
    Needs(&'static str, &'static str),
    #[error("{name} must be true or false, got {value:?}")]
    BadBool { name: &'static str, value: String },
    #[error("{name} entry {value:?} must start with a scheme, like https://")]
    BadOrigin { name: &'static str, value: String },
    #[error(
        "{name} entry {value:?} must be an exact origin: scheme://host[:port], no path, no wildcard"
    )]
    NotAnOrigin { name: &'static str, value: String },
    #[error("{name} lists {value:?}: the types are recovery_codes, totp and webauthn")]
    BadMfaType { name: &'static str, value: String },
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
    #[error("{0} must be at least 32 characters")]
    ShortSecret(&'static str),
    #[error("{name} must be at most {max}, got {value}")]
    AboveMaximum {
        name: &'static str,
        max: u64,
        value: u64,
    },
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

/// What a login's `username` field may name (django-allauth's
/// `ACCOUNT_AUTHENTICATION_METHOD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginBy {
    /// The username only (Django's, and the contract's).
    Username,
    /// The address only.
    Email,
    /// Either: the address if one holds it, else the username.
    UsernameEmail,
}

impl LoginBy {
    /// Whether a login may name the username.
    pub fn username(self) -> bool {
        self != LoginBy::Email
    }

    /// Whether a login may name the address.
    pub fn email(self) -> bool {
        self != LoginBy::Username
    }
}

impl SettingValue for LoginBy {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "username" => Ok(LoginBy::Username),
            "email" => Ok(LoginBy::Email),
            "username_email" => Ok(LoginBy::UsernameEmail),
            _ => Err(SettingsError::BadLoginBy {
                name,
                value: raw.to_owned(),
            }),
        }
    }
}

/// Whether users must prove their address (django-allauth's
/// `ACCOUNT_EMAIL_VERIFICATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailVerification {
    /// No login (password or token) until the address is verified; a
    /// sign-up answers "Verification e-mail sent.".
    Mandatory,
    /// The email goes out, but the login does not wait for it.
    Optional,
    /// No verification email; a sign-up logs the new user in.
    None,
}

impl SettingValue for EmailVerification {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "mandatory" => Ok(EmailVerification::Mandatory),
            "optional" => Ok(EmailVerification::Optional),
            "none" => Ok(EmailVerification::None),
            _ => Err(SettingsError::BadVerification {
                name,
                value: raw.to_owned(),
            }),
        }
    }
}

/// What a check that depends on another service does when that service
/// fails or is too slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailMode {
    /// Go on without it.
    Open,
    /// Refuse (503).
    Closed,
}

impl SettingValue for FailMode {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(FailMode::Open),
            "closed" => Ok(FailMode::Closed),
            _ => Err(SettingsError::BadFailMode {
                name,
                value: raw.to_owned(),
            }),
        }
    }
}

/// The second factors offered (django-allauth's `MFA_SUPPORTED_TYPES`,
/// comma-separated here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaTypes {
    pub recovery_codes: bool,
    pub totp: bool,
    /// Passkeys: `passkeys/…`, and `login/mfa` with a `credential`.
    pub webauthn: bool,
}

impl SettingValue for MfaTypes {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        let mut types = MfaTypes {
            recovery_codes: false,
            totp: false,
            webauthn: false,
        };
        for t in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let flag = match t {
                "recovery_codes" => &mut types.recovery_codes,
                "totp" => &mut types.totp,
                "webauthn" => &mut types.webauthn,
                _ => {
                    return Err(SettingsError::BadMfaType {
                        name,
                        value: t.to_owned(),
                    });
                }
            };
            *flag = true;
        }
        Ok(types)
    }
}

/// How emails leave (Django's `EMAIL_BACKEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailBackend {
    /// On the mail queue (`MAIL_QUEUE_URL`), sent by the `mailer` through SES.
    Ses,
    /// Printed to the function's log, like Django's console backend (for
    /// development: the log then holds the links).
    Console,
}

impl SettingValue for EmailBackend {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        let raw_lower = raw.trim().to_ascii_lowercase();
        match raw_lower.as_str() {
            "ses" | "queue" => Ok(EmailBackend::Ses),
            "console" | "django.core.mail.backends.console.emailbackend" => {
                Ok(EmailBackend::Console)
            }
            _ => Err(SettingsError::BadEmailBackend {
                name,
                value: raw.to_owned(),
            }),
        }
    }
}

/// The URL of a frontend page a link in an email opens, with placeholders
/// for what the page posts back (djoser's `ACTIVATION_URL`,
/// `PASSWORD_RESET_CONFIRM_URL`). Empty: none (that flow is off).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkTemplate(pub Option<String>);

impl LinkTemplate {
    /// Checks that a set URL is absolute http(s) and has `placeholders`.
    pub fn check(
        &self,
        name: &'static str,
        placeholders: &'static [&'static str],
    ) -> Result<(), SettingsError> {
        let Some(url) = &self.0 else { return Ok(()) };
        let absolute = url.starts_with("https://") || url.starts_with("http://");
        if absolute
            && placeholders.iter().all(|p| url.contains(p))
            && !url.contains(char::is_whitespace)
        {
            return Ok(());
        }
        Err(SettingsError::BadLink {
            name,
            placeholders: if placeholders.len() == 1 {
                "{key}"
            } else {
                "{uid} and {token}"
            },
            value: url.clone(),
        })
    }

    /// The link with each `(placeholder, value)` filled in (values are
    /// URL-safe: base64url keys, base36 ids).
    pub fn fill(&self, values: &[(&str, &str)]) -> Option<String> {
        let mut url = self.0.clone()?;
        for (placeholder, value) in values {
            url = url.replace(placeholder, value);
        }
        Some(url)
    }
}

impl SettingValue for LinkTemplate {
    fn parse(_: &'static str, raw: &str) -> Result<Self, SettingsError> {
        Ok(LinkTemplate(Option::<String>::parse("", raw)?))
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

/// A shared secret read from the environment: never shown by `Debug`, and
/// compared only in constant time (by its user). Empty: none.
#[derive(Clone, Default)]
pub struct SharedSecret(Option<secrecy::SecretString>);

impl SharedSecret {
    pub fn get(&self) -> Option<&secrecy::SecretString> {
        self.0.as_ref()
    }
}

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "SharedSecret(set)",
            None => "SharedSecret(none)",
        })
    }
}

impl PartialEq for SharedSecret {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        let text = |s: &Self| s.0.as_ref().map(|v| v.expose_secret().to_owned());
        text(self) == text(other)
    }
}

impl Eq for SharedSecret {}

/// At least 32 characters when set: a guessable origin secret is none.
impl SettingValue for SharedSecret {
    fn parse(name: &'static str, raw: &str) -> Result<Self, SettingsError> {
        match raw.trim() {
            "" => Ok(SharedSecret(None)),
            v if v.len() >= 32 => Ok(SharedSecret(Some(v.to_owned().into()))),
            _ => Err(SettingsError::ShortSecret(name)),
        }
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

#[cfg(test)]
mod mfa_types_tests {
    use super::*;

    #[test]
    fn mfa_types_are_django_allauths_names_comma_separated() {
        let t = MfaTypes::parse("MFA_SUPPORTED_TYPES", " totp, webauthn ,").unwrap();
        assert!(t.totp && t.webauthn && !t.recovery_codes);
        let e = MfaTypes::parse("MFA_SUPPORTED_TYPES", "totp,sms").unwrap_err();
        assert!(e.to_string().contains("\"sms\""), "{e}");
    }
}
