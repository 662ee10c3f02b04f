// SPDX-License-Identifier: GPL-2.0-only

//! Signals a file sends for its owner (`F_SETOWN`, `F_SETSIG`, `O_ASYNC`): SIGIO and SIGURG
//! are delivered later, by whichever task makes the file ready, so the decision is made for
//! the task that set the owner. Its label is kept in the file's security blob, and delivery
//! follows the same rules as `kill()` from that task. Landlock does the same
//! (`hook_file_set_fowner`, `hook_file_send_sigiotask`).

use crate::{
    access::current_cred,
    accessors, cred_blob,
    policy::Label,
    task::{decide, with_label_profile, with_task_profile, Report},
};
use kernel::{bindings, ffi::c_int, sync::Arc};

/// The owner label slot of `file`.
///
/// # Safety
///
/// `file` must be a valid file.
unsafe fn slot(file: *const bindings::file) -> *mut *const Label {
    // SAFETY: Guaranteed by the caller; the slot is pointer-sized and pointer-aligned.
    unsafe { accessors::file_slot(file).cast() }
}

/// Stores `label` (owning one reference, or null) in `file`'s slot and returns what it held.
///
/// # Safety
///
/// `file` must be valid and the caller must serialize writers of the slot.
unsafe fn replace(file: *const bindings::file, label: Option<Arc<Label>>) -> Option<Arc<Label>> {
    let new = label.map_or(core::ptr::null(), Arc::into_raw);
    // SAFETY: Guaranteed by the caller.
    let old = unsafe { core::ptr::replace(slot(file), new) };
    // SAFETY: A non-null slot owns one reference made by `Arc::into_raw`.
    (!old.is_null()).then(|| unsafe { Arc::from_raw(old) })
}

/// `file_set_fowner`: remembers the label of the task setting the owner. Called under the
/// owner record's write lock with interrupts off: takes and drops references only (a label
/// dropped here has no profile left, so dropping it frees a small allocation).
///
/// # Safety
///
/// Called by the LSM framework with a valid file.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_set_fowner(file: *mut bindings::file) {
    // SAFETY: The current creds are valid while the task runs.
    let label = unsafe { cred_blob::clone_label(current_cred()) };
    // SAFETY: Writers are serialized by the owner record's lock.
    drop(unsafe { replace(file, label) });
}

/// `file_free_security`: drops the owner label.
///
/// # Safety
///
/// Called by the LSM framework with a file being freed.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_free_security(file: *mut bindings::file) {
    // SAFETY: Nobody else uses the file any more.
    drop(unsafe { replace(file, None) });
}

/// `file_send_sigiotask`: may the task that set `fown`'s owner signal `tsk`? Runs with the
/// owner record read-locked, possibly in interrupt context: never sleeps, never kills.
///
/// # Safety
///
/// Called by the LSM framework with a valid task and owner record.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_send_sigiotask(
    tsk: *mut bindings::task_struct,
    fown: *mut bindings::fown_struct,
    _sig: c_int,
) -> c_int {
    // SAFETY: The owner record is valid and belongs to a live file.
    let file = unsafe { accessors::fown_file(fown) };
    if file.is_null() {
        return 0;
    }
    // SAFETY: Readers hold the owner record's read lock, which excludes `file_set_fowner`,
    // and the file (so its blob) outlives its owner record.
    let label = unsafe { (*slot(file)).as_ref() };
    let Some(label) = label else {
        return 0;
    };
    with_label_profile(label, |actor| {
        if actor.is_none() {
            return 0;
        }
        // SAFETY: The target task is valid during the hook.
        unsafe {
            with_task_profile(tsk, |target| {
                decide(actor, target, "signal", false, Report::OnBehalf)
            })
        }
    })
}
