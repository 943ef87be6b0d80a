//! Sign-up's shared half, for `registration` (with a password) and
//! `registration-passkey` (with a passkey): the fields both check as
//! dj-rest-auth's `RegisterSerializer` does, and the answer once the user
//! is created (or is not): 201 `{"detail":"Verification e-mail sent."}`
//! with the verification email, or with `ACCOUNT_EMAIL_VERIFICATION=none`
//! the new user's token pair; a taken address answers as a new one
//! (`ACCOUNT_PREVENT_ENUMERATION`) and its owner is told; a taken username
//! is a field error (Django shows it).

use lambda_http::http::StatusCode;
use serde_json::json;

use crate::accounts;
use crate::app::App;
use crate::base::audit::{self, Event, Subject};
use crate::base::time::now;
use crate::mail::Job;
use crate::model::user::{MAX_EMAIL_CHARS, MAX_USERNAME_CHARS, valid_email, valid_username};
use crate::settings::EmailVerification;
use crate::store::{CreateUserError, Store, User};
use crate::web::authn::pair_reply;
use crate::web::contract::ApiError;
use crate::web::fields::{FieldError, Invalid};
use crate::web::passkeys::invalid_credential;
use crate::web::reply::Reply;
use crate::web::request::Request;
use crate::web::view::Answer;

/// DRF's `EmailField`: an address, at most 254 characters.
pub fn email_errors(email: &str) -> Vec<FieldError> {
    match (email.chars().count() > MAX_EMAIL_CHARS, valid_email(email)) {
        (true, _) => vec![FieldError::TooLong(MAX_EMAIL_CHARS)],
        (false, false) => vec![FieldError::InvalidEmail],
        (false, true) => vec![],
    }
}

/// Django's username field: at most 150 characters of letters, digits and
/// `@.+-_`.
pub fn username_errors(username: &str) -> Vec<FieldError> {
    match username.chars().count() > MAX_USERNAME_CHARS {
        true => vec![FieldError::TooLong(MAX_USERNAME_CHARS)],
        false if !valid_username(username) => vec![FieldError::InvalidUsername],
        false => vec![],
    }
}

/// 400 `{"username":["A user with that username already exists."]}`.
pub fn username_taken() -> ApiError {
    let mut invalid = Invalid::default();
    invalid.add("username", vec![FieldError::UsernameTaken]);
    invalid.into()
}

/// The answer to a sign-up (`how`: `password` or `passkey`, for the audit
/// trail) by how creating the user went; `email` is the address asked for.
pub async fn signed_up<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    created: Result<User, CreateUserError>,
    email: String,
    how: &str,
) -> Answer {
    let accounts = &app.settings.accounts;
    let verification = accounts.email_verification;
    let sent = || {
        let body = json!({ "detail": "Verification e-mail sent." });
        Reply::json(StatusCode::CREATED, &body)
    };
    match created {
        Ok(user) => {
            audit::emit(Event::Signup, Subject::UserId(user.id), how);
            if let Some(passkey) = user.passkeys.first() {
                audit::emit(Event::PasskeyAdded, Subject::UserId(user.id), &passkey.id);
            }
            if verification == EmailVerification::None {
                let mut reply = pair_reply(app, req, &user, now());
                reply.status = StatusCode::CREATED;
                return Ok(reply);
            }
            let job = Job::Confirm {
                user_id: user.id,
                email: user.email.clone(),
            };
            accounts::send(app, job).await?;
            Ok(sent())
        }
        Err(CreateUserError::UsernameTaken) => Err(username_taken()),
        // allauth with enumeration prevention: the answer a new address
        // gets, and the address's owner is told.
        Err(CreateUserError::EmailTaken)
            if accounts.prevent_enumeration && verification != EmailVerification::None =>
        {
            accounts::send(app, Job::AccountExists { email }).await?;
            Ok(sent())
        }
        Err(CreateUserError::EmailTaken) => {
            let mut invalid = Invalid::default();
            invalid.add("email", vec![FieldError::EmailTaken]);
            Err(invalid.into())
        }
        Err(CreateUserError::CredentialTaken) => Err(invalid_credential()),
        Err(CreateUserError::Store(e)) => Err(e.into()),
    }
}
