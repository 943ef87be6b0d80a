//! `POST /api/v1/users/logout` — session logout.
//!
//! Needs an authenticated caller (401 otherwise, before the method check).
//! Deletes the session the `sessionid` cookie names and the cookie itself;
//! 200 with an empty body. Never reads its body, as Django's view.

use auth::App;
use auth::lambda_http::http::StatusCode;
use auth::store::{Store, valid_session_key};
use auth::web::authn::Caller;
use auth::web::{Answer, Cookies, Reply, Request, Required, SESSION_COOKIE, Serves, View};

pub static VIEW: View<Required> = View::tutorial("logout", Serves::Post, Required)
    .ignores_body()
    .options(r#"{"name":"Logout","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// Django's `logout()`: flushes the session the cookie names, whichever way
/// the caller authenticated.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: Caller) -> Answer {
    if let Some(key) = req.cookie(SESSION_COOKIE).filter(|k| valid_session_key(k)) {
        app.store.delete_session(key).await?;
    }
    Ok(Reply::empty(StatusCode::OK).with_cookies(Cookies::deleting_session()))
}
