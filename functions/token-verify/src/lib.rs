//! `POST /api/v1/users/login/simpleJWT/verify` — is this token valid?
//!
//! 200 `{}` for any valid access or refresh token; 401 for an invalid or
//! expired one; 400 `{"non_field_errors":["Token is blacklisted"]}` for a
//! revoked one: a blacklisted or rotated refresh token, one of a revoked
//! family, or any token issued before its user's password change or
//! logout everywhere.
//!
//! DynamoDB: one GetItem (the user) for an access token, one BatchGetItem
//! (user, token entry, family) for a refresh token.

use auth::App;
use auth::fields::serializer_fields;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::serde_json::json;
use auth::store::{TokenStore, UserStore};
use auth::time::now;
use auth::tokens::{REVOKED, TokenType, decode_simplejwt};
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "token-verify",
    kind: ViewKind::SimpleJwt,
    serves: Serves::Post,
    options: r#"{"name":"Token Verify","description":"Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"token":{"type":"string","required":true,"read_only":false,"label":"Token"}}}}"#,
};

pub async fn handler<S: UserStore + TokenStore>(app: &App<S>, req: Request) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = verify(app, &mut cx).await;
    cx.finish(outcome)
}

async fn verify<S: UserStore + TokenStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
) -> Result<Reply, ApiError> {
    cx.admit()?;
    if cx.call()? == Call::Options {
        return Ok(cx.options());
    }
    let [raw] = serializer_fields(&cx.data()?, ["token"])?;
    let token = decode_simplejwt(&app.jwt, &raw, None, now()).map_err(|e| {
        ApiError::json(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": e.message(), "code": "token_not_valid" }),
        )
    })?;
    let revoked = if token.token_type() == Some(TokenType::Access.as_str()) {
        // Access tokens are never blacklisted one by one: only the user's
        // generation can revoke them.
        match token.lookup_id() {
            Some(id) => app
                .store
                .user_by_id(id)
                .await?
                .is_some_and(|u| !token.current_for(u.generation)),
            None => false,
        }
    } else {
        let state = app
            .store
            .token_state(token.lookup_id(), token.jti(), token.fam())
            .await?;
        token.revoked_by(&state)
    };
    if revoked {
        return Err(ApiError::json(
            StatusCode::BAD_REQUEST,
            json!({ "non_field_errors": [REVOKED] }),
        ));
    }
    Ok(Reply::ok(&json!({})))
}
