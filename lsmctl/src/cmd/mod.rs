//! The subcommands, one module each, and what several of them share: compiling profile files
//! and settling their warnings against each other.

pub(crate) mod agent;
pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod diff;
pub(crate) mod exec;
pub(crate) mod features;
pub(crate) mod generate;
pub(crate) mod genprof;
pub(crate) mod list;
pub(crate) mod load;
pub(crate) mod log;
pub(crate) mod logprof;
pub(crate) mod mode;
pub(crate) mod ps;
pub(crate) mod remove;
pub(crate) mod run;
pub(crate) mod status;

use crate::cache::Cache;
use lsmctl::{Diagnostic, IncludePath, Warning, WarningKind};
use rustlsm_policy::{decode, encode, wire, ProfileSummary};
use std::fs;
use std::path::{Path, PathBuf};

/// What every subcommand that compiles profiles takes from the command line.
pub(crate) struct CompileSettings {
    /// Treat warnings as errors.
    pub deny_warnings: bool,
    /// Where includes are looked up.
    pub includes: IncludePath,
}

/// A compiled file: the blob, its profiles, where each is defined (none for a file that held
/// a compiled policy), its warnings, and whether the blob came from the cache.
struct CompiledFile {
    path: PathBuf,
    blob: Vec<u8>,
    profiles: Vec<ProfileSummary>,
    sites: Vec<Diagnostic>,
    warnings: Vec<Warning>,
    /// The cache key, when a cache was used, and whether the blob came from it.
    cache_key: Option<String>,
    cached: bool,
}

/// Compiles `files` (each with [`compile_file`]), then prints the warnings, those that only
/// one file sees settled against the others: a peer another file defines is no warning, a
/// profile two files define is one. The first file that does not compile is the error;
/// with `deny_warnings`, any warning is an error too.
fn compile_files(
    files: &[PathBuf],
    settings: &CompileSettings,
    cache: Option<&Cache>,
) -> Result<Vec<CompiledFile>, String> {
    let mut compiled = Vec::new();
    for file in files {
        compiled.push(compile_file(file, &settings.includes, cache)?);
    }
    settle_warnings(&compiled, settings.deny_warnings)?;
    Ok(compiled)
}

/// Like [`compile_files`], but every file that compiles is kept: the errors are returned
/// beside them, one per file that does not (for checking every file, and for loading a
/// whole directory at boot, where one broken file must not leave every other program
/// unconfined). With `deny_warnings`, the warnings add one error, but their files are kept.
fn compile_each(
    files: &[PathBuf],
    settings: &CompileSettings,
    cache: Option<&Cache>,
) -> (Vec<CompiledFile>, Vec<String>) {
    let mut compiled = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match compile_file(file, &settings.includes, cache) {
            Ok(c) => compiled.push(c),
            Err(e) => errors.push(e),
        }
    }
    if let Err(e) = settle_warnings(&compiled, settings.deny_warnings) {
        errors.push(e);
    }
    (compiled, errors)
}

/// Prints the warnings of `compiled`, settled against each other; with `deny_warnings`,
/// their number is an error.
fn settle_warnings(compiled: &[CompiledFile], deny_warnings: bool) -> Result<(), String> {
    let defined_in = |i: usize, name: &str| {
        compiled
            .iter()
            .enumerate()
            .find(|&(j, c)| j != i && c.profiles.iter().any(|p| p.name == name))
            .map(|(j, _)| j)
    };
    let mut warnings = Vec::new();
    for (i, c) in compiled.iter().enumerate() {
        for w in &c.warnings {
            match &w.kind {
                WarningKind::UnknownPeer(peer) if defined_in(i, peer).is_some() => {}
                _ => warnings.push(w.clone()),
            }
        }
        for (p, site) in c.profiles.iter().zip(&c.sites) {
            if let Some(j) = defined_in(i, &p.name).filter(|&j| j < i) {
                warnings.push(Warning {
                    kind: WarningKind::DefinedTwice(p.name.clone()),
                    diagnostic: Diagnostic {
                        message: format!(
                            "profile {:?} is also defined in {}; loading both, the one loaded \
                             last replaces the other",
                            p.name,
                            compiled[j].path.display()
                        ),
                        ..site.clone()
                    },
                });
            }
        }
    }
    for w in &warnings {
        eprintln!("{w}");
    }
    if deny_warnings && !warnings.is_empty() {
        return Err(format!(
            "{} warning(s), treated as errors (--deny-warnings)",
            warnings.len()
        ));
    }
    Ok(())
}

/// Reads and compiles a profile file, its encoding taken from `cache` when it has it. A file
/// that already holds a compiled policy is verified with the kernel's own verifier and
/// passed through.
fn compile_file(
    path: &Path,
    includes: &IncludePath,
    cache: Option<&Cache>,
) -> Result<CompiledFile, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.starts_with(&wire::MAGIC) {
        let profiles = decode(&bytes).map_err(|e| {
            format!(
                "{}: byte {}: {}",
                path.display(),
                e.offset,
                e.kind.describe()
            )
        })?;
        return Ok(CompiledFile {
            path: path.to_path_buf(),
            blob: bytes,
            profiles,
            sites: Vec::new(),
            warnings: Vec::new(),
            cache_key: None,
            cached: false,
        });
    }
    let source =
        String::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8 text: {e}", path.display()))?;
    compile_text(path, &source, includes, cache)
}

/// Compiles the TOML text of the profile file `path` (which need not hold it yet).
fn compile_text(
    path: &Path,
    source: &str,
    includes: &IncludePath,
    cache: Option<&Cache>,
) -> Result<CompiledFile, String> {
    let compiled =
        lsmctl::profile::compile_with(path, source, includes).map_err(|d| d.to_string())?;
    let key = cache.map(|c| c.key(&compiled.profiles));
    let hit = cache
        .zip(key.as_deref())
        .and_then(|(c, k)| c.get(k, &compiled.profiles));
    let cached = hit.is_some();
    let blob = match hit {
        Some(blob) => blob,
        None => {
            let blob = encode(&compiled.profiles)
                .map_err(|error| format!("{}: {error}", path.display()))?;
            if let Some((c, k)) = cache.zip(key.as_deref()) {
                if let Err(e) = c.put(k, &blob) {
                    eprintln!("lsmctl: cache not written (loading is only slower): {e}");
                }
            }
            blob
        }
    };
    let summaries =
        decode(&blob).map_err(|e| format!("{}: internal error: {e:?}", path.display()))?;
    Ok(CompiledFile {
        path: path.to_path_buf(),
        blob,
        profiles: summaries,
        sites: compiled.sites,
        warnings: compiled.warnings,
        cache_key: key,
        cached,
    })
}
