//! Task hooks (task.rs): which tasks a confined task may signal and trace (and inspect through
//! `/proc`), and which may trace it. The task profiles loaded here also serve the capability,
//! mount and exec cases.

use crate::harness::{self, kernel_log, lsmctl, Sleeper};
use crate::{check, Outcome, Suite, FREE_PROBE, PROBE};
use std::fs;

/// The probes under the task profiles below.
pub(crate) const TASK_PROBE: &str = "/usr/bin/rlsm-probe-task";
pub(crate) const PEER_PROBE: &str = "/usr/bin/rlsm-probe-peer";

/// A profile that keeps two capabilities, may signal and trace the `peer` profile, and may
/// mount but not unmount; and the `peer` profile, which unconfined tasks may trace. Both
/// may read `/proc`, so that inspecting another task meets the ptrace check.
pub(crate) const TASK_PROFILES: &str = r#"
[profile.task]
attach = ["/usr/bin/rlsm-probe-task"]
capabilities = ["chown", "CAP_SYS_ADMIN"]
signal = ["peer"]
ptrace = ["peer"]
mount = ["mount"]

[[profile.task.rule]]
allow = ["read", "write", "create", "setattr"]
paths = ["/tmp/task/**"]

[[profile.task.rule]]
allow = ["read"]
paths = ["/proc/**"]

[profile.peer]
attach = ["/usr/bin/rlsm-probe-peer"]
traced_by_unconfined = true

[[profile.peer.rule]]
allow = ["read"]
paths = ["/proc/**"]
"#;

/// The runner itself (unconfined) seizing `pid` with ptrace: 0 or the errno.
fn seize(pid: &str) -> i32 {
    let pid: libc::pid_t = pid.parse().unwrap_or(0);
    // SAFETY: PTRACE_SEIZE takes no pointers.
    let rc = unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid, 0, 0) };
    if rc == 0 {
        // SAFETY: Detaching a tracee we hold; errors are irrelevant (it is killed next).
        unsafe { libc::ptrace(libc::PTRACE_DETACH, pid, 0, 0) };
        0
    } else {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(-1)
    }
}

/// `TASK_PROBE ARGS...` must end with `errno` (0: success).
pub(crate) fn expect(args: &[&str], errno: i32) -> Outcome {
    let (got, out) = harness::run(TASK_PROBE, args);
    check(got == errno, || {
        format!(
            "{} -> errno {got}, expected {errno} {}",
            args.join(" "),
            out.trim()
        )
    })
}

fn environ(sleeper: &Sleeper) -> String {
    format!("/proc/{}/environ", sleeper.pid())
}

pub(crate) fn load_profiles(s: &mut Suite) {
    s.case(
        "load the capability, signal, ptrace and mount profiles",
        || {
            fs::create_dir_all("/tmp/task/m").map_err(|e| e.to_string())?;
            fs::write("/tmp/task/f", b"x").map_err(|e| e.to_string())?;
            fs::write("/tmp/task.toml", TASK_PROFILES).map_err(|e| e.to_string())?;
            lsmctl(&["load", "/tmp/task.toml"])
        },
    );
}

/// Signals and ptrace, both ways.
pub(crate) fn run(s: &mut Suite) {
    s.case("signal: a task of its own profile", || {
        let other = Sleeper::start(TASK_PROBE, "task")?;
        expect(&["kill", &other.pid(), "0"], 0)
    });
    s.case("signal: a task of a listed profile", || {
        let peer = Sleeper::start(PEER_PROBE, "peer")?;
        expect(&["kill", &peer.pid(), "0"], 0)
    });
    s.case("signal: a task of an unlisted profile is refused", || {
        let demo = Sleeper::start(PROBE, "demo")?;
        expect(&["kill", &demo.pid(), "0"], libc::EPERM)
    });
    s.case(
        "signal: an unconfined task is refused unless listed",
        || {
            let free = Sleeper::start(FREE_PROBE, "unconfined")?;
            expect(&["kill", &free.pid(), "0"], libc::EPERM)
        },
    );
    s.case("ptrace: a task of a listed profile", || {
        let peer = Sleeper::start(PEER_PROBE, "peer")?;
        expect(&["ptrace", &peer.pid()], 0)
    });
    s.case("ptrace: a task of an unlisted profile is refused", || {
        let demo = Sleeper::start(PROBE, "demo")?;
        expect(&["ptrace", &demo.pid()], libc::EPERM)
    });
    s.case("ptrace read: /proc/PID/environ of a listed profile", || {
        let peer = Sleeper::start(PEER_PROBE, "peer")?;
        expect(&["open", &environ(&peer), "r"], 0)
    });
    // The inspector is `peer`, which keeps no capabilities: the kernel lets a holder of
    // CAP_PERFMON or CAP_SYS_ADMIN (which `task` keeps) read any task's memory map anyway.
    s.case(
        "ptrace read: /proc/PID/environ of an unlisted profile is refused and logged",
        || {
            let demo = Sleeper::start(PROBE, "demo")?;
            let (got, out) = harness::run(PEER_PROBE, &["open", &environ(&demo), "r"]);
            check(got == libc::EACCES, || {
                format!("errno {got} {}", out.trim())
            })?;
            let log = kernel_log();
            check(
                log.contains("DENIED profile=\"peer\" op=ptrace_read target=\"demo\""),
                || "no ptrace_read line".into(),
            )
        },
    );
    s.case("ptrace read: a task of its own profile", || {
        let other = Sleeper::start(PEER_PROBE, "peer")?;
        let (got, out) = harness::run(PEER_PROBE, &["open", &environ(&other), "r"]);
        check(got == 0, || format!("errno {got} {}", out.trim()))
    });
    s.case(
        "ptrace read: unconfined root inspects a profile that refuses tracing",
        || {
            let task = Sleeper::start(TASK_PROBE, "task")?;
            let (got, out) = harness::run(FREE_PROBE, &["open", &environ(&task), "r"]);
            check(got == 0, || format!("errno {got} {}", out.trim()))
        },
    );
    s.case(
        "ptrace: unconfined root traces a profile that allows it",
        || {
            let peer = Sleeper::start(PEER_PROBE, "peer")?;
            let got = seize(&peer.pid());
            check(got == 0, || format!("errno {got}"))
        },
    );
    s.case(
        "ptrace: unconfined root is refused by a profile that does not",
        || {
            let task = Sleeper::start(TASK_PROBE, "task")?;
            let got = seize(&task.pid());
            check(got == libc::EPERM, || format!("errno {got}"))
        },
    );
}

pub(crate) fn remove_profiles(s: &mut Suite) {
    s.case("remove the task profiles", || {
        lsmctl(&["remove", "task"])?;
        lsmctl(&["remove", "peer"])
    });
}
