//! POSIX message queues: `mq_open()` reaches its queue through an internal mount, named
//! `mqueue:/NAME`, which no rule matches. A confined task neither opens a queue (an unconfined
//! service's included), nor creates one (`inode_create` refuses before the queue exists, so
//! nothing is left behind), nor removes one (`mq_unlink()`, at `inode_unlink`).

use super::{expect, load, refused, remove};
use crate::{check, Outcome, Suite, FREE_PROBE};

const PROBE: &str = "/usr/bin/rlsm-probe-esc-mq";

/// Every file access on every path: queues are refused all the same.
const PROFILE: &str = r#"
[profile.esc-mq]
attach = ["/usr/bin/rlsm-probe-esc-mq"]

[[profile.esc-mq.rule]]
allow = ["read", "write", "create", "delete"]
paths = ["/**"]
"#;

/// mq_open(NAME, flags) in the (unconfined) runner: the descriptor, or the errno.
pub(super) fn runner_mq_open(name: &str, flags: libc::c_int) -> Result<libc::c_int, i32> {
    let n = std::ffi::CString::new(name).map_err(|_| libc::EINVAL)?;
    let null = std::ptr::null::<libc::mq_attr>();
    // SAFETY: mq_open on a valid C string (without the leading slash) and no attributes.
    let fd = unsafe { libc::syscall(libc::SYS_mq_open, n.as_ptr(), flags, 0o600, null) };
    if fd < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(fd as libc::c_int)
    }
}

/// Removes queue NAME in the runner; whether it existed.
pub(super) fn runner_mq_unlink(name: &str) -> bool {
    let Ok(n) = std::ffi::CString::new(name) else {
        return false;
    };
    // SAFETY: A valid C string.
    unsafe { libc::syscall(libc::SYS_mq_unlink, n.as_ptr()) == 0 }
}

/// Queue NAME does not exist.
fn absent(name: &str) -> Outcome {
    let got = runner_mq_open(name, libc::O_RDONLY | libc::O_CLOEXEC);
    if let Ok(fd) = got {
        // SAFETY: The runner's own descriptor.
        unsafe { libc::close(fd) };
        runner_mq_unlink(name);
    }
    check(got == Err(libc::ENOENT), || {
        format!("queue {name}: {got:?}, expected ENOENT (no queue left behind)")
    })
}

pub(super) fn run(s: &mut Suite) {
    s.case("mqueue: load the queue profile", || load("esc-mq", PROFILE));
    s.case("mqueue: an unconfined program creates a queue", || {
        expect(FREE_PROBE, &["mq-open", "/rlsm-esc-free"], 0)?;
        absent("rlsm-esc-free")
    });
    s.case(
        "mqueue: a confined create is refused under /** and leaves no queue",
        || {
            let args = ["mq-open", "/rlsm-esc"];
            let needle = "path=\"mqueue:/rlsm-esc\"";
            refused(PROBE, &args, libc::EACCES, "esc-mq", "create", needle)?;
            absent("rlsm-esc")
        },
    );
    s.case(
        "mqueue: opening an unconfined program's queue is refused",
        || {
            let fd = runner_mq_open("rlsm-esc-shared", libc::O_CREAT | libc::O_RDWR)
                .map_err(|e| format!("mq_open in the runner: errno {e}"))?;
            // SAFETY: The runner's own descriptor.
            unsafe { libc::close(fd) };
            let args = ["mq-open", "/rlsm-esc-shared"];
            let needle = "path=\"mqueue:/rlsm-esc-shared\"";
            let r = refused(PROBE, &args, libc::EACCES, "esc-mq", "open", needle);
            let existed = runner_mq_unlink("rlsm-esc-shared");
            r?;
            check(existed, || "the queue disappeared".to_string())
        },
    );
    s.case(
        "mqueue: removing an unconfined program's queue is refused",
        || {
            let fd = runner_mq_open("rlsm-esc-keep", libc::O_CREAT | libc::O_RDWR)
                .map_err(|e| format!("mq_open in the runner: errno {e}"))?;
            // SAFETY: The runner's own descriptor.
            unsafe { libc::close(fd) };
            let args = ["mq-unlink", "/rlsm-esc-keep"];
            let needle = "path=\"mqueue:/rlsm-esc-keep\"";
            let r = refused(PROBE, &args, libc::EACCES, "esc-mq", "delete", needle);
            let existed = runner_mq_unlink("rlsm-esc-keep");
            r?;
            check(existed, || {
                "the confined task removed the queue".to_string()
            })
        },
    );
    s.case("mqueue: remove the queue profile", || remove(&["esc-mq"]));
}
