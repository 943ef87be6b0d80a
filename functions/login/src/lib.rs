//! `POST /api/v1/users/login` — session login.
//!
//! 200 `{"message":"success"}` with new `csrftoken` and `sessionid` cookies;
//! 400 `Malformed request.` without a username and password; 403 with an
//! empty body for a wrong password or an unknown or inactive user. A caller
//! who is already logged in is authenticated first (DRF), so a bad
//! credential or a failed CSRF check of a live session wins over the rest.
//! A cross-site form cannot log a browser in: a foreign `Origin` is 403
//! before any password work (login CSRF).

use auth::App;
use auth::serde_json::json;
use auth::store::Store;
use auth::web::authn::{Caller, Endpoint, amr, start_session, tutorial_login};
use auth::web::{Answer, Optional, Reply, Request, Serves, View};

pub static VIEW: View<Optional> = View::tutorial("login", Serves::Post, Optional)
    .sends_mail()
    .logs_in()
    .options(r#"{"name":"Login","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// A new session for whoever the body's credentials name.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: Option<Caller>) -> Answer {
    let user = tutorial_login(app, req, Endpoint::Login).await?;
    let cookies = start_session(app, req, &user, amr::PASSWORD).await?;
    Ok(Reply::ok(&json!({ "message": "success" })).with_cookies(cookies))
}
