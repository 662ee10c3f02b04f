//! The `verify_blob` and `roundtrip` fuzz checks on every input they once failed on
//! (`fuzz/regressions/`), and `roundtrip` on a fixed set of models, so a fixed crash stays
//! fixed and the checks themselves stay working.

#[path = "../../fuzz/src/blob.rs"]
mod blob;
#[path = "../../fuzz/src/encoding.rs"]
mod encoding;
#[path = "../../fuzz/src/model.rs"]
mod model;
#[path = "../../fuzz/src/replay.rs"]
mod replay;

/// The repository's `fuzz/` directory, from this crate.
fn fuzz_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    assert!(
        dir.join("regressions").is_dir(),
        "{}: no fuzz/regressions, so nothing would be replayed",
        dir.display()
    );
    dir
}

/// Runs `check` on the minimized seed corpus committed for `target` (fuzz/corpus/TARGET),
/// which must exist and hold inputs: the check then demonstrably runs on real inputs even
/// while no regression is kept for the target.
fn replay_corpus(target: &str, check: fn(&[u8])) {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable entry").path())
        .collect();
    assert!(!inputs.is_empty(), "{}: no inputs", dir.display());
    inputs.sort();
    for path in &inputs {
        check(&std::fs::read(path).expect("readable input"));
    }
}

#[test]
fn verify_blob_regressions() {
    fuzz_dir();
    replay::replay("verify_blob", blob::check);
    replay_corpus("verify_blob", blob::check);
}

#[test]
fn roundtrip_regressions() {
    fuzz_dir();
    replay::replay("roundtrip", model::check);
    replay_corpus("roundtrip", model::check);
}

/// A few hundred pseudo-random models: the oracle agrees with the kernel on each.
#[test]
fn roundtrip_on_fixed_models() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let data: Vec<u8> = (0..512)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        model::check(&data);
    }
}
