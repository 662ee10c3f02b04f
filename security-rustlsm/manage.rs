// SPDX-License-Identifier: GPL-2.0-only

//! Policy management requests, from `lsm_manage_policy()` and from securityfs alike.
//!
//! Both interfaces end in [`apply`], so they accept the same blobs and refuse the same
//! callers with the same errors.

use crate::{cred_blob, policy, report, wire};
use kernel::{
    bindings,
    ffi::{c_int, c_void},
    prelude::*,
    uaccess::{UserPtr, UserSlice},
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

/// Copies the request from user space and carries it out. The caller has checked the
/// caller's privilege for its `interface` (named in refusal reports).
pub(crate) fn apply(interface: &str, op: Op, buf: UserPtr, len: usize, flags: u32) -> Result {
    if flags & !wire::FLAG_DRY_RUN != 0 {
        return Err(EINVAL);
    }
    if len == 0 {
        return Err(EINVAL);
    }
    if len > wire::MAX_BLOB_LEN {
        return Err(E2BIG);
    }
    refuse_confined_caller(interface)?;
    let mut data = KVVec::new();
    UserSlice::new(buf, len).read_all(&mut data, GFP_KERNEL)?;
    match op {
        Op::Load => policy::load(&data, flags & wire::FLAG_DRY_RUN != 0),
        Op::Remove => policy::remove(&data, flags & wire::FLAG_DRY_RUN != 0),
    }
}

/// The `lsm_manage_policy` hook. The syscall has already checked the common flags, the size
/// cap and `CAP_MAC_ADMIN`.
///
/// # Safety
///
/// Called by the LSM framework; `buf` is a user pointer, never dereferenced directly.
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
        _ => return EINVAL.to_errno(),
    };
    let flags = flags & bindings::LSM_POLICY_FLAGS_LSM;
    let buf = UserPtr::from_ptr(buf.cast_mut());
    match apply("syscall", op, buf, size as usize, flags) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
