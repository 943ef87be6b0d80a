//! The tutorial's own tokens (`login/jwt`, sent back in `jwt-auth`):
//! `{"id","username","iat","exp"}` plus `gen`, and how they are read.

use super::claims::{
    ClaimError, UserIdClaim, check_registered_claims, claim_gen, is_falsy, user_id_claim,
};
use crate::base::jwt::JwtBackend;
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct TutorialClaims<'a> {
    pub(super) id: u64,
    pub(super) username: &'a str,
    pub(super) iat: i64,
    pub(super) exp: i64,
    #[serde(rename = "gen")]
    pub(super) generation: u64,
}

/// A decoded `jwt-auth` token: whose, and of which generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TutorialToken {
    pub user_id: u64,
    pub generation: Option<u64>,
}

/// Why a `jwt-auth` token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TutorialTokenError {
    Decoding,
    Expired,
    InvalidToken,
    UserNotFound,
}

/// Decodes a `jwt-auth` token down to the user id it names.
pub fn decode_tutorial(
    backend: &JwtBackend,
    token: &str,
    now: i64,
) -> Result<TutorialToken, TutorialTokenError> {
    let claims = backend
        .decode(token)
        .map_err(|_| TutorialTokenError::Decoding)?;
    check_registered_claims(&claims, now).map_err(|e| match e {
        ClaimError::Expired => TutorialTokenError::Expired,
        ClaimError::Invalid => TutorialTokenError::Decoding,
    })?;
    let id = claims.get("id").ok_or(TutorialTokenError::InvalidToken)?;
    if is_falsy(id) || !claims.contains_key("exp") {
        return Err(TutorialTokenError::InvalidToken);
    }
    match user_id_claim(id) {
        UserIdClaim::Id(id) => Ok(TutorialToken {
            user_id: id,
            generation: claim_gen(&claims),
        }),
        UserIdClaim::NoSuchUser => Err(TutorialTokenError::UserNotFound),
        UserIdClaim::Unrecognizable => Err(TutorialTokenError::InvalidToken),
    }
}
