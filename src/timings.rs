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
                "timing: {name:<10} {:>8.1} ms",
                (now - self.last).as_secs_f64() * 1e3
            );
            self.last = now;
        }
    }
}
