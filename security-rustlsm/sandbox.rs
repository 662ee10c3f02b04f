// SPDX-License-Identifier: GPL-2.0-only

//! Sandboxes: profiles a task stacks on its own credentials (`LSM_POLICY_RESTRICT_SELF`),
//! without privilege.
//!
//! Each request adds a layer to the task's [`Domain`]; an access is allowed only if the
//! system profile (if any) and every layer allow it, so a layer can only take rights away.
//! No intersection of rules is ever computed: each layer is checked as it was given. Layers
//! ride in the credentials, so fork and exec keep them, and nothing removes one.
//!
//! Beyond its own rules, a sandbox is scoped like a Landlock domain: its tasks may signal,
//! trace, reach abstract unix sockets of, and change the limits, priorities or scheduling of
//! tasks in the same sandbox or one nested in it only ([`Domain::encloses`]); they may join
//! no process group outside it, and may not create user namespaces, in which they would
//! hold capabilities over mounts the sandbox's paths rely on.

use crate::{accessors, ask, cred_blob, policy::Profile, records::Records, report, wire};
use kernel::{
    cred::{self, Credential, NewCredentials, ThreadSync},
    ffi::c_int,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
};

/// Layers one task may stack; the next request fails with `E2BIG` (Landlock's limit too: it
/// bounds the cost of each check and exposes a program that stacks a layer per rule).
pub(crate) const MAX_LAYERS: usize = 16;

/// The largest policy an unprivileged task may stack: well above any hand-written sandbox
/// (`lsmctl run` makes a few hundred bytes; 10,000 path rules compile to 30 KiB), far below
/// what an administrator may load, since each layer stays in memory for the life of the
/// sandbox, in one `kmalloc` (see `policy::Profile::new_layer`).
pub(crate) const MAX_LAYER_LEN: u32 = 64 << 10;

/// Abstract unix socket patterns all layers of a sandbox may hold together: each send to an
/// abstract socket matches them under the receiver's lock, so their number is bounded for
/// the sandbox, not per layer.
pub(crate) const MAX_ABSTRACT_PATTERNS: usize = wire::MAX_PEERS as usize;

/// The flags `LSM_POLICY_RESTRICT_SELF` accepts.
const FLAGS: u32 =
    wire::FLAG_DRY_RUN | wire::FLAG_RECORDS | wire::FLAG_ALL_THREADS | wire::FLAG_LISTENER;

/// A stack of layers: the newest layer, and the domain it was stacked on.
pub(crate) struct Domain {
    layer: Profile,
    parent: Option<Arc<Domain>>,
    /// Layers in this domain, this one included: `1..=MAX_LAYERS`.
    depth: usize,
    /// Abstract unix patterns in this domain's layers, at most `MAX_ABSTRACT_PATTERNS`.
    abstract_patterns: usize,
    /// Names the domain in denial records; never 0, never reused.
    id: u64,
    /// Where this layer's refusals go for the task that stacked it, if it asked.
    records: Option<Arc<Records>>,
    /// Where the accesses this layer leaves to an agent go, if its creator asked for one.
    listener: Option<Arc<ask::Listener>>,
}

impl Drop for Domain {
    /// The last credentials in the sandbox are gone (this may run in an RCU callback): its
    /// creator reads what is left, then the end.
    fn drop(&mut self) {
        if let Some(records) = &self.records {
            records.close();
        }
    }
}

/// The id of the next domain made.
static NEXT_ID: Atomic<u64> = Atomic::new(1);

impl Domain {
    /// The domain's id, as denial records show it.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// This domain's layers, newest first, each with the id of the domain it made.
    pub(crate) fn layers(&self) -> impl Iterator<Item = &Domain> {
        core::iter::successors(Some(self), |d| d.parent.as_deref())
    }

    /// The records of this domain's newest layer, if its creator asked for them.
    pub(crate) fn records(&self) -> Option<&Records> {
        self.records.as_deref()
    }

    /// The listener of this domain's newest layer, if its creator asked for one.
    pub(crate) fn listener(&self) -> Option<&Arc<ask::Listener>> {
        self.listener.as_ref()
    }

    /// The profile of this domain's newest layer (its serial keys the agent's answers).
    pub(crate) fn layer(&self) -> &Profile {
        &self.layer
    }

