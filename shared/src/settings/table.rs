//! The one table of settings: each written once, with its group, field,
//! type, environment variable, default and meaning. The [`settings!`]
//! macro makes the group structs, their parsing and [`TABLE`] (what the
//! README's settings table is tested against).

use super::values::{
    Binding, EmailBackend, EmailVerification, ExactOrigins, FailMode, HeaderNames, LinkTemplate,
    LoginBy, MfaTypes, Origins, SameSite, Seconds, SettingValue, SettingsError, SharedSecret, Spec,
};
use crate::base::jwt::Alg;

/// Consecutive second-factor failures after which only an operator opens
/// the step again (`authctl mfa unlock`): NIST SP 800-63B §5.2.2's bound
/// of at most 100 failed attempts per account. `MFA_TOTP_MAX_FAILURES` is
/// at most this.
pub const MFA_FAILURES_CAP: u64 = 100;

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

                /// This group's settings through `lookup`.
                pub fn from_lookup(
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

    /// Password-guessing limits (`policy::throttle`).
    ThrottleSettings {
        /// Password attempts per username from one client address (an IPv6 /64) per window: the lock.
        username_address_limit: u64 = "THROTTLE_USERNAME_ADDRESS_LIMIT" ("5");
        /// Password attempts per username from all addresses per window: the ceiling on spread-out guessing.
        username_limit: u64 = "THROTTLE_USERNAME_LIMIT" ("100");
        /// Password attempts per client address per window.
        ip_limit: u64 = "THROTTLE_IP_LIMIT" ("50");
        /// Seconds of a throttle window.
        window: Seconds = "THROTTLE_WINDOW" ("900");
        /// Name of an HttpOnly cookie that recognises a browser that logged in (OWASP's device cookie): the username's ceiling does not refuse it, its own counter (as the lock's) does; empty: off (a client is recognised by its address's success for the username in the last 30 days only).
        device_cookie: Option<String> = "THROTTLE_DEVICE_COOKIE" ("");
    }

    /// Two-factor authentication (TOTP), with django-allauth's names (`MFA_*`).
    MfaSettings {
        /// The issuer authenticator apps show next to the account (the `otpauth://` URL's label and `issuer`); no colon.
        totp_issuer: String = "MFA_TOTP_ISSUER" ("auth");
        /// Consecutive wrong second-factor codes (across every `mfa_token` and address) before `login/mfa` refuses the user for 60 s, doubling with each further failure up to a day; at 100, until `authctl mfa unlock`. Only a completed login resets the count.
        totp_max_failures: u64 = "MFA_TOTP_MAX_FAILURES" ("10");
        /// The second factors offered, comma-separated: `recovery_codes`, `totp`, `webauthn` (passkeys: `passkeys/…` and a passkey on `login/mfa`; without it those answer 404). TOTP and recovery codes are offered whatever it lists.
        supported_types: MfaTypes = "MFA_SUPPORTED_TYPES" ("recovery_codes,totp");
        /// With `webauthn`: a passkey alone logs in (`login/passkey`, user verification required, a complete multi-factor login); off: 404.
        passkey_login_enabled: bool = "MFA_PASSKEY_LOGIN_ENABLED" ("false");
        /// With `webauthn` and REGISTRATION_OPEN: an account may be created with a passkey instead of a password (`registration/passkey/…`); off: 404.
        passkey_signup_enabled: bool = "MFA_PASSKEY_SIGNUP_ENABLED" ("false");
        /// Origins of `http://` (not only `https://`) may run WebAuthn ceremonies (local development on `http://localhost`).
        webauthn_allow_insecure_origin: bool = "MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN" ("false");
        /// The WebAuthn relying party id (a domain: `example.com`, `localhost` locally); empty: the API's own host.
        webauthn_rp_id: Option<String> = "WEBAUTHN_RP_ID" ("");
        /// The relying party's name authenticators show; empty: MFA_TOTP_ISSUER.
        webauthn_rp_name: Option<String> = "WEBAUTHN_RP_NAME" ("");
        /// The exact origins WebAuthn ceremonies may come from, comma-separated (each on the RP id or a subdomain of it); empty: CORS_ALLOWED_ORIGINS plus the API's own origin.
        webauthn_allowed_origins: ExactOrigins = "WEBAUTHN_ALLOWED_ORIGINS" ("");
    }

    /// The per-client front (CloudFront with AWS WAF rate-based rules per address, `template.yaml`'s `Front`).
    FrontSettings {
        /// The secret CloudFront sends in `X-Origin-Verify` (at least 32 characters): set, every request without it is refused (403: a client bypassing the front), and the client address is CloudFront's `True-Client-IP` rather than API Gateway's `sourceIp`; empty: no front.
        front_origin_secret: SharedSecret = "FRONT_ORIGIN_SECRET" ("");
    }

    /// Accounts, with django-allauth's names (`ACCOUNT_*`).
    AccountSettings {
        /// What the `username` of every login (the body's, or Basic credentials') may name: `username` (the contract), `email` (the user's address, any case) or `username_email` (the address if a user holds it, else the username).
        authentication_method: LoginBy = "ACCOUNT_AUTHENTICATION_METHOD" ("username");
        /// Whether anyone may sign up at `registration` (django-registration's name); off: 403.
        registration_open: bool = "REGISTRATION_OPEN" ("false");
        /// `mandatory`: a user with an unverified address cannot log in (403 `email_not_verified`, and a fresh verification email); `optional`: the email goes out, the login does not wait; `none`: no verification email, and a sign-up logs in. In force once `ACTIVATION_URL` is set.
        email_verification: EmailVerification = "ACCOUNT_EMAIL_VERIFICATION" ("mandatory");
        /// Days a verification link works.
        email_confirmation_expire_days: u64 = "ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS" ("3");
        /// Seconds a password reset link works (Django's, 3 days); it also dies with a password change, a newer reset or a login.
        password_reset_timeout: Seconds = "PASSWORD_RESET_TIMEOUT" ("259200");
        /// Sign-up with a taken address, reset and resend for an unknown one answer as for any other (the address's owner is told by email); off: a taken address is a 400 at sign-up.
        prevent_enumeration: bool = "ACCOUNT_PREVENT_ENUMERATION" ("true");
        /// The frontend page a verification email links to, with `{key}` (what it posts to `registration/verify-email`), e.g. `https://app.example.com/verify-email?key={key}`; empty: no verification (and REGISTRATION_OPEN cannot be on).
        activation_url: LinkTemplate = "ACTIVATION_URL" ("");
        /// The frontend page a password reset email links to, with `{uid}` and `{token}` (what it posts to `password/reset/confirm`); empty: `password/reset` and `password/reset/confirm` are off (404).
        password_reset_confirm_url: LinkTemplate = "PASSWORD_RESET_CONFIRM_URL" ("");
        /// Sign-ups per client address (an IPv6 /64) per THROTTLE_WINDOW.
        signup_address_limit: u64 = "THROTTLE_SIGNUP_ADDRESS_LIMIT" ("10");
        /// Whether a new password (sign-up, reset, change) is also looked up in Have I Been Pwned's Pwned Passwords, by k-anonymity (only the first 5 hex digits of its SHA-1 leave, with `Add-Padding`); one found there is refused as "This password is too common." (pwned-passwords-django's wording).
        password_breach_check: bool = "PASSWORD_BREACH_CHECK" ("false");
        /// The range API the check asks, the 5-digit prefix appended.
        password_breach_check_url: String = "PASSWORD_BREACH_CHECK_URL" ("https://api.pwnedpasswords.com/range/");
        /// Milliseconds the check waits for the range API (pwned-passwords-django's API_TIMEOUT, 1 s).
        password_breach_check_timeout_ms: u64 = "PASSWORD_BREACH_CHECK_TIMEOUT_MS" ("1000");
        /// When the range API fails or is too slow: `open`, the password is judged by Django's validators alone (and a warning logged); `closed`, the request answers 503.
        password_breach_check_fail: FailMode = "PASSWORD_BREACH_CHECK_FAIL" ("open");
    }

    /// Email, with Django's names.
    MailSettings {
        /// The sender of every email: an address of the SES identity the template's `DefaultFromEmail` names (its domain, or itself, verified in SES).
        default_from_email: String = "DEFAULT_FROM_EMAIL" ("webmaster@localhost");
        /// `ses`: emails go on the mail queue (MAIL_QUEUE_URL), which the `mailer` sends through SES; `console`: each email is printed to the log instead (Django's console backend, for development).
        email_backend: EmailBackend = "EMAIL_BACKEND" ("ses");
        /// The SQS queue the functions put emails on (the template's `MailQueue`).
        mail_queue_url: Option<String> = "MAIL_QUEUE_URL" ("");
    }

    /// The OAuth 2.1 / OpenID Connect provider (`oauth/…`).
    OAuthSettings {
        /// The provider: the `oauth/…` endpoints, its clients (`authctl clients`) and its metadata (`.well-known/oauth-authorization-server`, and the OpenID document's OAuth members); needs ALGORITHM RS256, ES256 or EdDSA (clients verify its tokens with the published keys) and ISSUER; off: 404, and the discovery document as before.
        enabled: bool = "OAUTH_ENABLED" ("false");
        /// Where `oauth/authorize` sends a browser that has no session, or must log in again (`prompt=login`, `max_age`), Django's name: your login page's absolute URL, to which `next=<the authorization request's URL>` is added; the page logs the user in with a session (`login`, `login/mfa`, `login/passkey`) and then opens `next`. Empty: the hosted login page, `<ISSUER>/oauth/login`.
        login_url: Option<String> = "LOGIN_URL" ("");
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
