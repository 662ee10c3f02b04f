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
    bindings,
    error::from_err_ptr,
    ffi::{c_char, c_int, c_void},
    prelude::*,
    uaccess::{UserPtr, UserSlice},
};

/// Refuses a write unless both the writer and the file's opener hold `CAP_MAC_ADMIN`, and
/// the writer runs unconfined.
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
    match (writer, opener) {
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
    match copy_and_apply(op, buf, count) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Copies a request written to securityfs, within the system call's limits, and carries it
/// out.
fn copy_and_apply(op: Op, buf: *const c_char, count: usize) -> Result {
    if count == 0 {
        return Err(EINVAL);
    }
    if count > wire::MAX_BLOB_LEN {
        return Err(E2BIG);
    }
    let mut data = KVVec::new();
    let user = UserPtr::from_ptr(buf.cast_mut().cast::<c_void>());
    UserSlice::new(user, count).read_all(&mut data, GFP_KERNEL)?;
    manage::apply(op, &data, 0)
}

/// A read-only file whose contents are rendered once, when it is opened: every `read` of
/// that open file sees the same snapshot, however the policy changes meanwhile.
trait Snapshot {
    /// Appends the file's contents to `out`.
    fn render(out: &mut KVVec<u8>) -> Result;
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

/// `open` of a [`Snapshot`] file: renders it into a buffer owned by the open file.
///
/// # Safety
///
/// Called by the VFS with a valid inode and file.
unsafe extern "C" fn snapshot_open<T: Snapshot>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    let mut contents = KVVec::new();
    if let Err(e) = T::render(&mut contents) {
        return e.to_errno();
    }
    match KBox::new(contents, GFP_KERNEL) {
        Ok(snapshot) => {
            // SAFETY: `file` is valid and not yet shared; `snapshot_release` takes the box back.
            unsafe { (*file).private_data = KBox::into_raw(snapshot).cast() };
            0
        }
        Err(e) => Error::from(e).to_errno(),
    }
}

/// `read` of a [`Snapshot`] file.
///
/// # Safety
///
/// Called by the VFS with a file opened by [`snapshot_open`], a user buffer and a position.
unsafe extern "C" fn snapshot_read(
    file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `snapshot_open` stored a live `KVVec<u8>` here, released only on the last close.
    let contents = unsafe { &*(*file).private_data.cast::<KVVec<u8>>() };
    // SAFETY: `buf` is a user pointer the callee checks, `ppos` is valid, and `contents` is
    // valid for its length.
    unsafe {
        bindings::simple_read_from_buffer(
            buf.cast(),
            count,
            ppos,
            contents.as_ptr().cast(),
            contents.len(),
        )
    }
}

/// `release` of a [`Snapshot`] file: frees what [`snapshot_open`] rendered.
///
/// # Safety
///
/// Called by the VFS once, on the last close of a file opened by [`snapshot_open`].
unsafe extern "C" fn snapshot_release(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `snapshot_open` stored a box made by `KBox::into_raw`; this is its only release.
    drop(unsafe { KBox::from_raw((*file).private_data.cast::<KVVec<u8>>()) });
    0
}

const fn write_only<const OP: u32>() -> bindings::file_operations {
    bindings::file_operations {
        write: Some(request_write::<OP>),
        llseek: Some(bindings::noop_llseek),
        ..pin_init::zeroed()
    }
}

const fn read_only<T: Snapshot>() -> bindings::file_operations {
    bindings::file_operations {
        open: Some(snapshot_open::<T>),
        read: Some(snapshot_read),
        release: Some(snapshot_release),
        llseek: Some(bindings::generic_file_llseek),
        ..pin_init::zeroed()
    }
}

const LOAD_FOPS: bindings::file_operations = write_only::<{ bindings::LSM_POLICY_LOAD }>();
const REMOVE_FOPS: bindings::file_operations = write_only::<{ bindings::LSM_POLICY_REMOVE }>();
const PROFILES_FOPS: bindings::file_operations = read_only::<Profiles>();
const POLICY_FOPS: bindings::file_operations = read_only::<PolicyBlob>();
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
    let files: [(&CStr, u16, &'static bindings::file_operations); 6] = [
        (c"load", 0o200, &LOAD_FOPS),
        (c"remove", 0o200, &REMOVE_FOPS),
        (c"profiles", 0o444, &PROFILES_FOPS),
        (c"policy", 0o400, &POLICY_FOPS),
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
