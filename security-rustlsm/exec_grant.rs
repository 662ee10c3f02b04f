// SPDX-License-Identifier: GPL-2.0-only

//! An exec an agent allowed (see [`crate::ask`]), carried through the exec in the task's
//! word of rustlsm's blobs. A yes to an exec allows what `exec` allows in a profile: running
//! the program, under the caller's profile (no other profile claims it: see
//! [`crate::access`]), and the kernel's mapping of it. The task waits in the program's
//! `file_open`; `bprm_creds_for_exec` then keeps the caller's profile, and `mmap_file` lets
//! the loader map that program, all within the same exec, for the parties whose agent said
//! yes (the system profile, the sandbox's layers).
//!
//! The word holds the program's `struct file` address with flags in its low bits (a `struct
//! file` is aligned to 8 bytes at least). It is a key only, never dereferenced, and it is
//! compared only while the exec holds that file open:
//! - every exec starts with its program's open, in the task that execs, which clears it;
//! - `bprm_creds_from_file` clears it unless the file the exec runs is that program (a
//!   script's, whose interpreter runs instead, may be closed before the exec ends).
//!
//! So a value left by a failed exec, or a file closed mid-exec, is never compared with a
//! file allocated later.

use crate::{accessors, cred_blob::BLOBS};
use kernel::{bindings, fs::LocalFile, prelude::*, sync::atomic::Relaxed};

/// Flag: the agent of the caller's system profile allowed the exec of the program.
const BY_LABEL: usize = 1;
/// Flag: the agent of a layer of the caller's sandbox allowed it.
const BY_LAYER: usize = 2;
/// Flag: the exec went ahead with an agent's yes; the kernel may map the program.
const MAPPING: usize = 4;
/// Every flag.
const FLAGS: usize = BY_LABEL | BY_LAYER | MAPPING;

/// The address part of the word for `file`.
fn address(file: &LocalFile) -> usize {
    file.as_ptr() as usize
}

/// `file_open` of any file: an exec's program open forgets what an earlier exec left. Every
/// open pays the flag test alone (inlined); only an exec's opens go further.
#[inline(always)]
pub(crate) fn opening(file: &LocalFile) {
    if file.flags() & bindings::__FMODE_EXEC != 0 {
        forget_at_exec(file);
    }
}

/// [`opening`] for an exec open.
#[inline(never)]
fn forget_at_exec(file: &LocalFile) {
    if accessors::is_program_open(file) {
        BLOBS.current_task_word(current!()).store(0, Relaxed);
    }
}

/// An agent (or its session answer) allowed the exec of `file`: the system profile's
/// (`by_label`) or a sandbox layer's. A no-op for an open that is not an exec's program.
pub(crate) fn allowed_by_agent(file: &LocalFile, by_label: bool) {
    if !accessors::is_program_open(file) {
        return;
    }
    let task = current!();
    let word = BLOBS.current_task_word(task);
    let flag = if by_label { BY_LABEL } else { BY_LAYER };
    let old = word.load(Relaxed);
    let kept = if old & !FLAGS == address(file) {
        old & FLAGS
    } else {
        0
    };
    word.store(address(file) | kept | flag, Relaxed);
}

/// Whose agents allowed the exec of a program.
#[derive(Clone, Copy, Default)]
pub(crate) struct Allowed {
    /// The agent of the caller's system profile.
    pub(crate) by_label: bool,
    /// The agent of a layer of the caller's sandbox.
    pub(crate) by_layers: bool,
}

impl Allowed {
    /// Which agents the flags of a word name.
    fn of(flags: usize) -> Self {
        Allowed {
            by_label: flags & BY_LABEL != 0,
            by_layers: flags & BY_LAYER != 0,
        }
    }
}

/// `bprm_creds_for_exec` of the program `file`: whose agents allowed its exec. The kernel's
/// mapping of it during this exec is allowed by the same agents ([`mapping`]).
pub(crate) fn exec_allowed(file: &LocalFile) -> Allowed {
    let task = current!();
    let word = BLOBS.current_task_word(task);
    let old = word.load(Relaxed);
    if old == 0 {
        return Allowed::default();
    }
    let flags = if old & !FLAGS == address(file) {
        old & (BY_LABEL | BY_LAYER)
    } else {
        0
    };
    word.store(
        if flags != 0 {
            address(file) | flags | MAPPING
        } else {
            0
        },
        Relaxed,
    );
    Allowed::of(flags)
}

/// `bprm_creds_from_file`: the exec takes its credentials from `file`, the program it runs
/// (or, with binfmt_misc's `C` flag, the binary its interpreter runs, which the kernel does
/// not map). What an agent allowed of another file (a script, whose interpreter runs
/// instead) ends here, before anything is mapped.
pub(crate) fn bprm_creds_from_file(file: &LocalFile) -> Result {
    let task = current!();
    let word = BLOBS.current_task_word(task);
    let old = word.load(Relaxed);
    if old != 0 && (old & MAPPING == 0 || old & !FLAGS != address(file)) {
        word.store(0, Relaxed);
    }
    Ok(())
}

/// Whose agents allowed the exec under way of `file`, which is being mapped executable (by
/// the loader, under the new creds, after `bprm_creds_for_exec`); `None` if it is not that
/// program, or no agent allowed it.
pub(crate) fn mapping(file: &LocalFile) -> Option<Allowed> {
    // The word first: a plain load, where `in_execve` is a call.
    let word = BLOBS.current_task_word(current!()).load(Relaxed);
    (word & !FLAGS == address(file) && word & MAPPING != 0 && accessors::in_execve())
        .then(|| Allowed::of(word))
}
