//! The compiled-policy cache, so that loading unchanged profiles at boot does not build their
//! automata again.
//!
//! A profile file is always read and its includes resolved and expanded (that is cheap, and
//! it is how a changed abstraction or a new local override is noticed); what is cached is the
//! encoding, the step that builds the automata. An entry is keyed by a digest of the expanded
//! profiles and of the lsmctl executable itself, so another lsmctl never reuses this one's
//! blobs. A blob read back is verified by the kernel's own verifier before use, as the kernel
//! will verify it again.

use rustlsm_policy::{decode, wire, ProfileSpec};
use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Where `lsmctl load --all` keeps its cache unless told otherwise.
pub const DEFAULT_DIR: &str = "/var/cache/rustlsm";

/// A cache directory and the digest of this lsmctl.
pub struct Cache {
    dir: PathBuf,
    build: u64,
}

impl Cache {
    /// The cache in `dir` (created on first store).
    pub fn new(dir: PathBuf) -> Self {
        let mut h = DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        // The executable's bytes: a rebuilt lsmctl may encode differently.
        if let Ok(exe) = fs::read("/proc/self/exe") {
            exe.hash(&mut h);
        }
        Cache {
            dir,
            build: h.finish(),
        }
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

    /// The blob stored under `key`, if there is one that still verifies.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let blob = fs::read(self.entry(key)).ok()?;
        (blob.starts_with(&wire::MAGIC) && decode(&blob).is_ok()).then_some(blob)
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
        let tmp = self.dir.join(format!(".{key}.{}", std::process::id()));
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| fail(&tmp, e))?;
        let written = f.write_all(blob).and_then(|()| f.sync_all());
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(fail(&tmp, e));
        }
        fs::rename(&tmp, self.entry(key)).map_err(|e| fail(&tmp, e))
    }

    /// Removes the entries whose keys are not in `keep` (after a load of the whole directory,
    /// whose files are all the cache serves).
    pub fn prune(&self, keep: &[String]) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if let Some(key) = name.strip_suffix(".bin") {
                if !keep.iter().any(|k| k == key) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
}
