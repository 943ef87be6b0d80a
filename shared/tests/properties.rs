//! Property tests over the crate's public API: arbitrary input never panics
//! and never authenticates.
//!
//! * token decoding (`jwt::JwtBackend::decode`, `tokens::decode_simplejwt`,
//!   `tokens::decode_tutorial`) on arbitrary strings, JWT-shaped garbage,
//!   arbitrary signed claims, and random mutations of valid tokens;
//! * `authn::decode_basic` on arbitrary bytes;
//! * `csrf::check` against an independent model of Django's rules;
//! * the `login` and `token-verify` handlers on a `MemoryStore` app with
//!   arbitrary bodies, content types and credentials: never 5xx, never 200.
//!
//! Failures are not persisted to files (`failure_persistence: None`): a
//! failing case is printed with its seed and minimal input instead.

use std::sync::LazyLock;

use auth::App;
use auth::base::jwt::{JwtBackend, key_id};
use auth::base::time::now;
use auth::credentials::tokens::{TokenType, Tokens, decode_simplejwt, decode_tutorial, py_int};
use auth::lambda_http::{Body, Request, Response};
use auth::policy::csrf::{self, CsrfRequest};
use auth::secrecy::SecretString;
use auth::settings::Settings;
use auth::store::User;
use auth::store::{MemoryStore, UserAdmin};
use auth::web::authn::decode_basic;
use auth::web::serve;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

const KEY: &str = "property-test-signing-key-0123456789abcdef";
const OTHER_KEY: &str = "another-signing-key-for-the-properties-0123";
const PASSWORD: &str = "correct horse battery staple";
const HOST: &str = "127.0.0.1:9000";

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

static BACKEND: LazyLock<JwtBackend> = LazyLock::new(|| JwtBackend::new(&[KEY.as_bytes()]));

/// Valid tokens of every style, issued now with a long life.
struct Valid {
    access: String,
    refresh: String,
    tutorial: String,
}

static VALID: LazyLock<Valid> = LazyLock::new(|| {
    let n = now();
    let day = "86400".to_owned();
    let settings = Settings::from_lookup(|name| match name {
        "SIGNING_KEY" => Some(KEY.to_owned()),
        "ACCESS_TOKEN_LIFETIME" | "REFRESH_TOKEN_LIFETIME" | "JWT_LOGIN_TOKEN_LIFETIME" => {
            Some(day.clone())
        }
        _ => None,
    })
    .expect("settings");
    let tokens = Tokens::new(
        JwtBackend::new(&[KEY.as_bytes()]),
        settings.tokens,
        &[KEY.as_bytes()],
    );
    let alice = User {
        id: 1,
        username: "alice".into(),
        password: String::new(),
        is_active: true,
        generation: 0,
        email: String::new(),
        email_verified: false,
        first_name: String::new(),
        last_name: String::new(),
        mfa: Default::default(),
        passkeys: Vec::new(),
        consents: Vec::new(),
    };
    let pair = tokens.pair_for(&alice, n, "192.0.2.1");
    let tutorial = tokens.tutorial_for(&alice, n);
    // the properties below are only meaningful if the originals pass
    assert!(decode_simplejwt(&BACKEND, &pair.access, Some(TokenType::Access), n).is_ok());
    assert!(decode_simplejwt(&BACKEND, &pair.refresh, Some(TokenType::Refresh), n).is_ok());
    assert!(decode_tutorial(&BACKEND, &tutorial, n).is_ok());
    Valid {
        access: pair.access,
        refresh: pair.refresh,
        tutorial,
    }
});

