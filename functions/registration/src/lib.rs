//! Sign-up and email verification (dj-rest-auth's registration views with
//! django-allauth), one function for three paths under
//! `/api/v1/users/registration`:
//!
//! * `registration` `{"username","email","password1","password2"}` → 201
//!   `{"detail":"Verification e-mail sent."}`, or with
//!   `ACCOUNT_EMAIL_VERIFICATION=none` the new user's token pair (as
//!   `login/simpleJWT` answers, with 201). 403 while `REGISTRATION_OPEN`
//!   is off. 400 with the fields' errors: a taken username (Django shows
//!   it), an address or username that is not one, Django's password
//!   validators on `password1`, and `password2` differing. An address
//!   that already has an account answers exactly as a new one
//!   (`ACCOUNT_PREVENT_ENUMERATION`), and its owner gets an email saying
//!   someone tried. Sign-ups are limited per client address (429).
//! * `registration/verify-email` `{"key"}` → 200 `{"detail":"ok"}`; an
//!   unknown, used or expired key 404 `{"detail":"Not found."}`. The key
//!   is used once: one transaction deletes it and verifies the address
//!   (or, for a new address asked for at `user`, makes it the user's,
//!   verified, if no other account took it meanwhile, and tells the old
//!   address).
//! * `registration/resend-email` `{"email"}` → 200 `{"detail":"ok"}`,
//!   whether or not the address is known (and in the same time: the
//!   lookup is the mailer's).
//!
//! The password is hashed (Argon2id, off the async threads) before the
//! username or address is looked at, so a taken address costs what a new
//! one does. Every email goes through `accounts::send`: at most one a
//! minute and five an hour per recipient.

use auth::accounts::{self, charge_signup, secret_hash};
use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::credentials::password::hash_password;
use auth::mail::Job;
use auth::policy::passwords;
use auth::secrecy::{ExposeSecret, SecretString};
use auth::serde_json::json;
use auth::store::{AccountKey, KeyUse, Store};
use auth::web::fields::{FieldError, Invalid, password_fields, serializer_fields, together};
use auth::web::signup::{email_errors, signed_up, username_errors};
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Anonymous> = View::tutorial("registration", Serves::Post, Anonymous)
    .sends_mail()
    .logs_in()
    .options(r#"{"name":"Register","description":"Signs a user up, verifies their address, and sends the verification email again.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// The endpoint asked for, by the end of the path.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let path = req.path();
    if path.ends_with("/verify-email") {
        verify_email(app, req).await
    } else if path.ends_with("/resend-email") {
        resend_email(app, req).await
    } else {
        register(app, req).await
    }
}

/// The four fields, each checked as dj-rest-auth's `RegisterSerializer`
/// does, every error at once, in field order.
async fn registration_fields<S>(
    app: &App<S>,
    req: &Request<'_>,
) -> Result<(String, String, SecretString), ApiError> {
    let data = req.data();
    let (names, passwords) = together(
        serializer_fields(data, ["username", "email"]),
        password_fields(data, ["password1", "password2"]),
    )?;
    let ([username, email], [password1, password2]) = (names, passwords);
    let mut invalid = Invalid::default();
    invalid.add("username", username_errors(&username));
    invalid.add("email", email_errors(&email));
    let weaknesses = passwords::weaknesses(app, &password1, &username).await?;
    invalid.add(
        "password1",
        weaknesses.into_iter().map(FieldError::Weak).collect(),
    );
    if password1.expose_secret() != password2.expose_secret() {
        invalid.add("password2", vec![FieldError::PasswordMismatch]);
    }
    match invalid.is_empty() {
        true => Ok((username, email, password1)),
        false => Err(invalid.into()),
    }
}

async fn register<S: Store>(app: &App<S>, req: &Request<'_>) -> Answer {
    if !app.settings.accounts.registration_open {
        return Err(ApiError::PermissionDenied);
    }
    let (username, email, password) = registration_fields(app, req).await?;
    if let Some(wait) = charge_signup(app, req.client_address()).await? {
        return Err(ApiError::Throttled { wait });
    }
    let hash = hash_password(password).await?;
    let created = app
        .store
        .create_user_with_email(&username, &hash, &email, false)
        .await;
    signed_up(app, req, created, email, "password").await
}

async fn verify_email<S: Store>(app: &App<S>, req: &Request<'_>) -> Answer {
    let [key] = serializer_fields(req.data(), ["key"])?;
    let id = AccountKey::confirmation_id(&secret_hash(&key));
    let Some(stored) = app.store.key(&id).await? else {
        return Err(ApiError::NotFound);
    };
    let Some(user) = app.store.user_by_id(stored.user_id).await? else {
        return Err(ApiError::NotFound);
    };
    // The key of a new address (`user` PATCH) moves the address; one of
    // the user's own address verifies it.
    let moving = user.email != stored.email;
    let then = match moving {
        true => KeyUse::ChangeEmail {
            old: user.email.clone(),
        },
        false => KeyUse::VerifyEmail,
    };
    if !app.store.use_key(&stored, &then, now()).await? {
        return Err(ApiError::NotFound);
    }
    let subject = Subject::UserId(stored.user_id);
    if !moving {
        audit::emit(Event::EmailVerified, subject, "link");
    } else {
        audit::emit(Event::EmailChanged, subject, "link");
        if !user.email.is_empty() {
            let notice = Job::EmailChanged {
                user_id: user.id,
                from_email: user.email,
                to_email: stored.email,
            };
            accounts::send(app, notice).await?;
        }
    }
    Ok(Reply::ok(&json!({"detail": "ok"})))
}

async fn resend_email<S: Store>(app: &App<S>, req: &Request<'_>) -> Answer {
    if app.settings.accounts.activation_url.0.is_none() {
        return Err(ApiError::NotFound);
    }
    let [email] = serializer_fields(req.data(), ["email"])?;
    let mut invalid = Invalid::default();
    invalid.add("email", email_errors(&email));
    if !invalid.is_empty() {
        return Err(invalid.into());
    }
    accounts::send(app, Job::Resend { email }).await?;
    Ok(Reply::ok(&json!({"detail": "ok"})))
}
