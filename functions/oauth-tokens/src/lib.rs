//! `POST /api/v1/users/oauth/revoke` (RFC 7009) and
//! `POST /api/v1/users/oauth/introspect` (RFC 7662), with `OAUTH_ENABLED`
//! (else 404): what a client may do with a token once issued. A form with
//! `token` (and an optional `token_type_hint`, which the answer never
//! depends on: the token says what it is), the client authenticated as at
//! the token endpoint.
//!
//! * `revoke`, any client, for a token issued to it (its `client_id`
//!   claim): an access token is blacklisted until it expires; a refresh
//!   token is, and its whole family is revoked (every token descended from
//!   the same grant). 200, empty, also for a token that is invalid or
//!   expired already (RFC 7009 §2.2); another client's token is 400
//!   `unauthorized_client`. Audits `oauth_token_revoked`.
//! * `introspect`, confidential clients only (a public client: 401
//!   `invalid_client`): 200 `{"active":false}` for any token that would
//!   not be accepted now, else `{"active":true,…}` with its `scope`,
//!   `client_id`, `username`, `token_type`, `exp`, `iat`, `sub`, `aud`,
//!   `iss` and `jti`. Not only the signature and expiry: `active` is false
//!   once the token is revoked, its family revoked (reuse, binding, a
//!   revocation), its user logged out everywhere or changed their
//!   password, its user gone or inactive, or its client removed.
//!
//! DynamoDB: the client (GetItem), then one BatchGetItem (the token's
//! user, blacklist entry and family); revoke writes one or two items.

use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::credentials::tokens::{TokenType, ValidToken};
use auth::lambda_http::http::StatusCode;
use auth::model::client::OAuthClient;
use auth::serde_json::{Map, Value, json};
use auth::store::Store;
use auth::web::contract::{OAuthError, oauth_words};
use auth::web::oauth::{Params, authenticate_client, enabled};
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};
use auth::{App, join};

pub static VIEW: View<Anonymous> = View::oauth("oauth-tokens", Serves::Post).options(
    r#"{"name":"OAuth Tokens","description":"Revokes a token (RFC 7009) or tells whether it is active (RFC 7662).","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
);

/// Revocation or introspection, by the path.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    enabled(app)?;
    let params = Params::of(req)?;
    let client = authenticate_client(app, req, &params).await?;
    let raw = params.require("token", oauth_words::NO_TOKEN)?;
    match req.path().trim_end_matches('/').ends_with("/revoke") {
        true => revoke(app, &client, raw).await,
        false => introspect(app, &client, raw).await,
    }
}

/// RFC 7009 §2.1.
async fn revoke<S: Store>(app: &App<S>, client: &OAuthClient, raw: &str) -> Answer {
    let now = now();
    let Ok(token) = app.tokens.any(raw, now) else {
        return Ok(Reply::empty(StatusCode::OK));
    };
    if client_of(&token) != Some(client.client_id.as_str()) {
        return Err(OAuthError::UnauthorizedClient(oauth_words::NOT_YOUR_TOKEN).into());
    }
    let refresh = token.token_type() == Some(TokenType::Refresh.as_str());
    match (refresh, token.fam()) {
        (true, Some(fam)) => {
            let until = app.settings.tokens.refresh_token_lifetime.after(now);
            let (listed, revoked) = join(
                app.store.blacklist(token.jti(), token.exp()),
                app.store.revoke_family(fam, until),
            )
            .await;
            listed?;
            revoked?;
        }
        _ => {
            app.store.blacklist(token.jti(), token.exp()).await?;
        }
    }
    let kind = if refresh { "refresh" } else { "access" };
    audit::emit(
        Event::OAuthTokenRevoked,
        Subject::Client(&client.client_id),
        kind,
    );
    Ok(Reply::empty(StatusCode::OK))
}

/// RFC 7662 §2.2.
async fn introspect<S: Store>(app: &App<S>, client: &OAuthClient, raw: &str) -> Answer {
    if !client.is_confidential() {
        return Err(OAuthError::InvalidClient.into());
    }
    let inactive = || Ok(Reply::tokens(&json!({"active": false})));
    let Ok(token) = app.tokens.any(raw, now()) else {
        return inactive();
    };
    let user_claim = token.user_id().is_some();
    let state = app
        .store
        .token_state(token.lookup_id(), Some(token.jti()), token.fam());
    let issued_to = client_of(&token);
    let owner = async {
        match issued_to {
            Some(id) if id != client.client_id => app.store.oauth_client(id).await,
            Some(_) => Ok(Some(client.clone())),
            None => Ok(None),
        }
    };
    let (state, owner) = join(state, owner).await;
    let (state, owner) = (state?, owner?);
    let user = state.user.as_ref().filter(|u| u.is_active);
    // A client's token stands while the client does and, for a user's,
    // while it may act for them (a withdrawn consent ends it).
    let owner_stands = match (issued_to, &owner, user) {
        (None, _, _) => true,
        (Some(_), None, _) => false,
        (Some(_), Some(owner), Some(user)) if user_claim => owner.acts_for(user, token.iat()),
        (Some(_), Some(_), _) => true,
    };
    let live = !token.revoked_by(&state) && owner_stands && (user.is_some() || !user_claim);
    if !live {
        return inactive();
    }
    // RFC 7662 §2.2's members, in this order, each only if the token has it.
    let claim = |name: &str| token.claims.get(name).cloned();
    let access = token.token_type() == Some(TokenType::Access.as_str());
    let sub = claim("sub").or_else(|| user.map(|u| Value::String(u.id.to_string())));
    let members = [
        ("active", Some(Value::Bool(true))),
        ("scope", claim("scope")),
        ("client_id", claim("client_id")),
        ("username", user.map(|u| u.username.clone().into())),
        ("token_type", access.then(|| "Bearer".into())),
        ("exp", claim("exp")),
        ("iat", claim("iat")),
        ("sub", sub),
        ("aud", claim("aud")),
        ("iss", claim("iss")),
        ("jti", claim("jti")),
    ];
    let answer: Map<String, Value> = (members.into_iter())
        .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)))
        .collect();
    Ok(Reply::tokens(&Value::Object(answer)))
}

/// The client a token was issued to (its `client_id` claim).
fn client_of(token: &ValidToken) -> Option<&str> {
    token.claims.get("client_id").and_then(Value::as_str)
}
