// SPDX-License-Identifier: GPL-2.0-only

//! The loaded policy: labels by profile name, each pointing at its current profile.
//!
//! A task's credentials hold a [`Label`], not a profile, so replacing a profile takes effect
//! for the tasks already running under it. A load is verified and fully built before anything
//! changes; the switch itself cannot fail, so a rejected load leaves the policy untouched.

use crate::wire;
// `Pin` is named by the expansion of `global_lock!`.
use core::pin::Pin;
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{Arc, SpinLock},
};

/// One loaded profile: its own copy of the verified record it was loaded from.
pub(crate) struct Profile {
    record: KVVec<u8>,
    digest: u64,
}

impl Profile {
    /// The profile's contents. `None` is impossible for a verified record; callers treat it
    /// as "refuse everything" so a bug fails closed.
    pub(crate) fn view(&self) -> Option<wire::ProfileView<'_>> {
        wire::ProfileView::new(&self.record, 0)
    }
}

/// A named slot that tasks attach to; its profile is swapped on replacement and cleared on
/// removal (tasks under a removed profile run unconfined, as they would after a reload).
#[pin_data]
pub(crate) struct Label {
    #[pin]
    profile: SpinLock<Option<Arc<Profile>>>,
}

impl Label {
    /// The label's current profile, if it still has one. Takes a spinlock only long enough
    /// to bump a reference count: safe in any hook context.
    pub(crate) fn profile(&self) -> Option<Arc<Profile>> {
        self.profile.lock().clone()
    }

    fn name_is(&self, name: &[u8]) -> bool {
        self.profile()
            .as_deref()
            .and_then(Profile::view)
            .is_some_and(|v| v.name() == name)
    }
}

/// Every loaded label, in load order, and the number of policy changes since boot.
pub(crate) struct PolicyState {
    labels: KVec<Arc<Label>>,
    generation: u64,
}

kernel::sync::global_lock! {
    // SAFETY: `rustlsm_policy_init` initializes it before the hooks are registered.
    unsafe(uninit) static POLICY: Mutex<PolicyState> = PolicyState {
        labels: KVec::new(),
        generation: 0,
    };
}

/// Initializes the policy lock. Called once, from the LSM's init function.
#[no_mangle]
pub(crate) extern "C" fn rustlsm_policy_init() -> kernel::ffi::c_int {
    // SAFETY: Called exactly once, by `rustlsm_init` in setup.c, before any hook can run.
    unsafe { POLICY.init() };
    0
}

/// Maps a verifier refusal to the errno documented for it.
fn format_errno(e: wire::FormatError) -> Error {
    pr_info!(
        "policy load refused: {} (at byte {})\n",
        e.kind.describe(),
        e.offset
    );
    match e.kind {
        wire::ErrorKind::UnsupportedVersion => EPROTONOSUPPORT,
        wire::ErrorKind::TooLarge => E2BIG,
        _ => EINVAL,
    }
}

