//! `GET /api/v1/users/login/jwt/info` — who am I.
//!
//! 200 `{"id":1,"username":"alice"}` for a caller authenticated any of the
//! four ways; 401 otherwise (before the method check).

use auth::App;
use auth::authn::authenticate;
use auth::lambda_http::{Body, Request, Response};
use auth::serde_json::json;
use auth::store::{SessionStore, ThrottleStore, UserStore};
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "info",
    kind: ViewKind::Tutorial,
    serves: Serves::Get,
    options: r#"{"name":"User Detail","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
};

pub async fn handler<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    req: Request,
) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = info(app, &mut cx).await;
    cx.finish(outcome)
}

async fn info<S: UserStore + SessionStore + ThrottleStore>(
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
    Ok(Reply::ok(
        &json!({ "id": caller.user.id, "username": caller.user.username }),
    ))
}
