// SPDX-License-Identifier: GPL-2.0-only

//! Resolving a file, or a name in a directory, to the absolute path that profile rules are
//! written against.
//!
//! Paths are rendered from the root of the mount namespace (`d_absolute_path`), never from
//! the task's root, so `chroot()` does not change what rules see, and never with the
//! `" (deleted)"` suffix `d_path()` appends to unhashed dentries: a name being created is its
//! directory's path plus the name, and an open file that was unlinked keeps its former name.
//! This is AppArmor's default. Files of the kernel's internal mounts (pipes, sockets, pidfds,
//! memfds) keep the names `d_path()` gives them (`pipe:[42]`) and are marked internal: only
//! executing them is mediated (see [`crate::access`]).
//! A path that cannot be reached from the namespace root (a detached mount, a dentry that
//! escaped a bind mount) is rendered `disconnected:` followed by its path within its file
//! system: no rule matches it, so it is refused, unless the profile attaches disconnected
//! paths, which are then matched by their path within their file system.

use crate::accessors;
use core::mem::MaybeUninit;
use kernel::{bindings, error::from_err_ptr, ffi::c_int, prelude::*};

const PATH_MAX: usize = bindings::PATH_MAX as usize;

/// Paths up to this long are resolved on the stack: no allocation on the common path.
const SHORT: usize = 256;

/// What a path that cannot be reached from the namespace root starts with.
pub(crate) const DISCONNECTED: &[u8] = b"disconnected:";

/// What a POSIX message queue's name starts with: queues live on an internal mount, but
/// they are shared objects between programs, so they are mediated under this name (which no
/// path pattern matches: confined tasks cannot open queues).
pub(crate) const MQUEUE: &[u8] = b"mqueue:";

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

impl Buffer {
    fn storage(&mut self) -> &mut [MaybeUninit<u8>] {
        match self {
            Buffer::Stack(a) => a,
            Buffer::Heap(v) => v.spare_capacity_mut(),
        }
    }

    fn storage_ref(&self) -> (*const u8, usize) {
        match self {
            Buffer::Stack(a) => (a.as_ptr().cast::<u8>(), SHORT),
            Buffer::Heap(v) => (v.as_ptr(), v.capacity()),
        }
    }
}

/// A path, as rules see it.
///
/// # Invariants
///
/// `start..start + len` of `buf`'s storage is initialized and in bounds.
pub(crate) struct ResolvedPath {
    buf: Buffer,
    start: usize,
    len: usize,
    internal: bool,
}

/// Which kernel function renders a path.
#[derive(Clone, Copy)]
enum Renderer {
    /// `d_absolute_path`: from the mount namespace's root.
    Absolute,
    /// `d_path`: for internal mounts, whose dentries name themselves (`pipe:[42]`).
    Named,
    /// `dentry_path_raw`: within the dentry's file system, for disconnected paths.
    InFileSystem,
}

/// Renders `path` with `how` into `storage`; returns where the string starts and its length
/// (without the NUL the renderers put in the last byte).
///
/// # Safety
///
/// `path` must be valid as for [`ResolvedPath::of`].
unsafe fn render(
    how: Renderer,
    path: *const bindings::path,
    storage: &mut [MaybeUninit<u8>],
) -> Result<(usize, usize)> {
    let size = storage.len();
    let last = storage.last_mut().ok_or(EINVAL)?;
    // The renderers end the string with a NUL in the last byte; anything else means the
    // string is not where it is expected, and the path is refused rather than misread.
    last.write(1);
    let base = storage.as_mut_ptr().cast::<u8>();
    let len = c_int::try_from(size).map_err(|_| EINVAL)?;
    // SAFETY: The caller guarantees `path`; `base` is writable for `len` bytes.
    let end = unsafe {
        match how {
            Renderer::Absolute => bindings::d_absolute_path(path, base.cast(), len),
            Renderer::Named => bindings::d_path(path, base.cast(), len),
            Renderer::InFileSystem => bindings::dentry_path_raw((*path).dentry, base.cast(), len),
        }
    };
    let end = from_err_ptr(end)?;
    let start = (end as usize).wrapping_sub(base as usize);
    // SAFETY: The last byte was written above (and perhaps again by the renderer).
    if start >= size || unsafe { storage[size - 1].assume_init() } != 0 {
        return Err(EINVAL);
    }
    Ok((start, size - 1 - start))
}

