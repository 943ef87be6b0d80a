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
use auth::fixtures::Credentials;
use auth::lambda_http::Request;
use auth::password::{DUMMY_HASH, check_password, hash_password_blocking};
use auth::secrecy::SecretString;
use auth::settings::Settings;
use auth::store::{MemoryStore, User, UserAdmin};
use auth::time::now;
use auth::tokens::{TokenType, decode_simplejwt};
use auth::web::serve;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
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
    settings.throttle.username_limit = u64::MAX;
    settings.throttle.ip_limit = u64::MAX;
    let store = MemoryStore::new();
    let hash = hash_password_blocking(&SecretString::from(ALICE_PASSWORD)).unwrap();
    let alice = rt.block_on(store.create_user("alice", &hash)).unwrap();
    (App::new(settings, store), alice, rt)
}

fn event(req: Req) -> Request {
    req.build()
}

fn handlers(c: &mut Criterion) {
    let (app, alice, rt) = bench_app(&[]);
    let minted = rt.block_on(Credentials::mint(&app, &alice)).unwrap();
    let session = minted.fill("{{SESSION_ID}}");
    let access = minted.fill("{{ACCESS_TOKEN}}");
    let refresh = minted.fill("{{REFRESH_TOKEN}}");
    let jwt = minted.fill("{{JWT_LOGIN_TOKEN}}");

    let mut g = c.benchmark_group("handler");
    let run = |req: &Req, f: &dyn Fn(Request) -> u16| {
        let status = f(event(req.clone()));
        assert!(status < 500, "{status}");
    };
    let info = |r: Request| {
        rt.block_on(serve(&info::VIEW, &app, r, info::handler))
            .status()
            .as_u16()
    };
    let verify = |r: Request| {
        rt.block_on(serve(&token_verify::VIEW, &app, r, token_verify::handler))
            .status()
            .as_u16()
    };
    let refresh_h = |r: Request| {
        rt.block_on(serve(&token_refresh::VIEW, &app, r, token_refresh::handler))
            .status()
            .as_u16()
    };

    let by_session = Req::get(&format!("{P}login/jwt/info")).cookie("sessionid", &session);
    run(&by_session, &info);
    g.bench_function("info by session", |b| {
        b.iter_batched(|| event(by_session.clone()), &info, BatchSize::SmallInput)
    });
    let by_bearer = Req::get(&format!("{P}login/jwt/info")).bearer(&access);
    g.bench_function("info by Bearer", |b| {
        b.iter_batched(|| event(by_bearer.clone()), &info, BatchSize::SmallInput)
    });
    let by_jwt = Req::get(&format!("{P}login/jwt/info")).header("jwt-auth", &jwt);
    g.bench_function("info by jwt-auth", |b| {
        b.iter_batched(|| event(by_jwt.clone()), &info, BatchSize::SmallInput)
    });
    let unauth = Req::get(&format!("{P}login/jwt/info"));
    g.bench_function("info unauthenticated (401)", |b| {
        b.iter_batched(|| event(unauth.clone()), &info, BatchSize::SmallInput)
    });

    let verify_access =
        Req::post(&format!("{P}login/simpleJWT/verify")).json(&json!({ "token": access }));
    g.bench_function("verify access token", |b| {
        b.iter_batched(
            || event(verify_access.clone()),
            &verify,
            BatchSize::SmallInput,
        )
    });
    let verify_refresh =
        Req::post(&format!("{P}login/simpleJWT/verify")).json(&json!({ "token": refresh }));
    g.bench_function("verify refresh token", |b| {
        b.iter_batched(
            || event(verify_refresh.clone()),
            &verify,
            BatchSize::SmallInput,
        )
    });

    let refresh_req =
        Req::post(&format!("{P}login/simpleJWT/refresh")).json(&json!({ "refresh": refresh }));
    g.bench_function("refresh (no rotation)", |b| {
        b.iter_batched(
            || event(refresh_req.clone()),
            &refresh_h,
            BatchSize::SmallInput,
        )
    });

    // Single-use tokens: each iteration gets a fresh one (not timed).
    let fresh_refresh = || app.tokens.pair_for(&alice, now()).refresh;
    g.bench_function("blacklist", |b| {
        b.iter_batched(
            || {
                event(
                    Req::post(&format!("{P}login/simpleJWT/blacklist"))
                        .json(&json!({ "refresh": fresh_refresh() })),
                )
            },
            |r| {
                rt.block_on(serve(
                    &token_blacklist::VIEW,
                    &app,
                    r,
                    token_blacklist::handler,
                ))
                .status()
                .as_u16()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("logout by Bearer", |b| {
        let req = Req::post(&format!("{P}logout")).bearer(&access);
        b.iter_batched(
            || event(req.clone()),
            |r| {
                rt.block_on(serve(&logout::VIEW, &app, r, logout::handler))
                    .status()
                    .as_u16()
            },
            BatchSize::SmallInput,
        )
    });

    // Password-checking paths: dominated by one Argon2id verification.
    let login_req = Req::post(&format!("{P}login"))
        .json(&json!({"username":"alice","password":ALICE_PASSWORD}));
    g.bench_function("login (with Argon2id)", |b| {
        b.iter_batched(
            || event(login_req.clone()),
            |r| {
                rt.block_on(serve(&login::VIEW, &app, r, login::handler))
                    .status()
                    .as_u16()
            },
            BatchSize::SmallInput,
        )
    });
    let obtain_req = Req::post(&format!("{P}login/simpleJWT"))
        .json(&json!({"username":"alice","password":ALICE_PASSWORD}));
    g.bench_function("obtain pair (with Argon2id)", |b| {
        b.iter_batched(
            || event(obtain_req.clone()),
            |r| {
                rt.block_on(serve(
                    &token_obtain_pair::VIEW,
                    &app,
                    r,
                    token_obtain_pair::handler,
                ))
                .status()
                .as_u16()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let (rot, alice, rt2) = bench_app(&[("ROTATE_REFRESH_TOKENS", "true")]);
    c.benchmark_group("handler")
        .bench_function("refresh with rotation", |b| {
            b.iter_batched(
                || {
                    let t = rot.tokens.pair_for(&alice, now()).refresh;
                    event(
                        Req::post(&format!("{P}login/simpleJWT/refresh"))
                            .json(&json!({ "refresh": t })),
                    )
                },
                |r| {
                    rt2.block_on(serve(&token_refresh::VIEW, &rot, r, token_refresh::handler))
                        .status()
                        .as_u16()
                },
                BatchSize::SmallInput,
            )
        });
}

fn tokens(c: &mut Criterion) {
    let (app, alice, _) = bench_app(&[]);
    let backend = app.tokens.jwt();
    let pair = app.tokens.pair_for(&alice, now());
    let mut g = c.benchmark_group("tokens");
    g.bench_function("issue pair (sign 2 tokens)", |b| {
        b.iter(|| app.tokens.pair_for(black_box(&alice), now()))
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
