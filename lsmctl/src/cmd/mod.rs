//! The subcommands, one module each, and what several of them share: compiling profile files
//! and settling their warnings against each other.

pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod features;
pub(crate) mod list;
pub(crate) mod load;
pub(crate) mod remove;
pub(crate) mod run;
pub(crate) mod status;

use lsmctl::{Diagnostic, IncludePath, Warning, WarningKind};
use rustlsm_policy::{decode, wire, ProfileSummary};
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
/// a compiled policy), and its warnings.
struct CompiledFile {
    blob: Vec<u8>,
    profiles: Vec<ProfileSummary>,
    sites: Vec<Diagnostic>,
    warnings: Vec<Warning>,
}

/// Compiles `files` (each with [`compile_file`]), then prints the warnings, those that only
/// one file sees settled against the others: a peer another file defines is no warning, a
/// profile two files define is one. With `deny_warnings`, any warning is an error.
fn compile_files(
    files: &[PathBuf],
    settings: &CompileSettings,
) -> Result<Vec<CompiledFile>, String> {
    let mut compiled = Vec::new();
    for file in files {
        compiled.push(compile_file(file, &settings.includes)?);
    }
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
                            files[j].display()
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
    if settings.deny_warnings && !warnings.is_empty() {
        return Err(format!(
            "{} warning(s), treated as errors (--deny-warnings)",
            warnings.len()
        ));
    }
    Ok(compiled)
}

/// Reads and compiles a profile file. A file that already holds a compiled policy is
/// verified with the kernel's own verifier and passed through.
fn compile_file(path: &Path, includes: &IncludePath) -> Result<CompiledFile, String> {
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
            blob: bytes,
            profiles,
            sites: Vec::new(),
            warnings: Vec::new(),
        });
    }
    let source =
        String::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8 text: {e}", path.display()))?;
    let (blob, compiled) =
        lsmctl::compile_checked_with(path, &source, includes).map_err(|e| e.to_string())?;
    let summaries =
        decode(&blob).map_err(|e| format!("{}: internal error: {e:?}", path.display()))?;
    Ok(CompiledFile {
        blob,
        profiles: summaries,
        sites: compiled.sites,
        warnings: compiled.warnings,
    })
}
