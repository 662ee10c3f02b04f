//! L4: renaming onto an existing name deletes it, and renaming or linking to a new name
//! creates one: both are checked as such, not as `rename`/`link` alone.

use super::{content, expect, fixture, load, refused, remove};
use crate::{check, Outcome, Suite};
use std::path::Path;

const PROBE: &str = "/usr/bin/rlsm-probe-esc-rename";

const PROFILE: &str = r#"
[profile.esc-rename]
attach = ["/usr/bin/rlsm-probe-esc-rename"]

[[profile.esc-rename.rule]]
allow = ["read", "write", "create", "delete", "rename", "link"]
paths = ["/tmp/esc/rn/**"]

[[profile.esc-rename.rule]]
deny = ["delete"]
paths = ["/tmp/esc/rn/keep*"]

[[profile.esc-rename.rule]]
deny = ["create"]
paths = ["/tmp/esc/rn/*.php"]

[[profile.esc-rename.rule]]
deny = ["write"]
paths = ["/tmp/esc/rn/ro*", "/tmp/esc/rn/*/prot/**"]

[[profile.esc-rename.rule]]
deny = ["read"]
paths = ["/tmp/esc/rn/wo*"]
"#;

/// Runs the probe with `args`, which the profile must refuse with a `rename` or `link`
/// (the probe's first argument, or `rename` for an exchange) line containing `needle`.
fn refused_by_esc_rename(args: &[&str], needle: &str) -> Outcome {
    let op = match args[0] {
        "link" => "link",
        _ => "rename",
    };
    refused(PROBE, args, libc::EACCES, "esc-rename", op, needle)
}

/// Whether `path` still holds `data`.
fn still_holds(path: &str, data: &str) -> Outcome {
    let kept = content(path);
    check(kept == data, || format!("{path} holds {kept:?}"))
}

