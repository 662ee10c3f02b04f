//! A task's own procfs entries (path.rs, `ResolvedPath::own_proc_alias`): a file under the
//! checking task's own pid directory is matched as `/proc/self/...` too, so rules on
//! `/proc/self` reach the task's own entries and no other process's, not even one under the
//! same profile and user (AppArmor's `owner @{PROC}/@{pid}/` lets those through); deny rules
//! on either name still win. Sandboxes (`lsmctl run --ro /proc/self`) get the same.

use crate::harness::{expect_open, lsmctl, run, Sleeper};
use crate::{check, Suite, LSMCTL};
use std::fs;

/// The probe under the profile below.
const PROBE: &str = "/usr/bin/rlsm-probe-proc";

const PROFILE: &str = r#"
[profile.procself]
attach = ["/usr/bin/rlsm-probe-proc"]

[[profile.procself.rule]]
allow = ["read"]
paths = [
  "/proc/self/status",
  "/proc/self/environ",
  "/proc/self/fd",
  "/proc/self/task/*/status",
]

[[profile.procself.rule]]
deny = ["read"]
paths = ["/proc/*/environ", "/proc/self/stat"]

[[profile.procself.rule]]
allow = ["read"]
paths = ["/proc/*/stat"]
"#;

/// `cat PATH` in a sandbox that may read /proc/self and run /bin.
fn sandboxed_cat(path: &str) -> (i32, String) {
    let args = [
        "run",
        "--ro",
        "/proc/self",
        "--rox",
        "/bin",
        "--",
        "/bin/cat",
        path,
    ];
    run(LSMCTL, &args)
}

pub(crate) fn run_cases(s: &mut Suite) {
    s.case("proc self: load a profile with /proc/self rules", || {
        fs::write("/tmp/procself.toml", PROFILE).map_err(|e| e.to_string())?;
        lsmctl(&["load", "/tmp/procself.toml"])
    });
    s.case(
        "proc self: the task reads its own status and lists its descriptors",
        || {
            expect_open(PROBE, "/proc/self/status", "r", 0)?;
            expect_open(PROBE, "/proc/self/fd", "r", 0)?;
            // /proc/thread-self is /proc/PID/task/TID: matched as /proc/self/task/TID.
            expect_open(PROBE, "/proc/thread-self/status", "r", 0)
        },
    );
    s.case("proc self: not another process's entries (init's)", || {
        expect_open(PROBE, "/proc/1/status", "r", libc::EACCES)
    });
    s.case(
        "proc self: not a process under the same profile and user",
        || {
            let other = Sleeper::start(PROBE, "procself")?;
            let path = format!("/proc/{}/status", other.pid());
            expect_open(PROBE, &path, "r", libc::EACCES)?;
            let (code, out) = run(PROBE, &["open", "/proc/self/status", "r"]);
            check(code == 0, || format!("own status after: {out}"))
        },
    );
    s.case("proc self: a deny rule on /proc/*/... still wins", || {
        expect_open(PROBE, "/proc/self/environ", "r", libc::EACCES)
    });
    s.case(
        "proc self: a deny on /proc/self/... holds after another task opened the file",
        || {
            // The child's open of /proc/PARENT/stat is allowed (not its own entry); the
            // parent's open of the same file as its own must still meet the deny.
            let (code, out) = run(PROBE, &["proc-cache", "stat"]);
            check(code == libc::EACCES, || format!("errno {code}: {out}"))
        },
    );
    s.case(
        "proc self: a sandbox's --ro /proc/self is the command's own",
        || {
            let own = sandboxed_cat("/proc/self/status");
            check(own.0 == 0 && own.1.contains("Name:\tcat"), || {
                format!("{own:?}")
            })?;
            let init = sandboxed_cat("/proc/1/status");
            check(init.0 != 0 && init.1.contains("Permission denied"), || {
                format!("{init:?}")
            })
        },
    );
    s.case("proc self: remove the profile", || {
        lsmctl(&["remove", "procself"])
    });
}
