// SPDX-License-Identifier: GPL-2.0-only

//! Policy management requests, from `lsm_manage_policy()` and from securityfs alike.
//!
//! Both interfaces copy the request into the kernel once (the system call's framework does
//! it for us) and end in [`apply`], so they accept the same blobs and refuse confined callers
//! alike. Each checks its caller's privilege first: `CAP_MAC_ADMIN` for the system call,
//! of the writer and of the opener for securityfs. The system call also lets any task
//! sandbox itself (`LSM_POLICY_RESTRICT_SELF`, see [`sandbox`]).

use crate::{ask, cred_blob, policy, report, sandbox, wire};
use kernel::{
    bindings,
    cred::{self, Credential},
    ffi::c_int,
    prelude::*,
};

/// What a request asks for.
#[derive(Clone, Copy)]
pub(crate) enum Op {
    /// Add or replace the profiles of a blob.
    Load,
    /// Remove the profile the buffer names.
    Remove,
    /// Stack the buffer's one profile on the caller as a sandbox layer.
    RestrictSelf,
    /// Open a listener for the requests of the profiles the buffer names (see [`ask`]).
    Listen,
}

/// Refuses callers that run under a profile or in a sandbox: a confined task must not be
/// able to change the policy that confines it (or anyone else), whatever its capabilities.
pub(crate) fn refuse_confined_caller(interface: &str) -> Result {
    let confined = Credential::with_current(|cred| {
        cred_blob::confinement(cred)
            .as_deref()
            .is_some_and(cred_blob::Confinement::in_force)
    });
    if confined {
        report::policy_refusal(interface, "the caller is confined");
        return Err(EPERM);
    }
    Ok(())
}

/// Who may change the policy through `interface`, a system call: an unconfined holder of
/// `CAP_MAC_ADMIN` (rustlsm has one system-wide policy, so the initial user namespace's;
/// `capable()` lets stacked modules mediate the check). Both operations and their dry runs
/// ask the same, since the verifier itself is attack surface; so does choosing the profile
/// of one's next exec.
pub(crate) fn authorize_admin(interface: &str) -> Result {
    if !cred::capable(bindings::CAP_MAC_ADMIN as i32) {
        report::policy_refusal(interface, "the caller lacks CAP_MAC_ADMIN");
        return Err(EPERM);
    }
    refuse_confined_caller(interface)
}

/// Carries out a request whose data is already in kernel memory, for a caller its
/// interface has allowed (with [`refuse_confined_caller`] among its checks). Returns 0, or
/// the descriptor a sandbox's creator asked for.
pub(crate) fn apply(op: Op, data: &[u8], flags: u32) -> Result<c_int> {
    // Sizes were bounded by the interface; the verifier refuses a blob over its limit.
    // A sandbox's flags were checked by `sandbox::authorize`.
    let dry_run = flags & wire::FLAG_DRY_RUN != 0;
    let change = match op {
        Op::RestrictSelf => return sandbox::restrict_self(data, flags),
        _ if flags & !wire::FLAG_DRY_RUN != 0 => return Err(EINVAL),
        // Nothing to try out: a dry run of a listener is refused with the other bad flags.
        Op::Listen if dry_run => return Err(EINVAL),
        Op::Listen => return ask::listen(data),
        Op::Load => policy::load(data, dry_run),
        Op::Remove => policy::remove(data, dry_run),
    };
    change.map(|()| 0)
}

/// The `lsm_manage_policy_permission` hook: whether the caller may ask for `op` at all,
/// decided before the framework copies anything, so that an unprivileged caller cannot make
/// the kernel allocate and fill a buffer for it.
pub(crate) fn manage_policy_permission(op: u32, size: u32, flags: u32) -> Result {
    match op_of(op) {
        None => Err(EOPNOTSUPP),
        Some(Op::RestrictSelf) => sandbox::authorize(size, flags),
        Some(_) => authorize_admin("syscall"),
    }
}

/// The operation a system call number asks for, if rustlsm offers it.
fn op_of(op: u32) -> Option<Op> {
    match op {
        bindings::LSM_POLICY_LOAD => Some(Op::Load),
        bindings::LSM_POLICY_REMOVE => Some(Op::Remove),
        bindings::LSM_POLICY_RESTRICT_SELF => Some(Op::RestrictSelf),
        bindings::LSM_POLICY_LISTEN => Some(Op::Listen),
        _ => None,
    }
}

/// The `lsm_manage_policy` hook, for a caller [`manage_policy_permission`] allowed. The
/// framework has checked the common flags and the size and copied the buffer.
pub(crate) fn manage_policy(op: u32, data: &[u8], flags: u32) -> Result<c_int> {
    let op = op_of(op).ok_or(EOPNOTSUPP)?;
    apply(op, data, flags)
}
