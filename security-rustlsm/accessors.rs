// SPDX-License-Identifier: GPL-2.0-only

//! Values of kernel objects that only C reaches reliably (macros, inline functions, layouts
//! that depend on the configuration, such as `struct sock`'s), read through `accessors.c`.
//!
//! Each C function is declared with the Rust types that make calling it safe: references to
//! the objects it reads, and `&mut` for what it writes. What no type expresses (a lock held,
//! a path the IPC namespace holds) is in the `unsafe` blocks below.

use kernel::{
    bindings,
    cred::Credential,
    ffi::c_int,
    fs::{Inode, LocalFile, Path},
    net::socket::{Sock, Socket, UnixSock, UnixSockLocked},
};

/// Longest abstract AF_UNIX name (`UNIX_PATH_MAX` less the leading NUL).
const UNIX_NAME_MAX: usize = 107;

mod raw {
    use super::UNIX_NAME_MAX;
    use kernel::{
        bindings,
        cred::Credential,
        ffi::c_int,
        fs::{Inode, LocalFile, Path},
        net::socket::{Sock, Socket, UnixSock, UnixSockLocked},
    };

    // SAFETY: Each function is defined in accessors.c with the prototype rustlsm.h gives it
    // (`path_names_seq` in fs/d_path.c, with the prototype of include/linux/dcache.h),
    // and the Rust types state its contract: references are to objects valid for the call
    // (AF_UNIX socks where the C side reads a `struct unix_sock`), which the function only
    // reads (`rustlsm_unix_lock` takes the socket's spinlock, which `with_unix_lock`
    // releases); `&mut` out-parameters are written; a returned reference lives as long as
    // the locked socket it is read from. None sleeps but `rustlsm_revoke_fd`, which only
    // replaces a descriptor of the current task and is called from process context, and
    // `rustlsm_may_wait_in_open`, which drops a dentry reference and is called from
    // `file_open` only, and `rustlsm_may_wait_on_socket`, called from the socket hooks.
    #[expect(
        improper_ctypes,
        reason = "references to transparent wrappers of bindgen structs"
    )]
    unsafe extern "C" {
        pub(super) safe fn rustlsm_sock_family(sock: &Socket) -> c_int;
        pub(super) safe fn rustlsm_sock_protocol(sock: &Socket) -> c_int;
        pub(super) safe fn rustlsm_sock_is_kern(sock: &Socket) -> bool;
        pub(super) safe fn rustlsm_sock_netns_id(sock: &Socket) -> u64;
        pub(super) safe fn rustlsm_sk_type(sk: &Sock) -> c_int;
        pub(super) safe fn rustlsm_unix_lock(sk: &UnixSock);
        pub(super) fn rustlsm_unix_unlock(sk: &UnixSock);
        pub(super) safe fn rustlsm_unix_address(
            sk: &UnixSock,
            name: &mut [u8; UNIX_NAME_MAX],
            len: &mut c_int,
        ) -> c_int;
        pub(super) safe fn rustlsm_unix_owner_cred(sk: &UnixSockLocked) -> Option<&Credential>;
        pub(super) safe fn rustlsm_revoke_fd(fd: u32);
        pub(super) safe fn rustlsm_is_internal_mount(path: &Path) -> bool;
        pub(super) safe fn rustlsm_is_io_uring(file: &LocalFile) -> bool;
        pub(super) safe fn rustlsm_current_shares_itself() -> bool;
        pub(super) safe fn rustlsm_current_used_io_uring() -> bool;
        pub(super) safe fn rustlsm_current_traces() -> bool;
        pub(super) safe fn rustlsm_current_group_has_workers() -> bool;
        pub(super) safe fn rustlsm_current_group_shares_outside() -> bool;
        pub(super) safe fn rustlsm_current_files_id() -> usize;
        pub(super) safe fn rustlsm_is_mqueue(path: &Path) -> bool;
        pub(super) safe fn rustlsm_proc_own_depth(path: &Path) -> c_int;
        pub(super) safe fn rustlsm_keeps_decisions(path: &Path) -> bool;
        pub(super) safe fn rustlsm_owns(cred: &Credential, on: &Path, inode: &Inode) -> bool;
        pub(super) safe fn rustlsm_may_wait_on_socket(sock: &Socket, msg_flags: u32) -> bool;
        pub(super) safe fn rustlsm_may_wait_in_open(file: &LocalFile) -> bool;
        pub(super) safe fn rustlsm_in_execve() -> bool;
        pub(super) safe fn rustlsm_is_program_open(file: &LocalFile) -> bool;
        pub(super) safe fn rustlsm_get_current_tgid() -> *mut bindings::pid;
        pub(super) safe fn rustlsm_current_tgid_is(pid: *const bindings::pid) -> bool;
        pub(super) fn rustlsm_put_pid(pid: *mut bindings::pid);
        pub(super) safe fn rustlsm_mqueue_root(dir: &Inode, root: &mut bindings::path) -> bool;
        pub(super) safe fn rustlsm_ioctl_sets_inode_flags(cmd: u32) -> bool;
        pub(super) safe fn rustlsm_ioctl_is_terminal_routine(cmd: u32) -> bool;
        // From fs/d_path.c (include/linux/dcache.h): only writes its out-parameter, and never
        // waits (it reads plain seqcounts).
        pub(super) safe fn path_names_seq(seq: &mut u64) -> bool;
    }
}

