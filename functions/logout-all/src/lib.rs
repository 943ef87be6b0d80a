//! `POST /api/v1/users/logout/all` — log out everywhere.
//!
//! Authenticated like `logout` (CSRF for sessions; 401 otherwise, before the
//! method check). One write moves the user's credential generation on, and
//! with it every session, refresh token, access token and `login/jwt` token
//! issued before is refused. 200 with an empty body; the caller's
//! `sessionid` cookie and refresh cookie, if any, are deleted. Never reads
//! its body.

use auth::App;
use auth::base::audit::{self, Event, Subject};
use auth::lambda_http::http::StatusCode;
use auth::store::{Store, UserChange};
use auth::web::authn::Caller;
use auth::web::{Answer, Cookies, Reply, Request, Required, Serves, View};

pub static VIEW: View<Required> = View::tutorial("logout-all", Serves::Post, Required)
    .ignores_body()
    .options(r#"{"name":"Logout All","description":"Ends every session and revokes every token of the caller.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// Revokes every credential of the caller (a caller deleted meanwhile: 401).
pub async fn handler<S: Store>(app: &App<S>, _: &Request<'_>, caller: Caller) -> Answer {
    app.store
        .update_user(caller.user.id, UserChange::Revoke)
        .await?;
    audit::emit(
        Event::LogoutAll,
        Subject::UserId(caller.user.id),
        caller.via.as_str(),
    );
    let mut cookies = Cookies::deleting_session();
    cookies.delete_refresh();
    Ok(Reply::empty(StatusCode::OK).with_cookies(cookies))
}
