//! `GET` or `POST /api/v1/users/oauth/userinfo` — OpenID Connect Core
//! §5.3's UserInfo endpoint, with `OAUTH_ENABLED` (else 404).
//!
//! `Authorization: Bearer <access token>` (RFC 6750 §2.1; no other way):
//! an access token issued to an OAuth client with `openid` in its scope.
//! No token, or one that is invalid, expired, revoked (at `oauth/revoke`,
//! its family, logout everywhere, a password change) or whose user is gone
//! or inactive, or whose client is gone or (third-party) no longer has
//! the user's consent: 401 `{"error":"invalid_token",…}` with `WWW-Authenticate:
//! Bearer realm="oauth", error="invalid_token"`. A valid token without
//! `openid` (a user's own access token, a client's own from
//! `client_credentials`): 403 `insufficient_scope`, before any read.
//!
//! 200 (`Cache-Control: no-store`) with the claims the token's scope
//! allows (Core §5.4): `sub` always; with `profile`, `preferred_username`
//! and, when set, `name`, `given_name` and `family_name`; with `email`,
//! when the user has an address, `email` and `email_verified`.
//!
//! DynamoDB: one BatchGetItem (the user, the token's blacklist entry and
//! its family) and, at the same time, one GetItem (the client).

use auth::base::time::now;
use auth::serde_json::{Map, Value};
use auth::store::Store;
use auth::web::authn::bearer_holder;
use auth::web::contract::{OAuthError, oauth_words};
use auth::web::oauth::enabled;
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};
use auth::{ApiError, App, join};

pub static VIEW: View<Anonymous> = View::oauth_resource("oauth-userinfo", Serves::GetOrPost)
    .options(r#"{"name":"OAuth Userinfo","description":"OpenID Connect's UserInfo endpoint.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// The user the Bearer token names, as its scope allows.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    enabled(app)?;
    let invalid = || ApiError::from(OAuthError::InvalidToken);
    let raw = (req.header("authorization"))
        .and_then(|h| h.strip_prefix("Bearer ").map(|t| t.trim().to_owned()))
        .ok_or_else(invalid)?;
    let token = app.tokens.access(&raw, now()).map_err(|_| invalid())?;
    let scopes: Vec<&str> = (token.claims.get("scope").and_then(Value::as_str))
        .map_or(vec![], |s| s.split(' ').collect());
    let Some(client_id) = token.claims.get("client_id").and_then(Value::as_str) else {
        return Err(OAuthError::InsufficientScope(oauth_words::OPENID_SCOPE_NEEDED).into());
    };
    if !scopes.contains(&"openid") {
        return Err(OAuthError::InsufficientScope(oauth_words::OPENID_SCOPE_NEEDED).into());
    }
    // The one Bearer check (the authentication chain's); its refusals
    // are RFC 6750's `invalid_token` here. And the client, which must
    // still act for the user (a withdrawn consent ends its tokens here).
    let (holder, client) = join(
        bearer_holder(app, &token),
        app.store.oauth_client(client_id),
    )
    .await;
    let user = match holder {
        Ok(holder) => holder.user,
        Err(ApiError::Bearer(_)) => return Err(invalid()),
        Err(e) => return Err(e),
    };
    if !client?.is_some_and(|c| c.acts_for(&user, token.iat())) {
        return Err(invalid());
    }
    let mut claims = Map::new();
    claims.insert("sub".into(), user.id.to_string().into());
    if scopes.contains(&"profile") {
        claims.insert("preferred_username".into(), user.username.clone().into());
        let name = format!("{} {}", user.first_name, user.last_name);
        for (claim, value) in [
            ("name", name.trim()),
            ("given_name", user.first_name.as_str()),
            ("family_name", user.last_name.as_str()),
        ] {
            if !value.is_empty() {
                claims.insert(claim.into(), value.into());
            }
        }
    }
    if scopes.contains(&"email") && !user.email.is_empty() {
        claims.insert("email".into(), user.email.clone().into());
        claims.insert("email_verified".into(), user.email_verified.into());
    }
    Ok(Reply::tokens(&Value::Object(claims)))
}
