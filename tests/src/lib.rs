//! Test harness: a real DynamoDB-API server (moto) started on a free
//! loopback port, fresh tables per test, and helpers to build API Gateway
//! v2 events and read the functions' responses.
//!
//! `spawn_app()` gives each test its own tables, so tests run in parallel
//! without seeing each other's users, sessions or blacklisted tokens.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};

use auth::App;
use auth::base::jwt::{Alg, JwtBackend};
use auth::credentials::password::hash_password_blocking;
use auth::lambda_http::{Body, Request, Response};
use auth::secrecy::SecretString;
use auth::settings::{Settings, Tables};
use auth::store::{DynamoStore, User, UserAdmin, create_tables};
use base64::Engine;
use serde_json::{Value, json};

pub use auth;

pub mod faults;
pub mod iam;
pub mod lambda;
pub mod routes;
pub mod stack;
pub mod template;
pub mod totp;

pub use routes::{ROUTES, Route};

/// The HS256 signing key of the test apps (the default algorithm).
pub const SIGNING_KEY: &str = "test-signing-key-0123456789abcdef-0123456789";

/// The issuer, audience and scope of the test apps when they sign with a
/// private key (see [`test_algorithm`]).
pub const TEST_ISSUER: &str = "https://auth.example.test/api/v1/users";
pub const TEST_AUDIENCE: &str = "example-services";
pub const TEST_SCOPE: &str = "auth/access";

/// The algorithm the test apps sign with: `TEST_ALGORITHM` (`RS256`,
/// `ES256`, `EdDSA`), HS256 unless set. CI runs the contract suite again
/// with RS256 and with ES256; those apps also set `ISSUER`, `AUDIENCE` and
/// `ACCESS_TOKEN_SCOPE` (the `TEST_*` constants).
pub fn test_algorithm() -> Alg {
    static ALG: LazyLock<Alg> = LazyLock::new(|| match std::env::var("TEST_ALGORITHM") {
        Ok(name) => Alg::parse(&name).unwrap_or_else(|| panic!("TEST_ALGORITHM={name}?")),
        Err(_) => Alg::HS256,
    });
    *ALG
}

/// The test apps' signing key for [`test_algorithm`]: [`SIGNING_KEY`], or
/// a test-only PEM private key (`shared/tests/fixtures/keys/`).
pub fn test_key() -> &'static str {
    match test_algorithm() {
        Alg::HS256 => SIGNING_KEY,
        Alg::RS256 => include_str!("../../shared/tests/fixtures/keys/rsa.pem"),
        Alg::ES256 => include_str!("../../shared/tests/fixtures/keys/ec.pem"),
        Alg::EdDSA => include_str!("../../shared/tests/fixtures/keys/ed25519.pem"),
    }
}

/// The test apps' key ring, to sign crafted tokens as the apps do.
pub fn test_backend() -> &'static JwtBackend {
    static BACKEND: LazyLock<JwtBackend> = LazyLock::new(|| {
        JwtBackend::with_keys(test_algorithm(), &[test_key().as_bytes()]).expect("the test key")
    });
    &BACKEND
}

