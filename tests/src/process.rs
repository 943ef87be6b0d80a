//! Processes the tests start: free ports, waiting for one, children that
//! end with the test process, command-line numbers.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A child process that ends when this test process ends, however it ends:
/// it runs under a shell that waits for EOF on a pipe only we hold.
pub struct Guarded {
    child: Child,
}

impl Guarded {
    pub fn spawn(
        program: &std::path::Path,
        args: &[&str],
        envs: &[(&str, String)],
        log: &str,
    ) -> Self {
        Self::spawn_clearing(program, args, envs, &[], log)
    }

    /// As [`Guarded::spawn`], without the inherited variables `clear`.
    pub fn spawn_clearing(
        program: &std::path::Path,
        args: &[&str],
        envs: &[(&str, String)],
        clear: &[&str],
        log: &str,
    ) -> Self {
        let script = r#"prog="$1"; shift; "$prog" "$@" & pid=$!; cat >/dev/null; kill "$pid" 2>/dev/null; sleep 0.5; kill -9 "$pid" 2>/dev/null; exit 0"#;
        let log = std::fs::File::create(log).expect("log file");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(script)
            .arg("guarded")
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        for k in clear {
            cmd.env_remove(k);
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        Guarded { child }
    }

    /// Stops the process now.
    pub fn stop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The number after a flag of a command line (`--flows 500`).
pub fn number_after(flag: &str, args: &mut impl Iterator<Item = String>) -> usize {
    args.next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{flag} N"))
}
