//! End to end over HTTP: the function binaries served by `cargo lambda
//! watch` (as `tests/serve.sh` runs them), on a moto DynamoDB-API server
//! with IAM enforced, each function signing as its own IAM user and reading
//! the signing key from SSM, as deployed.
//!
//! Needs `cargo-lambda` (tests/run.sh installs it into .tools/). The first
//! request to each function waits for `cargo run` to build it if needed.

use integration_tests::stack::{Http, Reply, deployed_env, lambda_watch};
use integration_tests::{ALICE_PASSWORD, BOB_PASSWORD, create_users, free_port, fresh_store};
use serde_json::{Value, json};

/// Sends a request without a body; a transport error fails the test.
fn send(http: &Http, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    http.send(method, path, headers, None)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// POSTs a JSON body.
fn post(http: &Http, path: &str, body: Value) -> Reply {
    http.send("POST", path, &[], Some(&body))
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// `GET login/jwt/info` with one header.
fn info(http: &Http, header: (&str, &str)) -> Reply {
    send(http, "GET", "/login/jwt/info", &[header])
}

#[tokio::test(flavor = "multi_thread")]
async fn session_and_token_flows_over_http() {
    // Tables and users on moto.
    let store = fresh_store().await;
    create_users(&store, &[("alice", ALICE_PASSWORD), ("bob", BOB_PASSWORD)]).await;

    // The API through cargo lambda watch, as deployed: each function signs
    // as its own IAM user (moto enforces the template's actions), and reads
    // the signing key from SSM.
    let port = free_port();
    let mut envs = deployed_env(&format!("auth-e2e-{port}"), store.tables()).await;
    // Passkeys on, for a page at http://localhost:3000 (the template's
    // MfaSupportedTypes, MfaPasskeyLoginEnabled, WebauthnRpId,
    // WebauthnAllowedOrigins; plain HTTP for the local page).
    envs.extend(
        [
            ("MFA_SUPPORTED_TYPES", "recovery_codes,totp,webauthn"),
            ("MFA_PASSKEY_LOGIN_ENABLED", "true"),
            ("WEBAUTHN_RP_ID", "localhost"),
            ("WEBAUTHN_ALLOWED_ORIGINS", PASSKEY_PAGE),
            ("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", "true"),
            // Sign-up with a passkey, the new user logged in at once (no
            // verification email: the console backend, which sends none).
            ("MFA_PASSKEY_SIGNUP_ENABLED", "true"),
            ("REGISTRATION_OPEN", "true"),
            ("ACTIVATION_URL", "http://localhost:3000/verify?key={key}"),
            ("ACCOUNT_EMAIL_VERIFICATION", "none"),
            ("EMAIL_BACKEND", "console"),
        ]
        .map(|(k, v)| (k, v.to_owned())),
    );
    let _watch = lambda_watch("e2e", port, &envs, false);
    let http = Http::on_port(port);

    tokio::task::spawn_blocking(move || {
        flows(&http);
        totp_login(&http);
        passkey_login(&http);
        passkey_signup(&http);
    })
    .await
    .expect("flows");
}

/// The page passkeys are made on.
const PASSKEY_PAGE: &str = "http://localhost:3000";

/// Passkeys over HTTP: alice adds one with an independent software
/// authenticator, renames it (`passkeys/{id}`: the router's path
/// parameter), and logs in with it alone.
fn passkey_login(http: &Http) {
    use integration_tests::softkey::SoftKey;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut key = SoftKey::new(PASSKEY_PAGE);
    let alice = json!({"username":"alice","password":ALICE_PASSWORD});
    let r = post(http, "/login/simpleJWT", alice);
    assert_eq!(r.status, 200, "{}", r.body);
    let bearer = format!("Bearer {}", r.json()["access"].as_str().unwrap());
    let auth = [("authorization", bearer.as_str())];
    let with_password = json!({"password": ALICE_PASSWORD});
    let r = http
        .send(
            "POST",
            "/passkeys/register/options",
            &auth,
            Some(&with_password),
        )
        .expect("POST passkeys/register/options");
    assert_eq!(r.status, 200, "{}", r.body);
    let credential = runtime.block_on(key.create(&r.json())).unwrap();
    let r = http
        .send(
            "POST",
            "/passkeys/register",
            &auth,
            Some(&json!({"credential": credential, "name": "e2e"})),
        )
        .expect("POST passkeys/register");
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = http
        .send(
            "PATCH",
            &format!("/passkeys/{id}"),
            &auth,
            Some(&json!({"name": "renamed"})),
        )
        .expect("PATCH passkeys/{id}");
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(http, "GET", "/passkeys", &auth);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()[0]["name"], "renamed");
    let bearer = passkey_bearer(http, &runtime, &mut key);
    info(http, ("authorization", &bearer)).assert(200, r#"{"id":1,"username":"alice"}"#);
}

/// A login with `key`'s passkey alone (`login/passkey`, simpleJWT): the
/// `Authorization` header of its access token.
fn passkey_bearer(
    http: &Http,
    runtime: &tokio::runtime::Runtime,
    key: &mut integration_tests::softkey::SoftKey,
) -> String {
    let r = post(http, "/login/passkey/options", json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let credential = runtime.block_on(key.get(&r.json())).unwrap();
    let r = post(
        http,
        "/login/passkey",
        json!({"credential": credential, "login": "simpleJWT"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    format!("Bearer {}", r.json()["access"].as_str().unwrap())
}

/// Sign-up with a passkey over HTTP (`registration-passkey`, through the
/// router): carol's account is created holding it, and she logs in with it
/// alone.
fn passkey_signup(http: &Http) {
    use integration_tests::softkey::SoftKey;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut key = SoftKey::new(PASSKEY_PAGE);
    let carol = json!({"username": "carol", "email": "carol@example.com"});
    let r = post(http, "/registration/passkey/options", carol);
    assert_eq!(r.status, 200, "{}", r.body);
    let credential = runtime.block_on(key.create(&r.json())).unwrap();
    let r = post(
        http,
        "/registration/passkey",
        json!({"credential": credential, "name": "e2e"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.json()["access"].is_string(), "{}", r.body);
    let bearer = passkey_bearer(http, &runtime, &mut key);
    let r = info(http, ("authorization", &bearer));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(r#""username":"carol""#), "{}", r.body);
}

/// Two-factor authentication: bob enrols with his access token, and his
/// next token login goes through `login/mfa` with a code from an
/// independent TOTP implementation.
fn totp_login(http: &Http) {
    use integration_tests::auth::base::time::now;
    use integration_tests::totp::{base32, totp};
    let bob = json!({"username":"bob","password":BOB_PASSWORD});
    let r = post(http, "/login/simpleJWT", bob.clone());
    assert_eq!(r.status, 200, "{}", r.body);
    let bearer = format!("Bearer {}", r.json()["access"].as_str().unwrap());
    let auth = [("authorization", bearer.as_str())];
    let r = http
        .send(
            "POST",
            "/mfa/totp",
            &auth,
            Some(&json!({"password": BOB_PASSWORD})),
        )
        .expect("POST mfa/totp");
    assert_eq!(r.status, 200, "{}", r.body);
    let secret = base32(r.json()["secret"].as_str().unwrap());
    // The previous step's code confirms, the current one logs in.
    if now() % 30 > 20 {
        std::thread::sleep(std::time::Duration::from_secs((31 - now() % 30) as u64));
    }
    let code = |steps: i64| totp(&secret, now() + 30 * steps, 6);
    let r = http
        .send(
            "POST",
            "/mfa/totp/confirm",
            &auth,
            Some(&json!({"password": BOB_PASSWORD, "code": code(-1)})),
        )
        .expect("POST mfa/totp/confirm");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["recovery_codes"].as_array().unwrap().len(), 10);

    let r = post(http, "/login/simpleJWT", bob);
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["code"], "mfa_required");
    let token = r.json()["mfa_token"].as_str().unwrap().to_owned();
    let current = code(0);
    let r = post(
        http,
        "/login/mfa",
        json!({"mfa_token": token, "code": current}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let bearer = format!("Bearer {}", r.json()["access"].as_str().unwrap());
    info(http, ("authorization", &bearer)).assert(200, r#"{"id":2,"username":"bob"}"#);
    // The code's step is used: the same code again is refused.
    let r = post(
        http,
        "/login/simpleJWT",
        json!({"username":"bob","password":BOB_PASSWORD}),
    );
    let token = r.json()["mfa_token"].as_str().unwrap().to_owned();
    post(
        http,
        "/login/mfa",
        json!({"mfa_token": token, "code": current}),
    )
    .assert(400, r#"{"code":["Invalid code."]}"#);
}

fn flows(http: &Http) {
    // Session: login -> info -> logout with CSRF.
    let r = post(
        http,
        "/login",
        json!({"username":"alice","password":ALICE_PASSWORD}),
    );
    r.assert(200, r#"{"message":"success"}"#);
    let session = r.cookie("sessionid").expect("sessionid cookie");
    let csrf = r.cookie("csrftoken").expect("csrftoken cookie");
    let cookie = format!("sessionid={session}; csrftoken={csrf}");

    info(http, ("cookie", &cookie)).assert(200, r#"{"id":1,"username":"alice"}"#);

    let r = send(http, "POST", "/logout", &[("cookie", &cookie)]);
    r.assert(403, r#"{"detail":"CSRF Failed: CSRF token missing."}"#);
    let r = send(
        http,
        "POST",
        "/logout",
        &[
            ("cookie", &cookie),
            ("x-csrftoken", &csrf),
            ("origin", &http.base[..http.base.find("/api").unwrap()]),
        ],
    );
    r.assert(200, "");
    assert_eq!(r.cookie("sessionid").as_deref(), Some(r#""""#));
    assert_eq!(info(http, ("cookie", &cookie)).status, 401);

    // Tokens: obtain -> info with Bearer -> refresh -> verify -> blacklist -> refresh fails.
    let r = post(
        http,
        "/login/simpleJWT",
        json!({"username":"bob","password":BOB_PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let pair = r.json();
    let (refresh, access) = (
        pair["refresh"].as_str().unwrap(),
        pair["access"].as_str().unwrap(),
    );
    let bearer = format!("Bearer {access}");
    info(http, ("authorization", &bearer)).assert(200, r#"{"id":2,"username":"bob"}"#);

    let r = post(
        http,
        "/login/simpleJWT/refresh",
        json!({ "refresh": refresh }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let new_access = r.json()["access"].as_str().unwrap().to_owned();
    for (path, body, status, answer) in [
        (
            "/login/simpleJWT/verify",
            json!({ "token": new_access }),
            200,
            "{}",
        ),
        (
            "/login/simpleJWT/blacklist",
            json!({ "refresh": refresh }),
            200,
            "{}",
        ),
        (
            "/login/simpleJWT/refresh",
            json!({ "refresh": refresh }),
            401,
            r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#,
        ),
    ] {
        post(http, path, body).assert(status, answer);
    }

    // The tutorial's JWT login and its header.
    let r = post(
        http,
        "/login/jwt",
        json!({"username":"alice","password":ALICE_PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    info(http, ("jwt-auth", &token)).assert(200, r#"{"id":1,"username":"alice"}"#);

    // Methods reach the functions: 405 with Allow.
    let r = send(http, "GET", "/login", &[]);
    r.assert(405, r#"{"detail":"Method \"GET\" not allowed."}"#);
}
