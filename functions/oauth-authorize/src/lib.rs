//! `GET|POST /api/v1/users/oauth/authorize` — the OAuth 2.1 authorization
//! endpoint (RFC 6749 §4.1.1, RFC 7636, RFC 9207) — and `GET
//! oauth/login`, the hosted login page, with `OAUTH_ENABLED` (else 404).
//! The browser's session (the `sessionid` cookie) says who the user is; no
//! other credential counts here.
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
//!   `invalid_scope`, `login_required`, `consent_required`,
//!   `access_denied` (the user said no);
//! * or a `code`, good for 60 s and once, for a user whose session is
//!   there and fresh enough: without one (or with `prompt=login`, or a
//!   login older than `max_age`), the browser goes to `LOGIN_URL` (by
//!   default the hosted login page, `oauth/login`) with `next` (this
//!   request, `prompt=login` dropped); with `prompt=none`,
//!   `login_required`.
//!
//! A first-party client gets its code at once. A third-party one gets it
//! if the user consented to it for every scope asked (remembered on the
//! user's item until they withdraw it at `oauth/grants`) and the request
//! has no `prompt=consent`; otherwise `prompt=none` is `consent_required`
//! and anything else gets the consent page (200 HTML): the client's name,
//! the scopes, and a form POSTing this request back with `consent=allow`
//! or `deny` and Django's CSRF token (`csrfmiddlewaretoken`, checked
//! against the `csrftoken` cookie as for any session POST: 403 without
//! it). Allowing records the consent (one conditional write) and sends
//! the code; denying sends `access_denied`.
//!
//! `GET oauth/login?next=<an oauth/authorize URL of this issuer>`: a
//! plain HTML form for the username and password, the TOTP step and (with
//! passkey login on) a passkey button; its script logs in through `login`,
//! `login/mfa` and `login/passkey` (same origin, a session), then opens
//! `next` (any other `next` is ignored). Both pages are styled by one
//! CSS file (`pages/oauth.css`) and carry `Content-Security-Policy` with
//! `frame-ancestors 'none'`, their inline style and script allowed by hash
//! only, and `Cache-Control: no-store`.
//!
//! The code is stored as its SHA-256 (`code#…` in the throttle table)
//! with the client, redirect URI, scope, PKCE challenge, `nonce`, the
//! login's time and methods (`auth_time`, `amr`) and the refresh family
//! the tokens issued for it will carry.
//!
//! DynamoDB: the session and its user (authentication), one GetItem (the
//! client), one PutItem (the code); a consent, one UpdateItem (the user).

use auth::App;
use auth::base::audit::{self, Event, Subject};
use auth::base::random::new_jti;
use auth::base::time::now;
use auth::credentials::oauth::{new_code, parse_scope, valid_code_challenge};
use auth::model::client::{Grant, OAuthClient};
use auth::model::code::{AuthorizationCode, CODE_LIFETIME};
use auth::model::consent::Consent;
use auth::model::user::User;
use auth::policy::csrf;
use auth::secrecy::ExposeSecret;
use auth::serde_json::json;
use auth::settings::LoginBy;
use auth::store::Store;
use auth::web::authn::{Login, browser_session, enforce_csrf};
use auth::web::contract::{OAuthError, oauth_words as words};
use auth::web::oauth::{Params, enabled};
use auth::web::page::{fill, policy, source_of};
use auth::web::{Anonymous, Answer, CSRF_COOKIE, Cookies, Data, Reply, Request, Serves, View};

pub static VIEW: View<Anonymous> = View {
    // The consent form's POST has a body.
    reads_body: true,
    ..View::oauth("oauth-authorize", Serves::GetOrPost)
        .at(&[("oauth/login", Serves::Get)])
        .options(
            r#"{"name":"OAuth Authorize","description":"The OAuth 2.1 authorization endpoint.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
        )
};

/// The longest `state` and `nonce` taken (they come back in URLs and tokens).
const MAX_ECHOED: usize = 512;

/// The pages' one style sheet: replace the file to restyle them.
const STYLE: &str = include_str!("../pages/oauth.css");
const LOGIN_PAGE: &str = include_str!("../pages/login.html");
const LOGIN_SCRIPT: &str = include_str!("../pages/login.js");
const CONSENT_PAGE: &str = include_str!("../pages/consent.html");

/// The login page, or RFC 6749 §4.1.1: a code for the session's user, the
/// consent page, or an error, sent back (a dead session's cookie deleted
/// on the way).
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    enabled(app)?;
    if req.path().trim_end_matches('/').ends_with("/oauth/login") {
        return Ok(login_page(app, req));
    }
    let mut cookies = Cookies::default();
    let answer = authorize(app, req, &mut cookies).await?;
    Ok(answer.with_cookies(cookies))
}

