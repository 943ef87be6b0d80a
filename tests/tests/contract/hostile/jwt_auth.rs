//! The tutorial's `jwt-auth` header: crafted tokens on `info`; each refusal
//! also on every endpoint that authenticates.

use jsonwebtoken::Algorithm;

use super::crafted::*;
use super::runner::*;
use crate::helpers::*;

#[tokio::test]
async fn hostile_jwt_auth_tokens() {
    let t = unthrottled_app().await;
    let (refresh, access) = pair_of_alice(&t).await;
    let n = now();
    let good = json!({"id":1,"username":"alice","iat":n,"exp":n+60});
    let token = sign(good.clone());
    let decoding = detail("Error decoding token");
    let invalid = detail("Invalid Token");
    let not_found = detail("User not found");
    let mut as_bob = good.clone();
    as_bob["id"] = json!(2);
    let with = |key: &str, value: Value| {
        let mut claims = good.clone();
        claims[key] = value;
        sign(claims)
    };
    let cases: Vec<(&str, String, String)> = vec![
        (
            "alg none",
            unsigned(r#"{"alg":"none","typ":"JWT"}"#, &good, ""),
            decoding.clone(),
        ),
        (
            "HS512 signed with the real key",
            signed_with_real_key(r#"{"alg":"HS512","typ":"JWT"}"#, &good, Algorithm::HS512),
            decoding.clone(),
        ),
        (
            "HS256 keyed with a public-key PEM",
            hmac_with_public_pem(r#"{"alg":"HS256","typ":"JWT"}"#, &good),
            decoding.clone(),
        ),
        (
            "payload changed to bob, old signature",
            with_part(&token, 1, &b64(as_bob.to_string().as_bytes())),
            decoding.clone(),
        ),
        (
            "truncated",
            token[..token.len() - 3].to_owned(),
            decoding.clone(),
        ),
        ("60 KB token", huge_token(60_000), decoding.clone()),
        (
            "kid naming no key",
            signed_with_real_key(
                r#"{"alg":"HS256","kid":"0123456789abcdef","typ":"JWT"}"#,
                &good,
                Algorithm::HS256,
            ),
            decoding.clone(),
        ),
        ("exp a word", with("exp", json!("soon")), decoding.clone()),
        ("iat 1e300", with("iat", json!(1e300)), decoding.clone()),
        ("id a list", with("id", json!([1])), invalid.clone()),
        (
            "id an object",
            with("id", json!({"id": 1})),
            invalid.clone(),
        ),
        ("id 1.5", with("id", json!(1.5)), invalid.clone()),
        // Django reads True as 1; we refuse it (README)
        ("id true", with("id", json!(true)), invalid.clone()),
        ("id false", with("id", json!(false)), invalid.clone()),
        ("id -1", with("id", json!(-1)), not_found.clone()),
        (
            "id u64::MAX",
            with("id", json!(u64::MAX)),
            not_found.clone(),
        ),
        (
            "exp 1e300, id 99",
            {
                let mut c = good.clone();
                c["exp"] = json!(1e300);
                c["id"] = json!(99);
                sign(c)
            },
            not_found.clone(),
        ),
        (
            "duplicate id, 99 last",
            signed_text(&format!(r#"{{"id":1,"exp":{},"id":99}}"#, n + 60)),
            not_found.clone(),
        ),
        (
            "a simplejwt access token (no id)",
            access.clone(),
            invalid.clone(),
        ),
        (
            "a simplejwt refresh token",
            refresh.clone(),
            invalid.clone(),
        ),
    ];
    let cases = cases
        .into_iter()
        .map(|(name, token, body)| case(name, "info", info_jwt_auth(&token), 401, body))
        .collect();
    run_reporting("hostile_jwt_auth_tokens", &t, cases).await;
}
