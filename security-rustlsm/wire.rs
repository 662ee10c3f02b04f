// SPDX-License-Identifier: GPL-2.0-only

//! The rustlsm policy wire format: its layout, its verifier and its read-only views.
//!
//! This one file is compiled into the kernel (as a module of the LSM) and into the userspace
//! crate `rustlsm-policy` (which adds the encoder), so the decoder the kernel trusts is the
//! one that is unit-tested and fuzzed in userspace. It therefore uses `core` only, never
//! allocates, never panics on any input, and has no `unsafe`.
//!
//! A blob is a header followed by profile records; every integer is little-endian and every
//! length is checked against the bytes that are really there. [`verify`] accepts a blob only
//! when every record, name, attachment and rule in it is well formed, so code that later walks
//! an accepted blob (see [`ProfileView`]) meets no surprise. The layout (offsets in bytes):
//!
//! ```text
//! header   0 magic "RLSM"  4 version u16  6 flags u16 (0)  8 total_len u32  12 count u32
//! record   0 record_len u32  4 mode u8  5 flags u8 (0)  6 name_len u16  8 attach_count u16
//!          10 reserved u16 (0)  12 rule_count u32  16 name bytes
//!          then attach_count times: len u16, path bytes
//!          then rule_count times: effect u8, reserved u8 (0), access u16, len u16, pattern bytes
//! ```

/// The four bytes every policy blob starts with.
pub const MAGIC: [u8; 4] = *b"RLSM";
/// The format version this code reads and writes; the kernel's ABI version.
pub const VERSION: u16 = 1;
/// Size of the blob header.
pub const HEADER_LEN: usize = 16;
/// Size of the fixed part of a profile record.
pub const RECORD_HEADER_LEN: usize = 16;
/// Size of the fixed part of a rule entry.
pub const RULE_HEADER_LEN: usize = 6;

/// Most profiles one blob may carry.
pub const MAX_PROFILES: u32 = 1024;
/// Longest profile name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Most attachment paths one profile may have.
pub const MAX_ATTACHMENTS: u16 = 64;
/// Most rules one profile may have.
pub const MAX_RULES: u32 = 65536;
/// Longest path pattern (attachment or rule), in bytes; the matcher keeps one bit per byte.
pub const MAX_PATTERN_LEN: usize = 255;
/// Largest blob the kernel accepts, in bytes.
pub const MAX_BLOB_LEN: usize = 16 << 20;

/// Access bit: open for reading.
pub const ACCESS_READ: u16 = 1 << 0;
/// Access bit: open for writing.
pub const ACCESS_WRITE: u16 = 1 << 1;
/// Access bit: open for execution (the `exec` of a binary).
pub const ACCESS_EXEC: u16 = 1 << 2;
/// Every access bit this version defines.
pub const ACCESS_ALL: u16 = ACCESS_READ | ACCESS_WRITE | ACCESS_EXEC;

/// What a profile does with an access its rules do not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Refuse the access (`EACCES`) and report it.
    Enforce,
    /// Allow the access and report that it would have been refused.
    Complain,
}

impl Mode {
    /// The byte that encodes this mode.
    pub const fn to_byte(self) -> u8 {
        match self {
            Mode::Enforce => 0,
            Mode::Complain => 1,
        }
    }

    /// The mode a byte encodes, if any.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Mode::Enforce),
            1 => Some(Mode::Complain),
            _ => None,
        }
    }

    /// The mode's name as profiles and listings spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Complain => "complain",
        }
    }
}

/// Whether a rule grants or refuses its accesses. A deny always wins over an allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Grants the rule's accesses on matching paths.
    Allow,
    /// Refuses the rule's accesses on matching paths, whatever else allows them.
    Deny,
}

impl Effect {
    /// The byte that encodes this effect.
    pub const fn to_byte(self) -> u8 {
        match self {
            Effect::Allow => 0,
            Effect::Deny => 1,
        }
    }

