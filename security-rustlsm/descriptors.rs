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

use crate::{accessors, cred_blob, path::ResolvedPath, policy::Label, report};
use kernel::{cred::Credential, error::to_result, fs::LocalFile, lsm::ExecCommit, prelude::*};

/// Whether `file`'s creator ran under `label` (`None`: unconfined).
fn created_under(file: &LocalFile, label: Option<&Label>) -> bool {
    // An open file keeps the creds of its opener.
    match (cred_blob::label(file.cred()), label) {
        (Some(c), Some(l)) => core::ptr::eq(&*c, l),
        (None, None) => true,
        _ => false,
    }
}

/// Decides whether a task under `label` may hold `file`; on refusal reports it as `op` and
/// returns the profile's answer (`Ok` in complain mode). May sleep.
fn check_held(op: &str, label: &Label, file: &LocalFile) -> Result {
    let Some(profile) = label.profile() else {
        return Ok(());
    };
    let view = profile.view();
    if accessors::is_io_uring(file) {
        if created_under(file, Some(label)) {
            return Ok(());
        }
        report::denial(&view, op, b"anon_inode:[io_uring]", 0, 0, report::Kills::No);
        return to_result(report::verdict_without_kill(view.mode(), EACCES));
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
    let refused = view.refused(path.for_rules(view.attach_disconnected()), requested);
    if refused == 0 {
        return Ok(());
    }
    report::denial(
        &view,
        op,
        path.bytes(),
        requested,
        refused,
        report::Kills::No,
    );
    to_result(report::verdict_without_kill(view.mode(), EACCES))
}

/// `bprm_committing_creds`: when the exec moves the task into another profile, revokes the
/// descriptors the new profile may not hold. Runs in process context, before the new creds
/// are installed; every file is checked holding only a reference to it.
pub(crate) fn bprm_committing_creds(exec: &ExecCommit<'_>) {
    let Some(new) = cred_blob::label(exec.new_cred()) else {
        return;
    };
    let same = Credential::with_current(|cred| {
        cred_blob::label(cred).is_some_and(|old| core::ptr::eq(&*old, &*new))
    });
    if same {
        return;
    }
    accessors::for_each_open_file(|fd, file| {
        if check_held("inherit", &new, file).is_err() {
            accessors::revoke_fd(fd);
        }
    });
}

/// `file_receive`: a descriptor arriving over a unix socket (`SCM_RIGHTS`) or pidfd_getfd.
/// An io_uring instance never leaves its creator's profile, not even to an unconfined task:
/// a confined task could otherwise hand its ring to an unconfined broker, which would fill
/// it with files the task may not receive (`IORING_MSG_SEND_FD` bypasses this hook).
/// Receiving runs in process context.
pub(crate) fn file_receive(file: &LocalFile) -> Result {
    // The receiver's label is borrowed from its creds, which stay put during the call.
    Credential::with_current(|cred| match cred_blob::label(cred) {
        Some(label) => check_held("receive", &label, file),
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
/// task may only use the credentials of its own profile. Never sleeps.
#[cfg(CONFIG_IO_URING)]
pub(crate) fn uring_override_creds(new: &Credential) -> Result {
    Credential::with_current(|cur| {
        let same = match (cred_blob::label(cur), cred_blob::label(new)) {
            (Some(c), Some(n)) => core::ptr::eq(&*c, &*n),
            (None, _) => true,
            (Some(_), None) => false,
        };
        if same {
            return Ok(());
        }
        crate::access::check_with(cur, "uring_personality", &Personality, EPERM, true, |_| {
            false
        })
    })
}