/// Every way a token can be accepted.
fn accepted_anywhere(token: &str) -> bool {
    let n = now();
    BACKEND.decode(token).is_ok()
        || decode_simplejwt(&BACKEND, token, None, n).is_ok()
        || decode_simplejwt(&BACKEND, token, Some(TokenType::Access), n).is_ok()
        || decode_simplejwt(&BACKEND, token, Some(TokenType::Refresh), n).is_ok()
        || decode_tutorial(&BACKEND, token, n).is_ok()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

// ---------------------------------------------------------------------------
// Strategies

/// Arbitrary JSON values, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        "[0-9]{1,25}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A claim value that exercises the claim checks: times around now, huge,
/// negative, fractional, textual, or any JSON at all.
fn claim_value() -> impl Strategy<Value = Value> {
    let n = now();
    prop_oneof![
        (-1000i64..1000).prop_map(move |d| json!(n + d)),
        (-1000i64..1000).prop_map(move |d| json!((n + d).to_string())),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[ +-]?[0-9_]{0,25} ?".prop_map(Value::String),
        json_value(),
    ]
}

/// Claims objects with any subset of the registered and custom claims.
fn claims() -> impl Strategy<Value = Value> {
    let names = [
        "exp",
        "iat",
        "nbf",
        "jti",
        "sub",
        "token_type",
        "user_id",
        "id",
        "gen",
        "fam",
    ];
    prop::collection::vec(
        (
            prop::sample::select(names.to_vec()),
            prop_oneof![
                claim_value(),
                prop::sample::select(vec!["access", "refresh", "x"]).prop_map(|s| json!(s)),
                "[0-9a-f]{32}".prop_map(Value::String),
            ],
        ),
        0..10,
    )
    .prop_map(|pairs| {
        let mut map = Map::new();
        for (k, v) in pairs {
            map.insert(k.to_owned(), v);
        }
        Value::Object(map)
    })
}

/// A JWT header with any algorithm, any `kid`, any extra.
fn header() -> impl Strategy<Value = Value> {
    let kid = key_id(KEY.as_bytes());
    (
        prop_oneof![
            prop::sample::select(vec![
                "HS256", "HS384", "HS512", "RS256", "ES256", "PS256", "EdDSA", "none", "None",
                "NONE", "hs256", "",
            ])
            .prop_map(|a| json!(a)),
            json_value(),
        ],
        prop_oneof![
            Just(None),
            Just(Some(json!(kid))),
            "[0-9a-f]{16}".prop_map(|k| Some(json!(k))),
            json_value().prop_map(Some),
        ],
        any::<bool>(),
    )
        .prop_map(|(alg, kid, typ)| {
            let mut h = Map::new();
            h.insert("alg".into(), alg);
            if let Some(kid) = kid {
                h.insert("kid".into(), kid);
            }
            if typ {
                h.insert("typ".into(), json!("JWT"));
            }
            Value::Object(h)
        })
}

/// One edit of a token.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(Index, char),
    Insert(Index, char),
    Delete(Index),
    Truncate(Index),
    FlipBit(Index, u8),
    /// Replace a part (0 header, 1 payload, 2 signature) by that part of
    /// another valid token.
    Transplant(usize, usize),
    /// Swap two parts.
    Swap(usize, usize),
    /// Repeat a slice in place.
    Repeat(Index, Index),
}

fn token_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                .chars()
                .collect::<Vec<_>>()
        ),
        1 => prop::sample::select(vec!['.', '=', '+', '/', ' ', '\t', '\0', '%']),
        1 => any::<char>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), token_char()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<Index>(), token_char()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<Index>().prop_map(Mutation::Delete),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (0usize..3, 0usize..3).prop_map(|(p, t)| Mutation::Transplant(p, t)),
        (0usize..3, 0usize..3).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, n)| Mutation::Repeat(i, n)),
    ]
}

fn others(which: usize) -> &'static str {
    match which % 3 {
        0 => &VALID.access,
        1 => &VALID.refresh,
        _ => &VALID.tutorial,
    }
}

