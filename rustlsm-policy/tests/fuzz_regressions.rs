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

#[test]
fn verify_blob_regressions() {
    replay::replay("verify_blob", blob::check);
}

#[test]
fn roundtrip_regressions() {
    replay::replay("roundtrip", model::check);
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
