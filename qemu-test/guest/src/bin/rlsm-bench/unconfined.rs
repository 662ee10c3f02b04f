//! Section 2: what tasks without any profile pay. The host boots the same kernel with and
//! without rustlsm in `lsm=` and runs this section in each; with rustlsm, a thousand profiles
//! sit loaded (attached to binaries nobody runs) while the loops run. Exec is measured before
//! and after a thousand idle profiles are loaded: rustlsm's with rustlsm, AppArmor's without
//! (after the loops, which they would not change).

use crate::child::{workloads, Start};
use crate::exec;
use crate::matrix::{self, Case};
use crate::policy;
use crate::runner::run;
use crate::{Options, BENCH, LSMCTL, SECFS};
use std::fs;
use std::process::Command;

/// How many idle profiles are loaded while unconfined tasks are measured.
pub const IDLE_PROFILES: usize = 1000;

/// Whether rustlsm is among the active LSMs.
pub fn rustlsm_active() -> bool {
    fs::read_to_string(format!("{SECFS}/lsm"))
        .map(|l| l.split(',').any(|m| m.trim() == "rustlsm"))
        .unwrap_or(false)
}

/// Loads [`IDLE_PROFILES`] one-rule profiles in one policy.
pub fn load_idle_profiles() -> Result<(), String> {
    let file = "/tmp/bench-idle.toml";
    fs::write(file, policy::many_profiles(IDLE_PROFILES)).map_err(|e| e.to_string())?;
    run(Command::new(LSMCTL).args(["load", file])).map(drop)
}

pub fn section(opts: &Options) {
    println!("unconfined tasks (nanoseconds per iteration)");
    let with = rustlsm_active();
    let exec_case = if with {
        "kernel with rustlsm: rustlsm profiles"
    } else {
        "kernel without rustlsm: AppArmor profiles"
    };
    let loaded = format!("{IDLE_PROFILES} loaded");
    exec::row(exec_case, "none loaded", opts.runs, Ok(()));
    let name = if with {
        if let Err(e) = load_idle_profiles() {
            println!("cannot load the idle profiles: {e}");
            return;
        }
        exec::row(exec_case, &loaded, opts.runs, Ok(()));
        format!("with rustlsm ({IDLE_PROFILES} profiles)")
    } else {
        "without rustlsm".to_string()
    };
    let cases = [Case {
        name,
        start: Start::Direct(BENCH.into()),
        confined: false,
    }];
    let loops = workloads(opts.fs_iters, opts.net_iters);
    matrix::measure("unconfined", &cases, &loops, opts.runs);
    if !with {
        let ready = exec::load_apparmor_idle(IDLE_PROFILES);
        exec::row(exec_case, &loaded, opts.runs, ready);
    }
}
