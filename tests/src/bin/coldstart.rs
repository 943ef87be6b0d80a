//! Cold start and memory of each function binary, measured end to end.
//!
//! Each function's release binary runs as Lambda runs it
//! (`integration_tests::lambda`: a fresh process, a minimal Runtime API
//! serving one event — the function's `events/<fn>/ok.json`,
//! `events/info/bearer.json` for `info` — filled with live credentials)
//! against a moto DynamoDB-API server on loopback. Cold start = from
//! spawning the process to the first response it posts back. Then more
//! invocations follow on the first process and its peak RSS (VmHWM) is read.
//! Every function under `functions/` that runs the Lambda runtime is
//! measured unless some are named.
//!
//!     cargo build --release --bins
//!     cargo run --release -p integration-tests --bin coldstart -- [--runs 10] [--invocations 200] [FUNCTION...]
//!
//! Prints one line per function: median / min / max cold start, the
//! function's own init time (from its "init done" log line), warm latency
//! (event handed out → response), and peak RSS. For the CPU share and
//! memory limit of a Lambda memory size, see `lambda_emulate`.

use std::time::Duration;

use auth::App;
use auth::fixtures::Credentials;
use auth::settings::Settings;
use integration_tests::lambda::{self, Launch, percentile};
use integration_tests::stack::{function_env, own_keys, put_parameters};
use integration_tests::{ALICE_PASSWORD, create_users, fresh_store, moto_endpoint, number_after};

const KEY: &str = "coldstart-signing-key-0123456789abcdef-0123";

fn median(v: &[Duration]) -> Duration {
    percentile(v, 50.0).expect("at least one")
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
    let functions: Vec<String> = lambda::functions()
        .into_iter()
        .filter(|f| selected.is_empty() || selected.contains(f))
        .collect();

    let store = fresh_store().await;
    let [alice] = create_users(&store, &[("alice", ALICE_PASSWORD)])
        .await
        .try_into()
        .expect("one user");
    // As deployed: the key from SSM, each function its own IAM user.
    let moto = moto_endpoint();
    put_parameters(&moto, KEY, store.tables()).await;
    let mut envs: Vec<(String, String)> = function_env(&moto, &moto)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
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
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
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
        let binary = lambda::binary(None, &function);
        let envs: Vec<(String, String)> = envs
            .iter()
            .cloned()
            .chain(
                own_keys(&function)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v)),
            )
            .collect();
        let template = std::fs::read_to_string(lambda::default_event(&function)).unwrap();
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
            let run = lambda::launch(Launch {
                binary: &binary,
                envs: &envs,
                events: vec![event; events_needed.max(1)],
                cgroup: None,
                timeout: Duration::from_secs(60),
            })
            .await;
            assert_eq!(run.ended, lambda::Ended::Answered, "{function}");
            if let Some(s) = run.statuses.iter().find(|s| **s >= 500) {
                panic!("{}: status {s}", binary.display());
            }
            colds.extend(run.cold);
            inits.extend(run.own_init.map(|o| o.total_us));
            sdk_inits.extend(run.own_init.map(|o| o.sdk_config_us));
            warm.extend(run.durations.iter().skip(1));
            rss = rss.max(run.peak_rss_kib.unwrap_or(0));
        }
        inits.sort();
        sdk_inits.sort();
        let ms = |v: &[u64]| {
            v.get(v.len() / 2)
                .map(|us| format!("{:.2}ms", *us as f64 / 1000.0))
                .unwrap_or_default()
        };
        let warm_p50 = percentile(&warm, 50.0)
            .map(|d| format!("{d:.2?}"))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<18} {:>10.2?} {:>10.2?} {:>10.2?} {:>10} {:>10} {:>10} {:>6} KiB",
            function,
            median(&colds),
            colds.iter().min().unwrap(),
            colds.iter().max().unwrap(),
            ms(&inits),
            ms(&sdk_inits),
            warm_p50,
            rss
        );
    }
}
