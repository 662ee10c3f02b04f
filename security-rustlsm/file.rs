// SPDX-License-Identifier: GPL-2.0-only

//! Hooks on open files: `open`, `ftruncate`, `ioctl`, `fcntl(F_SETFL)`, and executable or
//! shared writable `mmap` and `mprotect`.

use crate::{
    access::{check_path, current_cred, refuse_path},
    accessors,
    path::ResolvedPath,
    wire,
};
use kernel::{bindings, ffi::c_int};

/// The read, write or append accesses an open file holds, as `wire::ACCESS_*` bits (0 for
/// none).
///
/// # Safety
///
/// `file` must point to a valid file.
pub(crate) unsafe fn held_access(file: *const bindings::file) -> u32 {
    // SAFETY: The caller guarantees `file` is valid.
    let (mode, flags) = unsafe { ((*file).f_mode, (*file).f_flags) };
    let mut access = 0;
    if mode & bindings::FMODE_READ != 0 {
        access |= wire::ACCESS_READ;
    }
    if mode & bindings::FMODE_WRITE != 0 {
        access |= if flags & bindings::O_APPEND != 0 {
            wire::ACCESS_APPEND
        } else {
            wire::ACCESS_WRITE
        };
    }
    access
}

/// The accesses an open file is being opened for, as `wire::ACCESS_*` bits.
///
/// # Safety
///
/// `file` must point to a valid file.
unsafe fn open_access(file: *const bindings::file) -> u32 {
    // SAFETY: The caller guarantees `file` is valid.
    let flags = unsafe { (*file).f_flags };
    // The exec of a binary marks its open in f_flags, not f_mode. Reading the image is part
    // of executing it, so an exec asks for `exec` alone.
    if flags & bindings::__FMODE_EXEC != 0 {
        return wire::ACCESS_EXEC;
    }
    // SAFETY: The caller guarantees `file` is valid.
    let mut access = unsafe { held_access(file) };
    // `open(O_ACCMODE)` (3) opens for neither reading nor writing, for ioctls only; it still
    // has the open's side effects (a watchdog arms, a tty becomes controlling), so it needs
    // `ioctl` on a device and `read` on anything else, as AppArmor maps it.
    if access == 0 {
        // SAFETY: The caller guarantees `file` is valid.
        access = if unsafe { is_device(file) } {
            wire::ACCESS_IOCTL
        } else {
            wire::ACCESS_READ
        };
    }
    access
}

/// Whether `file` was opened writable with `O_APPEND`: its writes are checked as `append`,
/// so whatever would let them land elsewhere needs `write`.
///
/// # Safety
///
/// `file` must point to a valid file.
unsafe fn is_appending(file: *const bindings::file) -> bool {
    // SAFETY: The caller guarantees `file` is valid.
    let (mode, flags) = unsafe { ((*file).f_mode, (*file).f_flags) };
    mode & bindings::FMODE_WRITE != 0 && flags & bindings::O_APPEND != 0
}

/// Checks `write` on an appending file, for operations that would overwrite it.
///
/// # Safety
///
/// `file` must point to a valid file, and the hook must be allowed to sleep.
unsafe fn check_overwrite(op: &str, file: *mut bindings::file) -> c_int {
    // SAFETY: The current creds and the file are valid during the hook.
    unsafe {
        check_path(current_cred(), op, wire::ACCESS_WRITE, || {
            ResolvedPath::of_file(file)
        })
    }
}

/// `file_fcntl`: clearing `O_APPEND` with `F_SETFL` turns an appending descriptor into one
/// that writes anywhere, so it needs `write` on the file.
///
/// # Safety
///
/// Called by the LSM framework with a valid open file.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_fcntl(
    file: *mut bindings::file,
    cmd: u32,
    arg: usize,
) -> c_int {
    // SAFETY: The file is valid during the hook.
    if cmd != bindings::F_SETFL || !unsafe { is_appending(file) } {
        return 0;
    }
    if arg & bindings::O_APPEND as usize != 0 {
        return 0;
    }
    // SAFETY: `fcntl()` runs in process context without locks.
    unsafe { check_overwrite("fcntl", file) }
}

/// `file_open`. Unconfined tasks pay one pointer test.
///
/// # Safety
///
/// Called by the LSM framework with a valid file being opened.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_open(file: *mut bindings::file) -> c_int {
    // SAFETY: The file is valid and holds its opener's creds.
    unsafe {
        check_path((*file).f_cred, "open", open_access(file), || {
            ResolvedPath::of_file(file)
        })
    }
}

/// `file_truncate`: `ftruncate()` and `open(O_TRUNC)`.
///
/// # Safety
///
/// Called by the LSM framework with a valid open file.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_truncate(file: *mut bindings::file) -> c_int {
    // SAFETY: The current creds and the file are valid during the hook.
    unsafe {
        check_path(current_cred(), "truncate", wire::ACCESS_TRUNCATE, || {
            ResolvedPath::of_file(file)
        })
    }
}

