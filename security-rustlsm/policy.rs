// SPDX-License-Identifier: GPL-2.0-only

//! The loaded policy: labels by profile name, each pointing at its current profile.
//!
//! A task's credentials hold a [`Label`], not a profile, so replacing a profile takes effect
//! for the tasks already running under it. A load is verified and fully built before anything
//! changes; the switch itself cannot fail, so a rejected load leaves the policy untouched.

use crate::{attach::AttachIndex, rcu_slot::RcuSlot, retired::Retired, wire};
// `Pin` is named by the expansion of `global_lock!`.
use core::pin::Pin;
use kernel::{
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
};

/// One loaded profile: its own copy of the verified record it was loaded from, and where
/// the record's parts lie, found once at load so that checks do not parse it again.
pub(crate) struct Profile {
    record: Record,
    layout: wire::Layout,
    /// Tells this profile apart from every other loaded since boot (see
    /// [`crate::decision_cache`]); a replacement gets a new one.
    serial: u64,
}

/// A profile's copy of its record. A system profile's may be large and is `kvmalloc`'ed; a
/// sandbox layer's is small and `kmalloc`'ed, because its last reference may go where `vfree`
/// must not run (`file_set_fowner` drops a file owner's confinement with interrupts off).
enum Record {
    System(KVVec<u8>),
    Layer(KVec<u8>),
}

impl core::ops::Deref for Record {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Record::System(bytes) => bytes,
            Record::Layer(bytes) => bytes,
        }
    }
}

/// The serial number of the next profile made.
static NEXT_SERIAL: Atomic<u64> = Atomic::new(1);

impl Profile {
    /// A system profile with its own copy of `view`'s verified record.
    pub(crate) fn new(view: &wire::ProfileView<'_>) -> Result<Self> {
        // Copied as one block: `extend_from_slice` clones byte by byte, five times the
        // instructions of the copy, and a load is mostly this copy and the verification.
        let mut record = KVVec::zeroed(view.record().len(), GFP_KERNEL)?;
        record.copy_from_slice(view.record());
        Ok(Self::with_record(view, Record::System(record)))
    }

    /// A sandbox layer with its own copy of `view`'s verified record, charged to the caller.
    pub(crate) fn new_layer(view: &wire::ProfileView<'_>) -> Result<Self> {
        let mut record = KVec::zeroed(view.record().len(), GFP_KERNEL_ACCOUNT)?;
        record.copy_from_slice(view.record());
        Ok(Self::with_record(view, Record::Layer(record)))
    }

    fn with_record(view: &wire::ProfileView<'_>, record: Record) -> Self {
        Profile {
            layout: view.layout(),
            record,
            serial: NEXT_SERIAL.fetch_add(1, Relaxed),
        }
    }

    /// The profile's serial number: never 0, never reused.
    pub(crate) fn serial(&self) -> u64 {
        self.serial
    }

    /// The profile's contents.
    pub(crate) fn view(&self) -> wire::ProfileView<'_> {
        wire::ProfileView::with_layout(&self.record, self.layout)
    }
}

/// A named slot that tasks attach to; its profile is swapped on replacement and cleared on
/// removal (tasks under a removed profile run unconfined, as they would after a reload).
///
/// Readers take no lock (see [`RcuSlot`]), so hooks that may not sleep (`capable`, signal
/// delivery) can read it.
pub(crate) struct Label {
    profile: RcuSlot<Profile>,
}

impl Label {
    fn new() -> Self {
        Label {
            profile: RcuSlot::new(),
        }
    }

    /// Runs `f` on the label's current profile (or `None`), without a lock or a reference
    /// count: for hooks that may not sleep. `f` must not sleep.
    pub(crate) fn with_profile<R>(&self, f: impl FnOnce(Option<&Profile>) -> R) -> R {
        self.profile.with(f)
    }

    /// A counted reference to the label's current profile, for hooks that sleep while they
    /// use it.
    pub(crate) fn profile(&self) -> Option<Arc<Profile>> {
        self.profile.get()
    }

    /// Publishes `new` and returns the previous profile. The caller must keep what this
    /// returns for an RCU grace period ([`Retired`]), and must hold `POLICY`.
    fn swap(&self, new: Option<Arc<Profile>>) -> Option<Arc<Profile>> {
        self.profile.swap(new)
    }

