//! Exec (exec.rs): a confined task's exec keeps its profile unless a rule says otherwise, and
//! each transition a rule can name (switch to the program's own profile, inherit, `profile`
//! without one to switch to, a named profile, loaded or not) does what it says.

use crate::files::FS_PROBE;
use crate::harness::{demo_variant, kernel_log, lsmctl, run};
use crate::tasks::{PEER_PROBE, TASK_PROBE};
use crate::{check, Suite, DEMO, FREE_PROBE, PROBE};
use std::fs;

/// The probe under the exec-transition profile below.
pub(crate) const LAUNCH_PROBE: &str = "/usr/bin/rlsm-probe-launch";
/// Copies of the unconfined probe that the launcher's rules send to a named profile: one
/// that maps it (helper), one that does not (peer), one that is not loaded (ghost).
const NAMED_PROBE: &str = "/usr/bin/rlsm-probe-named";
const UNMAPPED_PROBE: &str = "/usr/bin/rlsm-probe-unmapped";
const GHOST_PROBE: &str = "/usr/bin/rlsm-probe-ghost";

/// One rule per exec transition: to a program with its own profile (default: switch), with
/// `inherit`, with `profile` but no profile to switch to, and by default without one.
pub(crate) const LAUNCHER_PROFILE: &str = r#"
[profile.launcher]
attach = ["/usr/bin/rlsm-probe-launch"]

[[profile.launcher.rule]]
allow = ["exec"]
paths = ["/usr/bin/rlsm-probe-peer", "/usr/bin/rlsm-probe-fs"]

[[profile.launcher.rule]]
allow = ["exec"]
paths = ["/usr/bin/rlsm-probe-task"]
transition = "inherit"

[[profile.launcher.rule]]
allow = ["exec"]
paths = ["/bin/rlsm-probe-free"]
transition = "profile"

[[profile.launcher.rule]]
allow = ["exec"]
paths = ["/usr/bin/rlsm-probe-named"]
transition = { profile = "helper" }

[[profile.launcher.rule]]
allow = ["exec"]
paths = ["/usr/bin/rlsm-probe-unmapped"]
transition = { profile = "peer" }

[[profile.launcher.rule]]
allow = ["exec"]
paths = ["/usr/bin/rlsm-probe-ghost"]
transition = { profile = "ghost" }

# Entered only by name: by the launcher's rule, or by `lsmctl exec --profile helper`.
[profile.helper]
[[profile.helper.rule]]
allow = ["mmap_exec"]
paths = ["/usr/bin/rlsm-probe-named", "/bin/rlsm-probe-free", "/usr/bin/rlsm-probe-launch"]
"#;

/// The demo profile allows no exec, then one exec that inherits.
pub(crate) fn confined(s: &mut Suite) {
    s.case(
        "a confined task's exec of an unclaimed program keeps its profile",
        || {
            // demo allows exec of nothing: the exec itself is refused, never unconfined. An
            // exec that went through would print the profile and exit 0.
            let (code, out) = run(PROBE, &["exec", FREE_PROBE, "whoami"]);
            check(code == libc::EACCES && out.trim().is_empty(), || {
                format!("exec returned {code} ({}), expected EACCES", out.trim())
            })
        },
    );
    s.case("exec inherit: an allowed exec keeps the caller's profile", || {
        let toml = demo_variant("enforce").replace(
            "[[profile.demo.rule]]\nallow = [\"read\"]\npaths = [\"/etc/**\"]",
            &format!("[[profile.demo.rule]]\nallow = [\"read\"]\npaths = [\"/etc/**\"]\n\n[[profile.demo.rule]]\nallow = [\"read\", \"exec\"]\npaths = [\"{FREE_PROBE}\"]"),
        );
        fs::write("/tmp/demo-exec.toml", toml).map_err(|e| e.to_string())?;
        lsmctl(&["load", "/tmp/demo-exec.toml"])?;
        // whoami tells "exec allowed, profile inherited" (demo, 0) from a refused exec (13)
        // and from an exec that left the task unconfined; the open shows demo enforced.
        let (code, out) = run(PROBE, &["exec", FREE_PROBE, "whoami"]);
        let (shadow, _) = run(PROBE, &["exec", FREE_PROBE, "open", "/etc/shadow", "r"]);
        let back = lsmctl(&["load", DEMO]);
        check(code == 0 && out.trim() == "demo", || {
            format!("exec whoami: {code} {:?}", out.trim())
        })?;
        check(shadow == libc::EACCES, || {
            format!("child opened /etc/shadow with {shadow}")
        })?;
        back
    });
}

