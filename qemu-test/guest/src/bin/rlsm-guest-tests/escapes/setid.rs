//! A confined program (root, here) that may create files and change their modes still
//! cannot leave a set-user-ID or set-group-ID file behind, for any user to run unconfined as
//! its owner: not by creating one, not with chmod, and not by naming an `O_TMPFILE` file
//! made with those bits (path_ops.rs). A set-group-ID directory, whose bit only hands its
//! group on to new entries, is not such a file.

use super::{expect, fixture, load, refused, remove};
use crate::{check, Outcome, Suite};
use std::os::unix::fs::PermissionsExt;

const PROBE: &str = "/usr/bin/rlsm-probe-esc-setid";
const DIR: &str = "/tmp/esc/setid";

const PROFILE: &str = r#"
[profile.esc-setid]
attach = ["/usr/bin/rlsm-probe-esc-setid"]

[[profile.esc-setid.rule]]
allow = ["read", "write", "create", "delete", "link", "setattr"]
paths = ["/tmp/esc/setid", "/tmp/esc/setid/**"]
"#;

fn reset() -> Outcome {
    let _ = std::fs::remove_dir_all(DIR);
    fixture(&[DIR], &[])
}

fn absent(path: &str) -> Outcome {
    check(std::fs::symlink_metadata(path).is_err(), || {
        format!("{path} exists")
    })
}

/// Creating `file` with `mode` is refused and logged, and leaves no file.
fn create_refused(file: &str, mode: &str) -> Outcome {
    reset()?;
    let args = ["setid-create", file, mode];
    refused(PROBE, &args, libc::EACCES, "esc-setid", "setid", file)?;
    absent(file)
}

pub(super) fn run(s: &mut Suite) {
    s.case("setid: load the profile", || {
        reset()?;
        load("esc-setid", PROFILE)
    });
    s.case("setid: an ordinary create and chmod (baseline)", || {
        reset()?;
        let plain = format!("{DIR}/plain");
        expect(PROBE, &["setid-create", &plain, "755"], 0)?;
        expect(PROBE, &["setid-chmod", &plain, "700"], 0).map(drop)
    });
    s.case("setid: creating a set-user-ID file is refused", || {
        create_refused(&format!("{DIR}/suid"), "4755")
    });
    s.case("setid: creating a set-group-ID file is refused", || {
        create_refused(&format!("{DIR}/sgid"), "2755")
    });
    s.case(
        "setid: chmod u+s is refused, by name or descriptor, and the mode stays",
        || {
            reset()?;
            let file = format!("{DIR}/plain");
            expect(PROBE, &["setid-create", &file, "755"], 0)?;
            for call in ["setid-chmod", "setid-fchmod", "setid-fchmodat2"] {
                refused(
                    PROBE,
                    &[call, &file, "4755"],
                    libc::EACCES,
                    "esc-setid",
                    "setid",
                    &file,
                )?;
            }
            let mode = std::fs::metadata(&file)
                .map_err(|e| e.to_string())?
                .permissions()
                .mode();
            check(mode & 0o7777 == 0o755, || format!("mode {mode:o}"))
        },
    );
    s.case(
        "setid: an O_TMPFILE set-user-ID file cannot be given a name",
        || {
            reset()?;
            let name = format!("{DIR}/tmpsuid");
            expect(PROBE, &["setid-tmpfile", DIR, &name, "4755"], libc::EACCES)?;
            absent(&name)
        },
    );
    s.case(
        "setid: an existing set-user-ID program is not written, truncated or hard-linked",
        || {
            reset()?;
            let file = format!("{DIR}/prog");
            std::fs::write(&file, "#!/bin/sh\n").map_err(|e| e.to_string())?;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o4755))
                .map_err(|e| e.to_string())?;
            refused(
                PROBE,
                &["write", &file],
                libc::EACCES,
                "esc-setid",
                "setid",
                &file,
            )?;
            expect(PROBE, &["truncate", &file], libc::EACCES)?;
            let len = std::fs::metadata(&file).map_err(|e| e.to_string())?.len();
            check(len > 0, || "the program was truncated".into())?;
            // A second name (path_link) would outlive a fix of the first one's mode.
            let copy = format!("{DIR}/prog2");
            expect(PROBE, &["link", &file, &copy], libc::EACCES)?;
            absent(&copy)
        },
    );
    s.case("setid: a set-group-ID directory is allowed", || {
        reset()?;
        expect(PROBE, &["setid-mkdir", &format!("{DIR}/shared"), "2775"], 0).map(drop)
    });
    s.case("setid: remove the profile", || {
        let _ = std::fs::remove_dir_all(DIR);
        remove(&["esc-setid"])
    });
}
