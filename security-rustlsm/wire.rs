// SPDX-License-Identifier: GPL-2.0-only

//! The rustlsm policy wire format: its layout, its verifier and its read-only views.
//!
//! This file, [`crate::glob`] and [`crate::file_dfa`] are compiled into the kernel (as
//! modules of the LSM) and into the userspace crate `rustlsm-policy` (which adds the
//! encoder), so the decoder the kernel trusts is the one that is unit-tested and fuzzed in
//! userspace. They use `core` only, never allocate, never panic on any input, and have no
//! `unsafe`.
//!
//! A blob is a header followed by profile records; a record holds a name, attachments and
//! typed sections (the file-rules automaton is the first kind). Every integer is
//! little-endian and every length is checked against the bytes that are really there.
//! [`verify`] accepts a blob only when everything in it is well formed, so code that later
//! walks an accepted blob (see [`ProfileView`]) meets no surprise. Offsets in bytes:
//!
//! ```text
//! header   0 magic "RLSM"  4 version u16  6 flags u16 (0)  8 total_len u32  12 count u32
//! record   0 record_len u32  4 mode u8  5 flags u8 (PROFILE_*)  6 name_len u16  8 attach_count u16
//!          10 section_count u16  12 reserved u32 (0)  16 name bytes
//!          then attach_count times: len u16, path bytes
//!          then section_count times: kind u16, reserved u16 (0), len u32, payload
//! unix     0 pattern_count u16, then pattern_count times: len u16, pattern bytes
//!          then a name list: count u16, then count times: len u8, name bytes
//! ```

use crate::{file_dfa, glob, net};

/// The four bytes every policy blob starts with.
pub const MAGIC: [u8; 4] = *b"RLSM";
/// The format version this code reads and writes; the kernel's ABI version.
pub const VERSION: u16 = 3;
/// Size of the blob header.
pub const HEADER_LEN: usize = 16;
/// Size of the fixed part of a profile record.
pub const RECORD_HEADER_LEN: usize = 16;
/// Size of a section header.
pub const SECTION_HEADER_LEN: usize = 8;

/// Most profiles one blob may carry.
pub const MAX_PROFILES: u32 = 1024;
/// Longest profile name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Most attachment paths one profile may have.
pub const MAX_ATTACHMENTS: u16 = 64;
/// Largest blob the kernel accepts, in bytes.
pub const MAX_BLOB_LEN: usize = 16 << 20;

/// Section kind: the file-rules automaton ([`crate::file_dfa`]).
pub const SECTION_FILE_DFA: u16 = 1;
/// Section kind: the capabilities a confined task keeps (`u64`, bit n = capability n).
pub const SECTION_CAPS: u16 = 2;
/// Section kind: the other profiles a confined task may signal (a name list).
pub const SECTION_SIGNAL: u16 = 3;
/// Section kind: ptrace flags (`u32`, `PTRACE_*`) and the other profiles it may trace.
pub const SECTION_PTRACE: u16 = 4;
/// Section kind: the mount operations allowed (`u32`, `MOUNT_*`).
pub const SECTION_MOUNT: u16 = 5;
/// Section kind: sockets and TCP/UDP endpoints ([`crate::net`]).
pub const SECTION_NET: u16 = 6;
/// Section kind: the abstract `AF_UNIX` names a confined task may connect or send to (glob
/// patterns, see [`glob::valid_abstract_pattern`]) and the profiles of the peers it may
/// connect or send to over `AF_UNIX` sockets (a name list).
pub const SECTION_UNIX: u16 = 7;
/// Section kind: exec rules that name the profile the program runs under: a `u16` count of
/// at most [`MAX_EXEC_TARGETS`], then that many (`u8` length, profile name, `u16` length,
/// path pattern) entries.
pub const SECTION_EXEC_TARGETS: u16 = 8;
/// Section kind: the `owner` rules' automaton, in the file-rules format: what they allow
/// (within [`OWNER_MASK_ALL`]) holds only for a file whose owner, as its mount shows it, is
/// the task's filesystem user ID. It denies nothing.
pub const SECTION_OWNER_FILE_DFA: u16 = 9;
/// Section kind: the `ask` rules' automaton, in the file-rules format: the accesses (within
/// [`ASK_ACCESS_ALL`]) its allow masks hold are put to the profile's listening agent when no
/// allow rule grants them and no deny rule refuses them. It denies nothing.
pub const SECTION_ASK_FILE_DFA: u16 = 10;
/// Section kind: the `ask` network rules, in the network section's format with no socket
/// entries: the endpoint operations they name are put to the profile's listening agent when
/// no network rule allows them.
pub const SECTION_ASK_NET: u16 = 11;
/// The highest section kind this version reads.
const LAST_SECTION: u16 = SECTION_ASK_NET;

/// Most exec paths naming a profile that one profile may have: each exec by a task under it
/// matches them all, as it matches every attachment.
pub const MAX_EXEC_TARGETS: u16 = 64;

/// The name that stands for unconfined tasks in peer lists; no profile may use it.
pub const UNCONFINED: &[u8] = b"unconfined";
/// Most names in a signal, ptrace or unix peer list, and most abstract-name patterns.
pub const MAX_PEERS: u16 = 64;

/// Ptrace flag: unconfined tasks may trace tasks under this profile.
pub const PTRACE_TRACED_BY_UNCONFINED: u32 = 1 << 0;
/// Every ptrace flag this version defines.
pub const PTRACE_ALL: u32 = PTRACE_TRACED_BY_UNCONFINED;

/// Profile flag: a path that cannot be reached from the mount namespace's root (a detached
/// mount, a dentry moved out of a bind mount) is matched by its path within its file system,
/// as if that were absolute (AppArmor's `attach_disconnected`). Without it, such paths are
/// refused.
pub const PROFILE_ATTACH_DISCONNECTED: u8 = 1 << 0;
/// Every profile flag this version defines.
pub const PROFILE_FLAGS_ALL: u8 = PROFILE_ATTACH_DISCONNECTED;

