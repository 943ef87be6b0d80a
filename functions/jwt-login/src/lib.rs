//! `POST /api/v1/users/login/jwt` — the tutorial's hand-written JWT login.
//!
//! 200 `{"token":"<jwt>"}` with claims `{"id","username","iat","exp"}`
//! (the tutorial's tokens never expired; ours last `JWT_LOGIN_TOKEN_LIFETIME`).
//! Bad credentials: 403 with an empty body, as `login` (the tutorial: 500).

use auth::App;
use auth::authn::{authenticate, check_credentials};
use auth::fields::tutorial_credentials;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::serde_json::json;
use auth::store::{SessionStore, ThrottleStore, UserStore};
use auth::time::now;
use auth::tokens::issue_tutorial_token;
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "jwt-login",
    kind: ViewKind::Tutorial,
    serves: Serves::Post,
    options: r#"{"name":"Jwt Login","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
};

pub async fn handler<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    req: Request,
) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = jwt_login(app, &mut cx).await;
    cx.finish(outcome)
}

async fn jwt_login<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
) -> Result<Reply, ApiError> {
    cx.admit()?;
    authenticate(app, cx).await?;
    if cx.call()? == Call::Options {
        return Ok(cx.options());
    }
    let (username, password) = tutorial_credentials(&cx.data()?)?;
    let Some(user) = check_credentials(app, cx, &username, password).await? else {
        return Err(ApiError::empty(StatusCode::FORBIDDEN));
    };
    let token = issue_tutorial_token(
        &app.jwt,
        user.id,
        &user.username,
        user.generation,
        now(),
        app.settings.jwt_login_token_lifetime,
    );
    Ok(Reply::ok(&json!({ "token": token })))
}
