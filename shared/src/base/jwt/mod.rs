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
//! `credentials::tokens`.

mod keys;
mod ring;

pub use keys::{Alg, KeyError, generate_private_key, key_id, pem_blocks};
pub use ring::{Claims, DecodeError, JwtBackend};
