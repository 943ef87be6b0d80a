//! What the contract tests share: the contract's paths and the answers
//! many modules expect, building their requests, signing crafted tokens,
//! logging alice in, setting users up, and the assertions every module uses.

pub use integration_tests::auth::base::jwt::JwtBackend;
pub use integration_tests::auth::base::time::now;
pub use integration_tests::auth::lambda_http::Request;
pub use integration_tests::{ALICE_PASSWORD, Req, Resp, Route, SIGNING_KEY, TestApp, call};
pub use serde_json::{Value, json};

pub use integration_tests::routes::paths::*;

use integration_tests::auth::store::{TokenStore, User, UserAdmin, UserChange, UserStore};
use integration_tests::spawn_app_with;

/// `info`'s answer to alice.
pub const ALICE: &str = r#"{"id":1,"username":"alice"}"#;
/// The 401 of an endpoint that needs a caller and found none.
pub const NOT_PROVIDED: &str = r#"{"detail":"Authentication credentials were not provided."}"#;
/// The `Set-Cookie` that deletes a session cookie.
pub const DELETION: &str =
    r#"sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"#;
/// The 401 for a blacklisted (or revoked) refresh token.
pub const BLACKLISTED: &str = r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#;

/// A POST of a username and password (login, jwt-login, obtain).
pub fn credentials(path: &str, username: &str, password: &str) -> Req {
    Req::post(path).json(&json!({"username": username, "password": password}))
}

/// A POST of alice's username and right password.
pub fn alice_credentials(path: &str) -> Req {
    credentials(path, "alice", ALICE_PASSWORD)
}

/// A refresh request for `token`.
pub fn refresh_req(token: &str) -> Req {
    Req::post(REFRESH).json(&json!({ "refresh": token }))
}

/// A verify request for `token`.
pub fn verify_req(token: &str) -> Req {
    Req::post(VERIFY).json(&json!({ "token": token }))
}

/// A blacklist request for `token`.
pub fn blacklist_req(token: &str) -> Req {
    Req::post(BLACKLIST).json(&json!({ "refresh": token }))
}

/// Refreshes with `token`.
pub async fn refresh_with(t: &TestApp, token: &str) -> Resp {
    call!(token_refresh, t, refresh_req(token))
}

/// An app that rotates refresh tokens, with `more` settings.
pub async fn rotating_app(more: &[(&str, &str)]) -> TestApp {
    let vars: Vec<(&str, &str)> = [("ROTATE_REFRESH_TOKENS", "true")]
        .into_iter()
        .chain(more.iter().copied())
        .collect();
    spawn_app_with(&vars).await
}

/// An app whose throttle does not get in the way of many password checks.
pub async fn unthrottled_app() -> TestApp {
    spawn_app_with(&[
        ("THROTTLE_USERNAME_ADDRESS_LIMIT", "100000"),
        ("THROTTLE_USERNAME_LIMIT", "100000"),
        ("THROTTLE_IP_LIMIT", "100000"),
    ])
    .await
}

/// Marks a user inactive.
pub async fn deactivate(t: &TestApp, user_id: u64) {
    t.app
        .store
        .update_user(user_id, UserChange::Active(false))
        .await
        .unwrap();
}

/// User `id` as the store holds it now.
pub async fn stored_user(t: &TestApp, id: u64) -> User {
    t.app.store.user_by_id(id).await.unwrap().unwrap()
}

/// Gives alice the verified address `email`, behind the API's back.
pub async fn give_address(t: &TestApp, email: &str) {
    let alice = stored_user(t, t.alice.id).await;
    t.app.store.set_email(&alice, email, true).await.unwrap();
}

/// Sets a user's password behind the API's back, as `authctl` does.
pub async fn set_password(t: &TestApp, user_id: u64, password: &str) {
    let hash = integration_tests::password_hash(password);
    t.app
        .store
        .update_user(user_id, UserChange::password(hash))
        .await
        .unwrap();
}

