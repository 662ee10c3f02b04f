// SPDX-License-Identifier: GPL-2.0-only

//! The kernel log line for a refused (or, in complain mode, would-be refused) access.

use crate::wire::{self, Mode, ProfileView};
use kernel::{bindings, ffi::c_int, prelude::*, str::BStr, task::Task};

/// Renders an access mask as letters: `r`ead, `w`rite, e`x`ec, `a`ppend, `c`reate, `d`elete,
/// re`n`ame, `l`ink, `m`map-exec, `s`etattr, `t`runcate, `i`octl.
struct Access(u32);

impl kernel::fmt::Display for Access {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        for (bit, letter) in [
            (wire::ACCESS_READ, "r"),
            (wire::ACCESS_WRITE, "w"),
            (wire::ACCESS_EXEC, "x"),
            (wire::ACCESS_APPEND, "a"),
            (wire::ACCESS_CREATE, "c"),
            (wire::ACCESS_DELETE, "d"),
            (wire::ACCESS_RENAME, "n"),
            (wire::ACCESS_LINK, "l"),
            (wire::ACCESS_MMAP_EXEC, "m"),
            (wire::ACCESS_SETATTR, "s"),
            (wire::ACCESS_TRUNCATE, "t"),
            (wire::ACCESS_IOCTL, "i"),
        ] {
            if self.0 & bit != 0 {
                f.write_str(letter)?;
            }
        }
        Ok(())
    }
}

/// The object of a file decision: its path and the accesses asked and refused.
struct FileObject<'a> {
    path: &'a [u8],
    requested: u32,
    refused: u32,
}

impl kernel::fmt::Display for FileObject<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!(
            "path=\"{}\" requested={} denied={}",
            BStr::from_bytes(self.path),
            Access(self.requested),
            Access(self.refused)
        ))
    }
}

/// Logs one file decision that refused `refused` of the `requested` accesses to `path`.
pub(crate) fn denial(
    profile: &ProfileView<'_>,
    op: &str,
    path: &[u8],
    requested: u32,
    refused: u32,
) {
    event(
        profile,
        op,
        &FileObject {
            path,
            requested,
            refused,
        },
    );
}

/// Logs one refusal (or, in complain mode, would-be refusal) by `profile` of `op` on
/// `object`, with the task that asked. Never sleeps.
pub(crate) fn event(profile: &ProfileView<'_>, op: &str, object: &dyn kernel::fmt::Display) {
    let current = Task::current_raw();
    let mut comm = [0u8; bindings::TASK_COMM_LEN as usize];
    // SAFETY: `current` is a valid task and `comm` has room for `TASK_COMM_LEN` bytes.
    unsafe { bindings::get_task_comm(comm.as_mut_ptr(), current) };
    let comm = comm.split(|&b| b == 0).next().unwrap_or(&[]);
    // SAFETY: `current` is a valid task; a null namespace means the task's own.
    let pid = unsafe {
        bindings::__task_pid_nr_ns(
            current,
            bindings::pid_type_PIDTYPE_PID,
            core::ptr::null_mut(),
        )
    };
    let verdict = match profile.mode() {
        Mode::Enforce => "DENIED",
        Mode::Complain => "ALLOWED",
        Mode::Kill => "KILLED",
    };
    pr_notice!(
        "{} profile=\"{}\" op={} {} pid={} comm=\"{}\"\n",
        verdict,
        BStr::from_bytes(profile.name()),
        op,
        object,
        pid,
        BStr::from_bytes(comm),
    );
}

/// What a file hook returns for a refusal; see [`verdict_with`].
pub(crate) fn verdict(mode: Mode) -> c_int {
    verdict_with(mode, EACCES)
}

/// What a hook returns for a refusal, by profile mode: complain allows, enforce refuses with
/// `error`, kill refuses and sends `SIGKILL` to the current task.
pub(crate) fn verdict_with(mode: Mode, error: Error) -> c_int {
    match mode {
        Mode::Complain => 0,
        Mode::Enforce => error.to_errno(),
        Mode::Kill => {
            // SAFETY: `current` is a valid task; sending it a signal needs no other context.
            unsafe { bindings::send_sig(bindings::SIGKILL as c_int, Task::current_raw(), 0) };
            error.to_errno()
        }
    }
}
