// SPDX-License-Identifier: GPL-2.0-only

//! `/sys/kernel/security/rustlsm/`: the policy interface for systems without the syscall.
//!
//! - `load` (0200): write one policy blob, in one `write()` at offset 0, to add or replace
//!   its profiles;
//! - `remove` (0200): write a profile name to remove it;
//! - `profiles` (0444): one line per loaded profile, `name mode digest`;
//! - `policy` (0400): the loaded profiles as one blob, in the format `load` takes;
//! - `generation` (0444): the number of policy changes since boot;
//! - `abi_version` (0444): the policy format version this kernel reads.
//!
//! Writers must hold `CAP_MAC_ADMIN`, and so must whoever opened the file: a privileged
//! opener handing the descriptor to an unprivileged writer (or the reverse) is refused.

use crate::{
    manage::{self, Op},
    policy, report, wire,
};
use kernel::{
    bindings, cred,
    fs::LocalFile,
    prelude::*,
    securityfs::{Dir, Request, Snapshot},
    uaccess::UserSliceReader,
};

/// Refuses a write unless both the writer and the file's opener hold `CAP_MAC_ADMIN`, and
/// the writer runs unconfined.
fn check_writer(file: &LocalFile) -> Result {
    let cap = bindings::CAP_MAC_ADMIN as i32;
    match (cred::capable(cap), file.opener_capable(cap)) {
        (true, true) => manage::refuse_confined_caller("securityfs"),
        (false, _) => {
            report::policy_refusal("securityfs", "the writer lacks CAP_MAC_ADMIN");
            Err(EPERM)
        }
        (true, false) => {
            report::policy_refusal("securityfs", "the opener lacked CAP_MAC_ADMIN");
            Err(EPERM)
        }
    }
}

/// Copies a request written to securityfs, within the system call's limits, and carries it
/// out for a writer [`check_writer`] allowed.
fn copy_and_apply(op: Op, data: UserSliceReader, len: usize) -> Result {
    if len == 0 {
        return Err(EINVAL);
    }
    if len > wire::MAX_BLOB_LEN {
        return Err(E2BIG);
    }
    let mut buf = KVVec::new();
    data.read_all(&mut buf, GFP_KERNEL)?;
    manage::apply(op, &buf, 0).map(|_| ())
}

/// `load` (`REMOVE` false): a policy blob whose profiles are added or replaced; `remove`
/// (`REMOVE` true): the name of a profile to remove.
struct PolicyRequest<const REMOVE: bool>;

impl<const REMOVE: bool> Request for PolicyRequest<REMOVE> {
    fn authorize(file: &LocalFile) -> Result {
        check_writer(file)
    }

    fn write(_file: &LocalFile, data: UserSliceReader, len: usize) -> Result {
        let op = if REMOVE { Op::Remove } else { Op::Load };
        copy_and_apply(op, data, len)
    }
}

/// `profiles`: one line per loaded profile.
struct Profiles;

impl Snapshot for Profiles {
    fn render(out: &mut KVVec<u8>) -> Result {
        policy::list(out)
    }
}

/// `policy`: the loaded policy as one blob, as `load` takes it.
struct PolicyBlob;

impl Snapshot for PolicyBlob {
    fn render(out: &mut KVVec<u8>) -> Result {
        policy::dump(out)
    }
}

/// `generation`: the number of policy changes since boot.
struct Generation;

impl Snapshot for Generation {
    fn render(out: &mut KVVec<u8>) -> Result {
        policy::push_decimal(out, policy::generation())?;
        Ok(out.push(b'\n', GFP_KERNEL)?)
    }
}

/// `abi_version`: the policy format version this kernel reads.
struct AbiVersion;

impl Snapshot for AbiVersion {
    fn render(out: &mut KVVec<u8>) -> Result {
        policy::push_decimal(out, u64::from(wire::VERSION))?;
        Ok(out.push(b'\n', GFP_KERNEL)?)
    }
}

/// Creates the directory and its files. Runs as the LSM's `fs` initcall.
#[no_mangle]
pub(crate) extern "C" fn rustlsm_securityfs_init() -> kernel::ffi::c_int {
    match create_files() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

fn create_files() -> Result {
    let dir = Dir::create(c"rustlsm")?;
    dir.request::<PolicyRequest<false>>(c"load", 0o200)?;
    dir.request::<PolicyRequest<true>>(c"remove", 0o200)?;
    dir.snapshot::<Profiles>(c"profiles", 0o444)?;
    dir.snapshot::<PolicyBlob>(c"policy", 0o400)?;
    dir.snapshot::<Generation>(c"generation", 0o444)?;
    dir.snapshot::<AbiVersion>(c"abi_version", 0o444)?;
    // On an error above, dropping `dir` removes it with whatever was made in it.
    dir.keep();
    Ok(())
}
