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
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Full, Relaxed},
        rcu, Arc, ArcBorrow,
    },
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
///
/// Readers take no lock: the profile pointer is published with release ordering and read
/// under RCU, and a replaced profile is only released after a grace period, so hooks that may
/// not sleep (`capable`, signal delivery) can read it.
///
/// # Invariants
///
/// `profile` is null, or a pointer made by `Arc::into_raw` that owns one reference. It is only
/// replaced by [`Label::swap`], whose caller waits for an RCU grace period before dropping the
/// reference it gets back.
pub(crate) struct Label {
    profile: Atomic<*const Profile>,
}

// SAFETY: `Label` only holds a pointer to a `Profile`, which is `Send + Sync` (immutable bytes);
// the pointer is only accessed through atomics.
unsafe impl Send for Label {}
// SAFETY: As above.
unsafe impl Sync for Label {}

impl Label {
    fn new() -> Self {
        // INVARIANT: Null is allowed.
        Label {
            profile: Atomic::new(core::ptr::null()),
        }
    }

    /// Runs `f` on the label's current profile (or `None`), without a lock or a reference
    /// count: for hooks that may not sleep. `f` must not sleep.
    pub(crate) fn with_profile<R>(&self, f: impl FnOnce(Option<&Profile>) -> R) -> R {
        let _rcu = rcu::read_lock();
        let ptr = self.profile.load(Acquire);
        // SAFETY: By the type invariant a non-null pointer owns a reference that is dropped
        // only after a grace period following its replacement; we are inside a read-side
        // critical section that started before any such grace period could end.
        f(unsafe { ptr.as_ref() })
    }

    /// A counted reference to the label's current profile, for hooks that sleep while they
    /// use it.
    pub(crate) fn profile(&self) -> Option<Arc<Profile>> {
        let _rcu = rcu::read_lock();
        let ptr = self.profile.load(Acquire);
        if ptr.is_null() {
            return None;
        }
        // SAFETY: As in `with_profile`, the reference owned by the label cannot be dropped
        // before this read-side critical section ends, so the count is not zero.
        let borrowed = unsafe { ArcBorrow::from_raw(ptr) };
        Some(borrowed.into())
    }

    /// Publishes `new` and returns the previous profile. The caller must wait for an RCU grace
    /// period (`synchronize_rcu`) before dropping what this returns, and must hold `POLICY`.
    fn swap(&self, new: Option<Arc<Profile>>) -> Option<Arc<Profile>> {
        let new = new.map_or(core::ptr::null(), Arc::into_raw);
        // INVARIANT: `new` is null or owns one reference; the old pointer's reference is
        // handed to the caller.
        let old = self.profile.xchg(new, Full);
        // SAFETY: By the type invariant, a non-null `old` owns one reference.
        (!old.is_null()).then(|| unsafe { Arc::from_raw(old) })
    }

    fn name_is(&self, name: &[u8]) -> bool {
        self.with_profile(|p| p.and_then(Profile::view).is_some_and(|v| v.name() == name))
    }
}