/// The parameters of the consent form that are not the request's.
const FORM_ONLY: [&str; 2] = ["csrfmiddlewaretoken", "consent"];

async fn authorize<S: Store>(app: &App<S>, req: &Request<'_>, cookies: &mut Cookies) -> Answer {
    let decision = req.method() == "POST";
    let pairs = match (decision, req.data()) {
        (false, _) => req.query_pairs(),
        (true, Data::Form(pairs)) => pairs.clone(),
        (true, _) => return Err(OAuthError::InvalidRequest(words::NOT_A_FORM).into()),
    };
    // The form's own fields are never the request's (nor echoed into the
    // consent page's form: a query's `consent=allow` must not answer for
    // the user).
    let (answer, request_pairs): (Vec<_>, Vec<_>) = pairs
        .into_iter()
        .partition(|(k, _)| FORM_ONLY.contains(&k.as_str()));
    let params = Params::from_pairs(&request_pairs)?;
    let answer = Params::from_pairs(&answer)?;
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
        issuer: issuer(app),
    };
    let request = match Authorization::read(&client, &params) {
        Ok(request) => request,
        Err(e) => return Ok(back.error(e)),
    };
    let caller = browser_session(app, req, cookies).await?;
    let login = caller.and_then(|c| c.login.map(|login| (c.user, login)));
    let (user, login) = match login {
        Some((user, login)) if decision || !request.needs_login(&login, now()) => (user, login),
        _ if request.prompt_none => return Ok(back.error(OAuthError::LoginRequired)),
        _ => return Ok(Reply::redirect(to_login(app, &request_pairs))),
    };
    if decision {
        // A session's POST: Django's CSRF check, as for any other.
        enforce_csrf(app, req)?;
        match answer.get("consent") {
            Some("allow") if client.first_party => {}
            Some("allow") => {
                if !consent(app, &client, &user, &request.scope).await? {
                    // It changed meanwhile: ask again, as it is now.
                    return Ok(Reply::redirect(authorize_url(app, &request_pairs)));
                }
            }
            Some("deny") => return Ok(back.error(OAuthError::AccessDenied)),
            _ => return Ok(back.error(OAuthError::InvalidRequest(words::NO_CONSENT_ANSWER))),
        }
    } else if !client.first_party {
        let consented = (user.consent(&client.client_id)).is_some_and(|c| c.covers(&request.scope));
        if !consented || request.prompt_consent {
            if request.prompt_none {
                return Ok(back.error(OAuthError::ConsentRequired));
            }
            return Ok(consent_page(
                app,
                req,
                &client,
                &user,
                &request,
                &request_pairs,
            ));
        }
    }
    let code = issue(app, &client, &user, login, request).await?;
    Ok(back.with(&[("code", code.expose_secret())]))
}

/// A new code for `user`, stored.
async fn issue<S: Store>(
    app: &App<S>,
    client: &OAuthClient,
    user: &User,
    login: Login,
    request: Authorization<'_>,
) -> Result<auth::secrecy::SecretString, auth::ApiError> {
    let (code, id) = new_code();
    let stored = AuthorizationCode {
        id,
        client_id: client.client_id.clone(),
        user_id: user.id,
        generation: user.generation,
        redirect_uri: request.redirect_uri.to_owned(),
        scope: request.scope,
        code_challenge: request.code_challenge.to_owned(),
        nonce: request.nonce.map(str::to_owned),
        auth_time: login.auth_time,
        amr: login.amr,
        fam: new_jti(),
        expires_at: now() + CODE_LIFETIME,
    };
    app.store.put_code(&stored).await?;
    Ok(code)
}

/// Records `user`'s consent to `client` for `scope` (widening one they
/// gave, which keeps its time): false if their consent changed meanwhile.
async fn consent<S: Store>(
    app: &App<S>,
    client: &OAuthClient,
    user: &User,
    scope: &str,
) -> Result<bool, auth::ApiError> {
    let given = user.consent(&client.client_id);
    let (consent, replacing) = match given {
        Some(c) if c.covers(scope) => return Ok(true),
        Some(c) => (c.widened(&client.name, scope), Some(c.granted_at)),
        None => (
            Consent {
                client_id: client.client_id.clone(),
                name: client.name.clone(),
                scope: scope.to_owned(),
                granted_at: now(),
            },
            None,
        ),
    };
    let written = app.store.give_consent(user.id, &consent, replacing).await?;
    if written {
        audit::emit(
            Event::OAuthConsentGiven,
            Subject::UserId(user.id),
            &client.client_id,
        );
    }
    Ok(written)
}

fn issuer<S>(app: &App<S>) -> &str {
    app.settings.tokens.issuer.as_deref().unwrap_or_default()
}

