//! `POST /api/v1/users/password` — change one's password.
//!
//! Body `{"old_password","new_password"}` (JSON or form), by an
//! authenticated caller (CSRF for sessions; 401 otherwise). Errors, 400, per
//! field as Django's `PasswordChangeForm`:
//! `{"old_password":["Your old password was entered incorrectly. Please enter it again."]}`
//! and `{"new_password":[...]}` with Django's default validators (similar to
//! the username, shorter than 8, common, entirely numeric).
//!
//! Success, 200: the new Argon2id hash is written only if the stored hash is
//! still the one checked (a concurrent change is never overwritten: 409),
//! and the same write moves the credential generation on, ending every other
//! session and token. The credential used for the call is renewed: a new
//! session (cookies) for a session caller, `{"refresh","access"}` for a
//! Bearer caller, `{"token"}` for a `jwt-auth` caller, `{}` otherwise.

use auth::App;
use auth::authn::{Via, authenticate, start_session};
use auth::fields::password_fields;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::password::{hash_password, verify_password};
use auth::secrecy::ExposeSecret;
use auth::serde_json::{Map, Value, json};
use auth::store::{SessionStore, ThrottleStore, UpdateUserError, UserChange, UserStore};
use auth::throttle;
use auth::time::now;
use auth::tokens::{issue_pair, issue_tutorial_token};
use auth::validators::validate;
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "password-change",
    kind: ViewKind::Tutorial,
    serves: Serves::Post,
    options: r#"{"name":"Password Change","description":"Changes the caller's password and ends their other sessions and tokens.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
};

const WRONG_OLD: &str = "Your old password was entered incorrectly. Please enter it again.";

pub async fn handler<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    req: Request,
) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = change(app, &mut cx).await;
    cx.finish(outcome)
}

async fn change<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
) -> Result<Reply, ApiError> {
    cx.admit()?;
    let Some(caller) = authenticate(app, cx).await? else {
        return Err(ApiError::not_authenticated());
    };
    if cx.call()? == Call::Options {
        return Ok(cx.options());
    }
    let [old, new] = password_fields(&cx.data()?, ["old_password", "new_password"])?;
    let user = caller.user;

    let mut errors = Map::new();
    let attempt = throttle::begin(app, &user.username, cx.client_address()).await?;
    if verify_password(old, Some(user.password.clone())).await? {
        throttle::succeeded(app, attempt).await?;
    } else {
        errors.insert("old_password".into(), json!([WRONG_OLD]));
    }
    let problems = validate(new.expose_secret(), &user.username);
    if !problems.is_empty() {
        errors.insert("new_password".into(), json!(problems));
    }
    if !errors.is_empty() {
        return Err(ApiError::json(
            StatusCode::BAD_REQUEST,
            Value::Object(errors),
        ));
    }

    let hash = hash_password(new).await?;
    let change = UserChange::Password {
        hash,
        if_current: Some(user.password.clone()),
    };
    let user = match app.store.update_user(user.id, change).await {
        Ok(updated) => updated,
        Err(UpdateUserError::Conflict) => {
            return Err(ApiError::detail(
                StatusCode::CONFLICT,
                "The password was changed meanwhile. Please try again.",
            ));
        }
        Err(UpdateUserError::NotFound) => return Err(ApiError::not_authenticated()),
        Err(UpdateUserError::Store(e)) => return Err(e.into()),
    };

    // Renew the credential this call came with; every other one is dead.
    let s = &app.settings;
    let now = now();
    let body = match caller.via {
        Via::Session => {
            start_session(app, cx, &user).await?;
            json!({})
        }
        Via::Bearer => {
            let pair = issue_pair(
                &app.jwt,
                user.id,
                user.generation,
                now,
                s.access_token_lifetime,
                s.refresh_token_lifetime,
            );
            json!({ "refresh": pair.refresh, "access": pair.access })
        }
        Via::JwtAuth => json!({
            "token": issue_tutorial_token(
                &app.jwt,
                user.id,
                &user.username,
                user.generation,
                now,
                s.jwt_login_token_lifetime,
            )
        }),
        Via::Basic => json!({}),
    };
    Ok(Reply::ok(&body))
}
