//! `POST /api/v1/users/login/simpleJWT/blacklist` — revoke a refresh token.
//!
//! 200 `{}`; the same 400/401 errors as refresh; a token already revoked
//! (blacklisted, rotated, of a revoked family, or issued before its user's
//! password change or logout everywhere) is 401 `Token is blacklisted`. One
//! conditional write decides, so two racing requests cannot both succeed.
//! With `JWT_AUTH_REFRESH_COOKIE` the token may come from that cookie (the
//! request then passes Django's CSRF check), and success deletes it.
//!
//! DynamoDB: one BatchGetItem (user, token entry, family), one conditional
//! PutItem.

use auth::App;
use auth::base::time::now;
use auth::credentials::tokens::TokenError;
use auth::serde_json::json;
use auth::store::Store;
use auth::web::authn::presented_refresh;
use auth::web::{Anonymous, Answer, Cookies, Reply, Request, Serves, View};

pub static VIEW: View<Anonymous> =
    View::simple_jwt("token-blacklist", Serves::Post).options(r#"{"name":"Token Blacklist","description":"Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"}}}}"#);

/// simplejwt's `TokenBlacklistSerializer`, decided by a conditional write.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let raw = presented_refresh(app, req)?;
    let token = app.tokens.refresh(&raw, now())?;
    let state = token.state_in(&app.store).await?;
    if token.revoked_by(&state) || !app.store.blacklist(token.jti(), token.exp()).await? {
        return Err(TokenError::Blacklisted.into());
    }
    let mut cookies = Cookies::default();
    cookies.delete_refresh();
    Ok(Reply::ok(&json!({})).with_cookies(cookies))
}
