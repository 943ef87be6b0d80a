//! Forgotten passwords: `password/reset` and `password/reset/confirm`
//! (dj-rest-auth's shapes), the token's life (single use, one per user,
//! void after a login, a password change or its timeout), and what a
//! completed reset ends.

use integration_tests::auth::mail::Job;
use integration_tests::auth::store::{UserChange, UserStore};
use integration_tests::{ALICE_PASSWORD, password_hash};

use crate::helpers::*;
use crate::mail::unique_address;
use crate::signup::Accounts;

const SENT: &str = r#"{"detail":"Password reset e-mail has been sent."}"#;
const DONE: &str = r#"{"detail":"Password has been reset with the new password."}"#;
const NEW_PASSWORD: &str = "an entirely new passphrase";
const BAD_TOKEN: &str = r#"{"token":["Invalid value"]}"#;

/// Alice with a verified address.
async fn alice_with_address(a: &Accounts) -> String {
    let email = unique_address();
    give_address(&a.t, &email).await;
    email
}

/// The uid and token of a reset link (`/reset/{uid}/{token}`).
fn uid_token(link: &str) -> (String, String) {
    let parts: Vec<&str> = link.rsplitn(3, '/').collect();
    (parts[1].to_owned(), parts[0].to_owned())
}

fn confirm(uid: &str, token: &str, new1: &str, new2: &str) -> Req {
    Req::post(PASSWORD_RESET_CONFIRM).json(&json!({
        "uid": uid, "token": token, "new_password1": new1, "new_password2": new2,
    }))
}

fn login(password: &str) -> Req {
    Req::post(LOGIN).json(&json!({"username": "alice", "password": password}))
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let a = Accounts::new(&[]).await;
    let email = alice_with_address(&a).await;
    let session = call!(login, a.t, login(ALICE_PASSWORD));
    assert_eq!(session.status, 200);
    let r = call!(
        password_reset,
        a.t,
        Req::post(PASSWORD_RESET).json(&json!({"email": email.to_uppercase()}))
    );
    assert_eq!((r.status, r.body.as_str()), (200, SENT));
    let links = a.links(&email).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "Password reset");
    let (uid, token) = uid_token(&links[0].1);
    assert_eq!(uid, "1");

    let r = call!(
        password_reset,
        a.t,
        confirm(&uid, &token, NEW_PASSWORD, "another")
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"new_password2":["The two password fields didn't match."]}"#
        )
    );
    let r = call!(
        password_reset,
        a.t,
        confirm(&uid, &token, "12345678", "12345678")
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"new_password2":["This password is too common.","This password is entirely numeric."]}"#
        )
    );
    let r = call!(
        password_reset,
        a.t,
        confirm(&uid, &token, NEW_PASSWORD, NEW_PASSWORD)
    );
    assert_eq!((r.status, r.body.as_str()), (200, DONE));
    assert!(r.set_cookies().is_empty(), "a reset logs nobody in");
    let r = call!(
        password_reset,
        a.t,
        confirm(
            &uid,
            &token,
            "yet another passphrase",
            "yet another passphrase"
        )
    );
    assert_eq!((r.status, r.body.as_str()), (400, BAD_TOKEN));

    // The old session is over; the old password refused, the new one works.
    let cookie = session.cookie("sessionid").unwrap();
    let r = call!(info, a.t, Req::get(INFO).cookie("sessionid", &cookie));
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(call!(login, a.t, login(ALICE_PASSWORD)).status, 403);
    assert_eq!(call!(login, a.t, login(NEW_PASSWORD)).status, 200);
}

#[tokio::test]
async fn an_unknown_address_answers_the_same_and_nothing_is_sent() {
    let a = Accounts::new(&[]).await;
    let unknown = unique_address();
    let r = call!(
        password_reset,
        a.t,
        Req::post(PASSWORD_RESET).json(&json!({"email": unknown}))
    );
    assert_eq!((r.status, r.body.as_str()), (200, SENT));
    assert!(a.links(&unknown).await.is_empty());
    let r = call!(
        password_reset,
        a.t,
        Req::post(PASSWORD_RESET).json(&json!({"email": "nope"}))
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, r#"{"email":["Enter a valid email address."]}"#)
    );
}

