//! The contract's words, in one place: what every error answers (status,
//! body, headers) and every message of `docs/API.md`, top to bottom.
//!
//! Domain modules say *what* went wrong ([`TokenError`], [`CsrfFailure`],
//! [`FieldError`], [`Weakness`], …); this module says it the way Django,
//! DRF, simplejwt and the tutorial say it. Endpoints return
//! `Result<Reply, ApiError>`; the pipeline renders an error with
//! [`ApiError::reply`].
//!
//! Over 600 lines on purpose: every contract string lives here, so a
//! reader checking one against `docs/API.md` reads one file.

use std::fmt;

use lambda_http::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::credentials::password::PasswordError;
use crate::credentials::tokens::{TokenError, TutorialTokenError};
use crate::credentials::validators::{MIN_LENGTH, Weakness};
use crate::policy::csrf::{CsrfFailure, FormatError, TokenSource};
use crate::policy::throttle::ThrottleError;
use crate::store::{StoreError, UpdateUserError};
use crate::web::fields::{FieldError, Invalid, Malformed};
use crate::web::reply::{Cache, Reply};
use crate::web::request::RequestError;

/// Seconds a client should wait after a 503.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// Everything a request can be refused for.
#[derive(Debug)]
pub enum ApiError {
    // -- Every request ----------------------------------------------------
    /// 413: a body over 64 KiB, before anything else.
    BodyTooLarge,
    /// 406: `Accept` allows neither JSON nor HTML.
    NotAcceptable,
    /// 405 with `Allow`; the method as sent (upper-cased).
    MethodNotAllowed(String),
    /// 415; the content type as sent.
    UnsupportedMediaType(String),
    /// 400; why the JSON did not parse.
    JsonParse(String),
    /// 403: with the per-client front on, a request that did not come
    /// through it (no or a wrong `X-Origin-Verify`).
    NotThroughFront,

    // -- Who is calling (the tutorial's views) ----------------------------
    /// 401: no credentials, on a view that needs a caller.
    NotAuthenticated,
    /// 401: `Authorization: Basic`.
    Basic(BasicError),
    /// 401: `Authorization: Token` (no such tokens exist).
    DrfToken(DrfTokenError),
    /// 401: `Authorization: Bearer`.
    Bearer(BearerError),
    /// 401: the `jwt-auth` header.
    JwtAuth(TutorialTokenError),
    /// 403: Django's CSRF check of a session request.
    Csrf(CsrfFailure),

    // -- Bodies -----------------------------------------------------------
    /// 400: `login`/`login/jwt` without a username and password.
    Malformed,
    /// 400: DRF's per-field errors.
    Invalid(Invalid),

    // -- Credentials and tokens -------------------------------------------
    /// 403, empty body: a wrong password, unknown or inactive user on
    /// `login` or `login/jwt`.
    WrongCredentials,
    /// 401: the same on `login/simpleJWT`.
    NoActiveAccount,
    /// 401: a refresh, verify or blacklist token refused.
    TokenNotValid(TokenError),
    /// 401: a refresh token whose user is gone or inactive.
    NoActiveAccountForToken,
    /// 409: another password change landed between check and write.
    PasswordChangedMeanwhile,
    /// 409: another change of the address landed between read and write.
    EmailChangedMeanwhile,

    // -- Two-factor authentication ----------------------------------------
    /// 401: the password was right, a second factor is needed; the
    /// `mfa_token` to present it with at `login/mfa`.
    MfaRequired(secrecy::SecretString),
    /// 401: an `mfa_token` that is forged, expired, used, dead after its
    /// wrong codes, or outlived its user's credential generation.
    MfaTokenInvalid,
    /// 409: enrolment while TOTP is on.
    MfaAlreadyOn,
    /// 409: confirming without an enrolment in progress.
    MfaNotPending,
    /// 409: recovery codes or disabling while TOTP is off.
    MfaOff,

    // -- Accounts -----------------------------------------------------------
    /// 403: the right password of a user whose address is not verified
    /// while verification is mandatory (a fresh link was sent).
    EmailNotVerified,
    /// 403: sign-up while `REGISTRATION_OPEN` is off (DRF's
    /// `PermissionDenied`).
    PermissionDenied,
    /// 404: an unknown, used or expired verification key; a flow that is
    /// off (DRF's `NotFound`).
    NotFound,

