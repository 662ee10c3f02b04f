// SPDX-License-Identifier: GPL-2.0-only

//! The label each set of credentials carries, and the cred hooks that keep its reference
//! count right.
//!
//! The blob is one pointer, either null (unconfined) or a reference-counted [`Label`] owned
//! by this cred. Creds are immutable once committed, so only the cred being prepared (for
//! exec) ever has its label changed.

use crate::policy::Label;
use core::mem::ManuallyDrop;
use kernel::{bindings, ffi::c_int, sync::Arc};

extern "C" {
    /// Defined in setup.c; after LSM init, `lbs_cred` is this LSM's offset in the cred blob.
    static rustlsm_blob_sizes: bindings::lsm_blob_sizes;
}

/// The label slot of `cred`.
///
/// # Safety
///
/// `cred` must point to a valid cred whose security blob was allocated by the LSM framework
/// (true for every cred once the LSM is initialized).
unsafe fn slot(cred: *const bindings::cred) -> *mut *const Label {
    // SAFETY: `rustlsm_blob_sizes` is only written during LSM init, before any hook runs.
    let offset = unsafe { rustlsm_blob_sizes.lbs_cred } as usize;
    // SAFETY: The caller guarantees `cred` is valid and its blob holds this LSM's slot at
    // `offset`, sized for a pointer (see setup.c).
    unsafe {
        (*cred)
            .security
            .cast::<u8>()
            .add(offset)
            .cast::<*const Label>()
    }
}

/// The label of `cred`, borrowed for as long as the caller keeps `cred` alive.
///
/// # Safety
///
/// As for [`slot`]; and the returned reference must not outlive the caller's use of `cred`.
pub(crate) unsafe fn label<'a>(cred: *const bindings::cred) -> Option<&'a Label> {
    // SAFETY: Guaranteed by the caller.
    let ptr = unsafe { *slot(cred) };
    // SAFETY: A non-null slot holds a reference owned by `cred` (see `set_label`), which
    // keeps the label alive while `cred` lives.
    unsafe { ptr.as_ref() }
}

/// Makes `cred` hold `label` (or nothing), releasing what it held before.
///
/// # Safety
///
/// As for [`slot`], and `cred` must not be visible to other tasks yet (a cred being
/// prepared), so nobody reads the slot concurrently.
pub(crate) unsafe fn set_label(cred: *mut bindings::cred, label: Option<Arc<Label>>) {
    let new = label.map_or(core::ptr::null(), Arc::into_raw);
    // SAFETY: Guaranteed by the caller; the cred is private to us.
    let old = unsafe { core::ptr::replace(slot(cred), new) };
    if !old.is_null() {
        // SAFETY: A non-null slot owns one reference, created by `Arc::into_raw`.
        drop(unsafe { Arc::from_raw(old) });
    }
}

/// A new reference to the label `cred` holds, if any.
///
/// # Safety
///
/// As for [`slot`].
pub(crate) unsafe fn clone_label(cred: *const bindings::cred) -> Option<Arc<Label>> {
    // SAFETY: Guaranteed by the caller.
    let ptr = unsafe { *slot(cred) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: The slot owns a reference made by `Arc::into_raw`; `ManuallyDrop` keeps that
    // reference with the slot while we take a second one.
    let owned = ManuallyDrop::new(unsafe { Arc::from_raw(ptr) });
    Some(Arc::clone(&owned))
}

/// `cred_prepare`: a copy of the creds shares the label. Never sleeps, never allocates.
///
/// # Safety
///
/// Called by the LSM framework with valid `new` and `old` creds.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_cred_prepare(
    new: *mut bindings::cred,
    old: *const bindings::cred,
    _gfp: bindings::gfp_t,
) -> c_int {
    // SAFETY: Both creds are valid; `new` is not yet visible to anyone else.
    unsafe { set_label(new, clone_label(old)) };
    0
}

/// `cred_transfer`: as `cred_prepare`, for keyctl's session-keyring creds.
///
/// # Safety
///
/// Called by the LSM framework with valid `new` and `old` creds.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_cred_transfer(
    new: *mut bindings::cred,
    old: *const bindings::cred,
) {
    // SAFETY: Both creds are valid; `new` is not yet visible to anyone else.
    unsafe { set_label(new, clone_label(old)) };
}

/// `cred_free`: drops the cred's reference. May run from an RCU callback, so it must only
/// ever free the label itself: a label loses its profile (in process context, in
/// `policy::remove` or `policy::load`) before the policy lets go of it, so the last
/// reference, if it is this one, never frees a profile's vmalloc'ed record.
///
/// # Safety
///
/// Called by the LSM framework with a valid cred that nobody uses any more.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_cred_free(cred: *mut bindings::cred) {
    // SAFETY: The cred is valid and unused by anyone else.
    unsafe { set_label(cred, None) };
}
