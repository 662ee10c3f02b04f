//! Mounts (mount.rs): `mount`, `umount` and `pivot_root` as the task profile allows them, and
//! a mount refused to a profile without mount rules even when it keeps CAP_SYS_ADMIN.

use crate::harness::{self, kernel_log, lsmctl};
use crate::tasks::expect;
use crate::{check, Suite, DEMO, FREE_PROBE, PROBE};
use std::fs;

pub(crate) fn run(s: &mut Suite) {
    s.case("mount: allowed by the profile", || {
        expect(&["mount-tmpfs", "/tmp/task/m"], 0)
    });
    s.case("umount: not allowed by the profile", || {
        let r = expect(&["umount", "/tmp/task/m"], libc::EACCES);
        let (free, _) = harness::run(FREE_PROBE, &["umount", "/tmp/task/m"]);
        r?;
        check(free == 0, || format!("unconfined umount: errno {free}"))
    });
    s.case("pivot_root: not allowed by the profile", || {
        expect(&["pivot-root", "/tmp/task", "/tmp/task/m"], libc::EACCES)
    });
    s.case("mount: refused to a profile without mount rules", || {
        // demo, keeping CAP_SYS_ADMIN: the capability check lets the mount through, so only
        // rustlsm's mount hook (which runs first anyway) can refuse it, with EACCES.
        let toml = fs::read_to_string(DEMO).unwrap_or_default().replace(
            "attach = [\"/usr/bin/rlsm-probe\"]",
            "attach = [\"/usr/bin/rlsm-probe\"]\ncapabilities = [\"CAP_SYS_ADMIN\"]",
        );
        check(toml.contains("CAP_SYS_ADMIN"), || {
            "demo.toml changed".into()
        })?;
        fs::create_dir_all("/tmp/demo/m").map_err(|e| e.to_string())?;
        fs::write("/tmp/demo-admin.toml", toml).map_err(|e| e.to_string())?;
        lsmctl(&["load", "/tmp/demo-admin.toml"])?;
        let before = kernel_log();
        let (got, out) = harness::run(PROBE, &["mount-tmpfs", "/tmp/demo/m"]);
        let log = kernel_log();
        let back = lsmctl(&["load", DEMO]);
        if got == 0 {
            harness::run(FREE_PROBE, &["umount", "/tmp/demo/m"]);
        }
        check(got == libc::EACCES, || {
            format!("errno {got} {}", out.trim())
        })?;
        let want = "DENIED profile=\"demo\" op=mount";
        check(
            log.matches(want).count() > before.matches(want).count(),
            || format!("no new line containing {want:?}"),
        )?;
        back
    });
}
