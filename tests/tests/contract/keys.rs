//! Tokens other services verify on their own (docs/API.md "Signing
//! algorithms, JWKS and discovery"): RS256, ES256 and EdDSA rings, the
//! JWKS and discovery documents, issuer and audience, and API Gateway's JWT
//! authorizer rules applied to every token kind we issue.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::auth::settings::Settings;
use integration_tests::spawn_app_with;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};

use crate::helpers::*;

const RSA: &str = include_str!("../../../shared/tests/fixtures/keys/rsa.pem");
const RSA_OLD: &str = include_str!("../../../shared/tests/fixtures/keys/rsa-old.pem");
const EC: &str = include_str!("../../../shared/tests/fixtures/keys/ec.pem");
const ED: &str = include_str!("../../../shared/tests/fixtures/keys/ed25519.pem");
const ISSUER: &str = "https://auth.example.com/api/v1/users";
const AUDIENCE: &str = "orders-service";
const SCOPE: &str = "auth/access";

fn asymmetric(alg: &'static str, keys: String) -> Vec<(&'static str, String)> {
    vec![
        ("ALGORITHM", alg.to_owned()),
        ("SIGNING_KEYS", keys),
        ("ISSUER", ISSUER.to_owned()),
        ("AUDIENCE", AUDIENCE.to_owned()),
        ("ACCESS_TOKEN_SCOPE", SCOPE.to_owned()),
    ]
}

