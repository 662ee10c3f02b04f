// SPDX-License-Identifier: GPL-2.0-only

//! Values of kernel objects that only C reaches reliably (macros, inline functions, layouts
//! that depend on the configuration, such as `struct sock`'s), read through `accessors.c`.
//! Each wrapper states what its caller must hold.

use kernel::{bindings, ffi::c_int};

mod raw {
    use kernel::{bindings, ffi::c_int};

    // Only pointers cross this boundary; the pointees' layouts (bindgen's, with zero-sized
    // config stubs) are never passed by value, as in the kernel's own bindings crate.
    #[expect(
        improper_ctypes,
        reason = "pointers to bindgen structs with zero-sized members"
    )]
    extern "C" {
        pub(super) fn rustlsm_sock_family(sock: *const bindings::socket) -> c_int;
        pub(super) fn rustlsm_sock_protocol(sock: *const bindings::socket) -> c_int;
        pub(super) fn rustlsm_sk_type(sk: *const bindings::sock) -> c_int;
        pub(super) fn rustlsm_vma_is_shared(vma: *const bindings::vm_area_struct) -> bool;
        pub(super) fn rustlsm_is_mqueue(path: *const bindings::path) -> bool;
        pub(super) fn rustlsm_mqueue_root(
            dir: *const bindings::inode,
            root: *mut bindings::path,
        ) -> bool;
        pub(super) fn rustlsm_ioctl_sets_inode_flags(cmd: u32) -> bool;
        pub(super) fn rustlsm_unix_lock(sk: *mut bindings::sock);
        pub(super) fn rustlsm_unix_unlock(sk: *mut bindings::sock);
        pub(super) fn rustlsm_unix_address(
            sk: *mut bindings::sock,
            name: *mut *const u8,
            len: *mut c_int,
        ) -> c_int;
        pub(super) fn rustlsm_unix_owner_cred(sk: *const bindings::sock) -> *const bindings::cred;
        pub(super) fn rustlsm_tracer_get() -> *mut bindings::task_struct;
        pub(super) fn rustlsm_task_put(task: *mut bindings::task_struct);
        pub(super) fn rustlsm_set_secureexec(bprm: *mut bindings::linux_binprm);
        pub(super) fn rustlsm_bprm_unsafe(bprm: *const bindings::linux_binprm) -> c_int;
        pub(super) fn rustlsm_next_file(n: u32, file: *mut *mut bindings::file) -> u32;
        pub(super) fn rustlsm_revoke_fd(fd: u32);
        pub(super) fn rustlsm_is_internal_mount(path: *const bindings::path) -> bool;
        pub(super) fn rustlsm_is_io_uring(file: *mut bindings::file) -> bool;
        pub(super) fn rustlsm_file_slot(file: *const bindings::file) -> *mut *mut u8;
        pub(super) fn rustlsm_fown_file(fown: *const bindings::fown_struct) -> *mut bindings::file;
        pub(super) fn rustlsm_dentry_name(
            dentry: *const bindings::dentry,
            len: *mut u32,
        ) -> *const u8;
    }
}

/// The address family of `sock`'s `struct sock` (`AF_UNSPEC` without one).
///
/// # Safety
///
/// `sock` must be a valid socket.
pub(crate) unsafe fn sock_family(sock: *const bindings::socket) -> c_int {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_sock_family(sock) }
}

/// The protocol `sock` was created with (`IPPROTO_*`; 0 without a `struct sock`).
///
/// # Safety
///
/// `sock` must be a valid socket.
pub(crate) unsafe fn sock_protocol(sock: *const bindings::socket) -> c_int {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_sock_protocol(sock) }
}

/// The type (`SOCK_STREAM`, `SOCK_DGRAM`...) of `sk`.
///
/// # Safety
///
/// `sk` must be a valid socket.
pub(crate) unsafe fn sock_type(sk: *const bindings::sock) -> c_int {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_sk_type(sk) }
}