/// Applies one edit; works on bytes and reads the result as lossy UTF-8 (the
/// handlers read header bytes the same way).
fn apply(token: &str, m: &Mutation) -> String {
    let mut bytes = token.as_bytes().to_vec();
    match m {
        Mutation::Replace(i, c) if !bytes.is_empty() => {
            let at = i.index(bytes.len());
            let mut buf = [0; 4];
            bytes.splice(at..=at, c.encode_utf8(&mut buf).bytes());
        }
        Mutation::Insert(i, c) => {
            let at = i.index(bytes.len() + 1);
            let mut buf = [0; 4];
            bytes.splice(at..at, c.encode_utf8(&mut buf).bytes());
        }
        Mutation::Delete(i) if !bytes.is_empty() => {
            bytes.remove(i.index(bytes.len()));
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len() + 1)),
        Mutation::FlipBit(i, bit) if !bytes.is_empty() => {
            let at = i.index(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        Mutation::Transplant(part, from) => {
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            let donor: Vec<&str> = others(*from).split('.').collect();
            if let (Some(slot), Some(new)) = (parts.get_mut(*part), donor.get(*part)) {
                *slot = (*new).to_owned();
            }
            return parts.join(".");
        }
        Mutation::Swap(a, b) => {
            let mut parts: Vec<&str> = token.split('.').collect();
            if *a < parts.len() && *b < parts.len() {
                parts.swap(*a, *b);
            }
            return parts.join(".");
        }
        Mutation::Repeat(i, n) if !bytes.is_empty() => {
            let at = i.index(bytes.len());
            let len = n.index(bytes.len() - at) + 1;
            let slice = bytes[at..at + len].to_vec();
            bytes.splice(at..at, slice);
        }
        _ => {}
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether `s` is one of the valid tokens (a mutation can turn one valid
/// token into another, e.g. by transplanting both payload and signature).
fn is_valid_token(s: &str) -> bool {
    [&VALID.access, &VALID.refresh, &VALID.tutorial]
        .iter()
        .any(|t| t.as_str() == s)
}

fn mutated_token() -> impl Strategy<Value = (String, String)> {
    (0usize..3, prop::collection::vec(mutation(), 1..4)).prop_map(|(which, ms)| {
        let original = others(which).to_owned();
        let mutated = ms.iter().fold(original.clone(), |t, m| apply(&t, m));
        (original, mutated)
    })
}

// ---------------------------------------------------------------------------
// Tokens

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn arbitrary_strings_never_decode(s in prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_=.-]{0,300}",
        "[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,120}\\.[A-Za-z0-9_-]{0,60}",
        "(eyJ[A-Za-z0-9_-]{0,40}\\.){1,4}[A-Za-z0-9_-]{0,60}",
    ]) {
        prop_assert!(!accepted_anywhere(&s), "{s:?}");
    }

    #[test]
    fn jwt_shaped_garbage_never_decodes(
        header in header(),
        payload in prop_oneof![claims(), json_value()],
        signature in prop::collection::vec(any::<u8>(), 0..70),
        raw_header in any::<bool>(),
    ) {
        let head = if raw_header { header.to_string() } else { b64(header.to_string().as_bytes()) };
        let token = format!("{head}.{}.{}", b64(payload.to_string().as_bytes()), b64(&signature));
        prop_assert!(!accepted_anywhere(&token), "{token}");
    }


    #[test]
    fn tokens_signed_with_another_key_never_decode(claims in claims()) {
        let token = JwtBackend::new(&[OTHER_KEY.as_bytes()]).sign(&claims);
        prop_assert!(!accepted_anywhere(&token), "{claims}");
    }

    /// Signed claims of any shape: the claim checks never panic, and what
    /// they accept obeys the rules.
    #[test]
    fn signed_claims_are_checked_without_panicking(claims in claims()) {
        let token = BACKEND.sign(&claims);
        let n = now();
        let map = claims.as_object().unwrap();
        // (the signature always checks; jsonwebtoken itself refuses some
        // claim shapes, e.g. `exp: [null]`, as Malformed: a refusal is fine)
        let _ = BACKEND.decode(&token);
        for expected in [None, Some(TokenType::Access), Some(TokenType::Refresh)] {
            if let Ok(valid) = decode_simplejwt(&BACKEND, &token, expected, n) {
                let exp = map.get("exp").and_then(py_int);
                prop_assert!(exp.is_some_and(|e| e > n), "exp {:?}", map.get("exp"));
                prop_assert!(map.get("jti").is_some_and(Value::is_string));
                if let Some(t) = expected {
                    prop_assert_eq!(valid.token_type(), Some(t.as_str()));
                }
                for time in ["iat", "nbf"] {
                    if let Some(v) = map.get(time) {
                        prop_assert!(py_int(v).is_some_and(|t| t <= n), "{time} {v}");
                    }
                }
            }
        }
        if let Ok(t) = decode_tutorial(&BACKEND, &token, n) {
            prop_assert!(t.user_id >= 1 && t.user_id <= i64::MAX as u64);
            prop_assert!(map.get("exp").and_then(py_int).is_some_and(|e| e > n));
        }
    }
}

proptest! {
    // The central property, and cheap: many cases.
    #![proptest_config(config(10_000))]

    #[test]
    fn mutated_tokens_never_decode((original, mutated) in mutated_token()) {
        if is_valid_token(&mutated) {
            // a no-op, or another valid token in full
            prop_assert!(BACKEND.decode(&mutated).is_ok());
        } else {
            prop_assert!(!accepted_anywhere(&mutated), "{original} -> {mutated}");
        }
    }
}

// ---------------------------------------------------------------------------
// Basic credentials

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn basic_decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Some((user, _)) = decode_basic(&bytes) {
            prop_assert!(!user.contains(':'));
        }
    }

    #[test]
    fn basic_decoding_round_trips(user in "[^:]{0,40}", password in ".{0,40}") {
        let encoded = STANDARD.encode(format!("{user}:{password}"));
        prop_assert_eq!(decode_basic(encoded.as_bytes()), Some((user, password)));
    }

    /// As Python's non-validating `b64decode`: bytes outside the alphabet
    /// are skipped wherever they are.
    #[test]
    fn basic_decoding_skips_junk(
        credentials in prop::collection::vec(any::<u8>(), 0..60),
        junk in prop::collection::vec((any::<Index>(), prop::sample::select(
            b"!#$%&*-_.,;~ \t\"'()[]{}<>?@^`|\\".to_vec())), 0..8),
    ) {
        let clean = STANDARD.encode(&credentials).into_bytes();
        let mut dirty = clean.clone();
        for (at, byte) in junk {
            dirty.insert(at.index(dirty.len() + 1), byte);
        }
        prop_assert_eq!(decode_basic(&dirty), decode_basic(&clean));
    }
}

