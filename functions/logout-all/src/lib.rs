//! `POST /api/v1/users/logout/all` — log out everywhere.
//!
//! Authenticated like `logout` (CSRF for sessions; 401 otherwise, before the
//! method check). One write moves the user's credential generation on, and
//! with it every session, refresh token, access token and `login/jwt` token
//! issued before is refused. 200 with an empty body; the caller's
//! `sessionid` cookie, if any, is deleted.

use auth::App;
use auth::authn::authenticate;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::store::{SessionStore, ThrottleStore, UpdateUserError, UserChange, UserStore};
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "logout-all",
    kind: ViewKind::Tutorial,
    serves: Serves::Post,
    options: r#"{"name":"Logout All","description":"Ends every session and revokes every token of the caller.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
};

pub async fn handler<S: UserStore + SessionStore + ThrottleStore>(
    app: &App<S>,
    req: Request,
) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = logout_all(app, &mut cx).await;
    cx.finish(outcome)
}

async fn logout_all<S: UserStore + SessionStore + ThrottleStore>(
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
    match app
        .store
        .update_user(caller.user.id, UserChange::Revoke)
        .await
    {
        Ok(_) => {}
        Err(UpdateUserError::Store(e)) => return Err(e.into()),
        // Deleted meanwhile: nothing of theirs is valid any more anyway.
        Err(UpdateUserError::NotFound | UpdateUserError::Conflict) => {
            return Err(ApiError::not_authenticated());
        }
    }
    cx.delete_session_cookie();
    Ok(Reply::empty(StatusCode::OK))
}
