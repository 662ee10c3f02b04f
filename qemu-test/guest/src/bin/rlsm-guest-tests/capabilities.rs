//! Capabilities (capability.rs): a confined task keeps only the capabilities its profile
//! lists, and a refusal is logged.

use crate::harness::{self, kernel_log};
use crate::tasks::expect;
use crate::{check, Suite, FREE_PROBE};

pub(crate) fn run(s: &mut Suite) {
    s.case("capabilities: a listed one (CAP_CHOWN) is kept", || {
        expect(&["chown", "/tmp/task/f", "65534"], 0)
    });
    s.case(
        "capabilities: an unlisted one (CAP_SETUID) is refused",
        || {
            expect(&["setuid", "65534"], libc::EPERM)?;
            let (free, _) = harness::run(FREE_PROBE, &["setuid", "65534"]);
            check(free == 0, || format!("unconfined setuid: errno {free}"))
        },
    );
    s.case("capabilities: the refusal is logged", || {
        let log = kernel_log();
        check(
            log.contains("DENIED profile=\"task\" op=capable capability=7"),
            || "no capable line".into(),
        )
    });
}