    // -- The OAuth provider -----------------------------------------------
    /// 400 or 401: RFC 6749 §5.2's `{"error","error_description"}`.
    OAuth(OAuthError),

    // -- Limits and failures ----------------------------------------------
    /// 429 with `Retry-After`: password attempts over a limit, or a
    /// locked second step.
    Throttled { wait: u64 },
    /// 429 without `Retry-After` (DRF's `Throttled()` with no wait): a
    /// second step locked until an operator clears it.
    ThrottledUntilCleared,
    /// 503 with `Retry-After`: DynamoDB did not answer in time.
    Unavailable,
    /// 500: a bug or corrupt data (logged where it happened).
    Internal,
}

/// Why the OAuth provider refused a request, in RFC 6749 §5.2's terms
/// (and RFC 7009's, RFC 7662's): the `error` code and a description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    /// A parameter missing, repeated, unsupported or malformed.
    InvalidRequest(&'static str),
    /// 401: an unknown client, a wrong secret, or no or several ways of
    /// authenticating.
    InvalidClient,
    /// A code or refresh token that is invalid, expired, revoked, used, or
    /// another client's.
    InvalidGrant(&'static str),
    /// A grant, or a token, the client may not use.
    UnauthorizedClient(&'static str),
    UnsupportedGrantType,
    /// A scope the client may not be granted, or not a scope.
    InvalidScope,
    /// The authorization endpoint: a `response_type` other than `code`.
    UnsupportedResponseType,
    /// The authorization endpoint: the user must log in first
    /// (`prompt=none`, or no login page to send them to).
    LoginRequired,
    /// The authorization endpoint: the user must consent first.
    ConsentRequired,
    /// The authorization endpoint: the user declined.
    AccessDenied,
    /// 401, a protected resource (RFC 6750 §3.1): no Bearer token, or one
    /// that is invalid, expired or revoked.
    InvalidToken,
    /// 403, a protected resource: the token lacks the scope it needs.
    InsufficientScope(&'static str),
}

impl OAuthError {
    /// Its `error` code.
    pub fn code(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::LoginRequired => "login_required",
            OAuthError::ConsentRequired => "consent_required",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::InvalidToken => "invalid_token",
            OAuthError::InsufficientScope(_) => "insufficient_scope",
        }
    }

    /// Its `error_description`.
    pub fn description(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(why)
            | OAuthError::InvalidGrant(why)
            | OAuthError::UnauthorizedClient(why)
            | OAuthError::InsufficientScope(why) => why,
            OAuthError::InvalidClient => "Client authentication failed.",
            OAuthError::UnsupportedGrantType => "The grant type is not supported.",
            OAuthError::InvalidScope => "The requested scope is invalid or not allowed.",
            OAuthError::UnsupportedResponseType => "Only the code response type is supported.",
            OAuthError::LoginRequired => "The user must log in.",
            OAuthError::ConsentRequired => "The user must consent to this client.",
            OAuthError::AccessDenied => "The user denied the request.",
            OAuthError::InvalidToken => "The access token is missing, invalid, expired or revoked.",
        }
    }
}

/// The OAuth provider's descriptions of its refusals.
pub mod oauth_words {
    pub const NOT_A_FORM: &str = "The request must be application/x-www-form-urlencoded.";
    pub const REPEATED: &str = "A parameter was given more than once.";
    pub const NO_GRANT_TYPE: &str = "The grant_type parameter is required.";
    pub const NO_TOKEN: &str = "The token parameter is required.";
    pub const GRANT_NOT_ALLOWED: &str = "The client may not use this grant type.";
    pub const NOT_YOUR_TOKEN: &str = "The token was not issued to this client.";
    pub const CONFIDENTIAL_ONLY: &str = "Only confidential clients may introspect tokens.";
    pub const NO_CLIENT_ID: &str = "The client_id parameter is required.";
    pub const UNKNOWN_CLIENT: &str = "The client is unknown.";
    pub const NO_REDIRECT_URI: &str = "The redirect_uri parameter is required.";
    pub const REDIRECT_URI_MISMATCH: &str = "The redirect_uri is not registered for this client.";
    pub const NO_CODE_CHALLENGE: &str =
        "PKCE is required: code_challenge and code_challenge_method=S256.";
    pub const S256_ONLY: &str = "The code_challenge_method must be S256.";
    pub const BAD_CODE_CHALLENGE: &str = "The code_challenge is not a BASE64URL SHA-256.";
    pub const BAD_PROMPT: &str = "The prompt parameter is not supported.";
    pub const BAD_MAX_AGE: &str = "The max_age parameter must be a whole number of seconds.";
    pub const TOO_LONG: &str = "A parameter is too long.";
    pub const NO_CODE: &str = "The code parameter is required.";
    pub const NO_CODE_VERIFIER: &str = "The code_verifier parameter is required.";
    pub const BAD_CODE: &str = "The authorization code is invalid, expired or used.";
    pub const CODE_MISMATCH: &str = "The authorization code was not issued for this request.";
    pub const BAD_CODE_VERIFIER: &str = "The code_verifier does not match the code_challenge.";
    pub const OPENID_SCOPE_NEEDED: &str = "The access token's scope does not include openid.";
    pub const NO_REFRESH_TOKEN: &str = "The refresh_token parameter is required.";
    pub const NO_CONSENT_ANSWER: &str = "The consent parameter must be allow or deny.";
    pub const BAD_REFRESH_TOKEN: &str =
        "The refresh token is invalid, expired, revoked or not this client's.";
}

impl From<OAuthError> for ApiError {
    fn from(e: OAuthError) -> Self {
        ApiError::OAuth(e)
    }
}

/// Why `Authorization: Basic` was refused (DRF's `BasicAuthentication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicError {
    NoCredentials,
    Spaces,
    NotBase64,
    WrongCredentials,
}

