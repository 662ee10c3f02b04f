//! M5: paths are checked from the real root, so chroot(2) does not rename what a rule names.

use super::{expect, load, refused, remove};
use crate::Suite;

const PROBE: &str = "/usr/bin/rlsm-probe-esc-chroot";

const PROFILE: &str = r#"
[profile.esc-chroot]
attach = ["/usr/bin/rlsm-probe-esc-chroot"]
capabilities = ["sys_chroot"]

[[profile.esc-chroot.rule]]
allow = ["read"]
paths = ["/**"]

[[profile.esc-chroot.rule]]
deny = ["read"]
paths = ["/etc/shadow"]
"#;

pub(super) fn run(s: &mut Suite) {
    s.case("chroot: load the chroot profile", || {
        load("esc-chroot", PROFILE)
    });
    s.case(
        "chroot: the denied file by its real path (baseline)",
        || expect(PROBE, &["open", "/etc/shadow", "r"], libc::EACCES).map(drop),
    );
    s.case(
        "chroot: the denied file through a chroot is refused",
        || {
            let args = ["chroot-open", "/etc", "/shadow"];
            refused(
                PROBE,
                &args,
                libc::EACCES,
                "esc-chroot",
                "open",
                "path=\"/etc/shadow\"",
            )
        },
    );
    s.case("chroot: an allowed file through a chroot", || {
        expect(PROBE, &["chroot-open", "/etc", "/passwd"], 0).map(drop)
    });
    s.case("chroot: remove the chroot profile", || {
        remove(&["esc-chroot"])
    });
}
