//! `POST /api/v1/users/login/simpleJWT/refresh` — a new access token.
//!
//! 200 `{"access":..}`, or with `ROTATE_REFRESH_TOKENS` `{"access":..,"refresh":..}`.
//! 401 for an invalid, expired, wrongly typed or revoked token, or a gone or
//! inactive user.
//!
//! Beyond simplejwt, with rotation (and `BLACKLIST_AFTER_ROTATION`):
//! * single use: the presented token is blacklisted by one conditional
//!   write, so of N concurrent refreshes with one token exactly one wins;
//! * reuse detection (`REFRESH_REUSE_DETECTION`, on by default): presenting
//!   an already-rotated token revokes its whole family (every token
//!   descended from the same login);
//! * a retry within `REFRESH_REUSE_INTERVAL` seconds of the rotation, while
//!   the successor is still unused, gets that same successor back (and a
//!   fresh access token) instead of revoking the family.
//!
//! DynamoDB: one BatchGetItem (user, token entry, family), plus one
//! conditional PutItem when rotating.

use auth::App;
use auth::fields::serializer_fields;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::serde_json::{Map, Value, json};
use auth::store::{Revocation, Rotation, TokenStore, UserStore};
use auth::time::now;
use auth::tokens::{
    REVOKED, TokenType, UserIdClaim, ValidToken, access_from_refresh, decode_simplejwt, new_jti,
    successor,
};
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "token-refresh",
    kind: ViewKind::SimpleJwt,
    serves: Serves::Post,
    options: r#"{"name":"Token Refresh","description":"Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"},"access":{"type":"string","required":false,"read_only":true,"label":"Access"}}}}"#,
};

pub async fn handler<S: UserStore + TokenStore>(app: &App<S>, req: Request) -> Response<Body> {
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

fn no_active_account() -> ApiError {
    ApiError::json(
        StatusCode::UNAUTHORIZED,
        json!({
            "detail": "No active account found for the given token.",
            "code": "no_active_account",
        }),
    )
}

fn pair(access: String, refresh: Option<String>) -> Reply {
    let mut body = Map::new();
    body.insert("access".into(), Value::String(access));
    if let Some(refresh) = refresh {
        body.insert("refresh".into(), Value::String(refresh));
    }
    Reply::ok(&Value::Object(body))
}

async fn refresh<S: UserStore + TokenStore>(
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

    let state = app
        .store
        .token_state(token.lookup_id(), token.jti(), token.fam())
        .await?;
    if state.family_revoked {
        return Err(token_not_valid(REVOKED));
    }
    // simplejwt checks the user only when the token names one.
    let user_problem = match token.user_claim() {
        None => None,
        Some(UserIdClaim::Id(_)) if state.user.as_ref().is_some_and(|u| u.is_active) => {
            let user = state.user.as_ref().expect("checked above");
            (!token.current_for(user.generation)).then(|| token_not_valid(REVOKED))
        }
        Some(_) => Some(no_active_account()),
    };
    if let Some(revocation) = &state.revoked {
        return reuse(app, &token, revocation, user_problem, now).await;
    }
    if let Some(problem) = user_problem {
        return Err(problem);
    }

    let s = &app.settings;
    let access = access_from_refresh(&app.jwt, &token, now, s.access_token_lifetime);
    if !s.rotate_refresh_tokens {
        return Ok(pair(access, None));
    }
    let rotation = Rotation {
        fam: token.fam().unwrap_or(token.jti()).to_owned(),
        next_jti: new_jti(),
        next_iat: now,
        next_exp: now + s.refresh_token_lifetime,
        rotated_at: now,
    };
    if s.blacklist_after_rotation
        && !app
            .store
            .rotate(token.jti(), token.exp(), &rotation)
            .await?
    {
        // Another refresh with this token got there first: this one is a reuse.
        return match app.store.revocation(token.jti()).await? {
            Some(revocation) => reuse(app, &token, &revocation, None, now).await,
            None => Err(token_not_valid(REVOKED)),
        };
    }
    let next = successor(
        &app.jwt,
        &token,
        &rotation.next_jti,
        rotation.next_iat,
        rotation.next_exp,
        &rotation.fam,
    );
    Ok(pair(access, Some(next)))
}

/// A refresh token that is already blacklisted: a retry within the reuse
/// interval gets its successor again; otherwise, if it was rotated, its
/// family is revoked. Either way nothing else is written.
async fn reuse<S: TokenStore>(
    app: &App<S>,
    token: &ValidToken,
    revocation: &Revocation,
    user_problem: Option<ApiError>,
    now: i64,
) -> Result<Reply, ApiError> {
    let s = &app.settings;
    let Some(rotation) = &revocation.rotation else {
        // Blacklisted by the client (JWT logout), not rotated.
        return Err(token_not_valid(REVOKED));
    };
    let retry = s.refresh_reuse_interval > 0
        && now < rotation.rotated_at + s.refresh_reuse_interval
        && !app.store.is_blacklisted(&rotation.next_jti).await?;
    if retry {
        if let Some(problem) = user_problem {
            return Err(problem);
        }
        let access = access_from_refresh(&app.jwt, token, now, s.access_token_lifetime);
        let next = successor(
            &app.jwt,
            token,
            &rotation.next_jti,
            rotation.next_iat,
            rotation.next_exp,
            &rotation.fam,
        );
        return Ok(pair(access, Some(next)));
    }
    if s.refresh_reuse_detection {
        // Every token of the family expires within one refresh lifetime.
        app.store
            .revoke_family(&rotation.fam, now + s.refresh_token_lifetime)
            .await?;
        auth::tracing::warn!(
            user_id = token.lookup_id().unwrap_or(0),
            "reuse of a rotated refresh token: its family is revoked"
        );
    }
    Err(token_not_valid(REVOKED))
}
