//! Equal time for every wrong password: the median time of wrong-password
//! `login` requests, through the real handler and pipeline (the in-memory
//! store, so storage adds nothing), for each kind of username — unknown,
//! inactive, with an unusable password, migrated to our Argon2id, and
//! imported from Django and not yet migrated — and their ratios.
//!
//!     cargo bench -p integration-tests --bench equal_time
//!
//! Requests go round-robin over the cases (the order rotating each round),
//! so that the machine's noise falls on all alike. Three tables:
//! 1. the case: the table holds PBKDF2 hashes of 1,500,000
//!    iterations (Django 6's default), the marks say so — 30 requests each;
//! 2. the same users without the marks (what a failed check cost before
//!    them): the imported user stands out — 10 requests each;
//! 3. every Django format stored at once (PBKDF2 1.5M, bcrypt cost 12,
//!    Argon2 m=64 MiB t=3) — 10 requests each.
//!
//! Not a test: numbers for tests/BENCHMARKS.md ("Equal time").

use std::time::{Duration, Instant};

use auth::App;
use auth::credentials::password::hash_password_blocking;
use auth::secrecy::SecretString;
use auth::settings::Settings;
use auth::store::HashCosts;
use auth::store::{MemoryStore, UserAdmin, UserChange, UserStore};
use auth::web::serve;
use integration_tests::Req;
use serde_json::json;

const KEY: &str = "bench-signing-key-0123456789abcdef-0123456789";

struct Case {
    name: &'static str,
    username: &'static str,
}

/// A hash Django 6.1.3 made (shared/tests/fixtures/django-hashes.json).
fn fixture_hash(prefix: &str) -> String {
    let vectors: Vec<serde_json::Value> = serde_json::from_str(include_str!(
        "../../shared/tests/fixtures/django-hashes.json"
    ))
    .unwrap();
    vectors
        .iter()
        .filter_map(|v| v["hash"].as_str())
        .find(|h| h.starts_with(prefix))
        .unwrap_or_else(|| panic!("a fixture hash starting {prefix}"))
        .to_owned()
}

/// An app whose users are the cases' (the throttle out of the way).
fn app(rt: &tokio::runtime::Runtime, imported: &[(&str, String)]) -> App<MemoryStore> {
    let mut settings = Settings::with_signing_key(KEY).unwrap();
    settings.throttle.username_address_limit = u64::MAX;
    settings.throttle.username_limit = u64::MAX;
    settings.throttle.ip_limit = u64::MAX;
    let store = MemoryStore::new();
    let ours = hash_password_blocking(&SecretString::from("correct horse battery staple")).unwrap();
    rt.block_on(async {
        store.create_user("migrated", &ours).await.unwrap();
        let inactive = store.create_user("inactive", &ours).await.unwrap();
        store
            .update_user(inactive.id, UserChange::Active(false))
            .await
            .unwrap();
        let unusable = format!("!{}", "x".repeat(40));
        store.create_user("unusable", &unusable).await.unwrap();
        for (name, hash) in imported {
            store.create_user(name, hash).await.unwrap();
        }
    });
    App::new(settings, store)
}

/// Median milliseconds of `rounds` wrong-password logins per case.
fn medians(
    rt: &tokio::runtime::Runtime,
    app: &App<MemoryStore>,
    cases: &[Case],
    rounds: usize,
) -> Vec<f64> {
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        for i in 0..cases.len() {
            let i = (i + round) % cases.len();
            let body = json!({"username": cases[i].username, "password": "a wrong password"});
            let event = Req::post("/api/v1/users/login").json(&body).build();
            let start = Instant::now();
            let status = rt
                .block_on(serve(&login::VIEW, app, event, login::handler))
                .status();
            times[i].push(start.elapsed());
            assert_eq!(status, 403, "{}", cases[i].name);
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2].as_secs_f64() * 1000.0
        })
        .collect()
}

fn table(title: &str, cases: &[Case], medians: &[f64]) {
    let base = medians[0];
    println!("\n{title}\n");
    println!("| username | median ms | ratio to unknown |");
    println!("|---|---:|---:|");
    for (case, m) in cases.iter().zip(medians) {
        println!("| {} | {m:.1} | {:.2} |", case.name, m / base);
    }
    let (lo, hi) = medians
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), m| (lo.min(*m), hi.max(*m)));
    println!("\nlargest / smallest median: {:.2}", hi / lo);
}

fn main() {
    // `cargo bench` passes --bench; nothing to parse.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let five = [
        Case {
            name: "unknown",
            username: "nobody",
        },
        Case {
            name: "inactive",
            username: "inactive",
        },
        Case {
            name: "unusable password",
            username: "unusable",
        },
        Case {
            name: "migrated (Argon2id)",
            username: "migrated",
        },
        Case {
            name: "imported pbkdf2_sha256, 1,500,000 iterations",
            username: "pbkdf2",
        },
    ];
    let pbkdf2 = fixture_hash("pbkdf2_sha256$1500000$");
    let imported = [("pbkdf2", pbkdf2.clone())];
    let with_marks = app(&rt, &imported);
    with_marks.store.set_hash_costs(HashCosts::of(&pbkdf2));
    table(
        "1. PBKDF2 hashes stored, with the marks (30 requests each)",
        &five,
        &medians(&rt, &with_marks, &five, 30),
    );
    let without = app(&rt, &imported);
    table(
        "2. the same without the marks (10 requests each)",
        &five,
        &medians(&rt, &without, &five, 10),
    );

    let all = [
        ("pbkdf2", pbkdf2),
        ("bcrypt", fixture_hash("bcrypt_sha256$$2b$12$")),
        ("argon2", fixture_hash("argon2$argon2d$v=19$m=65536,t=3")),
    ];
    let every = app(&rt, &all);
    every.store.set_hash_costs(
        all.iter()
            .map(|(_, h)| HashCosts::of(h))
            .fold(HashCosts::default(), HashCosts::max),
    );
    let seven: Vec<Case> = five
        .into_iter()
        .chain([
            Case {
                name: "imported bcrypt_sha256, cost 12",
                username: "bcrypt",
            },
            Case {
                name: "imported argon2 (Django), m=64 MiB, t=3",
                username: "argon2",
            },
        ])
        .collect();
    table(
        "3. every Django format stored, with the marks (10 requests each)",
        &seven,
        &medians(&rt, &every, &seven, 10),
    );
}