/// Mount flag: `mount()` (new mounts, binds, moves, remounts).
pub const MOUNT_MOUNT: u32 = 1 << 0;
/// Mount flag: `umount()`.
pub const MOUNT_UMOUNT: u32 = 1 << 1;
/// Mount flag: `pivot_root()`.
pub const MOUNT_PIVOT_ROOT: u32 = 1 << 2;
/// Every mount flag this version defines.
pub const MOUNT_ALL: u32 = MOUNT_MOUNT | MOUNT_UMOUNT | MOUNT_PIVOT_ROOT;

/// Access bit: open for reading.
pub const ACCESS_READ: u32 = 1 << 0;
/// Access bit: open for writing (not appending).
pub const ACCESS_WRITE: u32 = 1 << 1;
/// Access bit: execute the file.
pub const ACCESS_EXEC: u32 = 1 << 2;
/// Access bit: open for appending (`O_APPEND`).
pub const ACCESS_APPEND: u32 = 1 << 3;
/// Access bit: create the entry (file, directory, node, symlink).
pub const ACCESS_CREATE: u32 = 1 << 4;
/// Access bit: remove the entry (unlink, rmdir).
pub const ACCESS_DELETE: u32 = 1 << 5;
/// Access bit: rename from or to this name.
pub const ACCESS_RENAME: u32 = 1 << 6;
/// Access bit: hard-link from or to this name.
pub const ACCESS_LINK: u32 = 1 << 7;
/// Access bit: map the file executable.
pub const ACCESS_MMAP_EXEC: u32 = 1 << 8;
/// Access bit: change mode or owner.
pub const ACCESS_SETATTR: u32 = 1 << 9;
/// Access bit: truncate (`truncate`, `ftruncate`, `open(O_TRUNC)`).
pub const ACCESS_TRUNCATE: u32 = 1 << 10;
/// Access bit: `ioctl` on a device file.
pub const ACCESS_IOCTL: u32 = 1 << 11;
/// Exec qualifier (allow masks only): the new program keeps the caller's profile, even if a
/// profile claims it.
pub const ACCESS_EXEC_INHERIT: u32 = 1 << 12;
/// Exec qualifier (allow masks only): the new program must run under the profile that claims
/// it; the exec is refused if none does.
pub const ACCESS_EXEC_PROFILE: u32 = 1 << 13;
/// Access bit: connect to the pathname `AF_UNIX` socket at this path (stream `connect()`,
/// datagram send).
pub const ACCESS_CONNECT: u32 = 1 << 14;
/// Every access bit this version defines.
pub const ACCESS_ALL: u32 = (1 << 15) - 1;

/// Where a file rule's qualifier of access bit n sits in the automaton's masks: bit
/// `QUALIFIER_SHIFT + n` of an allow mask logs the access when it is allowed (`audit`); of a
/// deny mask, it keeps the refusal out of the log (`quiet`). Matching rules' qualifiers are
/// joined as their accesses are.
pub const QUALIFIER_SHIFT: u32 = 16;
/// Every bit a file-rules mask may hold: the accesses and their qualifiers.
pub const FILE_MASK_ALL: u32 = ACCESS_ALL | (ACCESS_ALL << QUALIFIER_SHIFT);

/// The accesses an `owner` rule may allow, with their `audit` bits: not `exec`, whose
/// transition the exec rules of the profile's own automaton choose.
pub const OWNER_ACCESS_ALL: u32 =
    ACCESS_ALL & !(ACCESS_EXEC | ACCESS_EXEC_INHERIT | ACCESS_EXEC_PROFILE);
/// [`OWNER_ACCESS_ALL`] and its qualifier bits: the allow masks of an owner automaton.
pub const OWNER_MASK_ALL: u32 = OWNER_ACCESS_ALL | (OWNER_ACCESS_ALL << QUALIFIER_SHIFT);

/// The accesses an agent may be asked for: all but the exec transitions (an exec the agent
/// allows keeps the caller's profile), and no qualifiers.
pub const ASK_ACCESS_ALL: u32 = OWNER_ACCESS_ALL | ACCESS_EXEC;

/// The accesses of `requested` that an allow mask allows and asks to log (`audit`).
pub const fn audited(allowed: u32, requested: u32) -> u32 {
    (allowed >> QUALIFIER_SHIFT) & allowed & requested
}

/// The deny masks `a` and `b` of rules that match one path, joined: every access either
/// denies, `quiet` only where each of them that denies it is quiet, so that a broad quiet
/// rule does not silence a narrower plain one.
pub const fn join_denied(a: u32, b: u32) -> u32 {
    let loud = ((a & !(a >> QUALIFIER_SHIFT)) | (b & !(b >> QUALIFIER_SHIFT))) & ACCESS_ALL;
    let denied = (a | b) & ACCESS_ALL;
    let quiet = ((a | b) >> QUALIFIER_SHIFT) & denied & !loud;
    denied | quiet << QUALIFIER_SHIFT
}

/// Whether a deny mask denies every access of `refused` and keeps it out of the log
/// (`quiet`): a refusal for want of an allow rule is always logged.
pub const fn quiet(denied: u32, refused: u32) -> bool {
    refused & !((denied >> QUALIFIER_SHIFT) & denied) == 0
}

/// How denial records spell an access mask: one letter per `ACCESS_*` bit, in bit order
/// (`r`ead, `w`rite, e`x`ec, `a`ppend, `c`reate, `d`elete, re`n`ame, `l`ink, `m`map-exec,
/// `s`etattr, `t`runcate, `i`octl, `u`nix-socket connect); `-` for the two exec qualifiers,
/// which are never requested. The kernel writes them, `lsmctl` reads them back.
pub const ACCESS_LETTERS: [u8; 15] = *b"rwxacdnlmsti--u";

/// What a profile does with an access its rules do not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Refuse the access (`EACCES`) and report it.
    Enforce,
    /// Allow the access and report that it would have been refused.
    Complain,
    /// Refuse the access, report it, and kill the task with `SIGKILL`.
    Kill,
    /// As [`Mode::Enforce`], except that an access no rule allows or denies is put to the
    /// profile's listening agent, as `ask` rules put theirs.
    Ask,
}

