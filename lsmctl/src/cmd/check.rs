//! `lsmctl check`: compile profile files without loading them, and describe each profile.
//! Every file is checked, and every error reported, not only the first.

use super::{compile_each, CompileSettings};
use std::path::PathBuf;

pub(crate) fn run(files: &[PathBuf], settings: &CompileSettings) -> Result<(), String> {
    let (compiled, errors) = compile_each(files, settings, None);
    for c in &compiled {
        for p in &c.profiles {
            println!(
                "{}: profile {} ({}, {} attachment(s), file rules: {} states, {} edges, digest {:016x}) ok",
                c.path.display(),
                p.name,
                p.mode.name(),
                p.attach.len(),
                p.dfa_size.0,
                p.dfa_size.1,
                p.digest
            );
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.into_iter().next().unwrap_or_default()),
        n => {
            for e in &errors {
                eprintln!("lsmctl: {e}");
            }
            Err(format!("{n} of {} file(s) have errors", files.len()))
        }
    }
}
