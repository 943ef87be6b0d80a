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

use auth::App;
use auth::base::time::now;
use auth::serde_json::json;
use auth::store::Store;
use auth::web::authn::{hand_over_refresh, presented_refresh};
use auth::web::refresh::{Rotation, renew};
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};

pub static VIEW: View<Anonymous> =
    View::simple_jwt("token-refresh", Serves::Post).options(r#"{"name":"Token Refresh","description":"Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"},"access":{"type":"string","required":false,"read_only":true,"label":"Access"}}}}"#);

/// simplejwt's `TokenRefreshSerializer`, with single use and reuse
/// detection (`web::refresh::renew`).
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let raw = presented_refresh(app, req)?;
    let now = now();
    let token = app.tokens.refresh(&raw, now)?;
    let s = &app.settings.tokens;
    let rotation = Rotation {
        rotate: s.rotate_refresh_tokens,
        single_use: s.blacklist_after_rotation,
    };
    let successor = renew(app, req, &token, rotation, None, now).await?;
    let access = token.access_token(now);
    Ok(match successor {
        None => Reply::tokens(&json!({ "access": access })),
        Some(next) => rotated(app, req, access, next),
    })
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
