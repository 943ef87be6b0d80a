//! Two-factor authentication in the request flow: the challenge a correct
//! password gets for a user with TOTP on, and checking a code (TOTP or
//! recovery) into the [`Proof`] the store consumes once.

use secrecy::SecretString;

use crate::app::App;
use crate::base::audit::{self, Event, Subject};
use crate::credentials::mfa::{Code, Endpoint, MFA_TOKEN_LIFETIME, MfaClaims};
use crate::credentials::password::verify_password;
use crate::policy::throttle;
use crate::store::{MfaStore, Proof, ThrottleStore, User};
use crate::web::contract::ApiError;
use crate::web::fields::{FieldError, Invalid};
use crate::web::request::Request;

/// 400 `{"code":["Invalid code."]}`.
pub fn invalid_code() -> ApiError {
    ApiError::Invalid(Invalid(vec![("code", vec![FieldError::InvalidCode])]))
}

/// Re-authentication before a factor of `user` changes (ASVS 3.7.1): the
/// current password, in the body's `password`, checked as every password
/// is (charged to the throttle, in equal time; a right one releases it).
/// A stolen session or access token alone cannot enrol, confirm or replace
/// a factor. 400 `{"password":["Wrong password."]}` when wrong.
pub async fn reauthenticate<S: ThrottleStore>(
    app: &App<S>,
    req: &Request<'_>,
    user: &User,
    password: String,
) -> Result<(), ApiError> {
    let attempt = throttle::begin(app, &user.username, req.client_address()).await?;
    let stored = Some(user.password.clone());
    if !verify_password(SecretString::from(password), stored).await? {
        let subject = Subject::Username(&user.username);
        audit::emit(Event::LoginFailed, subject, "reauthentication");
        return Err(wrong_password());
    }
    throttle::succeeded(app, attempt).await?;
    Ok(())
}

/// 400 `{"password":["Wrong password."]}`.
pub fn wrong_password() -> ApiError {
    ApiError::Invalid(Invalid(vec![("password", vec![FieldError::WrongPassword])]))
}

/// The body's `code` by its shape: six digits or a recovery code, else
/// [`invalid_code`] (nothing is charged or written for it).
pub fn parse_code(raw: &str) -> Result<Code, ApiError> {
    Code::parse(raw).ok_or_else(invalid_code)
}

/// What `code` proves for `user` at `now`: the time step a TOTP code
/// matches, or the stored hash a recovery code matches (both compared in
/// constant time). `None` if it matches nothing, or TOTP is off.
pub fn proof<S>(app: &App<S>, user: &User, code: &Code, now: i64) -> Option<Proof> {
    let sealed = user.mfa.totp.as_deref()?;
    match code {
        Code::Totp(digits) => {
            let secret = app.mfa.open(user.id, sealed)?;
            secret.check(digits, now).map(Proof::Step)
        }
        Code::Recovery(text) => app
            .mfa
            .find_recovery(user.id, text, &user.mfa.recovery)
            .map(|hash| Proof::Recovery(hash.clone())),
    }
}

/// The 401 a correct password answers for `user` (TOTP on) on `end`: an
/// `mfa_token` bound to them, their credential generation and `end`.
pub fn challenge<S>(app: &App<S>, user: &User, end: Endpoint, now: i64) -> ApiError {
    let claims = MfaClaims {
        jti: crate::base::random::new_jti(),
        uid: user.id,
        usr: user.username.clone(),
        generation: user.generation,
        end,
        iat: now,
        exp: MFA_TOKEN_LIFETIME.after(now),
    };
    ApiError::MfaRequired(SecretString::from(app.mfa.issue_token(&claims)))
}

/// After a code was accepted: a secret sealed under an older signing key is
/// sealed again under the current one (only if still the one stored), so
/// the old key can be retired without locking anyone out. A failure here
/// never fails the request; the next login tries again.
pub async fn reseal_if_old<S: MfaStore>(app: &App<S>, user: &User) {
    let Some(sealed) = user.mfa.totp.as_deref() else {
        return;
    };
    if app.mfa.sealed_with_current_key(sealed) {
        return;
    }
    let Some(secret) = app.mfa.open(user.id, sealed) else {
        return;
    };
    let resealed = app.mfa.seal(user.id, &secret);
    match app.store.reseal_totp(user.id, sealed, &resealed).await {
        Ok(_) => tracing::info!(
            user_id = user.id,
            "TOTP secret sealed under the current key"
        ),
        Err(_) => tracing::warn!(
            user_id = user.id,
            "TOTP secret reseal failed; retried at next login"
        ),
    }
}
