// SPDX-License-Identifier: GPL-2.0-only

//! Open files that reach a profile without being opened under it: inherited across the exec
//! that moves a task into another profile, or received over a unix socket (`SCM_RIGHTS`).
//! Each is checked as an open of its path with the access it was opened for, as SELinux and
//! AppArmor revalidate descriptors at such an exec (`flush_unauthorized_files`,
//! `aa_inherit_files`); a refused inherited descriptor is replaced by one that reads nothing
//! and swallows writes (AppArmor's null device), a refused received one is not delivered.
//! Files of the kernel's internal mounts (pipes, sockets, event descriptors) have no path
//! rules and pass, except io_uring instances: a ring runs requests with the credentials of
//! whoever created it (SQPOLL) or registered a personality, so a ring is only kept or
//! received under the profile that created it.

use crate::{
    access::Rules,
    accessors,
    cred_blob::{self, Confinement},
    path::{ResolvedPath, Target},
    report,
};
use kernel::{
    cred::Credential, error::to_result, fs::LocalFile, lsm::ExecCommit, prelude::*, sync::Arc,
};

/// Whether `a` and `b` confine alike: the same label and the same sandbox (`None`: neither).
fn same_confinement(a: Option<&Confinement>, b: Option<&Confinement>) -> bool {
    let parts = |c: Option<&Confinement>| {
        (
            c.and_then(|c| c.label().map(Arc::as_ptr)),
            c.and_then(|c| c.domain().map(Arc::as_ptr)),
        )
    };
    parts(a) == parts(b)
}

/// Whether `file`'s creator was confined as `confinement` says (`None`: unconfined).
fn created_under(file: &LocalFile, confinement: Option<&Confinement>) -> bool {
    // An open file keeps the creds of its opener.
    let creator = cred_blob::confinement(file.cred());
    same_confinement(creator.as_deref(), confinement)
}

/// Which rules revalidate a held file.
#[derive(Clone, Copy, PartialEq)]
enum Revalidate {
    /// The system profile's only: an exec changed it, the sandbox stays.
    Profile,
    /// The system profile's and every sandbox layer's: the file comes from elsewhere.
    All,
    /// Every layer's, for io_uring instances only: an exec in a sandbox.
    Rings,
}

/// Decides whether a task with creds `holder`, confined by `confinement`, may hold `file`; on
/// refusal reports it as `op` and returns the refusing rules' answer (`Ok` in complain
/// mode). May sleep.
fn check_held(
    op: &str,
    holder: &Credential,
    confinement: &Confinement,
    file: &LocalFile,
    which: Revalidate,
) -> Result {
    let ring = accessors::is_io_uring(file);
    if which == Revalidate::Rings && !ring {
        return Ok(());
    }
    // A ring is revoked for a sandbox by its layers alone: the system profile's rules had
    // no part in it.
    let profile = confinement
        .label()
        .filter(|_| which != Revalidate::Rings)
        .and_then(|label| label.profile());
    let domain = confinement
        .domain()
        .filter(|_| which != Revalidate::Profile);
    let system = profile.as_deref().map(|p| Rules::system(p.view()));
    let layers = domain
        .into_iter()
        .flat_map(|d| d.layers())
        .map(Rules::layer);
    let mut rules = Iterator::chain(system.into_iter(), layers).peekable();
    if rules.peek().is_none() {
        return Ok(());
    }
    if ring {
        if created_under(file, Some(confinement)) {
            return Ok(());
        }
        for rules in rules {
            let ring = report::FileObject {
                path: b"anon_inode:[io_uring]",
                requested: 0,
                refused: 0,
                owner_only: 0,
                asked: None,
            };
            report::denial_in(&rules, op, &ring, report::Kills::No);
            to_result(report::verdict_without_kill(rules.mode(), EACCES))?;
        }
        return Ok(());
    }
    // Files of internal mounts (pipes, sockets...) have no path to revalidate; POSIX queues
    // do (`mqueue:/NAME`), and a confined task may not hold one it could not open.
    if accessors::is_internal_mount(file.path()) && !accessors::is_mqueue(file.path()) {
        return Ok(());
    }
    let requested = crate::file::held_access(file);
    if requested == 0 {
        return Ok(());
    }
    let path = ResolvedPath::of_file(file)?;
    for rules in rules {
        // The holder is the current task (an exec's, or a receiver), whose own procfs
        // entries answer to `/proc/self` too.
        let said = crate::access::path_masks(&rules, &path, true);
        let decision = said.for_owner(requested, || Target::File(file).owned_by(holder));
        let refused = requested & (!decision.allowed | decision.denied);
        if refused == 0 {
            crate::access::report_audited(&rules, op, &path, &decision, requested);
            continue;
        }
        // A revoked descriptor is hard to debug without its line: never quieted.
        let how = report::Kills::No;
        let what = crate::access::refusal_of(&path, &said, requested, refused, None);
        report::denial_in(&rules, op, &what, how);
        to_result(report::verdict_without_kill(rules.mode(), EACCES))?;
    }
    Ok(())
}

