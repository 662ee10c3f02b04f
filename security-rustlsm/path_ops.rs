// SPDX-License-Identifier: GPL-2.0-only

//! Hooks on names: creating, removing, renaming and linking entries, and changing a file's
//! attributes or size by path.

use crate::{
    access::check_current_path,
    accessors,
    path::{Object, Target},
    refer,
    setid::{mode_of, refuse_if_set_id},
    wire,
};
use kernel::{
    bindings,
    fs::{Dentry, Inode, LockedDentry, Path},
    prelude::*,
    str::CStr,
    task::Kuid,
};

/// Checks `requested` on the entry `dentry` of directory `dir` (locked, so the name is
/// stable), which names or is to name `object`, for the current task.
fn check_entry(
    op: &str,
    requested: u32,
    dir: &Path,
    dentry: &LockedDentry,
    object: Object<'_>,
) -> Result {
    check_current_path(op, requested, Target::Entry(dir, dentry.name(), object))
}

/// `path_mknod`: creating a file (including `open(O_CREAT)`), a device, FIFO or socket; never
/// a set-ID one (see [`crate::setid`]).
pub(crate) fn path_mknod(
    dir: &Path,
    dentry: &LockedDentry,
    mode: bindings::umode_t,
    _dev: u32,
) -> Result {
    let target = Target::Entry(dir, dentry.name(), Object::New);
    refuse_if_set_id(u32::from(mode), wire::ACCESS_CREATE, target)?;
    check_entry("create", wire::ACCESS_CREATE, dir, dentry, Object::New)
}

/// `inode_create`, for POSIX message queues only (every other create is decided at
/// `path_mknod`): `mq_open(O_CREAT)` creates a queue without a path hook. The queue is named
/// `mqueue:/NAME` as when it is opened, which no rule matches, so a confined task creates
/// none, instead of leaving a queue behind that it may not open.
pub(crate) fn inode_create(dir: &Inode, dentry: &Dentry, _mode: bindings::umode_t) -> Result {
    check_queue_entry("create", wire::ACCESS_CREATE, dir, dentry, Object::New)
}

/// Checks `requested` on the entry `dentry` of `dir` when `dir` is the current task's POSIX
/// message queue file system; other file systems are decided by the path hooks. The name is
/// copied: not every caller of these hooks locks the directory.
fn check_queue_entry(
    op: &str,
    requested: u32,
    dir: &Inode,
    dentry: &Dentry,
    object: Object<'_>,
) -> Result {
    accessors::with_mqueue_root(dir, |root| {
        dentry
            .with_name(|name| check_current_path(op, requested, Target::Entry(root, name, object)))
    })
    .unwrap_or(Ok(()))
}

/// `inode_unlink`, for POSIX message queues only (every other unlink is decided at
/// `path_unlink`): `mq_unlink()` removes a queue without a path hook. Named `mqueue:/NAME`,
/// which no rule matches, so a confined task removes no queue (another program's included).
pub(crate) fn inode_unlink(dir: &Inode, dentry: &Dentry) -> Result {
    check_queue_entry(
        "delete",
        wire::ACCESS_DELETE,
        dir,
        dentry,
        Object::named_by(dentry),
    )
}

/// `path_mkdir`.
pub(crate) fn path_mkdir(dir: &Path, dentry: &LockedDentry, _mode: bindings::umode_t) -> Result {
    check_entry("mkdir", wire::ACCESS_CREATE, dir, dentry, Object::New)
}

/// `path_symlink`: the link itself is created; where it points is not checked here (opening
/// through it is, at the target's path).
pub(crate) fn path_symlink(dir: &Path, dentry: &LockedDentry, _target: &CStr) -> Result {
    check_entry("symlink", wire::ACCESS_CREATE, dir, dentry, Object::New)
}

/// `path_unlink`.
pub(crate) fn path_unlink(dir: &Path, dentry: &LockedDentry) -> Result {
    check_entry(
        "unlink",
        wire::ACCESS_DELETE,
        dir,
        dentry,
        Object::named_by(dentry),
    )
}

/// `path_rmdir`.
pub(crate) fn path_rmdir(dir: &Path, dentry: &LockedDentry) -> Result {
    check_entry(
        "rmdir",
        wire::ACCESS_DELETE,
        dir,
        dentry,
        Object::named_by(dentry),
    )
}