/// Whether `vma` is a shared mapping (writes reach the file).
///
/// # Safety
///
/// `vma` must be valid, its mm's mmap lock held.
pub(crate) unsafe fn vma_is_shared(vma: *const bindings::vm_area_struct) -> bool {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_vma_is_shared(vma) }
}

/// Where an AF_UNIX socket is bound.
pub(crate) enum UnixAddress<'a> {
    /// Not bound (a `socketpair()` end, or not yet bound).
    Unnamed,
    /// Bound to a name in the file system (decided at lookup, by `unix_find`).
    Pathname,
    /// Bound to this abstract name (without its leading NUL byte).
    Abstract(&'a [u8]),
}

/// `RUSTLSM_UNIX_PATHNAME` and `RUSTLSM_UNIX_ABSTRACT` of rustlsm.h.
const UNIX_PATHNAME: c_int = 1;
const UNIX_ABSTRACT: c_int = 2;

/// The address AF_UNIX socket `sk` is bound to. The name lives as long as the socket.
///
/// # Safety
///
/// `sk` must be a valid AF_UNIX socket that the caller holds for `'a`.
pub(crate) unsafe fn unix_address<'a>(sk: *mut bindings::sock) -> UnixAddress<'a> {
    let mut name = core::ptr::null();
    let mut len: c_int = 0;
    // SAFETY: Guaranteed by the caller; the out-pointers are valid.
    let kind = unsafe { raw::rustlsm_unix_address(sk, &mut name, &mut len) };
    match (kind, usize::try_from(len)) {
        (UNIX_PATHNAME, _) => UnixAddress::Pathname,
        (UNIX_ABSTRACT, Ok(len)) if !name.is_null() => {
            // SAFETY: The socket's address holds `len` name bytes at `name`, immutable and
            // alive as long as the socket.
            UnixAddress::Abstract(unsafe { core::slice::from_raw_parts(name, len) })
        }
        _ => UnixAddress::Unnamed,
    }
}

/// Runs `f` with `sk`'s unix state lock held (a spinlock: `f` must not sleep).
///
/// # Safety
///
/// `sk` must be a valid AF_UNIX socket whose lock the caller does not hold.
pub(crate) unsafe fn with_unix_lock<R>(sk: *mut bindings::sock, f: impl FnOnce() -> R) -> R {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_unix_lock(sk) };
    let r = f();
    // SAFETY: Taken above.
    unsafe { raw::rustlsm_unix_unlock(sk) };
    r
}

/// The credentials of whoever created `sk`'s socket file, or null for a dead or kernel
/// socket. Valid while the caller holds `sk`'s unix state lock.
///
/// # Safety
///
/// `sk` must be a valid AF_UNIX socket whose unix state lock the caller holds.
pub(crate) unsafe fn unix_owner_cred(sk: *const bindings::sock) -> *const bindings::cred {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_unix_owner_cred(sk) }
}

/// Runs `f` on the task tracing the current task, if any (held for the call).
pub(crate) fn with_tracer<R>(f: impl FnOnce(Option<*mut bindings::task_struct>) -> R) -> R {
    // SAFETY: No precondition; the result is null or referenced.
    let tracer = unsafe { raw::rustlsm_tracer_get() };
    if tracer.is_null() {
        return f(None);
    }
    let r = f(Some(tracer));
    // SAFETY: Releases the reference taken by `rustlsm_tracer_get`.
    unsafe { raw::rustlsm_task_put(tracer) };
    r
}

/// Marks the exec as secure (`AT_SECURE`): the dynamic linker then ignores `LD_PRELOAD` and
/// friends.
///
/// # Safety
///
/// `bprm` must be the exec's valid `linux_binprm`, not yet committed.
pub(crate) unsafe fn set_secureexec(bprm: *mut bindings::linux_binprm) {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_set_secureexec(bprm) }
}

/// The `LSM_UNSAFE_*` bits of an exec.
///
/// # Safety
///
/// `bprm` must be a valid `linux_binprm`.
pub(crate) unsafe fn bprm_unsafe(bprm: *const bindings::linux_binprm) -> u32 {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_bprm_unsafe(bprm) as u32 }
}

