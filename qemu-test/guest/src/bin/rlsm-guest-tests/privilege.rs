//! Who may change the policy: only a task holding CAP_MAC_ADMIN in the initial user
//! namespace, running unconfined, through a securityfs descriptor that such a task opened.
//! Every other caller is refused (EPERM, or EACCES where file permissions or file rules stop
//! it first), the policy stays byte-identical, and rustlsm's own refusals are logged.

use crate::harness::kernel_log;
use crate::policy_loading::{manage, securityfs_write, snapshot, sys_manage};
use crate::{check, Outcome, Suite, FREE_PROBE, PROBE, SECFS};
use std::fs;
use std::io::Write;

use rustlsm_policy::abi::{LSM_POLICY_LOAD as LOAD, LSM_POLICY_REMOVE as REMOVE};

/// Runs `f` in a child that has entered a new user namespace, where it is root with every
/// capability (but none in the initial namespace); returns what `f` returned.
fn as_userns_root(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: The child only makes system calls and runs `f`, then exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: A plain system call in the child.
        if unsafe { libc::unshare(libc::CLONE_NEWUSER) } != 0 {
            // SAFETY: Leaves the child without running the parent's destructors.
            unsafe { libc::_exit(250) };
        }
        let code = f();
        // SAFETY: As above.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: Waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    libc::WEXITSTATUS(status)
}

/// Runs `f` in a child that has dropped to uid/gid 65534 (and so lost every capability);
/// returns what `f` returned.
fn as_nobody(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: The child only calls async-signal-safe functions and `f`, then exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: Plain system calls in the child.
        unsafe {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setresgid(65534, 65534, 65534) != 0
                || libc::setresuid(65534, 65534, 65534) != 0
            {
                libc::_exit(250);
            }
        }
        let code = f();
        // SAFETY: Leaves the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: Waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    libc::WEXITSTATUS(status)
}

/// rustlsm's log line for a system call refused for want of CAP_MAC_ADMIN.
const SYSCALL_REFUSAL: &str = "interface=syscall reason=\"the caller lacks CAP_MAC_ADMIN\"";

/// Lines of the kernel log that record a refused policy change and contain `what` (a
/// reason from rustlsm's checks).
fn logged(what: &str) -> usize {
    kernel_log()
        .lines()
        .filter(|l| l.contains("REFUSED op=policy_change"))
        .filter(|l| l.contains(what))
        .count()
}

/// A probe under a profile that keeps CAP_MAC_ADMIN and may open the securityfs files, so
/// only rustlsm's rule against confined callers stands between it and the policy.
const ADMIN_PROBE: &str = "/usr/bin/rlsm-probe-admin";
const ADMIN_PROFILE: &str = r#"
[profile.admin]
attach = ["/usr/bin/rlsm-probe-admin"]
capabilities = ["mac_admin"]

[[profile.admin.rule]]
allow = ["read"]
paths = ["/tmp/demo/**"]

[[profile.admin.rule]]
allow = ["write"]
paths = ["/sys/kernel/security/rustlsm/{load,remove}"]
"#;

/// A sandbox layer that refuses no read, exec or mmap.
const OPEN_LAYER: &str = r#"
[profile.open-layer]
[[profile.open-layer.rule]]
allow = ["read", "exec"]
paths = ["/**"]
"#;

/// Checks `errno` is one of `allowed`.
fn refused(what: &str, errno: i32, allowed: &[i32]) -> Outcome {
    check(allowed.contains(&errno), || {
        format!("{what}: errno {errno}")
    })
}

/// The cases [`run`] registers.
pub(crate) const CASES: u32 = 8;

