//! `lsmctl check`: compile profile files without loading them, and describe each profile.

use super::{compile_files, CompileSettings};
use std::path::PathBuf;

pub(crate) fn run(files: &[PathBuf], settings: &CompileSettings) -> Result<(), String> {
    let compiled = compile_files(files, settings, None)?;
    for (file, c) in files.iter().zip(compiled) {
        for p in &c.profiles {
            println!(
                "{}: profile {} ({}, {} attachment(s), file rules: {} states, {} edges, digest {:016x}) ok",
                file.display(),
                p.name,
                p.mode.name(),
                p.attach.len(),
                p.dfa_size.0,
                p.dfa_size.1,
                p.digest
            );
        }
    }
    Ok(())
}
