// SPDX-License-Identifier: GPL-2.0-only

//! [`RcuSlot`]: an `Arc` that readers reach without a lock or a reference count, and that a
//! writer replaces whole.

use kernel::sync::{
    atomic::{Acquire, Atomic, Full},
    rcu, Arc, ArcBorrow,
};

/// An optional `Arc<T>` published for lock-free readers.
///
/// Readers run under an RCU read-side critical section; a writer swaps the pointer and must
/// let a grace period pass before it drops what it took out, so a reader never sees freed
/// memory. Hooks that may not sleep (`capable`, signal delivery, exec's attachment lookup)
/// can read it.
///
/// # Invariants
///
/// `ptr` is null, or a pointer made by `Arc::into_raw` that owns one reference. It is only
/// replaced by [`RcuSlot::swap`], whose caller waits for an RCU grace period before dropping
/// the reference it gets back.
pub(crate) struct RcuSlot<T: Send + Sync> {
    ptr: Atomic<*const T>,
}

// SAFETY: The slot only holds a reference to a `T`, which is `Send + Sync`, and the pointer is
// only accessed through atomics.
unsafe impl<T: Send + Sync> Send for RcuSlot<T> {}
// SAFETY: As above.
unsafe impl<T: Send + Sync> Sync for RcuSlot<T> {}

impl<T: Send + Sync> RcuSlot<T> {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        // INVARIANT: Null is allowed.
        RcuSlot {
            ptr: Atomic::new(core::ptr::null()),
        }
    }

    /// Runs `f` on the slot's current value (or `None`) without a lock or a reference count.
    /// `f` must not sleep.
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let _rcu = rcu::read_lock();
        let ptr = self.ptr.load(Acquire);
        // SAFETY: By the type invariant a non-null pointer owns a reference that is dropped
        // only after a grace period following its replacement; we are inside a read-side
        // critical section that started before any such grace period could end.
        f(unsafe { ptr.as_ref() })
    }

    /// A counted reference to the current value, for callers that sleep while they use it.
    pub(crate) fn get(&self) -> Option<Arc<T>> {
        let _rcu = rcu::read_lock();
        let ptr = self.ptr.load(Acquire);
        if ptr.is_null() {
            return None;
        }
        // SAFETY: As in `with`, the reference owned by the slot cannot be dropped before this
        // read-side critical section ends, so the count is not zero.
        let borrowed = unsafe { ArcBorrow::from_raw(ptr) };
        Some(borrowed.into())
    }

    /// Publishes `new` and returns the previous value. The caller must wait for an RCU grace
    /// period (`synchronize_rcu`) before dropping what this returns, and must serialize its
    /// swaps with the slot's other writers.
    pub(crate) fn swap(&self, new: Option<Arc<T>>) -> Option<Arc<T>> {
        let new = new.map_or(core::ptr::null(), Arc::into_raw);
        // INVARIANT: `new` is null or owns one reference; the old pointer's reference is
        // handed to the caller.
        let old = self.ptr.xchg(new, Full);
        // SAFETY: By the type invariant, a non-null `old` owns one reference.
        (!old.is_null()).then(|| unsafe { Arc::from_raw(old) })
    }
}

impl<T: Send + Sync> Drop for RcuSlot<T> {
    fn drop(&mut self) {
        // The slot is going away, so no reader can reach it any more.
        drop(self.swap(None));
    }
}
