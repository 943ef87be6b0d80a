//! Handler time per request, storage excluded: each endpoint's main path
//! through its real handler (a parsed API Gateway v2 request in, the
//! response out) with the in-memory store; turning the event JSON into a
//! request (lambda_http's work before the handler) is measured apart, plus token encoding/decoding alone and password
//! hashing alone (Argon2id m=19456 KiB, t=2, p=1).
//!
//!     cargo bench -p integration-tests --bench handlers
//!
//! See tests/BENCHMARKS.md for the numbers and the machine.

use std::hint::black_box;

use auth::App;
use auth::base::time::now;
use auth::credentials::password::{DUMMY_HASH, check_password, hash_password_blocking};
use auth::credentials::tokens::{TokenType, decode_simplejwt};
use auth::fixtures::Credentials;
use auth::lambda_http::Request;
use auth::secrecy::SecretString;
use auth::settings::Settings;
use auth::store::{MemoryStore, User, UserAdmin};
use auth::web::serve;
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use integration_tests::{ALICE_PASSWORD, Req};
use serde_json::json;
use tokio::runtime::Runtime;

const KEY: &str = "bench-signing-key-0123456789abcdef-0123456789";
const P: &str = "/api/v1/users/";

fn bench_app(vars: &[(&str, &str)]) -> (App<MemoryStore>, User, Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut settings = Settings::with_signing_key(KEY).unwrap();
    for (k, v) in vars {
        match *k {
            "ROTATE_REFRESH_TOKENS" => settings.tokens.rotate_refresh_tokens = *v == "true",
            _ => unreachable!(),
        }
    }
    // No throttling in a loop of logins from one address.
    settings.throttle.username_address_limit = u64::MAX;
    settings.throttle.username_limit = u64::MAX;
    settings.throttle.ip_limit = u64::MAX;
    // Nor of refreshes of one family (the count is still kept).
    settings.tokens.refresh_token_rate_limit = Some(u64::MAX);
    let store = MemoryStore::new();
    let hash = hash_password_blocking(&SecretString::from(ALICE_PASSWORD)).unwrap();
    let alice = rt.block_on(store.create_user("alice", &hash)).unwrap();
    (App::new(settings, store), alice, rt)
}

fn event(req: Req) -> Request {
    req.build()
}

/// `$krate`'s handler through its pipeline on `$app`: a request in, the
/// response's status out.
macro_rules! handler {
    ($rt:expr, $app:expr, $krate:ident) => {
        |r: Request| {
            $rt.block_on(serve(&$krate::VIEW, $app, r, $krate::handler))
                .status()
                .as_u16()
        }
    };
}

/// Times `handler` on a fresh event from `setup` per iteration (the setup
/// is not timed).
fn bench_handler(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    mut setup: impl FnMut() -> Request,
    mut handler: impl FnMut(Request) -> u16,
) {
    g.bench_function(name, |b| {
        b.iter_batched(&mut setup, &mut handler, BatchSize::SmallInput)
    });
}

/// A benchmark of a handler on one request: its name, the request, the handler.
type Fixed<'a> = (&'a str, Req, &'a dyn Fn(Request) -> u16);

/// Times each handler on its request, sent as it is each time.
fn bench_fixed(g: &mut BenchmarkGroup<'_, WallTime>, cases: Vec<Fixed<'_>>) {
    for (name, req, handler) in cases {
        bench_handler(g, name, || event(req.clone()), handler);
    }
}