// ---------------------------------------------------------------------------
// CSRF

const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Django's `_mask_cipher_secret` with a given mask.
fn mask_with(secret: &str, mask: &str) -> String {
    let pos = |c: u8| CHARS.iter().position(|x| *x == c).unwrap();
    let cipher: String = secret
        .bytes()
        .zip(mask.bytes())
        .map(|(s, m)| CHARS[(pos(s) + pos(m)) % CHARS.len()] as char)
        .collect();
    format!("{mask}{cipher}")
}

/// The secret a well-formed token or cookie stands for (Django's
/// `_check_token_format` then `_unmask_cipher_token`).
fn secret_of(token: &str) -> Option<String> {
    let ok = (token.len() == 32 || token.len() == 64)
        && token.bytes().all(|b| b.is_ascii_alphanumeric());
    if !ok {
        return None;
    }
    if token.len() == 32 {
        return Some(token.to_owned());
    }
    let (mask, cipher) = token.as_bytes().split_at(32);
    let pos = |c: u8| CHARS.iter().position(|x| *x == c).unwrap() as isize;
    Some(
        cipher
            .iter()
            .zip(mask)
            .map(|(c, m)| CHARS[(pos(*c) - pos(*m)).rem_euclid(62) as usize] as char)
            .collect(),
    )
}

/// The netloc of `scheme://netloc/...`.
fn netloc(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((scheme, &rest[..end]))
}

#[derive(Debug, Clone)]
struct CsrfInput {
    is_post: bool,
    origin: Option<String>,
    referer: Option<String>,
    is_secure: bool,
    cookie: Option<String>,
    form_token: Option<String>,
    header_token: Option<String>,
}

/// A token for `secret`: itself, masked, of another secret, or junk.
fn token_for(secret: String) -> impl Strategy<Value = Option<String>> {
    let s1 = secret.clone();
    let s2 = secret.clone();
    let s3 = secret;
    prop_oneof![
        Just(None),
        Just(Some(s1)),
        "[a-zA-Z0-9]{32}".prop_map(move |m| Some(mask_with(&s2, &m))),
        "[a-zA-Z0-9]{32}".prop_map(Some),
        "[a-zA-Z0-9]{64}".prop_map(Some),
        // one character of the right masked token changed
        (
            "[a-zA-Z0-9]{32}",
            any::<Index>(),
            prop::sample::select(CHARS.to_vec())
        )
            .prop_map(move |(m, i, c)| {
                let mut t = mask_with(&s3, &m).into_bytes();
                let at = i.index(64);
                t[at] = c;
                Some(String::from_utf8(t).unwrap())
            }),
        ".{0,70}".prop_map(Some),
    ]
}

