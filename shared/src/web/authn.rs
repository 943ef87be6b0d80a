//! Who is calling: DRF's authentication classes of the tutorial, in order.
//!
//! 1. `Authorization: Basic` — username and password;
//! 2. the `sessionid` cookie (with CSRF for unsafe methods);
//! 3. `Authorization: Token` — DRF tokens; none exist, so always refused;
//! 4. `Authorization: Bearer` — a simplejwt access token;
//! 5. `jwt-auth` — the tutorial's own token.
//!
//! The first that yields a user decides; a credential that is present but
//! bad is a 401 that ends the search. A `sessionid` naming no live session
//! counts as absent, and the response deletes that cookie.

use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::accounts;
use crate::app::App;
use crate::base::audit::{self, Event, Subject};
use crate::base::time::now;
pub use crate::credentials::mfa::Endpoint;
use crate::credentials::password::{self, Verdict};
use crate::credentials::session::new_session_key;
use crate::credentials::tokens::{TokenError, UserIdClaim, ValidToken};
use crate::mail::Job;
use crate::policy::csrf::{self, CsrfRequest};
use crate::policy::throttle;
use crate::store::{
    AccountKey, KeyStore, Session, SessionStore, StoreError, ThrottleStore, TokenStore,
    UpdateUserError, User, UserAdmin, UserChange, UserStore, email_identity, valid_session_key,
};
use crate::web::contract::{ApiError, BasicError, BearerError, DrfTokenError};
use crate::web::fields::{serializer_fields, tutorial_credentials};
use crate::web::reply::{CSRF_COOKIE, Cookies, Reply, SESSION_COOKIE};
use crate::web::request::{Field, Request};

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Basic,
    Session,
    Bearer,
    JwtAuth,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Basic => "basic",
            Via::Session => "session",
            Via::Bearer => "bearer",
            Via::JwtAuth => "jwt-auth",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub via: Via,
    /// With a session: when and how its user logged in (the OAuth
    /// provider's `auth_time` and `amr`).
    pub login: Option<Login>,
}

/// When and how a session's user logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// Epoch seconds: the session's creation (sessions are not extended).
    pub auth_time: i64,
    /// RFC 8176 values; a session from before they were recorded: `pwd`.
    pub amr: Vec<String>,
}

