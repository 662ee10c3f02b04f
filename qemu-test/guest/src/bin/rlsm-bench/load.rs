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

use rustlsm_policy::abi::{LSM_ID_RUSTLSM, LSM_POLICY_LOAD, SYS_LSM_MANAGE_POLICY};

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
    // AppArmor's audit records of the loads reach the console late (kauditd); let them pass
    // before the result line, which they could otherwise break.
    std::thread::sleep(Duration::from_secs(1));
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

/// The policy's two variants (see policy.rs), written as `ext` files and compiled by
/// `compile(source, output)`: their source paths and compiled bytes.
fn prepare(
    lsm: &str,
    n: usize,
    ext: &str,
    text: impl Fn(usize) -> String,
    compile: impl Fn(&str, &str) -> Result<String, String>,
) -> Result<(Vec<String>, Vec<Vec<u8>>), String> {
    let mut sources = Vec::new();
    let mut blobs = Vec::new();
    for variant in [0, 1] {
        let source = policy::file(lsm, n, variant, ext);
        let bin = policy::file(lsm, n, variant, "bin");
        fs::write(&source, text(variant)).map_err(|e| format!("{source}: {e}"))?;
        compile(&source, &bin)?;
        blobs.push(fs::read(&bin).map_err(|e| format!("{bin}: {e}"))?);
        sources.push(source);
    }
    if blobs[0] == blobs[1] {
        return Err("both variants compile to the same policy".into());
    }
    Ok((sources, blobs))
}

/// A step that takes `pair[0]`, `pair[1]`, `pair[0]`, ... on successive calls.
fn alternating<'a, T>(
    pair: &'a [T],
    mut step: impl FnMut(&T) -> Result<f64, String> + 'a,
) -> impl FnMut() -> Result<f64, String> + 'a {
    let mut i = 0;
    move || {
        i += 1;
        step(&pair[(i - 1) % pair.len()])
    }
}

fn rustlsm(n: usize, runs: usize) {
    let (name, attach) = (policy::name("rustlsm", n), policy::binary("rustlsm", n));
    let prepared = prepare(
        "rustlsm",
        n,
        "toml",
        |v| policy::rustlsm_profile(&name, &attach, n, v),
        |src, out| run(Command::new(LSMCTL).args(["compile", src, "-o", out])),
    )
    // Variant 1 loaded first: the first timed load (variant 0) replaces it, as all others do.
    .and_then(|(tomls, blobs)| syscall_load(&blobs[1], 0).map(|_| (tomls, blobs)));
    let (tomls, blobs) = match prepared {
        Ok(p) => p,
        Err(e) => {
            measure(n, "rustlsm: lsmctl load (end to end)", Err(e));
            return;
        }
    };
    measure(
        n,
        "rustlsm: lsmctl load (end to end)",
        samples_within(
            runs,
            END_TO_END_BUDGET,
            alternating(&tomls, |toml| {
                time_command(Command::new(LSMCTL).args(["load", toml]))
            }),
        ),
    );
    let dry_run = rustlsm_policy::wire::FLAG_DRY_RUN;
    measure(
        n,
        "rustlsm: syscall dry run (kernel)",
        samples(runs, alternating(&blobs, |b| syscall_load(b, dry_run))),
    );
    measure(
        n,
        "rustlsm: syscall load (kernel)",
        samples(runs, alternating(&blobs, |b| syscall_load(b, 0))),
    );
    let load = format!("{SECFS}/rustlsm/load");
    measure(
        n,
        "rustlsm: securityfs load (kernel)",
        samples(runs, alternating(&blobs, |b| securityfs_write(&load, b))),
    );
}

fn apparmor(n: usize, runs: usize) {
    let (name, attach) = (policy::name("apparmor", n), policy::binary("apparmor", n));
    let replace = format!("{SECFS}/apparmor/.replace");
    // -Q: compile only, -K: no cache, -o: the binary policy the kernel takes.
    let prepared = prepare(
        "apparmor",
        n,
        "profile",
        |v| policy::apparmor_profile(&name, &attach, n, v),
        |src, out| run(Command::new(APPARMOR_PARSER).args(["-Q", "-K", "-o", out, src])),
    )
    .and_then(|(profiles, blobs)| securityfs_write(&replace, &blobs[1]).map(|_| (profiles, blobs)));
    let (profiles, blobs) = match prepared {
        Ok(p) => p,
        Err(e) => {
            measure(n, "apparmor: apparmor_parser -r (end to end)", Err(e));
            return;
        }
    };
    // -r: replace; -K: every run compiles.
    measure(
        n,
        "apparmor: apparmor_parser -r (end to end)",
        samples_within(
            runs,
            END_TO_END_BUDGET,
            alternating(&profiles, |p| {
                time_command(Command::new(APPARMOR_PARSER).args(["-r", "-K", p]))
            }),
        ),
    );
    measure(
        n,
        "apparmor: .replace write (kernel)",
        samples(runs, alternating(&blobs, |b| securityfs_write(&replace, b))),
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
