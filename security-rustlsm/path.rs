// SPDX-License-Identifier: GPL-2.0-only

//! Resolving a file, or a name in a directory, to the absolute path that profile rules are
//! written against.

use kernel::{bindings, error::from_err_ptr, ffi::c_int, prelude::*};

const PATH_MAX: usize = bindings::PATH_MAX as usize;

/// A path, as `d_path()` renders it from the caller's root.
///
/// # Invariants
///
/// `buf` has a capacity of `PATH_MAX` bytes, of which `start..PATH_MAX` were written by
/// `d_path` (the path and its NUL); the rest is never read.
pub(crate) struct ResolvedPath {
    buf: KVec<u8>,
    start: usize,
}

impl ResolvedPath {
    /// Resolves `path`. Sleeps for the allocation (not zeroed: only what `d_path` writes is
    /// read); `Err(ENAMETOOLONG)` past `PATH_MAX`.
    ///
    /// # Safety
    ///
    /// `path` must point to a valid `struct path` whose dentry has a parent chain (a dentry
    /// being created, removed or renamed under a held directory qualifies).
    pub(crate) unsafe fn of(path: *const bindings::path) -> Result<Self> {
        let mut buf = KVec::<u8>::with_capacity(PATH_MAX, GFP_KERNEL)?;
        let base = buf.spare_capacity_mut().as_mut_ptr().cast::<u8>();
        // SAFETY: The caller guarantees `path` is valid; `base` is writable for `PATH_MAX`
        // bytes, which fits in a `c_int`.
        let end = unsafe { bindings::d_path(path, base.cast(), PATH_MAX as c_int) };
        let end = from_err_ptr(end)?;
        // `d_path` writes the string, NUL-terminated, at the end of the buffer and returns
        // its start; the difference of the two addresses is the offset into `buf`.
        let start = (end as usize).wrapping_sub(base as usize);
        if start >= PATH_MAX {
            return Err(EINVAL);
        }
        // INVARIANT: `d_path` wrote `start..PATH_MAX`.
        Ok(ResolvedPath { buf, start })
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
        // SAFETY: By the type invariant, `start..PATH_MAX` of the allocation is initialized,
        // and `start < PATH_MAX`, so the range below is in bounds and initialized.
        unsafe {
            core::slice::from_raw_parts(
                self.buf.as_ptr().add(self.start),
                PATH_MAX - 1 - self.start,
            )
        }
    }
}
