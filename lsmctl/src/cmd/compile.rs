//! `lsmctl compile`: compile one TOML profile file to the binary policy the kernel loads.

use super::{compile_files, CompileSettings, CompiledFile};
use std::fs;
use std::path::{Path, PathBuf};

pub(crate) fn run(file: PathBuf, output: &Path, settings: &CompileSettings) -> Result<(), String> {
    let CompiledFile { blob, profiles, .. } =
        compile_files(std::slice::from_ref(&file), settings, None)?.remove(0);
    fs::write(output, &blob).map_err(|e| format!("{}: {e}", output.display()))?;
    println!(
        "{}: {} profile(s), {} bytes -> {}",
        file.display(),
        profiles.len(),
        blob.len(),
        output.display()
    );
    Ok(())
}
