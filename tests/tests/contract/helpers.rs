//! What the contract tests share: the contract's paths, signing crafted
//! tokens, logging alice in, and the assertions every module uses.

pub use integration_tests::auth::jwt::JwtBackend;
pub use integration_tests::auth::lambda_http::Request;
pub use integration_tests::auth::time::now;
pub use integration_tests::{ALICE_PASSWORD, Req, Resp, Route, SIGNING_KEY, TestApp, call};
pub use serde_json::{Value, json};

pub use integration_tests::routes::paths::*;

/// Runs `request` through the pipeline and handler of `function`.
pub async fn invoke(function: &str, t: &TestApp, request: Request) -> Resp {
    Resp::from_response(Route::of(function).invoke(&t.app, request).await)
}

/// Asserts that `functions` names every function of the route table once:
/// for per-endpoint lists of cases, so a new route needs its own.
#[track_caller]
pub fn assert_covers_every_route<'a>(functions: impl IntoIterator<Item = &'a str>) {
    let mut listed: Vec<&str> = functions.into_iter().collect();
    listed.sort();
    let mut routes: Vec<&str> = integration_tests::ROUTES
        .iter()
        .map(|r| r.function)
        .collect();
    routes.sort();
    assert_eq!(listed, routes, "one entry per route of the route table");
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
