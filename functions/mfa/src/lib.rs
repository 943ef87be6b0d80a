//! Two-factor enrolment, for an authenticated caller (any of the
//! contract's ways; CSRF for sessions; 401 otherwise), one function for
//! four paths under `/api/v1/users/mfa/`:
//!
//! * `totp` `{"password"}` → 200 `{"secret","otpauth_url","qr_svg"}`: a
//!   new secret, stored sealed as pending (replacing an earlier pending
//!   one); 409 if TOTP is on.
//! * `totp/confirm` `{"password","code"}` → 200 `{"recovery_codes":[10]}`,
//!   shown once and stored as keyed hashes; TOTP is on from now, and every
//!   other session and token is ended (the credential generation moves on;
//!   the caller's is renewed in the same answer, as by `password`). 400
//!   `{"code":["Invalid code."]}` for a wrong code; 409 without an
//!   enrolment in progress or with TOTP on.
//! * `totp/disable` `{"password","code"}` (a recovery code works too) →
//!   200: TOTP off, and every other session and token ended (the
//!   credential generation moves on; the caller's is renewed as by
//!   `password`).
//! * `recovery-codes` `{"password","code"}` → 200 `{"recovery_codes":[10]}`,
//!   the old ones void.
//!
//! Changing a factor needs re-authentication: the current password in the
//! body (400 `{"password":["Wrong password."]}` when wrong), so a stolen
//! session or access token alone cannot enrol an attacker's authenticator.
//! A wrong password or code is charged to the password throttle; every
//! code is accepted once. Secret-bearing answers are `Cache-Control:
//! no-store`.

use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::credentials::mfa::{Code, TotpSecret, new_recovery_codes};
use auth::credentials::password::verify_password;
use auth::policy::throttle;
use auth::secrecy::{ExposeSecret, SecretString};
use auth::serde_json::{Map, json};
use auth::store::{AfterProof, Redeemed, Store};
use auth::web::authn::{Caller, renew_credential, renew_credential_with};
use auth::web::fields::{FieldError, Invalid, serializer_fields};
use auth::web::second_factor::{
    charge, invalid_code, parse_code, proof, reauthenticate, wrong_password,
};
use auth::web::{Answer, Reply, Request, Required, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Required> = View::tutorial("mfa", Serves::Post, Required)
    .options(r#"{"name":"Mfa","description":"Two-factor authentication: TOTP enrolment, confirmation, disabling and recovery codes.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// The endpoint asked for, by the end of the path.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    let path = req.path();
    if path.ends_with("/totp/confirm") {
        confirm(app, req, caller).await
    } else if path.ends_with("/totp/disable") {
        disable(app, req, caller).await
    } else if path.ends_with("/recovery-codes") {
        recovery_codes(app, req, caller).await
    } else {
        enrol(app, req, caller).await
    }
}

/// A new pending secret, its `otpauth://` URL and that URL as a QR code.
async fn enrol<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    let [password] = serializer_fields(req.data(), ["password"])?;
    let user = &caller.user;
    if user.mfa.is_on() {
        return Err(ApiError::MfaAlreadyOn);
    }
    reauthenticate(app, req, user, password).await?;
    let secret = TotpSecret::generate();
    if !app
        .store
        .begin_totp(user.id, &app.mfa.seal(user.id, &secret))
        .await?
    {
        return Err(ApiError::MfaAlreadyOn);
    }
    let url = app.mfa.otpauth_url(&user.username, &secret);
    Ok(Reply::tokens(&json!({
        "secret": secret.base32().expose_secret(),
        "otpauth_url": url.expose_secret(),
        "qr_svg": qr_svg(&url),
    })))
}

/// The URL as an SVG QR code.
fn qr_svg(url: &SecretString) -> String {
    match qrcode::QrCode::new(url.expose_secret().as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
        // An issuer and username of at most a few hundred bytes always fit.
        Err(_) => String::new(),
    }
}

