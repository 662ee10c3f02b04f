// SPDX-License-Identifier: GPL-2.0-only

//! Signals a file sends for its owner (`F_SETOWN`, `F_SETSIG`, `O_ASYNC`): SIGIO and SIGURG
//! are delivered later, by whichever task makes the file ready, so the decision is made for
//! the task that set the owner. What confines it is kept in the file's security blob, and delivery
//! follows the same rules as `kill()` from that task. Landlock does the same
//! (`hook_file_set_fowner`, `hook_file_send_sigiotask`).

use crate::{
    cred_blob::{self, Confinement, BLOBS},
    task::{decide, scope, with_label_profile, with_task_profile, Report},
};
use kernel::{
    cred::Credential,
    error::to_result,
    ffi::c_int,
    lsm::{FileOwnerSlot, FileOwnerSlotReader},
    prelude::*,
    task::Task,
};

/// `file_set_fowner`: remembers what confines the task setting the owner. Called under the
/// owner record's write lock with interrupts off: takes and drops references only (a label
/// dropped here has no profile left, and a domain's layers are freeable in any context).
pub(crate) fn file_set_fowner(file: &FileOwnerSlot<'_>) {
    let confinement = Credential::with_current(cred_blob::clone_confinement);
    drop(BLOBS.replace_file(file, confinement));
}

/// `file_free_security`: drops the owner's confinement.
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
    let Some(owner) = file.and_then(|file| BLOBS.file(file)) else {
        return Ok(());
    };
    if let Some(label) = owner.label() {
        to_result(with_label_profile(label, |actor| {
            if actor.is_none() {
                return 0;
            }
            with_task_profile(target, |target| {
                decide(actor, target, "signal", false, Report::OnBehalf)
            })
        }))?;
    }
    let Some(domain) = owner.domain() else {
        return Ok(());
    };
    let target_cred = target.objective_cred();
    let target_confinement = cred_blob::confinement(&target_cred);
    let target_domain = target_confinement.as_deref().and_then(Confinement::sandbox);
    to_result(scope(
        Some(domain),
        target_domain,
        "signal",
        Report::OnBehalf,
    ))
}
