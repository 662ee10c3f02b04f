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
    access::current_cred, accessors, cred_blob, path::ResolvedPath, policy::Label, report,
};
use kernel::{bindings, ffi::c_int, prelude::*};

/// Whether `file`'s creator ran under `label` (`None`: unconfined).
///
/// # Safety
///
/// `file` must point to a valid file.
unsafe fn created_under(file: *const bindings::file, label: Option<&Label>) -> bool {
    // SAFETY: An open file keeps the creds of its opener.
    let creator = unsafe { cred_blob::label((*file).f_cred) };
    match (creator, label) {
        (Some(c), Some(l)) => core::ptr::eq(c, l),
        (None, None) => true,
        _ => false,
    }
}

/// Decides whether a task under `label` may hold `file`; on refusal reports it as `op` and
/// returns the profile's answer (0 in complain mode).
///
/// # Safety
///
/// `file` must point to a valid file; may sleep.
unsafe fn check_held(op: &str, label: &Label, file: *mut bindings::file) -> c_int {
    let Some(profile) = label.profile() else {
        return 0;
    };
    let Some(view) = profile.view() else {
        return EACCES.to_errno();
    };
    // SAFETY: The caller guarantees `file`.
    if unsafe { accessors::is_io_uring(file) } {
        // SAFETY: As above.
        if unsafe { created_under(file, Some(label)) } {
            return 0;
        }
        report::denial(&view, op, b"anon_inode:[io_uring]", 0, 0, report::Kills::No);
        return report::verdict_without_kill(view.mode(), EACCES);
    }
    // SAFETY: As above.
    let path = unsafe { &raw const (*file).__bindgen_anon_1.f_path };
    // Files of internal mounts (pipes, sockets...) have no path to revalidate; POSIX queues
    // do (`mqueue:/NAME`), and a confined task may not hold one it could not open.
    // SAFETY: An open file's path is valid.
    if unsafe { accessors::is_internal_mount(path) && !accessors::is_mqueue(path) } {
        return 0;
    }
    // SAFETY: As above.
    let requested = unsafe { crate::file::held_access(file) };
    if requested == 0 {
        return 0;
    }
    // SAFETY: As above.
    let path = match unsafe { ResolvedPath::of_file(file) } {
        Ok(path) => path,
        Err(e) => return e.to_errno(),
    };
    let refused = view.refused(path.for_rules(view.attach_disconnected()), requested);
    if refused == 0 {
        return 0;
    }
    report::denial(
        &view,
        op,
        path.bytes(),
        requested,
        refused,
        report::Kills::No,
    );
    report::verdict_without_kill(view.mode(), EACCES)
}

/// `bprm_committing_creds`: when the exec moves the task into another profile, revokes the
/// descriptors the new profile may not hold. Runs in process context, before the new creds
/// are installed; every file is checked holding only a reference to it.
///
/// # Safety
///
/// Called by the LSM framework with a valid `bprm` about to be committed.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_bprm_committing_creds(bprm: *const bindings::linux_binprm) {
    // SAFETY: `bprm->cred` is the exec's valid new cred.
    let Some(new) = (unsafe { cred_blob::label((*bprm).cred) }) else {
        return;
    };
    // SAFETY: The current creds are valid while the task runs.
    let old = unsafe { cred_blob::label(current_cred()) };
    if old.is_some_and(|old| core::ptr::eq(old, new)) {
        return;
    }
    accessors::for_each_open_file(|fd, file| {
        // SAFETY: `file` is referenced for the call; this hook may sleep.
        if unsafe { check_held("inherit", new, file) } != 0 {
            accessors::revoke_fd(fd);
        }
    });
}

/// `file_receive`: a descriptor arriving over a unix socket (`SCM_RIGHTS`) or pidfd_getfd.
/// An io_uring instance never leaves its creator's profile, not even to an unconfined task:
/// a confined task could otherwise hand its ring to an unconfined broker, which would fill
/// it with files the task may not receive (`IORING_MSG_SEND_FD` bypasses this hook).
///
/// # Safety
///
/// Called by the LSM framework with a valid file.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_receive(file: *mut bindings::file) -> c_int {
    // SAFETY: The current creds are valid while the task runs.
    let receiver = unsafe { cred_blob::label(current_cred()) };
    // SAFETY: `file` is valid during the hook.
    if receiver.is_none() && unsafe { accessors::is_io_uring(file) } {
        // SAFETY: As above.
        return if unsafe { created_under(file, None) } {
            0
        } else {
            EACCES.to_errno()
        };
    }
    let Some(label) = receiver else {
        return 0;
    };
    // SAFETY: `file` is valid during the hook; receiving runs in process context.
    unsafe { check_held("receive", label, file) }
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
/// task may only use the credentials of its own profile.
///
/// # Safety
///
/// Called by the LSM framework with valid creds.
#[cfg(CONFIG_IO_URING)]
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_uring_override_creds(new: *const bindings::cred) -> c_int {
    // SAFETY: The creds are valid during the hook.
    let same = unsafe {
        let (cur, new) = (cred_blob::label(current_cred()), cred_blob::label(new));
        match (cur, new) {
            (Some(c), Some(n)) => core::ptr::eq(c, n),
            (None, _) => true,
            (Some(_), None) => false,
        }
    };
    if same {
        return 0;
    }
    // SAFETY: The current creds are valid; nothing below sleeps.
    unsafe {
        crate::access::check_with(
            current_cred(),
            "uring_personality",
            &Personality,
            EPERM,
            true,
            |_| false,
        )
    }
}