pub(super) fn run(s: &mut Suite) {
    s.case("rename: load the rename profile", || {
        // What an earlier run of the class (outside a sandbox) made.
        let _ = std::fs::remove_file("/tmp/esc/rn/wo1");
        let _ = std::fs::remove_dir_all("/tmp/esc/rn/d/plain2");
        fixture(
            &["/tmp/esc/rn", "/tmp/esc/rn/d/prot", "/tmp/esc/rn/d/plain"],
            &[
                ("/tmp/esc/rn/a", "a-data"),
                ("/tmp/esc/rn/keep1", "keep-data"),
                ("/tmp/esc/rn/x.txt", "x-data"),
                ("/tmp/esc/rn/z.txt", "z-data"),
                ("/tmp/esc/rn/y", "y-data"),
                ("/tmp/esc/rn/ro1", "ro-data"),
                ("/tmp/esc/rn/ro2", "ro-data"),
                ("/tmp/esc/rn/w3", "w-data"),
                ("/tmp/esc/rn/wo2", "wo-data"),
                ("/tmp/esc/rn/d/prot/f", "prot-data"),
                ("/tmp/esc/rn/d/plain/f", "plain-data"),
            ],
        )?;
        load("esc-rename", PROFILE)
    });
    s.case(
        "rename: unlinking a delete-protected file (baseline)",
        || expect(PROBE, &["unlink", "/tmp/esc/rn/keep1"], libc::EACCES).map(drop),
    );
    s.case("rename: onto a delete-protected file is refused", || {
        let args = ["rename", "/tmp/esc/rn/a", "/tmp/esc/rn/keep1"];
        let r = refused(
            PROBE,
            &args,
            libc::EACCES,
            "esc-rename",
            "rename",
            "/tmp/esc/rn/keep1\"",
        );
        let kept = content("/tmp/esc/rn/keep1");
        r?;
        check(kept == "keep-data", || format!("keep1 now holds {kept:?}"))
    });
    s.case(
        "rename: to a name the profile may not create is refused",
        || {
            let args = ["rename", "/tmp/esc/rn/x.txt", "/tmp/esc/rn/x.php"];
            refused(
                PROBE,
                &args,
                libc::EACCES,
                "esc-rename",
                "rename",
                "/tmp/esc/rn/x.php\"",
            )?;
            check(Path::new("/tmp/esc/rn/x.txt").exists(), || {
                "x.txt moved".into()
            })
        },
    );
    s.case(
        "rename: a link to a name the profile may not create is refused",
        || {
            let args = ["link", "/tmp/esc/rn/z.txt", "/tmp/esc/rn/z.php"];
            refused(
                PROBE,
                &args,
                libc::EACCES,
                "esc-rename",
                "link",
                "/tmp/esc/rn/z.php\"",
            )?;
            check(!Path::new("/tmp/esc/rn/z.php").exists(), || {
                "z.php exists".into()
            })
        },
    );
    s.case("rename: a link to an allowed new name", || {
        expect(
            PROBE,
            &["link", "/tmp/esc/rn/z.txt", "/tmp/esc/rn/z2.txt"],
            0,
        )
        .map(drop)
    });
    s.case("rename: within the tree to an allowed new name", || {
        expect(PROBE, &["rename", "/tmp/esc/rn/y", "/tmp/esc/rn/y2"], 0)?;
        let moved = content("/tmp/esc/rn/y2");
        check(moved == "y-data", || format!("y2 holds {moved:?}"))
    });
    // A new name may not give a file an access its old name refuses (refer.rs): otherwise a
    // link or a rename away and back walks a file out from under a deny rule.
    s.case(
        "rename: a link may not give a write-protected file a writable name",
        || {
            refused_by_esc_rename(
                &["link", "/tmp/esc/rn/ro1", "/tmp/esc/rn/w1"],
                "path=\"/tmp/esc/rn/w1\" from=\"/tmp/esc/rn/ro1\" adds=w",
            )?;
            check(!Path::new("/tmp/esc/rn/w1").exists(), || "w1 exists".into())
        },
    );
    s.case(
        "rename: a rename may not move a write-protected file to a writable name",
        || {
            refused_by_esc_rename(
                &["rename", "/tmp/esc/rn/ro2", "/tmp/esc/rn/w2"],
                "from=\"/tmp/esc/rn/ro2\" adds=w",
            )?;
            still_holds("/tmp/esc/rn/ro2", "ro-data")
        },
    );
    s.case(
        "rename: an exchange may not give a write-protected file a writable name",
        || {
            // Each side of an exchange gets the other's contents: `write` on both names.
            refused_by_esc_rename(
                &["exchange", "/tmp/esc/rn/ro2", "/tmp/esc/rn/w3"],
                "path=\"/tmp/esc/rn/ro2\" requested=wn denied=w",
            )?;
            // Both names writable, but one refuses reading: the file coming from it may not
            // take the readable name.
            refused_by_esc_rename(
                &["exchange", "/tmp/esc/rn/w3", "/tmp/esc/rn/wo2"],
                "path=\"/tmp/esc/rn/w3\" from=\"/tmp/esc/rn/wo2\" adds=r",
            )?;
            still_holds("/tmp/esc/rn/ro2", "ro-data")
        },
    );
    s.case(
        "rename: onto a write-protected name is refused, as writing it would be",
        || {
            refused_by_esc_rename(
                &["rename", "/tmp/esc/rn/w3", "/tmp/esc/rn/ro1"],
                "path=\"/tmp/esc/rn/ro1\" requested=wcdn denied=w",
            )?;
            still_holds("/tmp/esc/rn/ro1", "ro-data")
        },
    );
    s.case("rename: a file may take a name that gives it less", || {
        expect(PROBE, &["link", "/tmp/esc/rn/w3", "/tmp/esc/rn/wo1"], 0).map(drop)
    });
    s.case(
        "rename: a directory may not move where the rules below it differ",
        || {
            refused_by_esc_rename(
                &["rename", "/tmp/esc/rn/d/prot", "/tmp/esc/rn/d/open"],
                "from=\"/tmp/esc/rn/d/prot\" below=differs",
            )?;
            expect(PROBE, &["open", "/tmp/esc/rn/d/prot/f", "w"], libc::EACCES)?;
            // Where the rules below are the same, it may.
            expect(
                PROBE,
                &["rename", "/tmp/esc/rn/d/plain", "/tmp/esc/rn/d/plain2"],
                0,
            )
            .map(drop)
        },
    );
    s.case("rename: remove the rename profile", || {
        remove(&["esc-rename"])
    });
}
