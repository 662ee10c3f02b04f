//! `rlsm-bench icount`: instructions per open()+fstat()+close() of an allowed file, unconfined
//! and under a rustlsm profile of [`RULES`] rules, for a guest booted with QEMU's
//! `-icount shift=0,sleep=off -smp 1` (scripts/bench-icount.sh). Guest time then advances one
//! nanosecond per instruction, so CLOCK_MONOTONIC measures instructions and two boots of the
//! same kernel give the same figures.
//!
//! Each sample is one child (`rlsm-bench loop icount PATH N`); the figure of a case is the
//! best (lowest) of `--runs` samples. The idle profiles sit loaded, as in `rlsm-bench full`.
//! One `ICOUNT,depth,path,unconfined,confined,unconfined samples,confined samples` line per
//! depth goes to the host, which prints the table; then one
//! `ICOUNT-EXEC,profiles loaded,instructions,samples` line for an unconfined spawn of a
//! static program before and after the idle profiles are loaded.

use crate::child::{icount_workloads, sample_raw, Start};
use crate::exec;
use crate::policy;
use crate::runner::run;
use crate::unconfined;
use crate::{Options, BENCH, LSMCTL};
use std::fs;
use std::process::Command;

/// The confined case's rule count.
pub const RULES: usize = 10;
/// The copy of the bench binary the profile attaches to.
const BIN: &str = "/usr/bin/rlsm-bench-icount";

/// Loads the profile; returns the binary it confines.
fn load_profile() -> Result<String, String> {
    fs::create_dir_all(policy::WORK).map_err(|e| format!("{}: {e}", policy::WORK))?;
    fs::copy(BENCH, BIN).map_err(|e| format!("copy to {BIN}: {e}"))?;
    let toml = format!("{}/icount.toml", policy::WORK);
    let profile = policy::icount_profile("rlsm-bench-icount", BIN, RULES);
    fs::write(&toml, profile).map_err(|e| format!("{toml}: {e}"))?;
    run(Command::new(LSMCTL).args(["load", &toml]))?;
    Ok(BIN.into())
}

fn join(samples: &[f64]) -> String {
    let v: Vec<String> = samples.iter().map(|s| format!("{s:.1}")).collect();
    v.join(";")
}

fn best(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Runs the section; an error stops it (the host then fails the run).
pub fn section(opts: &Options) -> Result<(), String> {
    if !unconfined::rustlsm_active() {
        return Err("rustlsm is not active (see lsm=)".into());
    }
    let exec_without = exec::samples(opts.runs)?;
    unconfined::load_idle_profiles().map_err(|e| format!("idle profiles: {e}"))?;
    let exec_with = exec::samples(opts.runs)?;
    let cases = [
        (Start::Direct(BENCH.into()), false),
        (Start::Direct(load_profile()?), true),
    ];
    let loops = icount_workloads(opts.fs_iters);
    let mut results = vec![[Vec::new(), Vec::new()]; loops.len()];
    for _ in 0..opts.runs {
        for (workload, per_case) in loops.iter().zip(results.iter_mut()) {
            for ((start, confined), samples) in cases.iter().zip(per_case.iter_mut()) {
                let value = sample_raw(start, workload, *confined)
                    .map_err(|e| format!("{}: {e}", workload.label))?;
                samples.push(value);
            }
        }
    }
    // Denials of the children's probes reach the console late (kauditd); let them pass before
    // the result lines, which they could otherwise break.
    std::thread::sleep(std::time::Duration::from_secs(1));
    for ((depth, path), [free, confined]) in policy::icount_paths().into_iter().zip(&results) {
        println!(
            "ICOUNT,{depth},{path},{:.1},{:.1},{},{}",
            best(free),
            best(confined),
            join(free),
            join(confined)
        );
    }
    for (profiles, samples) in [(0, &exec_without), (unconfined::IDLE_PROFILES, &exec_with)] {
        println!(
            "ICOUNT-EXEC,{profiles},{:.1},{}",
            best(samples),
            join(samples)
        );
    }
    Ok(())
}