fn url_like() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(format!("http://{HOST}"))),
        Just(Some(format!("https://{HOST}"))),
        Just(Some(format!("https://{HOST}/page?x=1"))),
        Just(Some("https://app.example.com".to_owned())),
        Just(Some("https://x.example.org".to_owned())),
        Just(Some("https://example.org".to_owned())),
        Just(Some("https://evilexample.org".to_owned())),
        Just(Some("null".to_owned())),
        "(https?|HTTPS|ftp)://[a-z0-9.:@#/?-]{0,30}".prop_map(Some),
        ".{0,40}".prop_map(Some),
    ]
}

fn csrf_input() -> impl Strategy<Value = CsrfInput> {
    "[a-zA-Z0-9]{32}".prop_flat_map(|secret| {
        (
            any::<bool>(),
            url_like(),
            url_like(),
            any::<bool>(),
            prop_oneof![
                3 => token_for(secret.clone()),
                1 => Just(Some(secret.clone())),
            ],
            prop_oneof![3 => Just(None), 1 => token_for(secret.clone())],
            token_for(secret),
        )
            .prop_map(
                |(is_post, origin, referer, is_secure, cookie, form_token, header_token)| {
                    CsrfInput {
                        is_post,
                        origin,
                        referer,
                        is_secure,
                        cookie,
                        form_token,
                        header_token,
                    }
                },
            )
    })
}

fn run_check(i: &CsrfInput, trusted: &[String]) -> bool {
    let req = CsrfRequest {
        is_post: i.is_post,
        origin: i.origin.as_deref(),
        referer: i.referer.as_deref(),
        host: Some(HOST),
        is_secure: i.is_secure,
        cookie: i.cookie.as_deref(),
        form_token: i.form_token.as_deref(),
        header_token: i.header_token.as_deref(),
    };
    csrf::check(&req, trusted).is_ok()
}

/// Whether the submitted token unmasks to the cookie's secret.
fn tokens_match(i: &CsrfInput) -> bool {
    let Some(secret) = i.cookie.as_deref().and_then(secret_of) else {
        return false;
    };
    let token = match i
        .form_token
        .as_deref()
        .filter(|t| i.is_post && !t.is_empty())
    {
        Some(t) => t,
        None => match i.header_token.as_deref() {
            Some(t) => t,
            None => return false,
        },
    };
    secret_of(token).is_some_and(|t| t == secret)
}

proptest! {
    #![proptest_config(config(2000))]

    /// With no trusted origins, the check passes exactly when Django's would:
    /// the origin is absent or the host's own, an HTTPS request without
    /// origin has an https Referer of the host, and the token unmasks to the
    /// cookie's secret.
    #[test]
    fn csrf_passes_exactly_when_django_would(i in csrf_input()) {
        let scheme = if i.is_secure { "https" } else { "http" };
        let origin_ok = match &i.origin {
            Some(o) => *o == format!("{scheme}://{HOST}"),
            None => !i.is_secure
                || i.referer.as_deref().and_then(netloc).is_some_and(|(s, n)| s == "https" && n == HOST),
        };
        let expected = origin_ok && tokens_match(&i);
        prop_assert_eq!(run_check(&i, &[]), expected, "{:?}", i);
    }

    /// With trusted origins, a pass still needs the matching token and an
    /// origin that is the host's own or trusted.
    #[test]
    fn csrf_never_passes_without_the_secret(i in csrf_input()) {
        let trusted = vec![
            "https://app.example.com".to_owned(),
            "https://*.example.org".to_owned(),
        ];
        if run_check(&i, &trusted) {
            prop_assert!(tokens_match(&i), "{:?}", i);
            if let Some(o) = &i.origin {
                let scheme = if i.is_secure { "https" } else { "http" };
                let trusted_origin = *o == format!("{scheme}://{HOST}")
                    || o == "https://app.example.com"
                    || netloc(o).is_some_and(|(s, n)| {
                        s == "https" && (n == "example.org" || n.ends_with(".example.org"))
                    });
                prop_assert!(trusted_origin, "{:?}", i);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Handlers on a MemoryStore app

/// An app on a memory store with alice (id 1); `throttle` false raises the
/// throttle's limits out of the way.
fn memory_app(throttle: bool) -> App<MemoryStore> {
    let mut settings = Settings::with_signing_key(KEY).expect("settings");
    if !throttle {
        settings.throttle.username_address_limit = u64::MAX / 2;
        settings.throttle.username_limit = u64::MAX / 2;
        settings.throttle.ip_limit = u64::MAX / 2;
    }
    let hash = auth::credentials::password::hash_password_blocking(&SecretString::from(
        PASSWORD.to_owned(),
    ))
    .expect("hash");
    let store = MemoryStore::new();
    let app = App::new(settings, store);
    runtime()
        .block_on(app.store.create_user("alice", &hash))
        .expect("alice");
    app
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// An API Gateway v2 event (the body base64-encoded, as API Gateway sends
/// binary bodies), parsed as the functions receive it.
fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
    let mut h = Map::new();
    h.insert("host".into(), json!(HOST));
    for (k, v) in headers {
        h.insert(k.to_ascii_lowercase(), json!(v));
    }
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": h,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "127.0.0.1",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "proptest"
            },
            "requestId": "proptest",
            "routeKey": "$default",
            "stage": "$default",
            "time": "26/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1_795_651_200_000_i64
        },
        "body": STANDARD.encode(body),
        "isBase64Encoded": true
    });
    auth::lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event")
}