    /// The rules of this domain's newest layer.
    pub(crate) fn rules(&self) -> wire::ProfileView<'_> {
        self.layer.view()
    }

    /// Whether a task in `other` (`None`: in no sandbox) is in this domain or in one nested
    /// in it: the tasks a task of this domain may signal, trace or reach over abstract unix
    /// sockets. Never sleeps.
    pub(crate) fn encloses(&self, other: Option<&Domain>) -> bool {
        let mut other = other;
        while let Some(d) = other {
            if d.depth <= self.depth {
                return core::ptr::eq(d, self);
            }
            other = d.parent.as_deref();
        }
        false
    }
}

/// Whether the current task holds an io_uring instance (inherited, received or its own).
fn holds_ring() -> bool {
    let mut found = false;
    accessors::for_each_open_file(|_, file| found |= accessors::is_io_uring(file));
    found
}

/// Who may ask for `LSM_POLICY_RESTRICT_SELF`: a task with `no_new_privs` set, or with
/// `CAP_SYS_ADMIN` in its own user namespace (the Landlock and seccomp rule: without it, a
/// sandbox could make a setuid program fail in a way that serves its caller). Checked
/// before the framework copies anything, so `size` is bounded here too.
pub(crate) fn authorize(size: u32, flags: u32) -> Result {
    let one_descriptor = wire::FLAG_RECORDS | wire::FLAG_LISTENER;
    if flags & !FLAGS != 0 || flags & one_descriptor == one_descriptor {
        return Err(EINVAL);
    }
    if size > MAX_LAYER_LEN {
        return Err(E2BIG);
    }
    // `no_new_privs` first: it is what most callers set, and needs no capability check.
    if !current!().no_new_privs()
        && !cred::capable_in_own_user_ns(kernel::bindings::CAP_SYS_ADMIN as i32)
    {
        report::policy_refusal(
            "restrict_self",
            "the caller has neither no_new_privs nor CAP_SYS_ADMIN",
        );
        return Err(EPERM);
    }
    // A layer covers the calling task only, or with `FLAG_ALL_THREADS` its process: a task
    // sharing its memory or descriptor table would keep working outside it on the same state,
    // a tracee would stay under its control, and a ring made before it would keep running
    // requests (SQPOLL) with the credentials from before. Refused rather than half-done;
    // `lsmctl run` stacks from a single task that holds no ring. The other threads are
    // checked by `AllThreads` once they wait.
    let shares = match flags & wire::FLAG_ALL_THREADS {
        0 => accessors::current_shares_itself(),
        _ => accessors::current_traces() || accessors::current_group_has_workers(),
    };
    if shares || accessors::current_used_io_uring() || holds_ring() {
        return Err(EBUSY);
    }
    Ok(())
}

/// Whether the current task holds anything a layer could not cover (see [`authorize`]); a
/// thread whose descriptor table is `looked_through` does not look through it again.
fn thread_holds_uncovered(looked_through: Option<usize>) -> bool {
    accessors::current_traces()
        || accessors::current_used_io_uring()
        || (Some(accessors::current_files_id()) != looked_through && holds_ring())
}

/// The layer stacked on every thread of the process (`FLAG_ALL_THREADS`).
struct AllThreads {
    /// What the calling thread was confined by, and is now.
    old: Option<Arc<cred_blob::Confinement>>,
    new: Arc<cred_blob::Confinement>,
    /// The calling thread's descriptor table ([`accessors::current_files_id`]).
    files: usize,
}

impl ThreadSync for AllThreads {
    /// Each thread is checked as the caller was, and must have been confined as the caller
    /// was: a thread's confinement is never wider than its process's (threads share memory),
    /// so giving it the caller's new one can only narrow it.
    fn prepare_thread(&self, new: Option<&mut NewCredentials>) -> Result {
        if thread_holds_uncovered(Some(self.files)) {
            return Err(EBUSY);
        }
        let Some(new) = new else {
            return Ok(());
        };
        let same = match (cred_blob::confinement_of_private(&new.private()), &self.old) {
            (Some(mine), Some(old)) => Arc::ptr_eq(&mine, old),
            (mine, old) => mine.is_none() && old.is_none(),
        };
        if !same {
            return Err(EBUSY);
        }
        cred_blob::set_confinement(&mut new.private(), Some(self.new.clone()));
        Ok(())
    }

    /// With every other thread waiting, the caller is checked again (it may have started
    /// tracing a child, or received a ring, since [`authorize`]), and so is the process.
    fn all_prepared(&self) -> Result {
        if thread_holds_uncovered(None) || accessors::current_group_shares_outside() {
            return Err(EBUSY);
        }
        Ok(())
    }
}

