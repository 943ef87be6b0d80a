//! `POST /api/v1/users/login` — session login.
//!
//! 200 `{"message":"success"}` with new `csrftoken` and `sessionid` cookies;
//! 400 `Malformed request.` without a username and password; 403 with an
//! empty body for a wrong password or an unknown or inactive user.

use auth::App;
use auth::authn::{authenticate, check_credentials, start_session};
use auth::fields::tutorial_credentials;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::serde_json::json;
use auth::store::{SessionStore, ThrottleStore, UserStore};
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "login",
    kind: ViewKind::Tutorial,
    serves: Serves::Post,
    options: r#"{"name":"Login","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
};

pub async fn handler<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    req: Request,
) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = login(app, &mut cx).await;
    cx.finish(outcome)
}

async fn login<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
) -> Result<Reply, ApiError> {
    cx.admit()?;
    // DRF authenticates every caller first, so a bad credential or a failed
    // CSRF check wins over everything below.
    authenticate(app, cx).await?;
    if cx.call()? == Call::Options {
        return Ok(cx.options());
    }
    let (username, password) = tutorial_credentials(&cx.data()?)?;
    let Some(user) = check_credentials(app, cx, &username, password).await? else {
        return Err(ApiError::empty(StatusCode::FORBIDDEN));
    };
    start_session(app, cx, &user).await?;
    Ok(Reply::ok(&json!({ "message": "success" })))
}
