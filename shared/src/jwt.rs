//! The one place where tokens are signed and signatures checked (HS256).
//!
//! Keys form a ring: the first signs, every one verifies. Each token's header
//! names its key by `kid`, a fingerprint derived from the key (an HMAC of a
//! fixed label, so it reveals nothing), so keys need no names. A token with
//! an unknown `kid` is invalid; one without `kid` (signed elsewhere with the
//! same secret, e.g. by Django) is checked against the current key only.
//!
//! Signing assembles `base64url(header).base64url(claims)` itself so the
//! header is byte-for-byte PyJWT's (sorted keys, compact:
//! `{"alg":"HS256","kid":"…","typ":"JWT"}`); the MAC comes from
//! `jsonwebtoken::crypto::sign`. Verification is `jsonwebtoken::decode`
//! restricted to HS256, with its own time checks off: the claim rules
//! (leeway 0, `exp <= now` is expired, each token style's wording) live in
//! `tokens.rs`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha256;

/// Claims of a decoded token, in the order they were sent.
pub type Claims = Map<String, Value>;

struct Key {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

pub struct JwtBackend {
    keys: Vec<Key>,
    /// The current key's header, base64url-encoded once.
    header_b64: String,
    validation: Validation,
}

/// Why a token could not be decoded. Token styles word these differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a JWT, bad base64 or JSON, a payload that is not an object, or a
    /// `kid` naming no key we hold.
    Malformed,
    /// An `alg` other than HS256 (including `none`).
    Algorithm,
    /// The signature does not match.
    Signature,
}

/// The `kid` of a key: 16 hex characters of HMAC-SHA256(key, label).
pub fn key_id(key: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key size");
    mac.update(b"auth.jwt.kid");
    hex::encode(&mac.finalize().into_bytes()[..8])
}

