//! `GET /api/v1/users/oauth/authorize` — the OAuth 2.1 authorization
//! endpoint (RFC 6749 §4.1.1, RFC 7636, RFC 9207), with `OAUTH_ENABLED`
//! (else 404). The browser's session (the `sessionid` cookie) says who the
//! user is; no other credential counts here.
//!
//! Checked first, and answered here (400 `{"error":"invalid_request",…}`)
//! rather than sent anywhere, because the redirect URI cannot be trusted
//! yet (§4.1.2.1): a repeated parameter, a missing or unknown `client_id`,
//! a `redirect_uri` missing or not one of the client's registered URIs,
//! character for character.
//!
//! Then every answer goes back to the redirect URI, with `state` as given
//! and `iss` (RFC 9207):
//! * `error` (`error_description`): `unsupported_response_type` (only
//!   `code`), `unauthorized_client` (not registered for
//!   `authorization_code`), `invalid_request` (no S256 PKCE challenge, a
//!   bad `prompt` or `max_age`, an over-long `state` or `nonce`),
//!   `invalid_scope`, `login_required`, `consent_required`;
//! * or a `code`, good for 60 s and once, for a user whose session is
//!   there and fresh enough: without one (or with `prompt=login`, or a
//!   login older than `max_age`), the browser goes to `LOGIN_URL` with
//!   `next` (this request, `prompt=login` dropped), or, without
//!   `LOGIN_URL` or with `prompt=none`, `login_required`. A first-party
//!   client gets its code at once; a third-party one needs the user's
//!   consent (`consent_required`: the consent page is not here yet).
//!
//! The code is stored as its SHA-256 (`code#…` in the throttle table)
//! with the client, redirect URI, scope, PKCE challenge, `nonce`, the
//! login's time and methods (`auth_time`, `amr`) and the refresh family
//! the tokens issued for it will carry.
//!
//! DynamoDB: the session and its user (authentication), one GetItem (the
//! client), one PutItem (the code).

use auth::App;
use auth::base::random::new_jti;
use auth::base::time::now;
use auth::credentials::oauth::{new_code, parse_scope, valid_code_challenge};
use auth::model::client::{Grant, OAuthClient};
use auth::model::code::{AuthorizationCode, CODE_LIFETIME};
use auth::secrecy::ExposeSecret;
use auth::store::Store;
use auth::web::authn::{Login, browser_session};
use auth::web::contract::{OAuthError, oauth_words as words};
use auth::web::oauth::{Params, enabled};
use auth::web::{Anonymous, Answer, Cookies, Reply, Request, Serves, View};

pub static VIEW: View<Anonymous> = View::oauth("oauth-authorize", Serves::Get).options(
    r#"{"name":"OAuth Authorize","description":"The OAuth 2.1 authorization endpoint.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
);

/// The longest `state` and `nonce` taken (they come back in URLs and tokens).
const MAX_ECHOED: usize = 512;

/// RFC 6749 §4.1.1: a code for the session's user, or an error, sent back
/// (a dead session's cookie deleted on the way).
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    enabled(app)?;
    let mut cookies = Cookies::default();
    let answer = authorize(app, req, &mut cookies).await?;
    Ok(answer.with_cookies(cookies))
}

async fn authorize<S: Store>(app: &App<S>, req: &Request<'_>, cookies: &mut Cookies) -> Answer {
    let pairs = req.query_pairs();
    let params = Params::from_pairs(&pairs)?;
    let client_id = params.require("client_id", words::NO_CLIENT_ID)?;
    let Some(client) = app.store.oauth_client(client_id).await? else {
        return Err(OAuthError::InvalidRequest(words::UNKNOWN_CLIENT).into());
    };
    let redirect_uri = params.require("redirect_uri", words::NO_REDIRECT_URI)?;
    if !client.redirect_uris.iter().any(|uri| uri == redirect_uri) {
        return Err(OAuthError::InvalidRequest(words::REDIRECT_URI_MISMATCH).into());
    }
    let back = Back {
        redirect_uri,
        state: params.get("state"),
        issuer: app.settings.tokens.issuer.as_deref().unwrap_or_default(),
    };
    let request = match Authorization::read(&client, &params) {
        Ok(request) => request,
        Err(e) => return Ok(back.error(e)),
    };
    let caller = browser_session(app, req, cookies).await?;
    let login = caller.and_then(|c| c.login.map(|login| (c.user, login)));
    let (user, login) = match login {
        Some((user, login)) if !request.needs_login(&login, now()) => (user, login),
        _ if request.prompt_none => return Ok(back.error(OAuthError::LoginRequired)),
        _ => match &app.settings.oauth.login_url {
            Some(login_url) => return Ok(Reply::redirect(to_login(app, login_url, &pairs))),
            None => return Ok(back.error(OAuthError::LoginRequired)),
        },
    };
    if !client.first_party {
        return Ok(back.error(OAuthError::ConsentRequired));
    }
    let (code, id) = new_code();
    let now = now();
    let stored = AuthorizationCode {
        id,
        client_id: client.client_id.clone(),
        user_id: user.id,
        generation: user.generation,
        redirect_uri: redirect_uri.to_owned(),
        scope: request.scope,
        code_challenge: request.code_challenge.to_owned(),
        nonce: request.nonce.map(str::to_owned),
        auth_time: login.auth_time,
        amr: login.amr,
        fam: new_jti(),
        expires_at: now + CODE_LIFETIME,
    };
    app.store.put_code(&stored).await?;
    Ok(back.with(&[("code", code.expose_secret())]))
}