    /// The effect a byte encodes, if any.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Effect::Allow),
            1 => Some(Effect::Deny),
            _ => None,
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
    /// More attachments than [`MAX_ATTACHMENTS`] or rules than [`MAX_RULES`].
    TooManyEntries,
    /// A path pattern is empty, too long, not absolute, or holds a NUL byte.
    BadPattern,
    /// The effect byte is not a known effect.
    BadEffect,
    /// An access mask is empty or has bits this version does not define.
    BadAccess,
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
            ErrorKind::TooManyEntries => "too many attachments or rules",
            ErrorKind::BadPattern => "bad path pattern",
            ErrorKind::BadEffect => "unknown rule effect",
            ErrorKind::BadAccess => "empty or unknown access bits",
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

/// Whether `pattern` is a valid path pattern: absolute, 1 to [`MAX_PATTERN_LEN`] bytes, no NUL.
///
/// `?` matches one byte other than `/`, `*` any run of bytes without `/`, `**` any run of
/// bytes; every other byte matches itself.
pub fn valid_pattern(pattern: &[u8]) -> bool {
    pattern.first() == Some(&b'/') && pattern.len() <= MAX_PATTERN_LEN && !pattern.contains(&0)
}

/// The fixed header of a profile record, as read from the blob.
struct RecordHeader {
    record_len: usize,
    mode: u8,
    flags: u8,
    name_len: usize,
    attach_count: u16,
    reserved: u16,
    rule_count: u32,
}

fn read_record_header(r: &mut Reader<'_>) -> Result<RecordHeader, FormatError> {
    Ok(RecordHeader {
        record_len: r.u32()? as usize,
        mode: r.u8()?,
        flags: r.u8()?,
        name_len: usize::from(r.u16()?),
        attach_count: r.u16()?,
        reserved: r.u16()?,
        rule_count: r.u32()?,
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
    if h.flags != 0 || h.reserved != 0 {
        return fail(ErrorKind::ReservedNotZero, offset + 5);
    }
    if h.attach_count > MAX_ATTACHMENTS || h.rule_count > MAX_RULES {
        return fail(ErrorKind::TooManyEntries, offset + 8);
    }
    let name_at = r.offset();
    if !valid_name(r.take(h.name_len)?) {
        return fail(ErrorKind::BadName, name_at);
    }
    for _ in 0..h.attach_count {
        let at = r.offset();
        let len = usize::from(r.u16()?);
        if !valid_pattern(r.take(len)?) {
            return fail(ErrorKind::BadPattern, at);
        }
    }
    for _ in 0..h.rule_count {
        let at = r.offset();
        if Effect::from_byte(r.u8()?).is_none() {
            return fail(ErrorKind::BadEffect, at);
        }
        if r.u8()? != 0 {
            return fail(ErrorKind::ReservedNotZero, at + 1);
        }
        let access = r.u16()?;
        if access == 0 || access & !ACCESS_ALL != 0 {
            return fail(ErrorKind::BadAccess, at + 2);
        }
        let len = usize::from(r.u16()?);
        if !valid_pattern(r.take(len)?) {
            return fail(ErrorKind::BadPattern, at + 4);
        }
    }
    if !r.is_empty() {
        return fail(ErrorKind::BadRecordLength, r.offset());
    }
    Ok(())
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

/// A read-only view of one verified profile record.
///
/// Every accessor is bounds-checked, so a view over unverified bytes yields wrong answers at
/// worst, never a panic; over a verified record it yields exactly what was encoded.
#[derive(Clone, Copy)]
pub struct ProfileView<'a> {
    record: &'a [u8],
    offset: usize,
    mode: Mode,
    name: &'a [u8],
    attach_count: u16,
    rule_count: u32,
    /// The attachments followed by the rules.
    entries: &'a [u8],
}

impl<'a> ProfileView<'a> {
    /// Views a single record (for instance one the kernel copied out of a verified blob).
    /// `offset` is only used in reports. Returns `None` if the fixed part is malformed.
    pub fn new(record: &'a [u8], offset: usize) -> Option<Self> {
        let mut r = Reader::new(record, offset);
        let h = read_record_header(&mut r).ok()?;
        let name = r.take(h.name_len).ok()?;
        let entries = record.get(RECORD_HEADER_LEN + h.name_len..)?;
        Some(ProfileView {
            record,
            offset,
            mode: Mode::from_byte(h.mode)?,
            name,
            attach_count: h.attach_count,
            rule_count: h.rule_count,
            entries,
        })
    }

    /// The whole record, as it sits in the blob.
    pub fn record(&self) -> &'a [u8] {
        self.record
    }

    /// The profile's name.
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The profile's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The executable paths or patterns this profile attaches to.
    pub fn attachments(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader::new(self.entries, 0);
        (0..self.attach_count).map_while(move |_| {
            let len = usize::from(r.u16().ok()?);
            r.take(len).ok()
        })
    }

    /// The profile's rules, in order.
    pub fn rules(&self) -> impl Iterator<Item = Rule<'a>> + 'a {
        let mut r = Reader::new(self.entries, 0);
        let mut skip = self.attach_count;
        (0..self.rule_count).map_while(move |_| {
            while skip > 0 {
                let len = usize::from(r.u16().ok()?);
                r.take(len).ok()?;
                skip -= 1;
            }
            let effect = Effect::from_byte(r.u8().ok()?)?;
            r.u8().ok()?;
            let access = r.u16().ok()?;
            let len = usize::from(r.u16().ok()?);
            let pattern = r.take(len).ok()?;
            Some(Rule {
                effect,
                access,
                pattern,
            })
        })
    }

    /// How specifically this profile claims the executable at `path`: `None` if it does not,
    /// a larger number for a more specific claim (an exact path beats any pattern, a longer
    /// pattern beats a shorter one).
    pub fn attach_score(&self, path: &[u8]) -> Option<usize> {
        self.attachments()
            .filter(|pattern| glob_match(pattern, path))
            .map(|pattern| {
                if pattern.iter().any(|b| matches!(b, b'*' | b'?')) {
                    pattern.len()
                } else {
                    usize::MAX
                }
            })
            .max()
    }

    /// Decides the accesses `requested` on `path`: returns the requested bits that are refused
    /// (0 means allowed). A bit is refused unless an allow rule grants it, and always when a
    /// deny rule names it.
    pub fn refused(&self, path: &[u8], requested: u16) -> u16 {
        let mut allowed = 0u16;
        let mut denied = 0u16;
        for rule in self.rules() {
            // Skip rules that cannot change the answer before paying for the match.
            let interesting = rule.access & requested;
            if interesting == 0 {
                continue;
            }
            match rule.effect {
                Effect::Allow if interesting & !allowed == 0 => continue,
                Effect::Deny if interesting & !denied == 0 => continue,
                _ => {}
            }
            if glob_match(rule.pattern, path) {
                match rule.effect {
                    Effect::Allow => allowed |= rule.access,
                    Effect::Deny => denied |= rule.access,
                }
            }
        }
        requested & (!allowed | denied)
    }
}

/// One rule of a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule<'a> {
    /// Allow or deny.
    pub effect: Effect,
    /// The access bits the rule is about.
    pub access: u16,
    /// The path pattern the rule applies to.
    pub pattern: &'a [u8],
}

/// A set of pattern positions, one bit per byte offset (0 to [`MAX_PATTERN_LEN`]).
#[derive(Clone, Copy, PartialEq, Eq)]
struct PositionSet([u64; 4]);

impl PositionSet {
    const EMPTY: Self = PositionSet([0; 4]);

