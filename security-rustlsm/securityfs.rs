// SPDX-License-Identifier: GPL-2.0-only

//! `/sys/kernel/security/rustlsm/`: the policy interface for systems without the syscall.
//!
//! - `load` (0200): write one policy blob, in one `write()` at offset 0, to add or replace
//!   its profiles;
//! - `remove` (0200): write a profile name to remove it;
//! - `profiles` (0444): one line per loaded profile, `name mode digest`;
//! - `generation` (0444): the number of policy changes since boot;
//! - `abi_version` (0444): the policy format version this kernel reads.
//!
//! Writers must hold `CAP_MAC_ADMIN`, and so must whoever opened the file: a privileged
//! opener handing the descriptor to an unprivileged writer (or the reverse) is refused.

use crate::{
    manage::{self, Op},
    policy, wire,
};
use kernel::{
    bindings,
    error::from_err_ptr,
    ffi::{c_char, c_void},
    prelude::*,
    uaccess::UserPtr,
};

/// Refuses a write unless both the writer and the file's opener hold `CAP_MAC_ADMIN`.
///
/// # Safety
///
/// `file` must point to a valid open file.
unsafe fn check_writer(file: *mut bindings::file) -> Result {
    let cap = bindings::CAP_MAC_ADMIN as i32;
    // SAFETY: `capable` only inspects the current task's creds.
    let writer = unsafe { bindings::capable(cap) };
    // SAFETY: `file` is valid; `init_user_ns` is a static that lives forever.
    let opener = unsafe { bindings::file_ns_capable(file, &raw mut bindings::init_user_ns, cap) };
    if writer && opener {
        Ok(())
    } else {
        Err(EPERM)
    }
}

/// `write` of `load` (`OP` = `LSM_POLICY_LOAD`) and `remove` (`LSM_POLICY_REMOVE`).
///
/// # Safety
///
/// Called by the VFS with a valid file, user buffer and position.
unsafe extern "C" fn request_write<const OP: u32>(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The VFS passes a valid file.
    if let Err(e) = unsafe { check_writer(file) } {
        return e.to_errno() as isize;
    }
    // SAFETY: The VFS passes a valid position pointer.
    if unsafe { *ppos } != 0 {
        // A policy arrives in one write: no appending to a half-written blob.
        return ESPIPE.to_errno() as isize;
    }
    let op = if OP == bindings::LSM_POLICY_REMOVE {
        Op::Remove
    } else {
        Op::Load
    };
    let user = UserPtr::from_ptr(buf.cast_mut().cast::<c_void>());
    match manage::apply(op, user, count, 0) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// A read-only file whose whole text is rendered afresh for each `read`.
trait TextFile {
    /// Appends the file's text to `out`.
    fn render(out: &mut KVec<u8>) -> Result;
}

/// `profiles`: one line per loaded profile.
struct Profiles;

impl TextFile for Profiles {
    fn render(out: &mut KVec<u8>) -> Result {
        policy::list(out)
    }
}

/// `generation`: the number of policy changes since boot.
struct Generation;

impl TextFile for Generation {
    fn render(out: &mut KVec<u8>) -> Result {
        policy::push_decimal(out, policy::generation())?;
        Ok(out.push(b'\n', GFP_KERNEL)?)
    }
}

/// `abi_version`: the policy format version this kernel reads.
struct AbiVersion;

impl TextFile for AbiVersion {
    fn render(out: &mut KVec<u8>) -> Result {
        policy::push_decimal(out, u64::from(wire::VERSION))?;
        Ok(out.push(b'\n', GFP_KERNEL)?)
    }
}

/// `read` of a [`TextFile`].
///
/// # Safety
///
/// Called by the VFS with a valid user buffer and position.
unsafe extern "C" fn text_read<T: TextFile>(
    _file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    let mut text = KVec::new();
    if let Err(e) = T::render(&mut text) {
        return e.to_errno() as isize;
    }
    // SAFETY: `buf` is a user pointer the callee checks, `ppos` is valid, and `text` is valid
    // for `text.len()` bytes.
    unsafe {
        bindings::simple_read_from_buffer(buf.cast(), count, ppos, text.as_ptr().cast(), text.len())
    }
}

const fn write_only<const OP: u32>() -> bindings::file_operations {
    bindings::file_operations {
        write: Some(request_write::<OP>),
        llseek: Some(bindings::noop_llseek),
        ..pin_init::zeroed()
    }
}

const fn read_only<T: TextFile>() -> bindings::file_operations {
    bindings::file_operations {
        read: Some(text_read::<T>),
        llseek: Some(bindings::generic_file_llseek),
        ..pin_init::zeroed()
    }
}

const LOAD_FOPS: bindings::file_operations = write_only::<{ bindings::LSM_POLICY_LOAD }>();
const REMOVE_FOPS: bindings::file_operations = write_only::<{ bindings::LSM_POLICY_REMOVE }>();
const PROFILES_FOPS: bindings::file_operations = read_only::<Profiles>();
const GENERATION_FOPS: bindings::file_operations = read_only::<Generation>();
const ABI_FOPS: bindings::file_operations = read_only::<AbiVersion>();

/// Creates the directory and its files. Runs as the LSM's `fs` initcall.
#[no_mangle]
pub(crate) extern "C" fn rustlsm_securityfs_init() -> kernel::ffi::c_int {
    match create_files() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

fn create_files() -> Result {
    // SAFETY: Called once at boot from process context; the name is a static C string.
    let dir =
        unsafe { bindings::securityfs_create_dir(c"rustlsm".as_char_ptr(), core::ptr::null_mut()) };
    let dir = from_err_ptr(dir)?;
    let files: [(&CStr, u16, &'static bindings::file_operations); 5] = [
        (c"load", 0o200, &LOAD_FOPS),
        (c"remove", 0o200, &REMOVE_FOPS),
        (c"profiles", 0o444, &PROFILES_FOPS),
        (c"generation", 0o444, &GENERATION_FOPS),
        (c"abi_version", 0o444, &ABI_FOPS),
    ];
    for (name, mode, fops) in files {
        // SAFETY: `dir` is a valid securityfs directory; `name` and `fops` are static.
        let file = unsafe {
            bindings::securityfs_create_file(
                name.as_char_ptr(),
                mode,
                dir,
                core::ptr::null_mut(),
                fops,
            )
        };
        if let Err(e) = from_err_ptr(file) {
            // SAFETY: `dir` was created above; removing it removes what was made in it.
            unsafe { bindings::securityfs_remove(dir) };
            return Err(e);
        }
    }
    Ok(())
}
