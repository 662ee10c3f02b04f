//! Replays the inputs kept in `fuzz/regressions/TARGET/`, for the regression tests.

use std::path::{Path, PathBuf};

/// Runs `check` on every input kept for `target` (none if the directory does not exist),
/// naming each first so that a failure says which. Returns how many there were.
pub fn replay(target: &str, check: fn(&[u8])) -> usize {
    // Every crate that compiles this file sits one level below the repository's root.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut inputs: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.expect("readable entry").path()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    inputs.sort();
    for path in &inputs {
        eprintln!("replaying {}", path.display());
        check(&std::fs::read(path).expect("readable input"));
    }
    inputs.len()
}
