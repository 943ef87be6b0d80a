//! Logging in with a passkey, under `/api/v1/users/login/passkey`, for
//! anyone. Off (404) unless `MFA_SUPPORTED_TYPES` lists `webauthn`; the
//! login itself also needs `MFA_PASSKEY_LOGIN_ENABLED`.
//!
//! * `options` POST `{}` → 200 `{"publicKey":
//!   PublicKeyCredentialRequestOptionsJSON}`: user verification required,
//!   `allowCredentials` empty (any discoverable passkey of the RP), so the
//!   answer is the same for everyone and says nothing about who exists.
//!   The ceremony lives 300 s and is good for one assertion, here or as
//!   the second step at `login/mfa`.
//! * POST `{"credential": AuthenticationResponseJSON, "login": "session" |
//!   "jwt" | "simpleJWT"}` → exactly what that login answers on success:
//!   session cookies and `{"message":"success"}`, `{"token"}`, or the
//!   token pair (with the refresh cookie when that mode is on). A passkey
//!   with user verification is both factors: a user with TOTP on gets no
//!   `mfa_required`. 400 `{"credential":["Invalid credential."]}` for any
//!   refusal (`web::passkeys`), the same for an unknown credential; a
//!   counter gone backwards also audits `passkey_counter_regressed`. 429
//!   past the throttle (per client address, per credential). A foreign
//!   `Origin` is 403 (login CSRF).

use auth::accounts;
use auth::base::audit::{self, Event, Subject};
use auth::base::time::now;
use auth::policy::throttle;
use auth::serde_json::json;
use auth::store::{AccountKey, CeremonyKind, Store};
use auth::web::authn::{amr, pair_reply, start_session};
use auth::web::fields::{Invalid, choice_field, credential_field, mapping};
use auth::web::passkeys::{begin, invalid_credential, prove, relying_party};
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Anonymous> = View::simple_jwt("login-passkey", Serves::Post)
    .logs_in()
    .options(r#"{"name":"Login Passkey","description":"Logs in with a passkey (WebAuthn).","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// The logins a passkey may complete, as the body's `login` names them.
const LOGINS: [&str; 3] = ["session", "jwt", "simpleJWT"];

/// The options, or the login.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let rp = relying_party(app, req)?;
    if req.path().trim_end_matches('/').ends_with("/options") {
        return begin(app, rp.start_login(), CeremonyKind::Login, None, None).await;
    }
    if !app.settings.mfa.passkey_login_enabled {
        return Err(ApiError::NotFound);
    }
    mapping(req.data())?;
    let credential = credential_field(req.data(), "credential");
    let login = choice_field(req.data(), "login", &LOGINS);
    let mut invalid = Invalid::default();
    if let Err(errors) = &credential {
        invalid.add("credential", errors.clone());
    }
    if let Err(errors) = &login {
        invalid.add("login", errors.clone());
    }
    let (Ok(credential), Ok(login)) = (credential, login) else {
        return Err(ApiError::Invalid(invalid));
    };
    let mut proven = prove(app, req, &rp, &credential, None).await?;
    let (user, now) = (&proven.user, now());
    if accounts::must_verify(app, user) {
        return Err(ApiError::EmailNotVerified);
    }
    let used = app.store.use_passkey(user.id, &proven.used).await?;
    if !used {
        // Used or removed since it was read: this assertion is not the one.
        return Err(invalid_credential());
    }
    // A login voids the user's reset link, as a password login does.
    if app.settings.accounts.password_reset_confirm_url.0.is_some() {
        proven.attempt.also_forget(AccountKey::reset_id(user.id));
    }
    throttle::succeeded(app, proven.attempt).await?;
    req.logged_in(app, &user.username);
    let subject = Subject::UserId(user.id);
    audit::emit(Event::PasskeyLogin, subject, &proven.used.id);
    audit::emit(
        Event::LoginSucceeded,
        Subject::Username(&user.username),
        "passkey",
    );
    Ok(match login {
        "session" => Reply::ok(&json!({ "message": "success" }))
            .with_cookies(start_session(app, req, user, amr::PASSKEY).await?),
        "jwt" => Reply::tokens(&json!({ "token": app.tokens.tutorial_for(user, now) })),
        _ => pair_reply(app, req, user, now),
    })
}
