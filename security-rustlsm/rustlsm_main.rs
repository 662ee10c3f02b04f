// SPDX-License-Identifier: GPL-2.0-only

//! rustlsm: path-based mandatory access control, written in Rust.
//!
//! The C file `setup.c` only registers the hooks; everything they do is here:
//!
//! - [`wire`], the policy format and its verifier, with [`file_dfa`] (the file-rules
//!   automaton), [`glob`] (attachment patterns) and [`net`] (network rules): all shared with
//!   userspace `lsmctl`;
//! - [`policy`], the loaded profiles and their atomic replacement;
//! - [`cred_blob`], the profile label each task's credentials carry;
//! - [`exec`], the profile a program runs under after `exec`;
//! - [`access`], the decision every file-system hook makes;
//! - [`file`], hooks on open files (`open`, `ftruncate`, device `ioctl`, executable `mmap`
//!   and `mprotect`);
//! - [`path_ops`], hooks on names (create, delete, rename, link, truncate, chmod, chown,
//!   utimes);
//! - [`capability`], the capabilities a confined task keeps;
//! - [`task`], signals and ptrace between tasks;
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

pub mod file_dfa;
pub mod glob;
pub mod net;
pub mod wire;

mod access;
mod accessors;
mod attr;
mod capability;
mod cred_blob;
mod descriptors;
mod exec;
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
mod report;
mod securityfs;
mod sigio;
mod task;
mod unix;

use kernel::bindings;

/// Compile-time proof that each Rust hook has the exact type `lsm_hook_defs.h` declares.
const _: [bindings::security_list_options; 50] = [
    bindings::security_list_options {
        cred_prepare: Some(cred_blob::rustlsm_cred_prepare),
    },
    bindings::security_list_options {
        cred_transfer: Some(cred_blob::rustlsm_cred_transfer),
    },
    bindings::security_list_options {
        cred_free: Some(cred_blob::rustlsm_cred_free),
    },
    bindings::security_list_options {
        bprm_creds_for_exec: Some(exec::rustlsm_bprm_creds_for_exec),
    },
    bindings::security_list_options {
        file_open: Some(file::rustlsm_file_open),
    },
    bindings::security_list_options {
        file_truncate: Some(file::rustlsm_file_truncate),
    },
    bindings::security_list_options {
        file_ioctl: Some(file::rustlsm_file_ioctl),
    },
    bindings::security_list_options {
        file_ioctl_compat: Some(file::rustlsm_file_ioctl),
    },
    bindings::security_list_options {
        mmap_file: Some(file::rustlsm_mmap_file),
    },
    bindings::security_list_options {
        file_mprotect: Some(file::rustlsm_file_mprotect),
    },
    bindings::security_list_options {
        path_mknod: Some(path_ops::rustlsm_path_mknod),
    },
    bindings::security_list_options {
        inode_create: Some(path_ops::rustlsm_inode_create),
    },
    bindings::security_list_options {
        inode_unlink: Some(path_ops::rustlsm_inode_unlink),
    },
    bindings::security_list_options {
        path_mkdir: Some(path_ops::rustlsm_path_mkdir),
    },
    bindings::security_list_options {
        path_symlink: Some(path_ops::rustlsm_path_symlink),
    },
    bindings::security_list_options {
        path_unlink: Some(path_ops::rustlsm_path_unlink),
    },
    bindings::security_list_options {
        path_rmdir: Some(path_ops::rustlsm_path_rmdir),
    },
    bindings::security_list_options {
        path_rename: Some(path_ops::rustlsm_path_rename),
    },
    bindings::security_list_options {
        path_link: Some(path_ops::rustlsm_path_link),
    },
    bindings::security_list_options {
        path_truncate: Some(path_ops::rustlsm_path_truncate),
    },
    bindings::security_list_options {
        path_chmod: Some(path_ops::rustlsm_path_chmod),
    },
    bindings::security_list_options {
        path_chown: Some(path_ops::rustlsm_path_chown),
    },
    bindings::security_list_options {
        path_utimes: Some(path_ops::rustlsm_path_utimes),
    },
    bindings::security_list_options {
        capable: Some(capability::rustlsm_capable),
    },
    bindings::security_list_options {
        task_kill: Some(task::rustlsm_task_kill),
    },
    bindings::security_list_options {
        ptrace_access_check: Some(task::rustlsm_ptrace_access_check),
    },
    bindings::security_list_options {
        ptrace_traceme: Some(task::rustlsm_ptrace_traceme),
    },
    bindings::security_list_options {
        sb_mount: Some(mount::rustlsm_sb_mount),
    },
    bindings::security_list_options {
        sb_umount: Some(mount::rustlsm_sb_umount),
    },
    bindings::security_list_options {
        sb_pivotroot: Some(mount::rustlsm_sb_pivotroot),
    },
    bindings::security_list_options {
        getselfattr: Some(attr::rustlsm_getselfattr),
    },
    bindings::security_list_options {
        getprocattr: Some(attr::rustlsm_getprocattr),
    },
    bindings::security_list_options {
        socket_create: Some(network::rustlsm_socket_create),
    },
    bindings::security_list_options {
        socket_bind: Some(network::rustlsm_socket_bind),
    },
    bindings::security_list_options {
        socket_connect: Some(network::rustlsm_socket_connect),
    },
    bindings::security_list_options {
        socket_listen: Some(network::rustlsm_socket_listen),
    },
    bindings::security_list_options {
        socket_sendmsg: Some(network::rustlsm_socket_sendmsg),
    },
    bindings::security_list_options {
        lsm_manage_policy_permission: Some(manage::rustlsm_manage_policy_permission),
    },
    bindings::security_list_options {
        lsm_manage_policy: Some(manage::rustlsm_manage_policy),
    },
    bindings::security_list_options {
        bprm_committing_creds: Some(descriptors::rustlsm_bprm_committing_creds),
    },
    bindings::security_list_options {
        file_free_security: Some(sigio::rustlsm_file_free_security),
    },
    bindings::security_list_options {
        file_fcntl: Some(file::rustlsm_file_fcntl),
    },
    bindings::security_list_options {
        file_set_fowner: Some(sigio::rustlsm_file_set_fowner),
    },
    bindings::security_list_options {
        file_send_sigiotask: Some(sigio::rustlsm_file_send_sigiotask),
    },
    bindings::security_list_options {
        file_receive: Some(descriptors::rustlsm_file_receive),
    },
    bindings::security_list_options {
        unix_find: Some(unix::rustlsm_unix_find),
    },
    bindings::security_list_options {
        unix_stream_connect: Some(unix::rustlsm_unix_stream_connect),
    },
    bindings::security_list_options {
        unix_may_send: Some(unix::rustlsm_unix_may_send),
    },
    bindings::security_list_options {
        sb_remount: Some(mount::rustlsm_sb_remount),
    },
    bindings::security_list_options {
        move_mount: Some(mount::rustlsm_move_mount),
    },
];

#[cfg(CONFIG_IO_URING)]
const _: bindings::security_list_options = bindings::security_list_options {
    uring_override_creds: Some(descriptors::rustlsm_uring_override_creds),
};