/// The claims the test apps add to access (`access`) or refresh tokens,
/// after simplejwt's: none with HS256, else scope (access only), aud, iss.
pub fn configured_claims(access: bool) -> Vec<(&'static str, &'static str)> {
    match test_algorithm() {
        Alg::HS256 => vec![],
        _ => [
            ("scope", TEST_SCOPE),
            ("aud", TEST_AUDIENCE),
            ("iss", TEST_ISSUER),
        ]
        .into_iter()
        .filter(|(name, _)| access || *name != "scope")
        .collect(),
    }
}
pub const ALICE_PASSWORD: &str = "correct horse battery staple";
pub const BOB_PASSWORD: &str = "hunter2-Secret!";

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// A tool from `.tools/bin` (the project virtualenv) or else `PATH`.
pub fn tool(name: &str) -> PathBuf {
    let local = workspace().join(".tools/bin").join(name);
    if local.exists() {
        local
    } else {
        PathBuf::from(name)
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A child process that ends when this test process ends, however it ends:
/// it runs under a shell that waits for EOF on a pipe only we hold.
pub struct Guarded {
    child: Child,
}

impl Guarded {
    pub fn spawn(
        program: &std::path::Path,
        args: &[&str],
        envs: &[(&str, String)],
        log: &str,
    ) -> Self {
        Self::spawn_clearing(program, args, envs, &[], log)
    }

    /// As [`Guarded::spawn`], without the inherited variables `clear`.
    pub fn spawn_clearing(
        program: &std::path::Path,
        args: &[&str],
        envs: &[(&str, String)],
        clear: &[&str],
        log: &str,
    ) -> Self {
        let script = r#"prog="$1"; shift; "$prog" "$@" & pid=$!; cat >/dev/null; kill "$pid" 2>/dev/null; sleep 0.5; kill -9 "$pid" 2>/dev/null; exit 0"#;
        let log = std::fs::File::create(log).expect("log file");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(script)
            .arg("guarded")
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        for k in clear {
            cmd.env_remove(k);
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        Guarded { child }
    }

    /// Stops the process now.
    pub fn stop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The moto server this test binary shares, started on first use, with
/// IAM enforced: its users are `template.yaml`'s functions and an admin
/// (`iam.rs`); requests must be signed by one of them.
pub fn moto_endpoint() -> String {
    static MOTO: OnceLock<(Mutex<Guarded>, String)> = OnceLock::new();
    MOTO.get_or_init(|| {
        let port = free_port();
        let port_s = port.to_string();
        // `tests/moto_server.py`: moto with DynamoDB's atomic writes.
        let script = workspace().join("tests/moto_server.py");
        let (program, mut args) = match std::env::var_os("MOTO_SERVER") {
            Some(program) => (PathBuf::from(program), vec![]),
            None => (tool("python3"), vec![script.to_str().unwrap_or_default()]),
        };
        args.extend(["-H", "127.0.0.1", "-p", &port_s]);
        let log = std::env::temp_dir().join(format!("auth-tests-moto-{port}.log"));
        let guard = Guarded::spawn(
            &program,
            &args,
            &[],
            log.to_str().unwrap_or("/tmp/moto.log"),
        );
        assert!(
            wait_for_port(port, Duration::from_secs(20)),
            "moto_server did not start on port {port}: install it with `bash tests/run.sh` \
             (or pip install 'moto[server]') or set MOTO_SERVER; log: {}",
            log.display()
        );
        let endpoint = format!("http://127.0.0.1:{port}");
        // IAM as deployed: every function signs as its own user.
        iam::provision(&endpoint);
        iam::enforce(&endpoint);
        (Mutex::new(guard), endpoint)
    })
    .1
    .clone()
}

/// Counts the DynamoDB requests a client sends, by operation (an SDK
/// interceptor reading each request's `X-Amz-Target`).
#[derive(Debug, Clone, Default)]
pub struct Calls(std::sync::Arc<Mutex<Vec<String>>>);

impl Calls {
    /// The operations sent since the last `take`, in order.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl aws_sdk_dynamodb::config::Intercept for Calls {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("?");
        let op = target.rsplit('.').next().unwrap_or(target).to_owned();
        self.0.lock().unwrap().push(op);
        Ok(())
    }
}

/// An SDK client for `endpoint`, signing as the function the task runs as
/// ([`iam::as_function`]), else as the admin.
pub async fn client_for(endpoint: &str) -> aws_sdk_dynamodb::Client {
    counted_client_for(endpoint, Calls::default()).await
}

/// As [`counted_client_for`] with roomier timeouts (same retry policy): for
/// tests about retries on a loaded machine, not about timing.
pub async fn patient_client_for(endpoint: &str, calls: Calls) -> aws_sdk_dynamodb::Client {
    let client = counted_client_for(endpoint, calls).await;
    let config = client
        .config()
        .to_builder()
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .operation_attempt_timeout(std::time::Duration::from_secs(10))
                .operation_timeout(std::time::Duration::from_secs(30))
                .build(),
        )
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// The functions' SDK configuration (timeouts, retries) for moto at
/// `endpoint`: credentials resolved for every request, as the function the
/// task runs as ([`iam::by_function`]).
pub async fn moto_config(endpoint: &str) -> aws_config::SdkConfig {
    auth::base::aws::bounded(aws_config::defaults(aws_config::BehaviorVersion::latest()))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(iam::by_function())
        .identity_cache(aws_config::identity::IdentityCache::no_cache())
        .endpoint_url(endpoint)
        .load()
        .await
}

/// As [`client_for`], counting its requests into `calls`.
pub async fn counted_client_for(endpoint: &str, calls: Calls) -> aws_sdk_dynamodb::Client {
    // The functions' own timeouts and retry policy.
    let config = moto_config(endpoint).await;
    // A retry partition of its own, as each Lambda process has: the SDK's
    // retry token bucket is process-wide per partition, so the tests' clients
    // sharing one would drain it for each other (the fault tests retry on
    // purpose) and a retry another test relies on would be refused.
    static CLIENTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CLIENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let config = aws_sdk_dynamodb::config::Builder::from(&config)
        .interceptor(calls)
        .interceptor(iam::Recorder)
        .retry_partition(aws_sdk_dynamodb::config::retry::RetryPartition::new(
            format!("tests-{n}"),
        ))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Fresh table names, unique to one test.
pub fn fresh_tables() -> Tables {
    let id = uuid::Uuid::new_v4().simple().to_string();
    Tables {
        users: format!("t{}-users", &id[..12]),
        sessions: format!("t{}-sessions", &id[..12]),
        blacklist: format!("t{}-blacklist", &id[..12]),
        throttle: format!("t{}-throttle", &id[..12]),
    }
}

/// A DynamoDB store on fresh tables of the shared moto server.
pub async fn fresh_store() -> DynamoStore {
    counted_store(Calls::default()).await
}

async fn counted_store(calls: Calls) -> DynamoStore {
    let tables = fresh_tables();
    let client = counted_client_for(&moto_endpoint(), calls).await;
    create_tables(&client, &tables)
        .await
        .expect("tables are created on moto");
    DynamoStore::new(client, tables)
}

/// Settings for tests: `vars`, then the test key and algorithm (with, for
/// a private key, the test issuer, audience and scope), then the defaults.
pub fn settings(vars: &[(&str, &str)]) -> Settings {
    let map: HashMap<&str, &str> = vars.iter().copied().collect();
    let asymmetric = test_algorithm().is_asymmetric() && !map.contains_key("ALGORITHM");
    Settings::from_lookup(|name| {
        if let Some(v) = map.get(name) {
            return Some(v.to_string());
        }
        match name {
            "SIGNING_KEY" => Some(test_key().to_owned()),
            "ALGORITHM" => Some(test_algorithm().name().to_owned()),
            "ISSUER" if asymmetric => Some(TEST_ISSUER.to_owned()),
            "AUDIENCE" if asymmetric => Some(TEST_AUDIENCE.to_owned()),
            "ACCESS_TOKEN_SCOPE" if asymmetric => Some(TEST_SCOPE.to_owned()),
            _ => None,
        }
    })
    .expect("valid test settings")
}

/// Argon2 hashes of the demo passwords, computed once per test binary.
pub fn password_hash(password: &str) -> String {
    static CACHE: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);
    if let Some(h) = CACHE.lock().unwrap().get(password) {
        return h.clone();
    }
    let hash = hash_password_blocking(&SecretString::from(password.to_owned())).expect("hash");
    CACHE
        .lock()
        .unwrap()
        .insert(password.to_owned(), hash.clone());
    hash
}

/// Creates each (username, password) in `store`, in order.
pub async fn create_users(store: &DynamoStore, users: &[(&str, &str)]) -> Vec<User> {
    let mut created = Vec::new();
    for (name, password) in users {
        let user = store
            .create_user(name, &password_hash(password))
            .await
            .unwrap_or_else(|e| panic!("user {name}: {e:?}"));
        created.push(user);
    }
    created
}

/// The number after a flag of a command line (`--flows 500`).
pub fn number_after(flag: &str, args: &mut impl Iterator<Item = String>) -> usize {
    args.next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{flag} N"))
}

/// The app under test, on its own tables.
pub struct TestApp {
    pub app: App<DynamoStore>,
    pub alice: User,
    pub bob: User,
    /// The DynamoDB requests the app sent since the last `calls.take()`.
    pub calls: Calls,
}

/// A test app with default settings and users alice (id 1) and bob (id 2).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Another app (other settings, e.g. other keys) on the same tables.
pub fn app_on(store: &DynamoStore, vars: &[(&str, &str)]) -> App<DynamoStore> {
    App::new(settings(vars), store.clone())
}

pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let calls = Calls::default();
    let store = counted_store(calls.clone()).await;
    let [alice, bob] = create_users(&store, &[("alice", ALICE_PASSWORD), ("bob", BOB_PASSWORD)])
        .await
        .try_into()
        .expect("two users");
    calls.take();
    TestApp {
        app: App::new(settings(vars), store),
        alice,
        bob,
        calls,
    }
}

// ---------------------------------------------------------------------------
// Requests

/// Builds an API Gateway HTTP API (payload 2.0) event, the shape the
/// functions receive from API Gateway and from `cargo lambda watch`.
#[derive(Clone, Debug)]
pub struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
    body: Option<Vec<u8>>,
    source_ip: String,
}

impl Req {
    pub fn new(method: &str, path: &str) -> Self {
        Req {
            method: method.to_owned(),
            path: path.to_owned(),
            headers: vec![("host".into(), "127.0.0.1:9000".into())],
            cookies: Vec::new(),
            body: None,
            source_ip: "127.0.0.1".into(),
        }
    }

    pub fn post(path: &str) -> Self {
        Self::new("POST", path)
    }

    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// The client address API Gateway reports (`requestContext.http.sourceIp`).
    pub fn source_ip(mut self, ip: &str) -> Self {
        self.source_ip = ip.to_owned();
        self
    }

    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        self.cookies.push(format!("{name}={value}"));
        self
    }

    /// A logged-in browser's cookies: `sessionid` and `csrftoken`.
    pub fn session(self, key: &str, csrf: &str) -> Self {
        self.cookie("sessionid", key).cookie("csrftoken", csrf)
    }

    /// As [`Req::session`], the CSRF token echoed in `X-CSRFToken` as a
    /// page's script sends it.
    pub fn session_with_csrf(self, key: &str, csrf: &str) -> Self {
        self.session(key, csrf).header("x-csrftoken", csrf)
    }

    /// A raw `Cookie` header (bypasses the event's cookies array).
    pub fn cookie_header(self, value: &str) -> Self {
        self.header("cookie", value)
    }

    pub fn json(self, value: &Value) -> Self {
        self.raw_body("application/json", value.to_string().as_bytes())
    }

    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        let body: String = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.raw_body("application/x-www-form-urlencoded", body.as_bytes())
    }

    pub fn raw_body(mut self, content_type: &str, body: &[u8]) -> Self {
        if !content_type.is_empty() {
            self.headers.retain(|(k, _)| k != "content-type");
            self.headers
                .push(("content-type".into(), content_type.into()));
        }
        self.body = Some(body.to_vec());
        self
    }

    pub fn basic(self, username: &str, password: &str) -> Self {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.header("authorization", &format!("Basic {encoded}"))
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// The event as JSON.
    pub fn event(&self) -> Value {
        let mut headers = serde_json::Map::new();
        for (k, v) in &self.headers {
            // API Gateway joins repeated headers with commas.
            let joined = match headers.get(k).and_then(Value::as_str) {
                Some(prev) => format!("{prev},{v}"),
                None => v.clone(),
            };
            headers.insert(k.clone(), Value::String(joined));
        }
        let (body, b64) = match &self.body {
            None => (Value::Null, false),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => (Value::String(text.to_owned()), false),
                Err(_) => (
                    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
                    true,
                ),
            },
        };
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "api",
                "domainName": "127.0.0.1",
                "domainPrefix": "api",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": self.source_ip,
                    "userAgent": "tests"
                },
                "requestId": "test",
                "routeKey": "$default",
                "stage": "$default",
                "time": "26/Nov/2026:00:00:00 +0000",
                "timeEpoch": 1_795_651_200_000_i64
            },
            "isBase64Encoded": b64
        });
        if !self.cookies.is_empty() {
            event["cookies"] = json!(self.cookies);
        }
        if !body.is_null() {
            event["body"] = body;
        }
        event
    }

    pub fn build(&self) -> Request {
        auth::lambda_http::request::from_str(&self.event().to_string())
            .expect("the event parses as an API Gateway v2 request")
    }
}