pub(crate) fn run(s: &mut Suite, valid: &[u8]) {
    s.case("privilege: load the CAP_MAC_ADMIN-keeping profile", || {
        fs::copy(PROBE, ADMIN_PROBE).map_err(|e| e.to_string())?;
        fs::write("/tmp/admin.toml", ADMIN_PROFILE).map_err(|e| e.to_string())?;
        crate::harness::lsmctl(&["load", "/tmp/admin.toml"])
    });
    let baseline = snapshot();
    let unchanged = |what: &str| baseline.unchanged(what);
    let eperm = &[libc::EPERM][..];
    let eacces = &[libc::EACCES][..];
    let mut cases = 0;

    s.case(
        "privilege: a caller without CAP_MAC_ADMIN is refused by both interfaces",
        || {
            cases += 3;
            let common = SYSCALL_REFUSAL;
            let before = logged(common);
            refused("syscall load", as_nobody(|| manage(LOAD, valid, 0)), eperm)?;
            refused(
                "syscall remove",
                as_nobody(|| manage(REMOVE, b"demo", 0)),
                eperm,
            )?;
            // The file is root's, mode 0200: file permissions stop the open.
            refused(
                "securityfs load",
                as_nobody(|| securityfs_write("load", valid)),
                eacces,
            )?;
            let after = logged(common);
            check(after >= before + 2, || {
                format!("{} lines logged for 2 system call refusals", after - before)
            })?;
            unchanged("an unprivileged caller")
        },
    );
    // The framework asks rustlsm before it copies anything, so an unprivileged caller cannot
    // make the kernel allocate or fill a buffer: a pointer that cannot be read is never
    // read, and the answer is the refusal (EPERM), not EFAULT; so is a size over the cap.
    s.case(
        "privilege: an unprivileged call is refused before anything is copied",
        || {
            cases += 1;
            let bad = 0x10 as *const u8;
            let id = rustlsm_policy::abi::LSM_ID_RUSTLSM;
            let got = as_nobody(|| sys_manage(LOAD, bad, 16 << 20, 0, id));
            refused("syscall load from an unreadable 16 MiB buffer", got, eperm)?;
            unchanged("an unprivileged caller with a bad pointer")
        },
    );
    s.case(
        "privilege: root in a user namespace is refused by both interfaces",
        || {
            cases += 3;
            let common = SYSCALL_REFUSAL;
            let before = logged(common);
            let got = as_userns_root(|| manage(LOAD, valid, 0));
            check(got != 250, || "unshare(CLONE_NEWUSER) failed".into())?;
            refused("syscall load", got, eperm)?;
            refused(
                "syscall remove",
                as_userns_root(|| manage(REMOVE, b"demo", 0)),
                eperm,
            )?;
            // Still uid 0 outside, so file permissions let the open through: the refusal is
            // the capability check's, EPERM alone.
            refused(
                "securityfs load",
                as_userns_root(|| securityfs_write("load", valid)),
                eperm,
            )?;
            let after = logged(common);
            check(after >= before + 2, || {
                format!("{} lines logged for 2 system call refusals", after - before)
            })?;
            unchanged("root in a user namespace")
        },
    );
    s.case(
        "privilege: a securityfs fd opened by root is refused to an unprivileged writer, and logged",
        || {
            cases += 2;
            let before = logged("the writer lacks CAP_MAC_ADMIN");
            for file in ["load", "remove"] {
                let f = fs::OpenOptions::new()
                    .write(true)
                    .open(format!("{SECFS}/{file}"))
                    .map_err(|e| e.to_string())?;
                let payload: &[u8] = if file == "load" { valid } else { b"demo" };
                let got = as_nobody(|| match (&f).write(payload) {
                    Ok(_) => 0,
                    Err(e) => e.raw_os_error().unwrap_or(-1),
                });
                refused(file, got, eperm)?;
            }
            let after = logged("the writer lacks CAP_MAC_ADMIN");
            check(after >= before + 2, || {
                format!("{} refusal lines logged for 2 refusals", after - before)
            })?;
            unchanged("a confused deputy")
        },
    );
    s.case(
        "privilege: a confined task without CAP_MAC_ADMIN cannot change policy, logged",
        || {
            // The blob sits where demo lets the probe read it, so only the change is refused.
            fs::create_dir_all("/tmp/demo").map_err(|e| e.to_string())?;
            fs::write("/tmp/demo/valid.bin", valid).map_err(|e| e.to_string())?;
            let common = SYSCALL_REFUSAL;
            let before = logged(common);
            cases += 4;
            // `valid` holds the probe's own profile: loading it is a replacement. The
            // profile does not keep CAP_MAC_ADMIN, so rustlsm's capability check refuses.
            let replace = crate::harness::run(PROBE, &["load", "/tmp/demo/valid.bin"]).0;
            refused("replace own", replace, eperm)?;
            refused(
                "remove own",
                crate::harness::run(PROBE, &["remove", "demo"]).0,
                eperm,
            )?;
            refused(
                "remove other",
                crate::harness::run(PROBE, &["remove", "small"]).0,
                eperm,
            )?;
            // securityfs: the profile's file rules stop the open first (EACCES).
            let got = crate::harness::run(PROBE, &["securityfs-load", "/tmp/demo/valid.bin"]).0;
            refused("securityfs load", got, eacces)?;
            let after = logged(common);
            check(after >= before + 3, || {
                format!("{} refusal lines logged for 3 refusals", after - before)
            })?;
            unchanged("a confined caller")
        },
    );
    s.case(
        "privilege: a confined task that keeps CAP_MAC_ADMIN is refused by rustlsm, logged",
        || {
            let reason = "the caller is confined";
            let before = logged(reason);
            cases += 3;
            let replace = crate::harness::run(ADMIN_PROBE, &["load", "/tmp/demo/valid.bin"]).0;
            refused("load", replace, eperm)?;
            refused(
                "remove",
                crate::harness::run(ADMIN_PROBE, &["remove", "demo"]).0,
                eperm,
            )?;
            let got =
                crate::harness::run(ADMIN_PROBE, &["securityfs-load", "/tmp/demo/valid.bin"]).0;
            refused("securityfs load", got, eperm)?;
            let after = logged(reason);
            check(after >= before + 3, || {
                format!("{} refusal lines logged for 3 refusals", after - before)
            })?;
            unchanged("a confined caller holding CAP_MAC_ADMIN")
        },
    );
    s.case(
        "privilege: choosing the profile of one's next exec is refused to the unprivileged, \
         the confined and the sandboxed",
        || {
            let reason = "interface=exec_attr";
            let before = logged(reason);
            cases += 4;
            let choose = ["exec-as", "demo", FREE_PROBE, "whoami"];
            let probe = |prog: &str| crate::harness::run(prog, &choose).0;
            refused("unprivileged", as_nobody(|| probe(FREE_PROBE)), eperm)?;
            refused(
                "root in a user namespace",
                as_userns_root(|| probe(FREE_PROBE)),
                eperm,
            )?;
            refused("confined, with CAP_MAC_ADMIN", probe(ADMIN_PROBE), eperm)?;
            // A sandbox that lets everything be read and run: only the choice is refused.
            let layer = crate::harness::compiled(OPEN_LAYER, "open-layer")
                .map(|_| "/tmp/open-layer.bin")?;
            let mut sandboxed = vec!["restrict", layer, "1"];
            sandboxed.extend([FREE_PROBE].iter().chain(choose.iter()));
            let (code, out) = crate::harness::run(FREE_PROBE, &sandboxed);
            check(code == libc::EPERM && out.contains("stacked 1"), || {
                format!("sandboxed: {code}: {out}")
            })?;
            let after = logged(reason);
            check(after >= before + 4, || {
                format!("{} refusal lines logged for 4 refusals", after - before)
            })
        },
    );
    println!("# privilege cases refused: {cases}");
}
