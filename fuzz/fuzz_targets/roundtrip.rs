//! Arbitrary policy models, encoded: the verifier accepts them and the kernel's answers match.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustlsm_fuzz::model::check(data));
