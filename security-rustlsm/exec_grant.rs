// SPDX-License-Identifier: GPL-2.0-only

//! An exec an agent allowed (see [`crate::ask`]), carried through the exec in the task's
//! word of rustlsm's blobs. A yes to an exec allows what `exec` allows in a profile: running
//! the program, under the caller's profile (no other profile claims it: see
//! [`crate::access`]), and the kernel's mapping of it. The task waits in the program's
//! `file_open`; `bprm_creds_for_exec` then keeps the caller's profile, and `mmap_file` lets
//! the loader map that program, all within the same exec.
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

/// Whether `file` is being opened as an exec's program (not by the loader mid-exec, nor as a
/// stacking file system's backing file).
fn is_program(file: &LocalFile) -> bool {
    file.flags() & bindings::__FMODE_EXEC != 0 && accessors::is_program_open(file)
}

/// `file_open` of any file: an exec's program open forgets what an earlier exec left.
pub(crate) fn opening(file: &LocalFile) {
    if is_program(file) {
        BLOBS.current_task_word(current!()).store(0, Relaxed);
    }
}

/// An agent (or its session answer) allowed the exec of `file`: the system profile's
/// (`by_label`) or a sandbox layer's. A no-op for an open that is not an exec's program.
pub(crate) fn allowed_by_agent(file: &LocalFile, by_label: bool) {
    if !is_program(file) {
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

/// What the agents said of an exec, as `bprm_creds_for_exec` finds it.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Yes {
    /// No agent was asked, or none allowed it.
    None,
    /// Only sandbox layers' agents: the system profile's rules allowed it.
    ByLayers,
    /// The system profile's agent (and maybe layers' agents).
    ByLabel,
}

/// `bprm_creds_for_exec` of the program `file`: whose agents allowed its exec. If any did,
/// the kernel's mapping of it during this exec is allowed too ([`maps_allowed_program`]).
pub(crate) fn exec_allowed(file: &LocalFile) -> Yes {
    let task = current!();
    let word = BLOBS.current_task_word(task);
    let old = word.load(Relaxed);
    if old == 0 {
        return Yes::None;
    }
    let flags = if old & !FLAGS == address(file) {
        old & (BY_LABEL | BY_LAYER)
    } else {
        0
    };
    word.store(
        if flags != 0 {
            address(file) | MAPPING
        } else {
            0
        },
        Relaxed,
    );
    match flags {
        0 => Yes::None,
        BY_LAYER => Yes::ByLayers,
        _ => Yes::ByLabel,
    }
}

/// `bprm_creds_from_file`: the exec runs `file` from here on; what an agent allowed of
/// another (a script, whose interpreter runs instead) ends here.
pub(crate) fn bprm_creds_from_file(file: &LocalFile) -> Result {
    let task = current!();
    let word = BLOBS.current_task_word(task);
    let old = word.load(Relaxed);
    if old != 0 && old != address(file) | MAPPING {
        word.store(0, Relaxed);
    }
    Ok(())
}

/// Whether `file`, mapped executable, is the program of the exec under way, which an agent
/// allowed: the loader maps it under the new creds, after `bprm_creds_for_exec`.
pub(crate) fn maps_allowed_program(file: &LocalFile) -> bool {
    // The word first: a plain load, where `in_execve` is a call.
    BLOBS.current_task_word(current!()).load(Relaxed) == address(file) | MAPPING
        && accessors::in_execve()
}
