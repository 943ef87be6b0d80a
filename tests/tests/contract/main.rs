//! Contract tests: every line of `../shared/API.md`, driven through the
//! function handlers with real `Request`s against a real DynamoDB-API server
//! (moto), fresh tables per test.

mod authn;
mod blacklist;
mod calls;
mod common;
mod concurrency;
mod csrf;
mod django;
mod events;
mod faults;
mod hostile;
mod info;
mod jwt_login;
mod lifecycle;
mod login;
mod logout;
mod obtain;
mod refresh;
mod store;
mod throttle;
mod verify;

use integration_tests::auth::jwt::JwtBackend;
use integration_tests::auth::lambda_http::Request;
use integration_tests::auth::time::now;
use integration_tests::{ALICE_PASSWORD, Req, Resp, SIGNING_KEY, TestApp, call};
use serde_json::{Value, json};

pub const LOGIN: &str = "/api/v1/users/login";
pub const LOGOUT: &str = "/api/v1/users/logout";
pub const LOGOUT_ALL: &str = "/api/v1/users/logout/all";
pub const PASSWORD: &str = "/api/v1/users/password";
pub const JWT_LOGIN: &str = "/api/v1/users/login/jwt";
pub const INFO: &str = "/api/v1/users/login/jwt/info";
pub const OBTAIN: &str = "/api/v1/users/login/simpleJWT";
pub const REFRESH: &str = "/api/v1/users/login/simpleJWT/refresh";
pub const VERIFY: &str = "/api/v1/users/login/simpleJWT/verify";
pub const BLACKLIST: &str = "/api/v1/users/login/simpleJWT/blacklist";

/// The function serving each contract path.
pub const ROUTES: [(&str, &str); 10] = [
    (LOGIN, "login"),
    (LOGOUT, "logout"),
    (LOGOUT_ALL, "logout-all"),
    (PASSWORD, "password-change"),
    (JWT_LOGIN, "jwt-login"),
    (INFO, "info"),
    (OBTAIN, "token-obtain-pair"),
    (REFRESH, "token-refresh"),
    (VERIFY, "token-verify"),
    (BLACKLIST, "token-blacklist"),
];

/// Runs `request` through the handler of `function` (by its crate name).
pub async fn invoke(function: &str, t: &TestApp, request: Request) -> Resp {
    let app = &t.app;
    Resp::from_response(match function {
        "login" => ::login::handler(app, request).await,
        "logout" => ::logout::handler(app, request).await,
        "logout-all" => ::logout_all::handler(app, request).await,
        "password-change" => ::password_change::handler(app, request).await,
        "jwt-login" => ::jwt_login::handler(app, request).await,
        "info" => ::info::handler(app, request).await,
        "token-obtain-pair" => ::token_obtain_pair::handler(app, request).await,
        "token-refresh" => ::token_refresh::handler(app, request).await,
        "token-verify" => ::token_verify::handler(app, request).await,
        "token-blacklist" => ::token_blacklist::handler(app, request).await,
        other => panic!("no function {other}"),
    })
}

/// Signs arbitrary claims with the test key.
pub fn sign(claims: Value) -> String {
    JwtBackend::new(&[SIGNING_KEY.as_bytes()]).sign(&claims)
}

/// Signs with another key.
pub fn sign_with(key: &str, claims: Value) -> String {
    JwtBackend::new(&[key.as_bytes()]).sign(&claims)
}

pub fn access_claims(user_id: Value) -> Value {
    json!({"token_type":"access","exp":now()+300,"iat":now(),"jti":"0123456789abcdef0123456789abcdef","user_id":user_id})
}

pub fn refresh_claims(user_id: Value) -> Value {
    json!({"token_type":"refresh","exp":now()+3600,"iat":now(),"jti":uuid::Uuid::new_v4().simple().to_string(),"user_id":user_id})
}

/// Asserts a token's header is PyJWT's with our current `kid`.
#[track_caller]
pub fn assert_jwt_header(token: &str) {
    use base64::Engine;
    let header = token.split('.').next().expect("a JWT");
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let kid = integration_tests::auth::jwt::key_id(SIGNING_KEY.as_bytes());
    assert_eq!(
        String::from_utf8(header).unwrap(),
        format!(r#"{{"alg":"HS256","kid":"{kid}","typ":"JWT"}}"#)
    );
}

/// The claims of a token, decoded without checks.
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// Logs alice in with a session; returns (sessionid, csrftoken).
pub async fn session_of_alice(t: &TestApp) -> (String, String) {
    let r = call!(
        login,
        t,
        Req::post(LOGIN).json(&json!({"username":"alice","password":ALICE_PASSWORD}))
    );
    r.assert(200, r#"{"message":"success"}"#);
    (
        r.cookie("sessionid").expect("sessionid"),
        r.cookie("csrftoken").expect("csrftoken"),
    )
}

/// A token pair for alice.
pub async fn pair_of_alice(t: &TestApp) -> (String, String) {
    let r = call!(
        token_obtain_pair,
        t,
        Req::post(OBTAIN).json(&json!({"username":"alice","password":ALICE_PASSWORD}))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    (
        v["refresh"].as_str().unwrap().to_owned(),
        v["access"].as_str().unwrap().to_owned(),
    )
}

/// Asserts the security headers every response carries.
#[track_caller]
pub fn assert_security_headers(r: &Resp) {
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    assert_eq!(r.header("cross-origin-opener-policy"), Some("same-origin"));
}
