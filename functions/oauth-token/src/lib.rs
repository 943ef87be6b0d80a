//! `POST /api/v1/users/oauth/token` — the OAuth 2.1 token endpoint
//! (RFC 6749 §3.2), with `OAUTH_ENABLED` (else 404).
//!
//! A form (`application/x-www-form-urlencoded`), each parameter at most
//! once. The client authenticates by exactly one of
//! `client_secret_basic`, `client_secret_post` or (a public client) its
//! bare `client_id` (`web::oauth::authenticate_client`); anything else is
//! 401 `invalid_client` and audits `oauth_client_failed`.
//!
//! * `grant_type=client_credentials` (RFC 6749 §4.4), confidential clients
//!   registered for it: an access token for the client itself, in the RFC
//!   9068 profile (`typ: at+jwt`; `sub` and `client_id` the client;
//!   `scope`), for `ACCESS_TOKEN_LIFETIME`. `scope` is optional (default:
//!   every scope the client may be granted); one it may not be granted,
//!   or `openid` (there is no user), is `invalid_scope`.
//!   200 `{"access_token","token_type":"Bearer","expires_in","scope"}`,
//!   `Cache-Control: no-store`; audits `oauth_token_issued`.
//!
//! * `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5),
//!   any client registered for it (a public one by its bare `client_id`):
//!   `code`, `redirect_uri` and `code_verifier`, all required. The code is
//!   redeemed once, by one conditional write; a code presented again
//!   revokes the refresh family of every token issued from it (their
//!   access tokens stop being accepted and active) and audits
//!   `oauth_code_reused`. A code unknown, expired or used, issued to
//!   another client or for another redirect URI, whose PKCE verifier does
//!   not hash (S256) to its challenge, or whose user has logged out
//!   everywhere, changed their password or gone since: `invalid_grant`.
//!   200 `{"access_token","token_type":"Bearer","expires_in","scope"}`
//!   and, with `openid` in the scope, `"id_token"`; audits
//!   `oauth_token_issued`. The access token is a user's (RFC 9068, with
//!   `client_id` and `scope`), good wherever this service's access tokens
//!   are. A client registered for `refresh_token` also gets
//!   `"refresh_token"`: one of the user's refresh tokens with its
//!   `client_id` and `scope`, in the code's family.
//! * `grant_type=refresh_token` (RFC 6749 §6), with `refresh_token` (and
//!   an optional narrower `scope`): a token issued to this client, renewed
//!   as `login/simpleJWT/refresh` renews one (`web::refresh`: the family's
//!   rate limit, reuse detection, logout everywhere and password changes)
//!   and always rotated, single use: 200 with a new `access_token` and
//!   `refresh_token`. A token refused for any reason (another client's,
//!   a user's own, revoked, reused, expired) is `invalid_grant`; a reuse
//!   revokes the family, as at `login/simpleJWT/refresh`.
//!
//! Errors are RFC 6749 §5.2's: 400 `{"error","error_description"}`
//! (`invalid_request`, `unauthorized_client`, `unsupported_grant_type`,
//! `invalid_scope`), 401 `invalid_client` with `WWW-Authenticate: Basic`.
//!
//! DynamoDB: one GetItem (the client); for a code, one UpdateItem (its
//! redemption) and one GetItem (its user).

use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::credentials::oauth::{code_item_id, parse_scope, pkce_matches};
use auth::credentials::tokens::OAuthGrant;
use auth::model::client::{Grant, OAuthClient};
use auth::model::code::{CODE_LIFETIME, Redemption};
use auth::serde_json::json;
use auth::store::Store;
use auth::web::contract::{OAuthError, oauth_words};
use auth::web::oauth::{Params, authenticate_client, enabled};
use auth::web::refresh::{Rotation, renew};
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Anonymous> = View::oauth("oauth-token", Serves::Post).options(
    r#"{"name":"OAuth Token","description":"The OAuth 2.1 token endpoint.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
);

/// RFC 6749 §3.2: the grant the form names, for the client it authenticates.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    enabled(app)?;
    let params = Params::of(req)?;
    let grant_type = params.require("grant_type", oauth_words::NO_GRANT_TYPE)?;
    let grant = Grant::parse(grant_type).ok_or(OAuthError::UnsupportedGrantType)?;
    let client = authenticate_client(app, req, &params).await?;
    if !client.may_use(grant) {
        return Err(OAuthError::UnauthorizedClient(oauth_words::GRANT_NOT_ALLOWED).into());
    }
    match grant {
        Grant::ClientCredentials => client_credentials(app, &client, &params),
        Grant::AuthorizationCode => authorization_code(app, &client, &params).await,
        Grant::RefreshToken => refresh_token(app, req, &client, &params).await,
    }
}