impl Mode {
    /// The byte that encodes this mode.
    pub const fn to_byte(self) -> u8 {
        match self {
            Mode::Enforce => 0,
            Mode::Complain => 1,
            Mode::Kill => 2,
            Mode::Ask => 3,
        }
    }

    /// The mode a byte encodes, if any.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Mode::Enforce),
            1 => Some(Mode::Complain),
            2 => Some(Mode::Kill),
            3 => Some(Mode::Ask),
            _ => None,
        }
    }

    /// The mode's name as profiles and listings spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Complain => "complain",
            Mode::Kill => "kill",
            Mode::Ask => "ask",
        }
    }
}

/// Why a blob was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The bytes end before a structure they announce.
    Truncated,
    /// The blob does not start with [`MAGIC`].
    BadMagic,
    /// The blob is of a format version this code does not read.
    UnsupportedVersion,
    /// The header's length is not the blob's length.
    LengthMismatch,
    /// The blob is larger than [`MAX_BLOB_LEN`].
    TooLarge,
    /// A reserved field or flag is not zero.
    ReservedNotZero,
    /// The profile count is zero or over [`MAX_PROFILES`].
    BadProfileCount,
    /// A record's length does not match what it holds.
    BadRecordLength,
    /// The mode byte is not a known mode.
    BadMode,
    /// A profile name is empty, too long or has a byte outside `[A-Za-z0-9._-]`.
    BadName,
    /// Two profiles in the blob share a name.
    DuplicateName,
    /// More attachments than [`MAX_ATTACHMENTS`].
    TooManyEntries,
    /// A path pattern is empty, too long, not absolute, or holds a NUL byte; or an abstract
    /// name pattern is empty, too long, or holds a NUL byte.
    BadPattern,
    /// A section kind this version does not know, or one that appears twice.
    BadSection,
    /// A section's payload does not have the size or contents its kind requires.
    BadSectionPayload,
    /// A file-rules automaton failed verification.
    BadAutomaton(file_dfa::DfaFault),
    /// Bytes follow the last record.
    TrailingBytes,
}

impl ErrorKind {
    /// A short explanation for logs and for `lsmctl`.
    pub const fn describe(self) -> &'static str {
        match self {
            ErrorKind::Truncated => "truncated: a structure runs past the end of the blob",
            ErrorKind::BadMagic => "not a rustlsm policy (bad magic)",
            ErrorKind::UnsupportedVersion => "unsupported policy format version",
            ErrorKind::LengthMismatch => "header length does not match the blob size",
            ErrorKind::TooLarge => "blob larger than the kernel accepts",
            ErrorKind::ReservedNotZero => "a reserved field is not zero",
            ErrorKind::BadProfileCount => "profile count is zero or too large",
            ErrorKind::BadRecordLength => "a profile record's length does not match its contents",
            ErrorKind::BadMode => "unknown profile mode",
            ErrorKind::BadName => "bad profile name",
            ErrorKind::DuplicateName => "two profiles share a name",
            ErrorKind::TooManyEntries => "too many attachments",
            ErrorKind::BadPattern => "bad path or abstract name pattern",
            ErrorKind::BadSection => "unknown or repeated section",
            ErrorKind::BadSectionPayload => {
                "malformed capability, signal, ptrace, mount, network or unix section"
            }
            ErrorKind::BadAutomaton(fault) => match fault {
                file_dfa::DfaFault::Length => "file rules: table sizes do not add up",
                file_dfa::DfaFault::Counts => "file rules: bad state, edge or class count",
                file_dfa::DfaFault::Start => "file rules: start state out of range",
                file_dfa::DfaFault::ClassMap => "file rules: byte mapped to a missing class",
                file_dfa::DfaFault::DeadState => "file rules: the dead state has edges",
                file_dfa::DfaFault::EdgeRange => "file rules: edge ranges out of order",
                file_dfa::DfaFault::EdgeClass => "file rules: edge classes unsorted or unknown",
                file_dfa::DfaFault::EdgeTarget => "file rules: edge to a missing state",
                file_dfa::DfaFault::Access => "file rules: unknown access bits",
            },
            ErrorKind::TrailingBytes => "bytes after the last profile",
        }
    }
}

/// A refused blob: what is wrong and the byte offset where it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Offset from the start of the blob.
    pub offset: usize,
}

fn fail<T>(kind: ErrorKind, offset: usize) -> Result<T, FormatError> {
    Err(FormatError { kind, offset })
}

/// A little-endian reader over a byte slice that reports the offset of every failure.
#[derive(Clone, Copy)]
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Offset of `bytes[0]` in the whole blob, for error reports.
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Reader {
            bytes,
            pos: 0,
            base,
        }
    }

    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], FormatError> {
        let end = self.pos.checked_add(len);
        match end.and_then(|end| self.bytes.get(self.pos..end)) {
            Some(slice) => {
                self.pos += len;
                Ok(slice)
            }
            None => fail(ErrorKind::Truncated, self.offset()),
        }
    }

    fn u8(&mut self) -> Result<u8, FormatError> {
        let b = self.take(1)?;
        Ok(b.first().copied().unwrap_or(0))
    }

    fn u16(&mut self) -> Result<u16, FormatError> {
        let b = self.take(2)?;
        let mut a = [0u8; 2];
        a.copy_from_slice(b);
        Ok(u16::from_le_bytes(a))
    }

    fn u32(&mut self) -> Result<u32, FormatError> {
        let b = self.take(4)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(u32::from_le_bytes(a))
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

/// Whether `name` is a valid profile name: 1 to [`MAX_NAME_LEN`] bytes of `[A-Za-z0-9._-]`.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// The fixed header of a profile record, as read from the blob.
struct RecordHeader {
    record_len: usize,
    mode: u8,
    flags: u8,
    name_len: usize,
    attach_count: u16,
    section_count: u16,
    reserved: u32,
}

fn read_record_header(r: &mut Reader<'_>) -> Result<RecordHeader, FormatError> {
    Ok(RecordHeader {
        record_len: r.u32()? as usize,
        mode: r.u8()?,
        flags: r.u8()?,
        name_len: usize::from(r.u16()?),
        attach_count: r.u16()?,
        section_count: r.u16()?,
        reserved: r.u32()?,
    })
}

/// One section of a record: its kind and payload.
struct Section<'a> {
    kind: u16,
    payload: &'a [u8],
    /// Offset of the payload in the blob (or record), for reports.
    offset: usize,
}

