//! Two-factor authentication against the DynamoDB-API server, with codes
//! from an independent RFC 6238 implementation (HMAC-SHA-1 from the `hmac`
//! and `sha1` crates, checked against the RFC's appendix B vectors):
//! enrolment, confirmation, each login through `login/mfa`, replay,
//! throttling, recovery codes, bad tokens and codes, disabling.

use integration_tests::auth::store::UserStore;
use integration_tests::{BOB_PASSWORD, TestApp, spawn_app, spawn_app_with};

use crate::helpers::*;

pub use integration_tests::totp::{base32, totp};

#[test]
fn the_independent_totp_passes_rfc_6238_appendix_b() {
    let secret = b"12345678901234567890";
    for (time, code) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(totp(secret, time, 8), code, "T={time}");
    }
    assert_eq!(base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), secret);
}

/// A user's authenticator: their secret, and the codes it shows.
pub(crate) struct App2fa {
    pub(crate) secret: Vec<u8>,
}

impl App2fa {
    /// The code of the step `steps` from now.
    pub(crate) fn code(&self, steps: i64) -> String {
        totp(&self.secret, now() + 30 * steps, 6)
    }
}

/// Waits, if need be, until at least 20 seconds of the current time step
/// are left, so that a test's codes stay within their window.
pub async fn settle() {
    let into = now() % 30;
    if into > 10 {
        tokio::time::sleep(std::time::Duration::from_secs((31 - into) as u64)).await;
    }
}

/// alice enrols through the API with a Bearer token: her authenticator and
/// recovery codes.
/// `username`'s user item as stored.
async fn stored(t: &TestApp, username: &str) -> integration_tests::auth::store::User {
    let user = t.app.store.user_by_username(username).await.unwrap();
    user.expect("the user exists")
}

