//! lsmctl's profile compiler: TOML text in, the policy blob the kernel loads out; and what
//! `lsmctl run` makes of a sandbox's records ([`records`], [`explain`]). The `lsmctl` binary,
//! its tests and the fuzzers (`fuzz/`) share it.

pub mod ask;
mod body;
pub(crate) mod braces;
mod diag;
pub mod explain;
pub mod includes;
pub mod learn;
pub mod logsource;
mod network;
pub mod profile;
pub mod records;
pub mod sandbox;
mod unix;
pub mod variables;

pub use diag::{Diagnostic, Warning, WarningKind};
pub use includes::IncludePath;

use rustlsm_policy::{encode, EncodeError};
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a profile file does not compile.
#[derive(Debug)]
pub enum CompileError {
    /// A mistake in the text, located at its line and column.
    Profile(Diagnostic),
    /// The profiles are well formed but exceed what the kernel accepts.
    Encode { file: PathBuf, error: EncodeError },
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::Profile(d) => d.fmt(f),
            CompileError::Encode { file, error } => write!(f, "{}: {error}", file.display()),
        }
    }
}

impl std::error::Error for CompileError {}

/// Compiles the TOML text of `file` into one policy blob, which the kernel's verifier accepts.
pub fn compile(file: &Path, source: &str) -> Result<Vec<u8>, CompileError> {
    compile_checked(file, source).map(|(blob, _)| blob)
}

/// Like [`compile`], with includes looked up in `includes`.
pub fn compile_with(
    file: &Path,
    source: &str,
    includes: &IncludePath,
) -> Result<Vec<u8>, CompileError> {
    compile_checked_with(file, source, includes).map(|(blob, _)| blob)
}

/// Like [`compile`], and also returns the profiles, where each is defined, and the warnings
/// about rules that can never take effect ([`profile::compile_checked`]).
pub fn compile_checked(
    file: &Path,
    source: &str,
) -> Result<(Vec<u8>, profile::Compiled), CompileError> {
    compile_checked_with(file, source, &IncludePath::default())
}

/// Like [`compile_checked`], with includes looked up in `includes`.
pub fn compile_checked_with(
    file: &Path,
    source: &str,
    includes: &IncludePath,
) -> Result<(Vec<u8>, profile::Compiled), CompileError> {
    let compiled = profile::compile_with(file, source, includes).map_err(CompileError::Profile)?;
    let blob = encode(&compiled.profiles).map_err(|error| CompileError::Encode {
        file: file.to_path_buf(),
        error,
    })?;
    Ok((blob, compiled))
}
