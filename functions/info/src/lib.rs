//! `GET /api/v1/users/login/jwt/info` — who am I.
//!
//! 200 `{"id":1,"username":"alice"}` for a caller authenticated any of the
//! four ways; 401 otherwise (before the method check).

use auth::App;
use auth::serde_json::json;
use auth::store::Store;
use auth::web::authn::Caller;
use auth::web::{Answer, Reply, Request, Required, Serves, View};

pub static VIEW: View<Required> = View::tutorial("info", Serves::Get, Required).options(r#"{"name":"User Detail","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// The caller's id and username.
pub async fn handler<S: Store>(_: &App<S>, _: &Request<'_>, caller: Caller) -> Answer {
    let user = caller.user;
    Ok(Reply::ok(
        &json!({ "id": user.id, "username": user.username }),
    ))
}
