//! DynamoDB faults: unreachable, silent, throttling. Every endpoint answers
//! 503 `{"detail":"Service temporarily unavailable."}` with `Retry-After`
//! after the SDK's bounded retries, well within the function's timeout —
//! and a write whose answer is lost is never half-done: the SDK's retry of
//! it is idempotent.

use std::sync::Arc;
use std::time::Duration;

use integration_tests::auth::App;
use integration_tests::auth::base::time::now;
use integration_tests::auth::store::{DynamoStore, SessionStore, TokenStore};
use integration_tests::faults::{Fault, FaultProxy, black_hole, dead_endpoint};
use integration_tests::{
    ALICE_PASSWORD, Calls, Req, Resp, TestApp, counted_client_for, fresh_tables, moto_endpoint,
    patient_client_for, settings, spawn_app_with,
};
use serde_json::json;

use crate::helpers::*;

/// The Lambda timeout in template.yaml.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

/// The account flows, passkeys and the OAuth provider on: every endpoint
/// reaches the store.
fn everything_on() -> Vec<(&'static str, &'static str)> {
    let signup = &[("MFA_PASSKEY_SIGNUP_ENABLED", "true")][..];
    let oauth = crate::oauth::OAUTH_ON;
    [ACCOUNTS_ON, crate::passkeys::PASSKEYS_ON, signup, oauth].concat()
}

async fn app_at(endpoint: &str, vars: &[(&str, &str)]) -> TestApp {
    let calls = Calls::default();
    let store = DynamoStore::new(
        counted_client_for(endpoint, calls.clone()).await,
        fresh_tables(),
    );
    let placeholder = integration_tests::auth::store::User {
        id: 1,
        username: "alice".into(),
        password: String::new(),
        is_active: true,
        generation: 0,
        email: String::new(),
        email_verified: false,
        first_name: String::new(),
        last_name: String::new(),
        mfa: Default::default(),
        passkeys: Vec::new(),
        consents: Vec::new(),
    };
    TestApp {
        app: App::new(settings(vars), store),
        alice: placeholder.clone(),
        bob: placeholder,
        calls,
    }
}

/// One request per endpoint of the route table, each one that reaches
/// DynamoDB.
fn requests(t: &TestApp) -> Vec<(&'static str, Req)> {
    let pair = t.app.tokens.pair_for(&t.alice, now(), "127.0.0.1");
    let grant = integration_tests::auth::credentials::tokens::OAuthGrant {
        client_id: "some-client",
        scope: "openid",
        fam: "some-family",
        auth_time: now(),
        nonce: None,
        amr: &[],
        refresh: false,
    };
    let oauth_access = t.app.tokens.oauth_tokens(&t.alice, &grant, now()).access;
    let creds = json!({"username":"alice","password":ALICE_PASSWORD});
    let mfa_token = t
        .app
        .mfa
        .issue_token(&integration_tests::auth::credentials::mfa::MfaClaims {
            jti: "0123456789abcdef0123456789abcdef".into(),
            uid: 1,
            usr: "alice".into(),
            generation: 0,
            end: integration_tests::auth::credentials::mfa::Endpoint::Login,
            iat: now(),
            exp: now() + 300,
        });
    vec![
        (
            "login-mfa",
            Req::post(LOGIN_MFA).json(&json!({"mfa_token": mfa_token, "code": "123456"})),
        ),
        (
            "mfa",
            Req::post(MFA_TOTP)
                .bearer(&pair.access)
                .json(&json!({"password": ALICE_PASSWORD})),
        ),
        ("login", Req::post(LOGIN).json(&creds)),
        (
            "registration",
            Req::post(REGISTRATION).json(&json!({
                "username": "newcomer", "email": "newcomer@example.com",
                "password1": "a long new passphrase", "password2": "a long new passphrase",
            })),
        ),
        (
            "registration-passkey",
            Req::post(SIGNUP_PASSKEY_OPTIONS)
                .json(&json!({"username": "newcomer", "email": "newcomer@example.com"})),
        ),
        (
            "password-reset",
            Req::post(PASSWORD_RESET).json(&json!({"email": "alice@example.com"})),
        ),
        ("jwt-login", Req::post(JWT_LOGIN).json(&creds)),
        ("token-obtain-pair", Req::post(OBTAIN).json(&creds)),
        ("info", Req::get(INFO).bearer(&pair.access)),
        ("user", Req::get(USER).bearer(&pair.access)),
        ("passkeys", Req::get(PASSKEYS).bearer(&pair.access)),
        (
            "login-passkey",
            Req::post(LOGIN_PASSKEY_OPTIONS).json(&json!({})),
        ),
        ("logout", Req::post(LOGOUT).bearer(&pair.access)),
        ("logout-all", Req::post(LOGOUT_ALL).bearer(&pair.access)),
        (
            "password-change",
            Req::post(PASSWORD)
                .bearer(&pair.access)
                .json(&json!({"old_password":"a","new_password":"b"})),
        ),
        (
            "token-refresh",
            Req::post(REFRESH).json(&json!({"refresh": pair.refresh})),
        ),
        (
            "token-verify",
            Req::post(VERIFY).json(&json!({"token": pair.access})),
        ),
        (
            "token-blacklist",
            Req::post(BLACKLIST).json(&json!({"refresh": pair.refresh})),
        ),
        (
            "oauth-authorize",
            Req::get(OAUTH_AUTHORIZE).query(&[("client_id", "some-client")]),
        ),
        (
            "oauth-token",
            Req::post(OAUTH_TOKEN).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "some-client"),
            ]),
        ),
        (
            "oauth-userinfo",
            Req::get(OAUTH_USERINFO).bearer(&oauth_access),
        ),
        (
            "oauth-tokens",
            Req::post(OAUTH_INTROSPECT)
                .form(&[("token", &pair.access), ("client_id", "some-client")]),
        ),
        ("oauth-grants", Req::get(OAUTH_GRANTS).bearer(&pair.access)),
    ]
}

