//! `POST login/simpleJWT/verify`.

use integration_tests::auth::base::time::now;
use integration_tests::{Req, call, spawn_app};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn any_valid_access_or_refresh_token_is_200_empty_object() {
    let t = spawn_app().await;
    let (refresh, access) = pair_of_alice(&t).await;
    for token in [&refresh, &access] {
        let r = call!(token_verify, t, verify_req(token));
        r.assert(200, "{}");
        assert_eq!(r.header("vary"), Some("Accept"));
    }
    let r = call!(
        token_verify,
        t,
        Req::post(VERIFY).form(&[("token", &access)])
    );
    r.assert(200, "{}");
}

/// A token signed without a family (simplejwt's own, from a Django
/// deployment sharing the key, as during a migration) is checked against
/// its user alone — with the permissions the template gives (the Django
/// reference comparison found a 503 here).
#[tokio::test]
async fn a_token_without_a_family_is_checked_against_its_user() {
    let t = spawn_app().await;
    let django = sign(access_claims(json!(1)));
    call!(token_verify, t, verify_req(&django)).assert(200, "{}");
    let info = Req::get(INFO).bearer(&django);
    call!(info, t, info).assert(200, ALICE);
    let nobody = sign(access_claims(json!(99)));
    call!(token_verify, t, verify_req(&nobody)).assert(200, "{}");
}

#[tokio::test]
async fn errors() {
    let t = spawn_app().await;
    let r = call!(token_verify, t, Req::post(VERIFY).json(&json!({})));
    r.assert(400, r#"{"token":["This field is required."]}"#);
    let mut expired = access_claims(json!("1"));
    expired["exp"] = json!(now() - 1);
    let mut no_exp = access_claims(json!("1"));
    no_exp.as_object_mut().unwrap().remove("exp");
    for (token, detail) in [
        ("garbage".to_owned(), "Token is invalid or expired"),
        (sign(expired), "Token is invalid or expired"),
        (
            sign_with(
                "another key that is long enough to use!",
                access_claims(json!("1")),
            ),
            "Token is invalid or expired",
        ),
        (sign(no_exp), "Token has no 'exp' claim"),
    ] {
        let r = call!(token_verify, t, verify_req(&token));
        assert_eq!(
            (r.status, r.json()),
            (401, json!({"detail": detail, "code": "token_not_valid"})),
            "{token}"
        );
        assert_challenge(&r, "Bearer");
    }
}

#[tokio::test]
async fn a_blacklisted_refresh_token_is_400_non_field_errors() {
    let t = spawn_app().await;
    let refresh = blacklisted_refresh_of_alice(&t).await;
    let r = call!(token_verify, t, verify_req(&refresh));
    r.assert(400, r#"{"non_field_errors":["Token is blacklisted"]}"#);
}
