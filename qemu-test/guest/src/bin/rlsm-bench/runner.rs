//! Running programs and repeating timed steps.

use crate::clock;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd`; an error carries its exit status and the end of its stderr.
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        Err(format!(
            "{:?} {}: {}",
            cmd.get_program(),
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ))
    }
}

/// Microseconds `cmd` takes from spawn to exit; it must succeed.
pub fn time_command(cmd: &mut Command) -> Result<f64, String> {
    let start = clock::ticks();
    run(cmd)?;
    Ok(clock::us_since(start))
}

/// `runs` samples of `step` after one untimed call (caches warm, first-use work done),
/// stopping at the first error.
pub fn samples(
    runs: usize,
    mut step: impl FnMut() -> Result<f64, String>,
) -> Result<Vec<f64>, String> {
    step()?;
    (0..runs).map(|_| step()).collect()
}

/// Like [`samples`] but without the untimed call, and stopping after `budget` once three
/// samples are in: compiling 10,000 AppArmor rules takes minutes under TCG, and three runs
/// still give a median and a spread.
pub fn samples_within(
    runs: usize,
    budget: Duration,
    mut step: impl FnMut() -> Result<f64, String>,
) -> Result<Vec<f64>, String> {
    let start = Instant::now();
    let mut out = Vec::new();
    while out.len() < runs && (out.len() < 3 || start.elapsed() < budget) {
        out.push(step()?);
    }
    Ok(out)
}
