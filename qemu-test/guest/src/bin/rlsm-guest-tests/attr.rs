//! A task's profile as the kernel reports it (attr.rs): `lsm_get_self_attr()` and
//! `/proc/PID/attr/current`, the latter through `lsmctl status --pid`.

use crate::harness::{self, Sleeper};
use crate::tasks::PEER_PROBE;
use crate::{check, Suite, FREE_PROBE, LSMCTL};

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
}
