//! `POST /api/v1/users/logout` — session logout.
//!
//! Needs an authenticated caller (401 otherwise, before the method check).
//! Deletes the session the `sessionid` cookie names and the cookie itself;
//! 200 with an empty body.

use auth::App;
use auth::authn::authenticate;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::store::{SessionStore, ThrottleStore, UserStore, valid_session_key};
use auth::web::{ApiError, Call, Cx, Reply, SESSION_COOKIE, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "logout",
    kind: ViewKind::Tutorial,
    serves: Serves::Post,
    options: r#"{"name":"Logout","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
};

pub async fn handler<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    req: Request,
) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = logout(app, &mut cx).await;
    cx.finish(outcome)
}

async fn logout<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
) -> Result<Reply, ApiError> {
    cx.admit()?;
    if authenticate(app, cx).await?.is_none() {
        return Err(ApiError::not_authenticated());
    }
    if cx.call()? == Call::Options {
        return Ok(cx.options());
    }
    // Django's logout() flushes the session the cookie names, whichever way
    // the caller authenticated.
    if let Some(key) = cx.cookie(SESSION_COOKIE).filter(|k| valid_session_key(k)) {
        app.store.delete_session(key).await?;
    }
    cx.delete_session_cookie();
    Ok(Reply::empty(StatusCode::OK))
}
