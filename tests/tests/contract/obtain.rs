//! `POST login/simpleJWT` — obtain a pair.

use integration_tests::auth::base::time::now;
use integration_tests::{ALICE_PASSWORD, Req, call, spawn_app, spawn_app_with};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn returns_refresh_then_access_with_simplejwt_claims() {
    let t = spawn_app().await;
    let r = call!(token_obtain_pair, t, alice_credentials(OBTAIN));
    assert_eq!(r.status, 200);
    assert!(
        r.body.starts_with(r#"{"refresh":""#),
        "key order: {}",
        r.body
    );
    assert!(r.body.contains(r#"","access":""#));
    assert_eq!(r.header("vary"), Some("Accept"));
    assert_security_headers(&r);
    let v = r.json();
    for (name, life) in [("access", 300), ("refresh", 86_400)] {
        let token = v[name].as_str().unwrap();
        assert_jwt_header(token);
        let c = claims(token);
        let keys: Vec<_> = c.as_object().unwrap().keys().cloned().collect();
        let expected = if name == "refresh" {
            issued_claims(
                &[
                    "token_type",
                    "exp",
                    "iat",
                    "jti",
                    "user_id",
                    "fam",
                    "gen",
                    "auth_time",
                ],
                false,
            )
        } else {
            issued_claims(
                &["token_type", "exp", "iat", "jti", "user_id", "fam", "gen"],
                true,
            )
        };
        assert_eq!(keys, expected, "{name}");
        assert_eq!(c["gen"], json!(0));
        assert_eq!(c["token_type"], json!(name));
        assert_eq!(c["user_id"], json!("1"));
        let iat = c["iat"].as_i64().unwrap();
        assert!((iat - now()).abs() <= 5);
        assert_eq!(c["exp"].as_i64().unwrap() - iat, life, "{name} lifetime");
        let jti = c["jti"].as_str().unwrap();
        assert_eq!(jti.len(), 32);
        assert!(
            jti.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
    assert_ne!(
        claims(v["access"].as_str().unwrap())["jti"],
        claims(v["refresh"].as_str().unwrap())["jti"]
    );
}

#[tokio::test]
async fn lifetimes_are_configurable() {
    let t = spawn_app_with(&[
        ("ACCESS_TOKEN_LIFETIME", "60"),
        ("REFRESH_TOKEN_LIFETIME", "120"),
    ])
    .await;
    let (refresh, access) = pair_of_alice(&t).await;
    let life = |tok: &str| {
        let c = claims(tok);
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap()
    };
    assert_eq!((life(&access), life(&refresh)), (60, 120));
}

#[tokio::test]
async fn field_errors_name_only_the_failing_fields() {
    let t = spawn_app().await;
    let cases = [
        (
            json!({}),
            r#"{"username":["This field is required."],"password":["This field is required."]}"#,
        ),
        (
            json!({"username":"alice"}),
            r#"{"password":["This field is required."]}"#,
        ),
        (
            json!({"password":"x"}),
            r#"{"username":["This field is required."]}"#,
        ),
        (
            json!({"username":"","password":"x"}),
            r#"{"username":["This field may not be blank."]}"#,
        ),
        (
            json!({"username":"alice","password":"  "}),
            r#"{"password":["This field may not be blank."]}"#,
        ),
        (
            json!({"username":null,"password":true}),
            r#"{"username":["This field may not be null."],"password":["Not a valid string."]}"#,
        ),
        (
            json!([]),
            r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#,
        ),
        (json!(null), r#"{"non_field_errors":["No data provided"]}"#),
    ];
    for (body, expected) in cases {
        let r = call!(token_obtain_pair, t, Req::post(OBTAIN).json(&body));
        assert_eq!((r.status, r.body.as_str()), (400, expected), "{body}");
    }
    let r = call!(token_obtain_pair, t, Req::post(OBTAIN));
    r.assert(
        400,
        r#"{"username":["This field is required."],"password":["This field is required."]}"#,
    );
    let r = call!(
        token_obtain_pair,
        t,
        Req::post(OBTAIN).form(&[("username", "alice"), ("password", "")])
    );
    r.assert(400, r#"{"password":["This field may not be blank."]}"#);
}

#[tokio::test]
async fn bad_credentials_or_inactive_users_are_401_with_a_bearer_challenge() {
    let refused = [
        ("alice", "wrong"),
        ("nobody", "x"),
        ("bob", integration_tests::BOB_PASSWORD),
    ];
    for (_, r) in answers_to_credentials(OBTAIN, &refused).await {
        r.assert(
            401,
            r#"{"detail":"No active account found with the given credentials"}"#,
        );
        assert_challenge(&r, "Bearer");
    }
}

#[tokio::test]
async fn fields_are_trimmed_as_drf_does() {
    let t = spawn_app().await;
    let r = call!(
        token_obtain_pair,
        t,
        credentials(OBTAIN, "  alice ", &format!(" {ALICE_PASSWORD} "))
    );
    assert_eq!(r.status, 200, "{}", r.body);
}