/// A refresh token of alice's, its `jti` blacklisted in the store directly
/// (until its `exp`).
pub async fn blacklisted_refresh_of_alice(t: &TestApp) -> String {
    let (refresh, _) = pair_of_alice(t).await;
    let c = claims(&refresh);
    t.app
        .store
        .blacklist(c["jti"].as_str().unwrap(), c["exp"].as_i64().unwrap())
        .await
        .unwrap();
    refresh
}

/// Posts each (username, password) to the password endpoint at `path`, on
/// an app where bob is inactive; the answers, each with its username.
pub async fn answers_to_credentials(path: &str, cases: &[(&str, &str)]) -> Vec<(String, Resp)> {
    let t = integration_tests::spawn_app().await;
    deactivate(&t, t.bob.id).await;
    let route = Route::at(path);
    let mut answers = Vec::new();
    for (username, password) in cases {
        let req = credentials(path, username, password).build();
        let r = Resp::from_response(route.invoke(&t.app, req).await);
        answers.push((username.to_string(), r));
    }
    answers
}

/// Races `n` refreshes of one token on an app that rotates them: asserts
/// that exactly one wins.
pub async fn racing_rotations(n: usize) {
    let t = rotating_app(&[]).await;
    let (refresh, _) = pair_of_alice(&t).await;
    let results = futures::future::join_all((0..n).map(|_| refresh_with(&t, &refresh))).await;
    assert_one_winner(&results);
}

/// Asserts that of racing requests exactly one won (200) and every other
/// found its token blacklisted.
#[track_caller]
pub fn assert_one_winner(results: &[Resp]) {
    let winners = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        winners,
        1,
        "{:?}",
        results
            .iter()
            .map(|r| (r.status, &r.body))
            .collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status != 200) {
        r.assert(401, BLACKLISTED);
    }
}

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
    routes.dedup();
    assert_eq!(listed, routes, "one entry per function of the route table");
}