/// `path_rename`: the source name needs `rename`; the target name needs `rename`, `create`
/// (the rename makes that name) and `write` (it gets the file's contents), and `delete` if
/// a file there is replaced, so a rename can neither make a name a create rule refuses,
/// put contents where a write rule refuses them, nor destroy a file a delete rule protects
/// (AppArmor asks the same). An exchange (`RENAME_EXCHANGE`) makes and removes no name:
/// each side needs `rename` and `write`. No file may gain an access by its new name, nor
/// any file below a moved directory (see `refer`).
pub(crate) fn path_rename(
    old_dir: &Path,
    old_dentry: &LockedDentry,
    new_dir: &Path,
    new_dentry: &LockedDentry,
    flags: u32,
) -> Result {
    // Both names concern the moved file and the one it replaces or is exchanged with.
    let moved = match old_dentry.inode() {
        Some(inode) => Object::Existing(inode, new_dentry.inode()),
        None => Object::Unknown,
    };
    let exchange = flags & bindings::RENAME_EXCHANGE != 0;
    // In an exchange the source name gets the other file's contents.
    let source = if exchange {
        wire::ACCESS_RENAME | wire::ACCESS_WRITE
    } else {
        wire::ACCESS_RENAME
    };
    check_entry("rename", source, old_dir, old_dentry, moved)?;
    // The target name gets the moved file's contents: `write`, as for writing them there.
    let target = if exchange {
        wire::ACCESS_RENAME | wire::ACCESS_WRITE
    } else if new_dentry.inode().is_some() {
        // The target's directory is locked, so whether the name exists is stable.
        wire::ACCESS_RENAME | wire::ACCESS_CREATE | wire::ACCESS_DELETE | wire::ACCESS_WRITE
    } else {
        wire::ACCESS_RENAME | wire::ACCESS_CREATE | wire::ACCESS_WRITE
    };
    check_entry("rename", target, new_dir, new_dentry, moved)?;
    // The moved file must gain nothing by its new name, nor, in an exchange, the other file
    // by its new one (see `refer`).
    if let Some(inode) = old_dentry.inode() {
        let (from, to) = (
            moved_by(old_dir, old_dentry, inode),
            moved_by(new_dir, new_dentry, inode),
        );
        refer::check_current("rename", from, to, is_directory(inode))?;
    }
    match new_dentry.inode() {
        Some(inode) if flags & bindings::RENAME_EXCHANGE != 0 => {
            let (from, to) = (
                moved_by(new_dir, new_dentry, inode),
                moved_by(old_dir, old_dentry, inode),
            );
            refer::check_current("rename", from, to, is_directory(inode))
        }
        _ => Ok(()),
    }
}

fn is_directory(inode: &Inode) -> bool {
    inode.mode() & bindings::S_IFMT == bindings::S_IFDIR
}

/// The entry `dentry` of `dir` as a name of `inode`, the file a rename moves.
fn moved_by<'a>(dir: &'a Path, dentry: &'a LockedDentry, inode: &'a Inode) -> Target<'a> {
    Target::Entry(dir, dentry.name(), Object::Existing(inode, None))
}

/// `path_link`: the existing name needs `link`; the new name needs `link`, `create` (it
/// makes a name; this also covers naming an `O_TMPFILE` file) and `write` (the name gets
/// the file's contents; AppArmor asks only `link` there), and may give the file no access
/// its existing name does not. A set-ID file is never linked (see [`crate::setid`]).
pub(crate) fn path_link(old_path: &Path, new_dir: &Path, new_dentry: &LockedDentry) -> Result {
    refuse_if_set_id(mode_of(old_path), wire::ACCESS_LINK, Target::Path(old_path))?;
    check_current_path("link", wire::ACCESS_LINK, Target::Path(old_path))?;
    let linked = Object::named_by(old_path.dentry());
    check_entry(
        "link",
        wire::ACCESS_LINK | wire::ACCESS_CREATE | wire::ACCESS_WRITE,
        new_dir,
        new_dentry,
        linked,
    )?;
    // The file must gain nothing by its new name (see `refer`); directories are never
    // linked.
    let to = Target::Entry(new_dir, new_dentry.name(), linked);
    refer::check_current("link", Target::Path(old_path), to, false)
}

/// `path_truncate`: `truncate()` by name; never of a set-ID program (see [`crate::setid`]).
pub(crate) fn path_truncate(path: &Path) -> Result {
    refuse_if_set_id(mode_of(path), wire::ACCESS_TRUNCATE, Target::Path(path))?;
    check_current_path("truncate", wire::ACCESS_TRUNCATE, Target::Path(path))
}

/// `path_chmod`; never to a set-ID mode (see [`crate::setid`]). `mode` is the caller's, as
/// given: its permission bits count, the type is the inode's.
pub(crate) fn path_chmod(path: &Path, mode: bindings::umode_t) -> Result {
    let new = (mode_of(path) & bindings::S_IFMT) | (u32::from(mode) & !bindings::S_IFMT);
    refuse_if_set_id(new, wire::ACCESS_SETATTR, Target::Path(path))?;
    check_current_path("chmod", wire::ACCESS_SETATTR, Target::Path(path))
}

/// `path_chown`.
pub(crate) fn path_chown(path: &Path, _uid: Kuid, _gid: bindings::kgid_t) -> Result {
    check_current_path("chown", wire::ACCESS_SETATTR, Target::Path(path))
}

/// `path_utimes`: setting a file's access and modification times, by name or through an
/// open file.
pub(crate) fn path_utimes(path: &Path) -> Result {
    check_current_path("utimes", wire::ACCESS_SETATTR, Target::Path(path))
}