/// The address family of `sock`'s `struct sock` (`AF_UNSPEC` without one).
pub(crate) fn sock_family(sock: &Socket) -> c_int {
    raw::rustlsm_sock_family(sock)
}

/// The protocol `sock` was created with (`IPPROTO_*`; 0 without a `struct sock`).
pub(crate) fn sock_protocol(sock: &Socket) -> c_int {
    raw::rustlsm_sock_protocol(sock)
}

/// Whether `sock` is a kernel socket (`sock_create_kern()`), which a subsystem (sunrpc, a
/// BPF program's socket) uses for itself, even in a user task's context.
pub(crate) fn sock_is_kern(sock: &Socket) -> bool {
    raw::rustlsm_sock_is_kern(sock)
}

/// The unique id of `sock`'s network namespace, as `NS_GET_ID` gives it (never reused).
pub(crate) fn sock_netns_id(sock: &Socket) -> u64 {
    raw::rustlsm_sock_netns_id(sock)
}

/// The type (`SOCK_STREAM`, `SOCK_DGRAM`...) of `sk`.
pub(crate) fn sock_type(sk: &Sock) -> c_int {
    raw::rustlsm_sk_type(sk)
}

/// Where an AF_UNIX socket is bound.
pub(crate) enum UnixAddress {
    /// Not bound (a `socketpair()` end, or not yet bound).
    Unnamed,
    /// Bound to a name in the file system (decided at lookup, by `unix_find`).
    Pathname,
    /// Bound to an abstract name: its bytes (without the leading NUL) and their length.
    Abstract([u8; UNIX_NAME_MAX], usize),
    /// Bound to an address that cannot be read (a length the kernel never makes).
    Unreadable,
}

/// `RUSTLSM_UNIX_UNNAMED`, `RUSTLSM_UNIX_PATHNAME` and `RUSTLSM_UNIX_ABSTRACT` of rustlsm.h
/// (anything else is unreadable).
const UNIX_UNNAMED: c_int = 0;
const UNIX_PATHNAME: c_int = 1;
const UNIX_ABSTRACT: c_int = 2;

/// The address AF_UNIX socket `sk` is bound to.
pub(crate) fn unix_address(sk: &UnixSock) -> UnixAddress {
    let mut name = [0u8; UNIX_NAME_MAX];
    let mut len: c_int = 0;
    match raw::rustlsm_unix_address(sk, &mut name, &mut len) {
        UNIX_UNNAMED => UnixAddress::Unnamed,
        UNIX_PATHNAME => UnixAddress::Pathname,
        UNIX_ABSTRACT => match usize::try_from(len) {
            Ok(len) if len <= UNIX_NAME_MAX => UnixAddress::Abstract(name, len),
            _ => UnixAddress::Unreadable,
        },
        _ => UnixAddress::Unreadable,
    }
}