/// `application/x-www-form-urlencoded` encoding of one component.
pub fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Responses

/// A function's response, read back.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn from_response(resp: Response<Body>) -> Self {
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = match resp.body() {
            Body::Empty => String::new(),
            Body::Text(t) => t.clone(),
            Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers_named("set-cookie")
    }

    /// The value a `Set-Cookie` of this response gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        cookie_value(self.set_cookies(), name)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// Asserts status and exact body.
    #[track_caller]
    pub fn assert(&self, status: u16, body: &str) {
        assert_eq!(
            (self.status, self.body.as_str()),
            (status, body),
            "headers: {:?}",
            self.headers
        );
    }
}

/// The value the first of `set_cookies` naming `name` gives it.
pub fn cookie_value<'a>(
    set_cookies: impl IntoIterator<Item = &'a str>,
    name: &str,
) -> Option<String> {
    set_cookies.into_iter().find_map(|c| {
        let (n, rest) = c.split_once('=')?;
        (n == name).then(|| rest.split(';').next().unwrap_or("").to_owned())
    })
}

/// The claims of a JWT, decoded without checks (`None` if it has no
/// base64url JSON payload).
pub fn token_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Runs a built request through one function's pipeline and handler, as
/// that function ([`iam::as_function`]: its IAM user and statements).
#[macro_export]
macro_rules! call {
    ($function:ident, $app:expr, $req:expr) => {
        $crate::Resp::from_response(
            $crate::iam::as_function(
                ::$function::VIEW.name,
                $crate::auth::web::serve(
                    &::$function::VIEW,
                    &$app.app,
                    ($req).build(),
                    ::$function::handler,
                ),
            )
            .await,
        )
    };
}

/// Every item of the users, sessions and blacklist tables, in a stable
/// order: compare snapshots taken before and after a request to show it
/// changed nothing. (The throttle table is left out: counting a refused
/// password attempt is the one change a refused request must make.)
pub async fn snapshot(store: &DynamoStore) -> Vec<String> {
    let mut all = Vec::new();
    let tables = store.tables();
    for table in [&tables.users, &tables.sessions, &tables.blacklist] {
        let mut start = None;
        loop {
            let out = store
                .client()
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            for item in out.items() {
                let mut fields: Vec<String> =
                    item.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                fields.sort();
                all.push(format!("{table}: {}", fields.join(", ")));
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
    }
    all.sort();
    all
}