/// Why `Authorization: Token` was refused (DRF's `TokenAuthentication`;
/// no such tokens exist, so always).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrfTokenError {
    NoCredentials,
    InvalidCharacters,
    Spaces,
    Invalid,
}

/// Why `Authorization: Bearer` was refused (simplejwt's `JWTAuthentication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// `Bearer` without exactly one value.
    BadHeader,
    NotValid(TokenError),
    /// No `user_id` claim, or one that is not an id.
    NoUserId,
    UserNotFound,
    UserInactive,
}

fn detail(status: StatusCode, text: impl fmt::Display) -> Reply {
    Reply::json(status, &json!({ "detail": text.to_string() }))
}

fn coded(status: StatusCode, text: impl fmt::Display, code: &str) -> Reply {
    Reply::json(status, &json!({ "detail": text.to_string(), "code": code }))
}

impl ApiError {
    /// The response this error answers with.
    pub fn reply(self) -> Reply {
        use StatusCode as S;
        let unauthorized = |text: &dyn fmt::Display| detail(S::UNAUTHORIZED, text);
        match self {
            ApiError::BodyTooLarge => detail(S::PAYLOAD_TOO_LARGE, "Request body too large."),
            ApiError::NotThroughFront => detail(
                S::FORBIDDEN,
                "You do not have permission to perform this action.",
            ),
            ApiError::NotAcceptable => detail(
                S::NOT_ACCEPTABLE,
                "Could not satisfy the request Accept header.",
            ),
            ApiError::MethodNotAllowed(method) => detail(
                S::METHOD_NOT_ALLOWED,
                format!("Method \"{method}\" not allowed."),
            ),
            ApiError::UnsupportedMediaType(content_type) => detail(
                S::UNSUPPORTED_MEDIA_TYPE,
                format!("Unsupported media type \"{content_type}\" in request."),
            ),
            ApiError::JsonParse(reason) => {
                detail(S::BAD_REQUEST, format!("JSON parse error - {reason}"))
            }

            ApiError::NotAuthenticated => {
                unauthorized(&"Authentication credentials were not provided.")
            }
            ApiError::Basic(e) => unauthorized(&e),
            ApiError::DrfToken(e) => unauthorized(&e),
            ApiError::Bearer(e) => bearer(e),
            ApiError::JwtAuth(e) => unauthorized(&e),
            ApiError::Csrf(failure) => detail(S::FORBIDDEN, format!("CSRF Failed: {failure}")),

            ApiError::Malformed => detail(S::BAD_REQUEST, "Malformed request."),
            ApiError::Invalid(invalid) => {
                let body: Map<String, Value> = invalid
                    .0
                    .iter()
                    .map(|(field, errors)| {
                        let messages: Vec<String> =
                            errors.iter().map(ToString::to_string).collect();
                        ((*field).to_owned(), json!(messages))
                    })
                    .collect();
                Reply::json(S::BAD_REQUEST, &Value::Object(body))
            }

            ApiError::WrongCredentials => Reply::empty(S::FORBIDDEN),
            ApiError::NoActiveAccount => {
                unauthorized(&"No active account found with the given credentials")
            }
            ApiError::TokenNotValid(e) => coded(S::UNAUTHORIZED, e, "token_not_valid"),
            ApiError::NoActiveAccountForToken => coded(
                S::UNAUTHORIZED,
                "No active account found for the given token.",
                "no_active_account",
            ),
            ApiError::PasswordChangedMeanwhile => detail(
                S::CONFLICT,
                "The password was changed meanwhile. Please try again.",
            ),
            ApiError::EmailChangedMeanwhile => detail(
                S::CONFLICT,
                "The e-mail address was changed meanwhile. Please try again.",
            ),

            // It carries a credential: never stored by a cache.
            ApiError::MfaRequired(token) => Reply {
                cache: Cache::NoStore,
                ..Reply::json(
                    S::UNAUTHORIZED,
                    &json!({
                        "detail": "Two-factor code required.",
                        "code": "mfa_required",
                        "mfa_token": secrecy::ExposeSecret::expose_secret(&token),
                    }),
                )
            },
            ApiError::MfaTokenInvalid => coded(
                S::UNAUTHORIZED,
                "Two-factor token is invalid or expired.",
                "mfa_token_invalid",
            ),
            ApiError::MfaAlreadyOn => coded(
                S::CONFLICT,
                "Two-factor authentication is already on.",
                "mfa_already_on",
            ),
            ApiError::MfaNotPending => coded(
                S::CONFLICT,
                "No two-factor enrolment in progress.",
                "mfa_not_pending",
            ),
            ApiError::MfaOff => coded(S::CONFLICT, "Two-factor authentication is off.", "mfa_off"),

            ApiError::EmailNotVerified => coded(
                S::FORBIDDEN,
                "E-mail is not verified.",
                "email_not_verified",
            ),
            ApiError::PermissionDenied => detail(
                S::FORBIDDEN,
                "You do not have permission to perform this action.",
            ),
            ApiError::NotFound => detail(S::NOT_FOUND, "Not found."),

            // RFC 6749 §5.2; like a token response, never stored.
            ApiError::OAuth(e) => {
                let status = match e {
                    OAuthError::InvalidClient | OAuthError::InvalidToken => S::UNAUTHORIZED,
                    OAuthError::InsufficientScope(_) => S::FORBIDDEN,
                    _ => S::BAD_REQUEST,
                };
                let body = json!({"error": e.code(), "error_description": e.description()});
                Reply {
                    cache: Cache::NoStore,
                    ..Reply::json(status, &body)
                }
            }

            ApiError::Throttled { wait } => {
                let unit = if wait == 1 { "second" } else { "seconds" };
                let mut reply = detail(
                    S::TOO_MANY_REQUESTS,
                    format!("Request was throttled. Expected available in {wait} {unit}."),
                );
                reply.retry_after = Some(wait);
                reply
            }
            ApiError::ThrottledUntilCleared => {
                detail(S::TOO_MANY_REQUESTS, "Request was throttled.")
            }
            ApiError::Unavailable => {
                let mut reply = detail(S::SERVICE_UNAVAILABLE, "Service temporarily unavailable.");
                reply.retry_after = Some(RETRY_AFTER_SECONDS);
                reply
            }
            ApiError::Internal => detail(S::INTERNAL_SERVER_ERROR, "A server error occurred."),
        }
    }
}

