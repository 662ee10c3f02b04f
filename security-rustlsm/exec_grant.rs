// SPDX-License-Identifier: GPL-2.0-only

//! An exec an agent allowed (see [`crate::ask`]), carried through the exec in the task's
//! word of rustlsm's blobs. A yes to an exec allows what `exec` allows in a profile: running
//! the program under the caller's profile (the agent chose no other), and the kernel's
//! mapping of it. The task waits in the program's `file_open`; `bprm_creds_for_exec` then
//! keeps the caller's profile, and `mmap_file` lets the loader map that program, all within
//! the same exec.
//!
//! The word holds the program's `struct file` address with a stage in its low bits (a
//! `struct file` is aligned). It is a key only, never dereferenced. Every exec starts with
//! its program's open, in the task that execs, and that open rewrites the word; it is
//! compared only from there to the end of the same exec, which holds the file open. So a
//! value left by a failed exec is never compared with a file of a later one.

use crate::{accessors, cred_blob::BLOBS};
use kernel::{bindings, fs::LocalFile, prelude::*, sync::atomic::Relaxed};

/// Stage: an agent allowed the exec of the program.
const ALLOWED: usize = 1;
/// Stage: the exec went ahead under the agent's answer; the kernel may map the program.
const MAPPING: usize = 2;

/// The word's value for `file` at `stage`.
fn key(file: &LocalFile, stage: usize) -> usize {
    file.as_ptr() as usize | stage
}

/// Whether `file` is being opened as an exec's program: an exec open (`__FMODE_EXEC`) before
/// the exec proper, where the loader opens interpreters.
fn is_program(file: &LocalFile) -> bool {
    file.flags() & bindings::__FMODE_EXEC != 0 && !accessors::in_execve()
}

/// `file_open` of any file: an exec's program open forgets what an earlier exec left.
pub(crate) fn opening(file: &LocalFile) {
    if is_program(file) {
        BLOBS.current_task_word(current!()).store(0, Relaxed);
    }
}

/// An agent (or its session answer) allowed the exec of `file` (a no-op for an open that is
/// not an exec's program).
pub(crate) fn allowed_by_agent(file: &LocalFile) {
    if is_program(file) {
        BLOBS
            .current_task_word(current!())
            .store(key(file, ALLOWED), Relaxed);
    }
}

/// `bprm_creds_for_exec` of the program `file`: whether an agent allowed its exec. If so,
/// the kernel's mapping of it during this exec is allowed too ([`maps_allowed_program`]).
pub(crate) fn exec_allowed_by_agent(file: &LocalFile) -> bool {
    let task = current!();
    let word = BLOBS.current_task_word(task);
    let allowed = word.load(Relaxed) == key(file, ALLOWED);
    if allowed {
        word.store(key(file, MAPPING), Relaxed);
    }
    allowed
}

/// Whether `file`, mapped executable, is the program of the exec under way, which an agent
/// allowed: the loader maps it under the new creds, after `bprm_creds_for_exec`.
pub(crate) fn maps_allowed_program(file: &LocalFile) -> bool {
    accessors::in_execve()
        && BLOBS.current_task_word(current!()).load(Relaxed) == key(file, MAPPING)
}
