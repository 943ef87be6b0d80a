//! The security review's findings (issue 21), each as its attack: every
//! test here failed before its fix.

use integration_tests::auth::store::{SessionStore, UserStore};
use integration_tests::{BOB_PASSWORD, ROUTES, spawn_app, workspace};

use crate::helpers::*;
use crate::mfa::{App2fa, challenge, enrol, second, settle};

/// What `login/mfa` answers a wrong code of the right shape.
const INVALID_CODE: &str = r#"{"code":["Invalid code."]}"#;

/// alice's password step from `address`: her `mfa_token`.
async fn token_of_alice(t: &TestApp, address: &str) -> String {
    let obtain = alice_credentials(OBTAIN).source_ip(address);
    challenge(&call!(token_obtain_pair, t, obtain))
}

/// alice's consecutive second-factor failures, as stored.
async fn failures_of_alice(t: &TestApp) -> u64 {
    let alice = t.app.store.user_by_id(1).await.unwrap().unwrap();
    alice.mfa.failures
}

/// The seconds a 429 asks to wait, checked against its body.
fn retry_after(r: &Resp) -> u64 {
    assert_eq!(r.status, 429, "{}", r.body);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    let unit = if wait == 1 { "second" } else { "seconds" };
    let detail = format!("Request was throttled. Expected available in {wait} {unit}.");
    r.assert(429, &json!({ "detail": detail }).to_string());
    wait
}

/// 2. A dead `mfa_token` (used, or out of attempts) answers the same for
/// a right code as for a wrong one: its state is checked before any code
/// is compared, and nothing is charged for it.
#[tokio::test]
async fn a_dead_mfa_token_tells_no_right_code_from_a_wrong_one() {
    let t = spawn_app().await;
    let (app, _) = enrol(&t, "alice", ALICE_PASSWORD).await;
    settle().await;
    let dead = r#"{"detail":"Two-factor token is invalid or expired.","code":"mfa_token_invalid"}"#;
    // Used.
    let token = token_of_alice(&t, "198.51.100.1").await;
    let r = call!(login_mfa, t, second(&token, &app.code(0)));
    assert_eq!(r.status, 200, "{}", r.body);
    let right = call!(login_mfa, t, second(&token, &app.code(1)));
    let wrong = call!(login_mfa, t, second(&token, "000000"));
    right.assert(401, dead);
    wrong.assert(401, dead);
    assert_eq!(failures_of_alice(&t).await, 0, "nothing charged");
    // Out of attempts (five), each from its own address.
    let token = token_of_alice(&t, "198.51.100.2").await;
    for i in 0..5 {
        let from = format!("203.0.113.{i}");
        let r = call!(login_mfa, t, second(&token, "000000").source_ip(&from));
        r.assert(400, INVALID_CODE);
    }
    let right = call!(login_mfa, t, second(&token, &app.code(1)));
    let wrong = call!(login_mfa, t, second(&token, "000000"));
    right.assert(401, dead);
    wrong.assert(401, dead);
    assert_eq!(
        failures_of_alice(&t).await,
        5,
        "the dead token's tries not charged"
    );
}

