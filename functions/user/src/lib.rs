//! The caller's own account (dj-rest-auth's `UserDetailsView`, and
//! account deletion), `/api/v1/users/user`, for an authenticated caller
//! (any of the contract's ways; CSRF for sessions on PATCH and DELETE; 401
//! otherwise):
//!
//! * GET (and HEAD) → 200 `{"pk","username","email","first_name","last_name"}`.
//! * PATCH `{"first_name","last_name","email"}`, each optional → 200 and
//!   the profile. Names are trimmed, at most 150 characters, blank
//!   allowed. `username` and `pk` are read-only (ignored, as DRF ignores a
//!   read-only field). A new `email` is not the user's until they prove it:
//!   with verification links on (`ACTIVATION_URL`, and
//!   `ACCOUNT_EMAIL_VERIFICATION` not `none`) the answer still shows the
//!   old address, the new one gets a link (an address another account
//!   holds gets allauth's "account already exists" email instead, so the
//!   answer never tells), and following it moves the address
//!   (`registration/verify-email`), verified, and tells the old address.
//!   Without links the address changes at once, unverified (a taken one:
//!   400, as Django's unique field says), and the old address is told.
//!   An address cannot be removed (400 blank).
//! * DELETE `{"password"}` → 204: the account is gone. The password is
//!   re-authentication (400 `{"password":["Wrong password."]}`, charged
//!   to the password throttle), so a stolen session or token alone cannot
//!   delete it. With passkeys on, `{"credential"}` (an assertion by one of
//!   the caller's passkeys, on `login/passkey/options`' options) does
//!   instead: how an account without a password deletes itself. One transaction removes the username and address items and
//!   leaves a tombstone holding only the id and a generation moved on: no
//!   credential, second factor, address or name stays, the id is never
//!   given again, and every session and token of the user is refused from
//!   then on. The caller's session and refresh cookies are deleted.

use auth::accounts;
use auth::base::audit::{self, Event, Subject};
use auth::lambda_http::http::StatusCode;
use auth::mail::Job;
use auth::serde_json::{Value, json};
use auth::settings::EmailVerification;
use auth::store::{
    MAX_EMAIL_CHARS, MAX_USERNAME_CHARS, SetEmailError, Store, UpdateUserError, User, UserChange,
    email_identity, valid_email, valid_session_key,
};
use auth::web::authn::{Caller, Via};
use auth::web::fields::{FieldError, Invalid, mapping, optional_field};
use auth::web::passkeys::reauthenticate_by_either;
use auth::web::{Answer, Cookies, Reply, Request, Required, SESSION_COOKIE, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Required> = View::tutorial("user", Serves::Resource, Required)
    .sends_mail()
    .options(r#"{"name":"User Details","description":"Reads and updates the caller's name and address, and deletes their account.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// Django's `first_name` and `last_name`: at most 150 characters.
const MAX_NAME_CHARS: usize = MAX_USERNAME_CHARS;

/// The method asked for.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    match req.method() {
        "PATCH" => update(app, req, caller).await,
        "DELETE" => delete(app, req, caller).await,
        _ => Ok(Reply::ok(&profile(&caller.user))),
    }
}

/// dj-rest-auth's `UserDetailsSerializer`.
fn profile(user: &User) -> Value {
    json!({
        "pk": user.id,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
    })
}

/// The body's changes, each field checked, every error at once in the
/// serializer's field order.
struct Changes {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

fn changes(req: &Request<'_>) -> Result<Changes, ApiError> {
    let data = req.data();
    mapping(data)?;
    let mut invalid = Invalid::default();
    let mut field = |name: &'static str, allow_blank: bool, max: usize| match optional_field(
        data,
        name,
        allow_blank,
        max,
    ) {
        Ok(value) => value,
        Err(errors) => {
            invalid.add(name, errors);
            None
        }
    };
    let email = field("email", false, MAX_EMAIL_CHARS);
    let first_name = field("first_name", true, MAX_NAME_CHARS);
    let last_name = field("last_name", true, MAX_NAME_CHARS);
    if email.as_deref().is_some_and(|e| !valid_email(e)) {
        invalid
            .0
            .insert(0, ("email", vec![FieldError::InvalidEmail]));
    }
    match invalid.is_empty() {
        true => Ok(Changes {
            email,
            first_name,
            last_name,
        }),
        false => Err(invalid.into()),
    }
}

