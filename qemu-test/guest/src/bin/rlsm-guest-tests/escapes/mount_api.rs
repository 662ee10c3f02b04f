//! L1: the new mount API (fsopen/fsmount/move_mount, and fspick's reconfigure, a remount)
//! needs the profile's `mount` like mount(2); a detached mount (open_tree clone) has no path from the root, and opening
//! through it is refused rather than matched as "/FILE".

use super::{expect, fixture, has_line, load, mount, new_denials, refused, remove, umount};
use crate::{check, Outcome, Suite};

const NO_MOUNT: &str = "/usr/bin/rlsm-probe-esc-mnt";
const MOUNT: &str = "/usr/bin/rlsm-probe-esc-mntok";
const TREE: &str = "/usr/bin/rlsm-probe-esc-tree";
/// The same rules, attaching disconnected paths.
const TREE_OK: &str = "/usr/bin/rlsm-probe-esc-treeok";
const DIR: &str = "/tmp/esc/mnt";

const PROFILES: &str = r#"
[profile.esc-mnt]
attach = ["/usr/bin/rlsm-probe-esc-mnt"]
capabilities = ["sys_admin"]

[profile.esc-mntok]
attach = ["/usr/bin/rlsm-probe-esc-mntok"]
capabilities = ["sys_admin"]
mount = ["mount"]

[profile.esc-tree]
attach = ["/usr/bin/rlsm-probe-esc-tree"]
capabilities = ["sys_admin"]

[[profile.esc-tree.rule]]
allow = ["read"]
paths = ["/**"]

[[profile.esc-tree.rule]]
deny = ["read"]
paths = ["/etc/shadow"]

[profile.esc-treeok]
attach = ["/usr/bin/rlsm-probe-esc-treeok"]
capabilities = ["sys_admin"]
attach_disconnected = true

[[profile.esc-treeok.rule]]
allow = ["read"]
paths = ["/**"]

[[profile.esc-treeok.rule]]
deny = ["read"]
paths = ["/etc/shadow"]

[[profile.esc-treeok.rule]]
allow = ["create", "write"]
paths = ["/esc/tree/**"]

[[profile.esc-treeok.rule]]
deny = ["create"]
paths = ["/esc/tree/nope*"]
"#;

/// Whether something is mounted on DIR; unmounts it, so the next case starts clean.
fn mounted_then_cleared() -> Result<bool, String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
    let mounted = info.lines().any(|l| l.split(' ').nth(4) == Some(DIR));
    if mounted {
        let _ = umount(DIR);
    }
    Ok(mounted)
}

/// Mounts a tmpfs on DIR for a case to reconfigure (the runner is unconfined).
fn mount_tmpfs() -> Outcome {
    mount("tmpfs", DIR, "tmpfs", 0)
}

pub(super) fn run(s: &mut Suite) {
    s.case("mount API: load the mount profiles", || {
        fixture(&[DIR, "/tmp/esc/tree"], &[("/tmp/esc/tree/f", "tree")])?;
        load("esc-mnt", PROFILES)
    });
    s.case(
        "mount API: mount(2) without a mount rule (baseline)",
        || {
            let r = expect(NO_MOUNT, &["mount-tmpfs", DIR], libc::EACCES).map(drop);
            mounted_then_cleared()?;
            r
        },
    );
    s.case(
        "mount API: fsmount + move_mount without a mount rule is refused",
        || {
            let r = refused(
                NO_MOUNT,
                &["fsmount-tmpfs", DIR],
                libc::EACCES,
                "esc-mnt",
                "mount",
                "",
            );
            let mounted = mounted_then_cleared()?;
            r?;
            check(!mounted, || format!("a tmpfs is mounted on {DIR}"))
        },
    );
    s.case(
        "mount API: fsmount + move_mount with the mount rule",
        || {
            let r = expect(MOUNT, &["fsmount-tmpfs", DIR], 0).map(drop);
            let mounted = mounted_then_cleared()?;
            r?;
            check(mounted, || format!("nothing mounted on {DIR}"))
        },
    );
    s.case(
        "mount API: fspick + reconfigure (a remount) without a mount rule is refused",
        || {
            mount_tmpfs()?;
            let args = ["fspick-reconfigure", DIR];
            let r = refused(NO_MOUNT, &args, libc::EACCES, "esc-mnt", "mount", "");
            mounted_then_cleared()?;
            r
        },
    );
    s.case(
        "mount API: fspick + reconfigure with the mount rule",
        || {
            mount_tmpfs()?;
            let r = expect(MOUNT, &["fspick-reconfigure", DIR], 0).map(drop);
            mounted_then_cleared()?;
            r
        },
    );
    s.case("mount API: a file opened normally", || {
        expect(TREE, &["open", "/tmp/esc/tree/f", "r"], 0).map(drop)
    });
    s.case(
        "mount API: a file under a detached mount is refused",
        || {
            let lines = new_denials("esc-tree", || -> Outcome {
                expect(
                    TREE,
                    &["open-tree-open", "/tmp/esc/tree", "f"],
                    libc::EACCES,
                )
                .map(drop)
            })?;
            has_line(&lines, "open", "path=\"disconnected:/esc/tree/f\"")
        },
    );
    // With attach_disconnected the same file is matched by its path within its file system
    // (the tmpfs mounted on /tmp): /esc/tree/f, which `/**` allows.
    s.case(
        "mount API: attach_disconnected matches a detached mount's file within its file system",
        || expect(TREE_OK, &["open-tree-open", "/tmp/esc/tree", "f"], 0).map(drop),
    );
    s.case(
        "mount API: attach_disconnected still applies deny rules (rootfs path /etc/shadow)",
        || {
            let args = ["open-tree-open", "/etc", "shadow"];
            refused(TREE_OK, &args, libc::EACCES, "esc-treeok", "open", "shadow")
        },
    );
    // A name created in a disconnected directory is judged with its name (it once was judged
    // as the directory, which voided create rules there).
    s.case(
        "mount API: attach_disconnected judges a name created under a detached mount",
        || {
            let args = ["open-tree-create", "/tmp/esc/tree", "nope-1"];
            refused(
                TREE_OK,
                &args,
                libc::EACCES,
                "esc-treeok",
                "create",
                "path=\"disconnected:/esc/tree/nope-1\"",
            )?;
            expect(TREE_OK, &["open-tree-create", "/tmp/esc/tree", "made-1"], 0).map(drop)
        },
    );
    s.case(
        "mount API: a denied file through a detached mount is refused",
        || {
            let args = ["open-tree-open", "/etc", "shadow"];
            refused(TREE, &args, libc::EACCES, "esc-tree", "", "shadow")
        },
    );
    s.case("mount API: remove the mount profiles", || {
        remove(&["esc-mnt", "esc-mntok", "esc-tree", "esc-treeok"])
    });
}
