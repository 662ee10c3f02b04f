// SPDX-License-Identifier: GPL-2.0-only

//! Hooks on open files: `open`, `ftruncate`, `ioctl` on devices and executable `mmap` or
//! `mprotect`.

use crate::{
    access::{check_path, current_cred},
    path::ResolvedPath,
    wire,
};
use kernel::{bindings, ffi::c_int};

/// The accesses an open file was opened for, as `wire::ACCESS_*` bits.
///
/// # Safety
///
/// `file` must point to a valid file.
unsafe fn open_access(file: *const bindings::file) -> u32 {
    // SAFETY: The caller guarantees `file` is valid.
    let (mode, flags) = unsafe { ((*file).f_mode, (*file).f_flags) };
    // The exec of a binary marks its open in f_flags, not f_mode. Reading the image is part
    // of executing it, so an exec asks for `exec` alone.
    if flags & bindings::__FMODE_EXEC != 0 {
        return wire::ACCESS_EXEC;
    }
    let mut access = 0;
    if mode & bindings::FMODE_READ != 0 {
        access |= wire::ACCESS_READ;
    }
    if mode & bindings::FMODE_WRITE != 0 {
        access |= if flags & bindings::O_APPEND != 0 {
            wire::ACCESS_APPEND
        } else {
            wire::ACCESS_WRITE
        };
    }
    access
}

/// `file_open`. Unconfined tasks pay one pointer test.
///
/// # Safety
///
/// Called by the LSM framework with a valid file being opened.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_open(file: *mut bindings::file) -> c_int {
    // SAFETY: The file is valid and holds its opener's creds.
    unsafe {
        check_path((*file).f_cred, "open", open_access(file), || {
            ResolvedPath::of_file(file)
        })
    }
}

/// `file_truncate`: `ftruncate()` and `open(O_TRUNC)`.
///
/// # Safety
///
/// Called by the LSM framework with a valid open file.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_truncate(file: *mut bindings::file) -> c_int {
    // SAFETY: The current creds and the file are valid during the hook.
    unsafe {
        check_path(current_cred(), "truncate", wire::ACCESS_TRUNCATE, || {
            ResolvedPath::of_file(file)
        })
    }
}

/// Whether `file` is a character or block device: `ioctl` rules apply to devices only, as
/// pipes, sockets and regular files answer a fixed, harmless set of ioctls.
///
/// # Safety
///
/// `file` must point to a valid open file.
unsafe fn is_device(file: *const bindings::file) -> bool {
    // SAFETY: An open file has a valid inode.
    let mode = u32::from(unsafe { (*(*file).f_inode).i_mode }) & bindings::S_IFMT;
    mode == bindings::S_IFCHR || mode == bindings::S_IFBLK
}

/// `file_ioctl`.
///
/// # Safety
///
/// Called by the LSM framework with a valid open file.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_ioctl(
    file: *mut bindings::file,
    _cmd: u32,
    _arg: usize,
) -> c_int {
    // SAFETY: The file is valid during the hook.
    if !unsafe { is_device(file) } {
        return 0;
    }
    // SAFETY: The current creds and the file are valid during the hook.
    unsafe {
        check_path(current_cred(), "ioctl", wire::ACCESS_IOCTL, || {
            ResolvedPath::of_file(file)
        })
    }
}

/// `mmap_file`: mapping a file executable needs `mmap_exec` on it. This includes the kernel's
/// own mapping of a program being executed, which is why `lsmctl`'s `exec` grants both.
///
/// # Safety
///
/// Called by the LSM framework; `file` is null for anonymous mappings.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_mmap_file(
    file: *mut bindings::file,
    _reqprot: usize,
    prot: usize,
    _flags: usize,
) -> c_int {
    if file.is_null() || prot & bindings::PROT_EXEC as usize == 0 {
        return 0;
    }
    // SAFETY: The current creds and the file are valid during the hook.
    unsafe {
        check_path(current_cred(), "mmap", wire::ACCESS_MMAP_EXEC, || {
            ResolvedPath::of_file(file)
        })
    }
}

/// `file_mprotect`: making a file mapping executable later needs `mmap_exec` on the file,
/// exactly as mapping it executable at once does; otherwise a confined task could map a
/// file read-only and `mprotect` it executable. Anonymous memory is not a file rule's
/// business.
///
/// # Safety
///
/// Called by the LSM framework with a valid `vma`, under the mm's mmap lock held for writing.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_mprotect(
    vma: *mut bindings::vm_area_struct,
    _reqprot: usize,
    prot: usize,
) -> c_int {
    if prot & bindings::PROT_EXEC as usize == 0 {
        return 0;
    }
    // SAFETY: The caller holds the mmap lock, so `vma` is valid and `vm_file` stable.
    let file = unsafe { (*vma).vm_file };
    if file.is_null() {
        return 0;
    }
    // SAFETY: The current creds are valid during the hook, and `file` is pinned by the vma.
    unsafe {
        check_path(current_cred(), "mprotect", wire::ACCESS_MMAP_EXEC, || {
            ResolvedPath::of_file(file)
        })
    }
}