#[tokio::test]
async fn a_token_dies_with_a_newer_reset_a_login_a_password_change_and_its_timeout() {
    let a = Accounts::new(&[]).await;
    let email = alice_with_address(&a).await;
    let reset = || Job::PasswordReset {
        email: email.clone(),
    };
    let refused = |r: Resp| assert_eq!((r.status, r.body.as_str()), (400, BAD_TOKEN));

    // A newer reset voids the older.
    let older = uid_token(&a.mint(reset(), now()).await.unwrap());
    let newer = uid_token(&a.mint(reset(), now()).await.unwrap());
    refused(call!(
        password_reset,
        a.t,
        confirm(&older.0, &older.1, NEW_PASSWORD, NEW_PASSWORD)
    ));

    // A login voids it.
    assert_eq!(call!(login, a.t, login(ALICE_PASSWORD)).status, 200);
    refused(call!(
        password_reset,
        a.t,
        confirm(&newer.0, &newer.1, NEW_PASSWORD, NEW_PASSWORD)
    ));

    // A password change voids it.
    let (uid, token) = uid_token(&a.mint(reset(), now()).await.unwrap());
    let changed = UserChange::password(password_hash("a changed passphrase"));
    a.t.app
        .store
        .update_user(a.t.alice.id, changed)
        .await
        .unwrap();
    refused(call!(
        password_reset,
        a.t,
        confirm(&uid, &token, NEW_PASSWORD, NEW_PASSWORD)
    ));

    // Its timeout voids it.
    let (uid, token) = uid_token(&a.mint(reset(), now() - 259_200 - 1).await.unwrap());
    refused(call!(
        password_reset,
        a.t,
        confirm(&uid, &token, NEW_PASSWORD, NEW_PASSWORD)
    ));

    // A forged one, and one for another user, never worked.
    let (uid, _) = uid_token(&a.mint(reset(), now()).await.unwrap());
    refused(call!(
        password_reset,
        a.t,
        confirm(&uid, "forged-token", NEW_PASSWORD, NEW_PASSWORD)
    ));
    let user = stored_user(&a.t, a.t.alice.id).await;
    assert_eq!(user.password, password_hash("a changed passphrase"));
}

#[tokio::test]
async fn a_uid_naming_nobody_is_invalid() {
    let a = Accounts::new(&[]).await;
    for uid in ["zz", "-1", "not base 36!", "3w5e11264sgsg"] {
        let r = call!(
            password_reset,
            a.t,
            confirm(uid, "t", NEW_PASSWORD, NEW_PASSWORD)
        );
        assert_eq!(
            (r.status, r.body.as_str()),
            (400, r#"{"uid":["Invalid value"]}"#),
            "{uid}"
        );
    }
    let r = call!(
        password_reset,
        a.t,
        Req::post(PASSWORD_RESET_CONFIRM).json(&json!({"uid": "1"}))
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"token":["This field is required."],"new_password1":["This field is required."],"new_password2":["This field is required."]}"#
        )
    );
}

#[tokio::test]
async fn reset_is_off_by_default() {
    let t = integration_tests::spawn_app().await;
    for path in [PASSWORD_RESET, PASSWORD_RESET_CONFIRM] {
        let r = call!(
            password_reset,
            t,
            Req::post(path).json(&json!({"email": "a@b.example"}))
        );
        assert_eq!(
            (r.status, r.body.as_str()),
            (404, r#"{"detail":"Not found."}"#)
        );
    }
}

#[tokio::test]
async fn after_a_reset_a_totp_user_still_needs_the_second_factor() {
    let a = Accounts::new(&[]).await;
    let email = alice_with_address(&a).await;
    let (app2fa, _) = crate::mfa::enrol(&a.t, "alice", ALICE_PASSWORD).await;
    let link = a.mint(Job::PasswordReset { email }, now()).await.unwrap();
    let (uid, token) = uid_token(&link);
    let r = call!(
        password_reset,
        a.t,
        confirm(&uid, &token, NEW_PASSWORD, NEW_PASSWORD)
    );
    assert_eq!((r.status, r.body.as_str()), (200, DONE));
    // The new password is only the first step: the code is still asked for.
    let r = call!(login, a.t, login(NEW_PASSWORD));
    let mfa_token = crate::mfa::challenge(&r);
    crate::mfa::settle().await;
    let r = call!(
        login_mfa,
        a.t,
        crate::mfa::second(&mfa_token, &app2fa.code(0))
    );
    assert_eq!(r.status, 200, "{}", r.body);
}