/// The first code of the pending secret turns TOTP on and ends every
/// other credential.
async fn confirm<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    let [password, code] = serializer_fields(req.data(), ["password", "code"])?;
    let code = parse_code(&code)?;
    let user = &caller.user;
    if user.mfa.is_on() {
        return Err(ApiError::MfaAlreadyOn);
    }
    let pending = user.mfa.pending.as_deref().ok_or(ApiError::MfaNotPending)?;
    reauthenticate(app, req, user, password).await?;
    let secret = app
        .mfa
        .open(user.id, pending)
        .ok_or(ApiError::MfaNotPending)?;
    let step = match &code {
        Code::Totp(digits) => secret.check(digits, now()),
        Code::Recovery(_) => None,
    }
    .ok_or_else(invalid_code)?;
    let codes = new_recovery_codes();
    let hashes = hashes(app, user.id, &codes);
    if !app
        .store
        .confirm_totp(user.id, pending, step, &hashes)
        .await?
    {
        return Err(ApiError::MfaNotPending);
    }
    audit::emit(
        Event::MfaEnabled,
        Subject::UserId(user.id),
        caller.via.as_str(),
    );
    // A phished session or token does not outlive the owner turning TOTP on.
    let mut user = user.clone();
    user.generation += 1;
    let body = Map::from_iter([("recovery_codes".to_owned(), json!(codes))]);
    renew_credential_with(app, req, caller.via, &user, body).await
}

fn hashes<S>(app: &App<S>, user_id: u64, codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .map(|c| app.mfa.recovery_hash(user_id, c))
        .collect()
}

/// The password and a code turn TOTP off and end every other credential.
async fn disable<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    let [password, code] = serializer_fields(req.data(), ["password", "code"])?;
    let code = parse_code(&code)?;
    let user = &caller.user;
    if !user.mfa.is_on() {
        return Err(ApiError::MfaOff);
    }
    let attempt = throttle::begin(app, &user.username, &req.throttle_client(&app.settings)).await?;
    let right = verify_password(SecretString::from(password), Some(user.password.clone())).await?;
    let at_code = charge(app, user, None, now()).await?;
    let proof = proof(app, user, &code, now());
    let mut invalid = Invalid::default();
    if !right {
        invalid.add("password", vec![FieldError::WrongPassword]);
    }
    let redeemed = match (&proof, right) {
        (Some(p), true) => {
            app.store
                .redeem(user.id, user.generation, p, None, &AfterProof::Disable)
                .await?
        }
        _ => Redeemed::CodeRefused,
    };
    if redeemed != Redeemed::Done && (proof.is_none() || right) {
        invalid.add("code", vec![FieldError::InvalidCode]);
    }
    if !invalid.is_empty() {
        at_code.failed(Subject::UserId(user.id), "disable");
        return Err(invalid.into());
    }
    at_code.succeeded();
    throttle::succeeded(app, attempt).await?;
    audit::emit(
        Event::MfaDisabled,
        Subject::UserId(user.id),
        caller.via.as_str(),
    );
    let mut user = user.clone();
    user.generation += 1;
    user.mfa = Default::default();
    renew_credential(app, req, caller.via, &user).await
}

/// The password and a code replace every recovery code with ten new ones.
async fn recovery_codes<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    let [password, code] = serializer_fields(req.data(), ["password", "code"])?;
    let code = parse_code(&code)?;
    let user = &caller.user;
    if !user.mfa.is_on() {
        return Err(ApiError::MfaOff);
    }
    // One attempt for the password and the code together, as `disable`.
    let attempt = throttle::begin(app, &user.username, &req.throttle_client(&app.settings)).await?;
    if !verify_password(SecretString::from(password), Some(user.password.clone())).await? {
        audit::emit(
            Event::LoginFailed,
            Subject::Username(&user.username),
            "reauthentication",
        );
        return Err(wrong_password());
    }
    let at_code = charge(app, user, None, now()).await?;
    let codes = new_recovery_codes();
    let then = AfterProof::ReplaceRecovery(hashes(app, user.id, &codes));
    let redeemed = match proof(app, user, &code, now()) {
        Some(p) => {
            app.store
                .redeem(user.id, user.generation, &p, None, &then)
                .await?
        }
        None => Redeemed::CodeRefused,
    };
    if redeemed != Redeemed::Done {
        at_code.failed(Subject::UserId(user.id), "recovery_codes");
        return Err(invalid_code());
    }
    at_code.succeeded();
    throttle::succeeded(app, attempt).await?;
    Ok(Reply::tokens(&json!({ "recovery_codes": codes })))
}
