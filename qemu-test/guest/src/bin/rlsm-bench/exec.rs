//! What exec costs a program that has no profile: spawns of this static binary with nothing
//! to do (`rlsm-bench noop`), with and without idle profiles loaded. Every exec on the system
//! pays the attachment lookup, so this is the cost of having profiles at all.

use crate::clock;
use crate::policy;
use crate::report::{self, Row};
use crate::runner::run;
use crate::{APPARMOR_PARSER, BENCH};
use std::fs;
use std::process::Command;

/// Spawns per sample.
const ITERS: u32 = 200;

/// Instructions (nanoseconds under TSC timing) per spawn (`posix_spawn()`, which is `vfork()`
/// and `execve()` in musl, then `wait()`): `runs` samples of [`ITERS`] spawns.
pub fn samples(runs: usize) -> Result<Vec<f64>, String> {
    (0..runs)
        .map(|_| {
            let start = clock::monotonic_ns();
            for _ in 0..ITERS {
                let status = Command::new(BENCH)
                    .arg("noop")
                    .status()
                    .map_err(|e| format!("spawn {BENCH}: {e}"))?;
                if !status.success() {
                    return Err(format!("{BENCH} noop: {status}"));
                }
            }
            Ok((clock::monotonic_ns() - start) as f64 / f64::from(ITERS))
        })
        .collect()
}

/// Measures and reports one `exec` row: `case` names the kernel and the module whose
/// profiles `param` says are loaded or not; `ready` is whether loading them worked.
pub fn row(case: &str, param: &str, runs: usize, ready: Result<(), String>) {
    let row = Row {
        section: "exec",
        case,
        param,
        unit: "ns",
    };
    match ready.and_then(|()| samples(runs)) {
        Ok(s) => report::emit(&row, &s),
        Err(e) => report::fail(&row, &e),
    }
}

/// Loads `count` one-rule AppArmor profiles attached to binaries that do not exist, as
/// [`policy::many_profiles`] does for rustlsm.
pub fn load_apparmor_idle(count: usize) -> Result<(), String> {
    let file = "/tmp/bench-idle.apparmor";
    fs::write(file, policy::many_apparmor_profiles(count)).map_err(|e| e.to_string())?;
    run(Command::new(APPARMOR_PARSER).args(["-r", "-K", file])).map(drop)
}
