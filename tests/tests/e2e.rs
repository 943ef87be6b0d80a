//! End to end over HTTP: the function binaries served by `cargo lambda
//! watch` (as `tests/serve.sh` runs them), on a moto DynamoDB-API server.
//!
//! Needs `cargo-lambda` (tests/run.sh installs it into .tools/). The first
//! request to each function waits for `cargo run` to build it if needed.

use std::time::Duration;

use integration_tests::auth::store::{UserAdmin, create_tables};
use integration_tests::{
    ALICE_PASSWORD, BOB_PASSWORD, Guarded, SIGNING_KEY, client_for, free_port, fresh_tables,
    moto_endpoint, password_hash, tool, wait_for_port, workspace,
};
use serde_json::{Value, json};

struct Http {
    agent: ureq::Agent,
    base: String,
}

struct Reply {
    status: u16,
    body: String,
    cookies: Vec<String>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            let (n, rest) = c.split_once('=')?;
            (n == name).then(|| rest.split(';').next().unwrap_or("").to_owned())
        })
    }
}

impl Http {
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let result = match body {
            Some(b) => self.agent.run(
                builder
                    .header("content-type", "application/json")
                    .body(b.to_string())
                    .expect("request"),
            ),
            None => self.agent.run(builder.body(()).expect("request")),
        };
        let mut resp = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let cookies = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .collect();
        Reply {
            status: resp.status().as_u16(),
            body: resp.body_mut().read_to_string().unwrap_or_default(),
            cookies,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn session_and_token_flows_over_http() {
    // Tables and users on moto.
    let endpoint = moto_endpoint();
    let tables = fresh_tables();
    let client = client_for(&endpoint).await;
    create_tables(&client, &tables).await.expect("tables");
    let store = integration_tests::auth::store::DynamoStore::new(client, tables.clone());
    store
        .create_user("alice", &password_hash(ALICE_PASSWORD))
        .await
        .unwrap();
    store
        .create_user("bob", &password_hash(BOB_PASSWORD))
        .await
        .unwrap();

    // The API through cargo lambda watch.
    let port = free_port();
    let log = std::env::temp_dir().join(format!("auth-e2e-watch-{port}.log"));
    let envs = [
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.clone()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("SIGNING_KEY", SIGNING_KEY.into()),
        ("USERS_TABLE", tables.users.clone()),
        ("SESSIONS_TABLE", tables.sessions.clone()),
        ("BLACKLIST_TABLE", tables.blacklist.clone()),
        ("THROTTLE_TABLE", tables.throttle.clone()),
    ];
    let manifest = workspace().join("Cargo.toml");
    let _watch = Guarded::spawn(
        &tool("cargo-lambda"),
        &[
            "lambda",
            "watch",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "--disable-cors",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ],
        &envs,
        log.to_str().unwrap(),
    );
    assert!(
        wait_for_port(port, Duration::from_secs(60)),
        "cargo lambda watch did not listen on {port}; log: {}",
        log.display()
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let http = Http {
        agent,
        base: format!("http://127.0.0.1:{port}/api/v1/users"),
    };

    tokio::task::spawn_blocking(move || flows(&http))
        .await
        .expect("flows");
}

fn flows(http: &Http) {
    // Session: login -> info -> logout with CSRF.
    let r = http.send(
        "POST",
        "/login",
        &[],
        Some(&json!({"username":"alice","password":ALICE_PASSWORD})),
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"message":"success"}"#)
    );
    let session = r.cookie("sessionid").expect("sessionid cookie");
    let csrf = r.cookie("csrftoken").expect("csrftoken cookie");
    let cookie = format!("sessionid={session}; csrftoken={csrf}");

    let r = http.send("GET", "/login/jwt/info", &[("cookie", &cookie)], None);
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"id":1,"username":"alice"}"#)
    );

    let r = http.send("POST", "/logout", &[("cookie", &cookie)], None);
    assert_eq!(
        (r.status, r.body.as_str()),
        (403, r#"{"detail":"CSRF Failed: CSRF token missing."}"#)
    );
    let r = http.send(
        "POST",
        "/logout",
        &[
            ("cookie", &cookie),
            ("x-csrftoken", &csrf),
            ("origin", &http.base[..http.base.find("/api").unwrap()]),
        ],
        None,
    );
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    assert_eq!(r.cookie("sessionid").as_deref(), Some(r#""""#));
    let r = http.send("GET", "/login/jwt/info", &[("cookie", &cookie)], None);
    assert_eq!(r.status, 401);

    // Tokens: obtain -> info with Bearer -> refresh -> verify -> blacklist -> refresh fails.
    let r = http.send(
        "POST",
        "/login/simpleJWT",
        &[],
        Some(&json!({"username":"bob","password":BOB_PASSWORD})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let pair = r.json();
    let (refresh, access) = (
        pair["refresh"].as_str().unwrap(),
        pair["access"].as_str().unwrap(),
    );
    let bearer = format!("Bearer {access}");
    let r = http.send(
        "GET",
        "/login/jwt/info",
        &[("authorization", &bearer)],
        None,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"id":2,"username":"bob"}"#)
    );

    let r = http.send(
        "POST",
        "/login/simpleJWT/refresh",
        &[],
        Some(&json!({ "refresh": refresh })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let new_access = r.json()["access"].as_str().unwrap().to_owned();

    let r = http.send(
        "POST",
        "/login/simpleJWT/verify",
        &[],
        Some(&json!({ "token": new_access })),
    );
    assert_eq!((r.status, r.body.as_str()), (200, "{}"));

    let r = http.send(
        "POST",
        "/login/simpleJWT/blacklist",
        &[],
        Some(&json!({ "refresh": refresh })),
    );
    assert_eq!((r.status, r.body.as_str()), (200, "{}"));

    let r = http.send(
        "POST",
        "/login/simpleJWT/refresh",
        &[],
        Some(&json!({ "refresh": refresh })),
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            401,
            r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#
        )
    );

    // The tutorial's JWT login and its header.
    let r = http.send(
        "POST",
        "/login/jwt",
        &[],
        Some(&json!({"username":"alice","password":ALICE_PASSWORD})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let r = http.send("GET", "/login/jwt/info", &[("jwt-auth", &token)], None);
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"id":1,"username":"alice"}"#)
    );

    // Methods reach the functions: 405 with Allow.
    let r = http.send("GET", "/login", &[], None);
    assert_eq!(
        (r.status, r.body.as_str()),
        (405, r#"{"detail":"Method \"GET\" not allowed."}"#)
    );
}