/// simplejwt's `JWTAuthentication` errors.
fn bearer(e: BearerError) -> Reply {
    let status = StatusCode::UNAUTHORIZED;
    match e {
        BearerError::BadHeader => coded(
            status,
            "Authorization header must contain two space-delimited values",
            "bad_authorization_header",
        ),
        BearerError::NotValid(e) => Reply::json(
            status,
            &json!({
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{
                    "token_class": "AccessToken",
                    "token_type": "access",
                    "message": e.to_string(),
                }],
            }),
        ),
        BearerError::NoUserId => coded(
            status,
            "Token contained no recognizable user identification",
            "token_not_valid",
        ),
        BearerError::UserNotFound => coded(status, "User not found", "user_not_found"),
        BearerError::UserInactive => coded(status, "User is inactive", "user_inactive"),
    }
}

// -- Domain errors, worded ------------------------------------------------

/// DRF's `BasicAuthentication`.
impl fmt::Display for BasicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BasicError::NoCredentials => "Invalid basic header. No credentials provided.",
            BasicError::Spaces => {
                "Invalid basic header. Credentials string should not contain spaces."
            }
            BasicError::NotBase64 => {
                "Invalid basic header. Credentials not correctly base64 encoded."
            }
            BasicError::WrongCredentials => "Invalid username/password.",
        })
    }
}