/// Stacks the one profile `blob` holds on the current task's credentials as a new layer.
/// With `dry_run`, stops after verification and allocation. Everything that can fail comes
/// before the commit, so a refused request leaves the task as it was. Returns 0, or with
/// `FLAG_RECORDS` the descriptor that reads the layer's records (see [`Records`]), or with
/// `FLAG_LISTENER` the layer's listener (see [`ask`]).
pub(crate) fn restrict_self(blob: &[u8], flags: u32) -> Result<c_int> {
    let count = wire::verify(blob).map_err(crate::policy::format_errno)?;
    let mut profiles = wire::profiles(blob);
    let (Some(view), 1) = (profiles.next(), count) else {
        return Err(EINVAL);
    };
    // A layer applies to the task that stacks it, not to programs it could name, and moves
    // no program to another profile.
    if view.attachments().next().is_some() || view.exec_targets().next().is_some() {
        return Err(EINVAL);
    }
    let mut new = NewCredentials::prepare()?;
    let old = cred_blob::confinement_of_private(&new.private());
    let parent = old.as_deref().and_then(|c| c.domain().cloned());
    let depth = parent.as_deref().map_or(0, |p| p.depth) + 1;
    let abstract_patterns = parent.as_deref().map_or(0, |p| p.abstract_patterns)
        + view.unix_abstract_patterns().count();
    if depth > MAX_LAYERS || abstract_patterns > MAX_ABSTRACT_PATTERNS {
        return Err(E2BIG);
    }
    let id = NEXT_ID.fetch_add(1, Relaxed);
    let records = match flags & wire::FLAG_RECORDS {
        0 => None,
        _ => Some(Records::new()?),
    };
    let listener = match flags & wire::FLAG_LISTENER {
        0 => None,
        _ => Some(ask::Listener::for_layer(id)?),
    };
    // Reserved and made now, installed only after the commit: a failure leaves no
    // descriptor behind.
    let fd = match (&records, &listener) {
        (Some(records), _) => Some(Records::new_fd(records)?),
        (None, Some(listener)) => Some(ask::new_fd(listener)?),
        (None, None) => None,
    };
    let domain = Arc::new(
        Domain {
            layer: Profile::new_layer(&view)?,
            parent,
            depth,
            abstract_patterns,
            id,
            records,
            listener,
        },
        GFP_KERNEL_ACCOUNT,
    )?;
    let label = old.as_deref().and_then(|c| c.label().cloned());
    let confinement = cred_blob::Confinement::new(label, Some(domain), GFP_KERNEL_ACCOUNT)?;
    if flags & wire::FLAG_DRY_RUN != 0 {
        return Ok(0);
    }
    cred_blob::set_confinement(&mut new.private(), confinement.clone());
    if flags & wire::FLAG_ALL_THREADS == 0 {
        new.commit();
    } else {
        let all = AllThreads {
            old,
            // A domain always makes a confinement.
            new: confinement.ok_or(EINVAL)?,
            files: accessors::current_files_id(),
        };
        // Every thread gets `no_new_privs` if the caller has it: a thread without it could
        // execute a setuid program in the sandbox (see `authorize`).
        new.commit_in_all_threads(&all, current!().no_new_privs())?;
    }
    // A descriptor number is below `INT_MAX` (the `nr_open` limit).
    Ok(fd.map_or(0, |fd| fd.install() as c_int))
}

/// `userns_create`: a sandboxed task may not create user namespaces. In one it would hold
/// every capability over the mounts it could make there, and bind a tree its layers refuse
/// onto a path they allow (unprivileged user namespaces are how bubblewrap sandboxes; a
/// sandbox that wants them is the thing to be contained). Never sleeps.
pub(crate) fn userns_create(cred: &Credential) -> Result {
    let confinement = cred_blob::confinement(cred);
    let Some(domain) = confinement.as_deref().and_then(|c| c.domain()) else {
        return Ok(());
    };
    // Reported once, however deep the sandbox: by the newest layer that enforces (which
    // refuses it), or by the newest layer when all of them only complain.
    let enforcing = domain
        .layers()
        .find(|l| l.rules().mode() != wire::Mode::Complain);
    let reporter = enforcing.unwrap_or(domain);
    report::layer_event(
        reporter,
        &reporter.rules(),
        "userns_create",
        &report::NoObject,
    );
    match enforcing {
        Some(_) => Err(EPERM),
        None => Ok(()),
    }
}
