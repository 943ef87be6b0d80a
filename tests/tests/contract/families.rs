//! Refresh families (the tokens descended from one login) and their limits:
//! a revoked family takes its access tokens with it, a family ends
//! `REFRESH_TOKEN_MAX_LIFETIME` after its login however often it rotates,
//! refreshes per family are bounded, and with `REFRESH_TOKEN_BIND=address`
//! a refresh token works only from the address that logged in.

use integration_tests::{Resp, TestApp, call, spawn_app_with};

use crate::helpers::*;

const TOKEN_BLACKLISTED: &str = r#"{"non_field_errors":["Token is blacklisted"]}"#;
const INVALID: &str = r#"{"detail":"Token is invalid or expired","code":"token_not_valid"}"#;

fn pair_from(address: &str) -> Req {
    alice_credentials(OBTAIN).source_ip(address)
}

fn tokens_of(r: &Resp) -> (String, String) {
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let token = |name: &str| v[name].as_str().expect(name).to_owned();
    (token("refresh"), token("access"))
}

async fn refresh_from(t: &TestApp, token: &str, address: &str) -> Resp {
    call!(token_refresh, t, refresh_req(token).source_ip(address))
}

#[track_caller]
fn assert_bearer_revoked(r: &Resp) {
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(
        r.json()["messages"][0]["message"],
        json!("Token is blacklisted")
    );
}

#[tokio::test]
async fn a_reused_familys_access_tokens_are_refused_by_info_and_verify() {
    let t = rotating_app(&[]).await;
    let (r0, a0) = pair_of_alice(&t).await;
    let (_, other) = pair_of_alice(&t).await; // another login, another family
    let (r1, a1) = tokens_of(&refresh_with(&t, &r0).await);
    assert_eq!(claims(&a0)["fam"], claims(&r0)["fam"], "one family");
    assert_eq!(claims(&a1)["fam"], claims(&r0)["fam"]);
    call!(info, t, Req::get(INFO).bearer(&a1)).assert(200, ALICE);
    // r0 replayed: the family is revoked, and with it both access tokens.
    refresh_with(&t, &r0).await.assert(401, BLACKLISTED);
    for access in [&a0, &a1] {
        assert_bearer_revoked(&call!(info, t, Req::get(INFO).bearer(access)));
        call!(token_verify, t, verify_req(access)).assert(400, TOKEN_BLACKLISTED);
    }
    call!(token_verify, t, verify_req(&r1)).assert(400, TOKEN_BLACKLISTED);
    call!(info, t, Req::get(INFO).bearer(&other)).assert(200, ALICE);
    call!(token_verify, t, verify_req(&other)).assert(200, "{}");
}

#[tokio::test]
async fn a_family_ends_at_its_maximum_lifetime_however_often_it_rotates() {
    let max = 120;
    let t = rotating_app(&[("REFRESH_TOKEN_MAX_LIFETIME", "120")]).await;
    let (r0, _) = pair_of_alice(&t).await;
    let start = claims(&r0)["auth_time"].as_i64().unwrap();
    assert_eq!(claims(&r0)["exp"].as_i64().unwrap(), start + max);
    let (r1, _) = tokens_of(&refresh_with(&t, &r0).await);
    assert_eq!(
        claims(&r1)["auth_time"],
        json!(start),
        "kept through rotation"
    );
    assert_eq!(
        claims(&r1)["exp"].as_i64().unwrap(),
        start + max,
        "no successor outlives the family"
    );

    // A token of a family whose login is older than that is refused,
    // however late its own exp (signed as ours are).
    let mut old = refresh_claims(json!("1"));
    old["fam"] = json!("f-old");
    old["auth_time"] = json!(now() - max - 1);
    let old = sign(old);
    refresh_with(&t, &old).await.assert(401, INVALID);
    call!(token_verify, t, verify_req(&old)).assert(401, INVALID);
    call!(token_blacklist, t, blacklist_req(&old)).assert(401, INVALID);
}

#[tokio::test]
async fn refreshes_per_family_are_bounded() {
    let t = spawn_app_with(&[("REFRESH_TOKEN_RATE_LIMIT", "3")]).await;
    let (refresh, _) = pair_of_alice(&t).await;
    let (other, _) = pair_of_alice(&t).await;
    for _ in 0..3 {
        assert_eq!(refresh_with(&t, &refresh).await.status, 200);
    }
    assert_throttled(&refresh_with(&t, &refresh).await, 60);
    assert_eq!(
        refresh_with(&t, &other).await.status,
        200,
        "another family has its own count"
    );
    // Rotation keeps the family, and so its count.
    let t = rotating_app(&[("REFRESH_TOKEN_RATE_LIMIT", "2")]).await;
    let (r0, _) = pair_of_alice(&t).await;
    let (r1, _) = tokens_of(&refresh_with(&t, &r0).await);
    let (r2, _) = tokens_of(&refresh_with(&t, &r1).await);
    assert_throttled(&refresh_with(&t, &r2).await, 60);
}

#[tokio::test]
async fn a_bound_refresh_token_from_another_address_revokes_its_family() {
    let t = rotating_app(&[("REFRESH_TOKEN_BIND", "address")]).await;
    let home = "2001:db8:1:2::10";
    let (r0, a0) = tokens_of(&call!(token_obtain_pair, t, pair_from(home)));
    assert!(claims(&r0)["bnd"].is_string(), "bound");
    assert!(claims(&a0).get("bnd").is_none(), "refresh tokens only");
    // The same /64 is the same place.
    let (r1, a1) = tokens_of(&refresh_from(&t, &r0, "2001:db8:1:2::99").await);
    assert_eq!(claims(&r1)["bnd"], claims(&r0)["bnd"]);
    // From elsewhere: refused, and the family is revoked for everyone.
    refresh_from(&t, &r1, "203.0.113.9")
        .await
        .assert(401, BLACKLISTED);
    refresh_from(&t, &r1, home).await.assert(401, BLACKLISTED);
    assert_bearer_revoked(&call!(info, t, Req::get(INFO).bearer(&a1)));
    // Another login from home is unaffected.
    let (fresh, _) = tokens_of(&call!(token_obtain_pair, t, pair_from(home)));
    assert_eq!(refresh_from(&t, &fresh, home).await.status, 200);
}

#[tokio::test]
async fn unbound_refresh_tokens_work_from_anywhere() {
    let t = rotating_app(&[]).await;
    let (r0, _) = tokens_of(&call!(token_obtain_pair, t, pair_from("192.0.2.1")));
    assert!(claims(&r0).get("bnd").is_none());
    assert_eq!(refresh_from(&t, &r0, "203.0.113.9").await.status, 200);
}
