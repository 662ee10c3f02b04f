// SPDX-License-Identifier: GPL-2.0-only

//! Resolving a file, or a name in a directory, to the absolute path that profile rules are
//! written against.

use core::mem::MaybeUninit;
use kernel::{bindings, error::from_err_ptr, ffi::c_int, prelude::*};

const PATH_MAX: usize = bindings::PATH_MAX as usize;

/// Paths up to this long are resolved on the stack: no allocation on the common path.
const SHORT: usize = 256;

/// Where a resolved path lives.
#[expect(
    clippy::large_enum_variant,
    reason = "the large variant is the point: short paths stay off the heap"
)]
enum Buffer {
    /// Paths shorter than [`SHORT`] bytes.
    Stack([MaybeUninit<u8>; SHORT]),
    /// Longer paths, up to `PATH_MAX` (capacity `PATH_MAX`, length 0).
    Heap(KVec<u8>),
}

/// A path, as `d_path()` renders it from the caller's root.
///
/// # Invariants
///
/// `start..len` of `buf`'s storage (`len` being its size, [`SHORT`] or `PATH_MAX`) was written
/// by `d_path`: the path and its NUL. Nothing else of the storage is read.
pub(crate) struct ResolvedPath {
    buf: Buffer,
    start: usize,
}

/// Runs `d_path` into `storage`; returns where the path starts.
///
/// # Safety
///
/// `path` must be valid as for [`ResolvedPath::of`].
unsafe fn render(path: *const bindings::path, storage: &mut [MaybeUninit<u8>]) -> Result<usize> {
    let base = storage.as_mut_ptr().cast::<u8>();
    let len = c_int::try_from(storage.len()).map_err(|_| EINVAL)?;
    // SAFETY: The caller guarantees `path`; `base` is writable for `len` bytes.
    let end = unsafe { bindings::d_path(path, base.cast(), len) };
    let end = from_err_ptr(end)?;
    // `d_path` writes the string, NUL-terminated, at the end of the buffer and returns its
    // start; the difference of the two addresses is the offset into the storage.
    let start = (end as usize).wrapping_sub(base as usize);
    if start >= storage.len() {
        return Err(EINVAL);
    }
    Ok(start)
}

impl ResolvedPath {
    /// Resolves `path`: on the stack when it is shorter than [`SHORT`] bytes, otherwise in a
    /// `PATH_MAX` allocation (which may sleep). `Err(ENAMETOOLONG)` past `PATH_MAX`.
    ///
    /// # Safety
    ///
    /// `path` must point to a valid `struct path` whose dentry has a parent chain (a dentry
    /// being created, removed or renamed under a held directory qualifies).
    pub(crate) unsafe fn of(path: *const bindings::path) -> Result<Self> {
        let mut stack = [MaybeUninit::<u8>::uninit(); SHORT];
        // SAFETY: Guaranteed by the caller.
        match unsafe { render(path, &mut stack) } {
            // INVARIANT: `render` wrote `start..SHORT`.
            Ok(start) => {
                return Ok(ResolvedPath {
                    buf: Buffer::Stack(stack),
                    start,
                })
            }
            Err(e) if e != ENAMETOOLONG => return Err(e),
            Err(_) => {}
        }
        let mut heap = KVec::<u8>::with_capacity(PATH_MAX, GFP_KERNEL)?;
        // SAFETY: Guaranteed by the caller.
        let start = unsafe { render(path, heap.spare_capacity_mut())? };
        // INVARIANT: `render` wrote `start..PATH_MAX` of the allocation.
        Ok(ResolvedPath {
            buf: Buffer::Heap(heap),
            start,
        })
    }

    /// Resolves the path of an open file.
    ///
    /// # Safety
    ///
    /// `file` must point to a valid, open file.
    pub(crate) unsafe fn of_file(file: *const bindings::file) -> Result<Self> {
        // SAFETY: An open file's `f_path` is valid while the file is.
        unsafe { Self::of(&raw const (*file).__bindgen_anon_1.f_path) }
    }

    /// Resolves the name `dentry` in the directory `dir` (which need not exist yet).
    ///
    /// # Safety
    ///
    /// `dir` must point to a valid path and `dentry` to a dentry in that directory, both held
    /// by the caller for the duration of the call.
    pub(crate) unsafe fn of_entry(
        dir: *const bindings::path,
        dentry: *mut bindings::dentry,
    ) -> Result<Self> {
        let path = bindings::path {
            // SAFETY: The caller guarantees `dir` is valid.
            mnt: unsafe { (*dir).mnt },
            dentry,
        };
        // SAFETY: `path` names `dentry` on `dir`'s mount, as `d_path` needs.
        unsafe { Self::of(&path) }
    }

    /// The path's bytes, without the terminating NUL.
    pub(crate) fn bytes(&self) -> &[u8] {
        let (base, len) = match &self.buf {
            Buffer::Stack(a) => (a.as_ptr().cast::<u8>(), SHORT),
            Buffer::Heap(v) => (v.as_ptr(), PATH_MAX),
        };
        // SAFETY: By the type invariant, `start..len` of the storage is initialized and
        // `start < len`, so the range below (without the NUL) is in bounds and initialized.
        unsafe { core::slice::from_raw_parts(base.add(self.start), len - 1 - self.start) }
    }
}
