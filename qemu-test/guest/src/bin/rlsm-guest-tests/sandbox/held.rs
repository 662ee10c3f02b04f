//! What a sandbox held before it was made: the caller's terminal keeps working but gives no
//! way to type into the caller's shell, take its foreground or lock it; an io_uring instance
//! from outside never gets in (its SQPOLL thread would work with its maker's credentials);
//! and a task that cannot be wholly covered (other threads, rings of its own) cannot stack a
//! layer at all.

use super::NOBODY;
use crate::escapes::descriptors::{ring, with_fd3};
use crate::{check, Outcome, Suite, FREE_PROBE, LSMCTL};
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

pub(super) const CASES: u32 = 3;

/// Runs `lsmctl run --rox /bin -- probe OP 0` (`sandboxed`) or `probe OP 0` as nobody with
/// a new pseudo-terminal as its controlling terminal and standard input, as a shell in a
/// terminal would; the exit status.
fn on_controlling_tty(op: &str, sandboxed: bool) -> Result<i32, String> {
    // SAFETY: Plain system calls on descriptors this function owns.
    let (master, slave) = unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        if master < 0 || libc::grantpt(master) != 0 || libc::unlockpt(master) != 0 {
            return Err(format!("ptmx: {}", std::io::Error::last_os_error()));
        }
        let name = libc::ptsname(master);
        // The terminal is the user's, as a login gives it to them.
        if name.is_null() || libc::chown(name, NOBODY, NOBODY) != 0 {
            return Err(format!("ptsname: {}", std::io::Error::last_os_error()));
        }
        (master, std::ffi::CStr::from_ptr(name).to_owned())
    };
    let mut cmd = if sandboxed {
        let mut cmd = Command::new(LSMCTL);
        cmd.args(["run", "--rox", "/bin", "--", FREE_PROBE, op, "0"]);
        cmd
    } else {
        let mut cmd = Command::new(FREE_PROBE);
        cmd.args([op, "0"]);
        cmd
    };
    cmd.uid(NOBODY)
        .gid(NOBODY)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid/open/dup2 are async-signal-safe; `slave` outlives the spawn.
    unsafe {
        cmd.pre_exec(move || {
            // A new session, whose first terminal opened becomes its controlling terminal.
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let fd = libc::open(slave.as_ptr(), libc::O_RDWR);
            if fd < 0 || libc::dup2(fd, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let status = cmd.status().map_err(|e| format!("{LSMCTL}: {e}"));
    // SAFETY: Closes the master this function opened.
    unsafe { libc::close(master) };
    Ok(status?.code().unwrap_or(-1))
}

/// `probe OP BLOB` as nobody under `no_new_privs` must end with `errno`.
fn busy(op: &str, blob: &str, errno: i32) -> Outcome {
    let (code, out) = super::nnp_probe(&format!("{op} {blob}"));
    check(code == errno, || {
        format!("{op} -> {code}, expected {errno}: {out}")
    })
}

pub(super) fn run(s: &mut Suite) {
    s.case(
        "sandbox: the caller's terminal takes no input and no foreground from inside",
        || {
            for op in ["tiocsti-fd", "tcsetpgrp-fd", "tiocexcl-fd"] {
                // Outside a sandbox each works on one's own controlling terminal ...
                let free = on_controlling_tty(op, false)?;
                check(free == 0, || format!("{op} outside a sandbox -> {free}"))?;
                // ... inside, the terminal held from before does not give them.
                let got = on_controlling_tty(op, true)?;
                check(got == libc::EACCES, || {
                    format!("{op} in a sandbox -> {got}")
                })?;
            }
            // What any program does with its terminal still works.
            let modes = on_controlling_tty("tcgets-fd", true)?;
            check(modes == 0, || format!("TCGETS in a sandbox -> {modes}"))
        },
    );
    s.case(
        "sandbox: an io_uring instance from outside never gets in (EBUSY, or closed)",
        || {
            let ring = ring()?;
            // The ring works where it was made ...
            let free = with_fd3(FREE_PROBE, &["uring-read", "3"], ring.as_raw_fd());
            check(free.0 == 0, || {
                format!("uring-read 3 outside a sandbox: {free:?}")
            })?;
            // ... the kernel refuses to sandbox a task that holds it ...
            let blob = super::layer_blob("held", "[profile.layer]\n")?;
            let (code, out) = with_fd3(FREE_PROBE, &["restrict", &blob, "1"], ring.as_raw_fd());
            check(code == libc::EBUSY, || {
                format!("restrict holding a ring -> {code}: {out}")
            })?;
            // ... so lsmctl run closes an inherited one first: the command never sees it.
            let (code, out) = with_fd3(
                LSMCTL,
                &["run", "--rox", "/bin", "--", FREE_PROBE, "uring-read", "3"],
                ring.as_raw_fd(),
            );
            check(code == libc::EBADF, || {
                format!("uring-read 3 in a sandbox -> {code}: {out}")
            })
        },
    );
    s.case(
        "sandbox: other threads or an io_uring of its own refuse a layer (EBUSY)",
        || {
            let blob = super::layer_blob("held", "[profile.layer]\n")?;
            busy("restrict-threaded", &blob, libc::EBUSY)?;
            busy("restrict-after-uring", &blob, libc::EBUSY)?;
            busy("restrict", &format!("{blob} 1"), 0)
        },
    );
}
