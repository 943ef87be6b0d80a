//! `POST /api/v1/users/login/simpleJWT/verify` — is this token valid?
//!
//! 200 `{}` for any valid access or refresh token; 401 for an invalid or
//! expired one; 400 `{"non_field_errors":["Token is blacklisted"]}` for a
//! revoked one: a blacklisted or rotated refresh token, any token of a
//! revoked family (access tokens carry their family too), or any token
//! issued before its user's password change or logout everywhere.
//!
//! DynamoDB: one BatchGetItem — the user, the token's family and, for a
//! refresh token, its blacklist entry (a token without a family, signed
//! by a Django deployment sharing the key: the user alone).

use auth::App;
use auth::base::time::now;
use auth::serde_json::json;
use auth::store::Store;
use auth::web::fields::{FieldError, Invalid, serializer_fields};
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};

pub static VIEW: View<Anonymous> = View::simple_jwt("token-verify", Serves::Post).options(r#"{"name":"Token Verify","description":"Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"token":{"type":"string","required":true,"read_only":false,"label":"Token"}}}}"#);

/// simplejwt's `TokenVerifySerializer`, with revocation.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let [raw] = serializer_fields(req.data(), ["token"])?;
    let token = app.tokens.any(&raw, now())?;
    let revoked = token.revoked_by(&token.state_in(&app.store).await?);
    if revoked {
        return Err(Invalid::non_field(FieldError::TokenBlacklisted).into());
    }
    Ok(Reply::ok(&json!({})))
}
