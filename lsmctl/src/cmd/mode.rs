//! `lsmctl complain NAME` and `lsmctl enforce NAME`: switch a profile's mode where it is
//! defined, in the profile directory, and load the result, so the change holds across
//! reboots. The file keeps its comments and layout; only the `mode` line changes (or is
//! added). The edited text is compiled before anything is written: a file that would not
//! compile is left as it was, and nothing is loaded.

use super::load::{load_one, profile_files};
use super::{compile_file, compile_text, CompileSettings};
use crate::kernel::Via;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use toml_edit::{value, DocumentMut};

/// What to switch.
pub(crate) struct ModeArgs {
    pub names: Vec<String>,
    pub mode: &'static str,
    pub dir: PathBuf,
    pub via: Via,
}

/// The file of `dir` that defines profile `name`, parsed.
pub(super) fn defining_file(dir: &Path, name: &str) -> Result<(PathBuf, DocumentMut), String> {
    let mut found = Vec::new();
    for path in profile_files(dir)? {
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let Ok(doc) = text.parse::<DocumentMut>() else {
            continue;
        };
        let defines = doc
            .get("profile")
            .and_then(|p| p.as_table_like())
            .is_some_and(|p| p.contains_key(name));
        if defines {
            found.push((path, doc));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!(
            "no file in {} defines profile {name:?} (lsmctl edits the profile directory, the \
             one `lsmctl load --all` loads)",
            dir.display()
        )),
        _ => {
            let files: Vec<String> = found.iter().map(|(p, _)| p.display().to_string()).collect();
            Err(format!(
                "profile {name:?} is defined in several files ({}); keep one",
                files.join(", ")
            ))
        }
    }
}

/// Writes `text` to `path` through a new file renamed over it, keeping its owner and mode;
/// the new file is created exclusively, without following links, and is on disk before it
/// replaces the old one. A profile that is a symbolic link (as packages may install them) is
/// edited where the link points. Returns the file written.
pub(super) fn replace_file(path: &Path, text: &str) -> Result<PathBuf, String> {
    let fail = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let target = fs::canonicalize(path).map_err(|e| fail(path, e))?;
    let meta = fs::metadata(&target).map_err(|e| fail(&target, e))?;
    crate::atomic_file::replace(
        &target,
        text.as_bytes(),
        meta.mode() & 0o7777,
        Some((meta.uid(), meta.gid())),
    )?;
    Ok(target)
}

/// Switches one profile: edit, compile, write, load.
fn switch(name: &str, args: &ModeArgs, settings: &CompileSettings) -> Result<(), String> {
    crate::kernel::checked_name(name)?;
    let (path, mut doc) = defining_file(&args.dir, name)?;
    let table = doc["profile"][name]
        .as_table_like_mut()
        .ok_or_else(|| format!("{}: profile {name:?} is not a table", path.display()))?;
    let before = table
        .get("mode")
        .and_then(|m| m.as_str())
        .unwrap_or("enforce")
        .to_string();
    table.insert("mode", value(args.mode));
    let text = doc.to_string();
    // Compiled before the file is touched: a file that does not compile stays as it was,
    // and its errors are reported at their places in the file as it is.
    compile_file(&path, &settings.includes, None)?;
    let compiled = compile_text(&path, &text, &settings.includes, None)?;
    let written = if before != args.mode {
        replace_file(&path, &text)?
    } else {
        path.clone()
    };
    println!("{name}: {before} -> {} in {}", args.mode, written.display());
    load_one(&compiled, args.via, false)
}

pub(crate) fn run(args: &ModeArgs, settings: &CompileSettings) -> Result<(), String> {
    for name in &args.names {
        switch(name, args, settings)?;
    }
    Ok(())
}
