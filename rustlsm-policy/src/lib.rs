//! The rustlsm policy wire format for userspace.
//!
//! [`wire`] is the kernel's own source file (security-rustlsm/wire.rs), compiled here
//! unchanged, so what `lsmctl` checks and what these tests and fuzzers exercise is exactly
//! what the kernel runs. This crate adds what only userspace needs: an owned model of a
//! policy, the encoder, and a decoder back into the model.

#[path = "../../security-rustlsm/wire.rs"]
pub mod wire;

mod model;

pub use model::{decode, encode, EncodeError, ProfileSpec, RuleSpec};
pub use wire::{Effect, ErrorKind, FormatError, Mode};
