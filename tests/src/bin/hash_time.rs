//! The time of one Argon2id hash of a new password (what a sign-up and a
//! reset confirmation spend beyond their store calls), under the CPU share
//! and memory limit of a Lambda memory size, as `lambda_emulate` runs the
//! functions (tests/BENCHMARKS.md §13):
//!
//!     cargo build --release -p integration-tests --bin hash_time
//!     ./target/release/hash_time [--sizes 1024,unrestricted] [--n 200]
//!
//! Each size runs this binary again inside a new cgroup v1 group
//! (`integration_tests::lambda::cgroup`: root and cgroup v1, else it says
//! so and measures nothing; `unrestricted`: no group), where it hashes
//! `--n` passwords one after another with the functions' `hash_password`
//! (on the blocking pool, as they do) and reports p50, p99 and the range.

use std::time::{Duration, Instant};

use auth::credentials::password::hash_password;
use auth::secrecy::SecretString;
use integration_tests::lambda::cgroup::{self, Cgroup};
use integration_tests::lambda::percentile;

fn usage(problem: &str) -> ! {
    eprintln!("hash_time: {problem}\n(see the top of tests/src/bin/hash_time.rs)");
    std::process::exit(2)
}

/// Inside the group: `n` hashes, their durations in µs on one line each.
async fn hash(n: usize) {
    for i in 0..n {
        let password = SecretString::from(format!("a long and new passphrase {i}"));
        let started = Instant::now();
        hash_password(password).await.expect("a hash");
        println!("{}", started.elapsed().as_micros());
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0))
}

#[tokio::main]
async fn main() {
    let mut sizes: Vec<Option<u64>> = vec![Some(1024), None];
    let mut n = 200;
    let mut inside = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--sizes" => {
                sizes = value()
                    .split(',')
                    .map(|s| match s.trim() {
                        "unrestricted" => None,
                        mb => Some(mb.parse().unwrap_or_else(|_| usage(&format!("size {mb}?")))),
                    })
                    .collect()
            }
            "--n" => n = value().parse().unwrap_or_else(|_| usage("--n: a number")),
            "--inside" => inside = true,
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if inside {
        return hash(n).await;
    }
    if sizes.iter().any(Option::is_some) {
        if let Err(why) = cgroup::available() {
            println!("hash_time: skipped, no Lambda memory sizes here: {why}");
            return;
        }
        cgroup::sweep_stale();
        cgroup::clean_up_on_panic();
    }
    let me = std::env::current_exe().expect("this binary");
    println!("hash_time: {n} Argon2id hashes of a new password per size, one at a time");
    println!(
        "  {:<14} {:>9} {:>9} {:>9} {:>9}",
        "MemorySize", "p50", "p99", "min", "max"
    );
    for size in sizes {
        let group = size.map(|mb| Cgroup::create(mb).unwrap_or_else(|e| panic!("{e}")));
        let mut command = tokio::process::Command::new(&me);
        command.args(["--inside", "--n", &n.to_string()]);
        if let Some(g) = &group {
            g.start_inside(&mut command);
        }
        let out = command.output().await.expect("the hashing process");
        assert!(out.status.success(), "the hashing process: {}", out.status);
        let times: Vec<Duration> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .map(Duration::from_micros)
            .collect();
        println!(
            "  {:<14} {:>9} {:>9} {:>9} {:>9}",
            size.map_or("unrestricted".into(), |mb| format!("{mb} MB")),
            ms(percentile(&times, 50.0)),
            ms(percentile(&times, 99.0)),
            ms(percentile(&times, 0.0)),
            ms(percentile(&times, 100.0)),
        );
    }
}