/// Python's `bytes.split()`: on runs of ASCII whitespace.
fn split_ascii_whitespace(value: &[u8]) -> Vec<&[u8]> {
    value
        .split(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c'))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Django's `ModelBackend.authenticate`: the active user with this username
/// and password. Every failure takes the same time, whether the user is
/// unknown, inactive (checked as unknown), has an unusable password, or a
/// hash of any kind (`password::check_password_evenly` with the table's
/// marks), and the same DynamoDB reads. Every call is charged to the
/// throttle first (429 past its limits, with no hashing at all).
///
/// For a user with two-factor authentication on, the right password is the
/// 401 `mfa_required` whose `mfa_token` completes the login on `end` at
/// `login/mfa` (the attempt is refunded, the throttle not reset).
///
/// A user whose address must be verified first (`accounts::must_verify`)
/// gets 403 `email_not_verified` for the right password; a login body
/// (not Basic credentials, which every request may carry) also sends them
/// a fresh link.
pub async fn check_credentials<S: UserAdmin + ThrottleStore + KeyStore>(
    app: &App<S>,
    req: &Request<'_>,
    username: &str,
    password: SecretString,
    end: Endpoint,
) -> Result<Option<User>, ApiError> {
    check::<S, true>(app, req, username, password, end).await
}

/// [`check_credentials`]; `SEND_LINK`: whether an unverified user is sent
/// a fresh link (a constant, so functions that only take Basic
/// credentials do not link the mail queue's client).
async fn check<S: UserAdmin + ThrottleStore + KeyStore, const SEND_LINK: bool>(
    app: &App<S>,
    req: &Request<'_>,
    username: &str,
    password: SecretString,
    end: Endpoint,
) -> Result<Option<User>, ApiError> {
    let by = app.settings.accounts.authentication_method;
    // Throttled, remembered and audited under one name whatever the case
    // of an address: `Ann@x` and `ann@x` share their counters.
    let key = match by.email() && username.contains('@') {
        true => email_identity(username),
        false => username.to_owned(),
    };
    let (login, username) = (username, key.as_str());
    let attempt = throttle::begin(app, username, &req.throttle_client(&app.settings)).await?;
    let (user, costs) = app.store.login_candidate(login, by).await?;
    let stored = user
        .as_ref()
        .filter(|u| u.is_active)
        .map(|u| u.password.clone());
    let verdict = password::check_password_evenly(password.clone(), stored, costs).await?;
    let failure = match &user {
        None => Some("unknown_user"),
        Some(u) if !u.is_active => Some("inactive_user"),
        Some(_) if !verdict.matched() => Some("wrong_password"),
        Some(_) => None,
    };
    let (Some(user), None) = (user, failure) else {
        let reason = failure.unwrap_or_default();
        audit::emit(Event::LoginFailed, Subject::Username(username), reason);
        return Ok(None);
    };
    if accounts::must_verify(app, &user) {
        // The right password: the attempt is taken back, a fresh link
        // sent (within the recipient's limits), and the login refused.
        throttle::refunded(app, attempt).await?;
        audit::emit(
            Event::LoginFailed,
            Subject::Username(username),
            "email_not_verified",
        );
        if SEND_LINK {
            let job = Job::Confirm {
                user_id: user.id,
                email: user.email.clone(),
            };
            accounts::send(app, job).await?;
        }
        return Err(ApiError::EmailNotVerified);
    }
    let mut attempt = attempt;
    if app.settings.accounts.password_reset_confirm_url.0.is_some() {
        attempt.also_forget(AccountKey::reset_id(user.id));
    }
    if user.mfa.is_on() {
        throttle::refunded(app, attempt).await?;
        audit::emit(Event::MfaRequired, Subject::Username(username), "password");
        if verdict == Verdict::MatchNeedsUpgrade {
            upgrade_hash(app, &user, password).await;
        }
        return Err(crate::web::second_factor::challenge(app, &user, end, now()));
    }
    throttle::succeeded(app, attempt).await?;
    req.logged_in(app, username);
    audit::emit(
        Event::LoginSucceeded,
        Subject::Username(username),
        "password",
    );
    if verdict == Verdict::MatchNeedsUpgrade {
        upgrade_hash(app, &user, password).await;
    }
    Ok(Some(user))
}

/// The tutorial's login views (`login`, `login/jwt`): the body's username
/// and password (400 `Malformed request.` without both), checked (403 with
/// an empty body when wrong, for an unknown or an inactive user).
pub async fn tutorial_login<S: UserAdmin + ThrottleStore + KeyStore>(
    app: &App<S>,
    req: &Request<'_>,
    end: Endpoint,
) -> Result<User, ApiError> {
    let (username, password) = tutorial_credentials(req.data())?;
    check_credentials(app, req, &username, password, end)
        .await?
        .ok_or(ApiError::WrongCredentials)
}

/// Replaces a Django (or otherwise outdated) hash with our Argon2id hash of
/// the same password, only if the stored hash is still the one just checked
/// (a concurrent password change wins). Sessions and tokens are untouched:
/// the credential generation stays. A failure here never fails the login;
/// the next login tries again.
async fn upgrade_hash<S: UserStore>(app: &App<S>, user: &User, password: SecretString) {
    let outcome = async {
        let hash = password::hash_password(password).await?;
        let change = UserChange::Rehash {
            hash,
            if_current: user.password.clone(),
        };
        match app.store.update_user(user.id, change).await {
            Ok(_) | Err(UpdateUserError::Conflict | UpdateUserError::NotFound) => Ok(()),
            Err(UpdateUserError::Store(e)) => Err(ApiError::from(e)),
        }
    }
    .await;
    match outcome {
        Ok(()) => tracing::info!(user_id = user.id, "password hash upgraded to Argon2id"),
        Err(_) => tracing::warn!(
            user_id = user.id,
            "password hash upgrade failed; retried at next login"
        ),
    }
}

/// How a login proved who the user is (RFC 8176 `amr` values), as its
/// session remembers.
pub mod amr {
    /// A password.
    pub const PASSWORD: &[&str] = &["pwd"];
    /// A password, then a TOTP or recovery code.
    pub const PASSWORD_AND_CODE: &[&str] = &["pwd", "otp"];
    /// A password, then a passkey.
    pub const PASSWORD_AND_PASSKEY: &[&str] = &["pwd", "hwk", "user"];
    /// A passkey alone, with user verification.
    pub const PASSKEY: &[&str] = &["hwk", "user"];
}

/// Django's `login()`: a new session (never the key the client sent; that
/// session is deleted in the same write) and a new CSRF secret; the
/// cookies for the response. `amr`: how the user proved who they are.
pub async fn start_session<S: SessionStore>(
    app: &App<S>,
    req: &Request<'_>,
    user: &User,
    amr: &[&str],
) -> Result<Cookies, ApiError> {
    let age = app.settings.sessions.session_cookie_age;
    let replaces = req.cookie(SESSION_COOKIE);
    // A clash of 160-bit random keys is not expected; still, never overwrite.
    for _ in 0..3 {
        let session = Session {
            session_key: new_session_key(),
            user_id: user.id,
            auth_hash: app.sessions.hash(user.id, user.generation),
            expires_at: age.after(now()),
            amr: amr.iter().map(|m| m.to_string()).collect(),
        };
        if app.store.create_session(&session, replaces).await? {
            return Ok(Cookies::session(
                &session.session_key,
                age,
                &csrf::new_secret(),
            ));
        }
    }
    Err(StoreError::Internal("three session key collisions in a row".into()).into())
}

/// Hands a new refresh token to the client: in the body (the returned
/// token), or with `JWT_AUTH_REFRESH_COOKIE` in that cookie (Max-Age: the
/// refresh lifetime) and, unless `JWT_AUTH_HTTPONLY` is off, only there.
/// The cookie comes with a `csrftoken` cookie if the client has no valid
/// one, for the CSRF check that a request sending the cookie must pass.
pub fn hand_over_refresh<S>(
    app: &App<S>,
    req: &Request<'_>,
    token: String,
) -> (Option<String>, Cookies) {
    let mut cookies = Cookies::default();
    let settings = &app.settings.refresh_cookie;
    if settings.jwt_auth_refresh_cookie.is_none() {
        return (Some(token), cookies);
    }
    cookies.set_refresh(&token, app.settings.tokens.refresh_token_lifetime);
    if req
        .cookie(CSRF_COOKIE)
        .is_none_or(|c| csrf::check_format(c).is_err())
    {
        cookies.set_csrf(&csrf::new_secret());
    }
    let in_body = (!settings.jwt_auth_httponly).then_some(token);
    (in_body, cookies)
}

/// simplejwt's obtain-pair answer for `user`: a new pair (and refresh
/// family), `{"refresh","access"}`, the refresh token handed over as
/// [`hand_over_refresh`] says.
pub fn pair_reply<S>(app: &App<S>, req: &Request<'_>, user: &User, now: i64) -> Reply {
    let (body, cookies) = pair_fields(app, req, user, now, Map::new());
    Reply::tokens(&Value::Object(body)).with_cookies(cookies)
}

/// `body` with a new pair's fields after its own (`refresh`, unless it
/// travels in the cookie, then `access`), and the cookies to set.
fn pair_fields<S>(
    app: &App<S>,
    req: &Request<'_>,
    user: &User,
    now: i64,
    mut body: Map<String, Value>,
) -> (Map<String, Value>, Cookies) {
    let pair = app.tokens.pair_for(user, now, req.client_address());
    let (refresh, cookies) = hand_over_refresh(app, req, pair.refresh);
    if let Some(refresh) = refresh {
        body.insert("refresh".into(), refresh.into());
    }
    body.insert("access".into(), pair.access.into());
    (body, cookies)
}

/// Renews the credential `via` a call came with, for `user` after their
/// credential generation moved on (every other credential is dead): a new
/// session (cookies) for a session caller, `{"refresh","access"}` for a
/// Bearer caller, `{"token"}` for a `jwt-auth` caller, `{}` otherwise.
pub async fn renew_credential<S: SessionStore>(
    app: &App<S>,
    req: &Request<'_>,
    via: Via,
    user: &User,
) -> Result<Reply, ApiError> {
    renew_credential_with(app, req, via, user, Map::new()).await
}

/// As [`renew_credential`], the answer's body starting with `body` (which
/// holds a secret: the answer is never stored by a cache).
pub async fn renew_credential_with<S: SessionStore>(
    app: &App<S>,
    req: &Request<'_>,
    via: Via,
    user: &User,
    mut body: Map<String, Value>,
) -> Result<Reply, ApiError> {
    let now = now();
    let mut cookies = Cookies::default();
    match via {
        // The caller just gave their password.
        Via::Session => cookies = start_session(app, req, user, amr::PASSWORD).await?,
        Via::Bearer => (body, cookies) = pair_fields(app, req, user, now, body),
        Via::JwtAuth => {
            body.insert("token".into(), app.tokens.tutorial_for(user, now).into());
        }
        Via::Basic => {}
    }
    let reply = match body.is_empty() {
        true => Reply::ok(&json!({})),
        false => Reply::tokens(&Value::Object(body)),
    };
    Ok(reply.with_cookies(cookies))
}

/// Runs the chain. `Ok(None)`: nothing usable was presented.
/// A stale `sessionid` gets its deletion added to `cookies`.
pub async fn authenticate<S: UserAdmin + SessionStore + ThrottleStore + TokenStore + KeyStore>(
    app: &App<S>,
    req: &Request<'_>,
    cookies: &mut Cookies,
) -> Result<Option<Caller>, ApiError> {
    let authorization = req.header_bytes("authorization").unwrap_or_default();
    let parts = split_ascii_whitespace(authorization);
    let scheme = parts.first().copied().unwrap_or_default();

    if scheme.eq_ignore_ascii_case(b"basic") {
        return basic(app, req, &parts).await.map(Some);
    }
    if let Some(caller) = session(app, req, cookies).await? {
        return Ok(Some(caller));
    }
    if scheme.eq_ignore_ascii_case(b"token") {
        return Err(ApiError::DrfToken(drf_token(&parts)));
    }
    if scheme == b"Bearer" {
        return bearer(app, &parts).await.map(Some);
    }
    jwt_auth(app, req).await
}

async fn basic<S: UserAdmin + ThrottleStore + KeyStore>(
    app: &App<S>,
    req: &Request<'_>,
    parts: &[&[u8]],
) -> Result<Caller, ApiError> {
    match parts.len() {
        1 => return Err(ApiError::Basic(BasicError::NoCredentials)),
        2 => {}
        _ => return Err(ApiError::Basic(BasicError::Spaces)),
    }
    let (username, password) =
        decode_basic(parts[1]).ok_or(ApiError::Basic(BasicError::NotBase64))?;
    // A second factor, when due, completes as a session login.
    let end = Endpoint::Login;
    let password = SecretString::from(password);
    match check::<S, false>(app, req, &username, password, end).await? {
        Some(user) => Ok(Caller {
            login: None,
            user,
            via: Via::Basic,
        }),
        None => Err(ApiError::Basic(BasicError::WrongCredentials)),
    }
}

/// Python's lenient `base64.b64decode` (characters outside the alphabet are
/// skipped, padding must be right), then UTF-8 or else Latin-1, split at the
/// first `:`.
pub fn decode_basic(encoded: &[u8]) -> Option<(String, String)> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let mut filtered: Vec<u8> = encoded
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .collect();
    // Python stops at the padding and ignores whatever follows it.
    if let Some(pad) = filtered.iter().position(|&b| b == b'=') {
        filtered.truncate(pad);
        match filtered.len() % 4 {
            2 => filtered.extend_from_slice(b"=="),
            3 => filtered.push(b'='),
            _ => return None,
        }
    }
    let bytes = LENIENT.decode(filtered).ok()?;
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
    };
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// The browser's session alone (the OAuth provider's authorization
/// endpoint, where no other credential counts): its caller, if the
/// `sessionid` cookie names a live session of an active user at their
/// current generation; a dead session is flushed (and its cookie deleted
/// in `cookies`), as the authentication chain does.
pub async fn browser_session<S: UserStore + SessionStore>(
    app: &App<S>,
    req: &Request<'_>,
    cookies: &mut Cookies,
) -> Result<Option<Caller>, ApiError> {
    session(app, req, cookies).await
}

async fn session<S: UserStore + SessionStore>(
    app: &App<S>,
    req: &Request<'_>,
    cookies: &mut Cookies,
) -> Result<Option<Caller>, ApiError> {
    let Some(key) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let live = match valid_session_key(key) {
        true => app.store.session(key).await?,
        false => None,
    };
    let Some(session) = live else {
        cookies.delete_session();
        return Ok(None);
    };
    // Django: a session whose user is gone or inactive is anonymous but kept.
    let Some(user) = app
        .store
        .user_by_id(session.user_id)
        .await?
        .filter(|u| u.is_active)
    else {
        return Ok(None);
    };
    if !app
        .sessions
        .verify(&session.auth_hash, user.id, user.generation)
    {
        // The password changed (or logout everywhere) since login: Django
        // flushes the session.
        app.store.delete_session(key).await?;
        cookies.delete_session();
        return Ok(None);
    }
    if !req.is_safe_method() {
        enforce_csrf(app, req)?;
    }
    let login = Login {
        auth_time: app
            .settings
            .sessions
            .session_cookie_age
            .before(session.expires_at),
        amr: match session.amr.is_empty() {
            true => amr::PASSWORD.iter().map(|m| m.to_string()).collect(),
            false => session.amr,
        },
    };
    Ok(Some(Caller {
        user,
        login: Some(login),
        via: Via::Session,
    }))
}

/// Django's CSRF check of a request authenticated by a cookie (a session,
/// or the refresh cookie): `Origin` (or `Referer` on HTTPS), then the
/// `csrftoken` cookie against the `X-CSRFToken` header or form field.
/// Trusted besides the request's own origin: `CSRF_TRUSTED_ORIGINS` and
/// `CORS_ALLOWED_ORIGINS`.
pub fn enforce_csrf<S>(app: &App<S>, req: &Request<'_>) -> Result<(), ApiError> {
    with_csrf_request(req, |request| {
        csrf::check(request, &app.settings.trusted_origins()).map_err(csrf_failure)
    })
}

/// Login CSRF: an unsafe request to a view that logs in, whose `Origin` is
/// neither its own nor trusted, is refused before any password work.
/// Requests without `Origin` (curl, apps, servers) pass.
pub fn check_login_origin<S>(app: &App<S>, req: &Request<'_>) -> Result<(), ApiError> {
    with_csrf_request(req, |request| {
        csrf::check_origin(request, &app.settings.trusted_origins()).map_err(csrf_failure)
    })
}

/// A CSRF refusal, audited.
fn csrf_failure(e: csrf::CsrfFailure) -> ApiError {
    audit::emit(Event::CsrfFailure, Subject::Nobody, &e.to_string());
    ApiError::Csrf(e)
}

/// What Django's CSRF checks read from `req`.
fn with_csrf_request<T>(req: &Request<'_>, check: impl FnOnce(&CsrfRequest<'_>) -> T) -> T {
    let is_post = req.method() == "POST";
    let (origin, referer, host, header_token) = (
        req.header("origin"),
        req.header("referer"),
        req.header("host"),
        req.header("x-csrftoken"),
    );
    check(&CsrfRequest {
        is_post,
        origin: origin.as_deref(),
        referer: referer.as_deref(),
        host: host.as_deref(),
        is_secure: req.is_secure(),
        cookie: req.cookie(CSRF_COOKIE),
        form_token: if is_post { req.form_csrf_token() } else { None },
        header_token: header_token.as_deref(),
    })
}