/// Loads (adds or replaces) every profile in `blob`. With `dry_run`, stops after
/// verification and allocation: nothing changes.
pub(crate) fn load(blob: &[u8], dry_run: bool) -> Result {
    wire::verify(blob).map_err(format_errno)?;

    // Build everything the switch needs while nothing is locked and nothing has changed.
    let mut fresh = KVec::new();
    for view in wire::profiles(blob) {
        let mut record = KVVec::new();
        record.extend_from_slice(view.record(), GFP_KERNEL)?;
        let profile = Arc::new(
            Profile {
                digest: wire::digest(view.record()),
                record,
            },
            GFP_KERNEL,
        )?;
        fresh.push(profile, GFP_KERNEL)?;
    }
    if dry_run {
        return Ok(());
    }

    let mut state = POLICY.lock();
    // New labels for new names, allocated before the first change so the switch cannot fail.
    let mut new_labels = KVec::new();
    for profile in fresh.iter() {
        let Some(view) = profile.view() else {
            return Err(EINVAL);
        };
        if !state.labels.iter().any(|l| l.name_is(view.name())) {
            let label = Arc::pin_init(
                pin_init!(Label {
                    profile <- new_spinlock!(None, "rustlsm_label"),
                }),
                GFP_KERNEL,
            )?;
            new_labels.push(label, GFP_KERNEL)?;
        }
    }
    state.labels.reserve(new_labels.len(), GFP_KERNEL)?;

    // The switch: infallible from here on.
    let mut spare = new_labels.into_iter();
    for profile in fresh {
        let name_matches = |l: &&Arc<Label>| profile.view().is_some_and(|v| l.name_is(v.name()));
        let old = if let Some(label) = state.labels.iter().find(name_matches) {
            label.profile.lock().replace(profile)
        } else if let Some(label) = spare.next() {
            *label.profile.lock() = Some(profile);
            // Capacity was reserved above, so this push does not allocate.
            let _ = state.labels.push(label, GFP_KERNEL);
            None
        } else {
            None
        };
        // The replaced profile is freed outside the label's spinlock.
        drop(old);
    }
    state.generation += 1;
    Ok(())
}

/// Removes the profile called `name`. Tasks running under it become unconfined.
pub(crate) fn remove(name: &[u8]) -> Result {
    if !wire::valid_name(name) {
        return Err(EINVAL);
    }
    let mut state = POLICY.lock();
    let index = state
        .labels
        .iter()
        .position(|l| l.name_is(name))
        .ok_or(ENOENT)?;
    let label = state.labels.remove(index).map_err(|_| EINVAL)?;
    let old = label.profile.lock().take();
    drop(old);
    state.generation += 1;
    Ok(())
}

/// The label whose profile claims the executable at `path` most specifically, if any.
pub(crate) fn attachment_for(path: &[u8]) -> Option<Arc<Label>> {
    let state = POLICY.lock();
    let mut best: Option<(usize, &Arc<Label>)> = None;
    for label in state.labels.iter() {
        let Some(profile) = label.profile() else {
            continue;
        };
        let Some(score) = profile.view().and_then(|v| v.attach_score(path)) else {
            continue;
        };
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, label));
        }
    }
    best.map(|(_, label)| label.clone())
}

/// Appends the listing `/sys/kernel/security/rustlsm/profiles` shows: one line per profile,
/// `name mode digest`, in load order.
pub(crate) fn list(out: &mut KVec<u8>) -> Result {
    let state = POLICY.lock();
    for label in state.labels.iter() {
        let Some(profile) = label.profile() else {
            continue;
        };
        let Some(view) = profile.view() else {
            continue;
        };
        out.extend_from_slice(view.name(), GFP_KERNEL)?;
        out.extend_from_slice(b" ", GFP_KERNEL)?;
        out.extend_from_slice(view.mode().name().as_bytes(), GFP_KERNEL)?;
        out.extend_from_slice(b" ", GFP_KERNEL)?;
        push_hex(out, profile.digest)?;
        out.extend_from_slice(b"\n", GFP_KERNEL)?;
    }
    Ok(())
}

/// Whether no profile is loaded (so exec need not resolve paths).
pub(crate) fn is_empty() -> bool {
    POLICY.lock().labels.is_empty()
}

/// The number of policy changes (loads and removals) since boot.
pub(crate) fn generation() -> u64 {
    POLICY.lock().generation
}

fn push_hex(out: &mut KVec<u8>, value: u64) -> Result {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        let nibble = ((value >> (shift * 4)) & 0xf) as usize;
        out.push(DIGITS[nibble], GFP_KERNEL)?;
    }
    Ok(())
}

/// Appends `value` in decimal.
pub(crate) fn push_decimal(out: &mut KVec<u8>, mut value: u64) -> Result {
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        digits[n] = b'0' + (value % 10) as u8;
        n += 1;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &d in digits[..n].iter().rev() {
        out.push(d, GFP_KERNEL)?;
    }
    Ok(())
}
