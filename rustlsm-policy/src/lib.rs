//! The rustlsm policy wire format for userspace.
//!
//! [`wire`], [`glob`], [`net`], [`ask_protocol`] and [`file_dfa`] are the kernel's own source
//! files (from security-rustlsm/), compiled here unchanged, so what `lsmctl` checks and what
//! these tests and fuzzers exercise is exactly what the kernel runs. This crate adds what only
//! userspace needs: an owned model of a policy, the rule compiler ([`dfa`], whose automata are
//! minimized), the encoder, a decoder back into a summary, and the agent's listen buffer
//! ([`listen`]).

#[path = "../../security-rustlsm/ask_protocol.rs"]
pub mod ask_protocol;
#[path = "../../security-rustlsm/file_dfa.rs"]
pub mod file_dfa;
#[path = "../../security-rustlsm/glob.rs"]
pub mod glob;
#[path = "../../security-rustlsm/net.rs"]
pub mod net;
#[path = "../../security-rustlsm/wire.rs"]
pub mod wire;

pub mod abi;
pub mod dfa;
pub mod listen;
mod minimize;
mod model;

pub use model::{
    decode, encode, Effect, EncodeError, ExecTarget, NetRule, ProfileSpec, ProfileSummary,
    RuleSpec, SocketSpec,
};
pub use wire::{ErrorKind, FormatError, Mode};
