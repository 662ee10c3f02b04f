// SPDX-License-Identifier: GPL-2.0-only

//! Hooks on names: creating, removing, renaming and linking entries, and changing a file's
//! attributes or size by path.

use crate::{
    access::{check_path, current_cred},
    accessors,
    path::ResolvedPath,
    wire,
};
use kernel::{bindings, ffi::c_int};

/// Checks `requested` on the entry `dentry` of directory `dir` for the current task.
///
/// # Safety
///
/// `dir` and `dentry` must be valid and held for the duration of the call.
unsafe fn check_entry(
    op: &str,
    requested: u32,
    dir: *const bindings::path,
    dentry: *const bindings::dentry,
) -> c_int {
    // SAFETY: The caller guarantees `dir` and `dentry`; the current creds are valid.
    unsafe {
        check_path(current_cred(), op, requested, || {
            ResolvedPath::of_entry(dir, dentry)
        })
    }
}

/// `path_mknod`: creating a file (including `open(O_CREAT)`), a device, FIFO or socket.
///
/// # Safety
///
/// Called by the LSM framework with a held directory and dentry.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_mknod(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    _mode: bindings::umode_t,
    _dev: u32,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_entry("create", wire::ACCESS_CREATE, dir, dentry) }
}

/// `inode_create`, for POSIX message queues only (every other create is decided at
/// `path_mknod`): `mq_open(O_CREAT)` creates a queue without a path hook. The queue is named
/// `mqueue:/NAME` as when it is opened, which no rule matches, so a confined task creates
/// none, instead of leaving a queue behind that it may not open.
///
/// # Safety
///
/// Called by the LSM framework with a held directory inode, locked, and a dentry in it.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_inode_create(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    _mode: bindings::umode_t,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_queue_entry("create", wire::ACCESS_CREATE, dir, dentry) }
}

/// Checks `requested` on the entry `dentry` of `dir` when `dir` is the current task's POSIX
/// message queue file system; other file systems are decided by the path hooks.
///
/// # Safety
///
/// `dir` must be a valid directory inode, locked by the caller, and `dentry` an entry in it.
unsafe fn check_queue_entry(
    op: &str,
    requested: u32,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: Guaranteed by the caller.
    let Some(root) = (unsafe { accessors::mqueue_root(dir) }) else {
        return 0;
    };
    // SAFETY: `root` is the mount of `dir`'s file system, held by the task's IPC namespace;
    // `dentry` is in `dir`, which the caller has locked.
    unsafe { check_entry(op, requested, &root, dentry) }
}

/// `inode_unlink`, for POSIX message queues only (every other unlink is decided at
/// `path_unlink`): `mq_unlink()` removes a queue without a path hook. Named `mqueue:/NAME`,
/// which no rule matches, so a confined task removes no queue (another program's included).
///
/// # Safety
///
/// Called by the LSM framework with a held directory inode, locked, and a dentry in it.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_inode_unlink(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_queue_entry("delete", wire::ACCESS_DELETE, dir, dentry) }
}

/// `path_mkdir`.
///
/// # Safety
///
/// Called by the LSM framework with a held directory and dentry.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_mkdir(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    _mode: bindings::umode_t,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_entry("mkdir", wire::ACCESS_CREATE, dir, dentry) }
}

/// `path_symlink`: the link itself is created; where it points is not checked here (opening
/// through it is, at the target's path).
///
/// # Safety
///
/// Called by the LSM framework with a held directory and dentry.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_symlink(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    _old_name: *const kernel::ffi::c_char,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_entry("symlink", wire::ACCESS_CREATE, dir, dentry) }
}

/// `path_unlink`.
///
/// # Safety
///
/// Called by the LSM framework with a held directory and dentry.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_unlink(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_entry("unlink", wire::ACCESS_DELETE, dir, dentry) }
}

/// `path_rmdir`.
///
/// # Safety
///
/// Called by the LSM framework with a held directory and dentry.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_rmdir(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_entry("rmdir", wire::ACCESS_DELETE, dir, dentry) }
}

