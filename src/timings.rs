//! Opt-in phase timings (`ATLAS_KB_TIMINGS=1`), printed to stderr, for profiling runs.

use std::io::Write;
use std::time::Instant;

pub struct Timings {
    enabled: bool,
    last: Instant,
    last_cpu: f64,
}

impl Timings {
    pub fn start() -> Timings {
        Timings {
            enabled: std::env::var_os("ATLAS_KB_TIMINGS").is_some_and(|v| v != "0"),
            last: Instant::now(),
            last_cpu: cpu_seconds().unwrap_or(0.0),
        }
    }

    /// Prints how long since the previous mark (or the start) the phase `name` took.
    pub fn mark(&mut self, name: &str) {
        if self.enabled {
            let now = Instant::now();
            let cpu = cpu_seconds().unwrap_or(0.0);
            // CPU beside wall time shows how well a phase uses the cores.
            // Not `eprintln!`, which panics when stderr is a closed pipe.
            let _ = writeln!(
                std::io::stderr(),
                "timing: {name:<10} {:>8.1} ms  cpu {:>8.1} ms  rss {:>6} MB  peak {:>6} MB",
                (now - self.last).as_secs_f64() * 1e3,
                (cpu - self.last_cpu) * 1e3,
                memory_mb("VmRSS:").map_or_else(|| "?".to_string(), |mb| mb.to_string()),
                memory_mb("VmHWM:").map_or_else(|| "?".to_string(), |mb| mb.to_string())
            );
            self.last = now;
            self.last_cpu = cpu;
        }
    }
}

/// A memory figure of `/proc/self/status` (Linux only; `None` elsewhere): `VmRSS:` is the
/// resident memory now, `VmHWM:` its peak so far. In MiB.
fn memory_mb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// User + system CPU time of the whole process so far, from `/proc/self/stat` (Linux only).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the `(command)`, which may itself hold spaces: state is field 3, utime 14.
    let after = &stat[stat.rfind(')')? + 2..];
    let mut fields = after.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    // Clock ticks; Linux reports them at 100 per second to user space.
    Some((user + system) / 100.0)
}
