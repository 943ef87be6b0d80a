//! `POST /api/v1/users/login/simpleJWT/blacklist` — revoke a refresh token.
//!
//! 200 `{}`; the same 400/401 errors as refresh; a token already revoked
//! (blacklisted, rotated, of a revoked family, or issued before its user's
//! password change or logout everywhere) is 401 `Token is blacklisted`. One
//! conditional write decides, so two racing requests cannot both succeed.
//!
//! DynamoDB: one BatchGetItem (user, token entry, family), one conditional
//! PutItem.

use auth::App;
use auth::fields::serializer_fields;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::serde_json::json;
use auth::store::TokenStore;
use auth::time::now;
use auth::tokens::{REVOKED, TokenType, decode_simplejwt};
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "token-blacklist",
    kind: ViewKind::SimpleJwt,
    serves: Serves::Post,
    options: r#"{"name":"Token Blacklist","description":"Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"}}}}"#,
};

pub async fn handler<S: TokenStore>(app: &App<S>, req: Request) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = blacklist(app, &mut cx).await;
    cx.finish(outcome)
}

async fn blacklist<S: TokenStore>(app: &App<S>, cx: &mut Cx<'_>) -> Result<Reply, ApiError> {
    cx.admit()?;
    if cx.call()? == Call::Options {
        return Ok(cx.options());
    }
    let [raw] = serializer_fields(&cx.data()?, ["refresh"])?;
    let not_valid = |detail: &str| {
        ApiError::json(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": detail, "code": "token_not_valid" }),
        )
    };
    let token = decode_simplejwt(&app.jwt, &raw, Some(TokenType::Refresh), now())
        .map_err(|e| not_valid(e.message()))?;
    let state = app
        .store
        .token_state(token.lookup_id(), token.jti(), token.fam())
        .await?;
    if token.revoked_by(&state) || !app.store.blacklist(token.jti(), token.exp()).await? {
        return Err(not_valid(REVOKED));
    }
    Ok(Reply::ok(&json!({})))
}
