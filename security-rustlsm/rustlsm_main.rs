// SPDX-License-Identifier: GPL-2.0-only

//! rustlsm: path-based mandatory access control, written in Rust.
//!
//! The C file `setup.c` only registers the hooks; everything they do is here:
//!
//! - [`wire`], the policy format and its verifier, with [`file_dfa`] (the file-rules
//!   automaton), [`glob`] (attachment patterns) and [`net`] (network rules): all shared with
//!   userspace `lsmctl`;
//! - [`policy`], the loaded profiles and their atomic replacement, published for lock-free
//!   readers through [`rcu_slot`] and released after a grace period by [`retired`];
//! - [`cred_blob`], what confines each task's credentials: a profile's label, a sandbox;
//! - [`sandbox`], the layers a task stacks on itself without privilege, and their scope,
//!   and [`records`], their refusals read by the task that stacked them;
//! - [`exec`], the profile a program runs under after `exec`, found through [`attach`];
//! - [`access`], the decision every file-system hook makes, and [`decision_cache`], the
//!   decisions it keeps on open files;
//! - [`ask`], the accesses a profile leaves to a user space agent, and its listeners (their
//!   protocol in [`ask_protocol`], shared);
//! - [`file`], hooks on open files (`open`, `ftruncate`, device `ioctl`, executable `mmap`
//!   and `mprotect`);
//! - [`path_ops`], hooks on names (create, delete, rename, link, truncate, chmod, chown,
//!   utimes);
//! - [`capability`], the capabilities a confined task keeps;
//! - [`task`], signals, ptrace, limits and scheduling between tasks;
//! - [`mount`], mount, umount and pivot_root;
//! - [`network`], socket creation and TCP/UDP endpoints (rules in [`net`], shared);
//! - [`attr`], a task's profile for `lsm_get_self_attr()` and `/proc/PID/attr/current`;
//! - [`report`], the kernel log line of a denial;
//! - [`path`], resolving a file to the path rules are written against;
//! - [`unix`], which AF_UNIX sockets a confined task may reach;
//! - [`sigio`], signals a file sends for its owner (`F_SETOWN`);
//! - [`descriptors`], open files inherited across a profile change or received;
//! - [`accessors`], values of kernel objects read through small C accessors;
//! - [`manage`], policy loads and removals, for the syscall and for securityfs;
//! - [`securityfs`], `/sys/kernel/security/rustlsm/`.

const __LOG_PREFIX: &[u8] = b"rustlsm\0";

/// rustlsm as the owner of the files it hands out (`records`, listeners): built in, never
/// unloaded.
pub(crate) struct BuiltIn;

impl kernel::ModuleMetadata for BuiltIn {
    const NAME: &'static kernel::str::CStr = c"rustlsm";

    const THIS_MODULE: kernel::ThisModule = {
        // SAFETY: Built-in code's `THIS_MODULE` is null, which `try_module_get` and
        // `module_put` take as always present.
        unsafe { kernel::ThisModule::from_ptr(core::ptr::null_mut()) }
    };
}

pub mod ask_protocol;
pub mod file_dfa;
pub mod glob;
pub mod net;
pub mod wire;

mod access;
mod accessors;
mod ask;
mod attach;
mod attr;
mod capability;
mod cred_blob;
mod decision_cache;
mod descriptors;
mod exec;
mod exec_grant;
mod file;
#[cfg(CONFIG_SECURITY_RUSTLSM_KUNIT_TEST)]
mod kunit;
#[cfg(CONFIG_SECURITY_RUSTLSM_KUNIT_TEST)]
mod kunit_policy;
mod manage;
mod mount;
mod network;
mod path;
mod path_ops;
mod policy;
mod rcu_slot;
mod records;
mod refer;
mod repeats;
mod report;
mod retired;
mod sandbox;
mod securityfs;
mod setid;
mod sigio;
mod task;
mod unix;

