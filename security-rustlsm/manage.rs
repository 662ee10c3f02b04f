// SPDX-License-Identifier: GPL-2.0-only

//! Policy management requests, from `lsm_manage_policy()` and from securityfs alike.
//!
//! Both interfaces copy the request into the kernel once (the system call's framework does
//! it for us) and end in [`apply`], so they accept the same blobs and refuse confined callers
//! alike. Each checks its caller's privilege first: `CAP_MAC_ADMIN` for the system call,
//! of the writer and of the opener for securityfs.

use crate::{cred_blob, policy, report, wire};
use kernel::{
    bindings,
    ffi::{c_int, c_void},
    prelude::*,
};

/// What a request asks for.
#[derive(Clone, Copy)]
pub(crate) enum Op {
    /// Add or replace the profiles of a blob.
    Load,
    /// Remove the profile the buffer names.
    Remove,
}

/// Refuses callers that run under a profile: a confined task must not be able to change
/// the policy that confines it (or anyone else), whatever its capabilities.
fn refuse_confined_caller(interface: &str) -> Result {
    // SAFETY: Returns the current task's subjective creds, which stay valid while it runs.
    let cred = unsafe { bindings::current_cred() };
    // SAFETY: See above.
    let confined = unsafe { cred_blob::label(cred) }.is_some_and(|l| l.profile().is_some());
    if confined {
        report::policy_refusal(interface, "the caller is confined");
        return Err(EPERM);
    }
    Ok(())
}

/// Who may change the policy through the system call: an unconfined holder of
/// `CAP_MAC_ADMIN` (rustlsm has one system-wide policy, so the initial user namespace's;
/// `capable()` lets stacked modules mediate the check). Both operations and their dry runs
/// ask the same, since the verifier itself is attack surface.
fn authorize_syscall() -> Result {
    // SAFETY: `capable` only inspects the current task's creds.
    if !unsafe { bindings::capable(bindings::CAP_MAC_ADMIN as i32) } {
        report::policy_refusal("syscall", "the caller lacks CAP_MAC_ADMIN");
        return Err(EPERM);
    }
    refuse_confined_caller("syscall")
}

/// Carries out a request whose data is already in kernel memory, for a caller the
/// interface has checked; refusals are reported as coming from `interface`.
pub(crate) fn apply(interface: &str, op: Op, data: &[u8], flags: u32) -> Result {
    // Sizes were bounded by the interface; the verifier refuses a blob over its limit.
    if flags & !wire::FLAG_DRY_RUN != 0 {
        return Err(EINVAL);
    }
    refuse_confined_caller(interface)?;
    let dry_run = flags & wire::FLAG_DRY_RUN != 0;
    match op {
        Op::Load => policy::load(data, dry_run),
        Op::Remove => policy::remove(data, dry_run),
    }
}

/// The `lsm_manage_policy` hook. The framework has checked the common flags and the size
/// and copied the buffer; the caller's permission is checked here.
///
/// # Safety
///
/// Called by the LSM framework with `size` readable bytes of kernel memory at `buf`, which
/// nothing else writes during the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_manage_policy(
    op: u32,
    buf: *const c_void,
    size: u32,
    flags: u32,
) -> c_int {
    let op = match op {
        bindings::LSM_POLICY_LOAD => Op::Load,
        bindings::LSM_POLICY_REMOVE => Op::Remove,
        _ => return EOPNOTSUPP.to_errno(),
    };
    if let Err(e) = authorize_syscall() {
        return e.to_errno();
    }
    // SAFETY: Guaranteed by the caller; `size` fits in `usize`.
    let data = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), size as usize) };
    match apply("syscall", op, data, flags) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
