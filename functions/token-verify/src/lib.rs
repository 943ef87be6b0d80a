//! `POST /api/v1/users/login/simpleJWT/verify` — is this token valid?
//!
//! 200 `{}` for any valid access or refresh token; 401 for an invalid or
//! expired one; 400 `{"non_field_errors":["Token is blacklisted"]}` for a
//! revoked one: a blacklisted or rotated refresh token, one of a revoked
//! family, or any token issued before its user's password change or
//! logout everywhere.
//!
//! DynamoDB: one GetItem (the user) for an access token, one BatchGetItem
//! (user, token entry, family) for a refresh token.

use auth::App;
use auth::fields::{FieldError, Invalid, serializer_fields};
use auth::serde_json::json;
use auth::store::Store;
use auth::time::now;
use auth::tokens::TokenType;
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};

pub static VIEW: View<Anonymous> = View::simple_jwt("token-verify", Serves::Post).options(r#"{"name":"Token Verify","description":"Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"token":{"type":"string","required":true,"read_only":false,"label":"Token"}}}}"#);

/// simplejwt's `TokenVerifySerializer`, with revocation.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let [raw] = serializer_fields(req.data(), ["token"])?;
    let token = app.tokens.any(&raw, now())?;
    let revoked = match token.token_type() == Some(TokenType::Access.as_str()) {
        // Access tokens are never blacklisted one by one: only the user's
        // generation can revoke them.
        true => match token.lookup_id() {
            Some(id) => app
                .store
                .user_by_id(id)
                .await?
                .is_some_and(|u| !token.current_for(u.generation)),
            None => false,
        },
        false => token.revoked_by(&app.store.state_of(&token).await?),
    };
    if revoked {
        return Err(Invalid::non_field(FieldError::TokenBlacklisted).into());
    }
    Ok(Reply::ok(&json!({})))
}
