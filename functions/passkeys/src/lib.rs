//! The caller's passkeys, under `/api/v1/users/passkeys`, for an
//! authenticated caller (any of the contract's ways; CSRF for sessions on
//! unsafe methods; 401 otherwise). Off (404) unless `MFA_SUPPORTED_TYPES`
//! lists `webauthn`.
//!
//! * `register/options` POST `{"password"}` or `{"credential":
//!   AuthenticationResponseJSON}` → 200 `{"publicKey":
//!   PublicKeyCredentialCreationOptionsJSON}`: the password, or an
//!   assertion by one of the caller's passkeys (options from
//!   `login/passkey/options`), is re-authentication (400
//!   `{"password":["Wrong password."]}` or `{"credential":["Invalid
//!   credential."]}`, charged to the throttle), so a stolen session or
//!   token alone cannot add an attacker's passkey. The options ask for a discoverable credential
//!   with user verification, exclude the caller's passkeys, and live 300 s.
//! * `register` POST `{"credential": RegistrationResponseJSON, "name"}` →
//!   201 the passkey: the ceremony (found by the challenge the credential
//!   answers, the caller's, taken once) and webauthn-rs's checks (origin,
//!   RP id, user verification, signature); 400 `{"credential":["Invalid
//!   credential."]}` otherwise. The credential id must be no one's yet;
//!   at most 10 passkeys per user. Audit `passkey_added`.
//! * GET → 200 `[{"id","name","created","last_used","backed_up"}, …]`,
//!   oldest first.
//! * `{id}` PATCH `{"name"}` → 200 the passkey; DELETE `{"password"}` or
//!   `{"credential"}` → 204 (re-authentication as above; audit `passkey_removed`); 404 for
//!   an id that is not one of the caller's.
//!
//! A passkey's `name` is trimmed, at most 150 characters; blank or absent
//! at registration, it is "Passkey".

use auth::base::audit::{self, Event, Subject};
use auth::base::time::iso8601;
use auth::credentials::passkeys::RelyingParty;
use auth::lambda_http::http::StatusCode;
use auth::serde_json::{Value, json};
use auth::store::{Added, CeremonyKind, DEFAULT_PASSKEY_NAME, MAX_PASSKEYS, Store, StoredPasskey};
use auth::web::authn::Caller;
use auth::web::fields::{FieldError, Invalid, mapping};
use auth::web::passkeys::{
    begin, invalid_credential, name_field, passkey_fields, reauthenticate, registered,
    relying_party, take,
};
use auth::web::{Answer, Reply, Request, Required, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Required> = View::tutorial("passkeys", Serves::Post, Required)
    .at(&[
        ("passkeys", Serves::Get),
        ("passkeys/register/options", Serves::Post),
        ("passkeys/register", Serves::Post),
        ("passkeys/{id}", Serves::Item),
    ])
    .options(r#"{"name":"Passkeys","description":"The caller's passkeys: registration, list, rename and removal.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// The endpoint asked for, by the path and method.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    let rp = relying_party(app, req)?;
    let path = req.path().trim_end_matches('/');
    match (req.method(), path.rsplit_once("/passkeys")) {
        ("POST", Some((_, "/register/options"))) => {
            let user = &caller.user;
            reauthenticate(app, req, &rp, user).await?;
            let begun = rp.start_registration(user);
            begin(app, begun, CeremonyKind::Register, Some(user.id), None).await
        }
        ("POST", _) => register(app, req, &rp, caller).await,
        ("GET" | "HEAD", _) => Ok(Reply::ok(&Value::Array(
            caller.user.passkeys.iter().map(shown).collect(),
        ))),
        (method, Some((_, id))) => {
            let id = id.trim_start_matches('/');
            match caller.user.passkey(id) {
                None => Err(ApiError::NotFound),
                Some(passkey) if method == "PATCH" => rename(app, req, &caller, passkey).await,
                Some(passkey) => remove(app, req, &rp, &caller, passkey).await,
            }
        }
        _ => Err(ApiError::NotFound),
    }
}

/// A passkey as the API shows it.
fn shown(p: &StoredPasskey) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "created": iso8601(p.created),
        "last_used": p.last_used.map(iso8601),
        "backed_up": p.backed_up,
    })
}

/// Finishes a registration the caller began.
async fn register<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    rp: &RelyingParty,
    caller: Caller,
) -> Answer {
    let (credential, name) = passkey_fields(req)?;
    let user = &caller.user;
    let ceremony = take(app, &credential, CeremonyKind::Register).await?;
    if ceremony.user_id != Some(user.id) {
        return Err(invalid_credential());
    }
    let passkey = registered(rp, &credential, &ceremony, name)?;
    match app.store.add_passkey(user, &passkey).await? {
        Added::Done => {}
        Added::Taken => return Err(invalid_credential()),
        Added::Full => {
            return Err(ApiError::Invalid(Invalid::non_field(
                FieldError::TooManyPasskeys(MAX_PASSKEYS),
            )));
        }
        Added::UserChanged => return Err(ApiError::NotAuthenticated),
    }
    audit::emit(Event::PasskeyAdded, Subject::UserId(user.id), &passkey.id);
    Ok(Reply::json(StatusCode::CREATED, &shown(&passkey)))
}

/// Renames one of the caller's passkeys.
async fn rename<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    caller: &Caller,
    passkey: &StoredPasskey,
) -> Answer {
    mapping(req.data())?;
    let name = name_field(req).map_err(|errors| {
        let mut invalid = Invalid::default();
        invalid.add("name", errors);
        ApiError::Invalid(invalid)
    })?;
    let Some(name) = name else {
        return Ok(Reply::ok(&shown(passkey)));
    };
    let name = if name.is_empty() {
        DEFAULT_PASSKEY_NAME.to_owned()
    } else {
        name
    };
    if !app
        .store
        .rename_passkey(caller.user.id, &passkey.id, &name)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    let renamed = StoredPasskey {
        name,
        ..passkey.clone()
    };
    Ok(Reply::ok(&shown(&renamed)))
}

/// Removes one of the caller's passkeys (after re-authentication).
async fn remove<S: Store>(
    app: &App<S>,
    req: &Request<'_>,
    rp: &RelyingParty,
    caller: &Caller,
    passkey: &StoredPasskey,
) -> Answer {
    let user = &caller.user;
    reauthenticate(app, req, rp, user).await?;
    if !app.store.remove_passkey(user.id, &passkey.id).await? {
        return Err(ApiError::NotFound);
    }
    audit::emit(Event::PasskeyRemoved, Subject::UserId(user.id), &passkey.id);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
