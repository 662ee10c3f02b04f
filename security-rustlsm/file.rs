// SPDX-License-Identifier: GPL-2.0-only

//! `file_open`: checks each open by a confined task against its profile's path rules.

use crate::{cred_blob, path::FilePath, report, wire};
use kernel::{bindings, ffi::c_int, prelude::*};

/// The accesses an open file was opened for, as `wire::ACCESS_*` bits.
///
/// # Safety
///
/// `file` must point to a valid file.
unsafe fn requested_access(file: *const bindings::file) -> u32 {
    // SAFETY: The caller guarantees `file` is valid.
    let (mode, flags) = unsafe { ((*file).f_mode, (*file).f_flags) };
    let mut access = 0;
    if mode & bindings::FMODE_READ != 0 {
        access |= wire::ACCESS_READ;
    }
    if mode & bindings::FMODE_WRITE != 0 {
        access |= wire::ACCESS_WRITE;
    }
    // The exec of a binary marks its open in f_flags, not f_mode.
    if flags & bindings::__FMODE_EXEC != 0 {
        access |= wire::ACCESS_EXEC;
    }
    access
}

/// `file_open`. Unconfined tasks pay one pointer test. A confined task's open is resolved
/// to a path (this may sleep, which `file_open` allows) and checked against its profile.
///
/// # Safety
///
/// Called by the LSM framework with a valid file being opened.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_open(file: *mut bindings::file) -> c_int {
    // SAFETY: The file is valid and holds a reference to its opener's creds.
    let Some(label) = (unsafe { cred_blob::label((*file).f_cred) }) else {
        return 0;
    };
    let Some(profile) = label.profile() else {
        return 0;
    };
    // SAFETY: The file is valid.
    let requested = unsafe { requested_access(file) };
    if requested == 0 {
        return 0;
    }
    // SAFETY: The file is valid.
    let path = match unsafe { FilePath::of(file) } {
        Ok(path) => path,
        Err(e) => return e.to_errno(),
    };
    let Some(view) = profile.view() else {
        return EACCES.to_errno();
    };
    let refused = view.refused(path.bytes(), requested);
    if refused == 0 {
        return 0;
    }
    report::denial(&view, "open", path.bytes(), requested, refused);
    report::verdict(view.mode())
}