pub(crate) async fn enrol(t: &TestApp, username: &str, password: &str) -> (App2fa, Vec<String>) {
    let (_, access) = pair_of(t, username, password).await;
    let with_password = json!({ "password": password });
    let r = call!(
        mfa,
        t,
        Req::post(MFA_TOTP).bearer(&access).json(&with_password)
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let v = r.json();
    let secret = v["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32);
    let url = v["otpauth_url"].as_str().unwrap();
    assert_eq!(
        url,
        format!(
            "otpauth://totp/auth:{username}?secret={secret}&issuer=auth&algorithm=SHA1&digits=6&period=30"
        )
    );
    assert!(v["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    let app = App2fa {
        secret: base32(secret),
    };
    let user = stored(t, username).await;
    assert!(!user.mfa.is_on(), "pending only");
    let pending = user.mfa.pending.clone().unwrap();
    assert!(!pending.contains(secret), "sealed at rest");

    // Enrolment again: a new pending secret replaces the first.
    let wrong = call!(
        mfa,
        t,
        Req::post(MFA_CONFIRM)
            .bearer(&access)
            .json(&json!({"password": password, "code": "000000"}))
    );
    wrong.assert(400, r#"{"code":["Invalid code."]}"#);
    settle().await;
    let r = call!(
        mfa,
        t,
        Req::post(MFA_CONFIRM)
            .bearer(&access)
            .json(&json!({"password": password, "code": app.code(-1)}))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let codes: Vec<String> = serde_json::from_value(r.json()["recovery_codes"].clone()).unwrap();
    // Turning TOTP on ends every other credential; the caller's is renewed.
    assert_eq!(call!(info, t, Req::get(INFO).bearer(&access)).status, 401);
    let access = r.json()["access"].as_str().unwrap().to_owned();
    assert_eq!(codes.len(), 10);
    let user = stored(t, username).await;
    assert!(user.mfa.is_on());
    assert!(
        codes.iter().all(|c| !user.mfa.recovery.contains(c)),
        "hashed"
    );
    let again = call!(
        mfa,
        t,
        Req::post(MFA_TOTP).bearer(&access).json(&with_password)
    );
    assert_eq!(again.status, 409, "{}", again.body);
    (app, codes)
}

pub(crate) fn challenge(r: &Resp) -> String {
    assert_eq!(r.status, 401, "{}", r.body);
    let v = r.json();
    assert_eq!(v["detail"], "Two-factor code required.");
    assert_eq!(v["code"], "mfa_required");
    assert_eq!(v.as_object().unwrap().len(), 3);
    v["mfa_token"].as_str().unwrap().to_owned()
}

pub(crate) fn second(token: &str, code: &str) -> Req {
    Req::post(LOGIN_MFA).json(&json!({"mfa_token": token, "code": code}))
}

#[tokio::test]
async fn enrol_confirm_each_login_through_login_mfa_then_disable() {
    let t = spawn_app().await;
    // Confirmed with the previous step's code: the current and the next
    // are left for two logins, within this step.
    let (app, codes) = enrol(&t, "alice", ALICE_PASSWORD).await;

    // login: session cookies and {"message":"success"}.
    let token = challenge(&call!(login, t, alice_credentials(LOGIN)));
    let r = call!(login_mfa, t, second(&token, &app.code(0)));
    r.assert(200, r#"{"message":"success"}"#);
    let session = r.cookie("sessionid").expect("a session");
    let csrf = r.cookie("csrftoken").expect("a CSRF cookie");
    call!(info, t, Req::get(INFO).session(&session, &csrf)).assert(200, ALICE);
    // The token is single use.
    let again = call!(login_mfa, t, second(&token, &app.code(1)));
    again.assert(
        401,
        r#"{"detail":"Two-factor token is invalid or expired.","code":"mfa_token_invalid"}"#,
    );

    // login/jwt: {"token"}; the used step is refused, two ahead too.
    let token = challenge(&call!(jwt_login, t, alice_credentials(JWT_LOGIN)));
    for refused in [app.code(0), app.code(-1), app.code(2)] {
        let r = call!(login_mfa, t, second(&token, &refused));
        r.assert(400, r#"{"code":["Invalid code."]}"#);
    }
    let r = call!(login_mfa, t, second(&token, &app.code(1)));
    assert_eq!(r.status, 200, "{}", r.body);
    let jwt = r.json()["token"].as_str().unwrap().to_owned();
    call!(info, t, Req::get(INFO).header("jwt-auth", &jwt)).assert(200, ALICE);

    // login/simpleJWT: the pair, with a recovery code.
    let token = challenge(&call!(token_obtain_pair, t, alice_credentials(OBTAIN)));
    let r = call!(login_mfa, t, second(&token, &codes[0]));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let access = v["access"].as_str().unwrap().to_owned();
    assert!(v["refresh"].is_string());
    call!(info, t, Req::get(INFO).bearer(&access)).assert(200, ALICE);

    // Basic authentication: challenged too.
    challenge(&call!(
        info,
        t,
        Req::get(INFO).basic("alice", ALICE_PASSWORD)
    ));

    // A wrong password answers as for anyone else.
    call!(login, t, credentials(LOGIN, "alice", "nope")).assert(403, "");
    let wrong = call!(token_obtain_pair, t, credentials(OBTAIN, "alice", "nope"));
    wrong.assert(
        401,
        r#"{"detail":"No active account found with the given credentials"}"#,
    );

    // Disable: the password and a code; every other credential ends, the
    // caller's is renewed.
    let bad = call!(
        mfa,
        t,
        Req::post(MFA_DISABLE)
            .bearer(&access)
            .json(&json!({"password": "nope", "code": codes[1]}))
    );
    bad.assert(400, r#"{"password":["Wrong password."]}"#);
    let r = call!(
        mfa,
        t,
        Req::post(MFA_DISABLE)
            .bearer(&access)
            .json(&json!({"password": ALICE_PASSWORD, "code": codes[1]}))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let renewed = r.json()["access"].as_str().unwrap().to_owned();
    call!(info, t, Req::get(INFO).bearer(&renewed)).assert(200, ALICE);
    assert_eq!(call!(info, t, Req::get(INFO).bearer(&access)).status, 401);
    let old_jwt = call!(info, t, Req::get(INFO).header("jwt-auth", &jwt));
    assert_eq!(old_jwt.status, 401);
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
    session_of_alice(&t).await;
}

#[tokio::test]
async fn recovery_codes_work_once_and_can_be_replaced() {
    let t = spawn_app().await;
    let (app, codes) = enrol(&t, "alice", ALICE_PASSWORD).await;
    let token = challenge(&call!(token_obtain_pair, t, alice_credentials(OBTAIN)));
    let r = call!(login_mfa, t, second(&token, &codes[0].to_uppercase()));
    assert_eq!(r.status, 200, "{}", r.body);
    let access = r.json()["access"].as_str().unwrap().to_owned();
    let token = challenge(&call!(token_obtain_pair, t, alice_credentials(OBTAIN)));
    let r = call!(login_mfa, t, second(&token, &codes[0]));
    r.assert(400, r#"{"code":["Invalid code."]}"#);
    // New codes: the old ones are void.
    let r = call!(
        mfa,
        t,
        Req::post(MFA_RECOVERY)
            .bearer(&access)
            .json(&json!({"password": ALICE_PASSWORD, "code": codes[1]}))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh: Vec<String> = serde_json::from_value(r.json()["recovery_codes"].clone()).unwrap();
    assert_eq!(fresh.len(), 10);
    let r = call!(login_mfa, t, second(&token, &codes[2]));
    r.assert(400, r#"{"code":["Invalid code."]}"#);
    let r = call!(login_mfa, t, second(&token, &fresh[0]));
    assert_eq!(r.status, 200, "{}", r.body);
    let _ = app;
}

#[tokio::test]
async fn wrong_codes_are_throttled_and_kill_the_token() {
    let t = spawn_app_with(&[("THROTTLE_USERNAME_ADDRESS_LIMIT", "5")]).await;
    let (app, _) = enrol(&t, "alice", ALICE_PASSWORD).await;
    let token = challenge(&call!(token_obtain_pair, t, alice_credentials(OBTAIN)));
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = call!(login_mfa, t, second(&token, "000000"));
        statuses.push(r.status);
    }
    assert_eq!(statuses[..5], [400; 5]);
    assert_eq!(statuses[5], 429, "the sixth wrong code is throttled");
    // From another address, the token is dead all the same.
    let r = call!(
        login_mfa,
        t,
        second(&token, &app.code(1)).source_ip("198.51.100.7")
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["code"], "mfa_token_invalid");
}

#[tokio::test]
async fn bad_tokens_and_codes_are_clear_refusals_that_write_nothing() {
    let t = spawn_app().await;
    let (alice, _) = enrol(&t, "alice", ALICE_PASSWORD).await;
    let (bob, _) = enrol(&t, "bob", BOB_PASSWORD).await;
    let token = challenge(&call!(token_obtain_pair, t, alice_credentials(OBTAIN)));
    // (A snapshot prints the recovery map in no fixed order: compare users.)
    let users = || async {
        let a = t.app.store.user_by_id(1).await.unwrap();
        let b = t.app.store.user_by_id(2).await.unwrap();
        (a, b)
    };
    let before = users().await;
    let tables = t.app.store.tables();
    let others = [&tables.sessions, &tables.blacklist];
    let count = || async {
        let mut n = 0;
        for table in others {
            let out = t
                .app
                .store
                .client()
                .scan()
                .table_name(table.as_str())
                .send()
                .await;
            n += out.unwrap().count;
        }
        n
    };
    let written = count().await;
    for bad in [
        "",
        "12345",
        "1234567",
        "123 456",
        "12345a",
        "１２３４５６",
        "abcde fghij",
    ] {
        let r = call!(login_mfa, t, second(&token, bad));
        assert_eq!(r.status, 400, "{bad:?}: {}", r.body);
        assert!(r.json().is_object());
    }
    for forged in ["x", "a.b", &format!("{token}x"), &token.replace('.', ".0")] {
        let r = call!(login_mfa, t, second(forged, &alice.code(0)));
        assert_eq!(r.status, 401, "{forged:?}: {}", r.body);
        assert_eq!(r.json()["code"], "mfa_token_invalid");
    }
    let missing = call!(
        login_mfa,
        t,
        Req::post(LOGIN_MFA).json(&json!({"code": "123456"}))
    );
    missing.assert(400, r#"{"mfa_token":["This field is required."]}"#);
    assert_eq!(users().await, before);
    assert_eq!(count().await, written);
    // alice's token with bob's code.
    let r = call!(login_mfa, t, second(&token, &bob.code(0)));
    assert_eq!(r.status, 400, "{}", r.body);
    let r = call!(login_mfa, t, second(&token, &alice.code(0)));
    assert_eq!(r.status, 200, "{}", r.body);
    // Expired: signed by us, but past its five minutes.
    let old = integration_tests::auth::credentials::mfa::MfaClaims {
        jti: "0123456789abcdef0123456789abcdef".into(),
        uid: 1,
        usr: "alice".into(),
        generation: 0,
        end: integration_tests::auth::credentials::mfa::Endpoint::ObtainPair,
        iat: now() - 400,
        exp: now() - 100,
    };
    let expired = t.app.mfa.issue_token(&old);
    let r = call!(login_mfa, t, second(&expired, &alice.code(1)));
    assert_eq!(r.json()["code"], "mfa_token_invalid");
    assert_eq!(r.status, 401, "{}", r.body);
    // Confirm without a pending secret, enrolment while on.
    let (_, access) = {
        let token = challenge(&call!(
            token_obtain_pair,
            t,
            credentials(OBTAIN, "bob", BOB_PASSWORD)
        ));
        let r = call!(login_mfa, t, second(&token, &bob.code(0)));
        assert_eq!(r.status, 200, "{}", r.body);
        ((), r.json()["access"].as_str().unwrap().to_owned())
    };
    let r = call!(
        mfa,
        t,
        Req::post(MFA_CONFIRM)
            .bearer(&access)
            .json(&json!({"password": BOB_PASSWORD, "code": bob.code(1)}))
    );
    assert_eq!(r.status, 409, "{}", r.body);
    let r = call!(
        mfa,
        t,
        Req::post(MFA_TOTP)
            .bearer(&access)
            .json(&json!({"password": BOB_PASSWORD}))
    );
    assert_eq!(r.status, 409, "{}", r.body);
}

#[tokio::test]
async fn users_without_totp_see_no_mfa_anywhere() {
    let t = spawn_app().await;
    session_of_alice(&t).await;
    pair_of_alice(&t).await;
    jwt_of_alice(&t).await;
    call!(info, t, Req::get(INFO).basic("alice", ALICE_PASSWORD)).assert(200, ALICE);
    let (_, access) = pair_of_alice(&t).await;
    for path in [MFA_CONFIRM, MFA_RECOVERY] {
        let r = call!(
            mfa,
            t,
            Req::post(path)
                .bearer(&access)
                .json(&json!({"password": ALICE_PASSWORD, "code": "123456"}))
        );
        assert_eq!(r.status, 409, "{path}: {}", r.body);
    }
    let _ = spawn_app_with;
}

#[tokio::test]
async fn a_session_enrols_with_csrf_and_basic_completes_as_a_session_login() {
    use integration_tests::auth::store::SessionStore;
    let t = spawn_app().await;
    let (session, csrf) = session_of_alice(&t).await;
    // Another browser of alice's, whose session a later login replaces.
    let (browser, _) = session_of_alice(&t).await;
    let enrol = || Req::post(MFA_TOTP).json(&json!({"password": ALICE_PASSWORD}));
    let r = call!(mfa, t, enrol().session(&session, &csrf));
    assert_eq!(r.status, 403, "CSRF as usual: {}", r.body);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("CSRF Failed")
    );
    let r = call!(mfa, t, enrol().session_with_csrf(&session, &csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    let app = App2fa {
        secret: base32(r.json()["secret"].as_str().unwrap()),
    };
    settle().await;
    let confirm = Req::post(MFA_CONFIRM)
        .session_with_csrf(&session, &csrf)
        .json(&json!({"password": ALICE_PASSWORD, "code": app.code(-1)}));
    let r = call!(mfa, t, confirm);
    assert_eq!(r.status, 200, "{}", r.body);
    // Turning TOTP on renews the session that did it and ends the others.
    let (session, csrf) = (
        r.cookie("sessionid").expect("a new session"),
        r.cookie("csrftoken").expect("a new CSRF cookie"),
    );
    call!(info, t, Req::get(INFO).session(&session, &csrf)).assert(200, ALICE);
    let other = call!(info, t, Req::get(INFO).cookie("sessionid", &browser));
    assert_eq!(other.status, 401, "{}", other.body);
    // A Basic caller is challenged and its mfa_token completes as a
    // session login.
    let token = challenge(&call!(
        info,
        t,
        Req::get(INFO).basic("alice", ALICE_PASSWORD)
    ));
    let r = call!(
        login_mfa,
        t,
        second(&token, &app.code(0)).cookie("sessionid", &browser)
    );
    r.assert(200, r#"{"message":"success"}"#);
    let new = r.cookie("sessionid").expect("a session");
    assert_ne!(new, browser, "a login never reuses the key sent");
    assert!(
        t.app.store.session(&browser).await.unwrap().is_none(),
        "the session the browser had is replaced, as by login"
    );
    // Disabling by session renews the session: the old one is gone.
    let disable = Req::post(MFA_DISABLE)
        .session_with_csrf(&session, &csrf)
        .json(&json!({"password": ALICE_PASSWORD, "code": app.code(1)}));
    let r = call!(mfa, t, disable);
    r.assert(200, "{}");
    let renewed = r.cookie("sessionid").expect("a new session");
    assert_ne!(renewed, session);
    let csrf = r.cookie("csrftoken").expect("a new CSRF cookie");
    call!(info, t, Req::get(INFO).session(&renewed, &csrf)).assert(200, ALICE);
    call!(info, t, Req::get(INFO).basic("alice", ALICE_PASSWORD)).assert(200, ALICE);
}

#[tokio::test]
async fn a_login_reseals_the_secret_under_the_current_key_so_the_old_one_can_go() {
    use integration_tests::app_on;
    const OLD: &str = "the-old-signing-key-0123456789abcdef-xyz";
    const NEW: &str = "the-new-signing-key-0123456789abcdef-xyz";
    let mut t = spawn_app_with(&[("ALGORITHM", "HS256"), ("SIGNING_KEYS", OLD)]).await;
    let (app, _) = enrol(&t, "alice", ALICE_PASSWORD).await;
    let store = t.app.store.clone();
    let sealed = || async {
        let user = store.user_by_id(1).await.unwrap().unwrap();
        user.mfa.totp.unwrap()
    };
    let before = sealed().await;
    let both = format!("{NEW},{OLD}");
    t.app = app_on(
        &t.app.store,
        &[("ALGORITHM", "HS256"), ("SIGNING_KEYS", &both)],
    );
    assert!(!t.app.mfa.sealed_with_current_key(&before));
    let token = challenge(&call!(token_obtain_pair, t, alice_credentials(OBTAIN)));
    let r = call!(login_mfa, t, second(&token, &app.code(0)));
    assert_eq!(r.status, 200, "{}", r.body);
    let after = sealed().await;
    assert!(t.app.mfa.sealed_with_current_key(&after));
    // The old key retired: the resealed secret still opens.
    t.app = app_on(
        &t.app.store,
        &[("ALGORITHM", "HS256"), ("SIGNING_KEYS", NEW)],
    );
    let token = challenge(&call!(token_obtain_pair, t, alice_credentials(OBTAIN)));
    let r = call!(login_mfa, t, second(&token, &app.code(1)));
    assert_eq!(r.status, 200, "{}", r.body);
}