/// Runs `f` with `sk`'s unix state lock held (a spinlock: `f` must not sleep).
pub(crate) fn with_unix_lock<R>(sk: &UnixSock, f: impl FnOnce(&UnixSockLocked) -> R) -> R {
    raw::rustlsm_unix_lock(sk);
    // SAFETY: The lock is now held, until after `f` returns.
    let r = f(unsafe { UnixSockLocked::from_unix_sock(sk) });
    // SAFETY: The lock was taken above, by this thread, and `f` cannot release it (a
    // `&UnixSockLocked` offers no unlock).
    unsafe { raw::rustlsm_unix_unlock(sk) };
    r
}

/// The credentials of whoever created the socket file of `sk`, or `None` for a dead or
/// kernel socket; the lock keeps the file, so them, alive.
pub(crate) fn unix_owner_cred(sk: &UnixSockLocked) -> Option<&kernel::cred::Credential> {
    raw::rustlsm_unix_owner_cred(sk)
}

/// Calls `f(fd, file)` for each open file of the current task, holding a reference to the
/// file (and no lock) during the call: `f` may sleep.
pub(crate) fn for_each_open_file(mut f: impl FnMut(u32, &LocalFile)) {
    let mut next = 0u32;
    while let Some((fd, file)) = LocalFile::next_of_current(next) {
        f(fd, &file);
        next = fd + 1;
    }
}

/// Replaces descriptor `fd` of the current task with one that reads nothing and swallows
/// writes (closes it if that cannot be made): the number stays taken, so the program's next
/// open does not land on a standard stream.
pub(crate) fn revoke_fd(fd: u32) {
    raw::rustlsm_revoke_fd(fd)
}

/// Whether `path` is on one of the kernel's internal mounts (pipes, sockets, anon inodes).
pub(crate) fn is_internal_mount(path: &Path) -> bool {
    raw::rustlsm_is_internal_mount(path)
}

/// Whether `path` is a POSIX message queue.
pub(crate) fn is_mqueue(path: &Path) -> bool {
    raw::rustlsm_is_mqueue(path)
}

/// Whether a decision on `path` may be kept: not on an internal mount, a private inode or
/// procfs (see `decision_cache::Key::of`).
pub(crate) fn keeps_decisions(path: &Path) -> bool {
    raw::rustlsm_keeps_decisions(path)
}

/// Whether `cred`'s filesystem user ID owns `inode`, as the mount of `on` (the inode's own
/// mount, or the directory it is named in) maps its owner.
pub(crate) fn owns(cred: &Credential, on: &Path, inode: &Inode) -> bool {
    raw::rustlsm_owns(cred, on, inode)
}

/// Whether the current task, opening `file` in `file_open`, may wait there for an agent: a
/// blocking open by a user task on its own behalf, with no lock held that an agent could
/// need (see accessors.c). May sleep (it drops a dentry reference).
pub(crate) fn may_wait_in_open(file: &LocalFile) -> bool {
    raw::rustlsm_may_wait_in_open(file)
}

/// Whether the current task is in an exec past its program's open: what the kernel opens
/// and maps from then on is the exec's loading of the program (see accessors.c).
pub(crate) fn in_execve() -> bool {
    raw::rustlsm_in_execve()
}

/// Whether `file` is being opened as the program of an exec, by the task that execs (not a
/// loader's open mid-exec, nor a stacking file system's backing file: see accessors.c).
pub(crate) fn is_program_open(file: &LocalFile) -> bool {
    raw::rustlsm_is_program_open(file)
}

/// Whether the current task may wait for an agent in a socket hook on `sock`, with the
/// message flags `msg_flags` (0 but for a send): a blocking operation by a user task on its
/// own behalf, which has never used io_uring (see accessors.c).
pub(crate) fn may_wait_on_socket(sock: &Socket, msg_flags: u32) -> bool {
    raw::rustlsm_may_wait_on_socket(sock, msg_flags)
}

/// The current thread group, held by its `struct pid`: unlike the number, it names no other
/// process once this one has gone.
pub(crate) struct ThreadGroup(*mut bindings::pid);

// SAFETY: A counted `struct pid` may be compared and released from any task: its refcount
// is atomic and nothing else of it is read.
unsafe impl Send for ThreadGroup {}
// SAFETY: As for `Send`: shared references only compare the pointer.
unsafe impl Sync for ThreadGroup {}

impl ThreadGroup {
    /// The current task's thread group.
    pub(crate) fn current() -> Self {
        ThreadGroup(raw::rustlsm_get_current_tgid())
    }