/// Writes `prefix` just before the rendered string at `start..start + len`; returns the
/// marked string's start and length.
fn mark(
    storage: &mut [MaybeUninit<u8>],
    start: usize,
    len: usize,
    prefix: &[u8],
) -> Result<(usize, usize)> {
    let at = start.checked_sub(prefix.len()).ok_or(ENAMETOOLONG)?;
    for (slot, byte) in storage[at..start].iter_mut().zip(prefix) {
        slot.write(*byte);
    }
    Ok((at, len + prefix.len()))
}

impl ResolvedPath {
    fn empty_stack() -> Self {
        // INVARIANT: An empty range is trivially initialized.
        ResolvedPath {
            buf: Buffer::Stack([MaybeUninit::uninit(); SHORT]),
            start: 0,
            len: 0,
            internal: false,
        }
    }

    fn heap() -> Result<Self> {
        // INVARIANT: As above.
        Ok(ResolvedPath {
            buf: Buffer::Heap(KVec::with_capacity(PATH_MAX, GFP_KERNEL)?),
            start: 0,
            len: 0,
            internal: false,
        })
    }

    /// Renders `path` into this buffer.
    ///
    /// # Safety
    ///
    /// `path` must be valid as for [`ResolvedPath::of`].
    unsafe fn fill(&mut self, path: *const bindings::path) -> Result {
        let storage = self.buf.storage();
        // SAFETY: Guaranteed by the caller.
        let (start, len) = match unsafe { render(Renderer::Absolute, path, storage) } {
            Ok(found) => found,
            Err(e) if e != EINVAL => return Err(e),
            // SAFETY: Guaranteed by the caller.
            Err(_) if unsafe { accessors::is_mqueue(path) } => {
                // SAFETY: As above.
                let (start, len) = unsafe { render(Renderer::InFileSystem, path, storage)? };
                mark(storage, start, len, MQUEUE)?
            }
            // SAFETY: As above.
            Err(_) if unsafe { accessors::is_internal_mount(path) } => {
                self.internal = true;
                // SAFETY: As above.
                unsafe { render(Renderer::Named, path, storage)? }
            }
            Err(_) => {
                // SAFETY: As above.
                let (start, len) = unsafe { render(Renderer::InFileSystem, path, storage)? };
                mark(storage, start, len, DISCONNECTED)?
            }
        };
        // INVARIANT: `render` wrote `start..start + len`, and the mark (if any) was written.
        self.start = start;
        self.len = len;
        Ok(())
    }