    fn insert(&mut self, pos: usize) {
        if let Some(word) = self.0.get_mut(pos / 64) {
            *word |= 1 << (pos % 64);
        }
    }

    fn contains(&self, pos: usize) -> bool {
        self.0
            .get(pos / 64)
            .is_some_and(|word| word & (1 << (pos % 64)) != 0)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
}

/// Width of the token at `pos`: 2 for `**`, otherwise 1.
fn token_len(pattern: &[u8], pos: usize) -> usize {
    if pattern.get(pos) == Some(&b'*') && pattern.get(pos + 1) == Some(&b'*') {
        2
    } else {
        1
    }
}

/// Adds to `set` every position reachable from `pos` through stars matching nothing.
fn insert_closed(set: &mut PositionSet, pattern: &[u8], mut pos: usize) {
    loop {
        set.insert(pos);
        match pattern.get(pos) {
            Some(b'*') => pos += token_len(pattern, pos),
            _ => return,
        }
    }
}

/// Matches `path` against a glob `pattern` (see [`valid_pattern`]) in time proportional to
/// `path.len() * pattern.len()`, without recursion or allocation: it runs the pattern as an
/// automaton whose states are positions in the pattern. Patterns over [`MAX_PATTERN_LEN`]
/// bytes never match.
pub fn glob_match(pattern: &[u8], path: &[u8]) -> bool {
    if pattern.len() > MAX_PATTERN_LEN {
        return false;
    }
    let mut current = PositionSet::EMPTY;
    insert_closed(&mut current, pattern, 0);
    for &c in path {
        let mut next = PositionSet::EMPTY;
        for pos in 0..pattern.len() {
            if !current.contains(pos) {
                continue;
            }
            let Some(&p) = pattern.get(pos) else { continue };
            match p {
                b'*' if token_len(pattern, pos) == 2 => insert_closed(&mut next, pattern, pos),
                b'*' if c != b'/' => insert_closed(&mut next, pattern, pos),
                b'*' => {}
                b'?' if c != b'/' => insert_closed(&mut next, pattern, pos + 1),
                _ if p == c && p != b'?' => insert_closed(&mut next, pattern, pos + 1),
                _ => {}
            }
        }
        if next.is_empty() {
            return false;
        }
        current = next;
    }
    current.contains(pattern.len())
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