/// DRF's `TokenAuthentication`.
impl fmt::Display for DrfTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DrfTokenError::NoCredentials => "Invalid token header. No credentials provided.",
            DrfTokenError::InvalidCharacters => {
                "Invalid token header. Token string should not contain invalid characters."
            }
            DrfTokenError::Spaces => {
                "Invalid token header. Token string should not contain spaces."
            }
            DrfTokenError::Invalid => "Invalid token.",
        })
    }
}

/// simplejwt's token messages (with the tutorial's `Token is invalid or
/// expired` for both bad and expired tokens).
impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenError::InvalidOrExpired => "Token is invalid or expired",
            TokenError::NoExp => "Token has no 'exp' claim",
            TokenError::NoId => "Token has no id",
            TokenError::NoType => "Token has no type",
            TokenError::WrongType => "Token has wrong type",
            TokenError::Blacklisted => "Token is blacklisted",
        })
    }
}

/// The tutorial's `jwt-auth` messages.
impl fmt::Display for TutorialTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TutorialTokenError::Decoding => "Error decoding token",
            TutorialTokenError::Expired => "Token has expired",
            TutorialTokenError::InvalidToken => "Invalid Token",
            TutorialTokenError::UserNotFound => "User not found",
        })
    }
}

/// Django's `CsrfViewMiddleware` reasons (after `CSRF Failed: `).
impl fmt::Display for CsrfFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = |e: &FormatError| match e {
            FormatError::Length => "has incorrect length",
            FormatError::Characters => "has invalid characters",
        };
        let source = |s: &TokenSource| match s {
            TokenSource::Post => "POST",
            TokenSource::Header => "the 'X-Csrftoken' HTTP header",
        };
        match self {
            CsrfFailure::BadOrigin(o) => write!(
                f,
                "Origin checking failed - {o} does not match any trusted origins."
            ),
            CsrfFailure::NoReferer => f.write_str("Referer checking failed - no Referer."),
            CsrfFailure::MalformedReferer => {
                f.write_str("Referer checking failed - Referer is malformed.")
            }
            CsrfFailure::InsecureReferer => {
                f.write_str("Referer checking failed - Referer is insecure while host is secure.")
            }
            CsrfFailure::BadReferer(r) => write!(
                f,
                "Referer checking failed - {r} does not match any trusted origins."
            ),
            CsrfFailure::CookieNotSet => f.write_str("CSRF cookie not set."),
            CsrfFailure::Cookie(e) => write!(f, "CSRF cookie {}.", format(e)),
            CsrfFailure::TokenMissing => f.write_str("CSRF token missing."),
            CsrfFailure::Token(e, s) => write!(f, "CSRF token from {} {}.", source(s), format(e)),
            CsrfFailure::Incorrect(s) => write!(f, "CSRF token from {} incorrect.", source(s)),
        }
    }
}

