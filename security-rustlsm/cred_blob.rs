// SPDX-License-Identifier: GPL-2.0-only

//! What confines each set of credentials, and the owner of files that send SIGIO.
//!
//! A cred's slot holds nothing (unconfined) or one reference to a [`Confinement`]: the
//! system profile's [`Label`] the task runs under, the sandbox [`Domain`] it stacked on
//! itself, or both; or, for an unconfined task only, the label its next exec is to run
//! under (`lsm_set_self_attr(LSM_ATTR_EXEC)`), which confines nothing until then.
//!
//! Creds are immutable once committed, so only creds being prepared (for exec, or by a task
//! restricting itself or choosing its next profile) have theirs changed; the cred hooks that
//! copy and drop the reference are generated from [`BLOBS`].
//!
//! `cred_free` may run from an RCU callback and `file_set_fowner` with interrupts off, so
//! what they free must be freeable there: a label loses its profile (in process context, in
//! `policy::remove` or `policy::load`) before the policy lets go of it, and a domain's layers
//! are `kmalloc`'ed.

use crate::{policy::Label, sandbox::Domain};
use kernel::{
    cred::Credential,
    lsm::{Blobs, PrivateCred},
    prelude::*,
    sync::{Arc, ArcBorrow},
};

/// What confines a set of credentials: never all `None` (that is no confinement at all,
/// and the slot is then empty). `on_exec` is set only when the other two are not.
pub(crate) struct Confinement {
    label: Option<Arc<Label>>,
    domain: Option<Arc<Domain>>,
    on_exec: Option<Arc<Label>>,
}

impl Confinement {
    /// `None` when neither a label nor a domain confines; allocated with `flags`.
    pub(crate) fn new(
        label: Option<Arc<Label>>,
        domain: Option<Arc<Domain>>,
        flags: kernel::alloc::Flags,
    ) -> Result<Option<Arc<Self>>> {
        if label.is_none() && domain.is_none() {
            return Ok(None);
        }
        let on_exec = None;
        Ok(Some(Arc::new(
            Confinement {
                label,
                domain,
                on_exec,
            },
            flags,
        )?))
    }

    /// Whether this confines the task now (an exec label alone does not).
    #[inline]
    fn confines(&self) -> bool {
        self.label.is_some() || self.domain.is_some()
    }

    /// Whether rules apply to the task: a sandbox, or a label whose profile is loaded (a
    /// removed profile's label confines nothing). May sleep: it takes the profile.
    pub(crate) fn in_force(&self) -> bool {
        self.domain.is_some() || self.label.as_ref().is_some_and(|l| l.profile().is_some())
    }

    /// The label of the system profile the task runs under.
    pub(crate) fn label(&self) -> Option<&Arc<Label>> {
        self.label.as_ref()
    }

    /// The sandbox the task stacked on itself.
    pub(crate) fn domain(&self) -> Option<&Arc<Domain>> {
        self.domain.as_ref()
    }

    /// [`Self::domain`], borrowed plainly (for [`Domain::encloses`]).
    pub(crate) fn sandbox(&self) -> Option<&Domain> {
        self.domain.as_deref()
    }
}

/// rustlsm's security blobs: one reference in each cred and in each file (the confinement of
/// whoever set the file's SIGIO owner). setup.c names it as the module's `blobs`.
#[export_name = "rustlsm_blob_sizes"]
#[link_section = ".data..ro_after_init"]
pub(crate) static BLOBS: Blobs<Confinement> =
    // SAFETY: setup.c registers this as rustlsm's `blobs`, and only this static reaches
    // rustlsm's slots.
    unsafe { Blobs::new() };

/// What confines `cred`, borrowed for as long as `cred` is.
#[inline]
pub(crate) fn confinement(cred: &Credential) -> Option<ArcBorrow<'_, Confinement>> {
    BLOBS.cred(cred).filter(|c| c.confines())
}

