//! `GET /api/v1/users/oauth/grants` and `DELETE oauth/grants/{client_id}`
//! — the caller's consents to third-party OAuth clients (remembered by
//! the consent page of `oauth/authorize`), listed and withdrawn, with
//! `OAUTH_ENABLED` (else 404). Any of the four ways of authenticating
//! (a session needs Django's CSRF check to withdraw); 401 without a
//! caller.
//!
//! * `GET oauth/grants`: 200 `[{"client_id","name","scope","granted"}]`,
//!   oldest first (`granted`: ISO 8601, when first given).
//! * `DELETE oauth/grants/{client_id}`: 204, the consent gone; 404 if the
//!   caller gave that client none. The client's refresh tokens for the
//!   caller stop renewing at once (`invalid_grant`), its codes not yet
//!   redeemed stop redeeming, and introspection reports its tokens
//!   inactive; a new consent later revives none of them (each is checked
//!   against the time the consent it was issued under was given). Audits
//!   `oauth_consent_withdrawn`.
//!
//! DynamoDB: the caller's user item (authentication); withdrawing, one
//! UpdateItem (it).

use auth::base::audit::{self, Event, Subject};
use auth::base::time::iso8601;
use auth::lambda_http::http::StatusCode;
use auth::serde_json::{Value, json};
use auth::store::Store;
use auth::web::authn::Caller;
use auth::web::oauth::enabled;
use auth::web::{Answer, Reply, Request, Required, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Required> = View::tutorial("oauth-grants", Serves::Get, Required)
    .at(&[("oauth/grants/{client_id}", Serves::Delete)])
    .options(r#"{"name":"OAuth Grants","description":"The caller's consents to OAuth clients: list and withdrawal.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#);

/// The list, or a withdrawal.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, caller: Caller) -> Answer {
    enabled(app)?;
    let path = req.path().trim_end_matches('/');
    match (req.method(), path.rsplit_once("/oauth/grants/")) {
        ("DELETE", Some((_, client_id))) if !client_id.contains('/') => {
            withdraw(app, &caller, client_id).await
        }
        ("GET" | "HEAD", None) => Ok(Reply::ok(&Value::Array(
            caller.user.consents.iter().map(shown).collect(),
        ))),
        _ => Err(ApiError::NotFound),
    }
}

fn shown(c: &auth::model::consent::Consent) -> Value {
    json!({
        "client_id": c.client_id,
        "name": c.name,
        "scope": c.scope,
        "granted": iso8601(c.granted_at),
    })
}

async fn withdraw<S: Store>(app: &App<S>, caller: &Caller, client_id: &str) -> Answer {
    let user = &caller.user;
    if user.consent(client_id).is_none() || !app.store.withdraw_consent(user.id, client_id).await? {
        return Err(ApiError::NotFound);
    }
    audit::emit(
        Event::OAuthConsentWithdrawn,
        Subject::UserId(user.id),
        client_id,
    );
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
