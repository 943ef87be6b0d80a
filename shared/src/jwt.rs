//! The one place where tokens are signed and signatures checked (HS256).
//!
//! Signing assembles `base64url(header).base64url(claims)` itself so the
//! header is byte-for-byte PyJWT's `{"alg":"HS256","typ":"JWT"}` (jsonwebtoken
//! would write `typ` first); the MAC comes from `jsonwebtoken::crypto::sign`.
//! Verification is `jsonwebtoken::decode` restricted to HS256, with its own
//! time checks off: the claim rules (leeway 0, `exp <= now` is expired, and
//! the exact error wording of each token style) live in `tokens.rs`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::Serialize;
use serde_json::{Map, Value};

/// `{"alg":"HS256","typ":"JWT"}`, as PyJWT writes it (sorted keys, compact).
const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Claims of a decoded token, in the order they were sent.
pub type Claims = Map<String, Value>;

pub struct JwtBackend {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

/// Why a token could not be decoded. Token styles word these differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a JWT, bad base64 or JSON, a payload that is not an object.
    Malformed,
    /// An `alg` other than HS256 (including `none`).
    Algorithm,
    /// The signature does not match.
    Signature,
}

impl JwtBackend {
    pub fn new(key: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // Time claims are checked in `tokens.rs` (leeway 0, `exp <= now`).
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        JwtBackend {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
        }
    }

    /// Signs `claims` (serialized in field order) into a compact JWT.
    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize to JSON");
        let mut token = String::with_capacity(64 + payload.len() * 4 / 3 + 44);
        URL_SAFE_NO_PAD.encode_string(HEADER_JSON, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signature =
            jsonwebtoken::crypto::sign(token.as_bytes(), &self.encoding, Algorithm::HS256)
                .expect("HMAC signing cannot fail");
        token.push('.');
        token.push_str(&signature);
        token
    }

    /// Checks the signature and algorithm; returns the claims object.
    pub fn decode(&self, token: &str) -> Result<Claims, DecodeError> {
        use jsonwebtoken::errors::ErrorKind;
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
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

    #[test]
    fn header_is_pyjwts_and_claims_keep_their_order() {
        let backend = JwtBackend::new(KEY);
        let token = backend.sign(&json!({"token_type": "access", "exp": 2, "iat": 1}));
        let mut parts = token.split('.');
        let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        assert_eq!(header, br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        assert_eq!(payload, br#"{"token_type":"access","exp":2,"iat":1}"#);
        let claims = backend.decode(&token).unwrap();
        assert_eq!(claims["exp"], json!(2));
    }

    #[test]
    fn matches_pyjwt_byte_for_byte() {
        // jwt.encode({"id": 1, "username": "alice"}, KEY, algorithm="HS256") with PyJWT 2.15.1
        let backend = JwtBackend::new(KEY);
        let token = backend.sign(&json!({"id": 1, "username": "alice"}));
        assert_eq!(
            token,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6MSwidXNlcm5hbWUiOiJhbGljZSJ9.ZnJF3cz2s0HU-NTGGaCi4qvCEgxkgTptZ6OuHk9oMJM"
        );
    }

    #[test]
    fn rejects_other_keys_algorithms_and_garbage() {
        let backend = JwtBackend::new(KEY);
        let other = JwtBackend::new(b"another key, also thirty-two bytes!");
        let token = other.sign(&json!({"a": 1}));
        assert_eq!(backend.decode(&token), Err(DecodeError::Signature));
        for garbage in ["", "a", "a.b", "a.b.c", "....", "eyJ9.eyJ9.x"] {
            assert!(backend.decode(garbage).is_err(), "{garbage:?}");
        }
        // alg: none, and an HS512 header
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
    }

    #[test]
    fn payload_must_be_an_object() {
        let backend = JwtBackend::new(KEY);
        let token = backend.sign(&json!([1, 2]));
        assert_eq!(backend.decode(&token), Err(DecodeError::Malformed));
    }
}