/// A new reference to what confines `cred`, if anything.
pub(crate) fn clone_confinement(cred: &Credential) -> Option<Arc<Confinement>> {
    BLOBS.cred_owned(cred).filter(|c| c.confines())
}

/// Runs `f` on the label of `cred` (`None`: no system profile).
#[inline]
pub(crate) fn with_label<R>(cred: &Credential, f: impl FnOnce(Option<&Label>) -> R) -> R {
    let confinement = confinement(cred);
    f(confinement.as_deref().and_then(|c| c.label.as_deref()))
}

/// A new reference to the label of `cred`, if any.
pub(crate) fn clone_label(cred: &Credential) -> Option<Arc<Label>> {
    confinement(cred).and_then(|c| c.label.clone())
}

/// Whether `cred` is confined at all (by a system profile's label or a sandbox).
#[inline]
pub(crate) fn is_confined(cred: &Credential) -> bool {
    confinement(cred).is_some()
}

/// A new reference to what confines the cred being prepared.
pub(crate) fn confinement_of_private(cred: &PrivateCred<'_>) -> Option<Arc<Confinement>> {
    BLOBS.private_cred_owned(cred).filter(|c| c.confines())
}

/// Makes the cred being prepared hold `confinement`, releasing what it held before.
pub(crate) fn set_confinement(cred: &mut PrivateCred<'_>, confinement: Option<Arc<Confinement>>) {
    drop(BLOBS.replace_cred(cred, confinement));
}

/// Makes the cred being prepared run under `label` (or no system profile), keeping its
/// sandbox.
pub(crate) fn set_label(cred: &mut PrivateCred<'_>, label: Option<Arc<Label>>) -> Result {
    let old = confinement_of_private(cred);
    // An exec that keeps the caller's label keeps its confinement: no allocation.
    let current = old.as_deref().and_then(|c| c.label.as_ref());
    if current.map(Arc::as_ptr) == label.as_ref().map(Arc::as_ptr) {
        return Ok(());
    }
    let domain = old.as_deref().and_then(|c| c.domain.clone());
    set_confinement(cred, Confinement::new(label, domain, GFP_KERNEL)?);
    Ok(())
}

/// The label the next exec of a task with `cred` is to run under, if one was set.
pub(crate) fn on_exec(cred: &Credential) -> Option<Arc<Label>> {
    BLOBS.cred(cred).and_then(|c| c.on_exec.clone())
}

/// Whether `cred` carries a label for the next exec: a slot read, for exec's fast path.
#[inline]
pub(crate) fn has_on_exec(cred: &Credential) -> bool {
    BLOBS.cred(cred).is_some_and(|c| c.on_exec.is_some())
}

/// Makes the cred being prepared, which must not be confined, run its next exec under
/// `label` (`None`: as it would have without one).
pub(crate) fn set_on_exec(cred: &mut PrivateCred<'_>, label: Option<Arc<Label>>) -> Result {
    // A label whose profile was removed confines nothing, and is dropped here.
    if confinement_of_private(cred).is_some_and(|c| c.in_force()) {
        return Err(EPERM);
    }
    let slot = match label {
        Some(label) => {
            let pending = Confinement {
                label: None,
                domain: None,
                on_exec: Some(label),
            };
            Some(Arc::new(pending, GFP_KERNEL)?)
        }
        None => None,
    };
    set_confinement(cred, slot);
    Ok(())
}

/// Takes the exec label out of the cred being prepared for an exec, which then holds only
/// what confines it.
pub(crate) fn take_on_exec(cred: &mut PrivateCred<'_>) -> Result<Option<Arc<Label>>> {
    let Some(old) = BLOBS.private_cred_owned(cred) else {
        return Ok(None);
    };
    let Some(label) = old.on_exec.clone() else {
        return Ok(None);
    };
    let rest = Confinement::new(old.label.clone(), old.domain.clone(), GFP_KERNEL)?;
    set_confinement(cred, rest);
    Ok(Some(label))
}