/// This issuer's authorization endpoint with `pairs` as its query.
fn authorize_url<S>(app: &App<S>, pairs: &[(String, String)]) -> String {
    let query = form_urlencoded_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    format!(
        "{}/oauth/authorize?{query}",
        issuer(app).trim_end_matches('/')
    )
}

/// The consent page for `request`, its form carrying the request's
/// parameters and a CSRF token (a `csrftoken` cookie set if the browser
/// has none).
fn consent_page<S>(
    app: &App<S>,
    req: &Request<'_>,
    client: &OAuthClient,
    user: &User,
    request: &Authorization<'_>,
    pairs: &[(String, String)],
) -> Reply {
    let mut cookies = Cookies::default();
    let secret = match req.cookie(CSRF_COOKIE).map(csrf::cookie_secret) {
        Some(Ok(secret)) => secret,
        _ => {
            let secret = csrf::new_secret();
            cookies.set_csrf(&secret);
            secret
        }
    };
    let escape = auth::web::page::escape;
    let fields: String = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let scopes: String = request
        .scope
        .split(' ')
        .map(|scope| format!("<li>{}</li>\n", escape(scope_words(scope))))
        .collect();
    let html = fill(
        CONSENT_PAGE,
        &[("style", STYLE), ("fields", &fields), ("scopes", &scopes)],
        &[
            ("client", &client.name),
            ("username", &user.username),
            ("action", "authorize"),
            ("csrf", &csrf::mask(&secret)),
        ],
    );
    // The form's answer redirects to the client, or (a session gone
    // meanwhile) to the login page.
    let login_url = app.settings.oauth.login_url.as_deref();
    let targets: Vec<String> = [Some(request.redirect_uri), login_url]
        .into_iter()
        .flatten()
        .filter_map(source_of)
        .collect();
    Reply::page(html, policy(STYLE, None, &targets)).with_cookies(cookies)
}

/// What the consent page says a scope lets the client do.
fn scope_words(scope: &str) -> &str {
    match scope {
        "openid" => "Know who you are on this service",
        "profile" => "See your username and name",
        "email" => "See your email address",
        other => other,
    }
}

/// The hosted login page (`oauth/login`): `next` kept only if it is this
/// issuer's authorization endpoint.
fn login_page<S>(app: &App<S>, req: &Request<'_>) -> Reply {
    let pairs = req.query_pairs();
    let endpoint = format!("{}/oauth/authorize?", issuer(app).trim_end_matches('/'));
    let next = pairs
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.as_str())
        .filter(|next| next.starts_with(&endpoint));
    let passkeys =
        app.settings.mfa.supported_types.webauthn && app.settings.mfa.passkey_login_enabled;
    // The endpoints, relative to this page (…/oauth/login).
    let config = json!({
        "next": next,
        "login": "../login",
        "mfa": "../login/mfa",
        "passkey_options": "../login/passkey/options",
        "passkey": "../login/passkey",
        "passkeys": passkeys,
    });
    // JSON in a script element: no `<` may close it.
    let config = auth::serde_json::to_string(&config)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    let label = match app.settings.accounts.authentication_method {
        LoginBy::Username => "Username",
        LoginBy::Email => "Email address",
        LoginBy::UsernameEmail => "Username or email address",
    };
    let html = fill(
        LOGIN_PAGE,
        &[
            ("style", STYLE),
            ("script", LOGIN_SCRIPT),
            ("config", &config),
        ],
        &[
            ("username_label", label),
            ("login", "../login"),
            ("mfa", "../login/mfa"),
        ],
    );
    Reply::page(html, policy(STYLE, Some(LOGIN_SCRIPT), &[]))
}

/// An authorization request, checked.
struct Authorization<'p> {
    redirect_uri: &'p str,
    scope: String,
    code_challenge: &'p str,
    nonce: Option<&'p str>,
    prompt_none: bool,
    prompt_login: bool,
    prompt_consent: bool,
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
            redirect_uri: params.get("redirect_uri").unwrap_or_default(),
            scope: scopes.join(" "),
            code_challenge,
            nonce: params.get("nonce"),
            prompt_none,
            prompt_login: prompt.contains(&"login"),
            prompt_consent: prompt.contains(&"consent"),
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

/// `LOGIN_URL` (by default the hosted page, `oauth/login`) with `next`:
/// this authorization request on the issuer's URL, without
/// `prompt=login` (which the login has just answered).
fn to_login<S>(app: &App<S>, pairs: &[(String, String)]) -> String {
    let kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, v)| !(k == "prompt" && v.split(' ').any(|p| p == "login")))
        .cloned()
        .collect();
    let next = authorize_url(app, &kept);
    let hosted = format!("{}/oauth/login", issuer(app).trim_end_matches('/'));
    let login_url = app.settings.oauth.login_url.as_deref().unwrap_or(&hosted);
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