/// Signs arbitrary claims as the test apps do (their algorithm and key),
/// with their `aud` and `iss` added where the claims have none.
pub fn sign(mut claims: Value) -> String {
    if let Some(map) = claims.as_object_mut() {
        for (name, value) in integration_tests::configured_claims(false) {
            map.entry(name).or_insert(value.into());
        }
    }
    integration_tests::test_backend().sign(&claims)
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

/// Asserts a token's header is PyJWT's with the test apps' algorithm and
/// current `kid`; an access token signed with a private key is typed
/// `at+jwt` (RFC 9068), every other token `JWT`.
#[track_caller]
pub fn assert_jwt_header(token: &str) {
    use base64::Engine;
    let header = token.split('.').next().expect("a JWT");
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let backend = integration_tests::test_backend();
    let (alg, kid) = (backend.algorithm().name(), backend.current_kid());
    let access = claims(token)["token_type"] == "access";
    let typ = match (access, backend.algorithm().is_asymmetric()) {
        (true, true) => "at+jwt",
        _ => "JWT",
    };
    assert_eq!(
        String::from_utf8(header).unwrap(),
        format!(r#"{{"alg":"{alg}","kid":"{kid}","typ":"{typ}"}}"#)
    );
}

/// The claim names of an issued access (`access`) or refresh token:
/// `simplejwt`'s, then the ones the test apps configure.
pub fn issued_claims(simplejwt: &[&'static str], access: bool) -> Vec<&'static str> {
    let configured = integration_tests::configured_claims(access);
    simplejwt
        .iter()
        .copied()
        .chain(configured.into_iter().map(|(name, _)| name))
        .collect()
}

/// The claims of a token, decoded without checks.
pub fn claims(token: &str) -> Value {
    integration_tests::token_claims(token).expect("a JWT with a base64url JSON payload")
}

/// Logs alice in with a session; returns (sessionid, csrftoken).
pub async fn session_of_alice(t: &TestApp) -> (String, String) {
    let r = call!(login, t, alice_credentials(LOGIN));
    r.assert(200, r#"{"message":"success"}"#);
    (
        r.cookie("sessionid").expect("sessionid"),
        r.cookie("csrftoken").expect("csrftoken"),
    )
}

/// A token pair for alice.
pub async fn pair_of_alice(t: &TestApp) -> (String, String) {
    pair_of(t, "alice", ALICE_PASSWORD).await
}

/// alice's token from the tutorial's JWT login.
pub async fn jwt_of_alice(t: &TestApp) -> String {
    let r = call!(jwt_login, t, alice_credentials(JWT_LOGIN));
    r.json()["token"].as_str().unwrap().to_owned()
}

/// A token pair for a user: (refresh, access).
pub async fn pair_of(t: &TestApp, username: &str, password: &str) -> (String, String) {
    let r = call!(
        token_obtain_pair,
        t,
        credentials(OBTAIN, username, password)
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    (
        v["refresh"].as_str().unwrap().to_owned(),
        v["access"].as_str().unwrap().to_owned(),
    )
}

/// Asserts a 401's challenge: `WWW-Authenticate: <scheme> realm="api"`.
#[track_caller]
pub fn assert_challenge(r: &Resp, scheme: &str) {
    let challenge = format!(r#"{scheme} realm="api""#);
    assert_eq!(
        r.header("www-authenticate"),
        Some(challenge.as_str()),
        "{}",
        r.body
    );
}

/// Asserts the security headers every response carries.
#[track_caller]
pub fn assert_security_headers(r: &Resp) {
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    assert_eq!(r.header("cross-origin-opener-policy"), Some("same-origin"));
}

/// Asserts DRF's 429: `Retry-After` within `window` seconds, and the body
/// saying the same wait.
#[track_caller]
pub fn assert_throttled(r: &Resp, window: u64) {
    assert_eq!(r.status, 429, "{}", r.body);
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=window).contains(&wait), "{wait}");
    let unit = if wait == 1 { "second" } else { "seconds" };
    assert_eq!(
        r.json(),
        json!({ "detail": format!("Request was throttled. Expected available in {wait} {unit}.") })
    );
}

/// Writes number attributes onto user `id`'s item directly: what many
/// earlier requests (or time passing) would have left there.
pub async fn set_on_user(t: &TestApp, id: u64, attributes: &[(&str, i64)]) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut update = t
        .app
        .store
        .client()
        .update_item()
        .table_name(t.app.store.tables().users.as_str())
        .key("pk", AttributeValue::S(format!("id#{id}")));
    let mut sets = Vec::new();
    for (i, (name, value)) in attributes.iter().enumerate() {
        sets.push(format!("#a{i} = :v{i}"));
        update = update
            .expression_attribute_names(format!("#a{i}"), *name)
            .expression_attribute_values(format!(":v{i}"), AttributeValue::N(value.to_string()));
    }
    let expression = format!("SET {}", sets.join(", "));
    update.update_expression(expression).send().await.unwrap();
}

/// `username`'s password on `route`, from `from`: in the body of a login,
/// else (a route that authenticates) in `Authorization: Basic`; `None` for
/// a route that takes no password.
pub fn with_password(route: &Route, username: &str, password: &str, from: &str) -> Option<Req> {
    let req = match (
        route.logs_in
            && ![
                "login-mfa",
                "registration",
                "login-passkey",
                "registration-passkey",
            ]
            .contains(&route.function),
        route.authenticates(),
    ) {
        (true, _) => credentials(route.path, username, password),
        (false, true) => Req::new(route.method(), route.path).basic(username, password),
        (false, false) => return None,
    };
    Some(req.source_ip(from))
}

/// Settings with the account flows on (sign-up open, both links' pages).
pub const ACCOUNTS_ON: &[(&str, &str)] = &[
    ("REGISTRATION_OPEN", "true"),
    ("ACTIVATION_URL", VERIFY_PAGE),
    ("PASSWORD_RESET_CONFIRM_URL", RESET_PAGE),
];

/// The frontend pages the account emails link to, in the tests.
pub const VERIFY_PAGE: &str = "https://app.example.test/verify-email?key={key}";
pub const RESET_PAGE: &str = "https://app.example.test/reset/{uid}/{token}";