/// 2. Guessing codes is bounded per user, whatever the tokens and
/// addresses: at MFA_TOTP_MAX_FAILURES (10) consecutive wrong codes the
/// second step refuses even the right code, for 60 s doubling with each
/// further failure; at 100 (NIST SP 800-63B §5.2.2) until support unlocks
/// it. The password step answers as always; a new token resets nothing;
/// only a completed login forgets the count.
#[tokio::test]
async fn second_factor_guessing_is_bounded_per_user_across_tokens_and_addresses() {
    use integration_tests::auth::store::UserChange;
    let t = spawn_app().await;
    let (app, codes) = enrol(&t, "alice", ALICE_PASSWORD).await;
    settle().await;
    // A new token and address for every wrong code: neither the password
    // throttle nor the per-token bound ever bites.
    for i in 0..10 {
        let from = format!("198.51.100.{i}");
        let token = token_of_alice(&t, &from).await;
        let r = call!(login_mfa, t, second(&token, "000000").source_ip(&from));
        r.assert(400, INVALID_CODE);
    }
    assert_eq!(failures_of_alice(&t).await, 10);
    // Locked: the password step answers as before (no enumeration), but
    // neither the right code nor a recovery code gets through, from
    // anywhere, with any token.
    let from = "192.0.2.77";
    let token = token_of_alice(&t, from).await;
    for code in [app.code(0), codes[0].clone()] {
        let r = call!(login_mfa, t, second(&token, &code).source_ip(from));
        assert!((1..=60).contains(&retry_after(&r)), "{}", r.body);
    }
    assert_eq!(failures_of_alice(&t).await, 10, "refused before any charge");
    // A minute later, one more wrong code locks it for two.
    set_on_user(&t, 1, &[("mfa_locked_until", now() - 1)]).await;
    let r = call!(login_mfa, t, second(&token, "000000").source_ip(from));
    r.assert(400, INVALID_CODE);
    let r = call!(login_mfa, t, second(&token, &app.code(0)).source_ip(from));
    assert!((61..=120).contains(&retry_after(&r)), "{}", r.body);
    // Two minutes later, the right code completes the login and forgets.
    set_on_user(&t, 1, &[("mfa_locked_until", now() - 1)]).await;
    let r = call!(login_mfa, t, second(&token, &app.code(0)).source_ip(from));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(failures_of_alice(&t).await, 0);
    // At the hundredth consecutive failure, only support opens it again.
    set_on_user(&t, 1, &[("mfa_failures", 99), ("mfa_locked_until", 0)]).await;
    let token = token_of_alice(&t, from).await;
    let r = call!(login_mfa, t, second(&token, "000000").source_ip(from));
    r.assert(400, INVALID_CODE);
    set_on_user(&t, 1, &[("mfa_locked_until", now() - 1)]).await;
    let r = call!(login_mfa, t, second(&token, &app.code(1)).source_ip(from));
    r.assert(429, r#"{"detail":"Request was throttled."}"#);
    assert_eq!(r.header("retry-after"), None);
    let unlock = t.app.store.update_user(1, UserChange::UnlockMfa).await;
    unlock.unwrap();
    let r = call!(login_mfa, t, second(&token, &app.code(1)).source_ip(from));
    assert_eq!(r.status, 200, "{}", r.body);
}

/// 2. Racing wrong codes cannot share one count: each code compared was
/// charged first, against the count it read, so however many arrive at
/// once no more than MFA_TOTP_MAX_FAILURES are ever compared.
#[tokio::test]
async fn racing_codes_cannot_outrun_the_count() {
    let t = spawn_app().await;
    enrol(&t, "alice", ALICE_PASSWORD).await;
    let mut tokens = Vec::new();
    for i in 0..5 {
        let from = format!("198.51.100.{i}");
        tokens.push((token_of_alice(&t, &from).await, from));
    }
    let attempts = tokens.iter().flat_map(|(token, from)| {
        (0..4).map(|_| async { call!(login_mfa, t, second(token, "000000").source_ip(from)) })
    });
    let answers = futures::future::join_all(attempts).await;
    let compared = answers.iter().filter(|r| r.status == 400).count() as u64;
    for r in &answers {
        assert!([400, 429].contains(&r.status), "{}: {}", r.status, r.body);
    }
    assert!((1..=10).contains(&compared), "{compared} codes compared");
    assert_eq!(failures_of_alice(&t).await, compared, "each one charged");
}

/// 3. A stolen session or 5-minute access token cannot enrol the thief's
/// authenticator, confirm it, or replace the recovery codes: each needs
/// the current password (ASVS 3.7.1).
#[tokio::test]
async fn a_stolen_credential_cannot_change_a_factor() {
    use integration_tests::totp::base32;
    let t = spawn_app().await;
    let (_, stolen) = pair_of_alice(&t).await;
    let without = call!(mfa, t, Req::post(MFA_TOTP).bearer(&stolen));
    without.assert(400, r#"{"password":["This field is required."]}"#);
    let guessed = json!({"password": "a guess"});
    let r = call!(mfa, t, Req::post(MFA_TOTP).bearer(&stolen).json(&guessed));
    r.assert(400, r#"{"password":["Wrong password."]}"#);
    assert!(
        t.app
            .store
            .user_by_id(1)
            .await
            .unwrap()
            .unwrap()
            .mfa
            .pending
            .is_none(),
        "nothing enrolled"
    );
    // The owner enrols; the thief cannot confirm it, nor replace the codes.
    let with = json!({"password": ALICE_PASSWORD});
    let r = call!(mfa, t, Req::post(MFA_TOTP).bearer(&stolen).json(&with));
    let app = App2fa {
        secret: base32(r.json()["secret"].as_str().unwrap()),
    };
    settle().await;
    let confirm = json!({"password": "a guess", "code": app.code(0)});
    let r = call!(
        mfa,
        t,
        Req::post(MFA_CONFIRM).bearer(&stolen).json(&confirm)
    );
    r.assert(400, r#"{"password":["Wrong password."]}"#);
    assert!(
        !t.app
            .store
            .user_by_id(1)
            .await
            .unwrap()
            .unwrap()
            .mfa
            .is_on()
    );
}

/// 4. Turning TOTP on ends every credential issued before — the phished
/// session and refresh family with the rest — and renews only the
/// caller's own.
#[tokio::test]
async fn turning_totp_on_ends_every_other_session_and_token() {
    let t = spawn_app().await;
    let (session, csrf) = session_of_alice(&t).await;
    let (refresh, access) = pair_of_alice(&t).await;
    let jwt = jwt_of_alice(&t).await;
    enrol(&t, "alice", ALICE_PASSWORD).await;
    call!(info, t, Req::get(INFO).session(&session, &csrf)).assert(401, NOT_PROVIDED);
    assert_eq!(call!(info, t, Req::get(INFO).bearer(&access)).status, 401);
    assert_eq!(
        call!(info, t, Req::get(INFO).header("jwt-auth", &jwt)).status,
        401
    );
    refresh_with(&t, &refresh).await.assert(401, BLACKLISTED);
}

/// The keys of a JSON body that carry a credential or a secret.
const SECRET_KEYS: &[&str] = &[
    "access",
    "refresh",
    "token",
    "mfa_token",
    "secret",
    "otpauth_url",
    "qr_svg",
    "recovery_codes",
];

#[track_caller]
fn assert_no_store_if_secret(case: &str, r: &Resp) {
    let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
    // A field's errors are a list of messages; a secret is a string (or
    // the recovery codes' list of strings, outside any error body).
    let carries = SECRET_KEYS.iter().any(|k| match body.get(k) {
        Some(Value::String(_)) => true,
        Some(Value::Array(_)) => *k == "recovery_codes" && r.status == 200,
        _ => false,
    }) || ["sessionid", "refresh"]
        .iter()
        .any(|c| r.cookie(c).is_some_and(|v| v != r#""""#));
    if carries {
        assert_eq!(
            r.header("cache-control"),
            Some("no-store"),
            "{case}: {}",
            r.body
        );
        assert_eq!(r.header("pragma"), Some("no-cache"), "{case}");
    }
}

/// 6. Every answer that carries a credential or a secret is never stored
/// by a cache (RFC 6749 §5.1): the sample events of every route, and the
/// `mfa_required` answer every password check gives a user with TOTP on.
#[tokio::test]
async fn every_answer_carrying_a_credential_is_no_store() {
    use integration_tests::auth::fixtures::Credentials;
    use integration_tests::auth::web::Auth;
    let t = spawn_app().await;
    let mut seen = 0;
    for route in ROUTES.iter() {
        let dir = workspace().join("events").join(route.function);
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let template = std::fs::read_to_string(&path).unwrap();
            let alice = t.app.store.user_by_id(t.alice.id).await.unwrap().unwrap();
            let text = Credentials::mint(&t.app, &alice)
                .await
                .unwrap()
                .fill(&template);
            let event = integration_tests::auth::lambda_http::request::from_str(&text).unwrap();
            let r = Resp::from_response(route.invoke(&t.app, event).await);
            assert_no_store_if_secret(&path.display().to_string(), &r);
            seen += 1;
        }
    }
    assert!(seen > 50);
    // The password step of a user with TOTP on, on every path that checks
    // a password: login bodies, and Basic on every authenticating route.
    enrol(&t, "bob", BOB_PASSWORD).await;
    let mut challenged = 0;
    for route in ROUTES.iter() {
        let mut requests = vec![];
        if route.auth != Auth::None {
            requests.push(Req::new(route.method(), route.path).basic("bob", BOB_PASSWORD));
        }
        if [LOGIN, JWT_LOGIN, OBTAIN].contains(&route.path) {
            requests.push(credentials(route.path, "bob", BOB_PASSWORD));
        }
        for req in requests {
            let r = Resp::from_response(route.invoke(&t.app, req.build()).await);
            challenge(&r);
            assert_no_store_if_secret(route.path, &r);
            challenged += 1;
        }
    }
    assert!(challenged > 5);
}

/// 7. Deleting a user removes their second factor with the rest of their
/// credentials: no table holds the sealed secret, its step or the
/// recovery-code hashes afterwards.
#[tokio::test]
async fn deleting_a_user_leaves_no_second_factor_anywhere() {
    let t = spawn_app().await;
    enrol(&t, "bob", BOB_PASSWORD).await;
    let bob = t.app.store.user_by_id(t.bob.id).await.unwrap().unwrap();
    let sealed = bob.mfa.totp.clone().unwrap();
    t.app.store.delete_user(&bob).await.unwrap();
    t.app.store.end_sessions(bob.id).await.unwrap();
    let everything = integration_tests::snapshot(&t.app.store).await.join("\n");
    for attribute in ["totp", "totp_step", "totp_pending", "recovery"] {
        assert!(
            !everything.contains(&format!("{attribute}=")),
            "{attribute} left behind:\n{everything}"
        );
    }
    assert!(!everything.contains(&sealed));
    assert!(
        t.app
            .store
            .session("nosuchsessionnosuchsession000000")
            .await
            .unwrap()
            .is_none()
    );
}