    fn name_is(&self, name: &[u8]) -> bool {
        self.with_profile(|p| p.is_some_and(|p| p.view().name() == name))
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

/// The attachments of the loaded profiles, for exec to look up without taking `POLICY`.
/// Replaced (under `POLICY`) on every policy change.
static ATTACHMENTS: RcuSlot<AttachIndex> = RcuSlot::new();

/// The number of loaded labels, kept beside `POLICY` so exec can skip resolving paths on a
/// system without policy without taking the lock. Written only under `POLICY`.
static LABEL_COUNT: Atomic<usize> = Atomic::new(0);

/// Initializes the policy lock. Called once, from the LSM's init function.
#[no_mangle]
pub(crate) extern "C" fn rustlsm_policy_init() -> kernel::ffi::c_int {
    // SAFETY: Called exactly once, by `rustlsm_init` in setup.c, before any hook can run.
    unsafe { POLICY.init() };
    // SAFETY: As for `POLICY`.
    unsafe { crate::ask::init() };
    0
}

/// Maps a verifier refusal to the errno documented for it.
pub(crate) fn format_errno(e: wire::FormatError) -> Error {
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
        let profile = Arc::new(Profile::new(&view)?, GFP_KERNEL)?;
        fresh.push(profile, GFP_KERNEL)?;
    }
    if dry_run {
        return Ok(());
    }

    let mut state = POLICY.lock();
    // Where each fresh profile goes: the loaded label of its name (a replacement) or a new
    // one, allocated before the first change so the switch cannot fail.
    let mut targets = KVec::with_capacity(fresh.len(), GFP_KERNEL)?;
    let mut added = 0;
    for profile in fresh.iter() {
        let name = profile.view().name();
        let target = match state.labels.iter().find(|l| l.name_is(name)) {
            Some(label) => (label.clone(), true),
            None => {
                added += 1;
                (Arc::new(Label::new(), GFP_KERNEL)?, false)
            }
        };
        targets.push(target, GFP_KERNEL)?;
    }
    state.labels.reserve(added, GFP_KERNEL)?;
    // The attachments as they will be after the switch, also built before it.
    let replacement = |label: &Arc<Label>| {
        let mut pairs = fresh.iter().zip(targets.iter());
        pairs
            .find(|(_, (target, _))| Arc::ptr_eq(target, label))
            .map(|(profile, _)| profile.clone())
    };
    let after: KVec<(Arc<Label>, Option<Arc<Profile>>)> = {
        let mut after = KVec::with_capacity(state.labels.len() + added, GFP_KERNEL)?;
        for label in state.labels.iter() {
            let profile = replacement(label).or_else(|| label.profile());
            after.push((label.clone(), profile), GFP_KERNEL)?;
        }
        for (profile, (label, replacing)) in fresh.iter().zip(targets.iter()) {
            if !replacing {
                after.push((label.clone(), Some(profile.clone())), GFP_KERNEL)?;
            }
        }
        after
    };
    let index = Arc::new(index_of(&after)?, GFP_KERNEL)?;
    drop(after);

    // The switch: infallible from here on. Replaced profiles and the replaced index are kept
    // until every reader that could have seen them is done (by a worker: the load does not
    // wait for it).
    let mut retired = Retired::with_capacity(fresh.len())?;
    let count = fresh.len();
    let mut replacing = KVec::with_capacity(fresh.len(), GFP_KERNEL)?;
    for (profile, (label, is_replacement)) in fresh.into_iter().zip(targets) {
        // Capacity was reserved above, so these pushes do not allocate.
        let _ = replacing.push(is_replacement, GFP_KERNEL);
        let old = label.swap(Some(profile));
        if is_replacement {
            retired.as_mut().keep_profile(old);
        } else {
            let _ = state.labels.push(label, GFP_KERNEL);
        }
    }
    retired.as_mut().keep_index(ATTACHMENTS.swap(Some(index)));
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
    retired.release();
    Ok(())
}

/// Indexes the attachments of `labels` (in load order, each with the profile it has or is
/// about to have).
fn index_of(labels: &[(Arc<Label>, Option<Arc<Profile>>)]) -> Result<AttachIndex> {
    AttachIndex::build(
        labels
            .iter()
            .map(|(label, profile)| (label, profile.as_deref().map(Profile::view))),
    )
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
    // The attachments without the removed profile's, built before anything changes.
    let mut after = KVec::with_capacity(state.labels.len(), GFP_KERNEL)?;
    for (i, label) in state.labels.iter().enumerate() {
        if i != index {
            after.push((label.clone(), label.profile()), GFP_KERNEL)?;
        }
    }
    let attachments = Arc::new(index_of(&after)?, GFP_KERNEL)?;
    drop(after);
    let mut retired = Retired::with_capacity(1)?;
    let label = state.labels.remove(index).map_err(|_| EINVAL)?;
    retired.as_mut().keep_profile(label.swap(None));
    retired
        .as_mut()
        .keep_index(ATTACHMENTS.swap(Some(attachments)));
    state.generation += 1;
    let generation = state.generation;
    LABEL_COUNT.store(state.labels.len(), Relaxed);
    drop(state);
    crate::report::policy_change("remove", name, 1, generation);
    retired.release();
    Ok(())
}

/// The label of the loaded profile called `name`, if there is one. Takes no lock and does
/// not sleep.
pub(crate) fn label_named(name: &[u8]) -> Option<Arc<Label>> {
    ATTACHMENTS.with(|index| index.and_then(|index| index.named(name)))
}

/// The label whose profile claims the executable at `path` most specifically, if any.
/// Takes no lock and does not sleep.
pub(crate) fn attachment_for(path: &[u8]) -> Option<Arc<Label>> {
    ATTACHMENTS.with(|index| index.and_then(|index| index.claimant(path)))
}

/// Whether some loaded profile has an attachment (if not, no program is claimed and exec
/// need not render an unconfined task's program path). Lock-free, like [`is_empty`].
pub(crate) fn has_attachments() -> bool {
    ATTACHMENTS.with(|index| index.is_some_and(|index| !index.is_empty()))
}

/// Appends the listing `/sys/kernel/security/rustlsm/profiles` shows: one line per profile,
/// `name mode digest`, in load order.
pub(crate) fn list(out: &mut KVVec<u8>) -> Result {
    let state = POLICY.lock();
    for label in state.labels.iter() {
        let Some(profile) = label.profile() else {
            continue;
        };
        let view = profile.view();
        out.extend_from_slice(view.name(), GFP_KERNEL)?;
        out.extend_from_slice(b" ", GFP_KERNEL)?;
        out.extend_from_slice(view.mode().name().as_bytes(), GFP_KERNEL)?;
        out.extend_from_slice(b" ", GFP_KERNEL)?;
        // Computed here rather than at load: listings are rare, loads are what users wait for.
        push_hex(out, wire::digest(&profile.record))?;
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