/// DRF's serializer field messages, Django's `PasswordChangeForm` and
/// simplejwt's verify.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::Required => f.write_str("This field is required."),
            FieldError::Null => f.write_str("This field may not be null."),
            FieldError::Blank => f.write_str("This field may not be blank."),
            FieldError::NotAString => f.write_str("Not a valid string."),
            FieldError::NullCharacters => f.write_str("Null characters are not allowed."),
            FieldError::NoData => f.write_str("No data provided"),
            FieldError::NotADictionary(python_type) => write!(
                f,
                "Invalid data. Expected a dictionary, but got {python_type}."
            ),
            FieldError::TokenBlacklisted => TokenError::Blacklisted.fmt(f),
            FieldError::InvalidCode => f.write_str("Invalid code."),
            FieldError::WrongPassword => f.write_str("Wrong password."),
            FieldError::WrongOldPassword => {
                f.write_str("Your old password was entered incorrectly. Please enter it again.")
            }
            FieldError::Weak(weakness) => weakness.fmt(f),
            FieldError::PasswordMismatch => f.write_str("The two password fields didn't match."),
            FieldError::UsernameTaken => f.write_str("A user with that username already exists."),
            FieldError::EmailTaken => {
                f.write_str("A user is already registered with this e-mail address.")
            }
            FieldError::InvalidEmail => f.write_str("Enter a valid email address."),
            FieldError::InvalidUsername => f.write_str(
                "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
            ),
            FieldError::TooLong(max) => {
                write!(f, "Ensure this field has no more than {max} characters.")
            }
            FieldError::InvalidValue => f.write_str("Invalid value"),
            FieldError::InvalidCredential => f.write_str("Invalid credential."),
            FieldError::InvalidChoice(value) => write!(f, "\"{value}\" is not a valid choice."),
            FieldError::TooManyPasskeys(max) => {
                write!(f, "You cannot have more than {max} passkeys.")
            }
        }
    }
}

/// Django's default password validators.
impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weakness::TooSimilar => f.write_str("The password is too similar to the username."),
            Weakness::TooShort => write!(
                f,
                "This password is too short. It must contain at least {MIN_LENGTH} characters."
            ),
            Weakness::TooCommon => f.write_str("This password is too common."),
            Weakness::EntirelyNumeric => f.write_str("This password is entirely numeric."),
        }
    }
}

// -- From the domain to the contract ---------------------------------------

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::BodyTooLarge => ApiError::BodyTooLarge,
            RequestError::NotAcceptable => ApiError::NotAcceptable,
            RequestError::MethodNotAllowed(method) => ApiError::MethodNotAllowed(method),
            RequestError::UnsupportedMediaType(t) => ApiError::UnsupportedMediaType(t),
            RequestError::JsonParse(reason) => ApiError::JsonParse(reason),
            RequestError::NotThroughFront => ApiError::NotThroughFront,
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        ApiError::Invalid(invalid)
    }
}

impl From<Malformed> for ApiError {
    fn from(_: Malformed) -> Self {
        ApiError::Malformed
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        ApiError::TokenNotValid(e)
    }
}

/// Logged here (without secrets): 503 when DynamoDB did not answer, 500
/// for a corrupt item or a bug.
impl From<crate::credentials::breach::BreachError> for ApiError {
    /// The breached-password check failed closed (`PASSWORD_BREACH_CHECK_FAIL=closed`).
    fn from(err: crate::credentials::breach::BreachError) -> Self {
        tracing::error!(error = %err, "breached-password check failed");
        ApiError::Unavailable
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "store error");
        match err {
            StoreError::Unavailable(_) => ApiError::Unavailable,
            StoreError::Corrupt { .. } | StoreError::Internal(_) => ApiError::Internal,
        }
    }
}

/// An account email not handed over: the store's or the queue's outage
/// is a 503 (logged); a template that does not render is a bug (500).
impl From<crate::accounts::AccountError> for ApiError {
    fn from(err: crate::accounts::AccountError) -> Self {
        use crate::mail::MailError;
        match err {
            crate::accounts::AccountError::Store(e) => e.into(),
            crate::accounts::AccountError::Mail(MailError::Queue(reason)) => {
                tracing::error!(error = %reason, "mail queue error");
                ApiError::Unavailable
            }
            crate::accounts::AccountError::Mail(e) => {
                tracing::error!(error = %e, "mail error");
                ApiError::Internal
            }
        }
    }
}

/// A failed hash or a panicked hashing task is a bug: 500, logged.
impl From<PasswordError> for ApiError {
    fn from(err: PasswordError) -> Self {
        tracing::error!(error = %err, "password hashing error");
        ApiError::Internal
    }
}

/// A change to the caller's own user: gone meanwhile is a 401, a password
/// that moved on meanwhile a 409.
impl From<UpdateUserError> for ApiError {
    fn from(err: UpdateUserError) -> Self {
        match err {
            UpdateUserError::NotFound => ApiError::NotAuthenticated,
            UpdateUserError::Conflict => ApiError::PasswordChangedMeanwhile,
            UpdateUserError::Store(e) => e.into(),
        }
    }
}

