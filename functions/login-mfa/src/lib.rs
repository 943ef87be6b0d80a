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
//!
//! With passkeys on (`MFA_SUPPORTED_TYPES` lists `webauthn`), `{"mfa_token",
//! "credential"}` instead: an `AuthenticationResponseJSON` on a
//! `login/passkey/options` challenge by one of the token's user's
//! passkeys, checked as `login/passkey` checks it, charged and locked as
//! a code; 400 `{"credential":["Invalid credential."]}` when refused.

use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::credentials::mfa::{Code, Endpoint, MfaClaims};
use auth::policy::throttle::{self, Attempt};
use auth::serde_json::json;
use auth::store::{AfterProof, Proof, Redeemed, Store, User};
use auth::web::Field;
use auth::web::authn::{amr, pair_reply, start_session};
use auth::web::fields::{Invalid, credential_field, mapping, serializer_fields};
use auth::web::passkeys::{invalid_credential, prove, relying_party};
use auth::web::second_factor::{
    CodeAttempt, charge, invalid_code, parse_code, proof, reseal_if_old,
};
use auth::web::{Anonymous, Answer, Cookies, Reply, Request, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Anonymous> = View::simple_jwt("login-mfa", Serves::Post)
    .logs_in()
    .options(r#"{"name":"Login Mfa","description":"Completes a login with a two-factor code (TOTP or recovery code).","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"mfa_token":{"type":"string","required":true,"read_only":false,"label":"Mfa token"},"code":{"type":"string","required":true,"read_only":false,"label":"Code"}}}}"#);

/// Checks the code against the token's user and answers as the endpoint
/// the password was given to.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let data = req.data();
    let passkey = app.settings.mfa.supported_types.webauthn
        && !matches!(data.field("credential"), Field::Missing)
        && matches!(data.field("code"), Field::Missing);
    if passkey {
        // Boxed: the code path's future stays as small as it was.
        return Box::pin(with_passkey(app, req)).await;
    }
    let [token, code] = serializer_fields(req.data(), ["mfa_token", "code"])?;
    let now = now();
    let claims = app
        .mfa
        .read_token(&token, now)
        .ok_or(ApiError::MfaTokenInvalid)?;
    let code = parse_code(&code)?;
    let (attempt, user, attempt_at_code) = second_step(app, req, &claims, now).await?;
    let token = Some((claims.jti.as_str(), claims.exp));
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
    let session = match claims.end {
        Endpoint::Login => Some(start_session(app, req, &user, amr::PASSWORD_AND_CODE).await?),
        _ => None,
    };
    Ok(answer(app, req, &user, claims.end, session, now))
}

/// What every second step does before its proof is looked at: the
/// password throttle (of the token's username and the client address),
/// the token's user (live, TOTP on, at the token's generation), and the
/// attempt charged to the token and to the user's failures (their lock
/// answering 429).
async fn second_step<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    claims: &MfaClaims,
    now: i64,
) -> Result<(Attempt, User, CodeAttempt), ApiError> {
    let attempt = throttle::begin(app, &claims.usr, &req.throttle_client(&app.settings)).await?;
    let user = app
        .store
        .user_by_id(claims.uid)
        .await?
        .filter(|u| u.is_active && u.generation == claims.generation && u.mfa.is_on())
        .ok_or(ApiError::MfaTokenInvalid)?;
    let token = Some((claims.jti.as_str(), claims.exp));
    // The token's state and the user's lock, before any proof is compared.
    let attempt_at_code = charge(app, &user, token, now).await?;
    Ok((attempt, user, attempt_at_code))
}

/// The answer of the endpoint the password was given to (`session`: the
/// session a login with `Endpoint::Login` started).
fn answer<S>(
    app: &App<S>,
    req: &Request<'_>,
    user: &User,
    end: Endpoint,
    session: Option<Cookies>,
    now: i64,
) -> Reply {
    match (end, session) {
        (Endpoint::Login, Some(cookies)) => {
            Reply::ok(&json!({ "message": "success" })).with_cookies(cookies)
        }
        (Endpoint::JwtLogin, _) => {
            Reply::tokens(&json!({ "token": app.tokens.tutorial_for(user, now) }))
        }
        _ => pair_reply(app, req, user, now),
    }
}

/// A new session, if the login asked for one.
async fn session<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    user: &User,
    end: Endpoint,
) -> Result<Option<Cookies>, ApiError> {
    Ok(match end {
        Endpoint::Login => Some(start_session(app, req, user, amr::PASSWORD_AND_PASSKEY).await?),
        _ => None,
    })
}

/// The second step with a passkey: `{"mfa_token","credential"}`, an
/// assertion on a `login/passkey/options` challenge by one of the token's
/// user's passkeys (with user verification). Charged and locked as a code
/// is; the token is used, and the passkey's use written, in one
/// transaction.
async fn with_passkey<S: Store>(app: &App<S>, req: &Request<'_>) -> Answer {
    let data = req.data();
    mapping(data)?;
    let token = serializer_fields(data, ["mfa_token"]).map(|[t]| t);
    let credential = credential_field(data, "credential");
    let mut invalid = Invalid::default();
    if let Err(e) = &token {
        invalid.0.extend(e.0.clone());
    }
    if let Err(errors) = &credential {
        invalid.add("credential", errors.clone());
    }
    let (Ok(token), Ok(credential)) = (token, credential) else {
        return Err(ApiError::Invalid(invalid));
    };
    let rp = relying_party(app, req)?;
    let now = now();
    let claims = app
        .mfa
        .read_token(&token, now)
        .ok_or(ApiError::MfaTokenInvalid)?;
    let (attempt, user, attempt_at_code) = second_step(app, req, &claims, now).await?;
    let token = Some((claims.jti.as_str(), claims.exp));
    let subject = Subject::Username(&claims.usr);
    let proven = match prove(app, req, &rp, &credential, Some(user.id)).await {
        Ok(p) => p,
        Err(ApiError::Invalid(_)) => {
            attempt_at_code.failed(subject, "login");
            return Err(invalid_credential());
        }
        Err(e) => return Err(e),
    };
    let nothing = &AfterProof::Nothing;
    match (app.store)
        .redeem(
            user.id,
            user.generation,
            &Proof::Passkey(proven.used.clone()),
            token,
            nothing,
        )
        .await?
    {
        Redeemed::Done => {}
        Redeemed::TokenRefused => return Err(ApiError::MfaTokenInvalid),
        Redeemed::CodeRefused => {
            attempt_at_code.failed(subject, "login");
            return Err(invalid_credential());
        }
    }
    attempt_at_code.succeeded();
    throttle::succeeded(app, proven.attempt).await?;
    throttle::succeeded(app, attempt).await?;
    req.logged_in(app, &user.username);
    reseal_if_old(app, &user).await;
    audit::emit(
        Event::PasskeyLogin,
        Subject::UserId(user.id),
        &proven.used.id,
    );
    audit::emit(
        Event::LoginSucceeded,
        Subject::Username(&user.username),
        "passkey",
    );
    let session = session(app, req, &user, claims.end).await?;
    Ok(answer(app, req, &user, claims.end, session, now))
}
