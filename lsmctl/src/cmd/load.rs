//! `lsmctl load`: compile profile files and load them into the kernel (or, with `--dry-run`,
//! have the kernel verify them).

use super::{compile_files, CompileSettings};
use crate::kernel::{self, Via};
use std::path::PathBuf;

pub(crate) fn run(
    files: &[PathBuf],
    via: Via,
    dry_run: bool,
    settings: &CompileSettings,
) -> Result<(), String> {
    // Compile everything first: one bad file loads nothing.
    let compiled = compile_files(files, settings)?;
    for (file, c) in files.iter().zip(compiled) {
        let used = kernel::load(&c.blob, via, dry_run).map_err(|e| e.to_string())?;
        let names: Vec<&str> = c.profiles.iter().map(|p| p.name.as_str()).collect();
        let verb = if dry_run { "verified" } else { "loaded" };
        println!(
            "{verb} {} from {} via {used}",
            names.join(", "),
            file.display()
        );
    }
    Ok(())
}
