//! Where `include` and `include_if_exists` find the files they name.
//!
//! A name is one of:
//! - a library name such as `abstractions/base` or `local/httpd`: `NAME.toml` in the first directory of the search path that has it. The search
//!   path is the `--include-dir` directories, then `/etc/rustlsm` (the site's own files and
//!   overrides), then `/usr/share/rustlsm` (what lsmctl ships);
//! - `./NAME` or `../NAME`: relative to the directory of the file that includes it;
//! - an absolute path.
//!
//! `.toml` is added to a name without an extension.

use std::path::{Component, Path, PathBuf};

/// The directories searched after any given on the command line.
pub const SYSTEM_DIRS: [&str; 2] = ["/etc/rustlsm", "/usr/share/rustlsm"];

/// Deepest chain of files including each other.
pub const MAX_DEPTH: usize = 16;

/// The directories library names are searched in, in order.
#[derive(Clone, Debug)]
pub struct IncludePath {
    dirs: Vec<PathBuf>,
    disabled: bool,
}

impl Default for IncludePath {
    /// The system directories only.
    fn default() -> Self {
        IncludePath::new(Vec::new())
    }
}

impl IncludePath {
    /// `first`, then the system directories.
    pub fn new(first: Vec<PathBuf>) -> Self {
        let mut dirs = first;
        dirs.extend(SYSTEM_DIRS.iter().map(PathBuf::from));
        IncludePath {
            dirs,
            disabled: false,
        }
    }

    /// Exactly `dirs`, without the system directories (for tests and tools that must not
    /// depend on what the machine has installed).
    pub fn only(dirs: Vec<PathBuf>) -> Self {
        IncludePath {
            dirs,
            disabled: false,
        }
    }

    /// No includes at all: every include is an error (for fuzzing, which must not read
    /// files).
    pub fn none() -> Self {
        IncludePath {
            dirs: Vec::new(),
            disabled: true,
        }
    }

    /// The file `name` names when `from` includes it: `Ok(Ok(path))`, or `Ok(Err(where))`
    /// saying where it was looked for; an error for a name that can never name a file.
    pub fn resolve(&self, from: &Path, name: &str) -> Result<Result<PathBuf, String>, String> {
        if name.is_empty() || name.contains('\0') {
            return Err(format!("{name:?} is not a file name"));
        }
        if self.disabled {
            return Err("includes are disabled here".into());
        }
        let with_extension = |p: &Path| {
            if p.extension().is_some() {
                p.to_path_buf()
            } else {
                PathBuf::from(format!("{}.toml", p.display()))
            }
        };
        // Only a name that is not there is absent: a directory, a dangling link or an
        // unreadable file is an error, lest a site's override be skipped without a word.
        let found = |p: &Path| -> Result<bool, String> {
            match std::fs::metadata(p) {
                Ok(m) if m.is_file() => Ok(true),
                Ok(_) => Err(format!("{} is not a regular file", p.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if std::fs::symlink_metadata(p).is_ok() {
                        Err(format!("{} is a symbolic link to nothing", p.display()))
                    } else {
                        Ok(false)
                    }
                }
                Err(e) => Err(format!("{}: {e}", p.display())),
            }
        };
        let exists = |p: PathBuf| -> Result<Result<PathBuf, String>, String> {
            Ok(if found(&p)? {
                Ok(p)
            } else {
                Err(format!("no file {}", p.display()))
            })
        };
        if name.starts_with('/') {
            return exists(with_extension(Path::new(name)));
        }
        if name.starts_with("./") || name.starts_with("../") {
            let dir = from.parent().unwrap_or(Path::new("."));
            return exists(with_extension(&dir.join(name)));
        }
        let relative = Path::new(name);
        let plain = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if !plain || name.ends_with('/') || name.contains("//") {
            return Err(format!(
                "include {name:?}: a library name is a relative path without `.` or `..` \
                 components (such as \"abstractions/base\"); write \"./{name}\" for a file \
                 next to this one"
            ));
        }
        let file = with_extension(relative);
        for d in &self.dirs {
            let p = d.join(&file);
            if found(&p)? {
                return Ok(Ok(p));
            }
        }
        Ok(Err(format!(
            "no {} in {}",
            file.display(),
            if self.dirs.is_empty() {
                "any directory (none given)".into()
            } else {
                self.describe()
            }
        )))
    }

    /// The searched directories, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The searched directories, for messages.
    pub fn describe(&self) -> String {
        let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        dirs.join(", ")
    }
}
