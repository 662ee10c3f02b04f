//! What a sandbox reaches outside itself: signals, ptrace and `/proc` inspection, abstract
//! unix sockets only within the same sandbox or one nested in it; no user namespaces; no
//! mounts, not even for root.

use super::{as_nobody_shell, expect, Outsider, BIN};
use crate::{check, Suite, FREE_PROBE, LSMCTL};
use std::os::unix::process::CommandExt;

pub(super) const CASES: u32 = 10;

const EPERM: i32 = libc::EPERM;
const EACCES: i32 = libc::EACCES;

pub(super) fn run(s: &mut Suite) {
    s.case("sandbox: signals reach no task outside the sandbox", || {
        let outsider = Outsider::start()?;
        let pid = outsider.pid();
        expect(&["--rox", BIN], &[FREE_PROBE, "kill", &pid, "0"], EPERM)?;
        expect(&["--rox", BIN], &["kill", "-TERM", &pid], 1)?;
        // The same user, unsandboxed, may.
        super::as_nobody_shell(&format!("{FREE_PROBE} kill {pid} 0")).map(drop)
    });
    s.case(
        "sandbox: SIGIO (F_SETOWN, F_SETSIG) reaches no task outside the sandbox",
        || {
            let mut outsider = Outsider::start()?;
            let pid = outsider.pid();
            // The probe owns a pipe for the outsider, asks for SIGKILL, and writes to it.
            let out = expect(&["--rox", BIN], &[FREE_PROBE, "sigio-kill", &pid, "9"], 0)?;
            std::thread::sleep(std::time::Duration::from_millis(500));
            let alive = outsider.0.try_wait().map_err(|e| e.to_string())?.is_none();
            check(
                alive && out.contains("lsmctl: denied: ") && out.contains(" signal target "),
                || format!("the outsider was killed ({}) or no record: {out}", !alive),
            )?;
            // The same user, unsandboxed, kills it that way.
            as_nobody_shell(&format!("{FREE_PROBE} sigio-kill {pid} 9"))?;
            std::thread::sleep(std::time::Duration::from_millis(500));
            let status = outsider.0.try_wait().map_err(|e| e.to_string())?;
            check(status.is_some(), || "control: the outsider survived".into())
        },
    );
    s.case("sandbox: signals reach the sandbox's own tasks", || {
        expect(
            &["--rox", BIN],
            &["sh", "-c", "sleep 30 & kill $!; wait $!; test $? -eq 143"],
            0,
        )
        .map(drop)
    });
    s.case(
        "sandbox: no limits, priority or scheduling changes to tasks outside",
        || {
            let outsider = Outsider::start()?;
            let pid = outsider.pid();
            expect(&["--rox", BIN], &["renice", "-n", "5", "-p", &pid], 1)?;
            expect(&["--rox", BIN], &["ionice", "-c", "3", "-p", &pid], 1)?;
            expect(&["--rox", BIN], &["taskset", "-p", "1", &pid], 1)?;
            expect(&["--rox", BIN], &[FREE_PROBE, "prlimit-cpu", &pid], EPERM)?;
            // Its own tasks, yes; and the same user outside the sandbox, yes, every one.
            expect(&["--rox", BIN], &["sh", "-c", "renice -n 3 -p $$"], 0)?;
            as_nobody_shell(&format!(
                "renice -n 5 -p {pid} && ionice -c 3 -p {pid} && taskset -p 1 {pid} && \
                 {FREE_PROBE} prlimit-cpu {pid}"
            ))
            .map(drop)
        },
    );
    s.case(
        "sandbox: no joining a process group outside the sandbox",
        || {
            let mut leader = std::process::Command::new(FREE_PROBE);
            leader
                .args(["sleep", "60"])
                .uid(super::NOBODY)
                .gid(super::NOBODY);
            leader.process_group(0);
            let leader = super::Outsider(leader.spawn().map_err(|e| e.to_string())?);
            let pgid = leader.pid();
            // Unsandboxed, the same user joins it; sandboxed, it may only make a group of its own.
            as_nobody_shell(&format!("{FREE_PROBE} setpgid {pgid}"))?;
            expect(&["--rox", BIN], &[FREE_PROBE, "setpgid", &pgid], EPERM)?;
            expect(&["--rox", BIN], &[FREE_PROBE, "setpgid", "0"], 0).map(drop)
        },
    );
    s.case(
        "sandbox: no ptrace or /proc inspection of tasks outside",
        || {
            let outsider = Outsider::start()?;
            let pid = outsider.pid();
            // The same user outside a sandbox may (Yama is off in the test VM).
            as_nobody_shell(&format!(
                "{FREE_PROBE} ptrace {pid} && cat /proc/{pid}/environ"
            ))?;
            expect(&["--rox", BIN], &[FREE_PROBE, "ptrace", &pid], EPERM)?;
            let sandbox = ["--rox", BIN, "--ro", "/proc"];
            let environ = format!("/proc/{pid}/environ");
            let out = expect(&sandbox, &["cat", &environ], 1)?;
            check(out.contains("denied"), || format!("cat said {out:?}"))?;
            // Its own tasks stay inspectable: `ps`-like reads of itself work.
            expect(&sandbox, &["cat", "/proc/self/environ"], 0).map(drop)
        },
    );
    s.case(
        "sandbox: abstract unix sockets outside are out of reach",
        || {
            let name = format!("@rlsm-sb-{}", std::process::id());
            let listen = |name: &str| format!("{FREE_PROBE} unix-listen {name} 2 & sleep 1; ");
            as_nobody_shell(&format!(
                "{}{FREE_PROBE} unix-connect {name}",
                listen(&name)
            ))?;
            let name = format!("{name}b");
            as_nobody_shell(&format!(
            "{}{LSMCTL} run --rox {BIN} -- {FREE_PROBE} unix-connect {name}; test $? -eq {EACCES}",
            listen(&name)
        ))
            .map(drop)
        },
    );
    s.case(
        "sandbox: no user namespaces (no mounts of its own to bind over its rules)",
        || {
            let out = expect(&["--rox", BIN], &["unshare", "-U", "true"], 1)?;
            check(out.contains("not permitted"), || {
                format!("unshare said {out:?}")
            })?;
            // Unsandboxed, the same user may (the guest allows user namespaces).
            as_nobody_shell("unshare -U true").map(drop)
        },
    );
    s.case(
        "sandbox: root in a sandbox cannot mount, by either mount API",
        || {
            let dir = format!("{}/mnt", super::DIR);
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            for op in ["mount-tmpfs", "fsmount-tmpfs"] {
                let (code, out) =
                    crate::harness::run(LSMCTL, &["run", "--rox", BIN, "--", FREE_PROBE, op, &dir]);
                check(code != 0, || {
                    format!("root mounted with {op} in a sandbox: {out}")
                })?;
            }
            let mounts = std::fs::read_to_string("/proc/mounts").map_err(|e| e.to_string())?;
            check(!mounts.contains(&dir), || {
                format!("{dir} is mounted: {mounts}")
            })
        },
    );
    s.case("sandbox: root in a sandbox keeps no capability", || {
        let (code, out) = crate::harness::run(
            LSMCTL,
            &["run", "--rox", BIN, "--", FREE_PROBE, "setuid", "1"],
        );
        check(code == EPERM, || {
            format!("setuid in a sandbox -> {code}: {out}")
        })
    });
}
