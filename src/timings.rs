//! Opt-in phase timings (`ATLAS_KB_TIMINGS=1`), printed to stderr, for profiling runs.

use std::time::Instant;

pub struct Timings {
    enabled: bool,
    last: Instant,
}

impl Timings {
    pub fn start() -> Timings {
        Timings {
            enabled: std::env::var_os("ATLAS_KB_TIMINGS").is_some_and(|v| v != "0"),
            last: Instant::now(),
        }
    }

    /// Prints how long since the previous mark (or the start) the phase `name` took.
    pub fn mark(&mut self, name: &str) {
        if self.enabled {
            let now = Instant::now();
            eprintln!(
                "timing: {name:<10} {:>8.1} ms  rss {:>6} MB",
                (now - self.last).as_secs_f64() * 1e3,
                resident_mb().map_or_else(|| "?".to_string(), |mb| mb.to_string())
            );
            self.last = now;
        }
    }
}

/// Resident memory now, from `/proc/self/status` (Linux only; `None` elsewhere).
fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}
