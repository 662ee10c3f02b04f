// SPDX-License-Identifier: GPL-2.0-only

//! The two shapes of decision the hooks make: may the task with these credentials have these
//! accesses to this path ([`check_path`]), and may it do this other thing ([`check_with`])?

use crate::{
    cred_blob,
    decision_cache::{self, Decision},
    path::{ResolvedPath, Target},
    policy::{Label, Profile},
    report::{self, Kills},
    wire::{self, ProfileView},
};
use kernel::{cred::Credential, error::to_result, prelude::*};

/// Checks `requested` (`wire::ACCESS_*` bits) on `target`, on behalf of `cred`. Unconfined
/// tasks return at once, before any path is resolved; a confined task's refusal is reported
/// and answered by its profile's mode (see [`report::verdict`]).
#[inline]
pub(crate) fn check_path(
    cred: &Credential,
    op: &str,
    requested: u32,
    target: Target<'_>,
) -> Result {
    check_path_with(cred, op, || requested, target)
}

/// [`check_path`] for a hook whose requested accesses take work to find (`open`): worked out
/// only for a task with a label, so that unconfined tasks skip it.
#[inline]
pub(crate) fn check_path_with(
    cred: &Credential,
    op: &str,
    requested: impl FnOnce() -> u32,
    target: Target<'_>,
) -> Result {
    decide_path(cred, op, requested, target, false)
}

/// [`check_path`] on behalf of the current task.
pub(crate) fn check_current_path(op: &str, requested: u32, target: Target<'_>) -> Result {
    Credential::with_current(|cred| check_path(cred, op, requested, target))
}

/// Refuses `requested` on `target` to a confined current task whatever its profile says
/// (reported and answered by its mode like any refusal); unconfined tasks are not concerned.
pub(crate) fn refuse_current_path(op: &str, requested: u32, target: Target<'_>) -> Result {
    Credential::with_current(|cred| decide_path(cred, op, || requested, target, true))
}

/// The requested accesses `decision` refuses (all of them with `always`) for a file that is
/// (`internal`) or is not on an internal mount. Files of internal mounts (pipes, sockets,
/// pidfds, memfds, namespace files) are made by their own system calls and have no path to
/// write rules for, so only executing them is mediated (by the name they show,
/// `/memfd:x (deleted)`), as AppArmor leaves them out of path mediation (`path_mediated_fs`).
fn refusal(decision: &Decision, internal: bool, requested: u32, always: bool) -> u32 {
    if internal && requested & (wire::ACCESS_EXEC | wire::ACCESS_MMAP_EXEC) == 0 {
        0
    } else if always {
        requested
    } else {
        requested & (!decision.allowed | decision.denied)
    }
}

/// The body of [`check_path`] and [`refuse_current_path`] (`always`). Unconfined tasks
/// return here, in the hook itself: the test is all they pay (`inline(always)`: at opt-level
/// `s` a plain hint left it a call).
#[inline(always)]
fn decide_path(
    cred: &Credential,
    op: &str,
    requested: impl FnOnce() -> u32,
    target: Target<'_>,
    always: bool,
) -> Result {
    match cred_blob::label(cred) {
        Some(label) => decide_for_label(&label, cred, op, requested(), target, always),
        None => Ok(()),
    }
}

/// [`decide_path`] for a task with a label.
///
/// A held file checked again under the same profile is decided from the decision kept the
/// last time (see [`decision_cache`]), without rendering its path, unless that decision
/// refuses: a refusal is reported with the path, so it takes the full check.
fn decide_for_label(
    label: &Label,
    cred: &Credential,
    op: &str,
    requested: u32,
    target: Target<'_>,
    always: bool,
) -> Result {
    // Unconfined, nothing asked, or allowed by a kept decision: settled under RCU, without
    // taking a reference to the profile. Files of internal mounts are never kept.
    let settled = label.with_profile(|profile| {
        let Some(profile) = profile else {
            return true;
        };
        let key = target
            .held()
            .and_then(|held| decision_cache::Key::of(held, profile.serial()));
        let kept = key.as_ref().and_then(decision_cache::lookup);
        requested == 0 || kept.is_some_and(|kept| refusal(&kept, false, requested, always) == 0)
    });
    if settled {
        return Ok(());
    }
    let Some(profile) = label.profile() else {
        return Ok(());
    };
    // The key is sampled again, before the path is rendered: the profile may have been
    // replaced meanwhile, and the sample must come before the rendering it vouches for.
    let key = target
        .held()
        .and_then(|held| decision_cache::Key::of(held, profile.serial()));
    let mut path = ResolvedPath::empty();
    target.resolve(&mut path)?;
    let view = profile.view();
    let (allowed, denied) = view.file_masks(path.for_rules(view.attach_disconnected()));
    let decision = Decision { allowed, denied };
    if let Some(key) = &key {
        decision_cache::store(key, decision);
    }
    let refused = refusal(&decision, path.is_internal(), requested, always);
    if refused == 0 {
        return Ok(());
    }
    to_result(if cred.is_current() {
        report::denial(&view, op, path.bytes(), requested, refused, Kills::Yes);
        report::verdict(view.mode())
    } else {
        report::denial(&view, op, path.bytes(), requested, refused, Kills::No);
        report::verdict_without_kill(view.mode(), EACCES)
    })
}

/// Lets `decide` rule on the profile of `cred`; a refusal is reported (when `log`) and
/// answered by the profile's mode with `error` (kill mode kills only for a logged check of
/// the current task's own creds). Unconfined tasks return at once. Takes no
/// lock, no reference and allocates nothing, so it serves hooks that may not sleep.
pub(crate) fn check_with(
    cred: &Credential,
    op: &str,
    object: &dyn report::Object,
    error: Error,
    log: bool,
    decide: impl FnOnce(&ProfileView<'_>) -> bool,
) -> Result {
    let Some(label) = cred_blob::label(cred) else {
        return Ok(());
    };
    to_result(label.with_profile(|profile| {
        let Some(view) = profile.map(Profile::view) else {
            return 0;
        };
        if decide(&view) {
            return 0;
        }
        // Kill mode kills only the task that asked, and never for a probe it asked not to
        // have audited (`CAP_OPT_NOAUDIT`): the checked creds may be another task's (a
        // netlink socket's opener, a SIGIO owner), and probes are routine.
        let kills = log && cred.is_current();
        if log {
            let how = if kills { Kills::Yes } else { Kills::No };
            report::event(&view, op, object, how);
        }
        if kills {
            report::verdict_with(view.mode(), error)
        } else {
            report::verdict_without_kill(view.mode(), error)
        }
    }))
}

/// [`check_with`] on behalf of the current task, logged and refused with `EACCES`: the
/// shape of the mount, socket and unix-socket decisions.
pub(crate) fn check_current_with(
    op: &str,
    object: &dyn report::Object,
    decide: impl FnOnce(&ProfileView<'_>) -> bool,
) -> Result {
    Credential::with_current(|cred| check_with(cred, op, object, EACCES, true, decide))
}
