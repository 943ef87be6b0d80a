//! `POST /api/v1/users/login/mfa` — the second step of a login for a user
//! with two-factor authentication on.
//!
//! Body `{"mfa_token","code"}`: the token a correct password got (401
//! `mfa_required` on `login`, `login/jwt`, `login/simpleJWT` or Basic
//! authentication) and a TOTP code or a recovery code. Success answers
//! exactly what the endpoint the password was given to answers: session
//! cookies and `{"message":"success"}`, `{"token"}`, or the token pair
//! (with the refresh cookie when that mode is on).
//!
//! 400 `{"code":["Invalid code."]}` for a code of the wrong shape (nothing
//! charged or written) or one that does not match; 401 `mfa_token_invalid`
//! for a token that is forged, expired, used, past its attempts, or older
//! than its user's credential generation — whatever the code, as its state
//! is checked before any code is compared; 429 past the password throttle
//! (of the token's username and the client address), or while the user's
//! second step is locked after `MFA_TOTP_MAX_FAILURES` consecutive failures
//! (`web::second_factor`). Each attempt is charged to the token and to the
//! user's failures before the code is compared; only a completed login
//! forgets the failures. A code's time step, and a recovery code, is
//! accepted once; the token is used once, in the same write. A foreign
//! `Origin` is 403 (login CSRF).

use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::credentials::mfa::{Code, Endpoint};
use auth::policy::throttle;
use auth::serde_json::json;
use auth::store::{AfterProof, Redeemed, Store};
use auth::web::authn::{pair_reply, start_session};
use auth::web::fields::serializer_fields;
use auth::web::second_factor::{charge, invalid_code, parse_code, proof, reseal_if_old};
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Anonymous> = View::simple_jwt("login-mfa", Serves::Post)
    .logs_in()
    .options(r#"{"name":"Login Mfa","description":"Completes a login with a two-factor code (TOTP or recovery code).","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"mfa_token":{"type":"string","required":true,"read_only":false,"label":"Mfa token"},"code":{"type":"string","required":true,"read_only":false,"label":"Code"}}}}"#);

/// Checks the code against the token's user and answers as the endpoint
/// the password was given to.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let [token, code] = serializer_fields(req.data(), ["mfa_token", "code"])?;
    let now = now();
    let claims = app
        .mfa
        .read_token(&token, now)
        .ok_or(ApiError::MfaTokenInvalid)?;
    let code = parse_code(&code)?;
    let attempt = throttle::begin(app, &claims.usr, &req.throttle_client(&app.settings)).await?;
    let user = app
        .store
        .user_by_id(claims.uid)
        .await?
        .filter(|u| u.is_active && u.generation == claims.generation && u.mfa.is_on())
        .ok_or(ApiError::MfaTokenInvalid)?;
    let token = Some((claims.jti.as_str(), claims.exp));
    // The token's state and the user's lock, before any code is compared.
    let attempt_at_code = charge(app, &user, token, now).await?;
    let redeemed = match proof(app, &user, &code, now) {
        Some(p) => {
            let nothing = &AfterProof::Nothing;
            app.store
                .redeem(user.id, user.generation, &p, token, nothing)
                .await?
        }
        None => Redeemed::CodeRefused,
    };
    match redeemed {
        Redeemed::Done => {
            attempt_at_code.succeeded();
            throttle::succeeded(app, attempt).await?;
            req.logged_in(app, &user.username);
            reseal_if_old(app, &user).await;
        }
        Redeemed::TokenRefused => return Err(ApiError::MfaTokenInvalid),
        Redeemed::CodeRefused => {
            attempt_at_code.failed(Subject::Username(&claims.usr), "login");
            return Err(invalid_code());
        }
    }
    let subject = Subject::Username(&user.username);
    let factor = match code {
        Code::Totp(_) => "totp",
        Code::Recovery(_) => {
            audit::emit(Event::RecoveryCodeUsed, subject, "login");
            "recovery_code"
        }
    };
    audit::emit(Event::LoginSucceeded, subject, factor);
    Ok(match claims.end {
        Endpoint::Login => Reply::ok(&json!({ "message": "success" }))
            .with_cookies(start_session(app, req, &user).await?),
        Endpoint::JwtLogin => {
            Reply::tokens(&json!({ "token": app.tokens.tutorial_for(&user, now) }))
        }
        Endpoint::ObtainPair => pair_reply(app, req, &user, now),
    })
}
