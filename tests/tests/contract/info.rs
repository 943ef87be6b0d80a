//! `GET login/jwt/info` — who am I, by each way of authenticating.

use integration_tests::{ALICE_PASSWORD, Req, Resp, TestApp, call, spawn_app};
use serde_json::json;

use crate::helpers::*;

/// `method` on info, with a fresh access token of alice.
async fn alice_calls_info(t: &TestApp, method: &str) -> Resp {
    let (_, access) = pair_of_alice(t).await;
    call!(info, t, Req::new(method, INFO).bearer(&access))
}

#[tokio::test]
async fn each_way_of_authenticating_names_the_caller() {
    let t = spawn_app().await;
    let r = call!(info, t, Req::get(INFO).basic("alice", ALICE_PASSWORD));
    r.assert(200, ALICE);
    let (key, _) = session_of_alice(&t).await;
    let r = call!(info, t, Req::get(INFO).cookie("sessionid", &key));
    r.assert(200, ALICE);
    let (_, access) = pair_of_alice(&t).await;
    let r = call!(info, t, Req::get(INFO).bearer(&access));
    r.assert(200, ALICE);
    let token = jwt_of_alice(&t).await;
    let r = call!(info, t, Req::get(INFO).header("jwt-auth", &token));
    r.assert(200, ALICE);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("vary"), Some("Accept, Cookie"));
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_security_headers(&r);
}

#[tokio::test]
async fn nothing_presented_is_401_with_a_basic_challenge() {
    let t = spawn_app().await;
    let r = call!(info, t, Req::get(INFO));
    r.assert(401, NOT_PROVIDED);
    assert_challenge(&r, "Basic");
    assert_eq!(r.header("vary"), Some("Accept, Cookie"));
    assert_security_headers(&r);
    // POST without credentials: still the 401, not the 405
    let r = call!(info, t, Req::post(INFO));
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn wrong_method_for_an_authenticated_caller_is_405() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let r = call!(info, t, Req::new(method, INFO).bearer(&access));
        r.assert(
            405,
            &format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#),
        );
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    }
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let t = spawn_app().await;
    let r = alice_calls_info(&t, "HEAD").await;
    r.assert(200, "");
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn options_describes_the_view_to_authenticated_callers() {
    let t = spawn_app().await;
    let r = alice_calls_info(&t, "OPTIONS").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["name"], json!("User Detail"));
    let r = call!(info, t, Req::new("OPTIONS", INFO));
    assert_eq!(r.status, 401);
}