/// Calls `f(fd, file)` for each open file of the current task, holding a reference to the
/// file (and no lock) during the call: `f` may sleep.
pub(crate) fn for_each_open_file(mut f: impl FnMut(u32, *mut bindings::file)) {
    let mut n = 0u32;
    loop {
        let mut file = core::ptr::null_mut();
        // SAFETY: `file` is a valid out-pointer; the current task's file table is valid.
        n = unsafe { raw::rustlsm_next_file(n, &mut file) };
        if n == 0 || file.is_null() {
            return;
        }
        f(n - 1, file);
        // SAFETY: `rustlsm_next_file` took this reference.
        unsafe { bindings::fput(file) };
    }
}

/// Replaces descriptor `fd` of the current task with one that reads nothing and swallows
/// writes (closes it if that cannot be made): the number stays taken, so the program's next
/// open does not land on a standard stream.
pub(crate) fn revoke_fd(fd: u32) {
    // SAFETY: Replacing a descriptor of the current task's own table.
    unsafe { raw::rustlsm_revoke_fd(fd) }
}

/// Whether `path` is on one of the kernel's internal mounts (pipes, sockets, anon inodes).
///
/// # Safety
///
/// `path` must be a valid path.
pub(crate) unsafe fn is_internal_mount(path: *const bindings::path) -> bool {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_is_internal_mount(path) }
}

/// Whether `path` is a POSIX message queue.
///
/// # Safety
///
/// `path` must be a valid path.
pub(crate) unsafe fn is_mqueue(path: *const bindings::path) -> bool {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_is_mqueue(path) }
}

/// The current task's POSIX message queue mount, when `dir` is on that file system. The
/// task's IPC namespace holds the mount for as long as the task uses it.
///
/// # Safety
///
/// `dir` must be a valid inode.
pub(crate) unsafe fn mqueue_root(dir: *const bindings::inode) -> Option<bindings::path> {
    let mut root = bindings::path {
        mnt: core::ptr::null_mut(),
        dentry: core::ptr::null_mut(),
    };
    // SAFETY: Guaranteed by the caller; `root` is writable.
    unsafe { raw::rustlsm_mqueue_root(dir, &mut root) }.then_some(root)
}

/// Whether ioctl `cmd` sets inode flags (`FS_IOC_SETFLAGS`, its 32-bit form,
/// `FS_IOC_FSSETXATTR`), whose encodings differ between architectures.
pub(crate) fn ioctl_sets_inode_flags(cmd: u32) -> bool {
    // SAFETY: Compares numbers.
    unsafe { raw::rustlsm_ioctl_sets_inode_flags(cmd) }
}

/// Whether `file` is an io_uring instance.
///
/// # Safety
///
/// `file` must be a valid file.
pub(crate) unsafe fn is_io_uring(file: *mut bindings::file) -> bool {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_is_io_uring(file) }
}

/// This LSM's pointer-sized slot in `file`'s security blob.
///
/// # Safety
///
/// `file` must be a valid file.
pub(crate) unsafe fn file_slot(file: *const bindings::file) -> *mut *mut u8 {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_file_slot(file) }
}

/// The file a SIGIO owner record belongs to.
///
/// # Safety
///
/// `fown` must be a valid owner record.
pub(crate) unsafe fn fown_file(fown: *const bindings::fown_struct) -> *mut bindings::file {
    // SAFETY: Guaranteed by the caller.
    unsafe { raw::rustlsm_fown_file(fown) }
}

/// `dentry`'s name.
///
/// # Safety
///
/// `dentry` must be valid and its name stable (its parent directory locked) for `'a`.
pub(crate) unsafe fn dentry_name<'a>(dentry: *const bindings::dentry) -> &'a [u8] {
    let mut len = 0u32;
    // SAFETY: Guaranteed by the caller.
    let name = unsafe { raw::rustlsm_dentry_name(dentry, &mut len) };
    if name.is_null() {
        return &[];
    }
    // SAFETY: A dentry's name is `len` bytes at `name`, stable as the caller guarantees.
    unsafe { core::slice::from_raw_parts(name, len as usize) }
}
