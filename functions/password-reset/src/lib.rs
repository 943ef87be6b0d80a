//! Forgotten passwords (dj-rest-auth's password reset views with
//! django-allauth), one function for two paths under
//! `/api/v1/users/password/reset`:
//!
//! * `password/reset` `{"email"}` → 200 `{"detail":"Password reset e-mail
//!   has been sent."}`, whether or not the address is known, and in the
//!   same time: the request only charges the recipient's email limits and
//!   queues the job; the mailer looks the address up, writes the token
//!   and sends the link (`PASSWORD_RESET_CONFIRM_URL`, with `{uid}` and
//!   `{token}`).
//! * `password/reset/confirm` `{"uid","token","new_password1",
//!   "new_password2"}` → 200 `{"detail":"Password has been reset with the
//!   new password."}`. 400 `{"uid":["Invalid value"]}` for a uid that
//!   names no user, Django's `SetPasswordForm` errors on `new_password2`
//!   (the two differ; the validators), `{"token":["Invalid value"]}` for a
//!   token that is not the user's live one. One transaction uses the token
//!   (only if still the live one and issued under the current password)
//!   and writes the new hash (only if the password is still that one),
//!   moving the credential generation on: every session and token of the
//!   user ends, and the reset logs nobody in (a TOTP user still needs
//!   the second factor). Confirmations are limited per (uid, client
//!   address) (429).
//!
//! Both answer 404 while `PASSWORD_RESET_CONFIRM_URL` is unset (the flow
//! is off). A token dies when it is used, when a newer reset is asked for
//! (one `reset#<id>` item per user), when the user logs in (the login
//! deletes it), when the password changes (its mark no longer matches)
//! and after `PASSWORD_RESET_TIMEOUT`.

use auth::accounts::{self, charge_reset, id_of, same_hash, secret_hash};
use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::credentials::password::hash_password;
use auth::mail::Job;
use auth::policy::passwords;
use auth::secrecy::ExposeSecret;
use auth::serde_json::json;
use auth::store::{AccountKey, KeyUse, MAX_EMAIL_CHARS, Store, valid_email};
use auth::web::fields::{FieldError, Invalid, password_fields, serializer_fields, together};
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Anonymous> = View::tutorial("password-reset", Serves::Post, Anonymous)
    .sends_mail()
    .options(r#"{"name":"Password Reset","description":"Sends a password reset link to an address, and sets a new password with the link's uid and token.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// The endpoint asked for, by the end of the path.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    if app.settings.accounts.password_reset_confirm_url.0.is_none() {
        return Err(ApiError::NotFound);
    }
    match req.path().ends_with("/confirm") {
        true => confirm(app, req).await,
        false => request(app, req).await,
    }
}

fn one(field: &'static str, error: FieldError) -> ApiError {
    let mut invalid = Invalid::default();
    invalid.add(field, vec![error]);
    invalid.into()
}

async fn request<S: Store>(app: &App<S>, req: &Request<'_>) -> Answer {
    let [email] = serializer_fields(req.data(), ["email"])?;
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(one("email", FieldError::TooLong(MAX_EMAIL_CHARS)));
    }
    if !valid_email(&email) {
        return Err(one("email", FieldError::InvalidEmail));
    }
    audit::emit(Event::PasswordResetRequested, Subject::Nobody, "queued");
    accounts::send(app, Job::PasswordReset { email }).await?;
    Ok(Reply::ok(
        &json!({"detail": "Password reset e-mail has been sent."}),
    ))
}

async fn confirm<S: Store>(app: &App<S>, req: &Request<'_>) -> Answer {
    let data = req.data();
    let (ids, passwords) = together(
        serializer_fields(data, ["uid", "token"]),
        password_fields(data, ["new_password1", "new_password2"]),
    )?;
    let ([uid, token], [new1, new2]) = (ids, passwords);
    let invalid_uid = || one("uid", FieldError::InvalidValue);
    let id = id_of(&uid).ok_or_else(invalid_uid)?;
    if let Some(wait) = charge_reset(app, id, req.client_address()).await? {
        return Err(ApiError::Throttled { wait });
    }
    let (user, key) = auth::join(
        app.store.user_by_id(id),
        app.store.key(&AccountKey::reset_id(id)),
    )
    .await;
    let user = user?.ok_or_else(invalid_uid)?;
    let key = key?;

    // Django's SetPasswordForm: the two must match, then the validators.
    if new1.expose_secret() != new2.expose_secret() {
        return Err(one("new_password2", FieldError::PasswordMismatch));
    }
    let weaknesses = passwords::weaknesses(app, &new2, &user.username).await?;
    if !weaknesses.is_empty() {
        let mut invalid = Invalid::default();
        invalid.add(
            "new_password2",
            weaknesses.into_iter().map(FieldError::Weak).collect(),
        );
        return Err(invalid.into());
    }

    let presented = secret_hash(&token);
    let live = key.filter(|k| {
        let same = same_hash(k.secret_hash.as_deref().unwrap_or_default(), &presented);
        same && user.is_active
            && k.password_mark.as_deref() == Some(secret_hash(&user.password).as_str())
    });
    let invalid_token = || one("token", FieldError::InvalidValue);
    let Some(mut key) = live else {
        return Err(invalid_token());
    };
    key.secret_hash = Some(presented);
    let change = KeyUse::ResetPassword {
        old_hash: user.password.clone(),
        new_hash: hash_password(new1).await?,
    };
    if !app.store.use_key(&key, &change, now()).await? {
        return Err(invalid_token());
    }
    audit::emit(Event::PasswordResetDone, Subject::UserId(user.id), "link");
    Ok(Reply::ok(
        &json!({"detail": "Password has been reset with the new password."}),
    ))
}
