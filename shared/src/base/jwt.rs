//! The key ring: the one place where tokens are signed and signatures
//! checked, with simplejwt's `ALGORITHM`: `HS256` (a shared secret, the
//! default), `RS256`, `ES256` or `EdDSA` (private keys, whose public halves
//! [`JwtBackend::jwks`] publishes so other services verify tokens alone).
//!
//! Keys form a ring: the first signs, every one verifies (and, for the
//! asymmetric algorithms, is published). Each token's header names its key
//! by `kid`: for HS256 a fingerprint derived from the secret (an HMAC of a
//! fixed label, so it reveals nothing), for the others the RFC 7638 JWK
//! thumbprint of the public key. A token with an unknown `kid` is invalid;
//! one without `kid` (signed elsewhere with the same key, e.g. by Django)
//! is checked against the current key only. Only the configured algorithm
//! verifies (an HS256 token whose "secret" is our RSA public key is refused),
//! and a token naming keys to fetch (`jku`, `x5u`, `jwk`, `x5c`) is refused:
//! nothing is ever fetched.
//!
//! Signing assembles `base64url(header).base64url(claims)` itself so the
//! header is byte-for-byte PyJWT's (sorted keys, compact:
//! `{"alg":"HS256","kid":"…","typ":"JWT"}`). Private keys are parsed once,
//! when the ring is built (a cold start). Verification is
//! `jsonwebtoken::decode` restricted to the configured algorithm, with its
//! own claim checks off: the claim rules (leeway 0, `exp <= now` is
//! expired, issuer and audience, each token style's wording) live in
//! `tokens.rs`.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256,
    RsaKeyPair, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::base::audit::{self, Event, Subject};

/// Claims of a decoded token, in the order they were sent.
pub type Claims = Map<String, Value>;

/// The signing algorithms (simplejwt's `ALGORITHM` values we support).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    HS256,
    RS256,
    ES256,
    EdDSA,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// `HS256`, `RS256`, `ES256` or `EdDSA` (case as simplejwt writes them).
    pub fn parse(name: &str) -> Option<Self> {
        [Alg::HS256, Alg::RS256, Alg::ES256, Alg::EdDSA]
            .into_iter()
            .find(|a| a.name() == name.trim())
    }

    /// Whether keys are private keys with published public halves.
    pub fn is_asymmetric(self) -> bool {
        self != Alg::HS256
    }

    fn jsonwebtoken(self) -> Algorithm {
        match self {
            Alg::HS256 => Algorithm::HS256,
            Alg::RS256 => Algorithm::RS256,
            Alg::ES256 => Algorithm::ES256,
            Alg::EdDSA => Algorithm::EdDSA,
        }
    }
}

/// A private key that cannot serve the configured algorithm.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("key {0} is not a PEM private key (-----BEGIN PRIVATE KEY-----)")]
    NotPem(usize),
    #[error("key {index} is not a valid {alg} private key: {reason}")]
    Invalid {
        index: usize,
        alg: &'static str,
        reason: String,
    },
    #[error("key {0} is an RSA key under 2048 bits")]
    RsaTooSmall(usize),
}

/// How one key signs.
enum Signer {
    Hmac(EncodingKey),
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

struct Key {
    kid: String,
    signer: Signer,
    decoding: DecodingKey,
    /// The public key as a JWK (asymmetric keys only).
    jwk: Option<Value>,
}

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

/// The HS256 `kid` of a secret: 16 hex characters of HMAC-SHA256(key, label).
pub fn key_id(key: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key size");
    mac.update(b"auth.jwt.kid");
    hex::encode(&mac.finalize().into_bytes()[..8])
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The RFC 7638 thumbprint of a public JWK: base64url SHA-256 of its
/// required members, in lexicographic order, compact.
fn thumbprint(required: &[(&str, &str)]) -> String {
    let members: Vec<String> = required
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"{v}\""))
        .collect();
    b64(&Sha256::digest(format!("{{{}}}", members.join(","))))
}

/// The DER inside a PEM block (`-----BEGIN …-----`): its label and bytes.
fn pem_der(pem: &str) -> Option<(&str, Vec<u8>)> {
    let rest = pem.trim().strip_prefix("-----BEGIN ")?;
    let (label, rest) = rest.split_once("-----")?;
    let end = format!("-----END {label}-----");
    let body = rest.trim().strip_suffix(end.as_str())?;
    let text: String = body.split_whitespace().collect();
    Some((label, STANDARD.decode(text).ok()?))
}

/// The PEM blocks in `text`, in order (`SIGNING_KEYS` for the asymmetric
/// algorithms: private keys one after the other, current first).
pub fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let Some(label_end) = rest[start + 11..].find("-----") else {
            break;
        };
        let label = &rest[start + 11..start + 11 + label_end];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = rest[start..].find(&end_marker) else {
            break;
        };
        let stop = start + end + end_marker.len();
        blocks.push(rest[start..stop].to_owned());
        rest = &rest[stop..];
    }
    blocks
}