fn handlers(c: &mut Criterion) {
    let (app, alice, rt) = bench_app(&[]);
    let minted = rt.block_on(Credentials::mint(&app, &alice)).unwrap();
    let session = minted.fill("{{SESSION_ID}}");
    let access = minted.fill("{{ACCESS_TOKEN}}");
    let refresh = minted.fill("{{REFRESH_TOKEN}}");
    let jwt = minted.fill("{{JWT_LOGIN_TOKEN}}");

    let mut g = c.benchmark_group("handler");
    let info = handler!(rt, &app, info);
    let info_path = format!("{P}login/jwt/info");
    let verify_path = format!("{P}login/simpleJWT/verify");
    let refresh_path = format!("{P}login/simpleJWT/refresh");
    let by_session = Req::get(&info_path).cookie("sessionid", &session);
    let status = info(event(by_session.clone()));
    assert!(status < 500, "{status}");
    let verify = handler!(rt, &app, token_verify);
    bench_fixed(
        &mut g,
        vec![
            ("info by session", by_session, &info),
            (
                "info by Bearer",
                Req::get(&info_path).bearer(&access),
                &info,
            ),
            (
                "info by jwt-auth",
                Req::get(&info_path).header("jwt-auth", &jwt),
                &info,
            ),
            ("info unauthenticated (401)", Req::get(&info_path), &info),
            (
                "verify access token",
                Req::post(&verify_path).json(&json!({ "token": access })),
                &verify,
            ),
            (
                "verify refresh token",
                Req::post(&verify_path).json(&json!({ "token": refresh })),
                &verify,
            ),
            (
                "refresh (no rotation)",
                Req::post(&refresh_path).json(&json!({ "refresh": refresh })),
                &handler!(rt, &app, token_refresh),
            ),
        ],
    );

    // Single-use tokens: each iteration gets a fresh one (not timed).
    let fresh_refresh = || app.tokens.pair_for(&alice, now(), "127.0.0.1").refresh;
    bench_handler(
        &mut g,
        "blacklist",
        || {
            event(
                Req::post(&format!("{P}login/simpleJWT/blacklist"))
                    .json(&json!({ "refresh": fresh_refresh() })),
            )
        },
        handler!(rt, &app, token_blacklist),
    );

    // Then logout, and the password-checking paths: dominated by one
    // Argon2id verification.
    let login_body = json!({"username":"alice","password":ALICE_PASSWORD});
    bench_fixed(
        &mut g,
        vec![
            (
                "logout by Bearer",
                Req::post(&format!("{P}logout")).bearer(&access),
                &handler!(rt, &app, logout),
            ),
            (
                "login (with Argon2id)",
                Req::post(&format!("{P}login")).json(&login_body),
                &handler!(rt, &app, login),
            ),
            (
                "obtain pair (with Argon2id)",
                Req::post(&format!("{P}login/simpleJWT")).json(&login_body),
                &handler!(rt, &app, token_obtain_pair),
            ),
        ],
    );
    g.finish();

    let (rot, alice, rt2) = bench_app(&[("ROTATE_REFRESH_TOKENS", "true")]);
    bench_handler(
        &mut c.benchmark_group("handler"),
        "refresh with rotation",
        || {
            let t = rot.tokens.pair_for(&alice, now(), "127.0.0.1").refresh;
            event(Req::post(&refresh_path).json(&json!({ "refresh": t })))
        },
        handler!(rt2, &rot, token_refresh),
    );
}

fn tokens(c: &mut Criterion) {
    let (app, alice, _) = bench_app(&[]);
    let backend = app.tokens.jwt();
    let pair = app.tokens.pair_for(&alice, now(), "127.0.0.1");
    let mut g = c.benchmark_group("tokens");
    g.bench_function("issue pair (sign 2 tokens)", |b| {
        b.iter(|| app.tokens.pair_for(black_box(&alice), now(), "127.0.0.1"))
    });
    g.bench_function("decode + check access token", |b| {
        b.iter(|| {
            decode_simplejwt(
                backend,
                black_box(&pair.access),
                Some(TokenType::Access),
                now(),
            )
            .unwrap()
        })
    });
    g.bench_function("build a request from an event", |b| {
        let req = Req::get("/api/v1/users/login/jwt/info").bearer(&pair.access);
        let text = req.event().to_string();
        b.iter(|| auth::lambda_http::request::from_str(black_box(&text)).unwrap())
    });
    g.finish();
}

fn passwords(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let hash = hash_password_blocking(&SecretString::from(ALICE_PASSWORD)).unwrap();
    let mut g = c.benchmark_group("argon2id m=19456 t=2 p=1");
    g.sample_size(20);
    g.bench_function("hash", |b| {
        b.iter(|| hash_password_blocking(&SecretString::from(ALICE_PASSWORD)).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| {
            rt.block_on(check_password(
                SecretString::from(ALICE_PASSWORD),
                Some(hash.clone()),
            ))
            .unwrap()
        })
    });
    g.bench_function("verify unknown user (dummy hash)", |b| {
        b.iter(|| {
            rt.block_on(check_password(SecretString::from("x"), None))
                .unwrap()
        })
    });
    assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    g.finish();
}

criterion_group!(benches, handlers, tokens, passwords);
criterion_main!(benches);
