// SPDX-License-Identifier: GPL-2.0-only

//! Hooks on open files: `open`, `ftruncate`, `ioctl`, `fcntl(F_SETFL)`, and executable or
//! shared writable `mmap` and `mprotect`.

use crate::{
    access::{
        check_current_path, check_current_path_answered, check_current_path_held_too, check_open,
        refuse_current_path,
    },
    accessors, ask, exec_grant,
    path::Target,
    wire,
};
use kernel::{bindings, fs::LocalFile, mm::virt::VmaRef, prelude::*};

/// The read, write or append accesses an open file holds, as `wire::ACCESS_*` bits (0 for
/// none).
pub(crate) fn held_access(file: &LocalFile) -> u32 {
    let mode = file.mode();
    let mut access = 0;
    if mode & bindings::FMODE_READ != 0 {
        access |= wire::ACCESS_READ;
    }
    if mode & bindings::FMODE_WRITE != 0 {
        access |= if file.flags() & bindings::O_APPEND != 0 {
            wire::ACCESS_APPEND
        } else {
            wire::ACCESS_WRITE
        };
    }
    access
}

/// The accesses an open file is being opened for, as `wire::ACCESS_*` bits.
fn open_access(file: &LocalFile) -> u32 {
    // The exec of a binary marks its open in f_flags, not f_mode. Reading the image is part
    // of executing it, so an exec asks for `exec` alone.
    if file.flags() & bindings::__FMODE_EXEC != 0 {
        return wire::ACCESS_EXEC;
    }
    let access = held_access(file);
    // `open(O_ACCMODE)` (3) opens for neither reading nor writing, for ioctls only; it still
    // has the open's side effects (a watchdog arms, a tty becomes controlling), so it needs
    // `ioctl` on a device and `read` on anything else, as AppArmor maps it.
    match access {
        0 if file.inode().is_device() => wire::ACCESS_IOCTL,
        0 => wire::ACCESS_READ,
        _ => access,
    }
}

/// Whether `file` was opened writable with `O_APPEND`: its writes are checked as `append`,
/// so whatever would let them land elsewhere needs `write`.
fn is_appending(file: &LocalFile) -> bool {
    file.mode() & bindings::FMODE_WRITE != 0 && file.flags() & bindings::O_APPEND != 0
}

/// Checks `write` on an appending file, for operations that would overwrite it (the hook
/// must be allowed to sleep).
fn check_overwrite(op: &str, file: &LocalFile) -> Result {
    check_current_path(op, wire::ACCESS_WRITE, Target::File(file))
}

/// `file_fcntl`: clearing `O_APPEND` with `F_SETFL` turns an appending descriptor into one
/// that writes anywhere, so it needs `write` on the file. `fcntl()` runs in process context
/// without locks.
pub(crate) fn file_fcntl(file: &LocalFile, cmd: u32, arg: usize) -> Result {
    if cmd != bindings::F_SETFL || !is_appending(file) || arg & bindings::O_APPEND as usize != 0 {
        return Ok(());
    }
    check_overwrite("fcntl", file)
}

/// `file_open`, on behalf of the opener's creds. Unconfined tasks pay one pointer test (and,
/// opening an exec's program, a store: see [`exec_grant`]), and
/// for a writable open a look at the inode's mode: a set-ID file is never opened for writing
/// by a confined task (see [`crate::setid`]).
pub(crate) fn file_open(file: &LocalFile) -> Result {
    exec_grant::opening(file);
    if file.mode() & bindings::FMODE_WRITE != 0 {
        let mode = file.inode().mode();
        crate::setid::refuse_if_set_id(mode, wire::ACCESS_WRITE, Target::File(file))?;
    }
    check_open(
        file.cred(),
        || open_access(file),
        Target::File(file),
        ask::Wait::Open(file),
    )
}

/// `file_truncate`: `ftruncate()` and `open(O_TRUNC)`.
pub(crate) fn file_truncate(file: &LocalFile) -> Result {
    check_current_path("truncate", wire::ACCESS_TRUNCATE, Target::File(file))
}

/// What an ioctl asks of a confined task's profile.
enum IoctlNeeds {
    /// Nothing: handled by the VFS for the descriptor itself (close-on-exec, non-blocking,
    /// async), the same for every file, as Landlock leaves them.
    Nothing,
    /// Refused whatever the profile says: `TIOCSTI` pushes input into a terminal that
    /// another (unconfined) program reads, `TIOCLINUX` can select and paste console text.
    Never,
    /// `ioctl` on the device.
    DeviceIoctl,
    /// `ioctl` on the terminal, even one held from before a sandbox: `TIOCSPGRP` makes a
    /// process group the terminal's foreground, and one of a sandbox left behind on its
    /// caller's terminal would read what the user types next.
    Foreground,
    /// `setattr` on the file: inode flags (append-only, immutable, nodump...).
    SetAttr,
}