/// The refresh token a simplejwt view was given: the body's `refresh`
/// field, or, when the body has none and the refresh cookie is on
/// (`JWT_AUTH_REFRESH_COOKIE`), the cookie — which a browser sends on its
/// own, so that request must pass Django's CSRF check. Two refresh cookies
/// are refused as an invalid token.
pub fn presented_refresh<S>(app: &App<S>, req: &Request<'_>) -> Result<String, ApiError> {
    let cookie_name = app
        .settings
        .refresh_cookie
        .jwt_auth_refresh_cookie
        .as_deref();
    let from_cookie = cookie_name.filter(|_| req.data().field("refresh") == Field::Missing);
    let Some(name) = from_cookie.filter(|name| req.cookie(name).is_some()) else {
        let [raw] = serializer_fields(req.data(), ["refresh"])?;
        return Ok(raw);
    };
    enforce_csrf(app, req)?;
    match req.cookies_named(name).as_slice() {
        [token] => Ok((*token).to_owned()),
        _ => Err(TokenError::InvalidOrExpired.into()),
    }
}

fn drf_token(parts: &[&[u8]]) -> DrfTokenError {
    match parts.len() {
        1 => DrfTokenError::NoCredentials,
        2 if std::str::from_utf8(parts[1]).is_err() => DrfTokenError::InvalidCharacters,
        2 => DrfTokenError::Invalid,
        _ => DrfTokenError::Spaces,
    }
}

