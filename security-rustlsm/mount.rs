// SPDX-License-Identifier: GPL-2.0-only

//! `mount`, `umount` and `pivot_root`: refused to confined tasks unless their profile allows
//! the operation.

use crate::{
    access::{check_with, current_cred},
    report, wire,
};
use kernel::{bindings, ffi::c_int, prelude::*};

/// The object of a mount decision (the operation says it all).
struct NoObject;

impl kernel::fmt::Display for NoObject {
    fn fmt(&self, _f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        Ok(())
    }
}

impl report::Object for NoObject {
    fn audit(&self, _record: &mut kernel::audit::Record) {}
}

fn check(op: &str, flag: u32) -> c_int {
    // SAFETY: The current task's creds are valid while it runs.
    unsafe {
        check_with(current_cred(), op, &NoObject, EACCES, true, |view| {
            view.may_mount(flag)
        })
    }
}

/// `sb_mount`: new mounts, bind mounts, moves and remounts alike.
///
/// # Safety
///
/// Called by the LSM framework.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_sb_mount(
    _dev_name: *const kernel::ffi::c_char,
    _path: *const bindings::path,
    _type: *const kernel::ffi::c_char,
    _flags: usize,
    _data: *mut kernel::ffi::c_void,
) -> c_int {
    check("mount", wire::MOUNT_MOUNT)
}

/// `sb_umount`.
///
/// # Safety
///
/// Called by the LSM framework.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_sb_umount(
    _mnt: *mut bindings::vfsmount,
    _flags: c_int,
) -> c_int {
    check("umount", wire::MOUNT_UMOUNT)
}

/// `sb_pivotroot`.
///
/// # Safety
///
/// Called by the LSM framework.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_sb_pivotroot(
    _old_path: *const bindings::path,
    _new_path: *const bindings::path,
) -> c_int {
    check("pivot_root", wire::MOUNT_PIVOT_ROOT)
}

/// `sb_remount`: changing a mounted file system's options counts as a mount.
///
/// # Safety
///
/// Called by the LSM framework.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_sb_remount(
    _sb: *mut bindings::super_block,
    _mnt_opts: *mut kernel::ffi::c_void,
) -> c_int {
    check("mount", wire::MOUNT_MOUNT)
}

/// `move_mount`: the new mount API attaches a mount made by `fsmount()` or cloned by
/// `open_tree()` here, so it needs `mount`, as `mount()` does (AppArmor and Landlock hook it
/// for the same reason).
///
/// # Safety
///
/// Called by the LSM framework.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_move_mount(
    _from_path: *const bindings::path,
    _to_path: *const bindings::path,
) -> c_int {
    check("mount", wire::MOUNT_MOUNT)
}
