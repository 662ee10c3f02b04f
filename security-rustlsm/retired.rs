// SPDX-License-Identifier: GPL-2.0-only

//! What a policy change replaced (profiles, the attachment index), released by a worker
//! once no reader can still see it, so that loads and removals do not wait for an RCU grace
//! period: a load returns as soon as the new policy is in place.

use crate::{attach::AttachIndex, policy::Profile};
use kernel::{
    prelude::*,
    sync::{rcu, Arc},
    workqueue::{self, impl_has_work, new_work, Work, WorkItem},
};

/// The objects one policy change took out of the lock-free slots.
#[pin_data]
pub(crate) struct Retired {
    profiles: KVec<Arc<Profile>>,
    index: Option<Arc<AttachIndex>>,
    #[pin]
    work: Work<Retired>,
}

impl_has_work! {
    impl HasWork<Self> for Retired { self.work }
}

impl Retired {
    /// Room for `profiles` replaced profiles, allocated before the change (which cannot fail
    /// once it has begun).
    pub(crate) fn with_capacity(profiles: usize) -> Result<Pin<KBox<Self>>> {
        let profiles = KVec::with_capacity(profiles, GFP_KERNEL)?;
        KBox::pin_init(
            pin_init!(Retired {
                profiles,
                index: None,
                work <- new_work!("rustlsm::Retired::work"),
            }),
            GFP_KERNEL,
        )
    }

    /// Keeps `profile` until the release. Beyond the capacity it is leaked, which is safe,
    /// rather than dropped while readers may hold it, which would not be.
    pub(crate) fn keep_profile(self: Pin<&mut Self>, profile: Option<Arc<Profile>>) {
        let Some(profile) = profile else { return };
        if let Err(e) = self.project().profiles.push_within_capacity(profile) {
            core::mem::forget(e);
        }
    }

    /// Keeps the replaced attachment index until the release.
    pub(crate) fn keep_index(self: Pin<&mut Self>, index: Option<Arc<AttachIndex>>) {
        *self.project().index = index;
    }

    /// Releases what is kept after an RCU grace period, on the system workqueue.
    pub(crate) fn release(self: Pin<KBox<Self>>) {
        workqueue::system().enqueue(self);
    }
}

impl WorkItem for Retired {
    type Pointer = Pin<KBox<Retired>>;

    fn run(this: Pin<KBox<Retired>>) {
        // Every reader that could have seen these objects started before they were replaced,
        // and so ends within this grace period.
        rcu::synchronize_rcu();
        drop(this);
    }
}
