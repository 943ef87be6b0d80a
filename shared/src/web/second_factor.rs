//! Two-factor authentication in the request flow: the challenge a correct
//! password gets for a user with TOTP on, and checking a code (TOTP or
//! recovery) into the [`Proof`] the store consumes once.
//!
//! Guessing codes is bounded per user, whatever the tokens and addresses:
//! every attempt is charged to the user's consecutive failures *before*
//! the code is compared (one conditional write, so racing attempts cannot
//! share a count), and only both factors proven together forget them (a
//! completed login; disabling or new recovery codes, which need the
//! password too) — never a new `mfa_token` or a right password alone. At
//! `MFA_TOTP_MAX_FAILURES` the second step is refused for 60 s, doubling
//! with each further failure up to a day, and at 100 (NIST SP 800-63B
//! §5.2.2) until `authctl mfa unlock`. The password step answers as always.

use secrecy::SecretString;

use crate::app::App;
use crate::base::audit::{self, Event, Subject};
use crate::credentials::mfa::{Code, Endpoint, MFA_TOKEN_LIFETIME, MfaClaims};
use crate::credentials::password::verify_password;
use crate::model::mfa::{MFA_FAILURES_CAP, SecondStep, lock_until};
use crate::policy::throttle;
use crate::store::{Charged, MfaStore, Proof, ThrottleStore, User};
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
    let attempt = throttle::begin(app, &user.username, &req.throttle_client(&app.settings)).await?;
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

/// One attempt at `user`'s second factor, charged before [`proof`] is
/// asked. With `token` (a login's `mfa_token` id and expiry), an
/// `mfa_token` used or out of attempts answers 401 `mfa_token_invalid`
/// whatever the code. 429 while the user's second step is locked (or
/// another attempt at it was charged since `user` was read: Retry-After 1).
pub async fn charge<S: MfaStore>(
    app: &App<S>,
    user: &User,
    token: Option<(&str, i64)>,
    now: i64,
) -> Result<CodeAttempt, ApiError> {
    let max = app.settings.mfa.totp_max_failures;
    let state = &user.mfa;
    let locked = match SecondStep::after(state.failures, state.locked_until, max, now) {
        SecondStep::Open => None,
        SecondStep::LockedFor(wait) => Some(ApiError::Throttled { wait: wait.max(1) }),
        SecondStep::LockedUntilCleared => Some(ApiError::ThrottledUntilCleared),
    };
    if let Some(refused) = locked {
        let subject = Subject::Username(&user.username);
        audit::emit(Event::LoginThrottled, subject, "mfa_locked");
        return Err(refused);
    }
    // Should this attempt fail, the failure it will have been.
    let failures = state.failures + 1;
    let locks_until = lock_until(failures, max, now);
    match app
        .store
        .charge_second_factor(user, locks_until, token)
        .await?
    {
        Charged::Done => Ok(CodeAttempt {
            failures,
            locks_for: locks_until.map(|until| until - now),
        }),
        Charged::TokenRefused => Err(ApiError::MfaTokenInvalid),
        Charged::Moved => Err(ApiError::Throttled { wait: 1 }),
    }
}

/// A charged second-factor attempt.
#[must_use]
pub struct CodeAttempt {
    failures: u64,
    locks_for: Option<i64>,
}

impl CodeAttempt {
    /// The code did not complete the step (`how`: where): `mfa_code_failed`,
    /// and `mfa_locked` when this failure locks the step.
    pub fn failed(self, subject: Subject<'_>, how: &str) {
        audit::emit(Event::MfaCodeFailed, subject, how);
        if self.failures >= MFA_FAILURES_CAP {
            let reason = format!("{} failures; until authctl mfa unlock", self.failures);
            audit::emit(Event::MfaLocked, subject, &reason);
        } else if let Some(seconds) = self.locks_for {
            let reason = format!("{} failures; for {seconds} s", self.failures);
            audit::emit(Event::MfaLocked, subject, &reason);
        }
    }

    /// The code completed the step.
    pub fn succeeded(self) {}
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
