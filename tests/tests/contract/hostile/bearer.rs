//! `Authorization: Bearer` (simplejwt access tokens): crafted tokens on
//! `info`; each refusal also on every endpoint that authenticates.

use integration_tests::auth::base::jwt::key_id;
use jsonwebtoken::Algorithm;

use super::crafted::*;
use super::runner::*;
use crate::helpers::*;

#[tokio::test]
async fn hostile_bearer_tokens() {
    let t = unthrottled_app().await;
    let (refresh, access) = pair_of_alice(&t).await;
    let n = now();
    let invalid = bearer_messages("Token is invalid or expired");
    let unrecognizable = coded(
        "Token contained no recognizable user identification",
        "token_not_valid",
    );
    let not_found = coded("User not found", "user_not_found");
    let good = access_claims(json!("1"));
    let kid = key_id(SIGNING_KEY.as_bytes());

    // alg confusion and unsigned tokens
    let mut tokens: Vec<(&str, String, String)> = vec![
        (
            "alg none, empty signature",
            unsigned(r#"{"alg":"none","typ":"JWT"}"#, &good, ""),
            invalid.clone(),
        ),
        (
            "alg None (capitalised)",
            unsigned(r#"{"alg":"None","typ":"JWT"}"#, &good, ""),
            invalid.clone(),
        ),
        (
            "alg none with our kid and a stolen signature",
            unsigned(
                &format!(r#"{{"alg":"none","kid":"{kid}","typ":"JWT"}}"#),
                &good,
                access.split('.').nth(2).unwrap(),
            ),
            invalid.clone(),
        ),
        (
            "HS256 keyed with a public-key PEM, no kid",
            hmac_with_public_pem(r#"{"alg":"HS256","typ":"JWT"}"#, &good),
            invalid.clone(),
        ),
        (
            "HS256 keyed with a public-key PEM, our kid",
            hmac_with_public_pem(&our_header(), &good),
            invalid.clone(),
        ),
        (
            "RS256 header, HMAC'd with the public-key PEM",
            hmac_with_public_pem(r#"{"alg":"RS256","typ":"JWT"}"#, &good),
            invalid.clone(),
        ),
        (
            "HS512 signed with the real key",
            signed_with_real_key(r#"{"alg":"HS512","typ":"JWT"}"#, &good, Algorithm::HS512),
            invalid.clone(),
        ),
        (
            "HS384 signed with the real key, our kid",
            signed_with_real_key(
                &format!(r#"{{"alg":"HS384","kid":"{kid}","typ":"JWT"}}"#),
                &good,
                Algorithm::HS384,
            ),
            invalid.clone(),
        ),
        (
            "ES256 header, junk signature",
            unsigned(r#"{"alg":"ES256","typ":"JWT"}"#, &good, "c2lnbmF0dXJl"),
            invalid.clone(),
        ),
        (
            "duplicate alg in the header (none, then HS256)",
            format!(
                "{}.{}",
                b64(format!(r#"{{"alg":"none","alg":"HS256","kid":"{kid}"}}"#).as_bytes()),
                access.split_once('.').unwrap().1
            ),
            invalid.clone(),
        ),
    ];
    // tampering and truncation
    let alice_payload = claims(&access);
    let mut as_bob = alice_payload.clone();
    as_bob["user_id"] = json!("2");
    tokens.extend([
        (
            "payload changed to bob, old signature",
            with_part(&access, 1, &b64(as_bob.to_string().as_bytes())),
            invalid.clone(),
        ),
        (
            "header without kid, old signature",
            with_part(&access, 0, &b64(br#"{"alg":"HS256","typ":"JWT"}"#)),
            invalid.clone(),
        ),
        (
            "the refresh token's signature",
            with_part(&access, 2, refresh.split('.').nth(2).unwrap()),
            invalid.clone(),
        ),
        (
            "last character dropped",
            access[..access.len() - 1].to_owned(),
            invalid.clone(),
        ),
        (
            "signature dropped, trailing dot kept",
            access[..=access.rfind('.').unwrap()].to_owned(),
            invalid.clone(),
        ),
        (
            "two parts only",
            access[..access.rfind('.').unwrap()].to_owned(),
            invalid.clone(),
        ),
        (
            "first half",
            access[..access.len() / 2].to_owned(),
            invalid.clone(),
        ),
        (
            "a fourth part",
            format!("{access}.{}", access.split('.').nth(2).unwrap()),
            invalid.clone(),
        ),
        ("padded signature", format!("{access}="), invalid.clone()),
        ("60 KB token", huge_token(60_000), invalid.clone()),
        (
            "kid naming no key",
            signed_with_real_key(
                r#"{"alg":"HS256","kid":"ffffffffffffffff","typ":"JWT"}"#,
                &good,
                Algorithm::HS256,
            ),
            invalid.clone(),
        ),
        (
            "kid a number",
            signed_with_real_key(
                r#"{"alg":"HS256","kid":7,"typ":"JWT"}"#,
                &good,
                Algorithm::HS256,
            ),
            invalid.clone(),
        ),
        (
            "kid of 10 KB",
            signed_with_real_key(
                &format!(
                    r#"{{"alg":"HS256","kid":"{}","typ":"JWT"}}"#,
                    "k".repeat(10_000)
                ),
                &good,
                Algorithm::HS256,
            ),
            invalid.clone(),
        ),
        (
            "the refresh token as an access token",
            refresh.clone(),
            bearer_messages("Token has wrong type"),
        ),
        (
            "a login/jwt token (no jti)",
            sign(json!({"id":1,"username":"alice","iat":n,"exp":n+60})),
            bearer_messages("Token has no id"),
        ),
    ]);
    // signed with the real key: the claim checks themselves
    tokens.extend([
        (
            "duplicate token_type, refresh last (Python's json: last wins)",
            signed_text(&format!(
                r#"{{"token_type":"access","exp":{},"jti":"{}","user_id":"1","token_type":"refresh"}}"#,
                n + 300,
                "0".repeat(32)
            )),
            bearer_messages("Token has wrong type"),
        ),
        (
            "payload 10,000 arrays deep",
            signed_text(&format!(
                r#"{{"token_type":"access","exp":{},"jti":"j","user_id":{}}}"#,
                n + 300,
                nested(10_000)
            )),
            invalid.clone(),
        ),
        (
            "payload an array",
            sign(json!([access_claims(json!("1"))])),
            invalid.clone(),
        ),
        (
            "exp a word",
            sign(access_with("exp", json!("soon"))),
            invalid.clone(),
        ),
        (
            "exp a past float",
            sign(access_with("exp", json!(1.5))),
            invalid.clone(),
        ),
        (
            "exp -1e300",
            sign(access_with("exp", json!(-1e300))),
            invalid.clone(),
        ),
        (
            "exp 1e400 (out of range for JSON numbers)",
            signed_text(r#"{"token_type":"access","exp":1e400,"jti":"j","user_id":"1"}"#),
            invalid.clone(),
        ),
        (
            "exp null",
            sign(access_with("exp", Value::Null)),
            invalid.clone(),
        ),
        (
            "iat 1e300 (in the future)",
            sign(access_with("iat", json!(1e300))),
            invalid.clone(),
        ),
        (
            "nbf u64::MAX",
            sign(access_with("nbf", json!(u64::MAX))),
            invalid.clone(),
        ),
        (
            "jti a number",
            sign(access_with("jti", json!(5))),
            invalid.clone(),
        ),
        (
            "sub a number",
            sign(access_with("sub", json!(5))),
            invalid.clone(),
        ),
    ]);
    // far-future exp passes the time checks without overflow (PyJWT's
    // int() would too); the user then decides
    let mut far = Vec::new();
    for exp in [
        json!(1e300),
        json!(u64::MAX),
        json!(i64::MAX),
        json!("99999999999999999999999"),
    ] {
        let mut claims = access_claims(json!("99"));
        claims["exp"] = exp.clone();
        far.push((format!("exp {exp}, unknown user"), sign(claims)));
    }
    // user_id of every shape
    let mut ids = Vec::new();
    for (id, body) in [
        (json!([1]), &unrecognizable),
        (json!({"id": 1}), &unrecognizable),
        (json!(1.0), &unrecognizable),
        (json!(1.5), &unrecognizable),
        (json!(true), &unrecognizable),
        (json!(false), &unrecognizable),
        (json!(""), &unrecognizable),
        (json!("1e0"), &unrecognizable),
        (json!("0x1"), &unrecognizable),
        // Python's int("١") is 1; we read only ASCII digits (README)
        (json!("\u{661}"), &unrecognizable),
        (json!("1; DROP TABLE users"), &unrecognizable),
        (json!(-1), &not_found),
        (json!("-1"), &not_found),
        (json!(0), &not_found),
        (json!(u64::MAX), &not_found),
        (json!(i64::MIN), &not_found),
        (json!("18446744073709551616"), &not_found),
        (json!(Value::Null), &not_found),
    ] {
        ids.push((
            format!("user_id {id}"),
            sign(access_claims(id)),
            body.clone(),
        ));
    }
    // a generation that is not the user's: revoked (contract silent; the
    // lifecycle wording)
    let mut gens = Vec::new();
    for generation in [json!("x"), json!(-1), json!(1), json!(1.0), json!(u64::MAX)] {
        gens.push((
            format!("gen {generation}"),
            sign(access_with("gen", generation)),
        ));
    }

    let mut cases: Vec<Case> = tokens
        .into_iter()
        .map(|(name, token, body)| case(name, "info", info_bearer(&token), 401, body))
        .collect();
    cases.extend(
        far.into_iter()
            .map(|(name, token)| case(name, "info", info_bearer(&token), 401, &not_found)),
    );
    cases.extend(
        ids.into_iter()
            .map(|(name, token, body)| case(name, "info", info_bearer(&token), 401, body)),
    );
    cases.extend(gens.into_iter().map(|(name, token)| {
        case(
            name,
            "info",
            info_bearer(&token),
            401,
            bearer_messages("Token is blacklisted"),
        )
    }));
    // the Authorization header itself
    let bad_header = coded(
        "Authorization header must contain two space-delimited values",
        "bad_authorization_header",
    );
    let alice = r#"{"id":1,"username":"alice"}"#;
    for (name, value, status, body) in [
        // Python's bytes.split(): any run of whitespace separates
        (
            "tab between scheme and token",
            format!("Bearer\t{access}"),
            200,
            alice.to_owned(),
        ),
        (
            "spaces and tabs around",
            format!("  Bearer \t {access} \t "),
            200,
            alice.to_owned(),
        ),
        (
            "a third value",
            format!("Bearer {access} extra"),
            401,
            bad_header.clone(),
        ),
        (
            "token twice, tab-separated",
            format!("Bearer {access}\t{access}"),
            401,
            bad_header.clone(),
        ),
        (
            "Bearer and whitespace only",
            "Bearer \t ".to_owned(),
            401,
            bad_header.clone(),
        ),
        (
            "a comma instead of a space",
            format!("Bearer,{access}"),
            401,
            NOT_PROVIDED.to_owned(),
        ),
        (
            "a non-ASCII token",
            "Bearer \u{ff}\u{fe}".to_owned(),
            401,
            invalid.clone(),
        ),
    ] {
        cases.push(case(
            name,
            "info",
            Req::get(INFO).header("authorization", &value),
            status,
            body,
        ));
    }
    // two Authorization headers arrive joined with a comma
    cases.push(case(
        "two Authorization headers",
        "info",
        Req::get(INFO).bearer(&access).bearer(&access),
        401,
        bad_header.clone(),
    ));
    run_reporting("hostile_bearer_tokens", &t, cases).await;
}
