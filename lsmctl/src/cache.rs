//! The compiled-policy cache, so that loading unchanged profiles at boot does not build their
//! automata again.
//!
//! A profile file is always read and its includes resolved and expanded (that is cheap, and
//! it is how a changed abstraction or a new local override is noticed); what is cached is the
//! encoding, the step that builds the automata. An entry is keyed by a digest of the expanded
//! profiles and of the lsmctl executable itself, so another lsmctl never reuses this one's
//! blobs. The directory must be a real directory owned by the caller and writable by no one
//! else, entries are opened without following links, and a blob read back must pass the
//! kernel's own verifier and hold exactly the profiles asked for; the kernel verifies it
//! again when it is loaded.

use rustlsm_policy::{decode, wire, ProfileSpec};
use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Where `lsmctl load --all` keeps its cache unless told otherwise.
pub const DEFAULT_DIR: &str = "/var/cache/rustlsm";

/// A cache directory and the digest of this lsmctl.
pub struct Cache {
    dir: PathBuf,
    build: u64,
}

/// Whether `name` is an entry's name: sixteen hexadecimal digits and `.bin`.
fn entry_name(name: &str) -> Option<&str> {
    let key = name.strip_suffix(".bin")?;
    (key.len() == 16 && key.bytes().all(|b| b.is_ascii_hexdigit())).then_some(key)
}

impl Cache {
    /// The cache in `dir` (created on first store); `Err` says why there is none: a
    /// directory someone else could write to, or an lsmctl that cannot read itself.
    pub fn new(dir: PathBuf) -> Result<Self, String> {
        match fs::symlink_metadata(&dir) {
            Ok(m) => {
                let euid = effective_uid();
                if !m.is_dir() || m.uid() != euid || m.mode() & 0o022 != 0 {
                    return Err(format!(
                        "{}: not a directory of its own that only its owner (uid {euid}) may \
                         write to; compiling without a cache",
                        dir.display()
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        }
        let exe = fs::read("/proc/self/exe")
            .map_err(|e| format!("/proc/self/exe: {e}; compiling without a cache"))?;
        let mut h = DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        // The executable's bytes: a rebuilt lsmctl may encode differently.
        exe.hash(&mut h);
        Ok(Cache {
            dir,
            build: h.finish(),
        })
    }

    /// The key of a file's compiled profiles.
    pub fn key(&self, profiles: &[ProfileSpec]) -> String {
        let mut h = DefaultHasher::new();
        self.build.hash(&mut h);
        format!("{profiles:?}").hash(&mut h);
        format!("{:016x}", h.finish())
    }

    fn entry(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.bin"))
    }

    /// The blob stored under `key`, if there is one that verifies and holds exactly the
    /// profiles of `profiles`, in order.
    pub fn get(&self, key: &str, profiles: &[ProfileSpec]) -> Option<Vec<u8>> {
        let mut f = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.entry(key))
            .ok()?;
        let mut blob = Vec::new();
        f.read_to_end(&mut blob).ok()?;
        if !blob.starts_with(&wire::MAGIC) {
            return None;
        }
        let names: Vec<String> = decode(&blob).ok()?.into_iter().map(|p| p.name).collect();
        let wanted: Vec<&String> = profiles.iter().map(|p| &p.name).collect();
        (names.iter().collect::<Vec<_>>() == wanted).then_some(blob)
    }

    /// Stores `blob` under `key`, atomically; a cache that cannot be written is only slower,
    /// so the error is for a message, not a failure.
    pub fn put(&self, key: &str, blob: &[u8]) -> Result<(), String> {
        let fail = |what: &Path, e: std::io::Error| format!("{}: {e}", what.display());
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| fail(&self.dir, e))?;
        crate::atomic_file::replace(&self.entry(key), blob, 0o600, None)
    }

    /// Removes the entries whose keys are not in `keep` (after a load of the whole directory,
    /// whose files are all the cache serves); only names an entry may have are touched.
    pub fn prune(&self, keep: &[String]) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if let Some(key) = entry_name(&name) {
                if !keep.iter().any(|k| k == key) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
}

/// The effective user id of this process.
fn effective_uid() -> u32 {
    // SAFETY: geteuid() has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}