fn read_section<'a>(r: &mut Reader<'a>) -> Result<Section<'a>, FormatError> {
    let at = r.offset();
    let kind = r.u16()?;
    if r.u16()? != 0 {
        return fail(ErrorKind::ReservedNotZero, at + 2);
    }
    let len = r.u32()? as usize;
    let offset = r.offset();
    Ok(Section {
        kind,
        payload: r.take(len)?,
        offset,
    })
}

/// Verifies one profile record that starts at `offset` in the blob and is exactly `record`.
fn verify_record(record: &[u8], offset: usize) -> Result<(), FormatError> {
    let mut r = Reader::new(record, offset);
    let h = read_record_header(&mut r)?;
    if h.record_len != record.len() {
        return fail(ErrorKind::BadRecordLength, offset);
    }
    if Mode::from_byte(h.mode).is_none() {
        return fail(ErrorKind::BadMode, offset + 4);
    }
    if h.flags & !PROFILE_FLAGS_ALL != 0 {
        return fail(ErrorKind::ReservedNotZero, offset + 5);
    }
    if h.reserved != 0 {
        return fail(ErrorKind::ReservedNotZero, offset + 12);
    }
    if h.attach_count > MAX_ATTACHMENTS {
        return fail(ErrorKind::TooManyEntries, offset + 8);
    }
    let name_at = r.offset();
    let name = r.take(h.name_len)?;
    if !valid_name(name) || name == UNCONFINED {
        return fail(ErrorKind::BadName, name_at);
    }
    for _ in 0..h.attach_count {
        let at = r.offset();
        let len = usize::from(r.u16()?);
        if !glob::valid_pattern(r.take(len)?) {
            return fail(ErrorKind::BadPattern, at);
        }
    }
    let mut seen = 0u32;
    for _ in 0..h.section_count {
        let at = r.offset();
        let section = read_section(&mut r)?;
        let bit = 1u32.checked_shl(u32::from(section.kind)).unwrap_or(0);
        if section.kind == 0 || section.kind > LAST_SECTION || seen & bit != 0 {
            return fail(ErrorKind::BadSection, at);
        }
        seen |= bit;
        verify_section(&section)?;
    }
    if !r.is_empty() {
        return fail(ErrorKind::BadRecordLength, r.offset());
    }
    Ok(())
}

/// Reads a `u16` count of at most [`MAX_PEERS`] at the start of `r`, then that many entries
/// with `entry`: the shared shape of name lists and abstract-pattern lists.
fn verify_counted<'a>(
    r: &mut Reader<'a>,
    offset: usize,
    mut entry: impl FnMut(&mut Reader<'a>) -> Result<(), FormatError>,
) -> Result<(), FormatError> {
    let count = r.u16()?;
    if count > MAX_PEERS {
        return fail(ErrorKind::BadSectionPayload, offset);
    }
    (0..count).try_for_each(|_| entry(r))
}

/// Verifies a name list: a `u16` count, then that many (`u8` length, name) pairs, exactly.
fn verify_names(bytes: &[u8], offset: usize) -> Result<(), FormatError> {
    let mut r = Reader::new(bytes, offset);
    verify_counted(&mut r, offset, |r| {
        let at = r.offset();
        let len = usize::from(r.u8()?);
        if !valid_name(r.take(len)?) {
            return fail(ErrorKind::BadName, at);
        }
        Ok(())
    })?;
    if !r.is_empty() {
        return fail(ErrorKind::BadSectionPayload, r.offset());
    }
    Ok(())
}

/// Verifies a unix section: a `u16` count of at most [`MAX_PEERS`], that many (`u16` length,
/// abstract name pattern) pairs, then a name list (see [`verify_names`]) that ends the payload.
fn verify_unix(bytes: &[u8], offset: usize) -> Result<(), FormatError> {
    let mut r = Reader::new(bytes, offset);
    verify_counted(&mut r, offset, |r| {
        let at = r.offset();
        let len = usize::from(r.u16()?);
        if !glob::valid_abstract_pattern(r.take(len)?) {
            return fail(ErrorKind::BadPattern, at);
        }
        Ok(())
    })?;
    let names = bytes.get(r.pos..).unwrap_or(&[]);
    verify_names(names, r.offset())
}

/// Verifies an exec-targets section (see [`SECTION_EXEC_TARGETS`]), exactly.
fn verify_exec_targets(bytes: &[u8], offset: usize) -> Result<(), FormatError> {
    let mut r = Reader::new(bytes, offset);
    let count = r.u16()?;
    if count > MAX_EXEC_TARGETS {
        return fail(ErrorKind::BadSectionPayload, offset);
    }
    for _ in 0..count {
        let at = r.offset();
        let len = usize::from(r.u8()?);
        let name = r.take(len)?;
        if !valid_name(name) || name == UNCONFINED {
            return fail(ErrorKind::BadName, at);
        }
        let at = r.offset();
        let len = usize::from(r.u16()?);
        if !glob::valid_pattern(r.take(len)?) {
            return fail(ErrorKind::BadPattern, at);
        }
    }
    if !r.is_empty() {
        return fail(ErrorKind::BadSectionPayload, r.offset());
    }
    Ok(())
}

