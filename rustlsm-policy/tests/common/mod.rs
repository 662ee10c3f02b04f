//! Byte-level helpers the wire-format tests share: little-endian fields, and a one-profile
//! blob with a hand-written section appended.

#![allow(dead_code)]

use rustlsm_policy::net::Endpoint;
use rustlsm_policy::wire;
use rustlsm_policy::{encode, Mode, ProfileSpec, RuleSpec};

/// The IPv4 endpoint `a`:`port`.
pub fn v4(a: [u8; 4], port: u16) -> Endpoint {
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&a);
    Endpoint {
        family: 4,
        addr,
        port,
    }
}

/// Where the first (only) profile record starts in a blob.
pub const REC: usize = wire::HEADER_LEN;

pub fn set_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

pub fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

pub fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// A one-profile blob ("p", no optional sections) with a section of `kind` and `payload`
/// appended, every length field kept honest. Returns the blob and the payload's offset.
pub fn with_section(kind: u16, payload: &[u8]) -> (Vec<u8>, usize) {
    let mut b = encode(&[ProfileSpec::new("p", Mode::Enforce)]).unwrap();
    let count = u16::from_le_bytes([b[REC + 10], b[REC + 11]]);
    set_u16(&mut b, REC + 10, count + 1);
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let at = b.len();
    b.extend_from_slice(payload);
    let total = b.len() as u32;
    set_u32(&mut b, REC, total - REC as u32);
    set_u32(&mut b, 8, total);
    (b, at)
}

/// The sections of the one record of `blob`: (kind, payload offset, payload length).
pub fn sections(blob: &[u8]) -> Vec<(u16, usize, usize)> {
    let name_len = usize::from(u16::from_le_bytes([blob[REC + 6], blob[REC + 7]]));
    let attach = u16::from_le_bytes([blob[REC + 8], blob[REC + 9]]);
    let count = u16::from_le_bytes([blob[REC + 10], blob[REC + 11]]);
    let mut at = REC + wire::RECORD_HEADER_LEN + name_len;
    for _ in 0..attach {
        at += 2 + usize::from(u16::from_le_bytes([blob[at], blob[at + 1]]));
    }
    (0..count)
        .map(|_| {
            let kind = u16::from_le_bytes([blob[at], blob[at + 1]]);
            let len = get_u32(blob, at + 4) as usize;
            let s = (kind, at + wire::SECTION_HEADER_LEN, len);
            at += wire::SECTION_HEADER_LEN + len;
            s
        })
        .collect()
}

/// The file-rules payload of an enforce profile made of `rules`, to be appended as another
/// automaton section (owner or ask rules) with [`with_section`].
pub fn automaton_of(rules: Vec<RuleSpec>) -> Vec<u8> {
    let profile = ProfileSpec {
        rules,
        ..ProfileSpec::new("p", Mode::Enforce)
    };
    let blob = encode(&[profile]).unwrap();
    let &(_, at, len) = sections(&blob)
        .iter()
        .find(|&&(kind, ..)| kind == wire::SECTION_FILE_DFA)
        .unwrap();
    blob[at..at + len].to_vec()
}