/// Whether `dentry` names an existing file.
///
/// # Safety
///
/// `dentry` must be valid and its directory locked.
unsafe fn exists(dentry: *const bindings::dentry) -> bool {
    // SAFETY: Guaranteed by the caller; the inode pointer is stable under the lock.
    !unsafe { (*dentry).d_inode }.is_null()
}

/// `path_rename`: the source name needs `rename`; the target name needs `rename` and
/// `create` (the rename makes that name), and `delete` if a file there is replaced, so a
/// rename can neither make a name a create rule refuses nor destroy a file a delete rule
/// protects (AppArmor asks the same). An exchange (`RENAME_EXCHANGE`) makes and removes no
/// name: each side needs `rename`.
///
/// # Safety
///
/// Called by the LSM framework with held directories and dentries.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_rename(
    old_dir: *const bindings::path,
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
    flags: u32,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    let rc = unsafe { check_entry("rename", wire::ACCESS_RENAME, old_dir, old_dentry) };
    if rc != 0 {
        return rc;
    }
    let target = if flags & bindings::RENAME_EXCHANGE != 0 {
        wire::ACCESS_RENAME
    // SAFETY: The target's directory is locked by the caller.
    } else if unsafe { exists(new_dentry) } {
        wire::ACCESS_RENAME | wire::ACCESS_CREATE | wire::ACCESS_DELETE
    } else {
        wire::ACCESS_RENAME | wire::ACCESS_CREATE
    };
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_entry("rename", target, new_dir, new_dentry) }
}

/// `path_link`: the existing name needs `link`; the new name needs `link` and `create` (it
/// makes a name; this also covers naming an `O_TMPFILE` file).
///
/// # Safety
///
/// Called by the LSM framework with held dentries and directory.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_link(
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
) -> c_int {
    // The existing entry lives on the same mount as the new one (links never cross mounts).
    // SAFETY: Guaranteed by the LSM framework.
    let rc = unsafe {
        check_path(current_cred(), "link", wire::ACCESS_LINK, || {
            ResolvedPath::on_mount_of(new_dir, old_dentry)
        })
    };
    if rc != 0 {
        return rc;
    }
    // SAFETY: Guaranteed by the LSM framework.
    unsafe {
        check_entry(
            "link",
            wire::ACCESS_LINK | wire::ACCESS_CREATE,
            new_dir,
            new_dentry,
        )
    }
}

/// `path_truncate`: `truncate()` by name.
///
/// # Safety
///
/// Called by the LSM framework with a valid path.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_truncate(path: *const bindings::path) -> c_int {
    // SAFETY: The path and the current creds are valid during the hook.
    unsafe {
        check_path(current_cred(), "truncate", wire::ACCESS_TRUNCATE, || {
            ResolvedPath::of(path)
        })
    }
}

/// `path_chmod`.
///
/// # Safety
///
/// Called by the LSM framework with a valid path.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_chmod(
    path: *const bindings::path,
    _mode: bindings::umode_t,
) -> c_int {
    // SAFETY: The path and the current creds are valid during the hook.
    unsafe {
        check_path(current_cred(), "chmod", wire::ACCESS_SETATTR, || {
            ResolvedPath::of(path)
        })
    }
}

/// `path_chown`.
///
/// # Safety
///
/// Called by the LSM framework with a valid path.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_chown(
    path: *const bindings::path,
    _uid: bindings::kuid_t,
    _gid: bindings::kgid_t,
) -> c_int {
    // SAFETY: The path and the current creds are valid during the hook.
    unsafe {
        check_path(current_cred(), "chown", wire::ACCESS_SETATTR, || {
            ResolvedPath::of(path)
        })
    }
}

/// `path_utimes`: setting a file's access and modification times, by name or through an
/// open file.
///
/// # Safety
///
/// Called by the LSM framework with a valid path.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_path_utimes(path: *const bindings::path) -> c_int {
    // SAFETY: The path and the current creds are valid during the hook.
    unsafe {
        check_path(current_cred(), "utimes", wire::ACCESS_SETATTR, || {
            ResolvedPath::of(path)
        })
    }
}
