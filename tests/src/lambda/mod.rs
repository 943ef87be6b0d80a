//! A function binary run as Lambda runs it: a fresh process started with
//! `AWS_LAMBDA_RUNTIME_API` pointing at a minimal Runtime API served here
//! (`/2018-06-01/runtime/invocation/next`, `…/{id}/response`, `…/{id}/error`,
//! `/runtime/init/error`), which hands it the given events one at a time.
//! Optionally inside a cgroup with a Lambda memory size's CPU share and
//! memory limit ([`cgroup`]), and optionally behind a proxy that adds
//! network latency to its AWS endpoints ([`latency`]).
//!
//! The cold-start tools (`src/bin/coldstart.rs`, `src/bin/lambda_emulate.rs`)
//! share it. What one run measures ([`Run`]): spawn → first `next` (Lambda's
//! "Init Duration"), each event handed out → its response (Lambda's
//! "Duration"), spawn → first response (the cold start a caller waits for),
//! the function's own "init done" figures from its log, and its peak RSS.

pub mod cgroup;
pub mod latency;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::faults::read_message;
use crate::paths::workspace;

/// The functions: every crate under `functions/` whose `main.rs` runs the
/// shared Lambda runtime (`auth::runtime::run`), in the route table's order
/// (others after it, by name). A new function is picked up without edits.
pub fn functions() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(workspace().join("functions"))
        .expect("functions/")
        .filter_map(|e| e.ok())
        .filter(|e| {
            std::fs::read_to_string(e.path().join("src/main.rs")).is_ok_and(|main| {
                main.contains("runtime::run") || main.contains("runtime::init_worker")
            })
        })
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    let position = |f: &str| {
        crate::routes::ROUTES
            .iter()
            .position(|r| r.function == f)
            .unwrap_or(usize::MAX)
    };
    found.sort_by(|a, b| position(a).cmp(&position(b)).then(a.cmp(b)));
    found
}

/// The sample event a function is measured with: `events/<fn>/ok.json`,
/// else `bearer.json` (`info`, whose most common caller), else the first
/// event of the function by name (`well-known`: `jwks.json`).
pub fn default_event(function: &str) -> PathBuf {
    let dir = workspace().join("events").join(function);
    for preferred in ["ok.json", "bearer.json"] {
        if dir.join(preferred).exists() {
            return dir.join(preferred);
        }
    }
    let mut all: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    all.sort();
    all.into_iter()
        .next()
        .unwrap_or_else(|| panic!("no event in {}", dir.display()))
}

/// The release binary of `function` in `dir` (`target/release` unless
/// another directory is given, e.g. binaries built at another commit).
pub fn binary(dir: Option<&Path>, function: &str) -> PathBuf {
    match dir {
        Some(d) => d.join(function),
        None => workspace().join("target/release").join(function),
    }
}

/// What the Runtime API saw, shared with its connection tasks.
#[derive(Default)]
struct Seen {
    events: VecDeque<String>,
    /// When the process first asked for an event.
    first_next: Option<Instant>,
    /// When each event was handed out, in order.
    handed_out: Vec<Instant>,
    /// How long an event after the first waits before it is handed out.
    gap: Duration,
}

/// One response (or error) the process posted: when, its status code
/// (999 for an invocation or init error), and what it posted (its JSON;
/// null if it was none).
type Posted = (Instant, u16, serde_json::Value);