/// The (profile name, pattern) entries of a verified exec-targets section.
fn exec_target_entries(bytes: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut r = Reader::new(bytes, 0);
    let count = r.u16().unwrap_or(0);
    (0..count).map_while(move |_| {
        let len = usize::from(r.u8().ok()?);
        let name = r.take(len).ok()?;
        let len = usize::from(r.u16().ok()?);
        Some((name, r.take(len).ok()?))
    })
}

/// Splits a unix section into its pattern count, its pattern entries (each a `u16` length and
/// the pattern) and its name list; `None` if the pattern entries run past the end.
fn split_unix(bytes: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let mut r = Reader::new(bytes, 0);
    let count = r.u16().ok()?;
    for _ in 0..count {
        let len = usize::from(r.u16().ok()?);
        r.take(len).ok()?;
    }
    Some((count, bytes.get(2..r.pos)?, bytes.get(r.pos..)?))
}

/// Reads a little-endian `u32` flag word that must be the whole of `bytes` and within `known`.
fn flags_payload(bytes: &[u8], known: u32) -> Option<u32> {
    let flags = u32::from_le_bytes(bytes.try_into().ok()?);
    (flags & !known == 0).then_some(flags)
}

/// Verifies one section's payload according to its kind.
fn verify_section(section: &Section<'_>) -> Result<(), FormatError> {
    let bad = || fail(ErrorKind::BadSectionPayload, section.offset);
    match section.kind {
        SECTION_FILE_DFA | SECTION_OWNER_FILE_DFA | SECTION_ASK_FILE_DFA => {
            let (allow, deny) = match section.kind {
                SECTION_FILE_DFA => (FILE_MASK_ALL, FILE_MASK_ALL),
                SECTION_OWNER_FILE_DFA => (OWNER_MASK_ALL, 0),
                _ => (ASK_ACCESS_ALL, 0),
            };
            file_dfa::verify(section.payload, allow, deny).map_err(|(fault, rel)| FormatError {
                kind: ErrorKind::BadAutomaton(fault),
                offset: section.offset + rel,
            })
        }
        SECTION_CAPS if section.payload.len() == 8 => Ok(()),
        SECTION_SIGNAL => verify_names(section.payload, section.offset),
        SECTION_PTRACE => match (section.payload.get(..4), section.payload.get(4..)) {
            (Some(flags), Some(names)) if flags_payload(flags, PTRACE_ALL).is_some() => {
                verify_names(names, section.offset + 4)
            }
            _ => bad(),
        },
        SECTION_MOUNT if flags_payload(section.payload, MOUNT_ALL).is_some() => Ok(()),
        SECTION_NET => net::verify(section.payload).map_err(|rel| FormatError {
            kind: ErrorKind::BadSectionPayload,
            offset: section.offset + rel,
        }),
        SECTION_ASK_NET => net::verify_rules_only(section.payload).map_err(|rel| FormatError {
            kind: ErrorKind::BadSectionPayload,
            offset: section.offset + rel,
        }),
        SECTION_UNIX => verify_unix(section.payload, section.offset),
        SECTION_EXEC_TARGETS => verify_exec_targets(section.payload, section.offset),
        _ => bad(),
    }
}

/// Whether the name list `bytes` (verified) holds `name`.
fn names_contain(bytes: &[u8], name: &[u8]) -> bool {
    let mut r = Reader::new(bytes, 0);
    let count = r.u16().unwrap_or(0);
    (0..count).any(|_| {
        let len = usize::from(r.u8().unwrap_or(0));
        r.take(len).is_ok_and(|n| n == name)
    })
}

/// Splits off the next record of a blob whose header was already read.
fn next_record<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], FormatError> {
    let mut peek = *r;
    let len = peek.u32()? as usize;
    if len < RECORD_HEADER_LEN {
        return fail(ErrorKind::BadRecordLength, r.offset());
    }
    r.take(len)
}

/// Verifies a whole blob. On success every record in it is well formed, the names are unique,
/// and [`profiles`] walks it without meeting an error. Returns the number of profiles.
pub fn verify(blob: &[u8]) -> Result<u32, FormatError> {
    if blob.len() > MAX_BLOB_LEN {
        return fail(ErrorKind::TooLarge, 0);
    }
    let mut r = Reader::new(blob, 0);
    if r.take(4)? != MAGIC {
        return fail(ErrorKind::BadMagic, 0);
    }
    if r.u16()? != VERSION {
        return fail(ErrorKind::UnsupportedVersion, 4);
    }
    if r.u16()? != 0 {
        return fail(ErrorKind::ReservedNotZero, 6);
    }
    if r.u32()? as usize != blob.len() {
        return fail(ErrorKind::LengthMismatch, 8);
    }
    let count = r.u32()?;
    if count == 0 || count > MAX_PROFILES {
        return fail(ErrorKind::BadProfileCount, 12);
    }
    for _ in 0..count {
        let at = r.offset();
        verify_record(next_record(&mut r)?, at)?;
    }
    if !r.is_empty() {
        return fail(ErrorKind::TrailingBytes, r.offset());
    }
    // Names must be unique. Quadratic, but over at most MAX_PROFILES short names, once per load,
    // and it needs no allocation.
    for (i, a) in profiles(blob).enumerate() {
        if profiles(blob).take(i).any(|b| b.name() == a.name()) {
            return fail(ErrorKind::DuplicateName, a.offset);
        }
    }
    Ok(count)
}

/// Iterates over the records of a blob that [`verify`] accepted.
///
/// On a blob that was not verified it stops at the first malformed record instead of failing.
pub fn profiles(blob: &[u8]) -> Profiles<'_> {
    let mut r = Reader::new(blob, 0);
    let ok = r.take(12).is_ok();
    let count = if ok { r.u32().unwrap_or(0) } else { 0 };
    Profiles { r, left: count }
}

/// Iterator returned by [`profiles`].
pub struct Profiles<'a> {
    r: Reader<'a>,
    left: u32,
}

impl<'a> Iterator for Profiles<'a> {
    type Item = ProfileView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let offset = self.r.offset();
        let view = next_record(&mut self.r)
            .ok()
            .and_then(|record| ProfileView::new(record, offset));
        if view.is_none() {
            self.left = 0;
        }
        view
    }
}

