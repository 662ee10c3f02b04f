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
//!
//! A file under the checking task's own pid directory in procfs (`/proc/1234/status` for
//! task 1234) has a second name for rules, with that component spelled `self`
//! (`/proc/self/status`): rules on `/proc/self/...` reach a task's own entries and no other
//! process's, which no pattern over pids can say.

use crate::accessors;
use core::mem::MaybeUninit;
use kernel::{
    bindings,
    cred::Credential,
    fs::{Dentry, Inode, LocalFile, Path},
    prelude::*,
};

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
    /// For a file under the current task's own procfs pid directory: how many components
    /// follow that directory's (see [`ResolvedPath::own_proc_alias`]).
    own_proc: Option<usize>,
}

/// The `self` spelling of a path under the task's own procfs pid directory, in three
/// parts: what comes before the pid component, `self`, and what follows it.
pub(crate) struct ProcAlias<'a> {
    head: &'a [u8],
    tail: &'a [u8],
}

impl<'a> ProcAlias<'a> {
    pub(crate) fn parts(&self) -> [&'a [u8]; 3] {
        [self.head, b"self", self.tail]
    }
}

/// `bytes` split around the pid component that `depth` components from its end precede:
/// what comes before it and what follows it (`/proc/1234/fd/3`, 2: `/proc/` and `/fd/3`).
/// `None` unless that component is a decimal number.
pub(crate) fn split_pid_component(bytes: &[u8], depth: usize) -> Option<(&[u8], &[u8])> {
    let mut slashes = bytes
        .iter()
        .enumerate()
        .rev()
        .filter(|&(_, &b)| b == b'/')
        .map(|(i, _)| i);
    let end = match depth {
        0 => bytes.len(),
        _ => slashes.nth(depth - 1)?,
    };
    let start = slashes.next()? + 1;
    let pid = bytes.get(start..end)?;
    if pid.is_empty() || !pid.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((bytes.get(..start)?, bytes.get(end..)?))
}