impl JwtBackend {
    /// A backend for `keys`, the first of which signs. Panics without keys
    /// (settings never allow that).
    pub fn new(keys: &[&[u8]]) -> Self {
        assert!(!keys.is_empty(), "at least one signing key");
        let keys: Vec<Key> = keys
            .iter()
            .map(|k| Key {
                kid: key_id(k),
                encoding: EncodingKey::from_secret(k),
                decoding: DecodingKey::from_secret(k),
            })
            .collect();
        let header = format!(r#"{{"alg":"HS256","kid":"{}","typ":"JWT"}}"#, keys[0].kid);
        let mut validation = Validation::new(Algorithm::HS256);
        // Time claims are checked in `tokens.rs` (leeway 0, `exp <= now`).
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        JwtBackend {
            header_b64: URL_SAFE_NO_PAD.encode(header),
            keys,
            validation,
        }
    }

    /// Signs `claims` (serialized in field order) with the current key.
    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize to JSON");
        let mut token = String::with_capacity(self.header_b64.len() + payload.len() * 4 / 3 + 48);
        token.push_str(&self.header_b64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signature =
            jsonwebtoken::crypto::sign(token.as_bytes(), &self.keys[0].encoding, Algorithm::HS256)
                .expect("HMAC signing cannot fail");
        token.push('.');
        token.push_str(&signature);
        token
    }

    /// Checks the algorithm, picks the key by `kid`, checks the signature;
    /// returns the claims object.
    pub fn decode(&self, token: &str) -> Result<Claims, DecodeError> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => DecodeError::Algorithm,
            _ => DecodeError::Malformed,
        })?;
        let key = match header.kid.as_deref() {
            None => &self.keys[0],
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid == kid)
                .ok_or(DecodeError::Malformed)?,
        };
        match jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => Err(match e.kind() {
                ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => DecodeError::Algorithm,
                ErrorKind::InvalidSignature => DecodeError::Signature,
                _ => DecodeError::Malformed,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const OLD: &[u8] = b"an older key, also thirty-two bytes";

    #[test]
    fn header_is_pyjwts_with_kid_and_claims_keep_their_order() {
        let backend = JwtBackend::new(&[KEY]);
        let token = backend.sign(&json!({"token_type": "access", "exp": 2, "iat": 1}));
        let mut parts = token.split('.');
        let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(header).unwrap(),
            format!(r#"{{"alg":"HS256","kid":"{}","typ":"JWT"}}"#, key_id(KEY))
        );
        let payload = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        assert_eq!(payload, br#"{"token_type":"access","exp":2,"iat":1}"#);
        assert_eq!(backend.decode(&token).unwrap()["exp"], json!(2));
    }

    #[test]
    fn matches_pyjwt_byte_for_byte() {
        // jwt.encode({"id": 1, "username": "alice"}, KEY, algorithm="HS256",
        //            headers={"kid": "008c3c026d0920f2"}) with PyJWT 2.15.1
        assert_eq!(key_id(KEY), "008c3c026d0920f2");
        let token = JwtBackend::new(&[KEY]).sign(&json!({"id": 1, "username": "alice"}));
        assert_eq!(token, PYJWT_WITH_KID);
    }

    const PYJWT_WITH_KID: &str = "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAwOGMzYzAyNmQwOTIwZjIiLCJ0eXAiOiJKV1QifQ.eyJpZCI6MSwidXNlcm5hbWUiOiJhbGljZSJ9.1gcI5SYGtt148EVAyanN9vn1VMvFnnafrR5cOpihLok";

    #[test]
    fn tokens_without_kid_are_checked_against_the_current_key_only() {
        // PyJWT, no kid: jwt.encode({"id": 1, "username": "alice"}, KEY, algorithm="HS256")
        let pyjwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6MSwidXNlcm5hbWUiOiJhbGljZSJ9.ZnJF3cz2s0HU-NTGGaCi4qvCEgxkgTptZ6OuHk9oMJM";
        assert!(JwtBackend::new(&[KEY]).decode(pyjwt).is_ok());
        assert!(JwtBackend::new(&[KEY, OLD]).decode(pyjwt).is_ok());
        assert_eq!(
            JwtBackend::new(&[OLD, KEY]).decode(pyjwt),
            Err(DecodeError::Signature)
        );
    }

    #[test]
    fn rotation_keeps_old_tokens_until_the_old_key_is_removed() {
        let old = JwtBackend::new(&[OLD]).sign(&json!({"a": 1}));
        let rotated = JwtBackend::new(&[KEY, OLD]);
        assert!(rotated.decode(&old).is_ok(), "old key still verifies");
        let new = rotated.sign(&json!({"a": 2}));
        assert!(rotated.decode(&new).is_ok());
        assert!(JwtBackend::new(&[KEY]).decode(&new).is_ok());
        assert_eq!(
            JwtBackend::new(&[KEY]).decode(&old),
            Err(DecodeError::Malformed),
            "unknown kid"
        );
    }

    #[test]
    fn rejects_other_keys_algorithms_and_garbage() {
        let backend = JwtBackend::new(&[KEY]);
        for garbage in ["", "a", "a.b", "a.b.c", "....", "eyJ9.eyJ9.x"] {
            assert!(backend.decode(garbage).is_err(), "{garbage:?}");
        }
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"a":1}"#)
        );
        assert!(backend.decode(&none).is_err());
        let hs512 = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"a":1}"#),
            "c2ln"
        );
        assert_eq!(backend.decode(&hs512), Err(DecodeError::Algorithm));
        // a forged kid header does not select a key we lack
        let forged = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","kid":"0000000000000000","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"a":1}"#),
            "c2ln"
        );
        assert_eq!(backend.decode(&forged), Err(DecodeError::Malformed));
    }

    #[test]
    fn payload_must_be_an_object() {
        let backend = JwtBackend::new(&[KEY]);
        let token = backend.sign(&json!([1, 2]));
        assert_eq!(backend.decode(&token), Err(DecodeError::Malformed));
    }
}
