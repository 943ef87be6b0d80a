//! DynamoDB requests per endpoint and case, counted by an SDK interceptor
//! on the real client. The README's "DynamoDB calls per request" table is
//! this file. Targets: verify of an access token and info by Bearer ≤ 1
//! call, refresh without rotation ≤ 2, rotation ≤ 2 round trips.

use integration_tests::{ALICE_PASSWORD, Req, TestApp, call, spawn_app};
use serde_json::json;

use crate::helpers::*;

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

/// A password check charges the throttle (3 conditional ADDs: username at
/// this address, username, address; one transaction, all or none)...
const THROTTLE: [&str; 1] = ["TransactWriteItems"];
/// ... and a right password releases it (reset the username at this
/// address, undo the username's and the address's attempt, remember the
/// address for the username).
const RELEASE: [&str; 4] = ["DeleteItem", "UpdateItem", "UpdateItem", "UpdateItem"];
/// The candidate of a password check: the username's item with the
/// hash-cost marks, then the user's item — the same reads for a wrong
/// password and an unknown user (equal time).
const CANDIDATE: [&str; 2] = ["BatchGetItem", "GetItem"];

fn with(parts: &[&[&'static str]]) -> Vec<&'static str> {
    parts.concat()
}

/// One request of a table: the function, the request, the case's name and
/// the calls it must make.
type Case<'a> = (&'a str, Req, &'a str, Vec<&'a str>);

/// Runs each case in turn, asserting the calls it made.
async fn assert_calls_of(t: &TestApp, cases: Vec<Case<'_>>) {
    for (function, req, case, expected) in cases {
        invoke(function, t, req.build()).await;
        assert_calls(t, case, &expected);
    }
}

#[tokio::test]
async fn session_endpoints() {
    let t = spawn_app().await;
    let password_checked = with(&[&THROTTLE, &CANDIDATE, &RELEASE]);

    let r = call!(login, t, alice_credentials(LOGIN));
    assert_calls(
        &t,
        "login",
        &with(&[&THROTTLE, &CANDIDATE, &RELEASE, &["PutItem"]]),
    );
    let (key, csrf) = (
        r.cookie("sessionid").unwrap(),
        r.cookie("csrftoken").unwrap(),
    );
    assert_calls_of(
        &t,
        vec![
            (
                "login",
                credentials(LOGIN, "alice", "wrong"),
                "login, wrong password",
                with(&[&THROTTLE, &CANDIDATE]),
            ),
            (
                "login",
                credentials(LOGIN, "nobody", "x"),
                "login, unknown user: the same reads",
                with(&[&THROTTLE, &CANDIDATE]),
            ),
            (
                "login",
                Req::post(LOGIN).json(&json!({})),
                "login, malformed",
                vec![],
            ),
        ],
    )
    .await;

    let r = call!(
        login,
        t,
        alice_credentials(LOGIN).session_with_csrf(&key, &csrf)
    );
    assert_calls(
        &t,
        "login over a live session (the old one ends in the same write)",
        &with(&[
            &["GetItem", "GetItem"],
            &THROTTLE,
            &CANDIDATE,
            &RELEASE,
            &["TransactWriteItems"],
        ]),
    );
    let key = r.cookie("sessionid").unwrap();
    let csrf = r.cookie("csrftoken").unwrap();
    assert_calls_of(
        &t,
        vec![
            (
                "info",
                Req::get(INFO).cookie("sessionid", &key),
                "info by session",
                vec!["GetItem", "GetItem"],
            ),
            (
                "info",
                Req::get(INFO).basic("alice", ALICE_PASSWORD),
                "info by Basic",
                password_checked.clone(),
            ),
            ("info", Req::get(INFO), "info, nothing presented", vec![]),
            (
                "info",
                Req::get(INFO).cookie("sessionid", "short"),
                "info, malformed session key",
                vec![],
            ),
            (
                "logout",
                Req::post(LOGOUT).session_with_csrf(&key, &csrf),
                "logout by session",
                vec!["GetItem", "GetItem", "DeleteItem"],
            ),
            (
                "jwt-login",
                alice_credentials(JWT_LOGIN),
                "login/jwt",
                password_checked,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn token_endpoints() {
    let t = spawn_app().await;
    let (refresh, access) = pair_of_alice(&t).await;
    assert_calls(&t, "obtain", &with(&[&THROTTLE, &CANDIDATE, &RELEASE]));
    let jwt = jwt_of_alice(&t).await;
    t.calls.take();
    assert_calls_of(
        &t,
        vec![
            (
                "info",
                Req::get(INFO).bearer(&access),
                "info by Bearer: the user and the token's family",
                vec!["BatchGetItem"],
            ),
            (
                "info",
                Req::get(INFO).header("jwt-auth", &jwt),
                "info by jwt-auth",
                vec!["GetItem"],
            ),
            (
                "info",
                Req::get(INFO).bearer("garbage"),
                "info, bad token",
                vec![],
            ),
            (
                "token-verify",
                verify_req(&access),
                "verify an access token: the user and its family",
                vec!["BatchGetItem"],
            ),
            (
                "token-verify",
                verify_req(&refresh),
                "verify a refresh token",
                vec!["BatchGetItem"],
            ),
            (
                "token-verify",
                verify_req("garbage"),
                "verify garbage",
                vec![],
            ),
            (
                "token-refresh",
                refresh_req(&refresh),
                "refresh without rotation: the state and, at once, the family's count",
                vec!["BatchGetItem", "UpdateItem"],
            ),
            (
                "token-blacklist",
                blacklist_req(&refresh),
                "blacklist",
                vec!["BatchGetItem", "PutItem"],
            ),
            (
                "logout",
                Req::post(LOGOUT).bearer(&access),
                "logout by Bearer",
                vec!["BatchGetItem"],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn rotation() {
    let t = rotating_app(&[]).await;
    let (refresh, _) = pair_of_alice(&t).await;
    t.calls.take();
    let r = call!(token_refresh, t, refresh_req(&refresh));
    assert_eq!(r.status, 200);
    assert_calls(
        &t,
        "refresh with rotation: 2 round trips (the first two calls at once)",
        &["BatchGetItem", "UpdateItem", "PutItem"],
    );
    call!(token_refresh, t, refresh_req(&refresh));
    assert_calls(
        &t,
        "reuse of a rotated token: revoke the family",
        &["BatchGetItem", "UpdateItem", "PutItem"],
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
        &["BatchGetItem", "UpdateItem"],
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
        &with(&[&["BatchGetItem"], &THROTTLE, &RELEASE, &["UpdateItem"]]),
    );
}

#[tokio::test]
async fn two_factor_endpoints() {
    use integration_tests::totp::{base32, totp};
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    t.calls.take();
    let bearer = || {
        Req::post(MFA_TOTP)
            .bearer(&access)
            .json(&json!({"password": ALICE_PASSWORD}))
    };
    let r = call!(mfa, t, bearer());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_calls(
        &t,
        "enrol: the password checked (throttled, released), one write",
        &with(&[&["BatchGetItem"], &THROTTLE, &RELEASE, &["UpdateItem"]]),
    );
    let key = base32(r.json()["secret"].as_str().unwrap());
    let code = |steps: i64| totp(&key, now() + 30 * steps, 6);
    super::mfa::settle().await;
    let confirm = Req::post(MFA_CONFIRM)
        .bearer(&access)
        .json(&json!({"password": ALICE_PASSWORD, "code": code(-1)}));
    let r = call!(mfa, t, confirm);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_calls(
        &t,
        "confirm: the password, one write (the generation with it)",
        &with(&[&["BatchGetItem"], &THROTTLE, &RELEASE, &["UpdateItem"]]),
    );
    let codes: Vec<String> = serde_json::from_value(r.json()["recovery_codes"].clone()).unwrap();

    // The password: the same reads, its attempt refunded, no release.
    let refund = ["UpdateItem", "UpdateItem", "UpdateItem"];
    let r = call!(token_obtain_pair, t, alice_credentials(OBTAIN));
    assert_eq!(r.status, 401, "{}", r.body);
    assert_calls(
        &t,
        "a right password, TOTP on",
        &with(&[&THROTTLE, &CANDIDATE, &refund]),
    );
    let token = r.json()["mfa_token"].as_str().unwrap().to_owned();
    let second = |code: &str| Req::post(LOGIN_MFA).json(&json!({"mfa_token": token, "code": code}));
    call!(login_mfa, t, second("12 456"));
    assert_calls(&t, "login/mfa, a code of the wrong shape: nothing", &[]);
    // Every attempt is charged (the token's and the user's count, one
    // transaction) before the code is compared.
    let charge = ["GetItem", "TransactWriteItems"];
    call!(login_mfa, t, second(&code(-1)));
    assert_calls(
        &t,
        "login/mfa, a used step: the charge, the refused transaction",
        &with(&[&THROTTLE, &charge, &["TransactWriteItems"]]),
    );
    let r = call!(login_mfa, t, second(&code(0)));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_calls(
        &t,
        "login/mfa: the charge, then the code and the token in one transaction",
        &with(&[&THROTTLE, &charge, &["TransactWriteItems"], &RELEASE]),
    );
    let access = r.json()["access"].as_str().unwrap().to_owned();
    let r = call!(
        mfa,
        t,
        Req::post(MFA_RECOVERY)
            .bearer(&access)
            .json(&json!({"password": ALICE_PASSWORD, "code": codes[0]}))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_calls(
        &t,
        "new recovery codes: the charge, one write",
        &with(&[
            &["BatchGetItem"],
            &THROTTLE,
            &["UpdateItem", "UpdateItem"],
            &RELEASE,
        ]),
    );
    let r = call!(
        mfa,
        t,
        Req::post(MFA_DISABLE)
            .bearer(&access)
            .json(&json!({"password": ALICE_PASSWORD, "code": code(1)}))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_calls(
        &t,
        "disable by Bearer: the charge, one write",
        &with(&[
            &["BatchGetItem"],
            &THROTTLE,
            &["UpdateItem", "UpdateItem"],
            &RELEASE,
        ]),
    );
}

#[tokio::test]
async fn throttle_refusals() {
    let t = integration_tests::spawn_app_with(&[
        ("THROTTLE_USERNAME_ADDRESS_LIMIT", "1"),
        ("THROTTLE_USERNAME_LIMIT", "2"),
    ])
    .await;
    const USUAL: &str = "198.51.100.7";
    let login_from =
        |password: &str, from: &str| credentials(LOGIN, "alice", password).source_ip(from);
    call!(login, t, login_from(ALICE_PASSWORD, USUAL)).assert(200, r#"{"message":"success"}"#);
    t.calls.take();
    call!(login, t, login_from("wrong", "192.0.2.1")).assert(403, "");
    assert_calls(&t, "a wrong password", &with(&[&THROTTLE, &CANDIDATE]));
    let r = call!(login, t, login_from("wrong", "192.0.2.1"));
    assert_eq!(r.status, 429);
    assert_calls(
        &t,
        "the lock: the refused transaction, nothing else",
        &THROTTLE,
    );
    call!(login, t, login_from("wrong", "192.0.2.2")).assert(403, "");
    t.calls.take();
    let r = call!(login, t, login_from(ALICE_PASSWORD, "192.0.2.3"));
    assert_eq!(r.status, 429);
    assert_calls(
        &t,
        "the ceiling, an address it does not recognise: the refused transaction, the memory",
        &["TransactWriteItems", "GetItem"],
    );
    let r = call!(login, t, login_from(ALICE_PASSWORD, USUAL));
    assert_eq!(r.status, 200);
    assert_calls(
        &t,
        "the ceiling, the usual address: charged to the lock and the address only",
        &with(&[
            &["TransactWriteItems", "GetItem", "TransactWriteItems"],
            &CANDIDATE,
            &["DeleteItem", "UpdateItem", "UpdateItem"],
            &["PutItem"],
        ]),
    );
}