/// Serves `seen.events` one per `next`; reports each posted response.
async fn runtime_api(
    seen: Arc<Mutex<Seen>>,
    posted: mpsc::UnboundedSender<Posted>,
) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut id = 0u64;
        while let Ok((mut socket, _)) = listener.accept().await {
            let (seen, posted) = (seen.clone(), posted.clone());
            id += 1;
            let base = id * 1_000_000;
            tokio::spawn(async move {
                let mut n = base;
                while let Ok(Some((head, body))) = read_message(&mut socket).await {
                    let line = head.lines().next().unwrap_or_default().to_owned();
                    if line.starts_with("GET /2018-06-01/runtime/invocation/next") {
                        let (event, gap) = {
                            let mut s = seen.lock().unwrap();
                            s.first_next.get_or_insert_with(Instant::now);
                            let gap = match s.handed_out.is_empty() {
                                true => Duration::ZERO,
                                false => s.gap,
                            };
                            (s.events.pop_front(), gap)
                        };
                        // No more events: the process waits, as an idle Lambda does.
                        let Some(event) = event else {
                            return std::future::pending::<()>().await;
                        };
                        // Idle between requests, as a Lambda that is not
                        // saturated is.
                        if !gap.is_zero() {
                            tokio::time::sleep(gap).await;
                        }
                        n += 1;
                        let deadline = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis()
                            + 900_000;
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: req-{n}\r\nlambda-runtime-deadline-ms: {deadline}\r\nlambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\nlambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\ncontent-length: {}\r\n\r\n{event}",
                            event.len()
                        );
                        seen.lock().unwrap().handed_out.push(Instant::now());
                        if socket.write_all(reply.as_bytes()).await.is_err() {
                            return;
                        }
                    } else {
                        let at = Instant::now();
                        // An HTTP response's status; an SQS batch response
                        // (the mailer) is a 200 when nothing was reported
                        // back, else a 500.
                        let response =
                            serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default();
                        let status = response["statusCode"]
                            .as_u64()
                            .or_else(|| {
                                let failures = response.get("batchItemFailures")?.as_array()?;
                                Some(if failures.is_empty() { 200 } else { 500 })
                            })
                            .unwrap_or(0) as u16;
                        let status = if line.contains("/error") { 999 } else { status };
                        let _ = socket
                            .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                            .await;
                        let _ = posted.send((at, status, response));
                    }
                }
            });
        }
    });
    (port, task)
}

/// One process to start and the events to serve it.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub envs: &'a [(String, String)],
    /// One per invocation, in order.
    pub events: Vec<String>,
    /// Start the process in this cgroup (a Lambda memory size's limits).
    pub cgroup: Option<&'a cgroup::Cgroup>,
    /// Give up on the process after this long without a response.
    pub timeout: Duration,
}

/// The function's own account of its init (its "init done" log line), µs.
#[derive(Debug, Clone, Copy, Default)]
pub struct OwnInit {
    pub total_us: u64,
    pub sdk_config_us: u64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Every event was answered.
    Answered,
    /// The process exited first (an OOM kill shows as signal 9).
    Exited(String),
    /// No response within the timeout.
    TimedOut,
}

/// What one process did.
#[derive(Debug)]
pub struct Run {
    /// Spawn → its first `next`: Lambda's Init Duration.
    pub init: Option<Duration>,
    /// Spawn → the first response: the cold start a caller sees.
    pub cold: Option<Duration>,
    /// Each answered event, handed out → response: Lambda's Duration.
    pub durations: Vec<Duration>,
    pub statuses: Vec<u16>,
    /// Each answered event's response as posted (for an HTTP event its
    /// `statusCode`, `headers`, `body`, …), in order.
    pub responses: Vec<serde_json::Value>,
    pub own_init: Option<OwnInit>,
    /// VmHWM before it was stopped.
    pub peak_rss_kib: Option<u64>,
    /// In a cgroup: CPU time used (all threads) and CFS periods throttled,
    /// by the first response (init and the first invocation) and by the
    /// end.
    pub cpu_first: Option<CpuUse>,
    pub cpu_end: Option<CpuUse>,
    pub ended: Ended,
}

/// CPU time a process used, and the CFS periods in which it ran out of
/// quota, as its cgroup counts them.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    pub cpu: Duration,
    pub throttled_periods: u64,
}

