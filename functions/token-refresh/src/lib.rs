//! `POST /api/v1/users/login/simpleJWT/refresh` — a new access token.
//!
//! 200 `{"access":..}`, or with `ROTATE_REFRESH_TOKENS` `{"access":..,"refresh":..}`.
//! With `JWT_AUTH_REFRESH_COOKIE` the token may come from that cookie (the
//! request then passes Django's CSRF check) and a successor goes back
//! into it.
//! 401 for an invalid, expired, wrongly typed or revoked token, or a gone or
//! inactive user.
//!
//! Beyond simplejwt, with rotation (and `BLACKLIST_AFTER_ROTATION`):
//! * single use: the presented token is blacklisted by one conditional
//!   write, so of N concurrent refreshes with one token exactly one wins;
//! * reuse detection (`REFRESH_REUSE_DETECTION`, on by default): presenting
//!   an already-rotated token revokes its whole family (every token
//!   descended from the same login);
//! * a retry within `REFRESH_REUSE_INTERVAL` seconds of the rotation, while
//!   the successor is still unused, gets that same successor back (and a
//!   fresh access token) instead of revoking the family.
//!
//! Limits of a refresh family (the tokens descended from one login):
//! * no successor outlives `REFRESH_TOKEN_MAX_LIFETIME` after the login;
//! * at most `REFRESH_TOKEN_RATE_LIMIT` refreshes a minute (30): 429 past it;
//! * with `REFRESH_TOKEN_BIND=address`, a token presented from another
//!   address (IPv6: /64) than its login's revokes its family: 401.
//!
//! DynamoDB: one BatchGetItem (user, token entry, family) and, at the same
//! time, one UpdateItem (the family's refresh count), plus one conditional
//! PutItem when rotating.

use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::credentials::tokens::{Refresh, TokenError, UserIdClaim};
use auth::policy::families::charge_refresh;
use auth::serde_json::json;
use auth::store::{Revocation, Store};
use auth::web::authn::{hand_over_refresh, presented_refresh};
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};
use auth::{ApiError, App, join};

pub static VIEW: View<Anonymous> =
    View::simple_jwt("token-refresh", Serves::Post).options(r#"{"name":"Token Refresh","description":"Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"},"access":{"type":"string","required":false,"read_only":true,"label":"Access"}}}}"#);

/// simplejwt's `TokenRefreshSerializer`, with single use and reuse detection.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let raw = presented_refresh(app, req)?;
    let now = now();
    let token = app.tokens.refresh(&raw, now)?;
    let (state, rate) = join(token.state_in(&app.store), charge_refresh(app, &token)).await;
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
        (Some(UserIdClaim::Id(_)), Some(user)) if user.is_active => (!token
            .current_for(user.generation))
        .then_some(ApiError::TokenNotValid(TokenError::Blacklisted)),
        (Some(_), _) => Some(ApiError::NoActiveAccountForToken),
    };
    if let Some(revocation) = &state.revoked {
        return reuse(app, req, &token, revocation, user_problem, now).await;
    }
    if let Some(problem) = user_problem {
        return Err(problem);
    }

    let s = &app.settings.tokens;
    let access = token.access_token(now);
    if !s.rotate_refresh_tokens {
        return Ok(Reply::tokens(&json!({ "access": access })));
    }
    let rotation = token.rotation(now);
    if s.blacklist_after_rotation
        && !app
            .store
            .rotate(token.jti(), token.exp(), &rotation)
            .await?
    {
        // Another refresh with this token got there first: this one is a reuse.
        return match app.store.revocation(token.jti()).await? {
            Some(revocation) => reuse(app, req, &token, &revocation, None, now).await,
            None => Err(TokenError::Blacklisted.into()),
        };
    }
    Ok(rotated(app, req, access, token.successor(&rotation)))
}

/// The answer to a rotation: the access token and the successor, which
/// goes into the refresh cookie when that is on.
fn rotated<S>(app: &App<S>, req: &Request<'_>, access: String, next: String) -> Reply {
    let (refresh, cookies) = hand_over_refresh(app, req, next);
    let body = match refresh {
        Some(refresh) => json!({ "access": access, "refresh": refresh }),
        None => json!({ "access": access }),
    };
    Reply::tokens(&body).with_cookies(cookies)
}

/// A refresh token that is already blacklisted: a retry within the reuse
/// interval gets its successor again; otherwise, if it was rotated, its
/// family is revoked. Either way nothing else is written.
async fn reuse<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    token: &Refresh<'_>,
    revocation: &Revocation,
    user_problem: Option<ApiError>,
    now: i64,
) -> Answer {
    let s = &app.settings.tokens;
    let Some(rotation) = &revocation.rotation else {
        // Blacklisted by the client (JWT logout), not rotated.
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
        let (access, next) = (token.access_token(now), token.successor(rotation));
        return Ok(rotated(app, req, access, next));
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
