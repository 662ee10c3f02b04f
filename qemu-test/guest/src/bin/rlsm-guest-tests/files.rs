//! File hooks (file.rs, path_ops.rs): the demo profile's opens, reads, writes and creates,
//! long paths, and the denial's log line; then one profile exercising every file access, each
//! with an allowed and a refused case.

use crate::harness::{expect_open, kernel_log, lsmctl, run};
use crate::{check, Outcome, Suite, FREE_PROBE, PROBE};
use std::fs;

/// The probe under the file-breadth profile below.
pub(crate) const FS_PROBE: &str = "/usr/bin/rlsm-probe-fs";

/// One profile exercising every file access: allows, a deny inside an allowed tree, and
/// accesses granted on their own.
const FS_PROFILE: &str = r#"
[profile.fs]
attach = ["/usr/bin/rlsm-probe-fs"]

[[profile.fs.rule]]
allow = ["read", "write", "create", "delete", "rename", "link", "setattr", "mmap_exec"]
paths = ["/tmp/fs/rw/**"]

[[profile.fs.rule]]
deny = ["write", "delete", "setattr"]
paths = ["/tmp/fs/rw/keep*"]

[[profile.fs.rule]]
allow = ["append"]
paths = ["/tmp/fs/{log,log2}"]

[[profile.fs.rule]]
allow = ["read"]
paths = ["/tmp/fs/ro/**"]

[[profile.fs.rule]]
allow = ["read", "ioctl"]
paths = ["/dev/null"]

[[profile.fs.rule]]
allow = ["read"]
paths = ["/dev/zero"]
"#;

/// (what, probe arguments, expected errno) for the file-breadth profile, in order: each
/// access has an allowed and a refused case.
const FS_CASES: &[(&str, &[&str], i32)] = &[
    (
        "append: O_APPEND on an append-only file",
        &["append", "/tmp/fs/log"],
        0,
    ),
    (
        "append: plain write on an append-only file",
        &["write", "/tmp/fs/log"],
        libc::EACCES,
    ),
    (
        "append: the other alternative of a {a,b} pattern",
        &["append", "/tmp/fs/log2"],
        0,
    ),
    ("write: allowed tree", &["write", "/tmp/fs/rw/a"], 0),
    (
        "write: deny inside the allowed tree",
        &["write", "/tmp/fs/rw/keep1"],
        libc::EACCES,
    ),
    (
        "create: file in the allowed tree",
        &["create", "/tmp/fs/rw/new"],
        0,
    ),
    (
        "create: file in a read-only tree",
        &["create", "/tmp/fs/ro/new"],
        libc::EACCES,
    ),
    (
        "create: mkdir in the allowed tree",
        &["mkdir", "/tmp/fs/rw/d"],
        0,
    ),
    (
        "create: mkdir in a read-only tree",
        &["mkdir", "/tmp/fs/ro/d"],
        libc::EACCES,
    ),
    (
        "create: symlink in the allowed tree",
        &["symlink", "/etc/passwd", "/tmp/fs/rw/sl"],
        0,
    ),
    (
        "create: symlink in a read-only tree",
        &["symlink", "/etc/passwd", "/tmp/fs/ro/sl"],
        libc::EACCES,
    ),
    (
        "delete: unlink in the allowed tree",
        &["unlink", "/tmp/fs/rw/new"],
        0,
    ),
    (
        "delete: unlink a denied file in the allowed tree",
        &["unlink", "/tmp/fs/rw/keep1"],
        libc::EACCES,
    ),
    (
        "delete: unlink in a read-only tree",
        &["unlink", "/tmp/fs/ro/x"],
        libc::EACCES,
    ),
    (
        "rename: within the allowed tree",
        &["rename", "/tmp/fs/rw/b", "/tmp/fs/rw/c"],
        0,
    ),
    (
        "rename: to a target outside every rule",
        &["rename", "/tmp/fs/rw/c", "/tmp/fs/out"],
        libc::EACCES,
    ),
    (
        "rename: from a read-only source",
        &["rename", "/tmp/fs/ro/x", "/tmp/fs/rw/x"],
        libc::EACCES,
    ),
    (
        "link: within the allowed tree",
        &["link", "/tmp/fs/rw/c", "/tmp/fs/rw/c2"],
        0,
    ),
    (
        "link: from a read-only source",
        &["link", "/tmp/fs/ro/x", "/tmp/fs/rw/x2"],
        libc::EACCES,
    ),
    ("mmap_exec: allowed file", &["mmap-exec", "/tmp/fs/rw/c"], 0),
    (
        "mmap_exec: readable but not executable-mappable",
        &["mmap-exec", "/tmp/fs/ro/x"],
        libc::EACCES,
    ),
    (
        "mmap_exec: mprotect(PROT_EXEC) of an allowed file",
        &["mprotect-exec", "/tmp/fs/rw/c"],
        0,
    ),
    (
        "mmap_exec: mprotect(PROT_EXEC) of a read-only mapping is refused",
        &["mprotect-exec", "/tmp/fs/ro/x"],
        libc::EACCES,
    ),
    (
        "setattr: chmod in the allowed tree",
        &["chmod", "/tmp/fs/rw/c"],
        0,
    ),
    (
        "setattr: chmod a read-only file",
        &["chmod", "/tmp/fs/ro/x"],
        libc::EACCES,
    ),
    (
        "setattr: set times by name in the allowed tree",
        &["utimes", "/tmp/fs/rw/c"],
        0,
    ),
    (
        "setattr: set times by name of a read-only file",
        &["utimes", "/tmp/fs/ro/x"],
        libc::EACCES,
    ),
    (
        "setattr: futimens through a descriptor in the allowed tree",
        &["futimens", "/tmp/fs/rw/c"],
        0,
    ),
    (
        "setattr: futimens through a read-only descriptor of a read-only file",
        &["futimens", "/tmp/fs/ro/x"],
        libc::EACCES,
    ),
    (
        "truncate: by path in the allowed tree",
        &["truncate", "/tmp/fs/rw/c"],
        0,
    ),
    (
        "truncate: an append-only file",
        &["truncate", "/tmp/fs/log"],
        libc::EACCES,
    ),
    (
        "ioctl: allowed device answers for itself (ENOTTY)",
        &["ioctl", "/dev/null"],
        libc::ENOTTY,
    ),
    (
        "ioctl: device without ioctl",
        &["ioctl", "/dev/zero"],
        libc::EACCES,
    ),
];