async fn bearer<S: UserStore + TokenStore>(
    app: &App<S>,
    parts: &[&[u8]],
) -> Result<Caller, ApiError> {
    use ApiError::Bearer as Refused;
    if parts.len() != 2 {
        return Err(Refused(BearerError::BadHeader));
    }
    let raw = String::from_utf8_lossy(parts[1]);
    let token = app
        .tokens
        .access(&raw, now())
        .map_err(|e| Refused(BearerError::NotValid(e)))?;
    bearer_holder(app, &token).await
}

/// The holder of a valid access token, as simplejwt's
/// `JWTAuthentication` finds them, with our revocations: the user it
/// names, live, active and at the token's generation, its family not
/// revoked, and (a token issued to an OAuth client) the token itself not
/// revoked. Every Bearer credential is checked here (the authentication
/// chain; `oauth/userinfo`).
pub async fn bearer_holder<S: UserStore + TokenStore>(
    app: &App<S>,
    token: &ValidToken,
) -> Result<Caller, ApiError> {
    use ApiError::Bearer as Refused;
    let id = match token
        .user_id()
        .map(crate::credentials::tokens::user_id_claim)
    {
        None | Some(UserIdClaim::Unrecognizable) => return Err(Refused(BearerError::NoUserId)),
        Some(UserIdClaim::NoSuchUser) => return Err(Refused(BearerError::UserNotFound)),
        Some(UserIdClaim::Id(id)) => id,
    };
    // The user and the token's refresh family (and, for a token issued to
    // an OAuth client, its blacklist entry: RFC 7009), in one round trip.
    let listed = token.claims.contains_key("client_id").then(|| token.jti());
    let state = app.store.token_state(Some(id), listed, token.fam()).await?;
    if state.family_revoked || state.revoked.is_some() {
        return Err(Refused(BearerError::NotValid(TokenError::Blacklisted)));
    }
    let user = state.user.ok_or(Refused(BearerError::UserNotFound))?;
    if !user.is_active {
        return Err(Refused(BearerError::UserInactive));
    }
    if !token.current_for(user.generation) {
        // Issued before a password change or a logout everywhere.
        return Err(Refused(BearerError::NotValid(TokenError::Blacklisted)));
    }
    Ok(Caller {
        login: None,
        user,
        via: Via::Bearer,
    })
}

