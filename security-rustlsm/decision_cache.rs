// SPDX-License-Identifier: GPL-2.0-only

//! Recent decisions on open files, so that opening the same file again neither renders its
//! path nor walks the automaton.
//!
//! A decision on a held path (a mount and a dentry) is its profile's (allowed, denied) masks
//! for the path's string. It stays right while three things hold, and each entry records
//! what shows it:
//!
//! - the profile is the same: its serial number, which is never reused;
//! - the string is the same: a sample of the rename and mount counts (`path_names_seq()`),
//!   taken before the path was rendered and checked unchanged after the decision; any move of
//!   any dentry and any change to the mount tree changes it;
//! - the (mount, dentry) addresses name the same objects: a mount's address is only reused
//!   after the mount tree changed, and a dentry freed and reallocated at the same address gets
//!   its inode through the `d_instantiate` hook, which forgets the address
//!   ([`forget_dentry`]);
//! - the sample has not come round again: each count wraps after 2^31 changes, so an entry
//!   expires [`EXPIRY_MS`] after it was made, far sooner than 2^31 renames can run.
//!
//! Files on internal mounts (memfds, SysV shared memory, pidfds, anonymous inodes, dma-bufs)
//! are never cached: the hook does not see the dentries of `S_PRIVATE` inodes, and a
//! dma-buf's name changes with no count moving. They only need checks to be executed anyway.
//!
//! The table is direct-mapped by the dentry's address, so a dentry has one slot to forget
//! (it is cached for one profile at a time). Each slot is a sequence lock made of atomics:
//! readers never wait and never accept a torn entry, and a writer that finds the slot busy
//! leaves it.

use crate::{accessors, wire};
use kernel::{
    fs::{Dentry, Inode, Path},
    sync::{
        atomic::{Acquire, Atomic, Full, Relaxed, Release},
        barrier::{smp_mb, Read},
    },
    time::{jiffies, msecs_to_jiffies, Jiffies},
};

/// Slots in the table, as a power of two.
const SLOT_BITS: u32 = 11;

/// How long a kept decision may be used, in milliseconds.
const EXPIRY_MS: u32 = 10_000;

/// What a decision is kept by.
pub(crate) struct Key {
    dentry: usize,
    mount: usize,
    profile: u64,
    names: u64,
}

impl Key {
    /// The key of `path` under the profile with serial number `profile`; `None` while a
    /// rename or a mount change is under way, or for a file of an internal mount, a private
    /// inode or procfs (nothing is cached then: procfs files are decided per task, since
    /// their `/proc/self` name is the checking task's own).
    pub(crate) fn of(path: &Path, profile: u64) -> Option<Self> {
        if !accessors::keeps_decisions(path) {
            return None;
        }
        let mut names = 0;
        accessors::path_names_seq(&mut names).then(|| Key {
            dentry: path.dentry().as_ptr() as usize,
            mount: path.mount_addr(),
            profile,
            names,
        })
    }
}

/// A profile's rules for one path.
///
/// What `owner` rules allow depends on who owns the file and who asks, which a path does not
/// say: it is kept apart, and [`Decision::for_owner`] adds it to `allowed` at each check.
#[derive(Clone, Copy)]
pub(crate) struct Decision {
    /// The accesses the rules allow (`wire::ACCESS_*`).
    pub(crate) allowed: u32,
    /// The accesses they deny.
    pub(crate) denied: u32,
    /// The accesses the owner rules allow, to a task that owns the file.
    pub(crate) owner_allowed: u32,
}

impl Decision {
    /// The decision for a task that does or does not own the file (`owned`, asked only when
    /// the owner rules would change the answer for `requested` or its `audit` bits): what
    /// the owner rules allow joins `allowed` if it does; they deny nothing.
    pub(crate) fn for_owner(self, requested: u32, owned: impl FnOnce() -> bool) -> Decision {
        let asked = requested | requested << wire::QUALIFIER_SHIFT;
        let adds = self.owner_allowed & asked & !self.allowed != 0;
        let allowed = if adds && owned() {
            self.allowed | self.owner_allowed
        } else {
            self.allowed
        };
        Decision {
            allowed,
            denied: self.denied,
            owner_allowed: 0,
        }
    }
}

/// One cached decision.
struct Slot {
    /// Even while the slot is stable, odd while it is written.
    seq: Atomic<u32>,
    /// The dentry's address; 0 for an empty slot.
    dentry: Atomic<usize>,
    mount: Atomic<usize>,
    profile: Atomic<u64>,
    names: Atomic<u64>,
    /// `allowed | denied << 32`.
    masks: Atomic<u64>,
    /// What the owner rules allow.
    owner_allowed: Atomic<u32>,
    /// When the decision expires, in jiffies.
    expires: Atomic<Jiffies>,
}

