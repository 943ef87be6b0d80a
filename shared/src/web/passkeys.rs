//! Passkeys in the request flow: the relying party a request speaks to,
//! beginning a ceremony (its state kept server-side, found again by its
//! challenge), and checking a login's assertion into the user it proves.
//!
//! A login's assertion is checked in this order, each refusal the same
//! 400 `{"credential":["Invalid credential."]}` (nothing tells a known
//! credential from an unknown one): the attempt is charged to the
//! throttle (per client address, and per credential id), the ceremony is
//! taken (a used, expired or unknown challenge refuses it: every
//! assertion is good once), the credential's holder is read, its user
//! handle must name that holder, and webauthn-rs checks signature,
//! origin, RP id, user verification and counter. Writing the use (the
//! new counter, only if the stored credential is still the one checked)
//! is the caller's: alone (`login/passkey`) or with the `mfa_token`
//! (`login/mfa`).

use serde_json::Value;

use crate::app::App;
use crate::base::audit::{self, Event, Subject};
use crate::base::time::now;
use crate::credentials::passkeys::{Assertion, Begun, PasskeyError, RelyingParty, challenge_of};
use crate::model::passkey::{
    Applicant, CEREMONY_SECONDS, Ceremony, CeremonyKind, DEFAULT_PASSKEY_NAME,
    MAX_PASSKEY_NAME_CHARS, PasskeyUse, StoredPasskey,
};
use crate::policy::throttle::{self, Attempt};
use crate::store::{Store, User};
use crate::web::body::Field;
use crate::web::contract::ApiError;
use crate::web::fields::{FieldError, Invalid, credential_field, optional_field, password_fields};
use crate::web::reply::Reply;
use crate::web::request::Request;
use crate::web::second_factor;

/// 400 `{"credential":["Invalid credential."]}`.
pub fn invalid_credential() -> ApiError {
    ApiError::Invalid(Invalid(vec![(
        "credential",
        vec![FieldError::InvalidCredential],
    )]))
}

/// The relying party of this request; 404 while passkeys are off
/// (`MFA_SUPPORTED_TYPES` without `webauthn`) or no configured origin can
/// use the RP id.
pub fn relying_party<S>(app: &App<S>, req: &Request<'_>) -> Result<RelyingParty, ApiError> {
    if !app.settings.mfa.supported_types.webauthn {
        return Err(ApiError::NotFound);
    }
    RelyingParty::new(&app.settings, req.own_origin().as_deref()).ok_or_else(|| {
        tracing::error!("passkeys are on, but no allowed origin is on WEBAUTHN_RP_ID");
        ApiError::NotFound
    })
}

/// Stores `begun`'s state as a ceremony of `kind` (for `user_id`, and a
/// sign-up's `applicant`) and
/// answers its options (`Cache-Control: no-store`).
pub async fn begin<S: Store>(
    app: &App<S>,
    begun: Result<Begun, PasskeyError>,
    kind: CeremonyKind,
    user_id: Option<u64>,
    applicant: Option<Applicant>,
) -> Result<Reply, ApiError> {
    let begun = begun.map_err(|e| {
        tracing::error!(error = %e, "beginning a WebAuthn ceremony");
        ApiError::Internal
    })?;
    let ceremony = Ceremony {
        challenge: begun.challenge,
        kind,
        user_id,
        applicant,
        state: begun.state,
        expires_at: now() + CEREMONY_SECONDS,
    };
    app.store.put_ceremony(&ceremony).await?;
    Ok(Reply::tokens(&begun.options))
}

/// The ceremony of `kind` a credential answers, taken (once); 400 if it is
/// unknown, used or expired.
pub async fn take<S: Store>(
    app: &App<S>,
    credential: &Value,
    kind: CeremonyKind,
) -> Result<Ceremony, ApiError> {
    let challenge = challenge_of(credential).ok_or_else(invalid_credential)?;
    (app.store.take_ceremony(&challenge, kind, now()).await?).ok_or_else(invalid_credential)
}

/// The body's `name` for a passkey: trimmed, at most 150 characters;
/// `Some("")` when blank, `None` when absent.
pub fn name_field(req: &Request<'_>) -> Result<Option<String>, Vec<FieldError>> {
    optional_field(req.data(), "name", true, MAX_PASSKEY_NAME_CHARS)
}

/// The body's `credential` (a `RegistrationResponseJSON`) and `name`,
/// every error at once.
pub fn passkey_fields(req: &Request<'_>) -> Result<(Value, Option<String>), ApiError> {
    crate::web::fields::mapping(req.data())?;
    let credential = credential_field(req.data(), "credential");
    let name = name_field(req);
    let mut invalid = Invalid::default();
    if let Err(errors) = &credential {
        invalid.add("credential", errors.clone());
    }
    if let Err(errors) = &name {
        invalid.add("name", errors.clone());
    }
    match (credential, name) {
        (Ok(credential), Ok(name)) => Ok((credential, name)),
        _ => Err(ApiError::Invalid(invalid)),
    }
}

/// The passkey a registration's `credential` creates, checked by
/// webauthn-rs against its `ceremony`, named `name` ("Passkey" if blank
/// or absent); 400 [`invalid_credential`] when a check fails.
pub fn registered(
    rp: &RelyingParty,
    credential: &Value,
    ceremony: &Ceremony,
    name: Option<String>,
) -> Result<StoredPasskey, ApiError> {
    let registered = match rp.finish_registration(credential, &ceremony.state) {
        Ok(r) => r,
        Err(PasskeyError::Internal(e)) => {
            tracing::error!(error = %e, "a stored ceremony does not read");
            return Err(ApiError::Internal);
        }
        Err(_) => return Err(invalid_credential()),
    };
    Ok(StoredPasskey {
        id: registered.id,
        name: (name.filter(|n| !n.is_empty())).unwrap_or(DEFAULT_PASSKEY_NAME.to_owned()),
        created: now(),
        last_used: None,
        backed_up: registered.backed_up,
        credential: registered.credential,
    })
}