/// Where a part of a record lies in it, in bytes (records are under 4 GiB).
#[derive(Clone, Copy, Default)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The span of `part`, which `r` has just read, ending at `r`'s position.
    fn ending_at(r: &Reader<'_>, part: &[u8]) -> Option<Self> {
        let end = u32::try_from(r.pos).ok()?;
        let start = end.checked_sub(u32::try_from(part.len()).ok()?)?;
        Some(Span { start, end })
    }
}

/// Where each part of one record lies, and its fixed fields: what [`ProfileView::new`] learns
/// by parsing the record. The kernel keeps it beside a loaded profile, so that a check builds
/// its view with [`ProfileView::with_layout`] instead of parsing the record again.
#[derive(Clone, Copy)]
pub struct Layout {
    mode: Mode,
    flags: u8,
    name: Span,
    attach_count: u16,
    /// The attachments, each a `u16` length and the path.
    attachments: Span,
    file_dfa: Option<Span>,
    owner_file_dfa: Option<Span>,
    ask_file_dfa: Option<Span>,
    caps: u64,
    signal_peers: Span,
    ptrace_flags: u32,
    ptrace_peers: Span,
    mount: u32,
    net: Span,
    /// The `ask` network rules (empty without them).
    ask_net: Span,
    /// Number of abstract name patterns in `unix_abstract`.
    unix_abstract_count: u16,
    /// The abstract name patterns, each a `u16` length and the pattern.
    unix_abstract: Span,
    /// The unix peer name list.
    unix_peers: Span,
    /// The exec-targets section, count included.
    exec_targets: Span,
}

impl Layout {
    /// Parses `record`; `None` if it is malformed.
    fn of(record: &[u8]) -> Option<Self> {
        let mut r = Reader::new(record, 0);
        let h = read_record_header(&mut r).ok()?;
        let name = r.take(h.name_len).ok()?;
        let name = Span::ending_at(&r, name)?;
        let attach_start = r.pos;
        for _ in 0..h.attach_count {
            let len = usize::from(r.u16().ok()?);
            r.take(len).ok()?;
        }
        let attachments = Span::ending_at(&r, record.get(attach_start..r.pos)?)?;
        let mut layout = Layout {
            mode: Mode::from_byte(h.mode)?,
            flags: h.flags,
            name,
            attach_count: h.attach_count,
            attachments,
            file_dfa: None,
            owner_file_dfa: None,
            ask_file_dfa: None,
            caps: 0,
            signal_peers: Span::default(),
            ptrace_flags: 0,
            ptrace_peers: Span::default(),
            mount: 0,
            net: Span::default(),
            ask_net: Span::default(),
            unix_abstract_count: 0,
            unix_abstract: Span::default(),
            unix_peers: Span::default(),
            exec_targets: Span::default(),
        };
        for _ in 0..h.section_count {
            let section = read_section(&mut r).ok()?;
            let p = section.payload;
            let span = Span::ending_at(&r, p)?;
            match section.kind {
                SECTION_FILE_DFA => layout.file_dfa = Some(span),
                SECTION_OWNER_FILE_DFA => layout.owner_file_dfa = Some(span),
                SECTION_ASK_FILE_DFA => layout.ask_file_dfa = Some(span),
                SECTION_CAPS => layout.caps = u64::from_le_bytes(p.try_into().ok()?),
                SECTION_SIGNAL => layout.signal_peers = span,
                SECTION_PTRACE => {
                    layout.ptrace_flags = flags_payload(p.get(..4)?, PTRACE_ALL)?;
                    layout.ptrace_peers = Span {
                        start: span.start.checked_add(4)?,
                        end: span.end,
                    };
                }
                SECTION_MOUNT => layout.mount = flags_payload(p, MOUNT_ALL)?,
                SECTION_NET => layout.net = span,
                SECTION_ASK_NET => layout.ask_net = span,
                SECTION_EXEC_TARGETS => layout.exec_targets = span,
                SECTION_UNIX => {
                    let (count, patterns, peers) = split_unix(p)?;
                    let patterns_end = span
                        .start
                        .checked_add(u32::try_from(2 + patterns.len()).ok()?)?;
                    layout.unix_abstract_count = count;
                    layout.unix_abstract = Span {
                        start: span.start.checked_add(2)?,
                        end: patterns_end,
                    };
                    layout.unix_peers = Span {
                        start: span.end.checked_sub(u32::try_from(peers.len()).ok()?)?,
                        end: span.end,
                    };
                }
                _ => {}
            }
        }
        Some(layout)
    }
}

/// A read-only view of one verified profile record.
///
/// Every accessor is bounds-checked, so a view over unverified bytes (or with another
/// record's layout) yields wrong answers at worst, never a panic; over a verified record it
/// yields exactly what was encoded.
#[derive(Clone, Copy)]
pub struct ProfileView<'a> {
    record: &'a [u8],
    offset: usize,
    layout: Layout,
}

impl<'a> ProfileView<'a> {
    /// Views a single record (for instance one the kernel copied out of a verified blob).
    /// `offset` is only used in reports. Returns `None` if the record is malformed.
    pub fn new(record: &'a [u8], offset: usize) -> Option<Self> {
        Some(ProfileView {
            record,
            offset,
            layout: Layout::of(record)?,
        })
    }

    /// Views `record` through the layout a view of it gave before (see [`Self::layout`]),
    /// without parsing it again.
    pub fn with_layout(record: &'a [u8], layout: Layout) -> Self {
        ProfileView {
            record,
            offset: 0,
            layout,
        }
    }

