//! One signing key: parsed from a secret or a PEM private key, its `kid`
//! (a fingerprint, or the RFC 7638 thumbprint), its public JWK, and
//! signing with it; and making a new private key (`authctl keys generate`).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256,
    RsaKeyPair, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;

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

    pub(super) fn jsonwebtoken(self) -> Algorithm {
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
pub(super) enum Signer {
    Hmac(EncodingKey),
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

pub(super) struct Key {
    pub(super) kid: String,
    pub(super) signer: Signer,
    pub(super) decoding: DecodingKey,
    /// The public key as a JWK (asymmetric keys only).
    pub(super) jwk: Option<Value>,
}

/// The HS256 `kid` of a secret: 16 hex characters of HMAC-SHA256(key, label).
pub fn key_id(key: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key size");
    mac.update(b"auth.jwt.kid");
    hex::encode(&mac.finalize().into_bytes()[..8])
}

pub(super) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The RFC 7638 thumbprint of a public JWK: base64url SHA-256 of its
/// required members, in lexicographic order, compact.
pub(super) fn thumbprint(required: &[(&str, &str)]) -> String {
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
    pub(super) fn hmac(secret: &[u8]) -> Key {
        Key {
            kid: key_id(secret),
            signer: Signer::Hmac(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
            jwk: None,
        }
    }

    /// A private key in PEM: PKCS#8 (`PRIVATE KEY`) for every algorithm, or
    /// PKCS#1 (`RSA PRIVATE KEY`) / SEC1 (`EC PRIVATE KEY`).
    pub(super) fn private(alg: Alg, index: usize, pem: &[u8]) -> Result<Key, KeyError> {
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

    pub(super) fn sign(&self, message: &[u8]) -> Vec<u8> {
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
