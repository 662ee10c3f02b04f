//! Arbitrary text through lsmctl's TOML compiler; what compiles must verify and mean the same.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustlsm_fuzz::profile::check(data));
