//! Token and session lifecycle beyond simplejwt: single-use rotation,
//! reuse detection and the reuse interval, logout everywhere, password
//! change, and signing-key rotation — all against the DynamoDB-API server.

use integration_tests::auth::store::SessionStore;
use integration_tests::{
    ALICE_PASSWORD, BOB_PASSWORD, Req, Resp, TestApp, app_on, call, spawn_app, spawn_app_with,
};
use serde_json::json;

use crate::helpers::*;

async fn generation(t: &TestApp) -> u64 {
    use integration_tests::auth::store::UserStore;
    t.app.store.user_by_id(1).await.unwrap().unwrap().generation
}

fn refresh_of(r: &Resp) -> String {
    r.json()["refresh"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

/// alice logged in every way: a session, a token pair, a jwt-login token.
struct Logins {
    session: String,
    refresh: String,
    access: String,
    jwt: String,
}

async fn logged_in_every_way(t: &TestApp) -> Logins {
    let (session, _) = session_of_alice(t).await;
    let (refresh, access) = pair_of_alice(t).await;
    let jwt = jwt_of_alice(t).await;
    Logins {
        session,
        refresh,
        access,
        jwt,
    }
}

// --------------------------------------------------------------------------
// Rotation

#[tokio::test]
async fn twenty_concurrent_refreshes_of_one_token_have_exactly_one_winner() {
    racing_rotations(24).await;
}

#[tokio::test]
async fn within_the_reuse_interval_retries_get_the_same_successor() {
    let t = rotating_app(&[("REFRESH_REUSE_INTERVAL", "30")]).await;
    let (t0, _) = pair_of_alice(&t).await;
    // concurrent retries of one token: all answered, with one successor
    let results = futures::future::join_all((0..20).map(|_| refresh_with(&t, &t0))).await;
    assert!(
        results.iter().all(|r| r.status == 200),
        "{:?}",
        results.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    // The same successor: the same claims (byte for byte, too, for HS256,
    // RS256 and EdDSA; ECDSA signatures are randomized).
    let t1 = refresh_of(&results[0]);
    assert!(
        results
            .iter()
            .all(|r| claims(&refresh_of(r)) == claims(&t1)),
        "one successor for all"
    );
    // a later retry, still in the interval: the same successor again
    assert_eq!(
        claims(&refresh_of(&refresh_with(&t, &t0).await)),
        claims(&t1)
    );
    // the successor moves on; now t0 is not the immediately previous token
    let r = refresh_with(&t, &t1).await;
    assert_eq!(r.status, 200);
    let t2 = refresh_of(&r);
    refresh_with(&t, &t0).await.assert(401, BLACKLISTED);
    // ... and that reuse revoked the family, t2 included
    refresh_with(&t, &t2).await.assert(401, BLACKLISTED);
}

#[tokio::test]
async fn reuse_revokes_the_whole_family_but_not_other_logins() {
    let t = rotating_app(&[]).await;
    let (a0, _) = pair_of_alice(&t).await;
    let (other, _) = pair_of_alice(&t).await; // a second login: its own family
    let a1 = refresh_of(&refresh_with(&t, &a0).await);
    let a2 = refresh_of(&refresh_with(&t, &a1).await);
    assert_eq!(claims(&a2)["fam"], claims(&a0)["fam"]);
    // an attacker replays a1
    refresh_with(&t, &a1).await.assert(401, BLACKLISTED);
    refresh_with(&t, &a2).await.assert(401, BLACKLISTED);
    call!(token_verify, t, verify_req(&a2))
        .assert(400, r#"{"non_field_errors":["Token is blacklisted"]}"#);
    call!(token_blacklist, t, blacklist_req(&a2)).assert(401, BLACKLISTED);
    assert_eq!(
        refresh_with(&t, &other).await.status,
        200,
        "another family is untouched"
    );
}

#[tokio::test]
async fn reuse_detection_can_be_turned_off() {
    let t = rotating_app(&[("REFRESH_REUSE_DETECTION", "false")]).await;
    let (a0, _) = pair_of_alice(&t).await;
    let a1 = refresh_of(&refresh_with(&t, &a0).await);
    refresh_with(&t, &a0).await.assert(401, BLACKLISTED);
    assert_eq!(
        refresh_with(&t, &a1).await.status,
        200,
        "the family lives on"
    );
}

#[tokio::test]
async fn a_client_blacklisted_token_is_not_a_reuse() {
    let t = rotating_app(&[]).await;
    let (a0, _) = pair_of_alice(&t).await;
    let (b0, _) = pair_of_alice(&t).await;
    call!(token_blacklist, t, blacklist_req(&b0)).assert(200, "{}");
    refresh_with(&t, &b0).await.assert(401, BLACKLISTED);
    assert_eq!(refresh_with(&t, &a0).await.status, 200);
}

// --------------------------------------------------------------------------
// Logout everywhere

#[tokio::test]
async fn logout_all_ends_every_session_and_token_issued_before() {
    let t = spawn_app().await;
    let alice = logged_in_every_way(&t).await;
    let (bob_refresh, bob_access) = pair_of(&t, "bob", BOB_PASSWORD).await;

    let r = call!(logout_all, t, Req::post(LOGOUT_ALL).bearer(&alice.access));
    r.assert(200, "");
    assert_eq!(r.header("content-type"), None);

    let r = call!(info, t, Req::get(INFO).cookie("sessionid", &alice.session));
    r.assert(401, NOT_PROVIDED);
    assert_eq!(
        r.cookie("sessionid").as_deref(),
        Some(r#""""#),
        "the dead session's cookie is deleted"
    );
    assert!(
        t.app.store.session(&alice.session).await.unwrap().is_none(),
        "and the session flushed"
    );
    let r = call!(info, t, Req::get(INFO).bearer(&alice.access));
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["messages"][0]["message"],
        json!("Token is blacklisted")
    );
    call!(info, t, Req::get(INFO).header("jwt-auth", &alice.jwt))
        .assert(401, r#"{"detail":"Invalid Token"}"#);
    refresh_with(&t, &alice.refresh)
        .await
        .assert(401, BLACKLISTED);
    call!(token_blacklist, t, blacklist_req(&alice.refresh)).assert(401, BLACKLISTED);
    for token in [&alice.access, &alice.refresh] {
        call!(token_verify, t, verify_req(token))
            .assert(400, r#"{"non_field_errors":["Token is blacklisted"]}"#);
    }
    // other users are untouched
    assert_eq!(refresh_with(&t, &bob_refresh).await.status, 200);
    call!(info, t, Req::get(INFO).bearer(&bob_access)).assert(200, r#"{"id":2,"username":"bob"}"#);
    // and logging in again works at once
    let (_, fresh) = pair_of_alice(&t).await;
    call!(info, t, Req::get(INFO).bearer(&fresh)).assert(200, ALICE);
    let (session, _) = session_of_alice(&t).await;
    call!(info, t, Req::get(INFO).cookie("sessionid", &session)).assert(200, ALICE);
}

#[tokio::test]
async fn logout_all_is_authenticated_like_logout() {
    let t = spawn_app().await;
    call!(logout_all, t, Req::post(LOGOUT_ALL)).assert(401, NOT_PROVIDED);
    let (session, csrf) = session_of_alice(&t).await;
    call!(
        logout_all,
        t,
        Req::post(LOGOUT_ALL).session(&session, &csrf)
    )
    .assert(403, r#"{"detail":"CSRF Failed: CSRF token missing."}"#);
    assert_eq!(generation(&t).await, 0, "a refused request changes nothing");
    let r = call!(
        logout_all,
        t,
        Req::post(LOGOUT_ALL).session_with_csrf(&session, &csrf)
    );
    r.assert(200, "");
    assert_eq!(r.cookie("sessionid").as_deref(), Some(r#""""#));
    call!(info, t, Req::get(INFO).cookie("sessionid", &session)).assert(401, NOT_PROVIDED);
    let (_, access) = pair_of_alice(&t).await;
    call!(logout_all, t, Req::get(LOGOUT_ALL).bearer(&access))
        .assert(405, r#"{"detail":"Method \"GET\" not allowed."}"#);
}

// --------------------------------------------------------------------------
// Password change

fn change(old: &str, new: &str) -> Req {
    Req::post(PASSWORD).json(&json!({"old_password": old, "new_password": new}))
}

const NEW: &str = "a fresh passphrase 2026";

#[tokio::test]
async fn password_change_errors() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    call!(password_change, t, change(ALICE_PASSWORD, NEW)).assert(401, NOT_PROVIDED);
    let before = integration_tests::snapshot(&t.app.store).await;
    let cases = [
        (
            change("wrong", NEW),
            r#"{"old_password":["Your old password was entered incorrectly. Please enter it again."]}"#,
        ),
        (
            change(ALICE_PASSWORD, "short"),
            r#"{"new_password":["This password is too short. It must contain at least 8 characters."]}"#,
        ),
        (
            change(ALICE_PASSWORD, "12345678"),
            r#"{"new_password":["This password is too common.","This password is entirely numeric."]}"#,
        ),
        (
            change(ALICE_PASSWORD, "alice2026"),
            r#"{"new_password":["The password is too similar to the username."]}"#,
        ),
        (
            change("wrong", "password"),
            r#"{"old_password":["Your old password was entered incorrectly. Please enter it again."],"new_password":["This password is too common."]}"#,
        ),
        (
            Req::post(PASSWORD).json(&json!({})),
            r#"{"old_password":["This field is required."],"new_password":["This field is required."]}"#,
        ),
        (
            Req::post(PASSWORD).json(&json!({"old_password": ALICE_PASSWORD, "new_password": ""})),
            r#"{"new_password":["This field may not be blank."]}"#,
        ),
    ];
    for (req, body) in cases {
        call!(password_change, t, req.bearer(&access)).assert(400, body);
    }
    assert_eq!(
        integration_tests::snapshot(&t.app.store).await,
        before,
        "nothing changed"
    );
}

#[tokio::test]
async fn password_change_by_bearer_renews_the_pair_and_ends_everything_else() {
    let t = spawn_app().await;
    let alice = logged_in_every_way(&t).await;
    let r = call!(
        password_change,
        t,
        change(ALICE_PASSWORD, NEW).bearer(&alice.access)
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let (new_refresh, new_access) = (
        v["refresh"].as_str().unwrap(),
        v["access"].as_str().unwrap(),
    );
    call!(info, t, Req::get(INFO).bearer(new_access)).assert(200, ALICE);
    assert_eq!(refresh_with(&t, new_refresh).await.status, 200);
    assert_eq!(
        call!(info, t, Req::get(INFO).bearer(&alice.access)).status,
        401
    );
    refresh_with(&t, &alice.refresh)
        .await
        .assert(401, BLACKLISTED);
    assert_eq!(
        call!(info, t, Req::get(INFO).header("jwt-auth", &alice.jwt)).status,
        401
    );
    assert_eq!(
        call!(info, t, Req::get(INFO).cookie("sessionid", &alice.session)).status,
        401
    );
    // the password itself changed
    call!(info, t, Req::get(INFO).basic("alice", ALICE_PASSWORD))
        .assert(401, r#"{"detail":"Invalid username/password."}"#);
    call!(info, t, Req::get(INFO).basic("alice", NEW)).assert(200, ALICE);
    assert_eq!(generation(&t).await, 1, "one generation on");
}

#[tokio::test]
async fn password_change_by_session_renews_the_session() {
    let t = spawn_app().await;
    let (session, csrf) = session_of_alice(&t).await;
    let (other, _) = session_of_alice(&t).await;
    let req = change(ALICE_PASSWORD, NEW).session_with_csrf(&session, &csrf);
    let r = call!(password_change, t, req);
    r.assert(200, "{}");
    let renewed = r.cookie("sessionid").expect("a new session cookie");
    assert_ne!(renewed, session);
    assert!(r.cookie("csrftoken").is_some());
    call!(info, t, Req::get(INFO).cookie("sessionid", &renewed)).assert(200, ALICE);
    for dead in [&session, &other] {
        assert_eq!(
            call!(info, t, Req::get(INFO).cookie("sessionid", dead)).status,
            401
        );
    }
}

#[tokio::test]
async fn password_change_by_jwt_auth_renews_the_token() {
    let t = spawn_app().await;
    let jwt = jwt_of_alice(&t).await;
    let req = change(ALICE_PASSWORD, NEW).header("jwt-auth", &jwt);
    let r = call!(password_change, t, req);
    assert_eq!(r.status, 200, "{}", r.body);
    let renewed = r.json()["token"].as_str().unwrap().to_owned();
    call!(info, t, Req::get(INFO).header("jwt-auth", &renewed)).assert(200, ALICE);
    assert_eq!(
        call!(info, t, Req::get(INFO).header("jwt-auth", &jwt)).status,
        401
    );
}

#[tokio::test]
async fn an_admin_password_reset_ends_every_session_and_token() {
    let t = spawn_app().await;
    let (session, _) = session_of_alice(&t).await;
    let (refresh_token, access) = pair_of_alice(&t).await;
    set_password(&t, t.alice.id, "set by authctl 123").await;
    assert_eq!(
        call!(info, t, Req::get(INFO).cookie("sessionid", &session)).status,
        401
    );
    assert_eq!(call!(info, t, Req::get(INFO).bearer(&access)).status, 401);
    refresh_with(&t, &refresh_token)
        .await
        .assert(401, BLACKLISTED);
}

// --------------------------------------------------------------------------
// Signing keys

const OLD_KEY: &str = "the-old-signing-key-0123456789abcdef-xyz";
const NEW_KEY: &str = "the-new-signing-key-0123456789abcdef-xyz";

#[tokio::test]
async fn key_rotation_keeps_everyone_logged_in_until_the_old_key_goes() {
    let mut t = spawn_app_with(&[("ALGORITHM", "HS256"), ("SIGNING_KEYS", OLD_KEY)]).await;
    let (session, _) = session_of_alice(&t).await;
    let (old_refresh, old_access) = pair_of_alice(&t).await;

    // Rotate: the new key signs, the old one still verifies.
    t.app = app_on(
        &t.app.store,
        &[
            ("ALGORITHM", "HS256"),
            ("SIGNING_KEYS", &format!("{NEW_KEY},{OLD_KEY}")),
        ],
    );
    call!(info, t, Req::get(INFO).bearer(&old_access)).assert(200, ALICE);
    call!(info, t, Req::get(INFO).cookie("sessionid", &session)).assert(200, ALICE);
    let r = refresh_with(&t, &old_refresh).await;
    assert_eq!(r.status, 200);
    let new_access = r.json()["access"].as_str().unwrap().to_owned();
    let kid = |token: &str| {
        use base64::Engine;
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&h).unwrap()["kid"].clone()
    };
    assert_eq!(
        kid(&new_access),
        json!(integration_tests::auth::base::jwt::key_id(
            NEW_KEY.as_bytes()
        ))
    );
    assert_eq!(
        kid(&old_access),
        json!(integration_tests::auth::base::jwt::key_id(
            OLD_KEY.as_bytes()
        ))
    );

    // Drop the old key: its tokens and sessions stop working, new ones work.
    t.app = app_on(
        &t.app.store,
        &[("ALGORITHM", "HS256"), ("SIGNING_KEYS", NEW_KEY)],
    );
    assert_eq!(
        call!(info, t, Req::get(INFO).bearer(&old_access)).status,
        401
    );
    assert_eq!(
        call!(info, t, Req::get(INFO).cookie("sessionid", &session)).status,
        401
    );
    call!(info, t, Req::get(INFO).bearer(&new_access)).assert(200, ALICE);
}

#[tokio::test]
async fn tokens_without_kid_use_the_current_key_and_unknown_kids_are_invalid() {
    let t = spawn_app_with(&[
        ("ALGORITHM", "HS256"),
        ("SIGNING_KEYS", &format!("{NEW_KEY},{OLD_KEY}")),
    ])
    .await;
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let no_kid = |key: &str| {
        // as Django (PyJWT) signs: no kid in the header
        let message = format!(
            "{}.{}",
            b64(r#"{"alg":"HS256","typ":"JWT"}"#),
            b64(&access_claims(json!("1")).to_string())
        );
        let signature = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
            jsonwebtoken::Algorithm::HS256,
        )
        .unwrap();
        format!("{message}.{signature}")
    };
    call!(info, t, Req::get(INFO).bearer(&no_kid(NEW_KEY))).assert(200, ALICE);
    assert_eq!(
        call!(info, t, Req::get(INFO).bearer(&no_kid(OLD_KEY))).status,
        401,
        "no kid: current key only"
    );
    let unknown = sign_with(
        "a key this service has never held, long enough",
        access_claims(json!("1")),
    );
    assert_eq!(call!(info, t, Req::get(INFO).bearer(&unknown)).status, 401);
}
