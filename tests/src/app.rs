//! The app under test: its settings and key (the algorithm CI chooses),
//! its tables and users.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use auth::App;
use auth::base::jwt::{Alg, JwtBackend};
use auth::credentials::password::hash_password_blocking;
use auth::secrecy::SecretString;
use auth::settings::Settings;
use auth::store::{DynamoStore, User, UserAdmin};

use crate::moto::{Calls, counted_store};

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
