//! `POST /api/v1/users/login/simpleJWT` — obtain a token pair.
//!
//! 200 `{"refresh":"<jwt>","access":"<jwt>"}`; 400 with DRF's per-field
//! errors; 401 `No active account found with the given credentials`. With
//! `JWT_AUTH_REFRESH_COOKIE` the refresh token goes into that HttpOnly
//! cookie (and, with `JWT_AUTH_HTTPONLY`, only there). A foreign `Origin`
//! is 403 before any password work (login CSRF).

use auth::base::time::now;
use auth::secrecy::SecretString;
use auth::store::Store;
use auth::web::authn::{Endpoint, check_credentials, pair_reply};
use auth::web::fields::serializer_fields;
use auth::web::{Anonymous, Answer, Request, Serves, View};
use auth::{ApiError, App};

pub static VIEW: View<Anonymous> = View::simple_jwt("token-obtain-pair", Serves::Post)
    .sends_mail()
    .logs_in()
    .options(r#"{"name":"Token Obtain Pair","description":"Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"}}}}"#);

/// simplejwt's `TokenObtainPairSerializer`: a new pair (and refresh family).
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let [username, password] = serializer_fields(req.data(), ["username", "password"])?;
    let user = check_credentials(
        app,
        req,
        &username,
        SecretString::from(password),
        Endpoint::ObtainPair,
    )
    .await?
    .ok_or(ApiError::NoActiveAccount)?;
    Ok(pair_reply(app, req, &user, now()))
}
