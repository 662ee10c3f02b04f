//! H6: a create is checked on the name being created, never on "NAME (deleted)": a deny
//! rule inside an allowed tree and a rule on an exact path both hold, on tmpfs and on ext4,
//! with a cold dcache and after an unconfined lookup left a negative dentry behind.

use super::{expect, ext4, fixture, load, refused, remove};
use crate::{check, Outcome, Suite};
use std::path::Path;

const PROBE: &str = "/usr/bin/rlsm-probe-esc-create";

const PROFILE: &str = r#"
[profile.esc-create]
attach = ["/usr/bin/rlsm-probe-esc-create"]

[[profile.esc-create.rule]]
allow = ["read", "write", "create"]
paths = ["/tmp/esc/up/**", "/mnt/ext4/esc/up/**"]

[[profile.esc-create.rule]]
deny = ["create"]
paths = ["/tmp/esc/up/*.php", "/mnt/ext4/esc/up/*.php"]

[[profile.esc-create.rule]]
allow = ["create", "write"]
paths = ["/tmp/esc/exact/allowed", "/mnt/ext4/esc/exact/allowed", "/mnt/ext4/esc/exact/warm"]
"#;

/// The create of `path` is refused, logged under its own name (no " (deleted)": the needle
/// ends with the closing quote), and left nothing behind.
fn create_refused(path: &str) -> Outcome {
    let needle = format!("path=\"{path}\"");
    refused(
        PROBE,
        &["create", path],
        libc::EACCES,
        "esc-create",
        "create",
        &needle,
    )?;
    check(!Path::new(path).exists(), || format!("{path} was created"))
}

fn create_ok(path: &str) -> Outcome {
    expect(PROBE, &["create", path], 0)?;
    check(Path::new(path).exists(), || format!("{path} is missing"))
}

/// An unconfined lookup of a missing name: ext4 keeps the negative dentry.
fn warm(path: &str) -> Outcome {
    check(Path::new(path).metadata().is_err(), || {
        format!("{path} exists")
    })
}

pub(super) fn run(s: &mut Suite) {
    s.case(
        "create: load the create profile and mount the ext4 image",
        || {
            ext4()?;
            fixture(
                &[
                    "/tmp/esc/up",
                    "/tmp/esc/exact",
                    "/mnt/ext4/esc/up",
                    "/mnt/ext4/esc/exact",
                ],
                &[],
            )?;
            load("esc-create", PROFILE)
        },
    );
    s.case(
        "create: tmpfs, a name denied inside the allowed tree",
        || create_refused("/tmp/esc/up/a.php"),
    );
    s.case("create: tmpfs, another name in the allowed tree", || {
        create_ok("/tmp/esc/up/a.txt")
    });
    s.case("create: tmpfs, the exact path of a rule", || {
        create_ok("/tmp/esc/exact/allowed")
    });
    s.case("create: tmpfs, beside the exact path", || {
        create_refused("/tmp/esc/exact/other")
    });
    s.case(
        "create: ext4 cold, a name denied inside the allowed tree",
        || create_refused("/mnt/ext4/esc/up/a.php"),
    );
    s.case(
        "create: ext4 cold, another name in the allowed tree",
        || create_ok("/mnt/ext4/esc/up/a.txt"),
    );
    s.case("create: ext4 cold, the exact path of a rule", || {
        create_ok("/mnt/ext4/esc/exact/allowed")
    });
    s.case("create: ext4 cold, beside the exact path", || {
        create_refused("/mnt/ext4/esc/exact/other")
    });
    s.case(
        "create: ext4 negative dentry, a name denied inside the allowed tree",
        || {
            warm("/mnt/ext4/esc/up/b.php")?;
            create_refused("/mnt/ext4/esc/up/b.php")
        },
    );
    s.case(
        "create: ext4 negative dentry, another name in the allowed tree",
        || {
            warm("/mnt/ext4/esc/up/b.txt")?;
            create_ok("/mnt/ext4/esc/up/b.txt")
        },
    );
    s.case(
        "create: ext4 negative dentry, the exact path of a rule",
        || {
            warm("/mnt/ext4/esc/exact/warm")?;
            create_ok("/mnt/ext4/esc/exact/warm")
        },
    );
    s.case(
        "create: ext4 negative dentry, beside the exact path",
        || {
            warm("/mnt/ext4/esc/exact/other2")?;
            create_refused("/mnt/ext4/esc/exact/other2")
        },
    );
    s.case("create: remove the create profile", || {
        remove(&["esc-create"])
    });
}