fn fs_fixture() -> Outcome {
    for d in ["/tmp/fs/rw", "/tmp/fs/ro"] {
        fs::create_dir_all(d).map_err(|e| format!("{d}: {e}"))?;
    }
    for f in [
        "/tmp/fs/rw/a",
        "/tmp/fs/rw/b",
        "/tmp/fs/rw/keep1",
        "/tmp/fs/ro/x",
        "/tmp/fs/log",
        "/tmp/fs/log2",
    ] {
        fs::write(f, b"data").map_err(|e| format!("{f}: {e}"))?;
    }
    Ok(())
}

/// The demo profile, loaded by the policy-loading cases before these, confining `PROBE`.
pub(crate) fn demo(s: &mut Suite) {
    s.case("confined: the forbidden file gets EACCES", || {
        expect_open(PROBE, "/etc/shadow", "r", libc::EACCES)
    });
    s.case("confined: an allowed file opens", || {
        expect_open(PROBE, "/etc/passwd", "r", 0)
    });
    s.case("confined: write to a read-only path gets EACCES", || {
        expect_open(PROBE, "/etc/passwd", "w", libc::EACCES)
    });
    s.case("confined: create and write in the scratch tree", || {
        expect_open(PROBE, "/tmp/demo/new-file", "rwc", 0)
    });
    s.case("confined: a path outside every rule gets EACCES", || {
        expect_open(PROBE, "/root/secret", "r", libc::EACCES)
    });
    s.case(
        "paths longer than the on-stack buffer are resolved too",
        || {
            let dir = format!("/tmp/demo/{}", ["d123456789abcdef"; 20].join("/"));
            fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let inside = format!("{dir}/f");
            let outside = format!("/tmp/{}", ["e123456789abcdef"; 20].join("/"));
            fs::create_dir_all(&outside).map_err(|e| e.to_string())?;
            let outside = format!("{outside}/f");
            fs::write(&outside, b"x").map_err(|e| e.to_string())?;
            check(inside.len() > 300, || "path too short for the test".into())?;
            expect_open(PROBE, &inside, "rwc", 0)?;
            expect_open(PROBE, &outside, "r", libc::EACCES)
        },
    );
    s.case("unconfined: another program is untouched", || {
        expect_open(FREE_PROBE, "/etc/shadow", "r", 0)?;
        expect_open(FREE_PROBE, "/root/secret", "r", 0)
    });
    s.case(
        "the denial is in the kernel log with profile, op, path and access",
        || {
            let log = kernel_log();
            let want = "DENIED profile=\"demo\" op=open path=\"/etc/shadow\" requested=r denied=r";
            check(log.contains(want), || {
                format!("no line containing {want:?}")
            })
        },
    );
}

/// The file-breadth profile: loaded, every access tried, removed.
pub(crate) fn breadth(s: &mut Suite) {
    s.case("load the file-breadth profile", || {
        fs_fixture()?;
        fs::write("/tmp/fs.toml", FS_PROFILE).map_err(|e| e.to_string())?;
        lsmctl(&["load", "/tmp/fs.toml"])
    });
    s.table(FS_PROBE, FS_CASES);
    s.case(
        "the unconfined runner is untouched by the file-breadth profile",
        || {
            let (got, _) = run(FREE_PROBE, &["unlink", "/tmp/fs/rw/keep1"]);
            check(got == 0, || format!("errno {got}"))
        },
    );
    s.case("remove the file-breadth profile", || {
        lsmctl(&["remove", "fs"])
    });
}