/// RFC 6749 §6 with OAuth 2.1's rotation: a refresh token issued to this
/// client, renewed as `login/simpleJWT/refresh` renews one
/// (`web::refresh::renew`), always rotated and single use. Any refusal of
/// the token is `invalid_grant`.
async fn refresh_token<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    client: &OAuthClient,
    params: &Params<'_>,
) -> Answer {
    let raw = params.require("refresh_token", oauth_words::NO_REFRESH_TOKEN)?;
    let now = now();
    let invalid = || ApiError::from(OAuthError::InvalidGrant(oauth_words::BAD_REFRESH_TOKEN));
    let token = app.tokens.refresh(raw, now).map_err(|_| invalid())?;
    if token.client_id() != Some(client.client_id.as_str()) {
        return Err(invalid());
    }
    let scope = token
        .claims
        .get("scope")
        .and_then(|s| s.as_str())
        .unwrap_or_default();
    // RFC 6749 §6: the scope granted, or less, for the access token; the
    // refresh token keeps it all.
    let scope = match params.get("scope") {
        Some(asked) => {
            let granted: Vec<&str> = scope.split(' ').collect();
            let asked = parse_scope(asked).ok_or(OAuthError::InvalidScope)?;
            if !asked.iter().all(|s| granted.contains(s)) {
                return Err(OAuthError::InvalidScope.into());
            }
            asked.join(" ")
        }
        None => scope.to_owned(),
    };
    let rotation = Rotation {
        rotate: true,
        single_use: true,
    };
    let next = match renew(app, req, &token, rotation, Some(client), now).await {
        Ok(next) => next,
        Err(ApiError::TokenNotValid(_) | ApiError::NoActiveAccountForToken) => {
            return Err(invalid());
        }
        Err(e) => return Err(e),
    };
    let (access, expires_in) = (token.oauth_access_token(&scope, now)).ok_or_else(invalid)?;
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    });
    if let Some(next) = next {
        body["refresh_token"] = next.into();
    }
    let subject = Subject::Client(&client.client_id);
    audit::emit(
        Event::OAuthTokenIssued,
        subject,
        Grant::RefreshToken.as_str(),
    );
    Ok(Reply::tokens(&body))
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.6: a code, once, for its own client,
/// redirect URI and PKCE verifier.
async fn authorization_code<S: Store>(
    app: &App<S>,
    client: &OAuthClient,
    params: &Params<'_>,
) -> Answer {
    let code = params.require("code", oauth_words::NO_CODE)?;
    let redirect_uri = params.require("redirect_uri", oauth_words::NO_REDIRECT_URI)?;
    let verifier = params.require("code_verifier", oauth_words::NO_CODE_VERIFIER)?;
    let now = now();
    let code = match app.store.redeem_code(&code_item_id(code), now).await? {
        Redemption::Fresh(code) => code,
        Redemption::Reused(code) => {
            let until = app.settings.tokens.refresh_token_lifetime.after(now);
            app.store.revoke_family(&code.fam, until).await?;
            let subject = Subject::Client(&client.client_id);
            audit::emit(Event::OAuthCodeReused, subject, "family_revoked");
            return Err(OAuthError::InvalidGrant(oauth_words::BAD_CODE).into());
        }
        Redemption::Unknown => return Err(OAuthError::InvalidGrant(oauth_words::BAD_CODE).into()),
    };
    if code.client_id != client.client_id || code.redirect_uri != redirect_uri {
        return Err(OAuthError::InvalidGrant(oauth_words::CODE_MISMATCH).into());
    }
    if !pkce_matches(verifier, &code.code_challenge) {
        return Err(OAuthError::InvalidGrant(oauth_words::BAD_CODE_VERIFIER).into());
    }
    let user = (app.store.user_by_id(code.user_id).await?)
        .filter(|u| u.is_active && u.generation == code.generation)
        .filter(|u| client.acts_for(u, code.expires_at - CODE_LIFETIME))
        .ok_or(OAuthError::InvalidGrant(oauth_words::BAD_CODE))?;
    let grant = OAuthGrant {
        client_id: &client.client_id,
        scope: &code.scope,
        fam: &code.fam,
        auth_time: code.auth_time,
        nonce: code.nonce.as_deref(),
        amr: &code.amr,
        refresh: client.may_use(Grant::RefreshToken),
    };
    let tokens = app.tokens.oauth_tokens(&user, &grant, now);
    audit::emit(
        Event::OAuthTokenIssued,
        Subject::Client(&client.client_id),
        Grant::AuthorizationCode.as_str(),
    );
    let mut body = json!({
        "access_token": tokens.access,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "scope": code.scope,
    });
    if let Some(refresh) = tokens.refresh {
        body["refresh_token"] = refresh.into();
    }
    if let Some(id_token) = tokens.id_token {
        body["id_token"] = id_token.into();
    }
    Ok(Reply::tokens(&body))
}

/// RFC 6749 §4.4: a confidential client's token for itself.
fn client_credentials<S>(app: &App<S>, client: &OAuthClient, params: &Params<'_>) -> Answer {
    if !client.is_confidential() {
        return Err(OAuthError::UnauthorizedClient(oauth_words::GRANT_NOT_ALLOWED).into());
    }
    let scope = granted_scope(client, params.get("scope"))?;
    let (access_token, expires_in) =
        app.tokens
            .client_access_token(&client.client_id, &scope, now());
    let subject = Subject::Client(&client.client_id);
    audit::emit(
        Event::OAuthTokenIssued,
        subject,
        Grant::ClientCredentials.as_str(),
    );
    Ok(Reply::tokens(&json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    })))
}

/// The scope a client asked for, if it may be granted all of it (and no
/// `openid`: a client acting for itself has no user); what it asked for
/// is what it gets. Not asked: every scope it may be granted but `openid`.
fn granted_scope(client: &OAuthClient, asked: Option<&str>) -> Result<String, ApiError> {
    let scopes: Vec<&str> = match asked {
        Some(asked) => parse_scope(asked).ok_or(OAuthError::InvalidScope)?,
        None => (client.scopes.iter())
            .map(String::as_str)
            .filter(|s| *s != "openid")
            .collect(),
    };
    let allowed = client.allows_scopes(scopes.iter().copied()) && !scopes.contains(&"openid");
    match allowed {
        true => Ok(scopes.join(" ")),
        false => Err(OAuthError::InvalidScope.into()),
    }
}
