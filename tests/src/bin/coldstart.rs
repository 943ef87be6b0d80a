//! Cold start and memory of each function binary, measured end to end.
//!
//! A minimal Lambda Runtime API (`/2018-06-01/runtime/invocation/next` and
//! `…/response`) serves one event — the function's `events/<fn>/ok.json`
//! (`events/info/bearer.json` for `info`),
//! filled with live credentials — to a freshly started process, against a
//! moto DynamoDB-API server on loopback. Cold start = from spawning the
//! process to the first response it posts back. Then more invocations
//! follow on the warm process and its peak RSS (VmHWM) is read.
//!
//!     cargo build --release --bins
//!     cargo run --release -p integration-tests --bin coldstart -- [--runs 10] [--invocations 200] [FUNCTION...]
//!
//! Prints one line per function: median / min / max cold start, the
//! function's own init time (from its "init done" log line), warm latency,
//! and peak RSS.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth::App;
use auth::fixtures::Credentials;
use auth::settings::Settings;
use integration_tests::faults::read_message;
use integration_tests::stack::function_env;
use integration_tests::{
    ALICE_PASSWORD, create_users, fresh_store, moto_endpoint, number_after, workspace,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};

const FUNCTIONS: [&str; 10] = [
    "login",
    "logout",
    "logout-all",
    "password-change",
    "jwt-login",
    "info",
    "token-obtain-pair",
    "token-refresh",
    "token-verify",
    "token-blacklist",
];
const KEY: &str = "coldstart-signing-key-0123456789abcdef-0123";

/// Serves `events()` one per `next`, reports each response on `done`.
async fn runtime_api(
    events: Arc<Mutex<Vec<String>>>,
    done: mpsc::UnboundedSender<(Instant, u16)>,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut id = 0u64;
        while let Ok((mut socket, _)) = listener.accept().await {
            let events = events.clone();
            let done = done.clone();
            id += 1;
            let base = id * 1_000_000;
            tokio::spawn(async move {
                let mut n = base;
                while let Ok(Some((head, body))) = read_message(&mut socket).await {
                    let line = head.lines().next().unwrap_or_default().to_owned();
                    if line.starts_with("GET /2018-06-01/runtime/invocation/next") {
                        let event = loop {
                            if let Some(e) = events.lock().await.pop() {
                                break e;
                            }
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        };
                        n += 1;
                        let deadline = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis()
                            + 10_000;
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: req-{n}\r\nlambda-runtime-deadline-ms: {deadline}\r\nlambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\nlambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\ncontent-length: {}\r\n\r\n{event}",
                            event.len()
                        );
                        if socket.write_all(reply.as_bytes()).await.is_err() {
                            return;
                        }
                    } else {
                        let at = Instant::now();
                        let status = serde_json::from_slice::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["statusCode"].as_u64())
                            .unwrap_or(0) as u16;
                        let status = if line.contains("/error") { 999 } else { status };
                        let _ = socket
                            .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                            .await;
                        let _ = done.send((at, status));
                    }
                }
            });
        }
    });
    port
}

