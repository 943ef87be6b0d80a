//! `POST /api/v1/users/password` — change one's password.
//!
//! Body `{"old_password","new_password"}` (JSON or form), by an
//! authenticated caller (CSRF for sessions; 401 otherwise). Errors, 400, per
//! field as Django's `PasswordChangeForm`: the old password wrong, and the
//! new one refused by Django's default validators (similar to the username,
//! shorter than 8, common, entirely numeric). The old password's check
//! counts against the password throttle.
//!
//! Success, 200: the new Argon2id hash is written only if the stored hash is
//! still the one checked (a concurrent change is never overwritten: 409),
//! and the same write moves the credential generation on, ending every other
//! session and token. The credential used for the call is renewed: a new
//! session (cookies) for a session caller, `{"refresh","access"}` for a
//! Bearer caller, `{"token"}` for a `jwt-auth` caller, `{}` otherwise.

use auth::App;
use auth::base::audit::{self, Event, Subject};
use auth::credentials::password::{hash_password, verify_password};
use auth::policy::{passwords, throttle};
use auth::store::{Store, UserChange};
use auth::web::authn::{Caller, renew_credential};
use auth::web::fields::{FieldError, Invalid, password_fields};
use auth::web::{Answer, Request, Required, Serves, View};

pub static VIEW: View<Required> =
    View::tutorial("password-change", Serves::Post, Required).options(r#"{"name":"Password Change","description":"Changes the caller's password and ends their other sessions and tokens.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// Checks the old password and the new one, stores the new one and renews
/// the caller's credential.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    let [old, new] = password_fields(req.data(), ["old_password", "new_password"])?;
    let user = &caller.user;
    let mut invalid = Invalid::default();
    let attempt = throttle::begin(app, &user.username, &req.throttle_client(&app.settings)).await?;
    if verify_password(old, Some(user.password.clone())).await? {
        throttle::succeeded(app, attempt).await?;
    } else {
        audit::emit(
            Event::LoginFailed,
            Subject::Username(&user.username),
            "wrong_old_password",
        );
        invalid.add("old_password", vec![FieldError::WrongOldPassword]);
    }
    let weaknesses = passwords::weaknesses(app, &new, &user.username).await?;
    invalid.add(
        "new_password",
        weaknesses.into_iter().map(FieldError::Weak).collect(),
    );
    if !invalid.is_empty() {
        return Err(invalid.into());
    }

    let change = UserChange::Password {
        hash: hash_password(new).await?,
        if_current: Some(user.password.clone()),
    };
    let user = app.store.update_user(user.id, change).await?;
    audit::emit(
        Event::PasswordChanged,
        Subject::UserId(user.id),
        caller.via.as_str(),
    );

    // Renew the credential this call came with; every other one is dead.
    renew_credential(app, req, caller.via, &user).await
}
