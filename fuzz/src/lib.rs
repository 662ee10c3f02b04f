//! The checks the fuzz targets run: one module per target, plus the oracle two of them share.
//!
//! The regression tests (`rustlsm-policy/tests/fuzz_regressions.rs` and
//! `lsmctl/tests/fuzz_regressions.rs`) compile these same files with `#[path]`, so an input
//! kept in `fuzz/regressions/` is replayed through exactly the checks that once failed on it.
//! Modules therefore refer to each other as `crate::NAME`, which both kinds of crate provide.

pub mod blob;
pub mod encoding;
pub mod model;
pub mod profile;
pub mod replay;
