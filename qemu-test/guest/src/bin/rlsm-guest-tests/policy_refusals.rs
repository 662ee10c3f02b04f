//! Refused policy requests (manage.rs, securityfs.rs): blobs over the size caps, bad buffers,
//! unknown operations and flags, an LSM that manages no policy, and writes at an offset each
//! get their documented errno and leave the policy unchanged; the kernel log and `lsmctl`
//! explain a refusal in words, and `lsmctl` falls back to securityfs without the system call.

use crate::harness::{compiled, expect_open, kernel_log, lsmctl, run};
use crate::policy_loading::{manage, securityfs_write, snapshot, sys_manage, Snapshot};
use crate::{check, Suite, DEMO, LSMCTL, PROBE, SECFS};
use rustlsm_policy::abi::LSM_POLICY_LOAD as LOAD;
use rustlsm_policy::wire;
use std::fs;
use std::os::unix::fs::FileExt;
use std::process::Command;

/// Runs lsmctl under ptrace, answering its `lsm_manage_policy()` calls with `errno` as a
/// kernel would (the test kernel has no seccomp); returns its exit code and output.
fn with_manage_policy_errno(errno: i32, args: &[&str]) -> Result<(i32, String), String> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(LSMCTL);
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    // SAFETY: Between fork and exec the closure makes one system call.
    unsafe {
        cmd.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let mut child = cmd.spawn().map_err(|e| format!("lsmctl: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut entering = true;
    let mut injected = 0;
    let mut skipping = false;
    let mut first = true;
    // SAFETY: ptrace and waitpid on our own traced child; `regs` is a plain struct the kernel
    // fills and reads.
    let code = unsafe {
        loop {
            if libc::waitpid(pid, &mut status, 0) != pid {
                break -1;
            }
            if libc::WIFEXITED(status) {
                break libc::WEXITSTATUS(status);
            }
            if libc::WIFSIGNALED(status) {
                break -1;
            }
            let sig = libc::WSTOPSIG(status);
            let mut pass = 0;
            if first {
                // The stop after exec: from here on, stop at every system call.
                first = false;
                libc::ptrace(
                    libc::PTRACE_SETOPTIONS,
                    pid,
                    0,
                    libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_EXITKILL,
                );
            } else if sig == libc::SIGTRAP | 0x80 {
                let mut regs: libc::user_regs_struct = std::mem::zeroed();
                libc::ptrace(libc::PTRACE_GETREGS, pid, 0, &mut regs);
                if entering && regs.orig_rax == 473 {
                    // No such call: the kernel skips it, and the exit stop sets the result.
                    regs.orig_rax = u64::MAX;
                    libc::ptrace(libc::PTRACE_SETREGS, pid, 0, &regs);
                    injected += 1;
                    skipping = true;
                } else if !entering && skipping {
                    regs.rax = (-errno) as u64;
                    libc::ptrace(libc::PTRACE_SETREGS, pid, 0, &regs);
                    skipping = false;
                }
                entering = !entering;
            } else {
                pass = sig;
            }
            libc::ptrace(libc::PTRACE_SYSCALL, pid, 0, pass);
        }
    };
    let mut out = String::new();
    for pipe in [
        child.stdout.take().map(|p| Box::new(p) as Box<dyn Read>),
        child.stderr.take().map(|p| Box::new(p) as Box<dyn Read>),
    ]
    .into_iter()
    .flatten()
    {
        let mut pipe = pipe;
        let _ = pipe.read_to_string(&mut out);
    }
    check(injected > 0, || {
        format!("lsmctl made no lsm_manage_policy() call: {out}")
    })?;
    Ok((code, out))
}

/// Compiles the demo profile (the valid blob the refusals start from) and loads it; returns
/// the blob and the policy as loaded.
pub(crate) fn load_demo(s: &mut Suite) -> (Vec<u8>, Snapshot) {
    let valid = match compiled(&fs::read_to_string(DEMO).unwrap_or_default(), "valid") {
        Ok(b) => b,
        Err(e) => {
            s.case("compile the demo profile", || Err(e));
            Vec::new()
        }
    };
    s.case("load the demo profile for the hostile-input cases", || {
        lsmctl(&["load", DEMO])
    });
    let baseline = snapshot();
    (valid, baseline)
}

/// Bad requests at both interfaces.
pub(crate) fn interfaces(s: &mut Suite, valid: &[u8], baseline: &Snapshot) {
    let unchanged = |what: &str| baseline.unchanged(what);
    let mut oversized = valid.to_vec();
    oversized.resize(wire::MAX_BLOB_LEN + 1, 0);
    s.case(
        "syscall refuses a blob over rustlsm's cap with E2BIG",
        || {
            let got = manage(LOAD, &oversized, 0);
            check(got == libc::E2BIG, || format!("errno {got}"))?;
            unchanged("oversized")
        },
    );
    s.case(
        "syscall refuses a size over the common cap with E2BIG",
        || {
            let got = sys_manage(LOAD, valid.as_ptr(), 64 << 20 | 1, 0, 114);
            check(got == libc::E2BIG, || format!("errno {got}"))
        },
    );
    s.case("securityfs refuses an oversized blob with E2BIG", || {
        let got = securityfs_write("load", &oversized);
        check(got == libc::E2BIG, || format!("errno {got}"))?;
        unchanged("oversized")
    });
    s.case(
        "syscall refuses size 0, a NULL and an unmapped buffer",
        || {
            let got = manage(LOAD, &[], 0);
            check(got == libc::EINVAL, || format!("size 0: errno {got}"))?;
            let got = sys_manage(LOAD, std::ptr::null(), 64, 0, 114);
            check(got == libc::EFAULT, || format!("NULL: errno {got}"))?;
            let got = sys_manage(LOAD, 0x10 as *const u8, 64, 0, 114);
            check(got == libc::EFAULT, || format!("unmapped: errno {got}"))?;
            unchanged("bad buffers")
        },
    );
    s.case(
        "syscall refuses an unknown op and reserved flags with EINVAL",
        || {
            for (op, flags) in [
                // 0, the numbers before the renumbering, and the first unassigned one.
                (0u32, 0u32),
                (1, 0),
                (2, 0),
                (102, 0),
                (LOAD, 1),
                (LOAD, 0x8000),
                (LOAD, 1 << 17),
                (LOAD, 1 << 31),
            ] {
                let got = manage(op, valid, flags);
                check(got == libc::EINVAL, || {
                    format!("op {op} flags {flags:#x}: errno {got}")
                })?;
            }
            unchanged("bad op/flags")
        },
    );
    s.case(
        "syscall to an LSM id that manages no policy gets EOPNOTSUPP",
        || {
            let got = sys_manage(LOAD, valid.as_ptr(), valid.len() as u32, 0, 999);
            check(got == libc::EOPNOTSUPP, || format!("errno {got}"))
        },
    );
    s.case(
        "securityfs refuses a write at a non-zero offset with ESPIPE",
        || {
            let f = fs::OpenOptions::new()
                .write(true)
                .open(format!("{SECFS}/load"))
                .map_err(|e| e.to_string())?;
            let got = f
                .write_at(valid, 1)
                .map_or_else(|e| e.raw_os_error().unwrap_or(-1), |_| 0);
            check(got == libc::ESPIPE, || format!("errno {got}"))?;
            unchanged("offset write")
        },
    );
}

/// How a refusal is explained, and that the policy still enforces after them all.
pub(crate) fn explained(s: &mut Suite, valid: &[u8]) {
    s.case("lsmctl explains a refusal in words", || {
        fs::write("/tmp/garbage.bin", b"RLSM\x63\x00garbage").map_err(|e| e.to_string())?;
        let (code, out) = run(LSMCTL, &["load", "/tmp/garbage.bin"]);
        check(code != 0 && out.contains("byte"), || out)
    });
    s.case(
        "the kernel log names the reason and byte offset of a malformed policy",
        || {
            // Two different faults in turn, each of which must be the newest refusal line:
            // the second one cannot be an old line. The reason and offset are the ones the
            // verifier gives in userspace.
            let r = wire::HEADER_LEN;
            for (what, at, value) in [("reserved field", r + 12, 1u8), ("mode", r + 4, 9)] {
                let mut blob = valid.to_vec();
                *blob.get_mut(at).ok_or("no demo blob")? = value;
                let e = wire::verify(&blob)
                    .err()
                    .ok_or(format!("{what}: verifies"))?;
                let got = manage(LOAD, &blob, 0);
                check(got == libc::EINVAL, || format!("{what}: errno {got}"))?;
                let want = format!(
                    "policy load refused: {} (at byte {})",
                    e.kind.describe(),
                    e.offset
                );
                let log = kernel_log();
                let last = log
                    .lines()
                    .rfind(|l| l.contains("policy load refused:"))
                    .unwrap_or("(none)");
                check(last.ends_with(&want), || {
                    format!("{what}: newest refusal line {last:?}, expected {want:?}")
                })?;
            }
            Ok(())
        },
    );
    s.case(
        "lsmctl explains the kernel's EPERM and EINVAL in words",
        || {
            use std::os::unix::process::CommandExt;
            // EPERM: the system call refuses a caller without CAP_MAC_ADMIN.
            let out = Command::new(LSMCTL)
                .args(["load", "--via", "syscall", DEMO])
                .uid(65534)
                .gid(65534)
                .output()
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&out.stderr);
            check(
                !out.status.success()
                    && text.contains("changing policy needs CAP_MAC_ADMIN")
                    && text.contains("os error 1)"),
                || format!("as nobody: {text}"),
            )?;
            // EINVAL: lsmctl verifies a policy before sending it, so rustlsm's own EINVAL never
            // reaches it; a seccomp filter stands in for the kernel's answer.
            let (code, text) = with_manage_policy_errno(libc::EINVAL, &["load", DEMO])?;
            check(
                code != 0
                    && text.contains("refused the policy as malformed")
                    && text.contains("names the reason and byte offset")
                    && text.contains("os error 22)"),
                || format!("EINVAL: {text}"),
            )
        },
    );
    s.case(
        "lsmctl falls back to securityfs when the system call is missing",
        || {
            let (code, text) = with_manage_policy_errno(libc::ENOSYS, &["load", DEMO])?;
            check(code == 0 && text.contains("via securityfs"), || text)?;
            expect_open(PROBE, "/etc/shadow", "r", libc::EACCES)
        },
    );
    s.case("the policy still enforces after every refusal", || {
        expect_open(PROBE, "/etc/shadow", "r", libc::EACCES)?;
        expect_open(PROBE, "/etc/passwd", "r", 0)
    });
}