// Every hook setup.c registers, written as a safe function (the cred hooks copy and drop
// the label of `cred_blob::BLOBS`); each generated `rustlsm_*` function has the type
// `lsm_hook_defs.h` gives its hook, checked at compile time.
kernel::lsm_hooks! {
    rustlsm_cred_prepare: cred_prepare(cred_blob::BLOBS);
    rustlsm_cred_transfer: cred_transfer(cred_blob::BLOBS);
    rustlsm_cred_free: cred_free(cred_blob::BLOBS);
    rustlsm_bprm_creds_for_exec: bprm_creds_for_exec(exec::bprm_creds_for_exec);
    rustlsm_bprm_creds_from_file: bprm_creds_from_file(exec_grant::bprm_creds_from_file);
    rustlsm_bprm_committing_creds: bprm_committing_creds(descriptors::bprm_committing_creds);
    rustlsm_file_free_security: file_free_security(sigio::file_free_security);
    rustlsm_file_fcntl: file_fcntl(file::file_fcntl);
    rustlsm_file_set_fowner: file_set_fowner(sigio::file_set_fowner);
    rustlsm_file_send_sigiotask: file_send_sigiotask(sigio::file_send_sigiotask);
    rustlsm_file_receive: file_receive(descriptors::file_receive);
    rustlsm_file_open: file_open(file::file_open);
    rustlsm_file_truncate: file_truncate(file::file_truncate);
    rustlsm_file_ioctl: file_ioctl(file::file_ioctl);
    rustlsm_file_ioctl_compat: file_ioctl_compat(file::file_ioctl);
    rustlsm_mmap_file: mmap_file(file::mmap_file);
    rustlsm_file_mprotect: file_mprotect(file::file_mprotect);
    rustlsm_path_mknod: path_mknod(path_ops::path_mknod);
    rustlsm_path_mkdir: path_mkdir(path_ops::path_mkdir);
    rustlsm_inode_create: inode_create(path_ops::inode_create);
    rustlsm_inode_unlink: inode_unlink(path_ops::inode_unlink);
    rustlsm_d_instantiate: d_instantiate(decision_cache::d_instantiate);
    rustlsm_path_symlink: path_symlink(path_ops::path_symlink);
    rustlsm_path_unlink: path_unlink(path_ops::path_unlink);
    rustlsm_path_rmdir: path_rmdir(path_ops::path_rmdir);
    rustlsm_path_rename: path_rename(path_ops::path_rename);
    rustlsm_path_link: path_link(path_ops::path_link);
    rustlsm_path_truncate: path_truncate(path_ops::path_truncate);
    rustlsm_path_chmod: path_chmod(path_ops::path_chmod);
    rustlsm_path_chown: path_chown(path_ops::path_chown);
    rustlsm_path_utimes: path_utimes(path_ops::path_utimes);
    rustlsm_capable: capable(capability::capable);
    rustlsm_task_kill: task_kill(task::task_kill);
    rustlsm_ptrace_access_check: ptrace_access_check(task::ptrace_access_check);
    rustlsm_ptrace_traceme: ptrace_traceme(task::ptrace_traceme);
    rustlsm_task_setpgid: task_setpgid(task::task_setpgid);
    rustlsm_task_setnice: task_setnice(task::task_setnice);
    rustlsm_task_setioprio: task_setioprio(task::task_setioprio);
    rustlsm_task_setscheduler: task_setscheduler(task::task_setscheduler);
    rustlsm_task_prlimit: task_prlimit(task::task_prlimit);
    rustlsm_sb_mount: sb_mount(mount::sb_mount);
    rustlsm_sb_umount: sb_umount(mount::sb_umount);
    rustlsm_sb_pivotroot: sb_pivotroot(mount::sb_pivotroot);
    rustlsm_sb_remount: sb_remount(mount::sb_remount);
    rustlsm_move_mount: move_mount(mount::move_mount);
    rustlsm_getselfattr: getselfattr(attr::getselfattr);
    rustlsm_setselfattr: setselfattr(attr::setselfattr);
    rustlsm_getprocattr: getprocattr(attr::getprocattr);
    rustlsm_socket_create: socket_create(network::socket_create);
    rustlsm_socket_bind: socket_bind(network::socket_bind);
    rustlsm_socket_connect: socket_connect(network::socket_connect);
    rustlsm_socket_listen: socket_listen(network::socket_listen);
    rustlsm_socket_sendmsg: socket_sendmsg(network::socket_sendmsg);
    rustlsm_socket_setsockopt: socket_setsockopt(network::socket_setsockopt);
    rustlsm_unix_find: unix_find(unix::unix_find);
    rustlsm_unix_stream_connect: unix_stream_connect(unix::unix_stream_connect);
    rustlsm_unix_may_send: unix_may_send(unix::unix_may_send);
    rustlsm_userns_create: userns_create(sandbox::userns_create);
    rustlsm_manage_policy_permission:
        lsm_manage_policy_permission(manage::manage_policy_permission);
    rustlsm_manage_policy: lsm_manage_policy(manage::manage_policy);
}

#[cfg(CONFIG_IO_URING)]
kernel::lsm_hooks! {
    rustlsm_uring_override_creds: uring_override_creds(descriptors::uring_override_creds);
}
