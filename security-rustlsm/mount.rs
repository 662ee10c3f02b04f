// SPDX-License-Identifier: GPL-2.0-only

//! `mount`, `umount` and `pivot_root`: refused to confined tasks unless their profile allows
//! the operation.

use crate::{access::check_current_with, report, wire};
use kernel::{fs::Path, prelude::*};

fn check(op: &str, flag: u32) -> Result {
    check_current_with(op, &report::NoObject, |rules| rules.may_mount(flag))
}

/// `sb_mount`: new mounts, bind mounts, moves and remounts alike.
pub(crate) fn sb_mount(_path: &Path, _flags: usize) -> Result {
    check("mount", wire::MOUNT_MOUNT)
}

/// `sb_umount`.
pub(crate) fn sb_umount(_flags: i32) -> Result {
    check("umount", wire::MOUNT_UMOUNT)
}

/// `sb_pivotroot`.
pub(crate) fn sb_pivotroot(_old_path: &Path, _new_path: &Path) -> Result {
    check("pivot_root", wire::MOUNT_PIVOT_ROOT)
}

/// `sb_remount`: changing a mounted file system's options counts as a mount.
pub(crate) fn sb_remount() -> Result {
    check("mount", wire::MOUNT_MOUNT)
}

/// `move_mount`: the new mount API attaches a mount made by `fsmount()` or cloned by
/// `open_tree()` here, so it needs `mount`, as `mount()` does (AppArmor and Landlock hook it
/// for the same reason).
pub(crate) fn move_mount(_from_path: &Path, _to_path: &Path) -> Result {
    check("mount", wire::MOUNT_MOUNT)
}
