//! H1, H2, L7: an exec that changes the profile sets AT_SECURE (so the dynamic loader ignores
//! LD_PRELOAD and friends); it is refused when the caller is traced by a task that may not
//! trace the new profile, under no_new_privs, and when another task shares the caller's
//! fs_struct (clone(CLONE_FS): it could keep steering the new program's root and cwd); and a deleted program, executed through a
//! descriptor, still gets the profile of the path it was attached by.

use super::{expect, has_line, load, new_denials, remove};
use crate::exec::{LAUNCHER_PROFILE, LAUNCH_PROBE};
use crate::tasks::{PEER_PROBE, TASK_PROBE, TASK_PROFILES};
use crate::{check, Outcome, Suite, FREE_PROBE};

const DELETED: &str = "/tmp/esc/del/rlsm-probe-del";

const DEL_PROFILE: &str = r#"
[profile.esc-del]
attach = ["/tmp/esc/del/rlsm-probe-del"]
"#;

/// `probe ARGS` succeeds and prints exactly `want`.
fn prints(probe: &str, args: &[&str], want: &str) -> Outcome {
    let out = expect(probe, args, 0)?;
    check(out.trim() == want, || {
        format!(
            "{probe} {}: printed {out:?}, expected {want:?}",
            args.join(" ")
        )
    })
}

/// The launcher's attempt ends with EPERM and prints `said`; `launcher` logs a refusal that
/// names the peer profile's program.
fn launcher_refused(args: &[&str], said: &str) -> Outcome {
    let lines = new_denials("launcher", || {
        let out = expect(LAUNCH_PROBE, args, libc::EPERM)?;
        check(out.contains(said), || format!("printed {out:?}"))
    })?;
    has_line(&lines, "", "peer")
}

/// A fresh copy of the probe at DELETED (the case deletes it).
fn fresh_copy() -> Outcome {
    super::fixture(&["/tmp/esc/del"], &[])?;
    std::fs::copy(crate::PROBE, DELETED)
        .map(drop)
        .map_err(|e| e.to_string())
}

pub(super) fn run(s: &mut Suite) {
    s.case("exec: load the task, peer and launcher profiles", || {
        load("esc-task", TASK_PROFILES)?;
        load("esc-launcher", LAUNCHER_PROFILE)
    });
    s.case("exec: AT_SECURE is set by a profile-changing exec", || {
        prints(LAUNCH_PROBE, &["exec", PEER_PROBE, "at-secure"], "1")
    });
    s.case("exec: AT_SECURE is clear on an inherit exec", || {
        prints(LAUNCH_PROBE, &["exec", TASK_PROBE, "at-secure"], "0")
    });
    s.case("exec: AT_SECURE is clear for an unconfined program", || {
        prints(FREE_PROBE, &["at-secure"], "0")
    });
    s.case(
        "exec: a traced exec into a profile the tracer may not trace is refused",
        || {
            let args = ["traceme-exec", PEER_PROBE, "whoami"];
            launcher_refused(&args, "exec failed: errno 1")
        },
    );
    s.case("exec: a traced inherit exec goes through", || {
        let (code, out) = super::run_probe(LAUNCH_PROBE, &["traceme-exec", TASK_PROBE, "whoami"]);
        check(
            code == 0 && out.contains("running") && out.contains("launcher"),
            || format!("{code}: {out}"),
        )
    });
    s.case(
        "exec: a profile change under no_new_privs is refused",
        || launcher_refused(&["nnp-exec", PEER_PROBE, "whoami"], ""),
    );
    s.case("exec: an inherit exec under no_new_privs", || {
        prints(
            LAUNCH_PROBE,
            &["nnp-exec", TASK_PROBE, "whoami"],
            "launcher",
        )
    });
    s.case(
        "exec: a profile change with a shared fs_struct (clone CLONE_FS) is refused",
        || {
            launcher_refused(
                &["sharefs-exec", PEER_PROBE, "whoami"],
                "exec failed: errno 1",
            )
        },
    );
    s.case("exec: an inherit exec with a shared fs_struct", || {
        prints(
            LAUNCH_PROBE,
            &["sharefs-exec", TASK_PROBE, "whoami"],
            "launcher",
        )
    });
    s.case("exec: load a profile attached under /tmp", || {
        fresh_copy()?;
        load("esc-del", DEL_PROFILE)
    });
    s.case("exec: the copy runs under its profile", || {
        prints(DELETED, &["whoami"], "esc-del")
    });
    s.case(
        "exec: a deleted program run through an O_PATH descriptor keeps its profile",
        || {
            fresh_copy()?;
            prints(
                FREE_PROBE,
                &["execveat-deleted", DELETED, "whoami"],
                "esc-del",
            )
        },
    );
    s.case("exec: remove the exec profiles", || {
        remove(&["esc-del", "launcher", "task", "peer"])
    });
}
