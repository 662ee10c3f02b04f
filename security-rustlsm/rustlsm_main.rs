// SPDX-License-Identifier: GPL-2.0-only

//! rustlsm: path-based mandatory access control, written in Rust.
//!
//! The C file `setup.c` only registers the hooks; everything they do is here:
//!
//! - [`wire`], the policy format and its verifier, with [`file_dfa`] (the file-rules
//!   automaton) and [`glob`] (attachment patterns): all three shared with userspace `lsmctl`;
//! - [`policy`], the loaded profiles and their atomic replacement;
//! - [`cred_blob`], the profile label each task's credentials carry;
//! - [`exec`], attaching a profile when a task executes a file;
//! - [`file`], checking `open()` against the task's profile;
//! - [`report`], the kernel log line of a denial;
//! - [`path`], resolving a file to the path rules are written against;
//! - [`manage`], policy loads and removals, for the syscall and for securityfs;
//! - [`securityfs`], `/sys/kernel/security/rustlsm/`.

const __LOG_PREFIX: &[u8] = b"rustlsm\0";

pub mod file_dfa;
pub mod glob;
pub mod wire;

mod cred_blob;
mod exec;
mod file;
mod manage;
mod path;
mod policy;
mod report;
mod securityfs;

use kernel::bindings;

/// Compile-time proof that each Rust hook has the exact type `lsm_hook_defs.h` declares.
const _: [bindings::security_list_options; 6] = [
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
        lsm_manage_policy: Some(manage::rustlsm_manage_policy),
    },
];
