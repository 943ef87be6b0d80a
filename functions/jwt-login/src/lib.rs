//! `POST /api/v1/users/login/jwt` — the tutorial's hand-written JWT login.
//!
//! 200 `{"token":"<jwt>"}` with claims `{"id","username","iat","exp"}`
//! (the tutorial's tokens never expired; ours last `JWT_LOGIN_TOKEN_LIFETIME`).
//! Bad credentials: 403 with an empty body, as `login` (the tutorial: 500).

use auth::App;
use auth::base::time::now;
use auth::serde_json::json;
use auth::store::Store;
use auth::web::authn::{Caller, Endpoint, tutorial_login};
use auth::web::{Answer, Optional, Reply, Request, Serves, View};

pub static VIEW: View<Optional> = View::tutorial("jwt-login", Serves::Post, Optional)
    .sends_mail()
    .logs_in()
    .options(r#"{"name":"Jwt Login","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// A `login/jwt` token for whoever the body's credentials name.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: Option<Caller>) -> Answer {
    let user = tutorial_login(app, req, Endpoint::JwtLogin).await?;
    let token = app.tokens.tutorial_for(&user, now());
    Ok(Reply::tokens(&json!({ "token": token })))
}
