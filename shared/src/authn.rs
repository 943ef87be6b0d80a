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

use lambda_http::http::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use crate::app::App;
use crate::csrf::{self, CsrfRequest};
use crate::password::{self, Verdict};
use crate::session::new_session_key;
use crate::store::{
    Session, SessionStore, StoreError, ThrottleStore, UpdateUserError, User, UserChange, UserStore,
    valid_session_key,
};
use crate::throttle;
use crate::time::now;
use crate::tokens::{self, TokenType, UserIdClaim};
use crate::web::{ApiError, Cx, SESSION_COOKIE};

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

#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub via: Via,
}

fn failed(detail: &str) -> ApiError {
    ApiError::detail(StatusCode::UNAUTHORIZED, detail)
}

fn failed_with_code(detail: &str, code: &str) -> ApiError {
    ApiError::json(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": detail, "code": code }),
    )
}

/// Python's `bytes.split()`: on runs of ASCII whitespace.
fn split_ascii_whitespace(value: &[u8]) -> Vec<&[u8]> {
    value
        .split(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c'))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Django's `ModelBackend.authenticate`: the active user with this username
/// and password. Unknown users cost a dummy verification; inactive users a
/// real one — so timing tells neither apart from a wrong password. Every
/// call is charged to the throttle first (429 past its limits, with no
/// hashing at all).
pub async fn check_credentials<S: UserStore + ThrottleStore>(
    app: &App<S>,
    cx: &Cx<'_>,
    username: &str,
    password: SecretString,
) -> Result<Option<User>, ApiError> {
    let attempt = throttle::begin(app, username, cx.client_address()).await?;
    let user = app.store.user_by_username(username).await?;
    let stored = user.as_ref().map(|u| u.password.clone());
    let verdict = password::check_password(password.clone(), stored).await?;
    let Some(user) = user.filter(|u| verdict.matched() && u.is_active) else {
        return Ok(None);
    };
    throttle::succeeded(app, attempt).await?;
    if verdict == Verdict::MatchNeedsUpgrade {
        upgrade_hash(app, &user, password).await;
    }
    Ok(Some(user))
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

/// Django's `login()`: a new session (never the key the client sent; that
/// session is deleted in the same write) and a new CSRF secret, both as
/// cookies on the response.
pub async fn start_session<S: SessionStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
    user: &User,
) -> Result<(), ApiError> {
    let age = app.settings.session_cookie_age;
    let replaces = cx.cookie(SESSION_COOKIE).map(str::to_owned);
    // A clash of 160-bit random keys is not expected; still, never overwrite.
    for _ in 0..3 {
        let session = Session {
            session_key: new_session_key(),
            user_id: user.id,
            auth_hash: app.sessions.hash(user.id, user.generation),
            expires_at: now() + age,
        };
        if app
            .store
            .create_session(&session, replaces.as_deref())
            .await?
        {
            cx.set_csrf_cookie(&csrf::new_secret());
            cx.set_session_cookie(&session.session_key, age);
            return Ok(());
        }
    }
    Err(StoreError::Unavailable("three session key collisions in a row".into()).into())
}

/// Runs the chain. `Ok(None)`: nothing usable was presented.
pub async fn authenticate<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
) -> Result<Option<Caller>, ApiError> {
    let authorization = cx.header_bytes("authorization").unwrap_or_default();
    let parts = split_ascii_whitespace(authorization);
    let scheme = parts.first().copied().unwrap_or_default();

    let caller = if scheme.eq_ignore_ascii_case(b"basic") {
        Some(basic(app, cx, &parts).await?)
    } else if let Some(caller) = session(app, cx).await? {
        Some(caller)
    } else if scheme.eq_ignore_ascii_case(b"token") {
        return Err(drf_token(&parts));
    } else if scheme == b"Bearer" {
        Some(bearer(app, &parts).await?)
    } else {
        jwt_auth(app, cx).await?
    };
    if let Some(c) = &caller {
        cx.caller = Some((c.via.as_str(), c.user.id));
    }
    Ok(caller)
}

async fn basic<S: UserStore + ThrottleStore>(
    app: &App<S>,
    cx: &Cx<'_>,
    parts: &[&[u8]],
) -> Result<Caller, ApiError> {
    match parts.len() {
        1 => return Err(failed("Invalid basic header. No credentials provided.")),
        2 => {}
        _ => {
            return Err(failed(
                "Invalid basic header. Credentials string should not contain spaces.",
            ));
        }
    }
    let (username, password) = decode_basic(parts[1])
        .ok_or_else(|| failed("Invalid basic header. Credentials not correctly base64 encoded."))?;
    match check_credentials(app, cx, &username, SecretString::from(password)).await? {
        Some(user) => Ok(Caller {
            user,
            via: Via::Basic,
        }),
        None => Err(failed("Invalid username/password.")),
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

async fn session<S: UserStore + SessionStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
) -> Result<Option<Caller>, ApiError> {
    let Some(key) = cx.cookie(SESSION_COOKIE).map(str::to_owned) else {
        return Ok(None);
    };
    let live = if valid_session_key(&key) {
        app.store.session(&key).await?
    } else {
        None
    };
    let Some(session) = live else {
        cx.delete_session_cookie();
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
        app.store.delete_session(&key).await?;
        cx.delete_session_cookie();
        return Ok(None);
    }
    if !matches!(
        cx.method_name().as_str(),
        "GET" | "HEAD" | "OPTIONS" | "TRACE"
    ) {
        enforce_csrf(app, cx)?;
    }
    Ok(Some(Caller {
        user,
        via: Via::Session,
    }))
}

fn enforce_csrf<S>(app: &App<S>, cx: &Cx<'_>) -> Result<(), ApiError> {
    let is_post = cx.method_name() == "POST";
    let form_token = if is_post { cx.form_csrf_token() } else { None };
    let (origin, referer, host, header_token) = (
        cx.header("origin"),
        cx.header("referer"),
        cx.header("host"),
        cx.header("x-csrftoken"),
    );
    let request = CsrfRequest {
        is_post,
        origin: origin.as_deref(),
        referer: referer.as_deref(),
        host: host.as_deref(),
        is_secure: cx.is_secure(),
        cookie: cx.cookie(crate::web::CSRF_COOKIE),
        form_token: form_token.as_deref(),
        header_token: header_token.as_deref(),
    };
    csrf::check(&request, &app.settings.csrf_trusted_origins).map_err(|failure| {
        ApiError::detail(StatusCode::FORBIDDEN, &format!("CSRF Failed: {failure}"))
    })
}

fn drf_token(parts: &[&[u8]]) -> ApiError {
    match parts.len() {
        1 => failed("Invalid token header. No credentials provided."),
        2 if std::str::from_utf8(parts[1]).is_err() => {
            failed("Invalid token header. Token string should not contain invalid characters.")
        }
        2 => failed("Invalid token."),
        _ => failed("Invalid token header. Token string should not contain spaces."),
    }
}

async fn bearer<S: UserStore>(app: &App<S>, parts: &[&[u8]]) -> Result<Caller, ApiError> {
    if parts.len() != 2 {
        return Err(failed_with_code(
            "Authorization header must contain two space-delimited values",
            "bad_authorization_header",
        ));
    }
    let raw = String::from_utf8_lossy(parts[1]);
    let not_valid = |message: &str| {
        ApiError::json(
            StatusCode::UNAUTHORIZED,
            json!({
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{
                    "token_class": "AccessToken",
                    "token_type": "access",
                    "message": message,
                }],
            }),
        )
    };
    let token = tokens::decode_simplejwt(&app.jwt, &raw, Some(TokenType::Access), now())
        .map_err(|e| not_valid(e.message()))?;
    let no_user = || failed_with_code("User not found", "user_not_found");
    let id = match token.user_id().map(tokens::user_id_claim) {
        None | Some(UserIdClaim::Unrecognizable) => {
            return Err(failed_with_code(
                "Token contained no recognizable user identification",
                "token_not_valid",
            ));
        }
        Some(UserIdClaim::NoSuchUser) => return Err(no_user()),
        Some(UserIdClaim::Id(id)) => id,
    };
    let user = app.store.user_by_id(id).await?.ok_or_else(no_user)?;
    if !user.is_active {
        return Err(failed_with_code("User is inactive", "user_inactive"));
    }
    if !token.current_for(user.generation) {
        // Issued before a password change or a logout everywhere.
        return Err(not_valid(tokens::REVOKED));
    }
    Ok(Caller {
        user,
        via: Via::Bearer,
    })
}

async fn jwt_auth<S: UserStore>(app: &App<S>, cx: &Cx<'_>) -> Result<Option<Caller>, ApiError> {
    let Some(raw) = cx.header_bytes("jwt-auth").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let raw = String::from_utf8_lossy(raw);
    let token = tokens::decode_tutorial(&app.jwt, &raw, now()).map_err(|e| failed(e.message()))?;
    let user = app
        .store
        .user_by_id(token.user_id)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(|| failed(tokens::TutorialTokenError::UserNotFound.message()))?;
    if token.generation != Some(user.generation) {
        return Err(failed(tokens::TutorialTokenError::InvalidToken.message()));
    }
    Ok(Some(Caller {
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