impl Drop for Label {
    fn drop(&mut self) {
        // The last reference is gone, so no task (and no reader) can reach this label.
        let old = self.profile.xchg(core::ptr::null(), Full);
        if !old.is_null() {
            // SAFETY: By the type invariant, a non-null pointer owns one reference.
            drop(unsafe { Arc::from_raw(old) });
        }
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

/// The number of loaded labels, kept beside `POLICY` so exec can skip resolving paths on a
/// system without policy without taking the lock. Written only under `POLICY`.
static LABEL_COUNT: Atomic<usize> = Atomic::new(0);

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
    // Which profiles replace a loaded one, for the record of the change.
    let mut new_labels = KVec::new();
    let mut replacing = KVec::with_capacity(fresh.len(), GFP_KERNEL)?;
    for profile in fresh.iter() {
        let Some(view) = profile.view() else {
            return Err(EINVAL);
        };
        let loaded = state.labels.iter().any(|l| l.name_is(view.name()));
        if !loaded {
            new_labels.push(Arc::new(Label::new(), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        replacing.push(loaded, GFP_KERNEL)?;
    }
    state.labels.reserve(new_labels.len(), GFP_KERNEL)?;

    // The switch: infallible from here on. Replaced profiles are kept until every reader
    // that could have seen them is done.
    let mut replaced = KVec::with_capacity(fresh.len(), GFP_KERNEL)?;
    let count = fresh.len();
    let mut spare = new_labels.into_iter();
    for profile in fresh {
        let name_matches = |l: &&Arc<Label>| profile.view().is_some_and(|v| l.name_is(v.name()));
        if let Some(label) = state.labels.iter().find(name_matches) {
            if let Some(old) = label.swap(Some(profile)) {
                // Capacity was reserved above, so this push does not allocate.
                let _ = replaced.push(old, GFP_KERNEL);
            }
        } else if let Some(label) = spare.next() {
            drop(label.swap(Some(profile)));
            // Capacity was reserved above, so this push does not allocate.
            let _ = state.labels.push(label, GFP_KERNEL);
        }
    }
    state.generation += 1;
    let generation = state.generation;
    LABEL_COUNT.store(state.labels.len(), Relaxed);
    drop(state);
    // One record per profile, naming it, as AppArmor records each profile it loads or
    // replaces: an audit trail shows which programs' rules changed, not only that some did.
    for (view, replaced) in wire::profiles(blob).zip(replacing) {
        let op = if replaced { "replace" } else { "load" };
        crate::report::policy_change(op, view.name(), count, generation);
    }
    if !replaced.is_empty() {
        rcu::synchronize_rcu();
    }
    drop(replaced);
    Ok(())
}

/// Removes the profile called `name`. Tasks running under it become unconfined. A dry run
/// only checks that the profile is there.
pub(crate) fn remove(name: &[u8], dry_run: bool) -> Result {
    if !wire::valid_name(name) {
        return Err(EINVAL);
    }
    let mut state = POLICY.lock();
    let index = state
        .labels
        .iter()
        .position(|l| l.name_is(name))
        .ok_or(ENOENT)?;
    if dry_run {
        return Ok(());
    }
    let label = state.labels.remove(index).map_err(|_| EINVAL)?;
    let old = label.swap(None);
    state.generation += 1;
    let generation = state.generation;
    LABEL_COUNT.store(state.labels.len(), Relaxed);
    drop(state);
    crate::report::policy_change("remove", name, 1, generation);
    rcu::synchronize_rcu();
    drop(old);
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
pub(crate) fn list(out: &mut KVVec<u8>) -> Result {
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

/// Appends the loaded policy as one blob: a header and every profile's record exactly as it
/// was loaded, in load order. Loading it again reproduces the policy, and two dumps with no
/// change in between are byte-identical. Nothing is appended when no profile is loaded (a
/// blob holds at least one).
pub(crate) fn dump(out: &mut KVVec<u8>) -> Result {
    let start = out.len();
    out.extend_from_slice(&[0; wire::HEADER_LEN], GFP_KERNEL)?;
    let mut count = 0u32;
    let state = POLICY.lock();
    for label in state.labels.iter() {
        if let Some(profile) = label.profile() {
            out.extend_from_slice(&profile.record, GFP_KERNEL)?;
            count += 1;
        }
    }
    drop(state);
    if count == 0 {
        out.truncate(start);
        return Ok(());
    }
    let total = u32::try_from(out.len() - start).map_err(|_| E2BIG)?;
    let header = out.get_mut(start..start + wire::HEADER_LEN).ok_or(EINVAL)?;
    header[0..4].copy_from_slice(&wire::MAGIC);
    header[4..6].copy_from_slice(&wire::VERSION.to_le_bytes());
    header[8..12].copy_from_slice(&total.to_le_bytes());
    header[12..16].copy_from_slice(&count.to_le_bytes());
    Ok(())
}

/// Whether no profile is loaded (so exec need not resolve paths). Lock-free; an exec racing
/// the first load may see either answer, as it would had it started a moment earlier.
pub(crate) fn is_empty() -> bool {
    LABEL_COUNT.load(Relaxed) == 0
}

/// The number of policy changes (loads and removals) since boot.
pub(crate) fn generation() -> u64 {
    POLICY.lock().generation
}

fn push_hex(out: &mut KVVec<u8>, value: u64) -> Result {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        let nibble = ((value >> (shift * 4)) & 0xf) as usize;
        out.push(DIGITS[nibble], GFP_KERNEL)?;
    }
    Ok(())
}

/// Appends `value` in decimal.
pub(crate) fn push_decimal(out: &mut KVVec<u8>, mut value: u64) -> Result {
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
