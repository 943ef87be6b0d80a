//! A bounded load run against the local stack: the functions served by
//! `cargo lambda watch` on a moto DynamoDB-API server, both on loopback.
//!
//!     cargo run --release -p integration-tests --bin load -- [--flows 500] [--concurrency 8] [--release]
//!
//! Workers run mixed flows until `--flows` are done: a session flow (login,
//! info, logout with CSRF) and a token flow (obtain, info by Bearer,
//! refresh, verify, blacklist, refresh refused) — 9 requests per pair of
//! flows on average. Afterwards it checks that nothing was lost: every
//! session still open is in the sessions table, every logged-out one is
//! gone, every blacklisted jti is in the blacklist table. Reports
//! throughput, latency percentiles per operation, and any 5xx (there must
//! be none) or other unexpected answers. Exit code 1 if anything was lost,
//! or any answer was a 5xx or not what the flow expects.
//!
//! `cargo lambda watch` runs one instance per function (like one Lambda
//! instance), so concurrent calls to one function queue behind each other:
//! with 8 workers the password endpoints' latency is mostly that queue.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth::store::{SessionStore, TokenStore};
use integration_tests::stack::{Http, Reply, deployed_env, lambda_watch};
use integration_tests::{create_users, free_port, fresh_store, number_after, token_claims};
use serde_json::{Value, json};

#[derive(Default)]
struct Record {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    server_errors: Vec<String>,
    /// Answers other than the flow expects (a 4xx where a 200 was due).
    unexpected: Vec<String>,
    open_sessions: Vec<String>,
    closed_sessions: Vec<String>,
    blacklisted: Vec<String>,
    requests: usize,
}

struct Client {
    http: Http,
    record: Arc<Mutex<Record>>,
}

impl Client {
    fn send(
        &self,
        op: &'static str,
        expected: u16,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let started = Instant::now();
        let result = self.http.send(method, path, headers, body.as_ref());
        let elapsed = started.elapsed();
        let mut record = self.record.lock().unwrap();
        record.requests += 1;
        record.latencies.entry(op).or_default().push(elapsed);
        let answer = match result {
            Ok(r) => r,
            Err(e) => {
                record
                    .server_errors
                    .push(format!("{op}: transport error {e}"));
                return Reply {
                    status: 0,
                    body: String::new(),
                    cookies: vec![],
                };
            }
        };
        drop(record);
        if answer.status >= 500 {
            self.record
                .lock()
                .unwrap()
                .server_errors
                .push(format!("{op}: {} {}", answer.status, answer.body));
        } else if answer.status != expected {
            self.record.lock().unwrap().unexpected.push(format!(
                "{op}: {} (expected {expected}) {}",
                answer.status, answer.body
            ));
        }
        answer
    }
}