    /// Where the record's parts lie, for [`Self::with_layout`].
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The bytes of one part of the record (empty if the span is not in it).
    fn part(&self, span: Span) -> &'a [u8] {
        self.record
            .get(span.start as usize..span.end as usize)
            .unwrap_or(&[])
    }

    /// The whole record, as it sits in the blob.
    pub fn record(&self) -> &'a [u8] {
        self.record
    }

    /// The profile's name.
    pub fn name(&self) -> &'a [u8] {
        self.part(self.layout.name)
    }

    /// The profile's mode.
    pub fn mode(&self) -> Mode {
        self.layout.mode
    }

    /// The file-rules automaton, if the profile has file rules.
    pub fn file_dfa(&self) -> Option<file_dfa::FileDfa<'a>> {
        self.layout
            .file_dfa
            .and_then(|span| file_dfa::FileDfa::new(self.part(span)))
    }

    /// The `owner` rules' automaton, if the profile has owner rules.
    pub fn owner_file_dfa(&self) -> Option<file_dfa::FileDfa<'a>> {
        self.layout
            .owner_file_dfa
            .and_then(|span| file_dfa::FileDfa::new(self.part(span)))
    }

    /// The `ask` rules' automaton, if the profile has ask rules.
    pub fn ask_file_dfa(&self) -> Option<file_dfa::FileDfa<'a>> {
        self.layout
            .ask_file_dfa
            .and_then(|span| file_dfa::FileDfa::new(self.part(span)))
    }

    /// Whether a task under this profile keeps capability `cap`.
    pub fn has_capability(&self, cap: u32) -> bool {
        1u64.checked_shl(cap)
            .is_some_and(|bit| self.layout.caps & bit != 0)
    }

    /// The capabilities a task under this profile keeps, bit n for capability n.
    pub fn capabilities(&self) -> u64 {
        self.layout.caps
    }

    /// Whether a task under this profile may signal a task under `target` (`None`: an
    /// unconfined task). Its own profile is always allowed.
    pub fn may_signal(&self, target: Option<&[u8]>) -> bool {
        let name = target.unwrap_or(UNCONFINED);
        target == Some(self.name()) || names_contain(self.part(self.layout.signal_peers), name)
    }

    /// Whether a task under this profile may trace a task under `target` (`None`: an
    /// unconfined task). Its own profile is always allowed.
    pub fn may_trace(&self, target: Option<&[u8]>) -> bool {
        let name = target.unwrap_or(UNCONFINED);
        target == Some(self.name()) || names_contain(self.part(self.layout.ptrace_peers), name)
    }

    /// Whether disconnected paths are matched by their path within their file system
    /// ([`PROFILE_ATTACH_DISCONNECTED`]) rather than refused.
    pub fn attach_disconnected(&self) -> bool {
        self.layout.flags & PROFILE_ATTACH_DISCONNECTED != 0
    }

    /// Whether unconfined tasks may trace tasks under this profile.
    pub fn traced_by_unconfined(&self) -> bool {
        self.layout.ptrace_flags & PTRACE_TRACED_BY_UNCONFINED != 0
    }

    /// Whether the mount operation `op` (`MOUNT_*`) is allowed.
    pub fn may_mount(&self, op: u32) -> bool {
        self.layout.mount & op == op
    }

    /// The profile's network rules (which allow nothing when the profile has none).
    pub fn net(&self) -> net::Net<'a> {
        net::Net::new(self.part(self.layout.net))
    }

    /// Whether this profile puts operation `op` (`net::OP_*`) on `proto` at `endpoint` to its
    /// agent when its network rules do not allow it: what its `ask` network rules name, and
    /// in [`Mode::Ask`] every endpoint operation. Socket creation is never asked.
    pub fn asks_net(&self, op: u8, proto: u8, endpoint: &net::Endpoint) -> bool {
        self.mode() == Mode::Ask
            || (self.layout.ask_net.end > self.layout.ask_net.start
                && net::Net::new(self.part(self.layout.ask_net)).may(op, proto, endpoint))
    }

    /// The abstract `AF_UNIX` name patterns of the profile's unix section (none without one).
    pub fn unix_abstract_patterns(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader::new(self.part(self.layout.unix_abstract), 0);
        (0..self.layout.unix_abstract_count).map_while(move |_| {
            let len = usize::from(r.u16().ok()?);
            r.take(len).ok()
        })
    }

    /// Whether a task under this profile may connect or send to the abstract `AF_UNIX` socket
    /// `name` (without the leading NUL byte of its address): true iff a pattern of the unix
    /// section matches it, with the glob semantics of [`glob::glob_match`]. False without a
    /// unix section.
    pub fn may_connect_abstract(&self, name: &[u8]) -> bool {
        self.unix_abstract_patterns()
            .any(|pattern| glob::glob_match(pattern, name))
    }

    /// Whether a task under this profile may connect or send over an `AF_UNIX` socket to a
    /// task under `peer` (`None`: an unconfined task, which the list names `unconfined`): true
    /// iff the unix section lists it. False without a unix section; the profile itself is not
    /// implied (the caller decides that).
    pub fn may_connect_unix_peer(&self, peer: Option<&[u8]>) -> bool {
        names_contain(
            self.part(self.layout.unix_peers),
            peer.unwrap_or(UNCONFINED),
        )
    }

    /// The executable paths or patterns this profile attaches to.
    pub fn attachments(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader::new(self.part(self.layout.attachments), 0);
        (0..self.layout.attach_count).map_while(move |_| {
            let len = usize::from(r.u16().ok()?);
            r.take(len).ok()
        })
    }

    /// How specifically this profile claims the executable at `path`: `None` if it does not,
    /// a larger number for a more specific claim (an exact path beats any pattern, a longer
    /// pattern beats a shorter one).
    pub fn attach_score(&self, path: &[u8]) -> Option<usize> {
        self.attachments()
            .filter(|pattern| glob::glob_match(pattern, path))
            .map(attachment_specificity)
            .max()
    }

    /// The exec rules that name a profile: (profile name, path pattern), in order.
    pub fn exec_targets(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        exec_target_entries(self.part(self.layout.exec_targets))
    }

    /// The profile an exec rule names for the program at `path`: the most specific matching
    /// pattern's (as [`Self::attach_score`] ranks them), the first of equals. `None` if no
    /// such rule matches.
    pub fn exec_target(&self, path: &[u8]) -> Option<&'a [u8]> {
        let mut best: Option<(usize, &'a [u8])> = None;
        for (name, pattern) in self.exec_targets() {
            if !glob::glob_match(pattern, path) {
                continue;
            }
            let score = attachment_specificity(pattern);
            if best.is_none_or(|(top, _)| score > top) {
                best = Some((score, name));
            }
        }
        best.map(|(_, name)| name)
    }

    /// Decides the accesses `requested` on `path`: returns the requested bits that are refused
    /// (0 means allowed). A bit is refused unless an allow rule grants it, and always when a
    /// deny rule names it. One automaton walk, whatever the number of rules.
    pub fn refused(&self, path: &[u8], requested: u32) -> u32 {
        let (allowed, denied) = self.file_masks(path);
        requested & (!allowed | denied)
    }

    /// The (allowed, denied) access masks the file rules give `path`: one automaton walk.
    pub fn file_masks(&self, path: &[u8]) -> (u32, u32) {
        self.file_dfa().map_or((0, 0), |dfa| dfa.lookup(path))
    }

    /// [`Self::file_masks`] for the path `parts` spell together.
    pub fn file_masks_parts(&self, parts: &[&[u8]]) -> (u32, u32) {
        match self.file_dfa() {
            Some(dfa) => dfa.lookup_parts(parts),
            None => (0, 0),
        }
    }

    /// Whether every path under the directory `new` gets from the file rules and the owner
    /// rules what the same path under the directory `old` gets, or gets nothing from either:
    /// each automaton is in the same state after `old/` as after `new/`, or in the dead state
    /// after `new/` in both. `old` and `new` are the directories' paths, without the `/`.
    pub fn same_below(&self, old: &[u8], new: &[u8]) -> bool {
        let dfas = [self.file_dfa(), self.owner_file_dfa()];
        let states = dfas
            .iter()
            .flatten()
            .map(|dfa| (dfa.state_after(&[old, b"/"]), dfa.state_after(&[new, b"/"])));
        states.clone().all(|(o, n)| o == n) || states.clone().all(|(_, n)| n == 0)
    }

    /// What the `owner` rules allow on `path`, to a task that owns the file: one walk of
    /// their automaton, none without owner rules.
    pub fn owner_masks(&self, path: &[u8]) -> u32 {
        self.owner_file_dfa().map_or(0, |dfa| dfa.lookup(path).0)
    }

    /// [`Self::owner_masks`] for the path `parts` spell together.
    pub fn owner_masks_parts(&self, parts: &[&[u8]]) -> u32 {
        self.owner_file_dfa()
            .map_or(0, |dfa| dfa.lookup_parts(parts).0)
    }

    /// The accesses of `path` that this profile puts to its agent when they are refused for
    /// want of an allow rule: what the `ask` rules name, and in [`Mode::Ask`] every access
    /// but those the rules allow (within [`ASK_ACCESS_ALL`]). One walk of the ask automaton,
    /// none without ask rules.
    pub fn ask_masks(&self, path: &[u8]) -> u32 {
        self.ask_file_dfa().map_or(0, |dfa| dfa.lookup(path).0) | self.unmatched_asked()
    }

    /// [`Self::ask_masks`] for the path `parts` spell together.
    pub fn ask_masks_parts(&self, parts: &[&[u8]]) -> u32 {
        self.ask_file_dfa()
            .map_or(0, |dfa| dfa.lookup_parts(parts).0)
            | self.unmatched_asked()
    }

    /// The accesses the profile's mode puts to the agent wherever no rule decides them.
    fn unmatched_asked(&self) -> u32 {
        if self.mode() == Mode::Ask {
            ASK_ACCESS_ALL
        } else {
            0
        }
    }

    /// Whether the profile can ask its agent about anything.
    pub fn asks(&self) -> bool {
        self.mode() == Mode::Ask || self.layout.ask_file_dfa.is_some()
    }
}

