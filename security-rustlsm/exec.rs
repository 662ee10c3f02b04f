// SPDX-License-Identifier: GPL-2.0-only

//! `bprm_creds_for_exec`: attaching a profile when a task executes a file.
//!
//! The executable's path picks the profile that claims it most specifically. When no profile
//! claims it, the new program keeps the caller's profile: a confined task never becomes
//! unconfined by executing something.

use crate::{cred_blob, path::ResolvedPath, policy};
use kernel::{bindings, ffi::c_int};

/// `bprm_creds_for_exec`.
///
/// # Safety
///
/// Called by the LSM framework with a valid `bprm` whose `file` is open and whose `cred` is
/// the not yet committed cred of the new program.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_bprm_creds_for_exec(
    bprm: *mut bindings::linux_binprm,
) -> c_int {
    if policy::is_empty() {
        return 0;
    }
    // SAFETY: `bprm` and its file are valid for the duration of the hook.
    let path = match unsafe { ResolvedPath::of_file((*bprm).file) } {
        Ok(path) => path,
        Err(e) => return e.to_errno(),
    };
    if let Some(label) = policy::attachment_for(path.bytes()) {
        // SAFETY: `bprm->cred` is valid and private to this exec until it is committed.
        unsafe { cred_blob::set_label((*bprm).cred, Some(label)) };
    }
    0
}