/// What a path check is about: an open file, a held path, or a name in a directory.
#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    /// An open file.
    File(&'a LocalFile),
    /// A held path (`truncate()`, `chmod()`, a socket's path...).
    Path(&'a Path),
    /// The entry `name` of the directory at the path (being created, removed or renamed),
    /// and the file it names or is to name.
    Entry(&'a Path, &'a [u8], Object<'a>),
}

/// The file an entry names or is to name, for `owner` rules.
#[derive(Clone, Copy)]
pub(crate) enum Object<'a> {
    /// One the operation makes (a create, a directory, a symlink): the task's own, as the
    /// new inode takes its filesystem user ID.
    New,
    /// An existing file, and the one a rename replaces or exchanges it with: the task must
    /// own both for an owner rule to count.
    Existing(&'a Inode, Option<&'a Inode>),
    /// None that the hook can see: owned by no one.
    Unknown,
}

impl<'a> Object<'a> {
    /// The file `dentry` names, if it names one.
    pub(crate) fn named_by(dentry: &'a Dentry) -> Self {
        dentry
            .inode()
            .map_or(Object::Unknown, |inode| Object::Existing(inode, None))
    }
}

impl<'a> Target<'a> {
    /// The held path the target is, if any: a name in a directory is not held.
    pub(crate) fn held(&self) -> Option<&'a Path> {
        match *self {
            Target::File(file) => Some(file.path()),
            Target::Path(path) => Some(path),
            Target::Entry(..) => None,
        }
    }

    /// Whether `cred`'s filesystem user ID owns the file the check is about, as its mount
    /// shows the owner: what `owner` rules ask.
    pub(crate) fn owned_by(&self, cred: &Credential) -> bool {
        match *self {
            Target::File(file) => accessors::owns(cred, file.path(), file.inode()),
            Target::Path(path) => path
                .dentry()
                .inode()
                .is_some_and(|inode| accessors::owns(cred, path, inode)),
            Target::Entry(_, _, Object::New) => true,
            Target::Entry(dir, _, Object::Existing(inode, other)) => {
                accessors::owns(cred, dir, inode)
                    && other.is_none_or(|other| accessors::owns(cred, dir, other))
            }
            Target::Entry(_, _, Object::Unknown) => false,
        }
    }

    /// Resolves the target into `path` (empty).
    pub(crate) fn resolve(&self, path: &mut ResolvedPath) -> Result {
        match *self {
            Target::File(file) => path.resolve_file(file),
            Target::Path(held) => path.resolve(held),
            Target::Entry(dir, name, _) => path.resolve_entry(dir, name),
        }
    }
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
/// (without the NUL the renderers put in the last byte). `storage[start..]` is then
/// initialized.
fn render(how: Renderer, path: &Path, storage: &mut [MaybeUninit<u8>]) -> Result<(usize, usize)> {
    let start = match how {
        Renderer::Absolute => path.render_absolute(storage)?,
        Renderer::Named => path.render_named(storage)?,
        Renderer::InFileSystem => path.dentry().render_in_file_system(storage)?,
    };
    Ok((start, storage.len() - 1 - start))
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
    /// An empty path with its buffer on the stack, for [`Self::resolve`] and its siblings to
    /// fill in place: checks resolve into their own frame, so the buffer is never moved.
    #[inline]
    pub(crate) fn empty() -> Self {
        // INVARIANT: An empty range is trivially initialized.
        ResolvedPath {
            buf: Buffer::Stack([MaybeUninit::uninit(); SHORT]),
            start: 0,
            len: 0,
            internal: false,
            own_proc: None,
        }
    }

    /// Moves to a `PATH_MAX` heap buffer (which may sleep), emptied.
    fn move_to_heap(&mut self) -> Result {
        // INVARIANT: The range is emptied with the buffer.
        self.buf = Buffer::Heap(KVec::with_capacity(PATH_MAX, GFP_KERNEL)?);
        self.start = 0;
        self.len = 0;
        self.internal = false;
        self.own_proc = None;
        Ok(())
    }

    /// Renders `path` into this buffer.
    fn fill(&mut self, path: &Path) -> Result {
        let storage = self.buf.storage();
        self.own_proc = None;
        let (start, len) = match render(Renderer::Absolute, path, storage) {
            Ok(found) => {
                self.own_proc = accessors::proc_own_depth(path);
                found
            }
            Err(e) if e != EINVAL => return Err(e),
            Err(_) if accessors::is_mqueue(path) => {
                let (start, len) = render(Renderer::InFileSystem, path, storage)?;
                mark(storage, start, len, MQUEUE)?
            }
            Err(_) if accessors::is_internal_mount(path) => {
                self.internal = true;
                render(Renderer::Named, path, storage)?
            }
            Err(_) => {
                let (start, len) = render(Renderer::InFileSystem, path, storage)?;
                mark(storage, start, len, DISCONNECTED)?
            }
        };
        // INVARIANT: `render` wrote `start..start + len`, and the mark (if any) was written.
        self.start = start;
        self.len = len;
        Ok(())
    }

    /// Resolves `path` into this (empty) buffer: in place when it is shorter than [`SHORT`]
    /// bytes, otherwise in a `PATH_MAX` allocation (which may sleep). `Err(ENAMETOOLONG)` past
    /// `PATH_MAX`.
    pub(crate) fn resolve(&mut self, path: &Path) -> Result {
        match self.fill(path) {
            Err(e) if e == ENAMETOOLONG && matches!(self.buf, Buffer::Stack(_)) => {
                self.move_to_heap()?;
                self.fill(path)
            }
            done => done,
        }
    }

    /// Resolves the path of an open file into this (empty) buffer.
    pub(crate) fn resolve_file(&mut self, file: &LocalFile) -> Result {
        self.resolve(file.path())
    }

    /// Resolves the path of an open file, for callers outside a check.
    pub(crate) fn of_file(file: &LocalFile) -> Result<Self> {
        let mut resolved = Self::empty();
        resolved.resolve_file(file)?;
        Ok(resolved)
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
        self.own_proc = self.own_proc.map(|depth| depth + 1);
        Ok(())
    }

    /// Resolves the entry `name` of the directory `dir` into this (empty) buffer, as the
    /// directory's path plus the name, whatever state its dentry is in (being created,
    /// negative, or about to go).
    pub(crate) fn resolve_entry(&mut self, dir: &Path, name: &[u8]) -> Result {
        self.resolve(dir)?;
        if self.push_name(name).is_ok() {
            return Ok(());
        }
        if matches!(self.buf, Buffer::Heap(_)) {
            return Err(ENAMETOOLONG);
        }
        self.move_to_heap()?;
        self.fill(dir)?;
        self.push_name(name)
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

    /// The path with the current task's own procfs pid component spelled `self`, for a file
    /// under that directory (`/proc/1234/fd/3` is then also `/proc/self/fd/3`); `None` for
    /// any other file.
    pub(crate) fn own_proc_alias(&self) -> Option<ProcAlias<'_>> {
        let (head, tail) = split_pid_component(self.bytes(), self.own_proc?)?;
        Some(ProcAlias { head, tail })
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
