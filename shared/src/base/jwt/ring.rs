//! The ring of keys: the first signs, every one verifies (and is
//! published); decoding restricted to the configured algorithm.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Validation;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::base::audit::{self, Event, Subject};

use super::keys::{Alg, Key, KeyError, b64};

/// Claims of a decoded token, in the order they were sent.
pub type Claims = Map<String, Value>;

pub struct JwtBackend {
    alg: Alg,
    keys: Vec<Key>,
    /// The current key's header, base64url-encoded once.
    header_b64: String,
    validation: Validation,
}

impl std::fmt::Debug for JwtBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("JwtBackend")
            .field("alg", &self.alg)
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}

/// Why a token could not be decoded. Token styles word these differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a JWT, bad base64 or JSON, a payload that is not an object, a
    /// `kid` naming no key we hold, or a header naming keys to fetch.
    Malformed,
    /// An `alg` other than the configured one (including `none`).
    Algorithm,
    /// The signature does not match.
    Signature,
}

impl JwtBackend {
    /// An HS256 ring of these secrets, the first of which signs. Panics
    /// without keys (settings never allow that).
    pub fn new(keys: &[&[u8]]) -> Self {
        Self::with_keys(Alg::HS256, keys).expect("HS256 takes any secret")
    }

    /// A ring for `alg`: HS256 secrets, or PEM private keys for the
    /// others; the first signs.
    pub fn with_keys(alg: Alg, keys: &[&[u8]]) -> Result<Self, KeyError> {
        assert!(!keys.is_empty(), "at least one signing key");
        let keys = keys
            .iter()
            .enumerate()
            .map(|(i, k)| Key::private(alg, i + 1, k))
            .collect::<Result<Vec<Key>, _>>()?;
        let header = format!(
            r#"{{"alg":"{}","kid":"{}","typ":"JWT"}}"#,
            alg.name(),
            keys[0].kid
        );
        let mut validation = Validation::new(alg.jsonwebtoken());
        // Claims are checked in `tokens.rs` (leeway 0, `exp <= now`, iss, aud).
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Ok(JwtBackend {
            alg,
            header_b64: b64(header.as_bytes()),
            keys,
            validation,
        })
    }

    pub fn algorithm(&self) -> Alg {
        self.alg
    }

    /// The `kid` new tokens carry.
    pub fn current_kid(&self) -> &str {
        &self.keys[0].kid
    }

