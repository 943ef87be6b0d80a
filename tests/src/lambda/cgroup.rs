//! A Lambda memory size's limits, with cgroup v1: the CPU share (Lambda
//! gives 1,769 MB one vCPU, and CPU in proportion to memory:
//! `cpu.cfs_period_us` = 100000, `cpu.cfs_quota_us` = MB × 100000 / 1769)
//! and the memory limit (`memory.limit_in_bytes` = MB MiB, and no swap).
//!
//! Each [`Cgroup`] is a new group, under the harness's own group in the
//! `cpu` and `memory` hierarchies (and `cpuacct`'s, where it has one of
//! its own, for the CPU time used), named `lambda-emulate-<pid>-<n>`, and
//! removed when dropped. A process is put in it between fork and exec, so
//! its whole life counts. Groups left by a harness that was killed are
//! removed by the next one ([`sweep_stale`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const ROOT: &str = "/sys/fs/cgroup";
const PREFIX: &str = "lambda-emulate-";

/// Lambda's CPU: one vCPU at 1,769 MB, in proportion below and above.
pub const MB_PER_VCPU: u64 = 1769;
/// The CFS period the quota is a share of.
pub const PERIOD_US: u64 = 100_000;

/// The CFS quota of a memory size.
pub fn quota_us(memory_mb: u64) -> u64 {
    memory_mb * PERIOD_US / MB_PER_VCPU
}

/// Where the harness itself sits in `controller`'s hierarchy: the mount
/// and the path of its group there (`/proc/self/cgroup`).
fn own_group(controller: &str) -> Result<PathBuf, String> {
    let mount = Path::new(ROOT).join(controller);
    let marker = match controller {
        "cpu" => "cpu.cfs_quota_us",
        "cpuacct" => "cpuacct.usage",
        _ => "memory.limit_in_bytes",
    };
    if !mount.join(marker).exists() {
        return Err(format!(
            "no cgroup v1 `{controller}` controller at {} (cgroup v2 only?)",
            mount.display()
        ));
    }
    let table = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
    let path = table
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            controllers
                .split(',')
                .any(|c| c == controller)
                .then(|| path.to_owned())
        })
        .next()
        .unwrap_or_else(|| "/".into());
    let here = mount.join(path.trim_start_matches('/'));
    Ok(if here.is_dir() { here } else { mount })
}

/// Whether groups can be made here: cgroup v1 `cpu` and `memory`, both
/// writable (as root). The reason if not.
pub fn available() -> Result<(), String> {
    for controller in ["cpu", "memory"] {
        let parent = own_group(controller)?;
        let probe = parent.join(format!("{PREFIX}probe-{}", std::process::id()));
        std::fs::create_dir(&probe).map_err(|e| {
            format!(
                "cannot create a cgroup under {} ({e}); run as root on a machine with cgroup v1",
                parent.display()
            )
        })?;
        let _ = std::fs::remove_dir(&probe);
    }
    Ok(())
}

/// The groups and child processes alive now, for the panic hook (release
/// builds abort on panic, so no destructor would run).
static LIVE_GROUPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static LIVE_CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static SEQUENCE: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn track_child(pid: u32) {
    LIVE_CHILDREN.lock().unwrap().push(pid);
}

pub(crate) fn untrack_child(pid: u32) {
    LIVE_CHILDREN.lock().unwrap().retain(|p| *p != pid);
}

fn kill(pid: &str) {
    let _ = std::process::Command::new("kill")
        .args(["-9", pid])
        .stderr(std::process::Stdio::null())
        .status();
}

/// Kills whatever is still in `dir` and removes it.
fn remove_group(dir: &Path) {
    for _ in 0..50 {
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        procs.split_whitespace().for_each(kill);
        if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("could not remove {}", dir.display());
}

/// On a panic, kill the functions started and remove the groups made.
pub fn clean_up_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(children) = LIVE_CHILDREN.lock() {
            children.iter().for_each(|p| kill(&p.to_string()));
        }
        if let Ok(groups) = LIVE_GROUPS.lock() {
            groups.iter().for_each(|g| remove_group(g));
        }
        previous(info);
    }));
}

/// Removes groups left by harnesses that are no longer running.
pub fn sweep_stale() {
    for controller in ["cpu", "memory", "cpuacct"] {
        let Ok(parent) = own_group(controller) else {
            continue;
        };
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(PREFIX) else {
                continue;
            };
            let owner = rest.split('-').find_map(|p| p.parse::<u32>().ok());
            let alive = owner.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
            if !alive {
                remove_group(&entry.path());
            }
        }
    }
}

/// One memory size's group.
pub struct Cgroup {
    pub memory_mb: u64,
    dirs: Vec<PathBuf>,
}

