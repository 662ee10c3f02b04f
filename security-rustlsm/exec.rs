// SPDX-License-Identifier: GPL-2.0-only

//! `bprm_creds_for_exec`: which profile a program runs under after `exec`.
//!
//! An unconfined task's program runs under the profile that claims it most specifically, if
//! any. A confined task's exec (which `file_open` already checked for `exec` access) follows
//! the transition of the rule that allowed it: `inherit` keeps the caller's profile,
//! `profile` requires the program's own profile and refuses the exec without one, and by
//! default the program's own profile is used when it has one and the caller's otherwise. A
//! confined task never becomes unconfined by executing something.

use crate::{
    access::current_cred,
    cred_blob,
    path::ResolvedPath,
    policy::{self, Label},
    report, wire,
};
use kernel::{bindings, ffi::c_int, prelude::*, sync::Arc};

/// The object of a refused transition.
struct NoProfileFor<'a>(&'a [u8]);

impl kernel::fmt::Display for NoProfileFor<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!(
            "path=\"{}\" info=\"no profile claims the program\"",
            kernel::str::BStr::from_bytes(self.0)
        ))
    }
}

impl report::Object for NoProfileFor<'_> {
    fn audit(&self, ab: *mut bindings::audit_buffer) {
        report::audit_field(ab, c"path", self.0);
        report::audit_field(ab, c"info", b"no profile claims the program");
    }
}

/// What the new program's creds should hold: `Ok(Some(label))` to switch, `Ok(None)` to keep
/// what they inherited from the caller, or the error that refuses the exec.
fn transition(path: &[u8]) -> Result<Option<Arc<Label>>, c_int> {
    // SAFETY: The current task's creds are valid while it runs.
    let caller = unsafe { cred_blob::label(current_cred()) }.and_then(Label::profile);
    let target = policy::attachment_for(path);
    let Some(caller) = caller else {
        return Ok(target);
    };
    let Some(view) = caller.view() else {
        return Err(EACCES.to_errno());
    };
    let (allowed, _) = view.file_dfa().map_or((0, 0), |dfa| dfa.lookup(path));
    if allowed & wire::ACCESS_EXEC_INHERIT != 0 {
        return Ok(None);
    }
    if allowed & wire::ACCESS_EXEC_PROFILE != 0 && target.is_none() {
        report::event(&view, "exec", &NoProfileFor(path));
        return match report::verdict(view.mode()) {
            0 => Ok(None),
            e => Err(e),
        };
    }
    Ok(target)
}

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
    match transition(path.bytes()) {
        Ok(Some(label)) => {
            // SAFETY: `bprm->cred` is valid and private to this exec until it is committed.
            unsafe { cred_blob::set_label((*bprm).cred, Some(label)) };
            0
        }
        Ok(None) => 0,
        Err(e) => e,
    }
}