impl CpuUse {
    fn of(group: Option<&cgroup::Cgroup>) -> Option<Self> {
        let group = group?;
        Some(CpuUse {
            cpu: Duration::from_nanos(group.cpu_usage_ns()?),
            throttled_periods: group.throttled_periods(),
        })
    }
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Starts the process, serves it every event (one at a time, as Lambda
/// does, each as soon as the last was answered), stops it; what it did.
pub async fn launch(l: Launch<'_>) -> Run {
    launch_paced(l, Duration::ZERO).await
}

/// As [`launch`], each event after the first handed out `gap` after the
/// function asked for it: a function idle between requests rather than
/// saturated (at a small memory size, back-to-back requests use up a CFS
/// period's quota and the next waits for the period after).
pub async fn launch_paced(l: Launch<'_>, gap: Duration) -> Run {
    let count = l.events.len();
    let seen = Arc::new(Mutex::new(Seen {
        events: l.events.into(),
        gap,
        ..Seen::default()
    }));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (port, server) = runtime_api(seen.clone(), tx).await;
    let mut command = tokio::process::Command::new(l.binary);
    for name in crate::stack::CLEARED {
        command.env_remove(name);
    }
    command
        .envs(l.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(group) = l.cgroup {
        group.start_inside(&mut command);
    }
    let started = Instant::now();
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!(
            "{}: {e} (build the function binaries first: `cargo build --release -p <function>`)",
            l.binary.display()
        )
    });
    let pid = child.id().expect("a pid");
    cgroup::track_child(pid);
    // Drain its log (a full pipe would block it), keeping the init line.
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // `LAMBDA_EMULATE_LOG=<file>`: every line the functions log, appended there.
    let mut copy = std::env::var_os("LAMBDA_EMULATE_LOG").and_then(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
    });
    let log = tokio::spawn(async move {
        let mut own = None;
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(file) = copy.as_mut() {
                use std::io::Write;
                let _ = writeln!(file, "{line}");
            }
            if own.is_none() && line.contains("init done") {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                let f = &v["fields"];
                own = f["total_us"].as_u64().zip(f["sdk_config_us"].as_u64()).map(
                    |(total_us, sdk_config_us)| OwnInit {
                        total_us,
                        sdk_config_us,
                    },
                );
            }
        }
        own
    });

    let mut posted = Vec::new();
    let mut ended = Ended::Answered;
    let mut cpu_first = None;
    while posted.len() < count {
        tokio::select! {
            p = rx.recv() => {
                posted.push(p.expect("the Runtime API runs"));
                if posted.len() == 1 {
                    cpu_first = CpuUse::of(l.cgroup);
                }
            }
            status = child.wait() => {
                // Responses posted just before exiting still count.
                while let Ok(p) = rx.try_recv() {
                    posted.push(p);
                }
                if posted.len() < count {
                    ended = Ended::Exited(match status {
                        Ok(s) => s.to_string(),
                        Err(e) => e.to_string(),
                    });
                }
                break;
            }
            _ = tokio::time::sleep(l.timeout) => {
                ended = Ended::TimedOut;
                break;
            }
        }
    }
    let peak_rss_kib = vm_hwm(pid);
    let cpu_end = CpuUse::of(l.cgroup);
    let _ = child.kill().await;
    cgroup::untrack_child(pid);
    server.abort();
    let own_init = tokio::time::timeout(Duration::from_secs(2), log)
        .await
        .ok()
        .and_then(|r| r.ok())
        .flatten();

    let seen = seen.lock().unwrap();
    let durations = posted
        .iter()
        .zip(&seen.handed_out)
        .map(|((at, _, _), out)| at.saturating_duration_since(*out))
        .collect();
    Run {
        init: seen.first_next.map(|t| t - started),
        cold: posted.first().map(|(at, _, _)| *at - started),
        durations,
        statuses: posted.iter().map(|(_, s, _)| *s).collect(),
        responses: posted.into_iter().map(|(_, _, r)| r).collect(),
        own_init,
        peak_rss_kib,
        cpu_first,
        cpu_end,
        ended,
    }
}

/// The `p`-th percentile (0–100) of `v` by nearest rank; `None` if empty.
/// With fewer than 100 values p99 is the maximum.
pub fn percentile(v: &[Duration], p: f64) -> Option<Duration> {
    if v.is_empty() {
        return None;
    }
    let mut sorted = v.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}
