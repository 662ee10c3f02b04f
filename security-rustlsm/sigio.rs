// SPDX-License-Identifier: GPL-2.0-only

//! Signals a file sends for its owner (`F_SETOWN`, `F_SETSIG`, `O_ASYNC`): SIGIO and SIGURG
//! are delivered later, by whichever task makes the file ready, so the decision is made for
//! the task that set the owner. Its label is kept in the file's security blob, and delivery
//! follows the same rules as `kill()` from that task. Landlock does the same
//! (`hook_file_set_fowner`, `hook_file_send_sigiotask`).

use crate::{
    cred_blob::{self, BLOBS},
    task::{decide, with_label_profile, with_task_profile, Report},
};
use kernel::{
    cred::Credential,
    error::to_result,
    ffi::c_int,
    lsm::{FileOwnerSlot, FileOwnerSlotReader},
    prelude::*,
    task::Task,
};

/// `file_set_fowner`: remembers the label of the task setting the owner. Called under the
/// owner record's write lock with interrupts off: takes and drops references only (a label
/// dropped here has no profile left, so dropping it frees a small allocation).
pub(crate) fn file_set_fowner(file: &FileOwnerSlot<'_>) {
    let label = Credential::with_current(cred_blob::clone_label);
    drop(BLOBS.replace_file(file, label));
}

/// `file_free_security`: drops the owner label.
pub(crate) fn file_free_security(file: &FileOwnerSlot<'_>) {
    drop(BLOBS.replace_file(file, None));
}

/// `file_send_sigiotask`: may the task that set the file's owner signal `target`? Runs with
/// the owner record read-locked, possibly in interrupt context: never sleeps, never kills.
pub(crate) fn file_send_sigiotask(
    target: &Task,
    file: Option<&FileOwnerSlotReader<'_>>,
    _sig: c_int,
) -> Result {
    let Some(label) = file.and_then(|file| BLOBS.file(file)) else {
        return Ok(());
    };
    to_result(with_label_profile(&label, |actor| {
        if actor.is_none() {
            return 0;
        }
        with_task_profile(target, |target| {
            decide(actor, target, "signal", false, Report::OnBehalf)
        })
    }))
}