fn status(resp: &Response<Body>) -> u16 {
    resp.status().as_u16()
}

fn content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("application/json".to_owned()),
        Just("application/x-www-form-urlencoded".to_owned()),
        Just("application/json; charset=utf-16".to_owned()),
        Just("multipart/form-data; boundary=x".to_owned()),
        Just("*/*".to_owned()),
        Just(String::new()),
        "[ -~]{0,40}",
    ]
}

/// Bodies: arbitrary bytes, arbitrary JSON, objects with the fields the
/// endpoints read (of any JSON type), or forms.
fn body(fields: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let field = prop::sample::select(fields.to_vec());
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec((field.clone(), json_value()), 0..4).prop_map(|kv| {
            let map: Map<String, Value> = kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            Value::Object(map).to_string().into_bytes()
        }),
        prop::collection::vec((field, ".{0,20}"), 0..4).prop_map(|kv| {
            kv.iter()
                .map(|(k, v)| {
                    let v: String = url_encode(v);
                    format!("{k}={v}")
                })
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes()
        }),
    ]
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Printable header values (what an HTTP header can carry).
fn header_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        1 => "[ -~]{0,80}".prop_map(Some),
        1 => "(Basic|Bearer|Token|basic) [ -~]{0,60}".prop_map(Some),
    ]
}

static LOGIN_APP: LazyLock<App<MemoryStore>> = LazyLock::new(|| memory_app(true));
static OPEN_LOGIN_APP: LazyLock<App<MemoryStore>> = LazyLock::new(|| memory_app(false));
static VERIFY_APP: LazyLock<App<MemoryStore>> = LazyLock::new(|| memory_app(true));

proptest! {
    #![proptest_config(config(1000))]

    /// Anything at all sent to login: never 5xx, never 200 (default throttle:
    /// most password checks soon become 429s, which is fine here).
    #[test]
    fn login_never_succeeds_on_arbitrary_requests(
        method in prop::sample::select(vec!["POST", "POST", "POST", "GET", "PUT", "OPTIONS"]),
        ct in content_type(),
        body in body(&["username", "password", "csrfmiddlewaretoken"]),
        authorization in header_value(),
        cookie in header_value(),
        jwt_auth in header_value(),
    ) {
        let mut headers = vec![("content-type", ct.as_str())];
        for (name, value) in [("authorization", &authorization), ("cookie", &cookie), ("jwt-auth", &jwt_auth)] {
            if let Some(v) = value {
                headers.push((name, v.as_str()));
            }
        }
        let app: &App<MemoryStore> = &LOGIN_APP;
        let req = request(method, "/api/v1/users/login", &headers, &body);
        let resp = runtime().block_on(serve(&login::VIEW, app, req, login::handler));
        let s = status(&resp);
        prop_assert!(s < 500, "{s}");
        // OPTIONS answers 200 with the view's metadata; nothing else may
        if method != "OPTIONS" {
            prop_assert_ne!(s, 200);
        }
        prop_assert_eq!(app.store.session_count(), 0, "a session was created");
    }

}

