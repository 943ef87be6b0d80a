//! Crafting hostile tokens, bodies and events.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::auth::base::jwt::key_id;
use integration_tests::{Req, SIGNING_KEY};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use crate::helpers::*;
/// An RSA public key, as an alg-confusion attacker would use it as an HMAC secret.
pub(super) const PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlwX6G8yClpRYtlIYC69D
YmKEYz63oA6rL/x8nWd8R/qb4i++DdOGQpxK+HJ07n7UsKlLJEyg4Uh0BZY4bKS7
Wk9nN1fVYpF0u1iBk5tXo2K5Q3hN2vYzL8gS9mR1cT6aD4eF7jH0kM3nP5qR8sU
1vW3xY6zA9bC2dE5fG8hJ1kL4mN7oP0qR3sT6uV9wX2yZ5aB8cD1eF4gH7iJ0kL
3mN6oP9qR2sT5uV8wX1yZ4aB7cD0eF3gH6iJ9kL2mN5oP8qR1sT4uV7wX0yZ3aB
6cD9eF2gH5iJ8kL1mN4oP7qR0sT3uV6wX9yZ2aB5cD8eF1gH4iJ7kL0mN3oP6qR
9QIDAQAB
-----END PUBLIC KEY-----
";

pub(super) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `b64(header).b64(payload)` with the MAC of `alg` under `key`: any header,
/// any payload text (duplicate keys, deep nesting, out-of-range numbers).
pub(super) fn sign_raw(header: &str, payload: &str, key: &[u8], alg: Algorithm) -> String {
    let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(key), alg)
            .expect("HMAC signing");
    format!("{message}.{signature}")
}

/// `claims` under `header`, HMAC'd (HS256) with the RSA public key's PEM as
/// the secret: the alg-confusion attack.
pub(super) fn hmac_with_public_pem(header: &str, claims: &Value) -> String {
    sign_raw(
        header,
        &claims.to_string(),
        PUBLIC_KEY_PEM.as_bytes(),
        Algorithm::HS256,
    )
}

/// `claims` under `header`, signed with the test key by `alg`.
pub(super) fn signed_with_real_key(header: &str, claims: &Value, alg: Algorithm) -> String {
    sign_raw(header, &claims.to_string(), SIGNING_KEY.as_bytes(), alg)
}

/// Our own header: HS256 with the test key's `kid`.
pub(super) fn our_header() -> String {
    format!(
        r#"{{"alg":"HS256","kid":"{}","typ":"JWT"}}"#,
        key_id(SIGNING_KEY.as_bytes())
    )
}

/// Payload text signed as the test apps sign (their algorithm and key),
/// with their `aud` and `iss` first when they set them.
pub(super) fn signed_text(payload: &str) -> String {
    let configured: Vec<String> = integration_tests::configured_claims(false)
        .iter()
        .map(|(name, value)| format!(r#""{name}":"{value}""#))
        .collect();
    let payload = match payload.strip_prefix('{') {
        Some(rest) if !configured.is_empty() => {
            let separator = if rest.trim_start().starts_with('}') {
                ""
            } else {
                ","
            };
            format!("{{{}{separator}{rest}", configured.join(","))
        }
        _ => payload.to_owned(),
    };
    integration_tests::test_backend().sign_payload(payload.as_bytes())
}

/// A token with this header and payload and no valid signature.
pub(super) fn unsigned(header: &str, payload: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        b64(header.as_bytes()),
        b64(payload.to_string().as_bytes())
    )
}

/// Replaces one part (0 header, 1 payload, 2 signature) of a token.
pub(super) fn with_part(token: &str, index: usize, part: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[index] = part;
    parts.join(".")
}

/// A string of `len` characters that looks like a JWT (header, payload, signature).
pub(super) fn huge_token(len: usize) -> String {
    let head = b64(our_header().as_bytes());
    let filler = "A".repeat(len - head.len() - 2 - 43);
    format!("{head}.{filler}.{}", "B".repeat(43))
}

pub(super) fn bearer_messages(message: &str) -> String {
    json!({
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}]
    })
    .to_string()
}

pub(super) fn detail(text: &str) -> String {
    json!({ "detail": text }).to_string()
}

pub(super) fn coded(text: &str, code: &str) -> String {
    json!({ "detail": text, "code": code }).to_string()
}

pub(super) fn info_bearer(token: &str) -> Req {
    Req::get(INFO).header("authorization", &format!("Bearer {token}"))
}

pub(super) fn info_jwt_auth(token: &str) -> Req {
    Req::get(INFO).header("jwt-auth", token)
}

/// Access claims with one claim replaced.
pub(super) fn access_with(key: &str, value: Value) -> Value {
    let mut claims = access_claims(json!("1"));
    claims[key] = value;
    claims
}

/// A request whose header names are as given (mixed case), bypassing the
/// builder's lowercasing: the event is edited, then parsed like API Gateway's.
pub(super) fn with_header_names(req: &Req, names: &[(&str, &str)]) -> Value {
    let mut event = req.event();
    let headers = event["headers"].as_object_mut().expect("headers");
    for (from, to) in names {
        let value = headers.remove(*from).expect("the header to rename");
        headers.insert((*to).to_owned(), value);
    }
    event
}

/// JSON text nested `depth` levels deep.
pub(super) fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}