struct Run {
    cold: Duration,
    /// The function's own init: (total, of which SDK config), in µs.
    init_us: Option<(u64, u64)>,
    warm: Vec<Duration>,
    peak_rss_kib: Option<u64>,
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn run_once(
    binary: &std::path::Path,
    envs: &[(&str, String)],
    event: String,
    invocations: usize,
) -> Run {
    let events = Arc::new(Mutex::new(vec![event.clone(); invocations.max(1)]));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let port = runtime_api(events, tx).await;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run `cargo build --release --bins` first)",
                binary.display()
            )
        });
    let pid = child.id().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let init = tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("init done") {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                let f = &v["fields"];
                return f["total_us"].as_u64().zip(f["sdk_config_us"].as_u64());
            }
        }
        None
    });
    let (first, status) = rx.recv().await.expect("a response");
    assert!(status < 500, "{}: status {status}", binary.display());
    let cold = first - started;
    let mut warm = Vec::new();
    let mut last = first;
    for _ in 1..invocations {
        let (at, status) = rx.recv().await.expect("a response");
        assert!(status < 500, "status {status}");
        warm.push(at - last);
        last = at;
    }
    let peak_rss_kib = vm_hwm(pid);
    let _ = child.kill().await;
    let init_us = tokio::time::timeout(Duration::from_secs(1), init)
        .await
        .ok()
        .and_then(|r| r.ok())
        .flatten();
    Run {
        cold,
        init_us,
        warm,
        peak_rss_kib,
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let mut runs = 10usize;
    let mut invocations = 200usize;
    let mut selected = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = number_after("--runs", &mut args),
            "--invocations" => invocations = number_after("--invocations", &mut args),
            f => selected.push(f.to_owned()),
        }
    }
    let functions: Vec<&str> = if selected.is_empty() {
        FUNCTIONS.to_vec()
    } else {
        FUNCTIONS
            .iter()
            .copied()
            .filter(|f| selected.iter().any(|s| s == f))
            .collect()
    };

    let store = fresh_store().await;
    let [alice] = create_users(&store, &[("alice", ALICE_PASSWORD)])
        .await
        .try_into()
        .expect("one user");
    let mut envs = function_env(&moto_endpoint(), store.tables(), KEY);
    envs.extend(
        [
            ("THROTTLE_USERNAME_ADDRESS_LIMIT", "1000000"),
            ("THROTTLE_USERNAME_LIMIT", "1000000"),
            ("THROTTLE_IP_LIMIT", "1000000"),
            ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ]
        .map(|(k, v)| (k, v.to_owned())),
    );
    let app = App::new(Settings::with_signing_key(KEY).unwrap(), store);

    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "function",
        "cold p50",
        "cold min",
        "cold max",
        "init p50",
        "sdk cfg",
        "warm p50",
        "peak RSS"
    );
    for function in functions {
        let binary = workspace().join("target/release").join(function);
        // `info` has no single "ok" case; Bearer is its most common caller.
        let case = if function == "info" { "bearer" } else { "ok" };
        let template =
            std::fs::read_to_string(workspace().join(format!("events/{function}/{case}.json")))
                .unwrap();
        let mut colds = Vec::new();
        let mut inits = Vec::new();
        let mut sdk_inits = Vec::new();
        let mut warm = Vec::new();
        let mut rss = 0;
        for i in 0..runs {
            // Each start gets fresh credentials (logout-all and password change end them).
            let event = Credentials::mint(&app, &alice)
                .await
                .unwrap()
                .fill(&template);
            let n = if i == 0 { invocations } else { 1 };
            let events_needed = if function == "logout-all"
                || function == "password-change"
                || function == "token-blacklist"
            {
                1
            } else {
                n
            };
            let run = run_once(&binary, &envs, event, events_needed).await;
            colds.push(run.cold);
            inits.extend(run.init_us.map(|(total, _)| total));
            sdk_inits.extend(run.init_us.map(|(_, sdk)| sdk));
            warm.extend(run.warm);
            rss = rss.max(run.peak_rss_kib.unwrap_or(0));
        }
        inits.sort();
        sdk_inits.sort();
        let ms = |v: &[u64]| {
            v.get(v.len() / 2)
                .map(|us| format!("{:.2}ms", *us as f64 / 1000.0))
                .unwrap_or_default()
        };
        let warm_p50 = if warm.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.2?}", median(&mut warm))
        };
        println!(
            "{:<18} {:>10.2?} {:>10.2?} {:>10.2?} {:>10} {:>10} {:>10} {:>6} KiB",
            function,
            median(&mut colds),
            colds.iter().min().unwrap(),
            colds.iter().max().unwrap(),
            ms(&inits),
            ms(&sdk_inits),
            warm_p50,
            rss
        );
    }
}