/// Loads the exec-transition profile and tries each transition.
pub(crate) fn transitions(s: &mut Suite) {
    s.case("load the exec-transition profile", || {
        for copy in [NAMED_PROBE, UNMAPPED_PROBE, GHOST_PROBE] {
            fs::copy(FREE_PROBE, copy).map_err(|e| format!("{copy}: {e}"))?;
        }
        fs::write("/tmp/launcher.toml", LAUNCHER_PROFILE).map_err(|e| e.to_string())?;
        lsmctl(&["load", "/tmp/launcher.toml"])
    });
    let launched = |target: &str| run(LAUNCH_PROBE, &["exec", target, "whoami"]);
    s.case(
        "exec: default transition switches to the program's own profile",
        || {
            let (code, out) = launched(PEER_PROBE);
            check(code == 0 && out.trim() == "peer", || {
                format!("{code}: {out}")
            })
        },
    );
    s.case(
        "exec: inherit keeps the caller's profile over the program's own",
        || {
            let (code, out) = launched(TASK_PROBE);
            check(code == 0 && out.trim() == "launcher", || {
                format!("{code}: {out}")
            })
        },
    );
    s.case(
        "exec: profile transition without a profile is refused",
        || {
            let (code, out) = launched(FREE_PROBE);
            check(code == libc::EACCES, || format!("{code}: {out}"))
        },
    );
    s.case(
        "exec: a rule naming a profile runs the program under it, no profile claiming it",
        || {
            let (code, out) = launched(NAMED_PROBE);
            check(code == 0 && out.trim() == "helper", || {
                format!("{code}: {out}")
            })
        },
    );
    // The named profile must map the program (its entry point), and be loaded: otherwise
    // the exec is refused cleanly, before the point of no return, and logged.
    let refused_with = |program: &'static str, info: &'static str| {
        move || {
            let (code, out) = launched(program);
            let logged = kernel_log().lines().any(|l| {
                l.contains("profile=\"launcher\" op=exec")
                    && l.contains(program)
                    && l.contains(&format!("info=\"{info}\""))
            });
            check(code == libc::EACCES && logged, || {
                format!("{code}: {out} (logged: {logged})")
            })
        }
    };
    s.case(
        "exec: a rule naming a profile that does not map the program refuses the exec, logged",
        refused_with(
            UNMAPPED_PROBE,
            "the profile the exec rule names does not map it",
        ),
    );
    s.case(
        "exec: a rule naming a profile that is not loaded refuses the exec, logged",
        refused_with(GHOST_PROBE, "the profile the exec rule names is not loaded"),
    );
    s.case(
        "exec: a rule naming a profile cannot switch under no_new_privs",
        || {
            let (code, out) = run(LAUNCH_PROBE, &["nnp-exec", NAMED_PROBE, "whoami"]);
            check(code == libc::EPERM, || format!("{code}: {out}"))
        },
    );
    s.case(
        "exec: default transition without a profile inherits, never unconfined",
        || {
            let (code, out) = launched(FS_PROBE);
            check(code == 0 && out.trim() == "launcher", || {
                format!("{code}: {out}")
            })
        },
    );
}

pub(crate) fn remove_launcher(s: &mut Suite) {
    s.case("remove the exec-transition profiles", || {
        lsmctl(&["remove", "launcher", "helper"])
    });
}