impl From<ThrottleError> for ApiError {
    fn from(err: ThrottleError) -> Self {
        match err {
            ThrottleError::Throttled { wait } => ApiError::Throttled { wait },
            ThrottleError::Store(e) => e.into(),
        }
    }
}

/// How body fields' refusals read (`fields.rs` finds them, this module
/// words them).
#[cfg(test)]
mod field_tests {
    use super::ApiError;
    use crate::web::fields::{password_fields, serializer_fields, tutorial_credentials};
    use crate::web::request::Data;
    use serde_json::json;

    /// The 400 body an error renders as.
    fn body(err: impl Into<ApiError>) -> String {
        let reply = err.into().reply();
        assert_eq!(reply.status.as_u16(), 400);
        reply.body.unwrap()
    }

    fn errors(data: Data) -> String {
        body(serializer_fields(&data, ["username", "password"]).unwrap_err())
    }

    #[test]
    fn drf_messages_per_field_in_field_order() {
        assert_eq!(
            errors(Data::Json(json!({}))),
            r#"{"username":["This field is required."],"password":["This field is required."]}"#
        );
        assert_eq!(
            errors(Data::Json(json!({"password": "x"}))),
            r#"{"username":["This field is required."]}"#
        );
        assert_eq!(
            errors(Data::Json(json!({"username": null, "password": []}))),
            r#"{"username":["This field may not be null."],"password":["Not a valid string."]}"#
        );
        assert_eq!(
            errors(Data::Json(json!({"username": "  ", "password": 1}))),
            r#"{"username":["This field may not be blank."]}"#
        );
        assert_eq!(
            errors(Data::Json(json!({"username": "a\u{0}b", "password": "x"}))),
            r#"{"username":["Null characters are not allowed."]}"#
        );
        assert_eq!(
            errors(Data::Form(vec![("username".into(), "".into())])),
            r#"{"username":["This field may not be blank."],"password":["This field is required."]}"#
        );
    }

    #[test]
    fn password_fields_are_not_trimmed() {
        use secrecy::ExposeSecret;
        let [a, b] = password_fields(
            &Data::Json(json!({"old_password": " x ", "new_password": "y"})),
            ["old_password", "new_password"],
        )
        .unwrap();
        assert_eq!((a.expose_secret(), b.expose_secret()), (" x ", "y"));
        let err = password_fields(
            &Data::Json(json!({"old_password": ""})),
            ["old_password", "new_password"],
        )
        .unwrap_err();
        assert_eq!(
            body(err),
            r#"{"old_password":["This field may not be blank."],"new_password":["This field is required."]}"#
        );
    }

    #[test]
    fn non_mapping_bodies() {
        assert_eq!(
            errors(Data::Json(json!(null))),
            r#"{"non_field_errors":["No data provided"]}"#
        );
        for (v, t) in [
            (json!([]), "list"),
            (json!("x"), "str"),
            (json!(1), "int"),
            (json!(1.5), "float"),
            (json!(true), "bool"),
        ] {
            assert_eq!(
                errors(Data::Json(v)),
                crate::web::reply::to_json(
                    &json!({"non_field_errors": [format!("Invalid data. Expected a dictionary, but got {t}.")]})
                )
            );
        }
    }

    #[test]
    fn values_are_trimmed_and_numbers_become_text() {
        let [u, p] = serializer_fields(
            &Data::Json(json!({"username": " alice ", "password": 12})),
            ["username", "password"],
        )
        .unwrap();
        assert_eq!((u.as_str(), p.as_str()), ("alice", "12"));
    }

    #[test]
    fn tutorial_credentials_need_two_nonempty_strings() {
        use secrecy::ExposeSecret;
        let (u, p) =
            tutorial_credentials(&Data::Json(json!({"username":"a","password":"b"}))).unwrap();
        assert_eq!((u.as_str(), p.expose_secret()), ("a", "b"));
        for bad in [
            json!({}),
            json!({"username":"a"}),
            json!({"username":"","password":"b"}),
            json!({"username":1,"password":"b"}),
            json!({"username":"a","password":null}),
            json!([]),
            json!(null),
        ] {
            let err = tutorial_credentials(&Data::Json(bad.clone())).unwrap_err();
            assert_eq!(
                ApiError::from(err).reply().body.as_deref(),
                Some(r#"{"detail":"Malformed request."}"#),
                "{bad}"
            );
        }
    }
}
