//! The breached-password check (`PASSWORD_BREACH_CHECK`) on every path
//! that sets a password (sign-up, reset, change), against a local range
//! server built from a known list: k-anonymity (only the SHA-1's first
//! five hex digits leave), `Add-Padding`, the timeout, and both failure
//! modes.

use std::time::Duration;

use integration_tests::auth::mail::Job;
use integration_tests::auth::store::UserStore;
use integration_tests::pwned::{RangeServer, sha1_hex};
use integration_tests::{ALICE_PASSWORD, spawn_app_with};

use crate::helpers::*;
use crate::mail::unique_address;
use crate::signup::Accounts;

/// Seen in breaches (by the local range server), but not on Django's
/// common-password list, long and unlike any username.
const BREACHED: &str = "marmalade quantum 1987 ferryboat";
const FRESH: &str = "an unbreached and fresh passphrase";
const TOO_COMMON: &str = r#"["This password is too common."]"#;

async fn server(delay: Duration) -> RangeServer {
    RangeServer::start(&[(BREACHED, 4242), ("another one", 7)], delay).await
}

fn check_on<'a>(server: &'a RangeServer, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut vars = vec![
        ("PASSWORD_BREACH_CHECK", "true"),
        ("PASSWORD_BREACH_CHECK_URL", server.url.as_str()),
    ];
    vars.extend_from_slice(extra);
    vars
}

fn change(old: &str, new: &str) -> Req {
    Req::post(PASSWORD).json(&json!({"old_password": old, "new_password": new}))
}

#[tokio::test]
async fn off_by_default_nothing_is_asked() {
    let s = server(Duration::ZERO).await;
    let t = spawn_app_with(&[("PASSWORD_BREACH_CHECK_URL", s.url.as_str())]).await;
    let (_, access) = pair_of_alice(&t).await;
    let r = call!(
        password_change,
        t,
        change(ALICE_PASSWORD, BREACHED).bearer(&access)
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(s.asked().is_empty(), "{:?}", s.asked());
}

#[tokio::test]
async fn a_breached_new_password_is_too_common_and_only_five_hex_digits_leave() {
    let s = server(Duration::ZERO).await;
    let t = spawn_app_with(&check_on(&s, &[])).await;
    let (_, access) = pair_of_alice(&t).await;
    let before = t.app.store.user_by_id(t.alice.id).await.unwrap();
    let r = call!(
        password_change,
        t,
        change(ALICE_PASSWORD, BREACHED).bearer(&access)
    );
    r.assert(400, &format!(r#"{{"new_password":{TOO_COMMON}}}"#));
    assert_eq!(t.app.store.user_by_id(t.alice.id).await.unwrap(), before);

    let asked = s.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    let hash = sha1_hex(BREACHED);
    assert_eq!(asked[0].path, format!("/range/{}", &hash[..5]));
    let header = |name: &str| {
        (asked[0].headers.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("add-padding"), Some("true"));
    let everything = format!("{asked:?}");
    assert!(
        !everything.contains(&hash[5..]),
        "the suffix left: {everything}"
    );
    assert!(!everything.contains(BREACHED), "the password left");

    // With other findings, all are said, in Django's order.
    let r = call!(
        password_change,
        t,
        change(ALICE_PASSWORD, "88889999").bearer(&access)
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = call!(
        password_change,
        t,
        change(ALICE_PASSWORD, FRESH).bearer(&access)
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_password_on_djangos_list_is_not_asked_about() {
    let s = server(Duration::ZERO).await;
    let t = spawn_app_with(&check_on(&s, &[])).await;
    let (_, access) = pair_of_alice(&t).await;
    let r = call!(
        password_change,
        t,
        change(ALICE_PASSWORD, "password123").bearer(&access)
    );
    r.assert(400, &format!(r#"{{"new_password":{TOO_COMMON}}}"#));
    assert!(s.asked().is_empty(), "{:?}", s.asked());
}

#[tokio::test]
async fn sign_up_and_reset_refuse_a_breached_password() {
    let s = server(Duration::ZERO).await;
    let a = Accounts::new(&check_on(&s, &[])).await;
    let email = unique_address();
    let r = call!(
        registration,
        a.t,
        Req::post(REGISTRATION).json(&json!({
            "username": "breachy", "email": email, "password1": BREACHED, "password2": BREACHED,
        }))
    );
    r.assert(400, &format!(r#"{{"password1":{TOO_COMMON}}}"#));
    assert!(
        a.t.app
            .store
            .user_by_username("breachy")
            .await
            .unwrap()
            .is_none()
    );

    give_address(&a.t, &email).await;
    let link = a
        .mint(
            Job::PasswordReset { email },
            integration_tests::auth::base::time::now(),
        )
        .await
        .unwrap();
    let parts: Vec<&str> = link.rsplitn(3, '/').collect();
    let confirm = |password: &str| {
        Req::post(PASSWORD_RESET_CONFIRM).json(&json!({
            "uid": parts[1], "token": parts[0], "new_password1": password, "new_password2": password,
        }))
    };
    let r = call!(password_reset, a.t, confirm(BREACHED));
    r.assert(400, &format!(r#"{{"new_password2":{TOO_COMMON}}}"#));
    let r = call!(password_reset, a.t, confirm(FRESH));
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_slow_range_api_fails_open_by_default_and_closed_when_asked() {
    let s = server(Duration::from_millis(1500)).await;
    let open = spawn_app_with(&check_on(
        &s,
        &[("PASSWORD_BREACH_CHECK_TIMEOUT_MS", "200")],
    ))
    .await;
    let (_, access) = pair_of_alice(&open).await;
    let r = call!(
        password_change,
        open,
        change(ALICE_PASSWORD, BREACHED).bearer(&access)
    );
    assert_eq!(r.status, 200, "fail open: {}", r.body);

    let closed = spawn_app_with(&check_on(
        &s,
        &[
            ("PASSWORD_BREACH_CHECK_TIMEOUT_MS", "200"),
            ("PASSWORD_BREACH_CHECK_FAIL", "closed"),
        ],
    ))
    .await;
    let (_, access) = pair_of_alice(&closed).await;
    let before = closed.app.store.user_by_id(closed.alice.id).await.unwrap();
    let r = call!(
        password_change,
        closed,
        change(ALICE_PASSWORD, FRESH).bearer(&access)
    );
    r.assert(503, r#"{"detail":"Service temporarily unavailable."}"#);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(
        closed.app.store.user_by_id(closed.alice.id).await.unwrap(),
        before
    );

    // An unreachable one too.
    let dead = integration_tests::faults::dead_endpoint() + "/range/";
    let t = spawn_app_with(&[
        ("PASSWORD_BREACH_CHECK", "true"),
        ("PASSWORD_BREACH_CHECK_URL", dead.as_str()),
        ("PASSWORD_BREACH_CHECK_FAIL", "closed"),
    ])
    .await;
    let (_, access) = pair_of_alice(&t).await;
    let r = call!(
        password_change,
        t,
        change(ALICE_PASSWORD, FRESH).bearer(&access)
    );
    assert_eq!(r.status, 503, "{}", r.body);
}
