// SPDX-License-Identifier: GPL-2.0-only

//! What an agent and the kernel say to each other about the accesses a profile asks for
//! (`ask` rules, `ask` mode): the `LSM_POLICY_LISTEN` buffer that opens a listener, and the
//! answers written to it. Shared by the kernel and `lsmctl`, as [`crate::wire`] is, so both
//! read the same bytes the same way.
//!
//! The listen buffer is a `u32` wait in milliseconds (0: [`DEFAULT_WAIT_MS`]), a `u32` most
//! requests pending at once (0: [`DEFAULT_PENDING`]), a `u32` of flags (none is defined yet:
//! 0), then the names of the profiles listened to: a `u16` count of at most [`MAX_LISTENED`]
//! and that many (`u8` length, name). No name listens to every profile. All little-endian.
//!
//! A request is read from the listener as one line (see the kernel's `ask.rs`); an answer is
//! written to it as one line, `ID allow|deny once|session` ([`Answer`]).

use crate::wire;

/// How long a task waits for an answer when the listener does not say.
pub const DEFAULT_WAIT_MS: u32 = 30_000;
/// The longest wait a listener may ask for: past it, a stuck agent looks like a hung system.
pub const MAX_WAIT_MS: u32 = 300_000;
/// Requests a listener holds at once when it does not say.
pub const DEFAULT_PENDING: u32 = 256;
/// The most requests a listener may hold at once.
pub const MAX_PENDING: u32 = 1024;
/// The most profiles one listener names.
pub const MAX_LISTENED: u16 = 64;
/// Bytes before the name list.
pub const HEADER_LEN: usize = 12;
/// The longest answer line the kernel reads.
pub const MAX_ANSWER_LEN: usize = 64;

/// A verified listen buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listen<'a> {
    /// How long a task waits for an answer, in milliseconds (the default filled in).
    pub wait_ms: u32,
    /// The most requests held at once (the default filled in).
    pub max_pending: u32,
    /// The name list, count included.
    names: &'a [u8],
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

impl<'a> Listen<'a> {
    /// Verifies `buf`; `None` if it is malformed: short, a wait or count out of range, an
    /// unknown flag, a bad profile name, bytes after the list.
    pub fn parse(buf: &'a [u8]) -> Option<Self> {
        let wait_ms = match u32_at(buf, 0)? {
            0 => DEFAULT_WAIT_MS,
            ms if ms <= MAX_WAIT_MS => ms,
            _ => return None,
        };
        let max_pending = match u32_at(buf, 4)? {
            0 => DEFAULT_PENDING,
            n if n <= MAX_PENDING => n,
            _ => return None,
        };
        if u32_at(buf, 8)? != 0 {
            return None;
        }
        let names = buf.get(HEADER_LEN..)?;
        let listen = Listen {
            wait_ms,
            max_pending,
            names,
        };
        let count = u16::from_le_bytes(names.get(..2)?.try_into().ok()?);
        if count > MAX_LISTENED {
            return None;
        }
        let mut at = 2;
        for _ in 0..count {
            let len = usize::from(*names.get(at)?);
            if !wire::valid_name(names.get(at + 1..at + 1 + len)?) {
                return None;
            }
            at += 1 + len;
        }
        (at == names.len()).then_some(listen)
    }

    /// The name list, count included, to keep and ask [`listens_to`] later.
    pub fn name_list(&self) -> &'a [u8] {
        self.names
    }
}

/// Whether the verified name list `list` (see [`Listen::name_list`]) takes requests of the
/// profile `name`: it names it, or names none.
pub fn listens_to(list: &[u8], name: &[u8]) -> bool {
    let count = list
        .get(..2)
        .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
    let mut at = 2;
    if count == 0 {
        return true;
    }
    for _ in 0..count {
        let Some(&len) = list.get(at) else {
            return false;
        };
        let len = usize::from(len);
        if list.get(at + 1..at + 1 + len) == Some(name) {
            return true;
        }
        at += 1 + len;
    }
    false
}

/// An agent's answer to one request: `ID allow|deny once|session`, one line (the newline
/// may be left out). It allows or refuses exactly the accesses the request asked for, never
/// more; `session` makes it the answer to the same request (same profile, same path, the
/// same or fewer accesses) for as long as the listener stays open and the profile is not
/// replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The request's id, as its line says.
    pub id: u64,
    /// Allow (`true`) or refuse.
    pub allow: bool,
    /// Kept for the session, or for this request only.
    pub session: bool,
}

impl Answer {
    /// Reads one answer line; `None` if it is not one.
    pub fn parse(line: &[u8]) -> Option<Self> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let mut words = line.split(|&b| b == b' ');
        let id = words.next()?;
        if id.is_empty() || id.len() > 20 || !id.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let id = id.iter().try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })?;
        let allow = match words.next()? {
            b"allow" => true,
            b"deny" => false,
            _ => return None,
        };
        let session = match words.next()? {
            b"once" => false,
            b"session" => true,
            _ => return None,
        };
        words
            .next()
            .is_none()
            .then_some(Answer { id, allow, session })
    }
}
