//! Tokens by name: what each endpoint issues and accepts.
//!
//! * simplejwt tokens (`access`, `refresh`): `{"token_type","exp","iat","jti","user_id"}`,
//!   plus `fam` (the refresh family a login starts, kept through rotations
//!   and copied into every access token made from it) and `gen` (the
//!   user's credential generation when issued); refresh tokens also carry
//!   `auth_time` (when the family's login happened: no successor outlives
//!   `REFRESH_TOKEN_MAX_LIFETIME` after it) and, with
//!   `REFRESH_TOKEN_BIND=address`, `bnd` (a keyed hash of the client
//!   address, or IPv6 /64, that logged in).
//! * the tutorial's `login/jwt` tokens: `{"id","username","iat","exp"}` plus
//!   `gen`, sent back in the `jwt-auth` header.
//!
//! [`Tokens`] holds the key ring and the lifetimes (`TokenSettings`), so an
//! endpoint asks for `tokens.pair_for(&user, now)` or
//! `tokens.refresh(raw, now)?.access_token(now)` and never handles keys or
//! lifetimes itself.
//!
//! A token whose `gen` is older than its user's (a password change or a
//! logout-everywhere since) is revoked; tokens without `gen` (signed
//! elsewhere with the same key) count as generation 0.
//!
//! Both are signed by the same key ring ([`crate::base::jwt::JwtBackend`]; HS256
//! unless `ALGORITHM` says otherwise). With `ISSUER`, `AUDIENCE` and
//! `ACCESS_TOKEN_SCOPE` set, access and refresh tokens carry `iss` and `aud`
//! (after simplejwt's claims, in simplejwt's order) and access tokens
//! `scope`; `iss` and `aud` are then required on every one presented. Time claims
//! follow PyJWT (leeway 0): `iat` or `nbf` in the future is not yet valid,
//! `exp <= now` is expired, and a time claim is read the way Python's `int()`
//! reads it. Refusals are [`TokenError`] and [`TutorialTokenError`]; their
//! wording is simplejwt's and the tutorial's, in `contract.rs`.

mod claims;
mod simplejwt;
mod tutorial;
mod valid;

pub use claims::*;
pub use simplejwt::*;
pub use tutorial::{TutorialToken, TutorialTokenError, decode_tutorial};
pub use valid::*;