async fn every_endpoint_is_503(t: &TestApp, fault: &str) {
    let requests = requests(t);
    // The keys' documents need no store: they answer through an outage.
    let documents = ["well-known"];
    assert_covers_every_route(requests.iter().map(|(f, _)| *f).chain(documents));
    for path in [JWKS, OPENID] {
        let r = tokio::time::timeout(
            FUNCTION_TIMEOUT,
            invoke("well-known", t, Req::get(path).build()),
        )
        .await
        .unwrap_or_else(|_| panic!("{fault}: {path} outlived the function timeout"));
        assert_eq!(r.status, 200, "{fault}: {path}");
    }
    let answers =
        futures::future::join_all(requests.into_iter().map(|(function, req)| async move {
            let answer =
                tokio::time::timeout(FUNCTION_TIMEOUT, invoke(function, t, req.build())).await;
            (function, answer)
        }))
        .await;
    for (function, answer) in answers {
        let r: Resp =
            answer.unwrap_or_else(|_| panic!("{fault}: {function} outlived the function timeout"));
        r.assert(503, r#"{"detail":"Service temporarily unavailable."}"#);
        assert_eq!(r.header("retry-after"), Some("1"), "{fault}: {function}");
        assert_security_headers(&r);
    }
}

#[tokio::test]
async fn an_unreachable_store_is_503_everywhere() {
    let t = app_at(&dead_endpoint(), &everything_on()).await;
    every_endpoint_is_503(&t, "connection refused").await;
}

#[tokio::test]
async fn a_store_that_never_answers_is_503_within_the_timeout() {
    let t = app_at(&black_hole().await, &everything_on()).await;
    every_endpoint_is_503(&t, "no answer").await;
}

#[tokio::test]
async fn a_throttling_store_is_503_after_bounded_retries() {
    let proxy = FaultProxy::start(&moto_endpoint(), Arc::new(|_, _, _| Fault::Throttle)).await;
    let t = app_at(&proxy.endpoint, &everything_on()).await;
    every_endpoint_is_503(&t, "throttling").await;
    // Bounded: each endpoint stops at its first failed call (at most two
    // calls in flight, for the throttle's counters), each tried at most
    // MAX_ATTEMPTS times (fewer once the SDK's retry quota runs low).
    let attempts = t.calls.take().len() as u32;
    let endpoints = requests(&t).len() as u32;
    assert!(attempts > endpoints, "retried: {attempts}");
    assert!(
        attempts <= endpoints * 2 * integration_tests::auth::base::aws::MAX_ATTEMPTS,
        "{attempts}"
    );
}

/// A test app on moto, reached through a proxy applying `rule`.
async fn behind_proxy(
    rule: integration_tests::faults::Rule,
    vars: &[(&str, &str)],
) -> (TestApp, FaultProxy) {
    let mut t = spawn_app_with(vars).await;
    let proxy = FaultProxy::start(&moto_endpoint(), rule).await;
    let tables = t.app.store.tables().clone();
    let store = DynamoStore::new(
        patient_client_for(&proxy.endpoint, t.calls.clone()).await,
        tables,
    );
    t.app = App::new(settings(vars), store);
    (t, proxy)
}

#[tokio::test]
async fn a_login_whose_session_write_answer_is_lost_still_delivers_that_one_session() {
    let (t, proxy) = behind_proxy(
        Arc::new(|op, n, _| {
            if op == "PutItem" && n == 0 {
                Fault::DropResponse
            } else {
                Fault::Forward
            }
        }),
        &[],
    )
    .await;
    let r = call!(
        login,
        t,
        Req::post(LOGIN).json(&json!({"username":"alice","password":ALICE_PASSWORD}))
    );
    r.assert(200, r#"{"message":"success"}"#);
    assert_eq!(proxy.seen("PutItem"), 2, "the SDK retried the put");
    let key = r.cookie("sessionid").unwrap();
    assert!(t.app.store.session(&key).await.unwrap().is_some());
    let sessions: Vec<_> = integration_tests::snapshot(&t.app.store)
        .await
        .into_iter()
        .filter(|i| i.contains("-sessions: "))
        .collect();
    assert_eq!(sessions.len(), 1, "no orphan session: {sessions:?}");
}

#[tokio::test]
async fn a_rotation_whose_write_answer_is_lost_still_delivers_the_successor() {
    let (t, proxy) = behind_proxy(
        Arc::new(|op, n, body| {
            if op == "PutItem" && n == 0 && body.contains("next_jti") {
                Fault::DropResponse
            } else {
                Fault::Forward
            }
        }),
        &[("ROTATE_REFRESH_TOKENS", "true")],
    )
    .await;
    let (refresh, _) = pair_of_alice(&t).await;
    let r = call!(
        token_refresh,
        t,
        Req::post(REFRESH).json(&json!({ "refresh": refresh }))
    );
    assert_eq!(r.status, 200, "not mistaken for a reuse: {}", r.body);
    assert!(proxy.seen("PutItem") >= 2);
    let next = r.json()["refresh"].as_str().unwrap().to_owned();
    let r = call!(
        token_refresh,
        t,
        Req::post(REFRESH).json(&json!({ "refresh": next }))
    );
    assert_eq!(r.status, 200, "the family is intact: {}", r.body);
    assert!(
        t.app
            .store
            .is_blacklisted(claims(&refresh)["jti"].as_str().unwrap())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn lost_answers_to_blacklisting_and_password_changes_are_not_reported_as_failures() {
    let (t, _proxy) = behind_proxy(
        Arc::new(|op, _, body| {
            let first_blacklist = op == "PutItem" && body.contains("blacklisted_at");
            let password = op == "UpdateItem" && body.contains("SET password");
            if (first_blacklist || password)
                && !SEEN.swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                Fault::DropResponse
            } else {
                Fault::Forward
            }
        }),
        &[],
    )
    .await;
    let (refresh, access) = pair_of_alice(&t).await;
    let r = call!(
        token_blacklist,
        t,
        Req::post(BLACKLIST).json(&json!({ "refresh": refresh }))
    );
    r.assert(200, "{}");
    SEEN.store(false, std::sync::atomic::Ordering::SeqCst);
    let r = call!(
        password_change,
        t,
        Req::post(PASSWORD).bearer(&access).json(
            &json!({"old_password": ALICE_PASSWORD, "new_password": "a fresh passphrase 2026"})
        )
    );
    assert_eq!(
        r.status, 200,
        "not a 409 for our own retried write: {}",
        r.body
    );
    // The retry may move the generation on twice; the renewed pair carries
    // the generation stored last, so it works.
    let renewed = r.json()["access"].as_str().unwrap().to_owned();
    call!(info, t, Req::get(INFO).bearer(&renewed)).assert(200, r#"{"id":1,"username":"alice"}"#);
    let r = call!(
        info,
        t,
        Req::get(INFO).basic("alice", "a fresh passphrase 2026")
    );
    r.assert(200, r#"{"id":1,"username":"alice"}"#);
}

static SEEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
