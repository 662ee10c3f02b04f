// SPDX-License-Identifier: GPL-2.0-only

//! The one decision every file-system hook makes: may the task with these credentials have
//! these accesses to this path?

use crate::{cred_blob, path::ResolvedPath, report};
use kernel::{bindings, ffi::c_int, prelude::*};

/// The current task's subjective credentials.
pub(crate) fn current_cred() -> *const bindings::cred {
    // SAFETY: Always valid for the running task, which keeps them while it runs.
    unsafe { bindings::current_cred() }
}

/// Checks `requested` (`wire::ACCESS_*` bits) for the path `resolve` yields, on behalf of
/// `cred`. Unconfined tasks return at once, before any path is resolved; a confined task's
/// refusal is reported and answered by its profile's mode (see [`report::verdict`]).
///
/// # Safety
///
/// `cred` must be valid for the duration of the call.
pub(crate) unsafe fn check_path(
    cred: *const bindings::cred,
    op: &str,
    requested: u32,
    resolve: impl FnOnce() -> Result<ResolvedPath>,
) -> c_int {
    // SAFETY: The caller guarantees `cred` is valid.
    let Some(label) = (unsafe { cred_blob::label(cred) }) else {
        return 0;
    };
    let Some(profile) = label.profile() else {
        return 0;
    };
    if requested == 0 {
        return 0;
    }
    let path = match resolve() {
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
    report::denial(&view, op, path.bytes(), requested, refused);
    report::verdict(view.mode())
}
