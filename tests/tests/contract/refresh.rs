//! `POST login/simpleJWT/refresh`.

use integration_tests::auth::base::time::now;
use integration_tests::auth::store::TokenStore;
use integration_tests::{Req, call, spawn_app};
use serde_json::json;

use crate::helpers::*;

fn not_valid(detail: &str) -> String {
    format!(r#"{{"detail":"{detail}","code":"token_not_valid"}}"#)
}

#[tokio::test]
async fn returns_a_fresh_access_token() {
    let t = spawn_app().await;
    let (refresh, old_access) = pair_of_alice(&t).await;
    let r = refresh_with(&t, &refresh).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        v.as_object().unwrap().len(),
        1,
        "only access without rotation: {v}"
    );
    let access = v["access"].as_str().unwrap();
    let c = claims(access);
    let keys: Vec<_> = c.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        issued_claims(
            &["token_type", "exp", "iat", "jti", "user_id", "fam", "gen"],
            true
        )
    );
    assert_eq!(c["token_type"], json!("access"));
    assert_eq!(c["user_id"], json!("1"));
    assert_ne!(c["jti"], claims(&old_access)["jti"]);
    assert_ne!(c["jti"], claims(&refresh)["jti"]);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
    assert!((c["iat"].as_i64().unwrap() - now()).abs() <= 5);
    let r = call!(info, t, Req::get(INFO).bearer(access));
    r.assert(200, ALICE);
    // without rotation the refresh token keeps working
    assert_eq!(refresh_with(&t, &refresh).await.status, 200);
}

#[tokio::test]
async fn iat_is_fresh_even_for_an_old_refresh_token() {
    let t = spawn_app().await;
    let mut c = refresh_claims(json!("1"));
    c["iat"] = json!(now() - 1000);
    let r = refresh_with(&t, &sign(c)).await;
    let access = claims(r.json()["access"].as_str().unwrap());
    assert!((access["iat"].as_i64().unwrap() - now()).abs() <= 5);
}

#[tokio::test]
async fn errors() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    let r = call!(token_refresh, t, Req::post(REFRESH).json(&json!({})));
    r.assert(400, r#"{"refresh":["This field is required."]}"#);
    let mut expired = refresh_claims(json!("1"));
    expired["exp"] = json!(now());
    let mut no_exp = refresh_claims(json!("1"));
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut no_jti = refresh_claims(json!("1"));
    no_jti.as_object_mut().unwrap().remove("jti");
    for (token, body) in [
        (
            "garbage".to_owned(),
            not_valid("Token is invalid or expired"),
        ),
        (sign(expired), not_valid("Token is invalid or expired")),
        (
            sign_with(
                "another key that is long enough to use!",
                refresh_claims(json!("1")),
            ),
            not_valid("Token is invalid or expired"),
        ),
        (access, not_valid("Token has wrong type")),
        (sign(no_exp), not_valid("Token has no 'exp' claim")),
        (sign(no_jti), not_valid("Token has no id")),
    ] {
        let r = refresh_with(&t, &token).await;
        assert_eq!((r.status, r.body.as_str()), (401, body.as_str()), "{token}");
        assert_challenge(&r, "Bearer");
    }
}

#[tokio::test]
async fn blacklisted_tokens_are_refused() {
    let t = spawn_app().await;
    let refresh = blacklisted_refresh_of_alice(&t).await;
    refresh_with(&t, &refresh).await.assert(401, BLACKLISTED);
}

#[tokio::test]
async fn gone_or_inactive_users_have_no_active_account() {
    let t = spawn_app().await;
    deactivate(&t, t.bob.id).await;
    let body =
        r#"{"detail":"No active account found for the given token.","code":"no_active_account"}"#;
    for id in [json!("2"), json!("99"), json!(2), json!("x")] {
        let r = refresh_with(&t, &sign(refresh_claims(id.clone()))).await;
        assert_eq!((r.status, r.body.as_str()), (401, body), "{id}");
    }
}

#[tokio::test]
async fn rotation_returns_a_new_refresh_token_and_blacklists_the_old() {
    let t = rotating_app(&[]).await;
    let (refresh, _) = pair_of_alice(&t).await;
    let r = refresh_with(&t, &refresh).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.starts_with(r#"{"access":""#) && r.body.contains(r#"","refresh":""#),
        "{}",
        r.body
    );
    let new_refresh = r.json()["refresh"].as_str().unwrap().to_owned();
    let (old, new) = (claims(&refresh), claims(&new_refresh));
    assert_ne!(old["jti"], new["jti"]);
    assert_eq!(new["token_type"], json!("refresh"));
    assert_eq!(new["user_id"], json!("1"));
    assert_eq!(
        new["exp"].as_i64().unwrap() - new["iat"].as_i64().unwrap(),
        86_400
    );
    assert!(
        t.app
            .store
            .is_blacklisted(old["jti"].as_str().unwrap())
            .await
            .unwrap()
    );
    assert_eq!(new["fam"], old["fam"], "the family is kept");
    // the successor works (and is rotated in turn)
    let r = refresh_with(&t, &new_refresh).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // presenting the first token again is a reuse: refused, and the whole
    // family, down to the newest token, is revoked
    let newest = r.json()["refresh"].as_str().unwrap().to_owned();
    refresh_with(&t, &refresh).await.assert(401, BLACKLISTED);
    refresh_with(&t, &newest).await.assert(401, BLACKLISTED);
}

#[tokio::test]
async fn rotation_without_blacklisting_keeps_old_tokens_alive() {
    let t = rotating_app(&[("BLACKLIST_AFTER_ROTATION", "false")]).await;
    let (refresh, _) = pair_of_alice(&t).await;
    assert_eq!(refresh_with(&t, &refresh).await.status, 200);
    assert_eq!(refresh_with(&t, &refresh).await.status, 200);
}

#[tokio::test]
async fn concurrent_rotations_of_one_token_have_one_winner() {
    racing_rotations(20).await;
}
