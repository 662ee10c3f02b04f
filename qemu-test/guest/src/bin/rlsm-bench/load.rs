//! Section 1: how long loading a policy takes, end to end and in the kernel alone, for rustlsm
//! and AppArmor, at several rule counts.
//!
//! "Kernel alone" is one system call or one write() of an already compiled policy, timed
//! around that call: compiling (lsmctl compile, apparmor_parser -Q) happens before, untimed.
//! AppArmor has no lsm_manage_policy() support in this kernel, so securityfs is its only
//! kernel interface.

use crate::clock;
use crate::policy;
use crate::report::{self, Row};
use crate::runner::{run, samples, samples_within, time_command};
use crate::{APPARMOR_PARSER, LSMCTL, SECFS};
use std::fs;
use std::io::{self, Write};
use std::process::Command;
use std::time::Duration;

/// Time after which end-to-end loads stop repeating (once they have three samples).
const END_TO_END_BUDGET: Duration = Duration::from_secs(120);

const SYS_LSM_MANAGE_POLICY: libc::c_long = 473;
const LSM_ID_RUSTLSM: u32 = 114;
const LSM_POLICY_LOAD: u32 = 1;

/// Microseconds one `lsm_manage_policy(rustlsm, LOAD, blob, flags)` takes.
fn syscall_load(blob: &[u8], flags: u32) -> Result<f64, String> {
    let len = u32::try_from(blob.len()).map_err(|_| "blob too large".to_string())?;
    let start = clock::ticks();
    // SAFETY: the kernel reads at most `len` bytes of `blob`.
    let rc = unsafe {
        libc::syscall(
            SYS_LSM_MANAGE_POLICY,
            LSM_ID_RUSTLSM,
            LSM_POLICY_LOAD,
            blob.as_ptr(),
            len,
            flags,
        )
    };
    let us = clock::us_since(start);
    if rc == 0 {
        Ok(us)
    } else {
        Err(format!("lsm_manage_policy: {}", io::Error::last_os_error()))
    }
}

/// Microseconds one write() of `blob` to `file` takes (the open is not timed).
pub fn securityfs_write(file: &str, blob: &[u8]) -> Result<f64, String> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(file)
        .map_err(|e| format!("{file}: {e}"))?;
    let start = clock::ticks();
    let n = f.write(blob).map_err(|e| format!("write {file}: {e}"))?;
    let us = clock::us_since(start);
    if n == blob.len() {
        Ok(us)
    } else {
        Err(format!("short write to {file}"))
    }
}

fn measure(n: usize, case: &str, result: Result<Vec<f64>, String>) {
    let param = n.to_string();
    let row = Row {
        section: "load",
        case,
        param: &param,
        unit: "us",
    };
    match result {
        Ok(s) => report::emit(&row, &s),
        Err(e) => report::fail(&row, &e),
    }
}

fn rustlsm(n: usize, runs: usize) {
    let toml = policy::file("rustlsm", n, "toml");
    let bin = policy::file("rustlsm", n, "bin");
    let profile = policy::rustlsm_profile(
        &policy::name("rustlsm", n),
        &policy::binary("rustlsm", n),
        n,
    );
    let compiled = fs::write(&toml, profile)
        .map_err(|e| e.to_string())
        .and_then(|()| run(Command::new(LSMCTL).args(["compile", &toml, "-o", &bin])))
        .and_then(|_| fs::read(&bin).map_err(|e| e.to_string()));
    let blob = match compiled {
        Ok(b) => b,
        Err(e) => {
            measure(n, "rustlsm: lsmctl compile", Err(e));
            return;
        }
    };
    measure(
        n,
        "rustlsm: lsmctl load (end to end)",
        samples_within(runs, END_TO_END_BUDGET, || {
            time_command(Command::new(LSMCTL).args(["load", &toml]))
        }),
    );
    let dry_run = rustlsm_policy::wire::FLAG_DRY_RUN;
    measure(
        n,
        "rustlsm: syscall dry run (kernel)",
        samples(runs, || syscall_load(&blob, dry_run)),
    );
    measure(
        n,
        "rustlsm: syscall load (kernel)",
        samples(runs, || syscall_load(&blob, 0)),
    );
    let load = format!("{SECFS}/rustlsm/load");
    measure(
        n,
        "rustlsm: securityfs load (kernel)",
        samples(runs, || securityfs_write(&load, &blob)),
    );
}

fn apparmor(n: usize, runs: usize) {
    let profile = policy::file("apparmor", n, "profile");
    let bin = policy::file("apparmor", n, "bin");
    let text = policy::apparmor_profile(
        &policy::name("apparmor", n),
        &policy::binary("apparmor", n),
        n,
    );
    let written = fs::write(&profile, text).map_err(|e| e.to_string());
    // -K: no cache, so every run compiles; -r: replace (or add) in the kernel.
    measure(
        n,
        "apparmor: apparmor_parser -r (end to end)",
        written.clone().and_then(|()| {
            samples_within(runs, END_TO_END_BUDGET, || {
                time_command(Command::new(APPARMOR_PARSER).args(["-r", "-K", &profile]))
            })
        }),
    );
    // -Q: compile only, -o: the binary policy the kernel takes.
    let compiled = written
        .and_then(|()| run(Command::new(APPARMOR_PARSER).args(["-Q", "-K", "-o", &bin, &profile])))
        .and_then(|_| fs::read(&bin).map_err(|e| e.to_string()));
    let replace = format!("{SECFS}/apparmor/.replace");
    measure(
        n,
        "apparmor: .replace write (kernel)",
        compiled.and_then(|blob| samples(runs, || securityfs_write(&replace, &blob))),
    );
}

/// Measures loading policies of each of `rule_counts`, `runs` times each, then removes them
/// (the unconfined measurements come next) but keeps their compiled forms in
/// [`policy::WORK`].
pub fn section(rule_counts: &[usize], runs: usize) {
    println!("policy load (microseconds; kernel = one syscall or write of a compiled policy)");
    if let Err(e) = fs::create_dir_all(policy::WORK) {
        println!("cannot create {}: {e}", policy::WORK);
        return;
    }
    for &n in rule_counts {
        rustlsm(n, runs);
        apparmor(n, runs);
        let _ = run(Command::new(LSMCTL).args(["remove", &policy::name("rustlsm", n)]));
        let _ = securityfs_write(
            &format!("{SECFS}/apparmor/.remove"),
            policy::name("apparmor", n).as_bytes(),
        );
    }
}
