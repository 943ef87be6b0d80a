//! `POST logout` — API.md "Session login, logout".

use integration_tests::auth::store::SessionStore;
use integration_tests::{ALICE_PASSWORD, Req, Resp, TestApp, call, spawn_app};

use crate::helpers::*;

/// Logs out with `req`; asserts the 200 whose one cookie deletes the
/// session's.
async fn logout_deleting_the_cookie(t: &TestApp, req: Req) -> Resp {
    let r = call!(logout, t, req);
    r.assert(200, "");
    assert_eq!(r.set_cookies(), vec![DELETION]);
    r
}

#[tokio::test]
async fn deletes_the_session_and_its_cookie() {
    let t = spawn_app().await;
    let (key, csrf) = session_of_alice(&t).await;
    let req = Req::post(LOGOUT).session_with_csrf(&key, &csrf);
    let r = logout_deleting_the_cookie(&t, req).await;
    assert_eq!(r.header("content-type"), None);
    assert!(t.app.store.session(&key).await.unwrap().is_none());
    // the cookie no longer works
    let r = call!(info, t, Req::get(INFO).cookie("sessionid", &key));
    assert_eq!(r.status, 401);
    assert_eq!(r.set_cookies(), vec![DELETION]);
}

#[tokio::test]
async fn session_logout_needs_csrf() {
    let t = spawn_app().await;
    let (key, csrf) = session_of_alice(&t).await;
    let r = call!(logout, t, Req::post(LOGOUT).session(&key, &csrf));
    r.assert(403, r#"{"detail":"CSRF Failed: CSRF token missing."}"#);
    assert!(t.app.store.session(&key).await.unwrap().is_some());
}

#[tokio::test]
async fn unauthenticated_callers_get_401_even_with_the_wrong_method() {
    let t = spawn_app().await;
    for method in ["POST", "GET", "PUT", "DELETE", "OPTIONS"] {
        let r = call!(logout, t, Req::new(method, LOGOUT));
        r.assert(401, NOT_PROVIDED);
        assert_eq!(
            r.header("www-authenticate"),
            Some(r#"Basic realm="api""#),
            "{method}"
        );
    }
}

#[tokio::test]
async fn authenticated_callers_with_the_wrong_method_get_405() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    let r = call!(logout, t, Req::get(LOGOUT).bearer(&access));
    r.assert(405, r#"{"detail":"Method \"GET\" not allowed."}"#);
    assert_eq!(r.header("allow"), Some("POST, OPTIONS"));
}

#[tokio::test]
async fn token_callers_can_log_out_without_cookies() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    let r = call!(logout, t, Req::post(LOGOUT).bearer(&access));
    r.assert(200, "");
    assert!(r.set_cookies().is_empty());
}

#[tokio::test]
async fn logout_ends_the_cookies_session_whoever_authenticated() {
    let t = spawn_app().await;
    let (key, _) = session_of_alice(&t).await;
    // Basic authenticates first; the session named by the cookie still ends.
    let req = Req::post(LOGOUT)
        .basic("alice", ALICE_PASSWORD)
        .cookie("sessionid", &key);
    logout_deleting_the_cookie(&t, req).await;
    assert!(t.app.store.session(&key).await.unwrap().is_none());
}

#[tokio::test]
async fn a_dead_session_cookie_is_deleted() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    let req = Req::post(LOGOUT)
        .bearer(&access)
        .cookie("sessionid", "0000aaaa0000aaaa0000aaaa0000aaaa");
    logout_deleting_the_cookie(&t, req).await;
}
