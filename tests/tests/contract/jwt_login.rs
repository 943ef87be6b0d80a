//! `POST login/jwt` — the tutorial's JWT login.

use integration_tests::auth::base::time::now;
use integration_tests::{ALICE_PASSWORD, Req, call, spawn_app, spawn_app_with};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn returns_a_token_with_id_username_iat_exp() {
    let t = spawn_app().await;
    let r = call!(jwt_login, t, alice_credentials(JWT_LOGIN));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v.as_object().unwrap().len(), 1, "only a token: {v}");
    let token = v["token"].as_str().unwrap();
    let c = claims(token);
    let keys: Vec<_> = c.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["id", "username", "iat", "exp", "gen"]);
    assert_eq!(c["id"], json!(1));
    assert_eq!(c["username"], json!("alice"));
    let iat = c["iat"].as_i64().unwrap();
    assert!((iat - now()).abs() <= 5);
    assert_eq!(c["exp"].as_i64().unwrap(), iat + 86_400);
    assert_jwt_header(token);
    assert!(r.set_cookies().is_empty());
    // the token authenticates through the jwt-auth header
    let r = call!(info, t, Req::get(INFO).header("jwt-auth", token));
    r.assert(200, ALICE);
}

#[tokio::test]
async fn lifetime_is_configurable() {
    let t = spawn_app_with(&[("JWT_LOGIN_TOKEN_LIFETIME", "60")]).await;
    let r = call!(
        jwt_login,
        t,
        Req::post(JWT_LOGIN).form(&[("username", "alice"), ("password", ALICE_PASSWORD)])
    );
    let c = claims(r.json()["token"].as_str().unwrap());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 60);
}

#[tokio::test]
async fn bad_credentials_are_403_with_an_empty_body() {
    let t = spawn_app().await;
    for (u, p) in [("alice", "nope"), ("ghost", ALICE_PASSWORD)] {
        let r = call!(jwt_login, t, credentials(JWT_LOGIN, u, p));
        r.assert(403, "");
        assert_eq!(r.header("content-type"), None);
    }
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let t = spawn_app().await;
    for body in [
        json!({}),
        json!({"username":"alice"}),
        json!([]),
        json!({"username":"alice","password":5}),
    ] {
        let r = call!(jwt_login, t, Req::post(JWT_LOGIN).json(&body));
        r.assert(400, r#"{"detail":"Malformed request."}"#);
    }
}