async fn update<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    let Changes {
        email,
        first_name,
        last_name,
    } = changes(req)?;
    let mut user = caller.user;
    if first_name.is_some() || last_name.is_some() {
        let names = UserChange::Names {
            first_name,
            last_name,
        };
        user = app.store.update_user(user.id, names).await?;
    }
    match email {
        Some(email) if email_identity(&email) != email_identity(&user.email) => {
            change_email(app, user, email).await
        }
        _ => Ok(Reply::ok(&profile(&user))),
    }
}

/// Whether a new address must be proved before it is the user's: the
/// links are on.
fn links_on<S>(app: &App<S>) -> bool {
    let accounts = &app.settings.accounts;
    accounts.activation_url.0.is_some() && accounts.email_verification != EmailVerification::None
}

/// A new address: a link to it (it becomes the user's once followed), or,
/// without links, the address at once.
async fn change_email<S: Store>(app: &App<S>, user: User, email: String) -> Answer {
    if links_on(app) {
        let job = Job::ChangeEmail {
            user_id: user.id,
            email,
        };
        accounts::send(app, job).await?;
        return Ok(Reply::ok(&profile(&user)));
    }
    let old = user.email.clone();
    // The old address will be told: nothing changes if it cannot be.
    if !old.is_empty() && !app.mail.is_configured() {
        let e = auth::mail::MailError::Queue("EMAIL_BACKEND=ses without MAIL_QUEUE_URL".into());
        return Err(accounts::AccountError::Mail(e).into());
    }
    let user = match app.store.set_email(&user, &email, false).await {
        Ok(user) => user,
        Err(SetEmailError::Taken) => {
            let mut invalid = Invalid::default();
            invalid.add("email", vec![FieldError::EmailTaken]);
            return Err(invalid.into());
        }
        Err(SetEmailError::Invalid) => {
            let mut invalid = Invalid::default();
            invalid.add("email", vec![FieldError::InvalidEmail]);
            return Err(invalid.into());
        }
        Err(SetEmailError::NotFound) => return Err(ApiError::NotAuthenticated),
        Err(SetEmailError::Conflict) => return Err(ApiError::EmailChangedMeanwhile),
        Err(SetEmailError::Store(e)) => return Err(e.into()),
    };
    audit::emit(Event::EmailChanged, Subject::UserId(user.id), "profile");
    if !old.is_empty() {
        let notice = Job::EmailChanged {
            user_id: user.id,
            from_email: old,
            to_email: user.email.clone(),
        };
        accounts::send(app, notice).await?;
    }
    Ok(Reply::ok(&profile(&user)))
}

async fn delete<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    let user = &caller.user;
    reauthenticate_by_either(app, req, user).await?;
    match app.store.delete_user(user).await {
        Ok(()) => {}
        Err(UpdateUserError::NotFound) => return Err(ApiError::NotAuthenticated),
        Err(e) => return Err(e.into()),
    }
    audit::emit(
        Event::AccountDeleted,
        Subject::UserId(user.id),
        caller.via.as_str(),
    );
    // The caller's own session goes now (the others are refused: their
    // user is gone, and expire).
    if caller.via == Via::Session
        && let Some(key) = req.cookie(SESSION_COOKIE).filter(|k| valid_session_key(k))
    {
        app.store.delete_session(key).await?;
    }
    let mut cookies = Cookies::deleting_session();
    cookies.delete_refresh();
    Ok(Reply::empty(StatusCode::NO_CONTENT).with_cookies(cookies))
}
