// SPDX-License-Identifier: GPL-2.0-only

//! Set-user-ID and set-group-ID files: a confined task never makes one, whatever its profile
//! grants, so that a confined root daemon cannot leave behind a root program that any user
//! runs unconfined. The hooks that make, name, rewrite or truncate a file ask here first:
//! `path_mknod` (which `open(O_CREAT)` reaches), `path_chmod`, `path_link` (naming an
//! `O_TMPFILE` file), `file_open` for writing (an `O_TMPFILE` file runs through its
//! descriptor without a name, and a task keeping `CAP_FSETID` would keep the bits of a
//! program it rewrites) and `path_truncate`.

use crate::{access::refuse_current_path, path::Target};
use kernel::{bindings, fs::Path, prelude::*};

/// Whether a file of mode `mode` runs as its owner or group: set-user-ID, or set-group-ID on
/// anything but a directory (on a directory the bit only hands the group on to new entries).
fn runs_as_owner(mode: u32) -> bool {
    let dir = mode & bindings::S_IFMT == bindings::S_IFDIR;
    mode & bindings::S_ISUID != 0 || (!dir && mode & bindings::S_ISGID != 0)
}

/// The mode of the file at `path` (0 for a negative dentry).
pub(crate) fn mode_of(path: &Path) -> u32 {
    path.dentry().inode().map_or(0, |inode| inode.mode())
}

/// Refuses `requested` on `target` to a confined current task (reported as `op=setid` and
/// answered by its mode, as any refusal) when `mode` is a set-ID file's.
pub(crate) fn refuse_if_set_id(mode: u32, requested: u32, target: Target<'_>) -> Result {
    if runs_as_owner(mode) {
        refuse_current_path("setid", requested, target)?;
    }
    Ok(())
}
