//! `POST /api/v1/users/login/simpleJWT/refresh` — a new access token.
//!
//! 200 `{"access":..}`, or with `ROTATE_REFRESH_TOKENS` `{"access":..,"refresh":..}`
//! (the presented refresh token is then blacklisted, by a conditional write:
//! of two refreshes racing with one token, one wins). 401 for an invalid,
//! expired, wrongly typed or blacklisted token, or a gone or inactive user.

use auth::App;
use auth::fields::serializer_fields;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::serde_json::{Map, Value, json};
use auth::store::{BlacklistStore, UserStore};
use auth::time::now;
use auth::tokens::{
    TokenType, UserIdClaim, access_from_refresh, decode_simplejwt, is_falsy, rotate_refresh,
    user_id_claim,
};
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "token-refresh",
    kind: ViewKind::SimpleJwt,
    serves: Serves::Post,
    options: r#"{"name":"Token Refresh","description":"Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"},"access":{"type":"string","required":false,"read_only":true,"label":"Access"}}}}"#,
};

pub async fn handler<S: UserStore + BlacklistStore>(app: &App<S>, req: Request) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = refresh(app, &mut cx).await;
    cx.finish(outcome)
}

fn token_not_valid(detail: &str) -> ApiError {
    ApiError::json(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": detail, "code": "token_not_valid" }),
    )
}

async fn refresh<S: UserStore + BlacklistStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
) -> Result<Reply, ApiError> {
    cx.admit()?;
    if cx.call()? == Call::Options {
        return Ok(cx.options());
    }
    let [raw] = serializer_fields(&cx.data()?, ["refresh"])?;
    let now = now();
    let token = decode_simplejwt(&app.jwt, &raw, Some(TokenType::Refresh), now)
        .map_err(|e| token_not_valid(e.message()))?;

    // simplejwt checks the user only when the token names one (a truthy user_id).
    let user_id = token.user_id().filter(|v| !is_falsy(v)).map(user_id_claim);
    let user_lookup = async {
        match user_id {
            Some(UserIdClaim::Id(id)) => app
                .store
                .user_by_id(id)
                .await
                .map(|u| Some(u.filter(|u| u.is_active).is_some())),
            Some(_) => Ok(Some(false)),
            None => Ok(None),
        }
    };
    // Both reads in one round trip.
    let (blacklisted, user_ok) = tokio::join!(app.store.is_blacklisted(token.jti()), user_lookup);
    if blacklisted? {
        return Err(token_not_valid("Token is blacklisted"));
    }
    if user_ok? == Some(false) {
        return Err(ApiError::json(
            StatusCode::UNAUTHORIZED,
            json!({
                "detail": "No active account found for the given token.",
                "code": "no_active_account",
            }),
        ));
    }

    let s = &app.settings;
    let mut body = Map::new();
    body.insert(
        "access".into(),
        Value::String(access_from_refresh(
            &app.jwt,
            &token,
            now,
            s.access_token_lifetime,
        )),
    );
    if s.rotate_refresh_tokens {
        if s.blacklist_after_rotation && !app.store.blacklist(token.jti(), token.exp()).await? {
            // Another refresh with this token won the race.
            return Err(token_not_valid("Token is blacklisted"));
        }
        body.insert(
            "refresh".into(),
            Value::String(rotate_refresh(
                &app.jwt,
                &token,
                now,
                s.refresh_token_lifetime,
            )),
        );
    }
    Ok(Reply::ok(&Value::Object(body)))
}
