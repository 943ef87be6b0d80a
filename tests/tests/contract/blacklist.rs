//! `POST login/simpleJWT/blacklist`.

use integration_tests::auth::base::time::now;
use integration_tests::auth::store::TokenStore;
use integration_tests::{Req, call, spawn_app};
use serde_json::json;

use crate::helpers::*;

fn req(token: &str) -> Req {
    Req::post(BLACKLIST).json(&json!({ "refresh": token }))
}

const BLACKLISTED: &str = r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#;

#[tokio::test]
async fn revokes_a_refresh_token_once() {
    let t = spawn_app().await;
    let (refresh, access) = pair_of_alice(&t).await;
    let r = call!(token_blacklist, t, req(&refresh));
    r.assert(200, "{}");
    assert_eq!(r.header("vary"), Some("Accept"));
    let jti = claims(&refresh)["jti"].as_str().unwrap().to_owned();
    assert!(t.app.store.is_blacklisted(&jti).await.unwrap());
    // twice: 401
    call!(token_blacklist, t, req(&refresh)).assert(401, BLACKLISTED);
    // refresh now fails
    call!(
        token_refresh,
        t,
        Req::post(REFRESH).json(&json!({ "refresh": refresh }))
    )
    .assert(401, BLACKLISTED);
    // the access token stays valid until it expires
    call!(info, t, Req::get(INFO).bearer(&access)).assert(200, r#"{"id":1,"username":"alice"}"#);
    call!(
        token_verify,
        t,
        Req::post(VERIFY).json(&json!({ "token": access }))
    )
    .assert(200, "{}");
}

#[tokio::test]
async fn the_entry_expires_with_the_token() {
    let t = spawn_app().await;
    let mut c = refresh_claims(json!("1"));
    let exp = now() + 50;
    c["exp"] = json!(exp);
    let jti = c["jti"].as_str().unwrap().to_owned();
    call!(token_blacklist, t, req(&sign(c))).assert(200, "{}");
    let snapshot = integration_tests::snapshot(&t.app.store).await;
    let entry = snapshot
        .iter()
        .find(|i| i.contains(&jti))
        .expect("blacklist item");
    assert!(
        entry.contains(&format!("expires_at=N(\"{exp}\")")),
        "{entry}"
    );
}

#[tokio::test]
async fn access_tokens_cannot_be_blacklisted_and_errors_match_refresh() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    call!(token_blacklist, t, req(&access)).assert(
        401,
        r#"{"detail":"Token has wrong type","code":"token_not_valid"}"#,
    );
    call!(token_blacklist, t, req("garbage")).assert(
        401,
        r#"{"detail":"Token is invalid or expired","code":"token_not_valid"}"#,
    );
    call!(token_blacklist, t, Req::post(BLACKLIST).json(&json!({})))
        .assert(400, r#"{"refresh":["This field is required."]}"#);
}

#[tokio::test]
async fn concurrent_blacklisting_has_one_winner() {
    let t = spawn_app().await;
    let (refresh, _) = pair_of_alice(&t).await;
    let results = futures::future::join_all(
        (0..10).map(|_| async { call!(token_blacklist, t, req(&refresh)) }),
    )
    .await;
    assert_eq!(results.iter().filter(|r| r.status == 200).count(), 1);
    for r in results.iter().filter(|r| r.status != 200) {
        r.assert(401, BLACKLISTED);
    }
}
