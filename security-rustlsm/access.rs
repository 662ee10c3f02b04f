// SPDX-License-Identifier: GPL-2.0-only

//! The two shapes of decision the hooks make: may the task with these credentials have these
//! accesses to this path ([`check_path`]), and may it do this other thing ([`check_with`])?

use crate::{cred_blob, path::ResolvedPath, policy::Profile, report, wire::ProfileView};
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

/// Lets `decide` rule on the profile of `cred`; a refusal is reported (when `log`) and
/// answered by the profile's mode with `error`. Unconfined tasks return at once. Takes no
/// lock, no reference and allocates nothing, so it serves hooks that may not sleep.
///
/// # Safety
///
/// `cred` must be valid for the duration of the call.
pub(crate) unsafe fn check_with(
    cred: *const bindings::cred,
    op: &str,
    object: &dyn report::Object,
    error: Error,
    log: bool,
    decide: impl FnOnce(&ProfileView<'_>) -> bool,
) -> c_int {
    // SAFETY: The caller guarantees `cred`.
    let Some(label) = (unsafe { cred_blob::label(cred) }) else {
        return 0;
    };
    label.with_profile(|profile| {
        let Some(view) = profile.and_then(Profile::view) else {
            return 0;
        };
        if decide(&view) {
            return 0;
        }
        if log {
            report::event(&view, op, object);
        }
        report::verdict_with(view.mode(), error)
    })
}
