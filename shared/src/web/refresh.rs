//! A refresh token's renewal, written once for simplejwt's refresh view
//! (`token-refresh`) and the OAuth token endpoint's `refresh_token` grant:
//! the tables' word on the token, the family's limits, and, when rotating,
//! single use with reuse detection.
//!
//! * The family's refresh count is charged (`REFRESH_TOKEN_RATE_LIMIT` a
//!   minute: 429 past it), and a revoked family refuses the token.
//! * With `REFRESH_TOKEN_BIND=address`, a token presented from another
//!   address (IPv6: /64) than its login's revokes its family.
//! * A token the tables revoke: a retry within `REFRESH_REUSE_INTERVAL`
//!   of its rotation, while the successor is unused, gets that same
//!   successor back; otherwise a rotated token's reuse revokes its whole
//!   family (`REFRESH_REUSE_DETECTION`).
//! * Rotation, single use: the presented token is blacklisted by one
//!   conditional write, so of N concurrent renewals with one token exactly
//!   one wins; the others count as reuse.

use crate::app::App;
use crate::base::audit::{self, Event, Subject};
use crate::credentials::tokens::{Refresh, TokenError, UserIdClaim};
use crate::model::client::OAuthClient;
use crate::policy::families::charge_refresh;
use crate::store::{Revocation, Store};
use crate::web::contract::ApiError;
use crate::web::request::Request;
use futures_util::future::join;

/// How a renewal treats the presented token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// A successor replaces it (`ROTATE_REFRESH_TOKENS`; always for OAuth).
    pub rotate: bool,
    /// The rotated token is blacklisted: single use
    /// (`BLACKLIST_AFTER_ROTATION`; always for OAuth).
    pub single_use: bool,
}

/// Renews `token`: `Ok(Some(successor))` when it is rotated (or a retry
/// gets its successor again), `Ok(None)` when it stays; otherwise why not
/// (simplejwt's 401s, 429, 503). `client`: the OAuth client it was issued
/// to, which must still act for its user (a third-party client: the
/// user's consent, given before the token, stands).
pub async fn renew<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    token: &Refresh<'_>,
    rotation: Rotation,
    client: Option<&OAuthClient>,
    now: i64,
) -> Result<Option<String>, ApiError> {
    let (state, rate) = join(token.state_in(&app.store), charge_refresh(app, token)).await;
    let state = state?;
    if state.family_revoked {
        return Err(TokenError::Blacklisted.into());
    }
    rate?;
    if token.bound_elsewhere(req.client_address()) {
        let until = app.settings.tokens.refresh_token_lifetime.after(now);
        app.store.revoke_family(token.family(), until).await?;
        let user = Subject::UserId(token.lookup_id().unwrap_or(0));
        audit::emit(Event::BindingMismatch, user, "family_revoked");
        return Err(TokenError::Blacklisted.into());
    }
    // simplejwt checks the user only when the token names one.
    let user_problem = match (token.user_claim(), &state.user) {
        (None, _) => None,
        (Some(UserIdClaim::Id(_)), Some(user)) if user.is_active => {
            let stands = client.is_none_or(|c| c.acts_for(user, token.iat()));
            (!(token.current_for(user.generation) && stands))
                .then_some(ApiError::TokenNotValid(TokenError::Blacklisted))
        }
        (Some(_), _) => Some(ApiError::NoActiveAccountForToken),
    };
    if let Some(revocation) = &state.revoked {
        return reuse(app, token, revocation, user_problem, now)
            .await
            .map(Some);
    }
    if let Some(problem) = user_problem {
        return Err(problem);
    }
    if !rotation.rotate {
        return Ok(None);
    }
    let next = token.rotation(now);
    if rotation.single_use && !app.store.rotate(token.jti(), token.exp(), &next).await? {
        // Another renewal with this token got there first: this one is a reuse.
        return match app.store.revocation(token.jti()).await? {
            Some(revocation) => reuse(app, token, &revocation, None, now).await.map(Some),
            None => Err(TokenError::Blacklisted.into()),
        };
    }
    Ok(Some(token.successor(&next)))
}

/// A refresh token that is already blacklisted: a retry within the reuse
/// interval gets its successor again; otherwise, if it was rotated, its
/// family is revoked. Either way nothing else is written.
async fn reuse<S: Store>(
    app: &App<S>,
    token: &Refresh<'_>,
    revocation: &Revocation,
    user_problem: Option<ApiError>,
    now: i64,
) -> Result<String, ApiError> {
    let s = &app.settings.tokens;
    let Some(rotation) = &revocation.rotation else {
        // Blacklisted by the client (JWT logout, revocation), not rotated.
        return Err(TokenError::Blacklisted.into());
    };
    let retry = s
        .refresh_reuse_interval
        .is_some_and(|interval| now < interval.after(rotation.rotated_at))
        && !app.store.is_blacklisted(&rotation.next_jti).await?;
    if retry {
        if let Some(problem) = user_problem {
            return Err(problem);
        }
        return Ok(token.successor(rotation));
    }
    if s.refresh_reuse_detection {
        // Every token of the family expires within one refresh lifetime.
        let until = s.refresh_token_lifetime.after(now);
        app.store.revoke_family(&rotation.fam, until).await?;
        let user_id = token.lookup_id().unwrap_or(0);
        audit::emit(
            Event::RefreshReuse,
            Subject::UserId(user_id),
            "family_revoked",
        );
    }
    Err(TokenError::Blacklisted.into())
}
