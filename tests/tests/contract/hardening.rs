//! The security review's findings (issue 21), each as its attack: every
//! test here failed before its fix.

use integration_tests::auth::store::{SessionStore, UserStore};
use integration_tests::{BOB_PASSWORD, ROUTES, spawn_app, workspace};

use crate::helpers::*;
use crate::mfa::{App2fa, challenge, enrol, settle};

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
