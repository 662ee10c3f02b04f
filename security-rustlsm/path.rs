// SPDX-License-Identifier: GPL-2.0-only

//! Resolving an open file to the absolute path that profile rules are written against.

use kernel::{bindings, error::from_err_ptr, ffi::c_int, prelude::*};

const PATH_MAX: usize = bindings::PATH_MAX as usize;

/// The path of an open file, as `d_path()` renders it from the caller's root.
pub(crate) struct FilePath {
    buf: KVec<u8>,
    start: usize,
}

impl FilePath {
    /// Resolves `file`. Sleeps for the allocation; `Err(ENAMETOOLONG)` past `PATH_MAX`.
    ///
    /// # Safety
    ///
    /// `file` must point to a valid, open file.
    pub(crate) unsafe fn of(file: *const bindings::file) -> Result<Self> {
        let mut buf = KVec::from_elem(0u8, PATH_MAX, GFP_KERNEL)?;
        // SAFETY: The caller guarantees `file` is valid, so is its `f_path`; `buf` is writable
        // for `PATH_MAX` bytes, which fits in a `c_int`.
        let end = unsafe {
            bindings::d_path(
                &raw const (*file).__bindgen_anon_1.f_path,
                buf.as_mut_ptr().cast(),
                PATH_MAX as c_int,
            )
        };
        let end = from_err_ptr(end)?;
        // `d_path` writes the string, NUL-terminated, at the end of the buffer and returns
        // its start; the difference of the two addresses is the offset into `buf`.
        let start = (end as usize).wrapping_sub(buf.as_ptr() as usize);
        if start >= PATH_MAX {
            return Err(EINVAL);
        }
        Ok(FilePath { buf, start })
    }

    /// The path's bytes, without the terminating NUL.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.buf.get(self.start..PATH_MAX - 1).unwrap_or(&[])
    }
}
