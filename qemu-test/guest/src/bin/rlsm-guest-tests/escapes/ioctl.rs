//! M6, M7, L3 and FS_IOC_SETFLAGS: terminal injection is refused even with `ioctl`; an
//! "ioctl-only" open (O_ACCMODE 3) needs `ioctl` or `read`; FIOCLEX is never refused; the
//! inode flags are changed only with `setattr`.

use super::{expect, ext4, fixture, has_line, load, new_denials, refused, remove};
use crate::Suite;

const PROBE: &str = "/usr/bin/rlsm-probe-esc-ioctl";
const CONSOLE: &str = "/usr/bin/rlsm-probe-esc-console";
const RO: &str = "/mnt/ext4/esc/attr/ro";
const RW: &str = "/mnt/ext4/esc/attr/rw";

const PROFILES: &str = r#"
[profile.esc-ioctl]
attach = ["/usr/bin/rlsm-probe-esc-ioctl"]

[[profile.esc-ioctl.rule]]
allow = ["read", "ioctl"]
paths = ["/dev/null"]

[[profile.esc-ioctl.rule]]
allow = ["read"]
paths = ["/dev/zero", "/mnt/ext4/esc/attr/ro"]

[[profile.esc-ioctl.rule]]
allow = ["read", "write", "setattr"]
paths = ["/mnt/ext4/esc/attr/rw"]

[profile.esc-console]
attach = ["/usr/bin/rlsm-probe-esc-console"]
capabilities = ["sys_admin"]

[[profile.esc-console.rule]]
allow = ["read", "write", "ioctl"]
paths = ["/dev/console"]
"#;

fn ok(probe: &str, args: &[&str], errno: i32) -> crate::Outcome {
    expect(probe, args, errno).map(drop)
}

pub(super) fn run(s: &mut Suite) {
    s.case("ioctl: load the ioctl profiles", || {
        ext4()?;
        fixture(&["/mnt/ext4/esc/attr"], &[(RO, "ro"), (RW, "rw")])?;
        load("esc-ioctl", PROFILES)
    });
    // The profile keeps CAP_SYS_ADMIN, which TIOCSTI asks for on a terminal that is not the
    // caller's: without rustlsm the injection would go through.
    s.case("ioctl: TIOCSTI is refused even with ioctl granted", || {
        let needle = "path=\"/dev/console\"";
        refused(
            CONSOLE,
            &["tiocsti", "/dev/console"],
            libc::EACCES,
            "esc-console",
            "ioctl",
            needle,
        )
    });
    s.case("ioctl: another terminal ioctl with ioctl granted", || {
        ok(CONSOLE, &["tcgets", "/dev/console"], 0)
    });
    s.case(
        "ioctl: an ioctl-only open of a device without ioctl is refused",
        || {
            let needle = "path=\"/dev/zero\"";
            refused(
                PROBE,
                &["open-mode3", "/dev/zero"],
                libc::EACCES,
                "esc-ioctl",
                "open",
                needle,
            )
        },
    );
    s.case("ioctl: an ioctl-only open of a device with ioctl", || {
        ok(PROBE, &["open-mode3", "/dev/null"], 0)
    });
    s.case("ioctl: a device ioctl without ioctl (baseline)", || {
        ok(PROBE, &["ioctl", "/dev/zero"], libc::EACCES)
    });
    s.case("ioctl: FIOCLEX is never refused", || {
        ok(PROBE, &["fioclex", "/dev/zero"], 0)
    });
    // Logged as a setattr, or as the ioctl it came through with setattr (s) denied.
    s.case(
        "ioctl: FS_IOC_SETFLAGS on a read-only file is refused",
        || {
            let lines = new_denials("esc-ioctl", || {
                expect(PROBE, &["setflags", RO], libc::EACCES).map(drop)
            })?;
            let path = format!("path=\"{RO}\"");
            has_line(&lines, "setattr", &path)
                .or_else(|_| has_line(&lines, "ioctl", &format!("{path} requested=s denied=s")))
        },
    );
    s.case(
        "ioctl: FS_IOC_SETFLAGS with setattr (ext4 supports it)",
        || ok(PROBE, &["setflags", RW], 0),
    );
    s.case("ioctl: remove the ioctl profiles", || {
        remove(&["esc-ioctl", "esc-console"])
    });
}