impl Slot {
    const fn empty() -> Slot {
        Slot {
            seq: Atomic::new(0),
            dentry: Atomic::new(0),
            mount: Atomic::new(0),
            profile: Atomic::new(0),
            names: Atomic::new(0),
            masks: Atomic::new(0),
            owner_allowed: Atomic::new(0),
            expires: Atomic::new(0),
        }
    }

    /// Takes the slot for writing if it is stable and its sequence is still `seq`; returns
    /// the sequence to publish with [`Self::release`].
    fn lock(&self, seq: u32) -> Option<u32> {
        if seq & 1 != 0 {
            return None;
        }
        let locked = seq.wrapping_add(1);
        self.seq.cmpxchg(seq, locked, Full).ok()?;
        Some(locked.wrapping_add(1))
    }

    fn release(&self, seq: u32) {
        self.seq.store(seq, Release);
    }
}

static SLOTS: [Slot; 1 << SLOT_BITS] = [const { Slot::empty() }; 1 << SLOT_BITS];

/// The slot of the dentry at `dentry` (Fibonacci hashing of the address).
fn slot_of(dentry: usize) -> &'static Slot {
    let hash = (dentry as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SLOT_BITS);
    &SLOTS[hash as usize % SLOTS.len()]
}

/// The decision kept for `key`, if any. Never waits.
pub(crate) fn lookup(key: &Key) -> Option<Decision> {
    let slot = slot_of(key.dentry);
    let seq = slot.seq.load(Acquire);
    if seq & 1 != 0 {
        return None;
    }
    let same = slot.dentry.load(Relaxed) == key.dentry
        && slot.mount.load(Relaxed) == key.mount
        && slot.profile.load(Relaxed) == key.profile
        && slot.names.load(Relaxed) == key.names;
    let masks = slot.masks.load(Relaxed);
    let owner_allowed = slot.owner_allowed.load(Relaxed);
    let expires = slot.expires.load(Relaxed);
    // The fields above were read before the sequence is read again.
    smp_mb(Read);
    if !same || slot.seq.load(Relaxed) != seq {
        return None;
    }
    // `time_after(jiffies, expires)`: the difference read as signed.
    if expires.wrapping_sub(jiffies()) as isize <= 0 {
        return None;
    }
    Some(Decision {
        allowed: masks as u32,
        denied: (masks >> 32) as u32,
        owner_allowed,
    })
}

/// Keeps `decision` for `key`, unless a rename or a mount change happened since the key
/// was taken (the path rendered may then not be the path now) or the slot is being written.
pub(crate) fn store(key: &Key, decision: Decision) {
    let mut now = 0;
    if !accessors::path_names_seq(&mut now) || now != key.names {
        return;
    }
    let slot = slot_of(key.dentry);
    let Some(publish) = slot.lock(slot.seq.load(Relaxed)) else {
        return;
    };
    slot.dentry.store(key.dentry, Relaxed);
    slot.mount.store(key.mount, Relaxed);
    slot.profile.store(key.profile, Relaxed);
    slot.names.store(key.names, Relaxed);
    let masks = u64::from(decision.allowed) | u64::from(decision.denied) << 32;
    slot.masks.store(masks, Relaxed);
    slot.owner_allowed.store(decision.owner_allowed, Relaxed);
    slot.expires
        .store(jiffies().wrapping_add(msecs_to_jiffies(EXPIRY_MS)), Relaxed);
    slot.release(publish);
}

/// Forgets the decision kept for the dentry at `dentry`, which is being given an inode: it
/// may be a new dentry at a freed one's address. Never waits.
///
/// If a writer holds the slot, it is writing another dentry's key: a check stores a key only
/// for a dentry it holds open, and a dentry being instantiated is not open yet (nor can a
/// freed one at the same address have been held by a check still running).
pub(crate) fn forget_dentry(dentry: usize) {
    let slot = slot_of(dentry);
    let seq = slot.seq.load(Acquire);
    if slot.dentry.load(Relaxed) != dentry {
        return;
    }
    if let Some(publish) = slot.lock(seq) {
        slot.dentry.store(0, Relaxed);
        slot.release(publish);
    }
}

/// `d_instantiate`: `dentry` is being given an inode, so its address may have been a freed
/// dentry's, whose decision must not be taken for this one's.
pub(crate) fn d_instantiate(dentry: &Dentry, _inode: Option<&Inode>) {
    forget_dentry(dentry.as_ptr() as usize);
}