/// `bprm_committing_creds`: when the exec moves the task into another profile, revokes the
/// descriptors the new profile may not hold, and in a sandbox the io_uring instances made
/// outside it. Runs in process context, before the new creds are installed; every file is
/// checked holding only a reference to it.
pub(crate) fn bprm_committing_creds(exec: &ExecCommit<'_>) {
    let Some(new) = cred_blob::confinement(exec.new_cred()) else {
        return;
    };
    let same = Credential::with_current(|cred| {
        cred_blob::with_label(cred, |old| match (old, new.label()) {
            (Some(old), Some(new)) => core::ptr::eq(old, &**new),
            (None, None) => true,
            _ => false,
        })
    });
    // In a sandbox, a ring made outside it is revoked at every exec, whatever happens to the
    // profile: its SQPOLL thread runs requests with its creator's credentials, so a ring
    // inherited from the sandbox's caller would act outside the sandbox.
    let sandboxed = new.domain().is_some();
    if same && !sandboxed {
        return;
    }
    accessors::for_each_open_file(|fd, file| {
        let check = |which| check_held("inherit", exec.new_cred(), &new, file, which).is_err();
        let by_profile = !same && check(Revalidate::Profile);
        let by_sandbox = !by_profile && sandboxed && check(Revalidate::Rings);
        if by_profile || by_sandbox {
            accessors::revoke_fd(fd);
        }
    });
}

/// `file_receive`: a descriptor arriving over a unix socket (`SCM_RIGHTS`) or pidfd_getfd.
/// It is checked against the receiver's system profile and every layer of its sandbox, so a
/// sandbox cannot be handed what it could not open. An io_uring instance never leaves its
/// creator's confinement, not even to an unconfined task: a confined task could otherwise
/// hand its ring to an unconfined broker, which would fill it with files the task may not
/// receive (`IORING_MSG_SEND_FD` bypasses this hook). Receiving runs in process context.
pub(crate) fn file_receive(file: &LocalFile) -> Result {
    // The receiver's confinement is borrowed from its creds, which stay put during the call.
    Credential::with_current(|cred| match cred_blob::confinement(cred) {
        Some(confinement) => check_held("receive", cred, &confinement, file, Revalidate::All),
        None if accessors::is_io_uring(file) && !created_under(file, None) => Err(EACCES),
        None => Ok(()),
    })
}

/// The object of a refused io_uring personality.
#[cfg(CONFIG_IO_URING)]
struct Personality;

#[cfg(CONFIG_IO_URING)]
impl kernel::fmt::Display for Personality {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_str("info=\"credentials of another profile\"")
    }
}

#[cfg(CONFIG_IO_URING)]
impl report::Object for Personality {
    fn audit(&self, record: &mut kernel::audit::Record) {
        record.field(c"info", b"credentials of another profile");
    }
}

/// `uring_override_creds`: an io_uring request run with a registered personality. A confined
/// task may only use credentials confined exactly as its own. Never sleeps.
#[cfg(CONFIG_IO_URING)]
pub(crate) fn uring_override_creds(new: &Credential) -> Result {
    Credential::with_current(|cur| {
        let current = cred_blob::confinement(cur);
        let registered = cred_blob::confinement(new);
        let same = current.is_none() || same_confinement(current.as_deref(), registered.as_deref());
        if same {
            return Ok(());
        }
        crate::access::check_with(cur, "uring_personality", &Personality, EPERM, true, |_| {
            false
        })
    })
}