/// How specific a claim the attachment `pattern` makes on a program it matches: an exact
/// path beats any pattern, a longer pattern beats a shorter one.
pub fn attachment_specificity(pattern: &[u8]) -> usize {
    if glob::is_glob(pattern) {
        pattern.len()
    } else {
        usize::MAX
    }
}

/// FNV-1a, 64 bits: the digest `lsmctl` and the kernel both show for a loaded profile, so an
/// admin can tell whether what is loaded is what a profile file compiles to.
pub fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `lsm_manage_policy()` flag (from the LSM-owned high half): verify and build the policy,
/// then discard it instead of loading it. Lets tools check a blob against the running
/// kernel, and benchmarks separate parsing from loading.
pub const FLAG_DRY_RUN: u32 = 1 << 16;

/// `LSM_POLICY_RESTRICT_SELF` flag: on success, return a new descriptor (close-on-exec,
/// read-only) from which the caller reads the new layer's records, one line per refusal (or,
/// in complain mode, would-be refusal), as the kernel log words them. The caller stays
/// outside the sandbox it reads about by handing the descriptor to a process that is.
pub const FLAG_RECORDS: u32 = 1 << 17;

/// `LSM_POLICY_RESTRICT_SELF` flag: stack the layer on every thread of the calling process at
/// once, or on none (Landlock's `LANDLOCK_RESTRICT_SELF_TSYNC`). Without it a process with
/// more than one thread is refused (`EBUSY`), since its other threads would run outside the
/// sandbox on the same memory.
pub const FLAG_ALL_THREADS: u32 = 1 << 18;

/// `LSM_POLICY_RESTRICT_SELF` flag: return a listener for the new layer (close-on-exec,
/// readable and writable), on which the accesses its `ask` rules (or `ask` mode) leave to an
/// agent arrive, as an administrator's listener gets a system profile's (see
/// [`crate::ask_protocol`]). Only a task outside the layer may use it: the creator hands it
/// to one. Not with [`FLAG_RECORDS`]: a call returns one descriptor.
pub const FLAG_LISTENER: u32 = 1 << 19;
