//! A task's profile as the kernel reports it (attr.rs): `lsm_get_self_attr()`,
//! `/proc/PID/attr/current`, and rustlsm's own `/proc/PID/attr/rustlsm/current`, which
//! `lsmctl status --pid` and `lsmctl ps` read (right whatever the order of modules); and
//! the profile root chooses for its next exec (`lsm_set_self_attr(LSM_ATTR_EXEC)`), which
//! `lsmctl exec --profile` sets. privilege.rs has who may not choose.

use crate::exec::LAUNCH_PROBE;
use crate::harness::{self, Sleeper};
use crate::tasks::PEER_PROBE;
use crate::{check, Suite, FREE_PROBE, LSMCTL};
use std::fs;

/// A program that has no profile when a task starts it, and one afterwards.
const LATE: &str = "/usr/bin/rlsm-probe-late";

pub(crate) fn run(s: &mut Suite) {
    s.case(
        "lsm_get_self_attr: a confined task's profile, no entry for an unconfined one",
        || {
            let (_, free) = harness::run(FREE_PROBE, &["whoami"]);
            let (_, peer) = harness::run(PEER_PROBE, &["whoami"]);
            check(
                free.trim() == "(no rustlsm context)" && peer.trim() == "peer",
                || format!("free {free:?}, peer {peer:?}"),
            )
        },
    );
    s.case("lsmctl status --pid shows another task's profile", || {
        let peer = Sleeper::start(PEER_PROBE, "peer")?;
        let (code, out) = harness::run(LSMCTL, &["status", "--pid", &peer.pid()]);
        check(code == 0 && out.trim().ends_with(": peer"), || out)
    });
    s.case(
        "/proc/PID/attr/rustlsm/current: the profile, or unconfined",
        || {
            let peer = Sleeper::start(PEER_PROBE, "peer")?;
            let read = |pid: &str| fs::read_to_string(format!("/proc/{pid}/attr/rustlsm/current"));
            let confined = read(&peer.pid()).map_err(|e| e.to_string())?;
            let me = read("self").map_err(|e| e.to_string())?;
            check(confined == "peer\n" && me == "unconfined\n", || {
                format!("{confined:?}, {me:?}")
            })
        },
    );
    s.case(
        "lsmctl ps: confined tasks, and one started before its profile was loaded",
        || {
            fs::copy(FREE_PROBE, LATE).map_err(|e| format!("{LATE}: {e}"))?;
            let early = Sleeper::start(LATE, "unconfined")?;
            let peer = Sleeper::start(PEER_PROBE, "peer")?;
            fs::write(
                "/tmp/late.toml",
                "[profile.late]\nattach = [\"/usr/bin/rlsm-probe-late\"]\n",
            )
            .map_err(|e| e.to_string())?;
            harness::lsmctl(&["load", "/tmp/late.toml"])?;
            let (code, out) = harness::run(LSMCTL, &["ps"]);
            let line = |pid: String| {
                out.lines()
                    .find(|l| l.split_whitespace().next() == Some(&pid))
            };
            let shown = code == 0
                && line(early.pid())
                    .is_some_and(|l| l.contains("unconfined (!late)") && l.ends_with(LATE))
                && line(peer.pid()).is_some_and(|l| l.contains(" peer "));
            let (_, json) = harness::run(LSMCTL, &["ps", "--json"]);
            harness::lsmctl(&["remove", "late"])?;
            check(shown, || out.clone())?;
            check(json.contains("\"unconfined_but\": \"late\""), || json)
        },
    );
    s.case(
        "lsmctl exec --profile: the command runs under the profile, over the one claiming it",
        || {
            // The launcher probe is claimed by the launcher profile; helper (exec.rs), which
            // maps it, is chosen instead. The free probe is claimed by none.
            let (code, out) = harness::run(
                LSMCTL,
                &["exec", "--profile", "helper", "--", LAUNCH_PROBE, "whoami"],
            );
            let (free_code, free) = harness::run(
                LSMCTL,
                &["exec", "-p", "helper", "--", FREE_PROBE, "whoami"],
            );
            check(code == 0 && out.trim() == "helper", || {
                format!("{code}: {out}")
            })?;
            check(free_code == 0 && free.trim() == "helper", || {
                format!("{free_code}: {free}")
            })
        },
    );
    s.case(
        "lsm_set_self_attr(LSM_ATTR_EXEC): read back, then used up by the exec it was for",
        || {
            // The chosen profile is helper; the program it runs reads the choice back: gone.
            let (code, out) = harness::run(
                FREE_PROBE,
                &["exec-as", "helper", FREE_PROBE, "whoami", "exec"],
            );
            check(code == 0 && out.trim() == "(no rustlsm context)", || {
                format!("{code}: {out}")
            })
        },
    );
    s.case(
        "lsmctl exec: a profile that is not loaded, or does not map the program, is refused",
        || {
            let (code, out) = harness::run(
                LSMCTL,
                &["exec", "--profile", "nope", "--", FREE_PROBE, "whoami"],
            );
            check(
                code == 1 && out.contains("no profile \"nope\" is loaded"),
                || format!("{code}: {out}"),
            )?;
            // peer maps only its own program: the exec is refused before it runs anything.
            let (code, out) = harness::run(
                LSMCTL,
                &["exec", "--profile", "peer", "--", FREE_PROBE, "whoami"],
            );
            let logged = harness::kernel_log()
                .contains("reason=\"the chosen profile does not map the program\"");
            check(
                code == 1 && out.contains("Permission denied") && logged,
                || format!("{code}: {out} (logged: {logged})"),
            )
        },
    );
    s.case(
        "lsm_set_self_attr(LSM_ATTR_EXEC): a profile removed before the exec refuses it, logged",
        || {
            fs::write("/tmp/gone.toml", "[profile.gone]\n").map_err(|e| e.to_string())?;
            harness::lsmctl(&["load", "/tmp/gone.toml"])?;
            // The program does not run with less confinement than was asked for.
            let (code, out) = harness::run(
                FREE_PROBE,
                &["exec-as", "gone", "remove", FREE_PROBE, "whoami"],
            );
            let logged = harness::kernel_log()
                .contains("reason=\"the profile chosen for this exec was removed\"");
            check(code == libc::EACCES && logged, || {
                format!("{code}: {out} (logged: {logged})")
            })
        },
    );
}
