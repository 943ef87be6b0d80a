//! `POST /api/v1/users/login/simpleJWT` — obtain a token pair.
//!
//! 200 `{"refresh":"<jwt>","access":"<jwt>"}`; 400 with DRF's per-field
//! errors; 401 `No active account found with the given credentials`.

use auth::authn::check_credentials;
use auth::fields::serializer_fields;
use auth::secrecy::SecretString;
use auth::serde_json::json;
use auth::store::Store;
use auth::time::now;
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Anonymous> =
    View::simple_jwt("token-obtain-pair", Serves::Post).options(r#"{"name":"Token Obtain Pair","description":"Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"}}}}"#);

/// simplejwt's `TokenObtainPairSerializer`: a new pair (and refresh family).
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let [username, password] = serializer_fields(req.data(), ["username", "password"])?;
    let user = check_credentials(app, req, &username, SecretString::from(password))
        .await?
        .ok_or(ApiError::NoActiveAccount)?;
    let pair = app.tokens.pair_for(&user, now());
    Ok(Reply::ok(
        &json!({ "refresh": pair.refresh, "access": pair.access }),
    ))
}