async fn jwt_auth<S: UserStore>(
    app: &App<S>,
    req: &Request<'_>,
) -> Result<Option<Caller>, ApiError> {
    use crate::credentials::tokens::TutorialTokenError;
    let Some(raw) = req.header_bytes("jwt-auth").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let raw = String::from_utf8_lossy(raw);
    let token = app
        .tokens
        .tutorial(&raw, now())
        .map_err(ApiError::JwtAuth)?;
    let user = app
        .store
        .user_by_id(token.user_id)
        .await?
        .filter(|u| u.is_active)
        .ok_or(ApiError::JwtAuth(TutorialTokenError::UserNotFound))?;
    if token.generation != Some(user.generation) {
        return Err(ApiError::JwtAuth(TutorialTokenError::InvalidToken));
    }
    Ok(Some(Caller {
        login: None,
        user,
        via: Via::JwtAuth,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_decode_like_python() {
        let d = |s: &str| decode_basic(s.as_bytes());
        assert_eq!(d("YWxpY2U6cHc="), Some(("alice".into(), "pw".into())));
        // characters outside the alphabet are skipped
        assert_eq!(d("YWxp!Y2U6cHc="), Some(("alice".into(), "pw".into())));
        // colons after the first belong to the password
        assert_eq!(d("YTpiOmM="), Some(("a".into(), "b:c".into())));
        // bad padding, no colon
        assert_eq!(d("YWxpY2U6cHc"), None);
        // data after the padding is ignored, as Python's b64decode does
        assert_eq!(d("YWxpY2U6cHc=junk"), Some(("alice".into(), "pw".into())));
        assert_eq!(d("YWxpY2U="), None);
        // not UTF-8: Latin-1
        assert_eq!(d("/zr/"), Some(("\u{ff}".into(), "\u{ff}".into())));
    }

    #[test]
    fn authorization_splits_like_python_bytes() {
        assert_eq!(
            split_ascii_whitespace(b"  Bearer \t x  "),
            vec![&b"Bearer"[..], &b"x"[..]]
        );
        assert!(split_ascii_whitespace(b"").is_empty());
    }
}