/// A login's assertion, checked but not yet written.
pub struct Proven {
    pub user: User,
    /// The passkey's use (its id, the new counter), to write: alone, or
    /// with an `mfa_token` as a [`Proof`](crate::store::Proof).
    pub used: PasskeyUse,
    /// The throttle attempt, to release once the login is complete.
    pub attempt: Attempt,
}

/// Checks `credential` (an `AuthenticationResponseJSON`) as a login by
/// passkey, of user `expect` if given (the second step of their login).
pub async fn prove<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    rp: &RelyingParty,
    credential: &Value,
    expect: Option<u64>,
) -> Result<Proven, ApiError> {
    let assertion = Assertion::parse(credential).map_err(|_| invalid_credential())?;
    let name = format!("passkey:{}", assertion.id);
    let attempt = throttle::begin(app, &name, &req.throttle_client(&app.settings)).await?;
    let ceremony = take(app, credential, CeremonyKind::Login).await?;
    let failed = |reason: &str| {
        audit::emit(Event::LoginFailed, Subject::Nobody, reason);
        invalid_credential()
    };
    let Some(owner) = app.store.passkey_owner(&assertion.id).await? else {
        return Err(failed("unknown_passkey"));
    };
    if assertion.user_id != Some(owner) || expect.is_some_and(|e| e != owner) {
        return Err(failed("passkey_of_another_user"));
    }
    let user = app.store.user_by_id(owner).await?.filter(|u| u.is_active);
    let Some((user, stored)) = user.and_then(|u| {
        let stored = u.passkey(&assertion.id)?.clone();
        Some((u, stored))
    }) else {
        return Err(failed("unknown_passkey"));
    };
    let subject = Subject::UserId(user.id);
    let verified = match rp.finish_login(&assertion, &ceremony.state, &stored) {
        Ok(v) => v,
        Err(PasskeyError::CounterRegressed) => {
            audit::emit(Event::PasskeyCounterRegressed, subject, &assertion.id);
            return Err(invalid_credential());
        }
        Err(PasskeyError::Internal(e)) => {
            tracing::error!(error = %e, "a stored passkey or ceremony does not read");
            return Err(ApiError::Internal);
        }
        Err(_) => {
            audit::emit(Event::LoginFailed, subject, "passkey_refused");
            return Err(invalid_credential());
        }
    };
    let used = PasskeyUse {
        id: assertion.id,
        previous: stored.credential,
        credential: verified.credential,
        backed_up: verified.backed_up,
        at: now(),
    };
    Ok(Proven {
        user,
        used,
        attempt,
    })
}

/// Re-authentication where passkeys may be off: with passkeys on and a
/// `credential` in the body, by one of `user`'s passkeys; otherwise by the
/// body's `password`, exactly as without passkeys
/// ([`second_factor::reauthenticate`]). So an account with no password
/// (signed up with a passkey) can still confirm what needs it.
pub async fn reauthenticate_by_either<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    user: &User,
) -> Result<(), ApiError> {
    if app.settings.mfa.supported_types.webauthn && has_credential(req) {
        let rp = relying_party(app, req)?;
        return by_passkey(app, req, &rp, user).await;
    }
    by_password(app, req, user).await
}

/// Re-authentication before `user`'s passkeys change, by either factor the
/// user may hold: the body's `password` ([`second_factor::reauthenticate`]),
/// or, when the body has a `credential`, a fresh assertion by one of the
/// user's own passkeys (on a ceremony from `login/passkey/options`),
/// checked and written as a login's is. A passkey-only account (signed up
/// with a passkey, no password) re-authenticates the second way. 400
/// `{"password":["Wrong password."]}` or `{"credential":["Invalid
/// credential."]}` when it fails.
pub async fn reauthenticate<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    rp: &RelyingParty,
    user: &User,
) -> Result<(), ApiError> {
    match has_credential(req) {
        true => by_passkey(app, req, rp, user).await,
        false => by_password(app, req, user).await,
    }
}

/// Whether the body offers a passkey (`credential`) rather than a password.
fn has_credential(req: &Request<'_>) -> bool {
    !matches!(req.data().field("credential"), Field::Missing)
}

/// Re-authentication by the body's `password`.
async fn by_password<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    user: &User,
) -> Result<(), ApiError> {
    let [password] = password_fields(req.data(), ["password"])?;
    let password = secrecy::ExposeSecret::expose_secret(&password).to_owned();
    second_factor::reauthenticate(app, req, user, password).await
}

/// Re-authentication by the body's `credential`: an assertion by one of
/// `user`'s passkeys, checked, charged and written as a login's.
async fn by_passkey<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    rp: &RelyingParty,
    user: &User,
) -> Result<(), ApiError> {
    let credential = credential_field(req.data(), "credential").map_err(|errors| {
        let mut invalid = Invalid::default();
        invalid.add("credential", errors);
        ApiError::Invalid(invalid)
    })?;
    let proven = prove(app, req, rp, &credential, Some(user.id)).await?;
    if !app.store.use_passkey(user.id, &proven.used).await? {
        return Err(invalid_credential());
    }
    throttle::succeeded(app, proven.attempt).await?;
    Ok(())
}
