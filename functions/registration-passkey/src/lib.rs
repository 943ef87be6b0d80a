//! Sign-up with a passkey instead of a password (django-allauth's
//! `MFA_PASSKEY_SIGNUP_ENABLED`), for anyone, under
//! `/api/v1/users/registration/passkey`. Off (404) unless
//! `MFA_SUPPORTED_TYPES` lists `webauthn` and `MFA_PASSKEY_SIGNUP_ENABLED`
//! is on; 403 while `REGISTRATION_OPEN` is off, as `registration`.
//!
//! * `options` POST `{"username","email"}` → 200 `{"publicKey":
//!   PublicKeyCredentialCreationOptionsJSON}`: the fields checked as
//!   `registration` checks them (a taken username is 400 already here:
//!   Django shows it, and the visitor is spared a passkey for an account
//!   that cannot be), the sign-up charged to the client address's limit
//!   (429), the new user's id reserved (the passkey's user handle), and
//!   the username and address held with the ceremony (server-side, 300 s,
//!   taken once). The options ask for a discoverable credential with user
//!   verification.
//! * POST `{"credential": RegistrationResponseJSON, "name"}` → what
//!   `registration` answers: 201 `{"detail":"Verification e-mail sent."}`
//!   (or, with `ACCOUNT_EMAIL_VERIFICATION=none`, the new user's pair).
//!   webauthn-rs checks the credential (origin, RP id, user verification,
//!   signature) against the sign-up's ceremony; then one transaction
//!   creates the user with an unusable password (Django's `!…`), their
//!   passkey, and its `credential#` item, each only if free. A username
//!   taken meanwhile is 400 as above; a taken address answers as a new one
//!   and its owner is told; any refusal of the credential is 400
//!   `{"credential":["Invalid credential."]}`, and nothing is written.
//!
//! The account verifies its address as any sign-up's, logs in with its
//! passkey (`login/passkey`), re-authenticates with it (`passkeys`), and
//! gets a password only by a reset. Audit `signup` (`passkey`) and
//! `passkey_added`.

use auth::accounts::charge_signup;
use auth::credentials::passkeys::RelyingParty;
use auth::credentials::password::unusable_password;
use auth::store::{Applicant, CeremonyKind, Store, User};
use auth::web::fields::{Invalid, serializer_fields};
use auth::web::passkeys::{
    begin, invalid_credential, passkey_fields, registered, relying_party, take,
};
use auth::web::signup::{email_errors, signed_up, username_errors, username_taken};
use auth::web::{Anonymous, Answer, Request, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Anonymous> = View::tutorial("registration-passkey", Serves::Post, Anonymous)
    .sends_mail()
    .logs_in()
    .options(r#"{"name":"Register Passkey","description":"Signs a user up with a passkey instead of a password.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// The options, or the sign-up.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let rp = signup_party(app, req)?;
    match req.path().trim_end_matches('/').ends_with("/options") {
        true => options(app, req, &rp).await,
        false => sign_up(app, req, &rp).await,
    }
}

/// The relying party for a passkey sign-up: 404 unless passkeys and
/// `MFA_PASSKEY_SIGNUP_ENABLED` are on, 403 while `REGISTRATION_OPEN` is
/// off (as `registration`).
fn signup_party<S>(app: &App<S>, req: &Request<'_>) -> Result<RelyingParty, ApiError> {
    let rp = relying_party(app, req)?;
    if !app.settings.mfa.passkey_signup_enabled {
        return Err(ApiError::NotFound);
    }
    if !app.settings.accounts.registration_open {
        return Err(ApiError::PermissionDenied);
    }
    Ok(rp)
}

/// `username` and `email`, each checked as `registration` checks them.
fn applicant_fields(req: &Request<'_>) -> Result<Applicant, ApiError> {
    let [username, email] = serializer_fields(req.data(), ["username", "email"])?;
    let mut invalid = Invalid::default();
    invalid.add("username", username_errors(&username));
    invalid.add("email", email_errors(&email));
    match invalid.is_empty() {
        true => Ok(Applicant { username, email }),
        false => Err(invalid.into()),
    }
}

/// Begins a sign-up with a passkey.
async fn options<S: Store>(app: &App<S>, req: &Request<'_>, rp: &RelyingParty) -> Answer {
    let applicant = applicant_fields(req)?;
    // The charge and the username's read at once (one round trip's wait).
    // The read saves the visitor a passkey for an account that cannot be;
    // the finish's transaction is what enforces it.
    let (charged, holder) = auth::join(
        charge_signup(app, req.client_address()),
        app.store.user_by_username(&applicant.username),
    )
    .await;
    if let Some(wait) = charged? {
        return Err(ApiError::Throttled { wait });
    }
    if holder?.is_some() {
        return Err(username_taken());
    }
    let id = app.store.reserve_user_id().await?;
    let begun = rp.start_signup(id, &applicant.username);
    begin(app, begun, CeremonyKind::Signup, Some(id), Some(applicant)).await
}

/// Finishes a sign-up with a passkey: the user, created holding it.
async fn sign_up<S: Store>(app: &App<S>, req: &Request<'_>, rp: &RelyingParty) -> Answer {
    let (credential, name) = passkey_fields(req)?;
    let ceremony = take(app, &credential, CeremonyKind::Signup).await?;
    let (Some(id), Some(applicant)) = (ceremony.user_id, ceremony.applicant.clone()) else {
        return Err(invalid_credential());
    };
    let passkey = registered(rp, &credential, &ceremony, name)?;
    let user = User {
        id,
        username: applicant.username,
        password: unusable_password(),
        is_active: true,
        generation: 0,
        email: applicant.email.clone(),
        email_verified: false,
        first_name: String::new(),
        last_name: String::new(),
        mfa: Default::default(),
        passkeys: vec![passkey],
        consents: Vec::new(),
    };
    let created = app
        .store
        .create_user_with_passkey(&user, &user.passkeys[0])
        .await
        .map(|()| user);
    signed_up(app, req, created, applicant.email, "passkey").await
}