impl Cgroup {
    /// A new group with `memory_mb`'s CPU share and memory limit.
    pub fn create(memory_mb: u64) -> Result<Self, String> {
        let name = format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let mut group = Cgroup {
            memory_mb,
            dirs: Vec::new(),
        };
        for controller in ["cpu", "memory"] {
            let dir = own_group(controller)?.join(&name);
            std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            LIVE_GROUPS.lock().unwrap().push(dir.clone());
            group.dirs.push(dir);
        }
        // The CPU time used: in the `cpu` group where `cpuacct` shares its
        // hierarchy, else in a `cpuacct` group (none: not counted).
        if !group.dir("cpu").join("cpuacct.usage").exists()
            && let Ok(parent) = own_group("cpuacct")
        {
            let dir = parent.join(&name);
            if std::fs::create_dir(&dir).is_ok() {
                LIVE_GROUPS.lock().unwrap().push(dir.clone());
                group.dirs.push(dir);
            }
        }
        let bytes = (memory_mb * 1024 * 1024).to_string();
        group.set("cpu", "cpu.cfs_period_us", &PERIOD_US.to_string())?;
        group.set("cpu", "cpu.cfs_quota_us", &quota_us(memory_mb).to_string())?;
        group.set("memory", "memory.limit_in_bytes", &bytes)?;
        // Lambda has no swap: memory + swap = memory (where swap accounting exists).
        if group
            .dir("memory")
            .join("memory.memsw.limit_in_bytes")
            .exists()
        {
            group.set("memory", "memory.memsw.limit_in_bytes", &bytes)?;
        }
        Ok(group)
    }

    fn dir(&self, controller: &str) -> &Path {
        match controller {
            "memory" => &self.dirs[1],
            "cpuacct" => self.dirs.get(2).unwrap_or(&self.dirs[0]),
            _ => &self.dirs[0],
        }
    }

    fn set(&self, controller: &str, file: &str, value: &str) -> Result<(), String> {
        let path = self.dir(controller).join(file);
        std::fs::write(&path, value).map_err(|e| format!("{} = {value}: {e}", path.display()))
    }

    fn read(&self, controller: &str, file: &str) -> Option<String> {
        std::fs::read_to_string(self.dir(controller).join(file)).ok()
    }

    /// Makes `command`'s process join this group before it execs.
    pub fn start_inside(&self, command: &mut tokio::process::Command) {
        let procs: Vec<PathBuf> = self.dirs.iter().map(|d| d.join("cgroup.procs")).collect();
        // SAFETY: runs in the child between fork and exec. It only opens and
        // writes files (paths under 384 bytes are converted on the stack,
        // so nothing allocates); "0" moves the writing process (cgroup v1).
        unsafe {
            command.pre_exec(move || {
                for p in &procs {
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(p)?
                        .write_all(b"0")?;
                }
                Ok(())
            });
        }
    }

    /// The number after `key ` in `controller`'s `file` (0 if none).
    fn counter(&self, controller: &str, file: &str, key: &str) -> u64 {
        self.read(controller, file)
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0)
    }

    /// Processes the kernel's OOM killer ended in this group.
    pub fn oom_kills(&self) -> u64 {
        self.counter("memory", "memory.oom_control", "oom_kill")
    }

    /// The group's peak memory use (process memory and page cache it caused).
    pub fn max_usage_bytes(&self) -> Option<u64> {
        self.read("memory", "memory.max_usage_in_bytes")
            .and_then(|s| s.trim().parse().ok())
    }

    /// CPU time the group was throttled for (`cpu.stat` throttled_time), ns.
    pub fn throttled_ns(&self) -> u64 {
        self.counter("cpu", "cpu.stat", "throttled_time")
    }

    /// CFS periods in which the group ran out of quota (`cpu.stat`
    /// nr_throttled).
    pub fn throttled_periods(&self) -> u64 {
        self.counter("cpu", "cpu.stat", "nr_throttled")
    }

    /// CPU time the group's processes used so far (`cpuacct.usage`), ns;
    /// none without the `cpuacct` controller.
    pub fn cpu_usage_ns(&self) -> Option<u64> {
        self.read("cpuacct", "cpuacct.usage")
            .and_then(|s| s.trim().parse().ok())
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        for dir in &self.dirs {
            remove_group(dir);
        }
        LIVE_GROUPS
            .lock()
            .unwrap()
            .retain(|d| !self.dirs.contains(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_follow_lambdas_cpu_share() {
        assert_eq!(quota_us(1769), 100_000);
        assert_eq!(quota_us(128), 7_235);
        assert_eq!(quota_us(3538), 200_000);
    }
}