async fn app(vars: &[(&'static str, String)]) -> TestApp {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(&vars).await
}

fn header(token: &str) -> Value {
    let part = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn jwks(t: &TestApp) -> Value {
    let r = call!(well_known, t, Req::get(JWKS));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// What API Gateway's HTTP API JWT authorizer checks (its documented
/// rules), for a route requiring `scope`: a `kid` of the JWKS and an RSA
/// signature by that key, `iss`, `aud` (or `client_id`), `exp` after now,
/// `nbf` and `iat` before now, and the scope. `Err` says which failed.
fn api_gateway_authorizes(token: &str, jwks: &Value, scope: &str) -> Result<(), String> {
    let kid = header(token)["kid"].as_str().ok_or("no kid")?.to_owned();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or("kid not in the JWKS")?;
    if jwk["kty"] != "RSA" {
        return Err("API Gateway accepts RSA signatures only".into());
    }
    let key = DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_aud = false;
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map_err(|e| format!("signature: {e}"))?
        .claims;
    let now = now();
    if claims["iss"] != ISSUER {
        return Err("iss".into());
    }
    let audience = [&claims["aud"], &claims["client_id"]]
        .into_iter()
        .any(|a| match a {
            Value::String(s) => s == AUDIENCE,
            Value::Array(v) => v.iter().any(|x| x == AUDIENCE),
            _ => false,
        });
    if !audience {
        return Err("aud".into());
    }
    if claims["exp"].as_i64().is_none_or(|exp| exp <= now) {
        return Err("exp".into());
    }
    for before in ["nbf", "iat"] {
        if claims
            .get(before)
            .is_some_and(|t| t.as_i64().is_none_or(|t| t > now))
        {
            return Err(before.into());
        }
    }
    let scopes = claims["scope"]
        .as_str()
        .or(claims["scp"].as_str())
        .unwrap_or("");
    // An empty `scope`: the route requires none.
    if !scope.is_empty() && !scopes.split(' ').any(|s| s == scope) {
        return Err("scope".into());
    }
    Ok(())
}

/// Hardening 5 (RFC 8725 §3.11–3.12, RFC 9068): with a private-key
/// algorithm and no access scope to tell them apart, a refresh token (1
/// day, up to 30 with rotation) must not pass another service's checks for
/// an access token. Access tokens are typed `at+jwt`; refresh tokens name
/// the refresh endpoint as their audience, which only this service accepts.
#[tokio::test]
async fn a_refresh_token_never_passes_for_an_access_token_elsewhere() {
    use integration_tests::auth::base::jwt::{Alg, JwtBackend};
    let mut vars = asymmetric("RS256", RSA.to_owned());
    vars.retain(|(k, _)| *k != "ACCESS_TOKEN_SCOPE");
    vars.push(("ROTATE_REFRESH_TOKENS", "true".to_owned()));
    let t = app(&vars).await;
    let keys = jwks(&t).await;
    let (refresh, access) = pair_of_alice(&t).await;
    assert_eq!(api_gateway_authorizes(&access, &keys, ""), Ok(()));
    assert_eq!(
        api_gateway_authorizes(&refresh, &keys, ""),
        Err("aud".into())
    );
    assert_eq!(header(&access)["typ"], "at+jwt");
    assert_eq!(
        claims(&refresh)["aud"],
        format!("{ISSUER}/login/simpleJWT/refresh")
    );
    // Rotation keeps it so; the access tokens it makes are access tokens.
    let r = refresh_with(&t, &refresh).await.json();
    let (next, renewed) = (
        r["refresh"].as_str().unwrap(),
        r["access"].as_str().unwrap(),
    );
    assert_eq!(api_gateway_authorizes(next, &keys, ""), Err("aud".into()));
    assert_eq!(api_gateway_authorizes(renewed, &keys, ""), Ok(()));
    assert_eq!(claims(renewed)["aud"], AUDIENCE);
    // This service's own endpoints take both kinds where they should.
    call!(info, t, Req::get(INFO).bearer(renewed)).assert(200, ALICE);
    call!(token_verify, t, verify_req(next)).assert(200, "{}");
    let refused = call!(info, t, Req::get(INFO).bearer(next));
    assert_eq!(refused.status, 401, "{}", refused.body);
    // A refresh token issued before kinds were told apart (aud the
    // configured audience) still refreshes once, into the new kind.
    let ring = JwtBackend::with_keys(Alg::RS256, &[RSA.as_bytes()]).unwrap();
    let mut old = claims(next);
    old["aud"] = json!(AUDIENCE);
    old["jti"] = json!("0123456789abcdef0123456789abcde0");
    let r = refresh_with(&t, &ring.sign(&old)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let upgraded = r.json()["refresh"].as_str().unwrap().to_owned();
    assert_eq!(
        api_gateway_authorizes(&upgraded, &keys, ""),
        Err("aud".into())
    );
}

#[tokio::test]
async fn with_hs256_the_key_set_is_empty_and_discovery_names_the_api() {
    let t = spawn_app_with(&[("ALGORITHM", "HS256")]).await;
    let r = call!(well_known, t, Req::get(JWKS));
    r.assert(200, r#"{"keys":[]}"#);
    assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(r.header("vary"), Some("Accept"));
    assert_security_headers(&r);
    let r = call!(well_known, t, Req::get(OPENID));
    assert_eq!(r.status, 200);
    let d = r.json();
    let base = "http://127.0.0.1:9000/api/v1/users";
    assert_eq!(d["issuer"], base);
    assert_eq!(d["jwks_uri"], format!("{base}/.well-known/jwks.json"));
    assert_eq!(d["token_endpoint"], format!("{base}/login/simpleJWT"));
    assert_eq!(d["authorization_endpoint"], format!("{base}/login"));
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["HS256"]));
    assert_eq!(d["response_types_supported"], json!(["token"]));
    assert_eq!(d["subject_types_supported"], json!(["public"]));
    // behind API Gateway: https
    let r = call!(
        well_known,
        t,
        Req::get(OPENID).header("x-forwarded-proto", "https")
    );
    assert_eq!(r.json()["issuer"], "https://127.0.0.1:9000/api/v1/users");
    // HEAD: the headers alone
    let r = call!(well_known, t, Req::new("HEAD", JWKS));
    r.assert(200, "");
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn rs256_tokens_verify_from_the_published_keys_alone() {
    // the current key, and the previous one still published
    let t = app(&asymmetric("RS256", format!("{RSA}\n{RSA_OLD}"))).await;
    let keys = jwks(&t).await;
    let published = keys["keys"].as_array().unwrap();
    assert_eq!(published.len(), 2);
    for jwk in published {
        let names: Vec<&String> = jwk.as_object().unwrap().keys().collect();
        assert_eq!(names, ["kty", "use", "alg", "kid", "n", "e"]);
        assert_eq!(
            (&jwk["kty"], &jwk["alg"], &jwk["use"]),
            (&json!("RSA"), &json!("RS256"), &json!("sig"))
        );
    }
    let discovery = call!(well_known, t, Req::get(OPENID)).json();
    assert_eq!(discovery["issuer"], ISSUER);
    assert_eq!(
        discovery["jwks_uri"],
        format!("{ISSUER}/.well-known/jwks.json")
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(discovery["scopes_supported"], json!([SCOPE]));

    let (refresh, access) = pair_of_alice(&t).await;
    let kid = header(&access)["kid"].clone();
    assert_eq!(
        header(&access),
        json!({"alg": "RS256", "kid": kid, "typ": "at+jwt"})
    );
    assert_eq!(
        header(&refresh),
        json!({"alg": "RS256", "kid": kid, "typ": "JWT"})
    );
    assert_eq!(kid, published[0]["kid"], "the current key signs");
    let c = claims(&access);
    let names: Vec<&String> = c.as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "token_type",
            "exp",
            "iat",
            "jti",
            "user_id",
            "fam",
            "gen",
            "scope",
            "aud",
            "iss"
        ]
    );
    assert_eq!(
        (&c["scope"], &c["aud"], &c["iss"]),
        (&json!(SCOPE), &json!(AUDIENCE), &json!(ISSUER))
    );
    let c = claims(&refresh);
    let names: Vec<&String> = c.as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "token_type",
            "exp",
            "iat",
            "jti",
            "user_id",
            "fam",
            "gen",
            "auth_time",
            "aud",
            "iss"
        ]
    );
    // any library verifies from the JWK, with issuer and audience
    let key =
        DecodingKey::from_jwk(&serde_json::from_value(published[0].clone()).unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    jsonwebtoken::decode::<Value>(&access, &key, &validation).unwrap();
    // and we do
    call!(info, t, Req::get(INFO).bearer(&access)).assert(200, ALICE);
    call!(token_verify, t, verify_req(&refresh)).assert(200, "{}");
    let r = refresh_with(&t, &refresh).await;
    let renewed = r.json()["access"].as_str().unwrap().to_owned();
    let names: Vec<String> = claims(&renewed)
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        names,
        [
            "token_type",
            "exp",
            "iat",
            "jti",
            "user_id",
            "fam",
            "gen",
            "scope",
            "aud",
            "iss"
        ]
    );
    // tokens signed by the previous key still verify; unknown keys do not
    let previous = app(&asymmetric("RS256", format!("{RSA_OLD}\n{RSA}"))).await;
    let (_, old_access) = pair_of_alice(&previous).await;
    call!(info, t, Req::get(INFO).bearer(&old_access)).assert(200, ALICE);
    let only_new = app(&asymmetric("RS256", RSA.to_owned())).await;
    let r = call!(info, only_new, Req::get(INFO).bearer(&old_access));
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn issuer_and_audience_are_required_when_set() {
    let t = app(&asymmetric("ES256", EC.to_owned())).await;
    let (_, access) = pair_of_alice(&t).await;
    let mut good = claims(&access);
    let backend = integration_tests::auth::base::jwt::JwtBackend::with_keys(
        integration_tests::auth::base::jwt::Alg::ES256,
        &[EC.as_bytes()],
    )
    .unwrap();
    let with = |name: &str, value: Option<Value>| {
        let mut c = good.clone();
        match value {
            Some(v) => c[name] = v,
            None => {
                c.as_object_mut().unwrap().remove(name);
            }
        }
        backend.sign(&c)
    };
    let invalid = r#"{"detail":"Token is invalid or expired","code":"token_not_valid"}"#;
    for (what, token) in [
        ("no iss", with("iss", None)),
        (
            "another iss",
            with("iss", Some(json!("https://evil.example/api/v1/users"))),
        ),
        ("iss an array", with("iss", Some(json!([ISSUER])))),
        ("no aud", with("aud", None)),
        ("another aud", with("aud", Some(json!("someone-else")))),
        ("aud garbage", with("aud", Some(json!([1, {"a": 2}, null])))),
        ("aud a number", with("aud", Some(json!(7)))),
    ] {
        call!(token_verify, t, verify_req(&token)).assert(401, invalid);
        let r = call!(info, t, Req::get(INFO).bearer(&token));
        assert_eq!(r.status, 401, "{what}");
        assert!(
            r.body.contains("Token is invalid or expired"),
            "{what}: {}",
            r.body
        );
    }
    // an audience list naming ours passes (RFC 7519 §4.1.3)
    let listed = with("aud", Some(json!(["another", AUDIENCE])));
    call!(info, t, Req::get(INFO).bearer(&listed)).assert(200, ALICE);
    good["iss"] = json!(ISSUER);
    call!(info, t, Req::get(INFO).bearer(&backend.sign(&good))).assert(200, ALICE);
}

#[tokio::test]
async fn only_the_configured_algorithm_and_key_verify() {
    let t = app(&asymmetric("RS256", RSA.to_owned())).await;
    let (_, access) = pair_of_alice(&t).await;
    let c = claims(&access);
    let n = jwks(&t).await["keys"][0]["n"].as_str().unwrap().to_owned();
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    let hmac = |header: &str, secret: &[u8]| {
        let message = format!(
            "{}.{}",
            b64(header.as_bytes()),
            b64(c.to_string().as_bytes())
        );
        let mac = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(secret),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{message}.{mac}")
    };
    let kid = header(&access)["kid"].as_str().unwrap().to_owned();
    let signed_rs256 = |header: &str| {
        let message = format!(
            "{}.{}",
            b64(header.as_bytes()),
            b64(c.to_string().as_bytes())
        );
        let key = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&rsa_der()).unwrap();
        let mut sig = vec![0; key.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        key.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &rng,
            message.as_bytes(),
            &mut sig,
        )
        .unwrap();
        format!("{message}.{}", b64(&sig))
    };
    for (what, token) in [
        (
            "HS256 with the public modulus as the secret",
            hmac(
                &format!(r#"{{"alg":"HS256","kid":"{kid}","typ":"JWT"}}"#),
                n.as_bytes(),
            ),
        ),
        (
            "HS256 with a public key PEM as the secret",
            hmac(r#"{"alg":"HS256","typ":"JWT"}"#, RSA.as_bytes()),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none","typ":"JWT"}"#),
                b64(c.to_string().as_bytes())
            ),
        ),
        (
            "a jku to fetch",
            signed_rs256(&format!(
                r#"{{"alg":"RS256","jku":"https://evil.example/jwks.json","kid":"{kid}","typ":"JWT"}}"#
            )),
        ),
        (
            "an x5u to fetch",
            signed_rs256(&format!(
                r#"{{"alg":"RS256","kid":"{kid}","typ":"JWT","x5u":"https://evil.example/c.pem"}}"#
            )),
        ),
        (
            "an embedded jwk",
            signed_rs256(&format!(
                r#"{{"alg":"RS256","jwk":{{"kty":"RSA","n":"{n}","e":"AQAB"}},"kid":"{kid}","typ":"JWT"}}"#
            )),
        ),
        (
            "a kid not in the set",
            signed_rs256(r#"{"alg":"RS256","kid":"not-ours","typ":"JWT"}"#),
        ),
    ] {
        let r = call!(info, t, Req::get(INFO).bearer(&token));
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert!(
            r.body.contains("Token is invalid or expired"),
            "{what}: {}",
            r.body
        );
        call!(token_verify, t, verify_req(&token)).assert(
            401,
            r#"{"detail":"Token is invalid or expired","code":"token_not_valid"}"#,
        );
    }
    // the control: the same header, our key, no fetching: valid
    let ours = signed_rs256(&format!(r#"{{"alg":"RS256","kid":"{kid}","typ":"JWT"}}"#));
    call!(info, t, Req::get(INFO).bearer(&ours)).assert(200, ALICE);
}

/// The test RSA key as DER (PKCS#8), for signing crafted tokens.
fn rsa_der() -> Vec<u8> {
    let body: String = RSA.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

#[tokio::test]
async fn es256_and_eddsa_rings_sign_and_publish_too() {
    for (alg, pem, kty) in [("ES256", EC, "EC"), ("EdDSA", ED, "OKP")] {
        let t = app(&asymmetric(alg, pem.to_owned())).await;
        let keys = jwks(&t).await;
        assert_eq!(keys["keys"][0]["kty"], kty);
        assert_eq!(keys["keys"][0]["alg"], alg);
        let (refresh, access) = pair_of_alice(&t).await;
        assert_eq!(header(&access)["alg"], alg);
        assert_eq!(header(&access)["kid"], keys["keys"][0]["kid"]);
        call!(info, t, Req::get(INFO).bearer(&access)).assert(200, ALICE);
        assert_eq!(refresh_with(&t, &refresh).await.status, 200);
        let jwt = call!(jwt_login, t, alice_credentials(JWT_LOGIN)).json()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(header(&jwt)["alg"], alg);
        call!(info, t, Req::get(INFO).header("jwt-auth", &jwt)).assert(200, ALICE);
    }
}

#[tokio::test]
async fn api_gateway_authorizes_access_tokens_and_refuses_every_other_kind() {
    let t = app(&asymmetric("RS256", RSA.to_owned())).await;
    let keys = jwks(&t).await;
    let (refresh, access) = pair_of_alice(&t).await;
    let renewed = refresh_with(&t, &refresh).await.json()["access"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwt = call!(jwt_login, t, alice_credentials(JWT_LOGIN)).json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(api_gateway_authorizes(&access, &keys, SCOPE), Ok(()));
    assert_eq!(api_gateway_authorizes(&renewed, &keys, SCOPE), Ok(()));
    // a refresh token names another audience
    assert_eq!(
        api_gateway_authorizes(&refresh, &keys, SCOPE),
        Err("aud".into())
    );
    // login/jwt tokens carry neither issuer nor audience
    assert_eq!(
        api_gateway_authorizes(&jwt, &keys, SCOPE),
        Err("iss".into())
    );
    // an ES256 stack's tokens: API Gateway verifies RSA only
    let es = app(&asymmetric("ES256", EC.to_owned())).await;
    let (_, es_access) = pair_of_alice(&es).await;
    assert!(api_gateway_authorizes(&es_access, &jwks(&es).await, SCOPE).is_err());
}

#[test]
fn a_malformed_key_stops_the_function_with_a_message_naming_the_setting() {
    let start = |vars: &[(&str, &str)]| {
        Settings::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let truncated = &RSA[..RSA.len() - 200];
    for (vars, message) in [
        (
            vec![("ALGORITHM", "RS256"), ("SIGNING_KEYS", truncated)],
            "SIGNING_KEYS: no PEM private key for RS256 in it",
        ),
        (
            vec![
                ("ALGORITHM", "RS256"),
                ("SIGNING_KEY", "a long enough secret, but not a key"),
            ],
            "SIGNING_KEY: no PEM private key for RS256 in it",
        ),
        (
            vec![("ALGORITHM", "RS256"), ("SIGNING_KEYS", EC)],
            "SIGNING_KEYS: key 1 is not a valid RS256 private key",
        ),
        (
            vec![
                ("ALGORITHM", "ES256"),
                ("SIGNING_KEYS", &format!("{EC}\n{RSA}")),
            ],
            "SIGNING_KEYS: key 2 is not a valid ES256 private key",
        ),
        (
            vec![("ALGORITHM", "PS256"), ("SIGNING_KEY", RSA)],
            "ALGORITHM must be HS256, RS256, ES256 or EdDSA",
        ),
    ] {
        let error = start(&vars).unwrap_err();
        assert!(error.starts_with(message), "{error}");
        assert!(
            !error.contains("MII"),
            "no key material in the message: {error}"
        );
    }
}
