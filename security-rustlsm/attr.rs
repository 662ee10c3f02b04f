// SPDX-License-Identifier: GPL-2.0-only

//! A task's profile as `lsm_get_self_attr(LSM_ATTR_CURRENT)` and `/proc/PID/attr/current`
//! report it: the profile's name. An unconfined task has no rustlsm context, so
//! `lsm_get_self_attr` has no rustlsm entry for it (as Landlock never has one, and so that
//! stacked LSMs' contexts are not joined by a rustlsm "unconfined" look-alike), while
//! `/proc/PID/attr/current`, which must answer something, says `unconfined`.

use crate::{cred_blob, policy::Label, wire};
use kernel::{
    bindings,
    ffi::{c_char, c_int},
    prelude::*,
};

/// Room for the longest profile name and its NUL.
const NAME_BUF: usize = wire::MAX_NAME_LEN + 1;

/// Writes the profile name of `cred` (NUL-terminated) into `buf`; returns its length with
/// the NUL.
///
/// # Safety
///
/// `cred` must be valid for the duration of the call.
unsafe fn profile_name(cred: *const bindings::cred, buf: &mut [u8; NAME_BUF]) -> usize {
    // SAFETY: The caller guarantees `cred`.
    let profile = unsafe { cred_blob::label(cred) }.and_then(Label::profile);
    let name = profile
        .as_deref()
        .and_then(|p| p.view())
        .map_or(wire::UNCONFINED, |v| v.name());
    let len = name.len().min(wire::MAX_NAME_LEN);
    buf[..len].copy_from_slice(&name[..len]);
    buf[len] = 0;
    len + 1
}

/// `getselfattr`: answers `LSM_ATTR_CURRENT` only, and only for a task under a profile.
///
/// # Safety
///
/// Called by the LSM framework; `ctx` is a user pointer (or null, to ask for the size) and
/// `size` a valid kernel pointer.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_getselfattr(
    attr: u32,
    ctx: *mut bindings::lsm_ctx,
    size: *mut u32,
    _flags: u32,
) -> c_int {
    if attr != bindings::LSM_ATTR_CURRENT {
        return EOPNOTSUPP.to_errno();
    }
    let mut name = [0u8; NAME_BUF];
    // SAFETY: The current task's creds are valid while it runs.
    let len = unsafe { profile_name(crate::access::current_cred(), &mut name) };
    if name.get(..len.saturating_sub(1)) == Some(wire::UNCONFINED) {
        // No profile (no profile may take this name): nothing to report.
        return EOPNOTSUPP.to_errno();
    }
    // SAFETY: `ctx` and `size` come from the framework; `name` is valid for `len` bytes.
    let rc = unsafe {
        bindings::lsm_fill_user_ctx(
            ctx,
            size,
            name.as_mut_ptr().cast(),
            len,
            u64::from(bindings::LSM_ID_RUSTLSM),
            0,
        )
    };
    if rc < 0 {
        rc
    } else {
        1
    }
}

/// `getprocattr`: `/proc/PID/attr/current`, read from the task's objective creds.
///
/// # Safety
///
/// Called by the LSM framework with a valid task, a valid attribute name and `value` to
/// receive a `kmalloc`ed string that the caller frees.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_getprocattr(
    task: *mut bindings::task_struct,
    attr_name: *const c_char,
    value: *mut *mut c_char,
) -> c_int {
    // SAFETY: The framework passes a NUL-terminated name.
    let attr_name = unsafe { CStr::from_char_ptr(attr_name) };
    if attr_name.to_bytes() != b"current" {
        return EINVAL.to_errno();
    }
    let mut name = [0u8; NAME_BUF];
    // SAFETY: `task` is valid; this takes a reference on its objective creds.
    let cred = unsafe { bindings::get_task_cred(task) };
    // SAFETY: `cred` is held until `put_cred` below.
    let len = unsafe { profile_name(cred, &mut name) };
    // SAFETY: Releases the reference taken above.
    unsafe { bindings::put_cred(cred) };
    // /proc shows the name followed by a newline, without the NUL.
    let Some(text) = name.get_mut(..len) else {
        return EINVAL.to_errno();
    };
    if let Some(last) = text.last_mut() {
        *last = b'\n';
    }
    let mut out = KVec::new();
    if let Err(e) = out.extend_from_slice(text, GFP_KERNEL) {
        return Error::from(e).to_errno();
    }
    let (ptr, len, _capacity) = out.into_raw_parts();
    // SAFETY: `value` is valid for writing; `ptr` was allocated by `kmalloc` (the `Kmalloc`
    // allocator) and becomes the caller's, which frees it with `kfree`.
    unsafe { *value = ptr.cast() };
    len as c_int
}