fn jti(token: &str) -> String {
    token_claims(token)
        .and_then(|v| v["jti"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn session_flow(c: &Client, user: &str, password: &str, close: bool) {
    let r = c.send(
        "login",
        200,
        "POST",
        "/login",
        &[],
        Some(json!({"username": user, "password": password})),
    );
    let (Some(sid), Some(csrf)) = (r.cookie("sessionid"), r.cookie("csrftoken")) else {
        return;
    };
    let jar = format!("sessionid={sid}; csrftoken={csrf}");
    c.send(
        "info by session",
        200,
        "GET",
        "/login/jwt/info",
        &[("cookie", &jar)],
        None,
    );
    if close {
        let r = c.send(
            "logout",
            200,
            "POST",
            "/logout",
            &[("cookie", &jar), ("x-csrftoken", &csrf)],
            None,
        );
        let mut rec = c.record.lock().unwrap();
        if r.status == 200 {
            rec.closed_sessions.push(sid)
        } else {
            rec.open_sessions.push(sid)
        }
    } else {
        c.record.lock().unwrap().open_sessions.push(sid);
    }
}

fn token_flow(c: &Client, user: &str, password: &str) {
    let r = c.send(
        "obtain pair",
        200,
        "POST",
        "/login/simpleJWT",
        &[],
        Some(json!({"username": user, "password": password})),
    );
    let Ok(pair) = serde_json::from_str::<Value>(&r.body) else {
        return;
    };
    let (Some(refresh), Some(access)) = (pair["refresh"].as_str(), pair["access"].as_str()) else {
        return;
    };
    c.send(
        "info by Bearer",
        200,
        "GET",
        "/login/jwt/info",
        &[("authorization", &format!("Bearer {access}"))],
        None,
    );
    let r = c.send(
        "refresh",
        200,
        "POST",
        "/login/simpleJWT/refresh",
        &[],
        Some(json!({ "refresh": refresh })),
    );
    let new_access = serde_json::from_str::<Value>(&r.body)
        .ok()
        .and_then(|v| v["access"].as_str().map(str::to_owned))
        .unwrap_or_default();
    c.send(
        "verify",
        200,
        "POST",
        "/login/simpleJWT/verify",
        &[],
        Some(json!({ "token": new_access })),
    );
    let r = c.send(
        "blacklist",
        200,
        "POST",
        "/login/simpleJWT/blacklist",
        &[],
        Some(json!({ "refresh": refresh })),
    );
    if r.status == 200 {
        c.record.lock().unwrap().blacklisted.push(jti(refresh));
    }
    c.send(
        "refresh (blacklisted)",
        401,
        "POST",
        "/login/simpleJWT/refresh",
        &[],
        Some(json!({ "refresh": refresh })),
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let mut flows = 500usize;
    let mut concurrency = 8usize;
    let mut release = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--flows" => flows = number_after("--flows", &mut args),
            "--concurrency" => concurrency = number_after("--concurrency", &mut args),
            "--release" => release = true,
            other => panic!("unknown argument {other}"),
        }
    }

    // Tables and users.
    let store = fresh_store().await;
    let users: Vec<(String, String)> = (0..concurrency)
        .map(|i| (format!("load{i}"), format!("load password {i}")))
        .collect();
    let logins: Vec<(&str, &str)> = users
        .iter()
        .map(|(name, pw)| (name.as_str(), pw.as_str()))
        .collect();
    create_users(&store, &logins).await;

    // The stack.
    let port = free_port();
    // As deployed: the key from SSM, each function its own IAM user.
    let mut envs = deployed_env(&format!("auth-load-{port}"), store.tables()).await;
    envs.extend([
        // One client address for every worker: keep the per-address limit out of the way.
        ("THROTTLE_IP_LIMIT", "100000000".into()),
        ("RUST_LOG", "warn".into()),
    ]);
    let _watch = lambda_watch("load", port, &envs, release);
    let http = Http::on_port(port);
    let record = Arc::new(Mutex::new(Record::default()));

    // Warm every function once (the first request may compile it).
    let warm = Client {
        http: http.clone(),
        record: Arc::new(Mutex::new(Record::default())),
    };
    let (u, p) = users[0].clone();
    tokio::task::spawn_blocking(move || {
        session_flow(&warm, &u, &p, true);
        token_flow(&warm, &u, &p);
    })
    .await
    .unwrap();

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = users
        .iter()
        .cloned()
        .map(|(user, password)| {
            let c = Client {
                http: http.clone(),
                record: record.clone(),
            };
            let next = next.clone();
            std::thread::spawn(move || {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= flows {
                        break;
                    }
                    if n.is_multiple_of(2) {
                        session_flow(&c, &user, &password, n.is_multiple_of(4));
                    } else {
                        token_flow(&c, &user, &password);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let elapsed = started.elapsed();

    // Nothing lost?
    let rec = std::mem::take(&mut *record.lock().unwrap());
    let mut lost = Vec::new();
    for sid in &rec.open_sessions {
        if store.session(sid).await.unwrap().is_none() {
            lost.push(format!("open session {sid} missing"));
        }
    }
    for sid in &rec.closed_sessions {
        if store.session(sid).await.unwrap().is_some() {
            lost.push(format!("logged-out session {sid} still live"));
        }
    }
    for j in &rec.blacklisted {
        if !store.is_blacklisted(j).await.unwrap() {
            lost.push(format!("blacklisted jti {j} missing"));
        }
    }

    println!(
        "{} requests in {:.1?} with {concurrency} workers: {:.0} requests/s",
        rec.requests,
        elapsed,
        rec.requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "{:<24} {:>6} {:>10} {:>10} {:>10} {:>10}",
        "operation", "count", "p50", "p90", "p99", "max"
    );
    let mut all = Vec::new();
    for (op, lat) in &rec.latencies {
        let mut lat = lat.clone();
        lat.sort();
        all.extend(lat.iter().copied());
        println!(
            "{:<24} {:>6} {:>10.2?} {:>10.2?} {:>10.2?} {:>10.2?}",
            op,
            lat.len(),
            percentile(&lat, 0.5),
            percentile(&lat, 0.9),
            percentile(&lat, 0.99),
            lat.last().unwrap()
        );
    }
    all.sort();
    println!(
        "{:<24} {:>6} {:>10.2?} {:>10.2?} {:>10.2?} {:>10.2?}",
        "all",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.9),
        percentile(&all, 0.99),
        all.last().unwrap()
    );
    println!(
        "checked: {} open sessions present, {} logged-out sessions gone, {} blacklisted jtis present",
        rec.open_sessions.len(),
        rec.closed_sessions.len(),
        rec.blacklisted.len()
    );
    println!(
        "5xx or transport errors: {}; unexpected answers: {}; lost writes: {}",
        rec.server_errors.len(),
        rec.unexpected.len(),
        lost.len()
    );
    let problems = rec.server_errors.iter().chain(&rec.unexpected).chain(&lost);
    for e in problems.take(20) {
        println!("  {e}");
    }
    if !rec.server_errors.is_empty() || !rec.unexpected.is_empty() || !lost.is_empty() {
        std::process::exit(1);
    }
}