/// Whether `file` is a character or block device: `ioctl` rules apply to devices only, as
/// pipes, sockets and regular files answer a fixed, harmless set of ioctls.
///
/// # Safety
///
/// `file` must point to a valid open file.
unsafe fn is_device(file: *const bindings::file) -> bool {
    // SAFETY: An open file has a valid inode.
    let mode = u32::from(unsafe { (*(*file).f_inode).i_mode }) & bindings::S_IFMT;
    mode == bindings::S_IFCHR || mode == bindings::S_IFBLK
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
    /// `setattr` on the file: inode flags (append-only, immutable, nodump...).
    SetAttr,
}

/// What `cmd` on `file` needs.
///
/// # Safety
///
/// `file` must point to a valid open file.
unsafe fn ioctl_needs(file: *const bindings::file, cmd: u32) -> IoctlNeeds {
    match cmd {
        bindings::FIOCLEX | bindings::FIONCLEX | bindings::FIONBIO | bindings::FIOASYNC => {
            IoctlNeeds::Nothing
        }
        bindings::TIOCSTI | bindings::TIOCLINUX => IoctlNeeds::Never,
        // SAFETY: The caller guarantees `file`.
        _ if unsafe { is_device(file) } => IoctlNeeds::DeviceIoctl,
        _ if accessors::ioctl_sets_inode_flags(cmd) => IoctlNeeds::SetAttr,
        // Pipes, sockets, regular files and directories answer their own ioctls.
        _ => IoctlNeeds::Nothing,
    }
}

/// `file_ioctl` and `file_ioctl_compat`.
///
/// # Safety
///
/// Called by the LSM framework with a valid open file.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_ioctl(
    file: *mut bindings::file,
    cmd: u32,
    _arg: usize,
) -> c_int {
    // SAFETY: The file is valid during the hook.
    let requested = match unsafe { ioctl_needs(file, cmd) } {
        IoctlNeeds::Nothing => return 0,
        // SAFETY: The current creds and the file are valid during the hook.
        IoctlNeeds::Never => unsafe {
            return refuse_path(current_cred(), "ioctl", wire::ACCESS_IOCTL, || {
                ResolvedPath::of_file(file)
            });
        },
        IoctlNeeds::DeviceIoctl => wire::ACCESS_IOCTL,
        IoctlNeeds::SetAttr => wire::ACCESS_SETATTR,
    };
    // SAFETY: The current creds and the file are valid during the hook.
    unsafe {
        check_path(current_cred(), "ioctl", requested, || {
            ResolvedPath::of_file(file)
        })
    }
}

/// `mmap_file`: mapping a file executable needs `mmap_exec` on it. This includes the kernel's
/// own mapping of a program being executed, which is why `lsmctl`'s `exec` grants both.
///
/// # Safety
///
/// Called by the LSM framework; `file` is null for anonymous mappings.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_mmap_file(
    file: *mut bindings::file,
    _reqprot: usize,
    prot: usize,
    flags: usize,
) -> c_int {
    if file.is_null() {
        return 0;
    }
    let shared_write = flags & bindings::MAP_TYPE as usize == bindings::MAP_SHARED as usize
        && prot & bindings::PROT_WRITE as usize != 0;
    // SAFETY: The file is valid during the hook.
    if shared_write && unsafe { is_appending(file) } {
        // SAFETY: `mmap` may sleep here (the hook runs before the mmap lock is taken).
        let rc = unsafe { check_overwrite("mmap", file) };
        if rc != 0 {
            return rc;
        }
    }
    if prot & bindings::PROT_EXEC as usize == 0 {
        return 0;
    }
    // SAFETY: The current creds and the file are valid during the hook.
    unsafe {
        check_path(current_cred(), "mmap", wire::ACCESS_MMAP_EXEC, || {
            ResolvedPath::of_file(file)
        })
    }
}

/// `file_mprotect`: making a file mapping executable later needs `mmap_exec` on the file,
/// exactly as mapping it executable at once does; otherwise a confined task could map a
/// file read-only and `mprotect` it executable. Anonymous memory is not a file rule's
/// business.
///
/// # Safety
///
/// Called by the LSM framework with a valid `vma`, under the mm's mmap lock held for writing.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_file_mprotect(
    vma: *mut bindings::vm_area_struct,
    _reqprot: usize,
    prot: usize,
) -> c_int {
    // SAFETY: The caller holds the mmap lock, so `vma` is valid and `vm_file` stable.
    let file = unsafe { (*vma).vm_file };
    if file.is_null() {
        return 0;
    }
    // A shared mapping of an appending descriptor made writable overwrites the file.
    if prot & bindings::PROT_WRITE as usize != 0
        // SAFETY: As above.
        && unsafe { accessors::vma_is_shared(vma) && is_appending(file) }
    {
        // SAFETY: `mprotect` may sleep in this hook, as for `mmap_exec` below.
        let rc = unsafe { check_overwrite("mprotect", file) };
        if rc != 0 {
            return rc;
        }
    }
    if prot & bindings::PROT_EXEC as usize == 0 {
        return 0;
    }
    // SAFETY: The current creds are valid during the hook, and `file` is pinned by the vma.
    unsafe {
        check_path(current_cred(), "mprotect", wire::ACCESS_MMAP_EXEC, || {
            ResolvedPath::of_file(file)
        })
    }
}