    /// Signs `claims` (serialized in field order) with the current key.
    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        self.sign_payload(&serde_json::to_vec(claims).expect("claims serialize to JSON"))
    }

    /// Signs `claims` with the current key, the header's `typ` saying what
    /// kind of token it is (RFC 8725 §3.11 explicit typing; `at+jwt` for
    /// an access token, RFC 9068).
    pub fn sign_typed<C: Serialize>(&self, claims: &C, typ: &str) -> String {
        let header = format!(
            r#"{{"alg":"{}","kid":"{}","typ":"{typ}"}}"#,
            self.alg.name(),
            self.keys[0].kid
        );
        let payload = serde_json::to_vec(claims).expect("claims serialize to JSON");
        self.sign_parts(&b64(header.as_bytes()), &payload)
    }

    /// Signs these payload bytes as they are, with the current key.
    pub fn sign_payload(&self, payload: &[u8]) -> String {
        self.sign_parts(&self.header_b64, payload)
    }

    fn sign_parts(&self, header_b64: &str, payload: &[u8]) -> String {
        let mut token = String::with_capacity(header_b64.len() + payload.len() * 4 / 3 + 400);
        token.push_str(header_b64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signature = self.keys[0].sign(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        token
    }

    /// The public keys that verify, as a JWK Set (`{"keys":[]}` for HS256,
    /// whose keys are secrets).
    pub fn jwks(&self) -> Value {
        let keys: Vec<&Value> = self.keys.iter().filter_map(|k| k.jwk.as_ref()).collect();
        json!({ "keys": keys })
    }

    /// Checks the header (algorithm, no keys to fetch), picks the key by
    /// `kid`, checks the signature; returns the claims object.
    pub fn decode(&self, token: &str) -> Result<Claims, DecodeError> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => DecodeError::Algorithm,
            _ => DecodeError::Malformed,
        })?;
        if header.alg != self.alg.jsonwebtoken() {
            return Err(DecodeError::Algorithm);
        }
        if header.jku.is_some()
            || header.x5u.is_some()
            || header.jwk.is_some()
            || header.x5c.is_some()
        {
            return Err(DecodeError::Malformed);
        }
        let key = match header.kid.as_deref() {
            None => &self.keys[0],
            Some(kid) => self.keys.iter().find(|k| k.kid == kid).ok_or_else(|| {
                audit::emit(Event::UnknownKid, Subject::Nobody, kid);
                DecodeError::Malformed
            })?,
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
    use super::super::keys::{generate_private_key, key_id, pem_blocks, thumbprint};
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

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

    /// Test keys (generated with openssl for these tests only).
    pub(crate) const RSA_PEM: &str = include_str!("../../../tests/fixtures/keys/rsa.pem");
    pub(crate) const RSA_OLD_PEM: &str = include_str!("../../../tests/fixtures/keys/rsa-old.pem");
    pub(crate) const EC_PEM: &str = include_str!("../../../tests/fixtures/keys/ec.pem");
    pub(crate) const ED_PEM: &str = include_str!("../../../tests/fixtures/keys/ed25519.pem");

    fn ring(alg: Alg, pems: &[&str]) -> JwtBackend {
        let keys: Vec<&[u8]> = pems.iter().map(|p| p.as_bytes()).collect();
        JwtBackend::with_keys(alg, &keys).unwrap()
    }

    #[test]
    fn asymmetric_algorithms_sign_verify_and_publish_their_public_keys() {
        for (alg, pem, kty) in [
            (Alg::RS256, RSA_PEM, "RSA"),
            (Alg::ES256, EC_PEM, "EC"),
            (Alg::EdDSA, ED_PEM, "OKP"),
        ] {
            let backend = ring(alg, &[pem]);
            let token = backend.sign(&json!({"a": 1}));
            let header = URL_SAFE_NO_PAD
                .decode(token.split('.').next().unwrap())
                .unwrap();
            assert_eq!(
                String::from_utf8(header).unwrap(),
                format!(
                    r#"{{"alg":"{}","kid":"{}","typ":"JWT"}}"#,
                    alg.name(),
                    backend.current_kid()
                )
            );
            assert_eq!(backend.decode(&token).unwrap()["a"], json!(1), "{alg:?}");
            let jwks = backend.jwks();
            let jwk = &jwks["keys"][0];
            assert_eq!(jwk["kty"], kty);
            assert_eq!(jwk["alg"], alg.name());
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["kid"], backend.current_kid());
            assert!(!jwk.to_string().contains("\"d\""), "no private part");
            // verifiable from the JWK alone
            let decoding =
                DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap();
            let mut validation = Validation::new(alg.jsonwebtoken());
            validation.required_spec_claims.clear();
            jsonwebtoken::decode::<Value>(&token, &decoding, &validation).unwrap();
            // a tampered token
            let tampered = format!("{}x", &token[..token.len() - 1]);
            assert!(backend.decode(&tampered).is_err());
        }
        assert_eq!(JwtBackend::new(&[KEY]).jwks(), json!({"keys": []}));
    }

    #[test]
    fn kid_is_the_rfc_7638_thumbprint() {
        // RFC 7638 §3.1's example key and thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            thumbprint(&[("e", "AQAB"), ("kty", "RSA"), ("n", n)]),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn only_the_configured_algorithm_verifies() {
        let rsa = ring(Alg::RS256, &[RSA_PEM]);
        // algorithm confusion: HS256 "signed" with the public key as the secret
        let public_n = rsa.jwks()["keys"][0]["n"].as_str().unwrap().to_owned();
        for secret in [public_n.as_bytes(), RSA_PEM.as_bytes()] {
            let mut forged = JwtBackend::new(&[secret]).sign(&json!({"a": 1}));
            assert_eq!(rsa.decode(&forged), Err(DecodeError::Algorithm));
            // even naming our kid
            let header = format!(
                r#"{{"alg":"HS256","kid":"{}","typ":"JWT"}}"#,
                rsa.current_kid()
            );
            let payload = forged.split('.').nth(1).unwrap().to_owned();
            let message = format!("{}.{payload}", b64(header.as_bytes()));
            let mac = jsonwebtoken::crypto::sign(
                message.as_bytes(),
                &EncodingKey::from_secret(secret),
                Algorithm::HS256,
            )
            .unwrap();
            forged = format!("{message}.{mac}");
            assert_eq!(rsa.decode(&forged), Err(DecodeError::Algorithm));
        }
        // another asymmetric algorithm is refused too
        let ec = ring(Alg::ES256, &[EC_PEM]).sign(&json!({"a": 1}));
        assert_eq!(rsa.decode(&ec), Err(DecodeError::Algorithm));
        // and HS256 tokens on an RS256 ring
        let hs = JwtBackend::new(&[KEY]).sign(&json!({"a": 1}));
        assert_eq!(rsa.decode(&hs), Err(DecodeError::Algorithm));
    }

    #[test]
    fn headers_naming_keys_to_fetch_are_refused() {
        let rsa = ring(Alg::RS256, &[RSA_PEM]);
        let payload = b64(br#"{"a":1}"#);
        for extra in [
            r#""jku":"https://evil.example/jwks.json","#,
            r#""x5u":"https://evil.example/cert.pem","#,
            r#""jwk":{"kty":"oct","k":"c2VjcmV0"},"#,
            r#""x5c":["MIIB"],"#,
        ] {
            let header = format!(
                r#"{{"alg":"RS256",{extra}"kid":"{}","typ":"JWT"}}"#,
                rsa.current_kid()
            );
            let message = format!("{}.{payload}", b64(header.as_bytes()));
            let signature = b64(&rsa.keys[0].sign(message.as_bytes()));
            let token = format!("{message}.{signature}");
            assert_eq!(rsa.decode(&token), Err(DecodeError::Malformed), "{extra}");
        }
    }

    #[test]
    fn the_ring_rotates_and_publishes_every_key() {
        let old = ring(Alg::RS256, &[RSA_OLD_PEM]).sign(&json!({"a": 1}));
        // publish the next key (last), then sign with it (first)
        let published = ring(Alg::RS256, &[RSA_OLD_PEM, RSA_PEM]);
        assert_eq!(published.jwks()["keys"].as_array().unwrap().len(), 2);
        assert!(published.decode(&old).is_ok());
        let rotated = ring(Alg::RS256, &[RSA_PEM, RSA_OLD_PEM]);
        let new = rotated.sign(&json!({"a": 2}));
        assert!(
            published.decode(&new).is_ok(),
            "the published next key verifies"
        );
        assert!(rotated.decode(&old).is_ok());
        assert_eq!(
            ring(Alg::RS256, &[RSA_PEM]).decode(&old),
            Err(DecodeError::Malformed)
        );
    }

    #[test]
    fn generated_keys_are_pkcs8_pems_the_ring_takes() {
        use secrecy::ExposeSecret;
        assert!(generate_private_key(Alg::HS256).is_none());
        for alg in [Alg::RS256, Alg::ES256, Alg::EdDSA] {
            let pem = generate_private_key(alg).unwrap();
            let pem = pem.expose_secret();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg:?}");
            assert!(pem.lines().all(|l| l.len() <= 64));
            let ring = ring(alg, &[pem]);
            assert!(ring.decode(&ring.sign(&json!({"a": 1}))).is_ok());
            assert_ne!(
                generate_private_key(alg).unwrap().expose_secret(),
                pem,
                "fresh each time"
            );
        }
    }

    #[test]
    fn bad_keys_are_named() {
        let with = |alg, key: &str| JwtBackend::with_keys(alg, &[key.as_bytes()]).map(|_| ());
        assert_eq!(with(Alg::RS256, "not a pem"), Err(KeyError::NotPem(1)));
        assert!(matches!(
            with(Alg::RS256, EC_PEM),
            Err(KeyError::Invalid { index: 1, .. })
        ));
        assert!(matches!(
            with(Alg::ES256, RSA_PEM),
            Err(KeyError::Invalid { .. })
        ));
        assert!(matches!(
            with(Alg::EdDSA, RSA_PEM),
            Err(KeyError::Invalid { .. })
        ));
        let truncated = &RSA_PEM[..RSA_PEM.len() / 2];
        assert!(with(Alg::RS256, truncated).is_err());
        assert_eq!(pem_blocks(&format!("{RSA_PEM}\n{RSA_OLD_PEM}")).len(), 2);
        assert_eq!(pem_blocks("junk"), Vec::<String>::new());
    }
}