impl Key {
    fn hmac(secret: &[u8]) -> Key {
        Key {
            kid: key_id(secret),
            signer: Signer::Hmac(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
            jwk: None,
        }
    }

    /// A private key in PEM: PKCS#8 (`PRIVATE KEY`) for every algorithm, or
    /// PKCS#1 (`RSA PRIVATE KEY`) / SEC1 (`EC PRIVATE KEY`).
    fn private(alg: Alg, index: usize, pem: &[u8]) -> Result<Key, KeyError> {
        if alg == Alg::HS256 {
            return Ok(Key::hmac(pem));
        }
        let text = std::str::from_utf8(pem).map_err(|_| KeyError::NotPem(index))?;
        let (label, der) = pem_der(text).ok_or(KeyError::NotPem(index))?;
        let invalid = |reason: String| KeyError::Invalid {
            index,
            alg: alg.name(),
            reason,
        };
        match alg {
            Alg::HS256 => unreachable!("handled above"),
            Alg::RS256 => {
                let pair = match label {
                    "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
                    _ => RsaKeyPair::from_pkcs8(&der),
                }
                .map_err(|e| invalid(e.to_string()))?;
                if pair.public_modulus_len() < 256 {
                    return Err(KeyError::RsaTooSmall(index));
                }
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                let (n, e) = (b64(&public.n), b64(&public.e));
                let kid = thumbprint(&[("e", &e), ("kty", "RSA"), ("n", &n)]);
                let jwk =
                    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
                Ok(Key {
                    decoding: DecodingKey::from_rsa_raw_components(&public.n, &public.e),
                    signer: Signer::Rsa(pair),
                    kid,
                    jwk: Some(jwk),
                })
            }
            Alg::ES256 => {
                let pair = match label {
                    "EC PRIVATE KEY" => {
                        EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
                    }
                    _ => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der),
                }
                .map_err(|e| invalid(e.to_string()))?;
                // The uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                let (x, y) = (b64(&point[1..33]), b64(&point[33..65]));
                let kid = thumbprint(&[("crv", "P-256"), ("kty", "EC"), ("x", &x), ("y", &y)]);
                let jwk = json!({"kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256", "x": x, "y": y});
                Ok(Key {
                    decoding: DecodingKey::from_ec_components(&x, &y)
                        .map_err(|e| invalid(e.to_string()))?,
                    signer: Signer::Ec(pair),
                    kid,
                    jwk: Some(jwk),
                })
            }
            Alg::EdDSA => {
                let pair = Ed25519KeyPair::from_pkcs8(&der).map_err(|e| invalid(e.to_string()))?;
                let x = b64(pair.public_key().as_ref());
                let kid = thumbprint(&[("crv", "Ed25519"), ("kty", "OKP"), ("x", &x)]);
                let jwk = json!({"kty": "OKP", "use": "sig", "alg": "EdDSA", "kid": kid, "crv": "Ed25519", "x": x});
                Ok(Key {
                    decoding: DecodingKey::from_ed_components(&x)
                        .map_err(|e| invalid(e.to_string()))?,
                    signer: Signer::Ed(pair),
                    kid,
                    jwk: Some(jwk),
                })
            }
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.signer {
            Signer::Hmac(key) => {
                let signature = jsonwebtoken::crypto::sign(message, key, Algorithm::HS256)
                    .expect("HMAC signing cannot fail");
                URL_SAFE_NO_PAD
                    .decode(signature)
                    .expect("jsonwebtoken returns base64url")
            }
            Signer::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .expect("RSA signing with a valid key");
                signature
            }
            Signer::Ec(pair) => pair
                .sign(&SystemRandom::new(), message)
                .expect("ECDSA signing with a valid key")
                .as_ref()
                .to_vec(),
            Signer::Ed(pair) => pair.sign(message).as_ref().to_vec(),
        }
    }
}

/// A new private key for `alg` as a PKCS#8 PEM (RSA 2048, P-256 or
/// Ed25519), for `SIGNING_KEYS`; `None` for HS256, whose keys are secrets.
pub fn generate_private_key(alg: Alg) -> Option<secrecy::SecretString> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;
    let der: Vec<u8> = match alg {
        Alg::HS256 => return None,
        Alg::RS256 => RsaKeyPair::generate(KeySize::Rsa2048)
            .and_then(|k| k.as_der())
            .map(|d| d.as_ref().to_vec()),
        Alg::ES256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|k| k.to_pkcs8v1())
            .map(|d| d.as_ref().to_vec()),
        Alg::EdDSA => Ed25519KeyPair::generate()
            .and_then(|k| k.to_pkcs8v1())
            .map(|d| d.as_ref().to_vec()),
    }
    .expect("the OS random source works");
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    Some(secrecy::SecretString::from(format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )))
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

    /// Signs these payload bytes as they are, with the current key.
    pub fn sign_payload(&self, payload: &[u8]) -> String {
        let mut token = String::with_capacity(self.header_b64.len() + payload.len() * 4 / 3 + 400);
        token.push_str(&self.header_b64);
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
    use super::*;

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
    pub(crate) const RSA_PEM: &str = include_str!("../../tests/fixtures/keys/rsa.pem");
    pub(crate) const RSA_OLD_PEM: &str = include_str!("../../tests/fixtures/keys/rsa-old.pem");
    pub(crate) const EC_PEM: &str = include_str!("../../tests/fixtures/keys/ec.pem");
    pub(crate) const ED_PEM: &str = include_str!("../../tests/fixtures/keys/ed25519.pem");

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
