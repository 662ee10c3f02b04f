//! Arbitrary bytes through the kernel's policy verifier, and a full walk of what it accepts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustlsm_fuzz::blob::check(data));
