// SPDX-License-Identifier: GPL-2.0-only

//! The label each set of credentials carries, and the owner label of files that send SIGIO.
//!
//! A cred's slot holds nothing (unconfined) or one reference to a [`Label`]. Creds are
//! immutable once committed, so only creds being prepared (for exec) have their label
//! changed; the cred hooks that copy and drop the reference are generated from [`BLOBS`].
//!
//! `cred_free` may run from an RCU callback, so it must only ever free the label itself: a
//! label loses its profile (in process context, in `policy::remove` or `policy::load`) before
//! the policy lets go of it, so the last reference, if it is a cred's, never frees a
//! profile's vmalloc'ed record.

use crate::policy::Label;
use kernel::{
    cred::Credential,
    lsm::{Blobs, PrivateCred},
    sync::{Arc, ArcBorrow},
};

/// rustlsm's security blobs: one label reference in each cred and in each file (the label of
/// whoever set the file's SIGIO owner). setup.c names it as the module's `blobs`.
#[export_name = "rustlsm_blob_sizes"]
#[link_section = ".data..ro_after_init"]
pub(crate) static BLOBS: Blobs<Label> =
    // SAFETY: setup.c registers this as rustlsm's `blobs`, and only this static reaches
    // rustlsm's slots.
    unsafe { Blobs::new() };

/// The label of `cred`, borrowed for as long as `cred` is.
#[inline]
pub(crate) fn label(cred: &Credential) -> Option<ArcBorrow<'_, Label>> {
    BLOBS.cred(cred)
}

/// A new reference to the label `cred` holds, if any.
pub(crate) fn clone_label(cred: &Credential) -> Option<Arc<Label>> {
    BLOBS.cred_owned(cred)
}

/// Makes the cred being prepared hold `label` (or nothing), releasing what it held before.
pub(crate) fn set_label(cred: &mut PrivateCred<'_>, label: Option<Arc<Label>>) {
    drop(BLOBS.replace_cred(cred, label));
}
