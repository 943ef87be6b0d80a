//! DynamoDB requests per endpoint and case, counted by an SDK interceptor
//! on the real client. The README's "DynamoDB calls per request" table is
//! this file. Targets: verify of an access token and info by Bearer ≤ 1
//! call, refresh without rotation ≤ 2, rotation ≤ 2 round trips.

use integration_tests::{ALICE_PASSWORD, Req, TestApp, call, spawn_app, spawn_app_with};
use serde_json::json;

use super::*;

/// Asserts the calls made, as a multiset (concurrent calls may be sent in
/// any order).
#[track_caller]
fn assert_calls(t: &TestApp, case: &str, expected: &[&str]) {
    let mut made = t.calls.take();
    made.sort();
    let mut expected: Vec<&str> = expected.to_vec();
    expected.sort();
    assert_eq!(made, expected, "{case}");
}

/// A password check charges the throttle (2 atomic ADDs, one round trip)...
const THROTTLE: [&str; 2] = ["UpdateItem", "UpdateItem"];
/// ... and a right password releases it (reset the username, undo the address).
const RELEASE: [&str; 2] = ["DeleteItem", "UpdateItem"];

fn with(parts: &[&[&'static str]]) -> Vec<&'static str> {
    parts.concat()
}

#[tokio::test]
async fn session_endpoints() {
    let t = spawn_app().await;
    let alice = || Req::post(LOGIN).json(&json!({"username":"alice","password":ALICE_PASSWORD}));

    let r = call!(login, t, alice());
    assert_calls(
        &t,
        "login",
        &with(&[&THROTTLE, &["GetItem", "GetItem"], &RELEASE, &["PutItem"]]),
    );
    let (key, csrf) = (
        r.cookie("sessionid").unwrap(),
        r.cookie("csrftoken").unwrap(),
    );

    call!(
        login,
        t,
        Req::post(LOGIN).json(&json!({"username":"alice","password":"wrong"}))
    );
    assert_calls(
        &t,
        "login, wrong password",
        &with(&[&THROTTLE, &["GetItem", "GetItem"]]),
    );
    call!(
        login,
        t,
        Req::post(LOGIN).json(&json!({"username":"nobody","password":"x"}))
    );
    assert_calls(&t, "login, unknown user", &with(&[&THROTTLE, &["GetItem"]]));
    call!(login, t, Req::post(LOGIN).json(&json!({})));
    assert_calls(&t, "login, malformed", &[]);

    let with_session = |r: Req| {
        r.cookie("sessionid", &key)
            .cookie("csrftoken", &csrf)
            .header("x-csrftoken", &csrf)
    };
    let r = call!(login, t, with_session(alice()));
    assert_calls(
        &t,
        "login over a live session (the old one ends in the same write)",
        &with(&[
            &["GetItem", "GetItem"],
            &THROTTLE,
            &["GetItem", "GetItem"],
            &RELEASE,
            &["TransactWriteItems"],
        ]),
    );
    let key = r.cookie("sessionid").unwrap();
    let csrf = r.cookie("csrftoken").unwrap();

    call!(info, t, Req::get(INFO).cookie("sessionid", &key));
    assert_calls(&t, "info by session", &["GetItem", "GetItem"]);
    call!(info, t, Req::get(INFO).basic("alice", ALICE_PASSWORD));
    assert_calls(
        &t,
        "info by Basic",
        &with(&[&THROTTLE, &["GetItem", "GetItem"], &RELEASE]),
    );
    call!(info, t, Req::get(INFO));
    assert_calls(&t, "info, nothing presented", &[]);
    call!(info, t, Req::get(INFO).cookie("sessionid", "short"));
    assert_calls(&t, "info, malformed session key", &[]);

    call!(
        logout,
        t,
        Req::post(LOGOUT)
            .cookie("sessionid", &key)
            .cookie("csrftoken", &csrf)
            .header("x-csrftoken", &csrf)
    );
    assert_calls(
        &t,
        "logout by session",
        &["GetItem", "GetItem", "DeleteItem"],
    );

    call!(
        jwt_login,
        t,
        Req::post(JWT_LOGIN).json(&json!({"username":"alice","password":ALICE_PASSWORD}))
    );
    assert_calls(
        &t,
        "login/jwt",
        &with(&[&THROTTLE, &["GetItem", "GetItem"], &RELEASE]),
    );
}

#[tokio::test]
async fn token_endpoints() {
    let t = spawn_app().await;
    let (refresh, access) = pair_of_alice(&t).await;
    assert_calls(
        &t,
        "obtain",
        &with(&[&THROTTLE, &["GetItem", "GetItem"], &RELEASE]),
    );

    call!(info, t, Req::get(INFO).bearer(&access));
    assert_calls(&t, "info by Bearer", &["GetItem"]);
    let r = call!(
        jwt_login,
        t,
        Req::post(JWT_LOGIN).json(&json!({"username":"alice","password":ALICE_PASSWORD}))
    );
    t.calls.take();
    call!(
        info,
        t,
        Req::get(INFO).header("jwt-auth", r.json()["token"].as_str().unwrap())
    );
    assert_calls(&t, "info by jwt-auth", &["GetItem"]);
    call!(info, t, Req::get(INFO).bearer("garbage"));
    assert_calls(&t, "info, bad token", &[]);

    call!(
        token_verify,
        t,
        Req::post(VERIFY).json(&json!({ "token": access }))
    );
    assert_calls(&t, "verify an access token", &["GetItem"]);
    call!(
        token_verify,
        t,
        Req::post(VERIFY).json(&json!({ "token": refresh }))
    );
    assert_calls(&t, "verify a refresh token", &["BatchGetItem"]);
    call!(
        token_verify,
        t,
        Req::post(VERIFY).json(&json!({ "token": "garbage" }))
    );
    assert_calls(&t, "verify garbage", &[]);

    call!(
        token_refresh,
        t,
        Req::post(REFRESH).json(&json!({ "refresh": refresh }))
    );
    assert_calls(&t, "refresh without rotation", &["BatchGetItem"]);

    call!(
        token_blacklist,
        t,
        Req::post(BLACKLIST).json(&json!({ "refresh": refresh }))
    );
    assert_calls(&t, "blacklist", &["BatchGetItem", "PutItem"]);

    call!(logout, t, Req::post(LOGOUT).bearer(&access));
    assert_calls(&t, "logout by Bearer", &["GetItem"]);
}

#[tokio::test]
async fn rotation() {
    let t = spawn_app_with(&[("ROTATE_REFRESH_TOKENS", "true")]).await;
    let (refresh, _) = pair_of_alice(&t).await;
    t.calls.take();
    let r = call!(
        token_refresh,
        t,
        Req::post(REFRESH).json(&json!({ "refresh": refresh }))
    );
    assert_eq!(r.status, 200);
    assert_calls(
        &t,
        "refresh with rotation: 2 round trips",
        &["BatchGetItem", "PutItem"],
    );
    call!(
        token_refresh,
        t,
        Req::post(REFRESH).json(&json!({ "refresh": refresh }))
    );
    assert_calls(
        &t,
        "reuse of a rotated token: revoke the family",
        &["BatchGetItem", "PutItem"],
    );
}

#[tokio::test]
async fn lifecycle_endpoints() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    t.calls.take();
    call!(logout_all, t, Req::post(LOGOUT_ALL).bearer(&access));
    assert_calls(
        &t,
        "logout everywhere: one write",
        &["GetItem", "UpdateItem"],
    );
    let (_, access) = pair_of_alice(&t).await;
    t.calls.take();
    let r = call!(
        password_change,
        t,
        Req::post(PASSWORD).bearer(&access).json(
            &json!({"old_password": ALICE_PASSWORD, "new_password": "a fresh passphrase 2026"})
        )
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_calls(
        &t,
        "password change by Bearer",
        &with(&[&["GetItem"], &THROTTLE, &RELEASE, &["UpdateItem"]]),
    );
}
