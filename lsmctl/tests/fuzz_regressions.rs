//! The `compile_profile` fuzz check on every input it once failed on (`fuzz/regressions/`) and
//! on the example profiles, so a fixed crash stays fixed and the check itself stays working.

#[path = "../../fuzz/src/blob.rs"]
mod blob;
#[path = "../../fuzz/src/encoding.rs"]
mod encoding;
#[path = "../../fuzz/src/profile.rs"]
mod profile;
#[path = "../../fuzz/src/replay.rs"]
mod replay;

#[test]
fn compile_profile_regressions() {
    assert!(replay::replay("compile_profile", profile::check) > 0);
}

/// The minimized seed corpus committed for the fuzzer (fuzz/corpus/compile_profile): the
/// check on each, so the corpus stays inputs the check accepts.
#[test]
fn compile_profile_corpus() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/corpus/compile_profile"
    );
    let inputs: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("readable entry").path())
        .collect();
    assert!(!inputs.is_empty(), "{dir}: no inputs");
    for path in &inputs {
        profile::check(&std::fs::read(path).expect("readable input"));
    }
}

#[test]
fn examples_pass_the_compile_profile_check() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read(&path).unwrap();
        assert!(lsmctl::compile(&path, std::str::from_utf8(&text).unwrap()).is_ok());
        profile::check(&text);
    }
}
