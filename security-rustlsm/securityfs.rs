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

/// Shared body of the two write-only files.
///
/// # Safety
///
/// Called from a `write` file operation with its arguments.
unsafe fn write_request(
    op: Op,
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
    let user = UserPtr::from_ptr(buf.cast_mut().cast::<c_void>());
    match manage::apply(op, user, count, 0) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `write` of `load`: adds or replaces the profiles of one policy blob.
///
/// # Safety
///
/// Called by the VFS with a valid file, user buffer and position.
unsafe extern "C" fn load_write(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: Called by the VFS with valid arguments.
    unsafe { write_request(Op::Load, file, buf, count, ppos) }
}

/// `write` of `remove`: removes the profile named by the written bytes.
///
/// # Safety
///
/// Called by the VFS with a valid file, user buffer and position.
unsafe extern "C" fn remove_write(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: Called by the VFS with valid arguments.
    unsafe { write_request(Op::Remove, file, buf, count, ppos) }
}

/// Copies the part of `text` at `*ppos` to user space.
///
/// # Safety
///
/// Called from a `read` file operation with its arguments.
unsafe fn read_text(
    text: &[u8],
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `buf` is a user pointer checked by the callee, `ppos` is valid, and `text` is
    // valid for `text.len()` bytes.
    unsafe {
        bindings::simple_read_from_buffer(buf.cast(), count, ppos, text.as_ptr().cast(), text.len())
    }
}

/// `read` of `profiles`.
///
/// # Safety
///
/// Called by the VFS with a valid file, user buffer and position.
unsafe extern "C" fn profiles_read(
    _file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    let mut text = KVec::new();
    if let Err(e) = policy::list(&mut text) {
        return e.to_errno() as isize;
    }
    // SAFETY: Called by the VFS with valid arguments.
    unsafe { read_text(&text, buf, count, ppos) }
}

/// Shared body of the files that show one number.
///
/// # Safety
///
/// Called from a `read` file operation with its buffer and position.
unsafe fn number_read(
    value: u64,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    let mut text = KVec::new();
    if let Err(e) = policy::push_decimal(&mut text, value).and_then(|()| {
        text.push(b'\n', GFP_KERNEL)?;
        Ok(())
    }) {
        return e.to_errno() as isize;
    }
    // SAFETY: Called by the VFS with valid arguments.
    unsafe { read_text(&text, buf, count, ppos) }
}

/// `read` of `generation`.
///
/// # Safety
///
/// Called by the VFS with a valid file, user buffer and position.
unsafe extern "C" fn generation_read(
    _file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: Called by the VFS with valid arguments.
    unsafe { number_read(policy::generation(), buf, count, ppos) }
}

/// `read` of `abi_version`.
///
/// # Safety
///
/// Called by the VFS with a valid file, user buffer and position.
unsafe extern "C" fn abi_read(
    _file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: Called by the VFS with valid arguments.
    unsafe { number_read(u64::from(wire::VERSION), buf, count, ppos) }
}

const LOAD_FOPS: bindings::file_operations = bindings::file_operations {
    write: Some(load_write),
    llseek: Some(bindings::noop_llseek),
    ..pin_init::zeroed()
};

const REMOVE_FOPS: bindings::file_operations = bindings::file_operations {
    write: Some(remove_write),
    llseek: Some(bindings::noop_llseek),
    ..pin_init::zeroed()
};

const PROFILES_FOPS: bindings::file_operations = bindings::file_operations {
    read: Some(profiles_read),
    llseek: Some(bindings::generic_file_llseek),
    ..pin_init::zeroed()
};

const GENERATION_FOPS: bindings::file_operations = bindings::file_operations {
    read: Some(generation_read),
    llseek: Some(bindings::generic_file_llseek),
    ..pin_init::zeroed()
};

const ABI_FOPS: bindings::file_operations = bindings::file_operations {
    read: Some(abi_read),
    llseek: Some(bindings::generic_file_llseek),
    ..pin_init::zeroed()
};

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
