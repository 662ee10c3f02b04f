//! The profiles lsmctl ships for programs (profiles/programs/, installed in
//! /usr/share/rustlsm/profiles), loaded as they are and run against the real program at the
//! path they attach to: Debian's getent at /usr/bin/getent.

use super::abstractions::{shadow_refused, works};
use super::{io_err, write_files};
use crate::harness::lsmctl;
use crate::Suite;

const SHIPPED: &str = "/usr/share/rustlsm/profiles/getent.toml";
const GETENT: &str = "/usr/bin/getent";

pub(super) fn run(s: &mut Suite) {
    s.case("shipped profiles: getent's loads as shipped", || {
        write_files(&[
            (
                "/etc/nsswitch.conf",
                "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n",
            ),
            (
                "/etc/hosts",
                "127.0.0.1 localhost\n10.9.8.7 files.rlsm.test\n",
            ),
        ])?;
        std::fs::metadata(SHIPPED).map_err(io_err(SHIPPED))?;
        lsmctl(&["load", SHIPPED])
    });
    s.case(
        "shipped profiles: getent looks up users and hosts, nothing refused",
        || {
            works("getent", GETENT, &["passwd", "nobody"], |o| {
                o.starts_with("nobody:x:65534:")
            })?;
            works("getent", GETENT, &["hosts", "files.rlsm.test"], |o| {
                o.starts_with("10.9.8.7")
            })
        },
    );
    s.case(
        "shipped profiles: getent shadow is refused, and logged",
        || shadow_refused(GETENT),
    );
    s.case("shipped profiles: remove getent's", || {
        lsmctl(&["remove", "getent"])
    });
}