    /// Whether the current task is in this thread group.
    pub(crate) fn is_current(&self) -> bool {
        raw::rustlsm_current_tgid_is(self.0)
    }
}

impl Drop for ThreadGroup {
    fn drop(&mut self) {
        // SAFETY: `ThreadGroup::current` took this reference (or got null, which `put_pid()`
        // ignores), and only this drop gives it back.
        unsafe { raw::rustlsm_put_pid(self.0) };
    }
}

/// For a file of procfs under the current thread group's (or thread's) own pid directory:
/// how many components of its path follow that directory's (0 for the directory itself).
pub(crate) fn proc_own_depth(path: &Path) -> Option<usize> {
    usize::try_from(raw::rustlsm_proc_own_depth(path)).ok()
}

/// Calls `f` with the current task's POSIX message queue mount, when `dir` is on that file
/// system; `None` otherwise.
pub(crate) fn with_mqueue_root<R>(dir: &Inode, f: impl FnOnce(&Path) -> R) -> Option<R> {
    let mut root = bindings::path {
        mnt: core::ptr::null_mut(),
        dentry: core::ptr::null_mut(),
    };
    if !raw::rustlsm_mqueue_root(dir, &mut root) {
        return None;
    }
    // SAFETY: The task's IPC namespace holds the mount and its root for as long as the task
    // uses them, which outlasts the call (only the task itself changes its namespaces).
    Some(f(unsafe { Path::from_raw(&root) }))
}

/// Whether ioctl `cmd` sets inode flags (`FS_IOC_SETFLAGS`, its 32-bit form,
/// `FS_IOC_FSSETXATTR`), whose encodings differ between architectures.
pub(crate) fn ioctl_sets_inode_flags(cmd: u32) -> bool {
    raw::rustlsm_ioctl_sets_inode_flags(cmd)
}

/// Whether `cmd` is a terminal ioctl any program makes on the terminal it was given: get or
/// set its modes (`TCGETS`, `TCSETS*`, their `termios2` forms), get its size or process
/// group or session, count queued bytes, drain, flush, suspend or resume.
pub(crate) fn ioctl_is_terminal_routine(cmd: u32) -> bool {
    raw::rustlsm_ioctl_is_terminal_routine(cmd)
}

/// Whether `file` is an io_uring instance.
pub(crate) fn is_io_uring(file: &LocalFile) -> bool {
    raw::rustlsm_is_io_uring(file)
}

/// Whether the current task shares its memory (threads, `CLONE_VM`, a `vfork()` parent) or
/// its descriptor table with another task, or traces one.
pub(crate) fn current_shares_itself() -> bool {
    raw::rustlsm_current_shares_itself()
}

/// Whether the current task ever created or used an io_uring instance (it then has an
/// io_uring context until it exits).
pub(crate) fn current_used_io_uring() -> bool {
    raw::rustlsm_current_used_io_uring()
}

/// The current task's descriptor table, as a number only compared with another.
pub(crate) fn current_files_id() -> usize {
    raw::rustlsm_current_files_id()
}

/// Whether the current task traces another.
pub(crate) fn current_traces() -> bool {
    raw::rustlsm_current_traces()
}

/// Whether a thread of the current process is a kernel worker (io_uring's, vhost's): it runs
/// no code of the process, and may never run the task work that changes its credentials.
pub(crate) fn current_group_has_workers() -> bool {
    raw::rustlsm_current_group_has_workers()
}

/// Whether a task outside the current process uses the memory or a descriptor table of one
/// of its threads (`CLONE_VM` or `CLONE_FILES` without `CLONE_THREAD`, a `vfork()` parent),
/// or one of its threads is a kernel worker. Exact while no other thread of the process runs,
/// but for two cases that answer true: a thread exiting meanwhile, and threads sharing a
/// table that is not the current task's. Linear in the number of threads.
pub(crate) fn current_group_shares_outside() -> bool {
    raw::rustlsm_current_group_has_workers() || raw::rustlsm_current_group_shares_outside()
}

/// Samples the counts of dentry moves and mount changes into `seq` (see
/// [`crate::decision_cache`]); false, and no sample, while either is being written.
pub(crate) fn path_names_seq(seq: &mut u64) -> bool {
    raw::path_names_seq(seq)
}