/// An authorization request, checked.
struct Authorization<'p> {
    scope: String,
    code_challenge: &'p str,
    nonce: Option<&'p str>,
    prompt_none: bool,
    prompt_login: bool,
    max_age: Option<i64>,
}

impl<'p> Authorization<'p> {
    fn read(client: &OAuthClient, params: &Params<'p>) -> Result<Self, OAuthError> {
        if params.get("response_type") != Some("code") {
            return Err(OAuthError::UnsupportedResponseType);
        }
        if !client.may_use(Grant::AuthorizationCode) {
            return Err(OAuthError::UnauthorizedClient(words::GRANT_NOT_ALLOWED));
        }
        let code_challenge = params
            .get("code_challenge")
            .ok_or(OAuthError::InvalidRequest(words::NO_CODE_CHALLENGE))?;
        if params.get("code_challenge_method") != Some("S256") {
            return Err(OAuthError::InvalidRequest(words::S256_ONLY));
        }
        if !valid_code_challenge(code_challenge) {
            return Err(OAuthError::InvalidRequest(words::BAD_CODE_CHALLENGE));
        }
        let too_long = |v: Option<&str>| v.is_some_and(|v| v.len() > MAX_ECHOED);
        if too_long(params.get("state")) || too_long(params.get("nonce")) {
            return Err(OAuthError::InvalidRequest(words::TOO_LONG));
        }
        let scopes: Vec<&str> = match params.get("scope") {
            Some(scope) => parse_scope(scope).ok_or(OAuthError::InvalidScope)?,
            None => client.scopes.iter().map(String::as_str).collect(),
        };
        if !client.allows_scopes(scopes.iter().copied()) {
            return Err(OAuthError::InvalidScope);
        }
        let prompt: Vec<&str> = params
            .get("prompt")
            .map_or(vec![], |p| p.split(' ').collect());
        let known = ["none", "login", "consent", "select_account"];
        let prompt_none = prompt.contains(&"none");
        if prompt.iter().any(|p| !known.contains(p)) || (prompt_none && prompt.len() > 1) {
            return Err(OAuthError::InvalidRequest(words::BAD_PROMPT));
        }
        let max_age = match params.get("max_age") {
            Some(age) => Some(
                (age.parse::<i64>().ok())
                    .filter(|a| *a >= 0 && age.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or(OAuthError::InvalidRequest(words::BAD_MAX_AGE))?,
            ),
            None => None,
        };
        Ok(Authorization {
            scope: scopes.join(" "),
            code_challenge,
            nonce: params.get("nonce"),
            prompt_none,
            prompt_login: prompt.contains(&"login"),
            max_age,
        })
    }

    /// Whether the user must log in again: `prompt=login`, or a login
    /// older than `max_age` seconds.
    fn needs_login(&self, login: &Login, now: i64) -> bool {
        self.prompt_login
            || self
                .max_age
                .is_some_and(|age| login.auth_time.saturating_add(age) < now)
    }
}

/// `LOGIN_URL` with `next`: this authorization request on the issuer's
/// URL, without `prompt=login` (which the login has just answered).
fn to_login<S>(app: &App<S>, login_url: &str, pairs: &[(String, String)]) -> String {
    let issuer = app.settings.tokens.issuer.as_deref().unwrap_or_default();
    let query = form_urlencoded_pairs(
        pairs
            .iter()
            .filter(|(k, v)| !(k == "prompt" && v.split(' ').any(|p| p == "login")))
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let next = format!("{}/oauth/authorize?{query}", issuer.trim_end_matches('/'));
    append(login_url, &[("next", &next)])
}

/// Where the answer goes: the redirect URI, with `state` and `iss`.
struct Back<'a> {
    redirect_uri: &'a str,
    state: Option<&'a str>,
    issuer: &'a str,
}

impl Back<'_> {
    fn with(&self, pairs: &[(&str, &str)]) -> Reply {
        let mut all = pairs.to_vec();
        if let Some(state) = self.state {
            all.push(("state", state));
        }
        all.push(("iss", self.issuer));
        Reply::redirect(append(self.redirect_uri, &all))
    }

    fn error(&self, e: OAuthError) -> Reply {
        self.with(&[("error", e.code()), ("error_description", e.description())])
    }
}

/// `url` with `pairs` added to its query.
fn append(url: &str, pairs: &[(&str, &str)]) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}{}",
        form_urlencoded_pairs(pairs.iter().copied())
    )
}

fn form_urlencoded_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = auth::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    query.finish()
}