/// What `cmd` on `file` needs. `ioctl` rules apply to devices only, as pipes, sockets and
/// regular files answer a fixed, harmless set of ioctls.
fn ioctl_needs(file: &LocalFile, cmd: u32) -> IoctlNeeds {
    match cmd {
        bindings::FIOCLEX | bindings::FIONCLEX | bindings::FIONBIO | bindings::FIOASYNC => {
            IoctlNeeds::Nothing
        }
        bindings::TIOCSTI | bindings::TIOCLINUX => IoctlNeeds::Never,
        bindings::TIOCSPGRP => IoctlNeeds::Foreground,
        _ if file.inode().is_device() => IoctlNeeds::DeviceIoctl,
        _ if accessors::ioctl_sets_inode_flags(cmd) => IoctlNeeds::SetAttr,
        // Pipes, sockets, regular files and directories answer their own ioctls.
        _ => IoctlNeeds::Nothing,
    }
}

/// `file_ioctl` and `file_ioctl_compat`.
pub(crate) fn file_ioctl(file: &LocalFile, cmd: u32, _arg: usize) -> Result {
    let requested = match ioctl_needs(file, cmd) {
        IoctlNeeds::Nothing => return Ok(()),
        IoctlNeeds::Never => {
            return refuse_current_path("ioctl", wire::ACCESS_IOCTL, Target::File(file))
        }
        IoctlNeeds::Foreground => {
            return check_current_path_held_too("ioctl", wire::ACCESS_IOCTL, Target::File(file))
        }
        // On a device held from before a sandbox, only what any program does with its
        // terminal goes unchecked: the rest outlasts the sandbox (a line discipline, an
        // exclusive or frozen terminal, a console's keyboard mode).
        IoctlNeeds::DeviceIoctl if !accessors::ioctl_is_terminal_routine(cmd) => {
            return check_current_path_held_too("ioctl", wire::ACCESS_IOCTL, Target::File(file))
        }
        IoctlNeeds::DeviceIoctl => wire::ACCESS_IOCTL,
        IoctlNeeds::SetAttr => wire::ACCESS_SETATTR,
    };
    check_current_path("ioctl", requested, Target::File(file))
}

/// `mmap_file`: mapping a file executable needs `mmap_exec` on it. This includes the kernel's
/// own mapping of a program being executed, which is why `lsmctl`'s `exec` grants both, and
/// why an agent's yes to an exec answers for that mapping too (see [`exec_grant`]). `file` is
/// `None` for anonymous mappings. The hook runs before the mmap lock is taken, so it may
/// sleep.
pub(crate) fn mmap_file(
    file: Option<&LocalFile>,
    _reqprot: usize,
    prot: usize,
    flags: usize,
) -> Result {
    let Some(file) = file else {
        return Ok(());
    };
    let shared_write = flags & bindings::MAP_TYPE as usize == bindings::MAP_SHARED as usize
        && prot & bindings::PROT_WRITE as usize != 0;
    if shared_write && is_appending(file) {
        check_overwrite("mmap", file)?;
    }
    if prot & bindings::PROT_EXEC as usize == 0 {
        return Ok(());
    }
    let answered = match exec_grant::mapping(file) {
        Some(allowed) => ask::Wait::ExecMapping {
            label: allowed.by_label,
            layers: allowed.by_layers,
        },
        None => ask::Wait::Never,
    };
    check_current_path_answered("mmap", wire::ACCESS_MMAP_EXEC, Target::File(file), answered)
}

/// `file_mprotect`: making a file mapping executable later needs `mmap_exec` on the file,
/// exactly as mapping it executable at once does; otherwise a confined task could map a
/// file read-only and `mprotect` it executable. Anonymous memory is not a file rule's
/// business. `mprotect` may sleep in this hook, as for `mmap_exec`.
pub(crate) fn file_mprotect(vma: &VmaRef, _reqprot: usize, prot: usize) -> Result {
    let Some(file) = vma.file() else {
        return Ok(());
    };
    // A shared mapping of an appending descriptor made writable overwrites the file.
    let shared = vma.flags() & kernel::mm::virt::flags::SHARED != 0;
    if prot & bindings::PROT_WRITE as usize != 0 && shared && is_appending(file) {
        check_overwrite("mprotect", file)?;
    }
    if prot & bindings::PROT_EXEC as usize == 0 {
        return Ok(());
    }
    check_current_path("mprotect", wire::ACCESS_MMAP_EXEC, Target::File(file))
}
