//! `POST /api/v1/users/login/simpleJWT` — obtain a token pair.
//!
//! 200 `{"refresh":"<jwt>","access":"<jwt>"}`; 400 with DRF's per-field
//! errors; 401 `No active account found with the given credentials`.

use auth::App;
use auth::authn::check_credentials;
use auth::fields::serializer_fields;
use auth::lambda_http::http::StatusCode;
use auth::lambda_http::{Body, Request, Response};
use auth::secrecy::SecretString;
use auth::serde_json::json;
use auth::store::{ThrottleStore, UserStore};
use auth::time::now;
use auth::tokens::issue_pair;
use auth::web::{ApiError, Call, Cx, Reply, Serves, View, ViewKind};

pub static VIEW: View = View {
    name: "token-obtain-pair",
    kind: ViewKind::SimpleJwt,
    serves: Serves::Post,
    options: r#"{"name":"Token Obtain Pair","description":"Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"}}}}"#,
};

pub async fn handler<S: UserStore + ThrottleStore>(app: &App<S>, req: Request) -> Response<Body> {
    let mut cx = app.cx(&VIEW, &req);
    let outcome = obtain(app, &mut cx).await;
    cx.finish(outcome)
}

async fn obtain<S: UserStore + ThrottleStore>(
    app: &App<S>,
    cx: &mut Cx<'_>,
) -> Result<Reply, ApiError> {
    cx.admit()?;
    if cx.call()? == Call::Options {
        return Ok(cx.options());
    }
    let [username, password] = serializer_fields(&cx.data()?, ["username", "password"])?;
    let Some(user) = check_credentials(app, cx, &username, SecretString::from(password)).await?
    else {
        return Err(ApiError::detail(
            StatusCode::UNAUTHORIZED,
            "No active account found with the given credentials",
        ));
    };
    let s = &app.settings;
    let pair = issue_pair(
        &app.jwt,
        user.id,
        user.generation,
        now(),
        s.access_token_lifetime,
        s.refresh_token_lifetime,
    );
    Ok(Reply::ok(
        &json!({ "refresh": pair.refresh, "access": pair.access }),
    ))
}