    /// Resolves `path`: on the stack when it is shorter than [`SHORT`] bytes, otherwise in a
    /// `PATH_MAX` allocation (which may sleep). `Err(ENAMETOOLONG)` past `PATH_MAX`.
    ///
    /// # Safety
    ///
    /// `path` must point to a valid `struct path` whose dentry has a parent chain (a dentry
    /// being removed or renamed under a held directory qualifies).
    pub(crate) unsafe fn of(path: *const bindings::path) -> Result<Self> {
        let mut resolved = Self::empty_stack();
        // SAFETY: Guaranteed by the caller.
        match unsafe { resolved.fill(path) } {
            Ok(()) => return Ok(resolved),
            Err(e) if e != ENAMETOOLONG => return Err(e),
            Err(_) => {}
        }
        let mut resolved = Self::heap()?;
        // SAFETY: Guaranteed by the caller.
        unsafe { resolved.fill(path)? };
        Ok(resolved)
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

    /// Appends `/name` to the directory path held here, in place when it fits.
    fn push_name(&mut self, name: &[u8]) -> Result {
        // Only a root ends with a slash: `/`, or `mqueue:/` for a queue being created.
        let dir_is_root = self.bytes().ends_with(b"/");
        let sep = usize::from(!dir_is_root);
        let total = self
            .len
            .checked_add(sep + name.len())
            .filter(|&t| t < PATH_MAX)
            .ok_or(ENAMETOOLONG)?;
        let (start, len) = (self.start, self.len);
        let storage = self.buf.storage();
        if total > storage.len() {
            return Err(ENAMETOOLONG);
        }
        // Move the directory's path to the front, then write the separator and the name.
        storage.copy_within(start..start + len, 0);
        if sep == 1 {
            storage[len].write(b'/');
        }
        for (slot, byte) in storage[len + sep..total].iter_mut().zip(name) {
            slot.write(*byte);
        }
        // INVARIANT: `0..total` now holds the moved directory path, the separator and the
        // name, all written above.
        self.start = 0;
        self.len = total;
        Ok(())
    }

    /// Resolves the name `dentry` in the directory `dir` as the directory's path plus the
    /// name, whatever state the dentry is in (being created, negative, or about to go).
    ///
    /// # Safety
    ///
    /// `dir` must point to a valid path and `dentry` to a dentry in that directory, both held
    /// by the caller for the duration of the call, with the directory locked so that the
    /// name is stable.
    pub(crate) unsafe fn of_entry(
        dir: *const bindings::path,
        dentry: *const bindings::dentry,
    ) -> Result<Self> {
        // SAFETY: The caller holds the dentry and locks its directory.
        let name = unsafe { accessors::dentry_name(dentry) };
        // SAFETY: The caller guarantees `dir`.
        let mut resolved = unsafe { Self::of(dir)? };
        if resolved.bytes().starts_with(DISCONNECTED) || resolved.push_name(name).is_ok() {
            return Ok(resolved);
        }
        let mut resolved = Self::heap()?;
        // SAFETY: As above.
        unsafe { resolved.fill(dir)? };
        resolved.push_name(name)?;
        Ok(resolved)
    }

    /// Resolves an existing dentry reached on `dir`'s mount (the source of a hard link).
    ///
    /// # Safety
    ///
    /// `dir` must point to a valid path and `dentry` to a dentry held by the caller on the
    /// same mount.
    pub(crate) unsafe fn on_mount_of(
        dir: *const bindings::path,
        dentry: *mut bindings::dentry,
    ) -> Result<Self> {
        let path = bindings::path {
            // SAFETY: The caller guarantees `dir` is valid.
            mnt: unsafe { (*dir).mnt },
            dentry,
        };
        // SAFETY: `path` names `dentry` on `dir`'s mount.
        unsafe { Self::of(&path) }
    }

    /// Whether the file lives on one of the kernel's internal mounts (a pipe, socket, pidfd,
    /// memfd...), which only system calls other than `open()` create.
    pub(crate) fn is_internal(&self) -> bool {
        self.internal
    }

    /// The path rules are matched against under a profile that does (`attach_disconnected`)
    /// or does not attach disconnected paths: a disconnected path is then matched by its
    /// path within its file system, otherwise by its marked form, which no rule matches.
    pub(crate) fn for_rules(&self, attach_disconnected: bool) -> &[u8] {
        let bytes = self.bytes();
        match bytes.strip_prefix(DISCONNECTED) {
            Some(within) if attach_disconnected => within,
            _ => bytes,
        }
    }

    /// The path's bytes, without the terminating NUL.
    pub(crate) fn bytes(&self) -> &[u8] {
        let (base, size) = self.buf.storage_ref();
        if self.start.saturating_add(self.len) > size {
            return &[];
        }
        // SAFETY: By the type invariant `start..start + len` is initialized and, as checked,
        // in bounds.
        unsafe { core::slice::from_raw_parts(base.add(self.start), self.len) }
    }
}