proptest! {
    #![proptest_config(config(2000))]

    /// Anything sent to verify, including mutated valid tokens: never 5xx,
    /// never 200.
    #[test]
    fn verify_never_accepts_arbitrary_or_mutated_tokens(
        (ct, body) in prop_oneof![
            (content_type(), body(&["token"])),
            mutated_token().prop_map(|(_, mutated)| {
                // a mutation that gives back a valid token would verify
                let token = if is_valid_token(mutated.trim()) { format!("{mutated}x") } else { mutated };
                ("application/json".to_owned(), json!({ "token": token }).to_string().into_bytes())
            }),
            mutated_token().prop_map(|(_, mutated)| {
                // (the field is trimmed, as DRF's CharField does: a token
                // with a space added at an end is still the valid token)
                let token = if is_valid_token(mutated.trim()) { format!("x{mutated}") } else { mutated };
                (
                    "application/x-www-form-urlencoded".to_owned(),
                    format!("token={}", url_encode(&token)).into_bytes(),
                )
            }),
        ],
    ) {
        let app: &App<MemoryStore> = &VERIFY_APP;
        let req = request("POST", "/api/v1/users/login/simpleJWT/verify", &[("content-type", ct.as_str())], &body);
        let resp = runtime().block_on(serve(&token_verify::VIEW, app, req, token_verify::handler));
        let s = status(&resp);
        prop_assert!(s < 500 && s != 200, "{s} for {:?}", String::from_utf8_lossy(&body));
    }
}

proptest! {
    // Each case checks a password (Argon2, ~30 ms): few cases.
    #![proptest_config(config(64))]

    /// Well-formed credentials that are wrong: 403 (or 400), never 200,
    /// with the throttle out of the way so every case reaches the hash.
    #[test]
    fn login_with_wrong_credentials_never_succeeds(
        username in prop_oneof![Just("alice".to_owned()), "[a-z]{1,8}", ".{1,20}"],
        password in prop_oneof![
            ".{1,40}",
            Just(format!("{PASSWORD} ")),
            Just(PASSWORD.to_uppercase()),
            Just(PASSWORD[..PASSWORD.len() - 1].to_owned()),
            Just(format!("{PASSWORD}\u{0}")),
        ],
        form in any::<bool>(),
    ) {
        prop_assume!(password != PASSWORD);
        let (ct, body) = if form {
            (
                "application/x-www-form-urlencoded",
                format!("username={}&password={}", url_encode(&username), url_encode(&password)),
            )
        } else {
            (
                "application/json",
                json!({"username": username, "password": password}).to_string(),
            )
        };
        let app: &App<MemoryStore> = &OPEN_LOGIN_APP;
        let req = request("POST", "/api/v1/users/login", &[("content-type", ct)], body.as_bytes());
        let resp = runtime().block_on(serve(&login::VIEW, app, req, login::handler));
        let s = status(&resp);
        prop_assert!(s == 403 || s == 400, "{s}");
        prop_assert_eq!(app.store.session_count(), 0);
    }
}

/// The right password does log in through the same path (so the property
/// above is not vacuous).
#[test]
fn the_right_password_logs_in() {
    let app = memory_app(false);
    let body = json!({"username": "alice", "password": PASSWORD}).to_string();
    let req = request(
        "POST",
        "/api/v1/users/login",
        &[("content-type", "application/json")],
        body.as_bytes(),
    );
    let resp = runtime().block_on(serve(&login::VIEW, &app, req, login::handler));
    assert_eq!(status(&resp), 200);
    let req = request(
        "POST",
        "/api/v1/users/login/simpleJWT/verify",
        &[("content-type", "application/json")],
        json!({ "token": VALID.access }).to_string().as_bytes(),
    );
    let resp = runtime().block_on(serve(&token_verify::VIEW, &app, req, token_verify::handler));
    assert_eq!(status(&resp), 200);
}
