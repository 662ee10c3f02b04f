// SPDX-License-Identifier: GPL-2.0-only

//! Complain-mode records of system profiles, logged once: a program learned in complain mode
//! repeats the same accesses (each run maps the same libraries, reads the same files), and
//! the repeats would spend the log's budget and push out what is new to a learning tool. A
//! record is a repeat when the same loaded profile (a reload starts afresh) made the same
//! decision on the same object lately; repeats are counted, and the count is logged when the
//! log's window turns, so that what was not repeated is visible.
//!
//! What "lately" means is a small table of fingerprints, each slot overwritten by the next
//! record that hashes to it: bounded memory, no lock, no allocation, so it serves hooks that
//! may not sleep. A collision of two different records' fingerprints (64 bits) would hide
//! one of them; a record evicted from its slot is logged again.

use crate::wire::ProfileView;
use core::fmt::Write;
use kernel::{
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

/// Fingerprint slots.
const SLOTS: usize = 256;
/// How often the count of repeats may be logged, in milliseconds.
const REPORT_WINDOW_MS: u32 = 5000;

static SEEN: [Atomic<u64>; SLOTS] = [const { Atomic::new(0) }; SLOTS];
static REPEATS: Atomic<u32> = Atomic::new(0);
static REPORTED_AT: Atomic<usize> = Atomic::new(0);

/// FNV-1a over what is written into it.
struct Fingerprint(u64);

impl Fingerprint {
    fn add(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Write for Fingerprint {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.add(s.as_bytes());
        Ok(())
    }
}

/// Whether `profile` logged `op` on `object` lately (the line it would write now, less the
/// task); if not, it is remembered. Lock-free; never sleeps.
pub(crate) fn is_repeat(
    profile: &ProfileView<'_>,
    op: &str,
    object: &dyn kernel::fmt::Display,
) -> bool {
    let mut print = Fingerprint(0xcbf2_9ce4_8422_2325);
    // The record's address tells this load of the profile from an earlier one.
    print.add(&(profile.record().as_ptr() as usize).to_ne_bytes());
    print.add(profile.name());
    print.add(op.as_bytes());
    if print.write_fmt(fmt!("{}", object)).is_err() {
        return false;
    }
    // 0 marks an empty slot.
    let value = print.0 | 1;
    let Some(slot) = SEEN.get(value as usize % SLOTS) else {
        return false;
    };
    if slot.load(Relaxed) == value {
        REPEATS.fetch_add(1, Relaxed);
        return true;
    }
    slot.store(value, Relaxed);
    false
}

/// Logs how many repeats went unlogged since the last report, at most once per window.
pub(crate) fn report() {
    let now = kernel::time::jiffies();
    let last = REPORTED_AT.load(Relaxed);
    let window = kernel::time::msecs_to_jiffies(REPORT_WINDOW_MS);
    if now.wrapping_sub(last) <= window || REPORTED_AT.cmpxchg(last, now, Relaxed).is_err() {
        return;
    }
    let repeats = REPEATS.xchg(0, Relaxed);
    if repeats > 0 {
        pr_notice!(
            "{} repeated complain-mode records not logged again\n",
            repeats
        );
    }
}
