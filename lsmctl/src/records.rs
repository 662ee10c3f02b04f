//! A sandbox's records: the lines the kernel writes to the descriptor that
//! `LSM_POLICY_RESTRICT_SELF` returns with `FLAG_RECORDS`, one per refusal (or, in complain
//! mode, would-be refusal), worded as the kernel log words them:
//!
//! ```text
//! DENIED sandbox=7 profile="sandbox" op=open path="/etc/shadow" requested=r denied=r pid=9 comm="cat"
//! LOST records=3
//! ```
//!
//! Here they are split out of the byte stream, parsed, and rendered for a human on one line
//! with the rule that refused them ([`crate::explain`]). Nothing here trusts the input: any
//! line that is not a well-formed record is kept raw and shown as it came, escaped.

use crate::explain;
use crate::profile::CAPABILITY_NAMES;
use crate::sandbox::Sandbox;
use std::net::IpAddr;

/// What the kernel did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Refused (`DENIED`).
    Denied,
    /// Allowed, since the layer is in complain mode, but would have been refused (`ALLOWED`).
    Allowed,
    /// Refused, and the task killed (`KILLED`).
    Killed,
    /// Allowed, and logged because a rule asked for it (`AUDIT`).
    Audited,
}

/// One `key=value` field of a record's object, its value unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub key: String,
    pub value: Vec<u8>,
}

/// One refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub verdict: Verdict,
    /// The sandbox's id (absent from system profiles' log lines).
    pub sandbox: Option<u64>,
    pub profile: Vec<u8>,
    /// The operation: `open`, `connect`, `capable`, ...
    pub op: String,
    /// The object's fields, in order (none for an operation that says it all).
    pub fields: Vec<Field>,
    pub pid: i64,
    pub comm: Vec<u8>,
}

/// One line of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Record(Record),
    /// The kernel dropped this many records because they were not read in time.
    Lost(u64),
    /// Anything else, as it came (without its newline).
    Unknown(Vec<u8>),
}

/// What a record is about, read from its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object<'a> {
    /// A file: the accesses asked and those refused (`None` when a letter is unknown).
    File {
        path: &'a [u8],
        requested: Option<u32>,
        denied: Option<u32>,
        /// Of the denied, what owner rules allow to the file's owner (the task is not it).
        owner_only: Option<u32>,
        /// Why the agent the denied accesses were put to did not allow them (`timeout`,
        /// `denied`, `none`...), if the profile asked one.
        asked: Option<&'a [u8]>,
    },
    /// An exec the kernel refused for a reason it words itself.
    Exec { path: &'a [u8], info: &'a [u8] },
    /// A TCP or UDP endpoint.
    Endpoint {
        proto: &'a [u8],
        addr: IpAddr,
        port: u16,
        /// Why the agent the operation was put to did not allow it, if it was asked.
        asked: Option<&'a [u8]>,
    },
    /// A kind of socket to create.
    Socket {
        family: u16,
        sock_type: u16,
        protocol: u16,
    },
    /// A capability, by number.
    Capability(u32),
    /// An abstract unix socket name, without its `@`.
    Abstract(&'a [u8]),
    /// Another task, by what it is to this one (`target`, `tracer`) and its name.
    Task { role: &'a str, name: &'a [u8] },
    /// Nothing: the operation says it all.
    None,
    /// Fields of no known shape.
    Other,
}

/// The letters the kernel spells access masks with (`wire::ACCESS_LETTERS`).
const LETTERS: &[u8; 15] = &rustlsm_policy::wire::ACCESS_LETTERS;

/// The access mask `letters` spell; `None` if one is not an access letter.
pub fn access_mask(letters: &[u8]) -> Option<u32> {
    letters.iter().try_fold(0u32, |mask, &l| {
        let bit = LETTERS.iter().position(|&x| x == l && x != b'-')?;
        Some(mask | 1 << bit)
    })
}

/// The letters of `mask`, in the kernel's order; bits without a letter are left out.
pub fn access_letters(mask: u32) -> String {
    LETTERS
        .iter()
        .enumerate()
        .filter(|&(bit, &l)| l != b'-' && mask & (1 << bit) != 0)
        .map(|(_, &l)| char::from(l))
        .collect()
}

/// Splits a byte stream into lines, whatever pieces it arrives in. A line longer than
/// [`LineSplitter::MAX_LINE`] is handed on in pieces of that size, so that a stream without
/// newlines cannot grow the buffer without bound.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// Longest line kept whole; a kernel record is far shorter (a path of 4096 bytes, each
    /// escaped to 4).
    pub const MAX_LINE: usize = 64 << 10;

    pub fn new() -> Self {
        LineSplitter::default()
    }

    /// Takes `bytes` and calls `line` for each line they complete, without its newline.
    pub fn push(&mut self, mut bytes: &[u8], line: &mut impl FnMut(&[u8])) {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            if self.pending.is_empty() {
                line(&bytes[..end]);
            } else {
                self.pending.extend_from_slice(&bytes[..end]);
                line(&self.pending);
                self.pending.clear();
            }
            bytes = &bytes[end + 1..];
        }
        self.pending.extend_from_slice(bytes);
        while self.pending.len() > Self::MAX_LINE {
            let rest = self.pending.split_off(Self::MAX_LINE);
            line(&self.pending);
            self.pending = rest;
        }
    }

    /// Calls `line` for what is left of an unfinished line, if anything.
    pub fn finish(&mut self, line: &mut impl FnMut(&[u8])) {
        if !self.pending.is_empty() {
            line(&self.pending);
            self.pending.clear();
        }
    }
}

/// A token of a line: a bare word, or `key=value` with the value unquoted and unescaped.
struct Token {
    key: Option<String>,
    value: Vec<u8>,
    quoted: bool,
}

/// Splits a line into tokens; `None` if it is not well formed (an unterminated quote, a bad
/// escape, a key that is not a lowercase word).
fn tokens(line: &[u8]) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        if i >= line.len() {
            return Some(out);
        }
        let start = i;
        while let Some(&b) = line.get(i) {
            if b == b' ' || b == b'=' {
                break;
            }
            i += 1;
        }
        let word = &line[start..i];
        if line.get(i) != Some(&b'=') {
            out.push(Token {
                key: None,
                value: word.to_vec(),
                quoted: false,
            });
            continue;
        }
        let key_ok = !word.is_empty()
            && word
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
        if !key_ok {
            return None;
        }
        let key = String::from_utf8(word.to_vec()).ok()?;
        i += 1;
        let (value, quoted) = if line.get(i) == Some(&b'"') {
            let (value, end) = unquote(line, i + 1)?;
            i = end;
            // A closing quote ends the token.
            if !matches!(line.get(i), None | Some(b' ')) {
                return None;
            }
            (value, true)
        } else {
            let start = i;
            while line.get(i).is_some_and(|&b| b != b' ') {
                i += 1;
            }
            (line[start..i].to_vec(), false)
        };
        out.push(Token {
            key: Some(key),
            value,
            quoted,
        });
    }
}

/// The `key=value` fields of `line`, in order, values unquoted; `None` if the line is not
/// well formed or holds a bare word.
pub fn fields(line: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    tokens(line)?
        .into_iter()
        .map(|t| Some((t.key?, t.value)))
        .collect()
}

/// Reads a quoted value from `line[start..]` up to its closing quote: every byte as is but
/// `\xNN`, which is byte NN. Returns the bytes and the index after the closing quote.
fn unquote(line: &[u8], start: usize) -> Option<(Vec<u8>, usize)> {
    let mut value = Vec::new();
    let mut i = start;
    loop {
        match *line.get(i)? {
            b'"' => return Some((value, i + 1)),
            b'\\' => {
                if line.get(i + 1) != Some(&b'x') {
                    return None;
                }
                let hex = line.get(i + 2..i + 4)?;
                let hex = std::str::from_utf8(hex).ok()?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                value.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            b => {
                value.push(b);
                i += 1;
            }
        }
    }
}

/// Parses one line (without its newline). Never fails: what is not a record is
/// [`Line::Unknown`].
pub fn parse_line(line: &[u8]) -> Line {
    parse_known(line).unwrap_or_else(|| Line::Unknown(line.to_vec()))
}

fn parse_known(line: &[u8]) -> Option<Line> {
    let tokens = tokens(line)?;
    let (first, rest) = tokens.split_first()?;
    if first.key.is_some() {
        return None;
    }
    let verdict = match first.value.as_slice() {
        b"DENIED" => Verdict::Denied,
        b"ALLOWED" => Verdict::Allowed,
        b"KILLED" => Verdict::Killed,
        b"AUDIT" => Verdict::Audited,
        b"LOST" => {
            return match rest {
                [t] if t.key.as_deref() == Some("records") && !t.quoted => {
                    Some(Line::Lost(number(&t.value)?))
                }
                _ => None,
            };
        }
        _ => return None,
    };
    let mut rest = rest;
    let mut sandbox = None;
    if let Some((t, tail)) = rest.split_first() {
        if t.key.as_deref() == Some("sandbox") && !t.quoted {
            sandbox = Some(number(&t.value)?);
            rest = tail;
        }
    }
    let (profile, rest) = rest.split_first()?;
    let (op, rest) = rest.split_first()?;
    let (comm, rest) = rest.split_last()?;
    let (pid, fields) = rest.split_last()?;
    if profile.key.as_deref() != Some("profile")
        || op.key.as_deref() != Some("op")
        || op.quoted
        || pid.key.as_deref() != Some("pid")
        || pid.quoted
        || comm.key.as_deref() != Some("comm")
        || !comm.quoted
    {
        return None;
    }
    let op = String::from_utf8(op.value.clone()).ok()?;
    if op.is_empty() {
        return None;
    }
    let pid = std::str::from_utf8(&pid.value).ok()?.parse().ok()?;
    let fields = fields
        .iter()
        .map(|t| {
            Some(Field {
                key: t.key.clone()?,
                value: t.value.clone(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Line::Record(Record {
        verdict,
        sandbox,
        profile: profile.value.clone(),
        op,
        fields,
        pid,
        comm: comm.value.clone(),
    }))
}

/// A decimal number of ASCII digits.
fn number<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

impl Record {
    /// The value of field `key`.
    pub fn field(&self, key: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.value.as_slice())
    }

    /// What the record is about, by the set of its fields.
    pub fn object(&self) -> Object<'_> {
        let keys: Vec<&str> = self.fields.iter().map(|f| f.key.as_str()).collect();
        let value = |key: &str| self.field(key).unwrap_or_default();
        match keys.as_slice() {
            [] => Object::None,
            ["path", "requested", "denied"]
            | ["path", "requested", "denied", "owner_only"]
            | ["path", "requested", "denied", "ask"]
            | ["path", "requested", "denied", "owner_only", "ask"] => Object::File {
                path: value("path"),
                requested: access_mask(value("requested")),
                denied: access_mask(value("denied")),
                owner_only: self.field("owner_only").and_then(access_mask),
                asked: self.field("ask"),
            },
            ["path", "info"] => Object::Exec {
                path: value("path"),
                info: value("info"),
            },
            ["proto", "addr", "port"] | ["proto", "addr", "port", "ask"] => {
                let addr = std::str::from_utf8(value("addr"))
                    .ok()
                    .and_then(|a| a.parse().ok());
                match (addr, number(value("port"))) {
                    (Some(addr), Some(port)) => Object::Endpoint {
                        proto: value("proto"),
                        addr,
                        port,
                        asked: self.field("ask"),
                    },
                    _ => Object::Other,
                }
            }
            ["family", "type", "protocol"] => {
                match (
                    number(value("family")),
                    number(value("type")),
                    number(value("protocol")),
                ) {
                    (Some(family), Some(sock_type), Some(protocol)) => Object::Socket {
                        family,
                        sock_type,
                        protocol,
                    },
                    _ => Object::Other,
                }
            }
            ["capability"] => number(value("capability")).map_or(Object::Other, Object::Capability),
            ["addr"] => match value("addr").strip_prefix(b"@") {
                Some(name) => Object::Abstract(name),
                None => Object::Other,
            },
            [role] => match self.fields.first() {
                Some(f) => Object::Task {
                    role,
                    name: &f.value,
                },
                None => Object::Other,
            },
            _ => Object::Other,
        }
    }
}

/// Characters a terminal shows as nothing, or that reorder or break the text around them:
/// a name made of them could pass for another, or hide part of the line.
fn invisible(c: char) -> bool {
    matches!(
        c,
        // Soft hyphen, combining grapheme joiner, Arabic letter mark, Hangul fillers,
        // Mongolian vowel separator.
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{ffa0}'
            | '\u{180e}'
            // Spaces that look like a space but are not one.
            | '\u{00a0}'
            | '\u{2000}'..='\u{200a}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
            // Zero-width characters, direction marks, line and paragraph separators,
            // embeddings and isolates, invisible operators.
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            // Variation selectors, byte order mark, annotation characters.
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            // Shorthand format controls, musical formatting, tags, more variation selectors.
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e007f}'
            | '\u{e0100}'..='\u{e01ef}'
    )
}

/// A name the sandbox chose (a path, a socket's, a command's) for a line whose words around
/// it explain it: [`shown`], and in quotes if it has a space, a quote, a colon or a
/// parenthesis, so that a file named `x (r): allowed by --rw /home` reads as one name, not as
/// lsmctl's own words.
pub fn shown_name(bytes: &[u8]) -> String {
    let text = shown(bytes);
    if text.contains([' ', '"', ':', '(', ')']) {
        format!("\"{}\"", text.replace('"', "\\x22"))
    } else {
        text
    }
}

/// `bytes` for a terminal: UTF-8 text as is, but control characters, invisible characters
/// and characters that reorder text, `\` and bytes that are not UTF-8 as `\xNN`, so that a
/// file name can neither move the cursor nor pass for other words.
pub fn shown(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() || invisible(c) || c == '\\' {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// The name of capability `cap`, as the man pages write it.
fn capability_name(cap: u32) -> String {
    usize::try_from(cap)
        .ok()
        .and_then(|i| CAPABILITY_NAMES.get(i))
        .map_or_else(
            || format!("capability {cap}"),
            |n| format!("CAP_{}", n.to_ascii_uppercase()),
        )
}

/// A socket family's name, or its number.
fn family_name(family: u16) -> String {
    crate::network::family_name(family).map_or_else(|| format!("family {family}"), String::from)
}

/// A socket type's name, or its number.
fn type_name(sock_type: u16) -> String {
    match sock_type {
        1 => "stream".into(),
        2 => "dgram".into(),
        3 => "raw".into(),
        5 => "seqpacket".into(),
        10 => "packet".into(),
        n => format!("type {n}"),
    }
}

/// A socket as a profile's `sockets` names it (`inet:stream`, `inet:icmp`,
/// `netlink:route`), with the protocol's number where no name says it.
pub fn socket_words(family: u16, sock_type: u16, protocol: u16) -> String {
    use rustlsm_policy::net;
    let known = crate::network::family_name(family).is_some();
    let ip = family == net::AF_INET || family == net::AF_INET6;
    let icmp = (family == net::AF_INET && protocol == net::IPPROTO_ICMP)
        || (family == net::AF_INET6 && protocol == net::IPPROTO_ICMPV6);
    let plain = match family {
        _ if ip => matches!(protocol, 0 | net::IPPROTO_TCP | net::IPPROTO_UDP),
        net::AF_NETLINK => false,
        _ => protocol == 0,
    };
    let kind = type_name(sock_type);
    match () {
        _ if !known => format!("{} {kind} protocol {protocol}", family_name(family)),
        _ if family == net::AF_NETLINK && protocol == 0 && matches!(sock_type, 2 | 3) => {
            "netlink:route".into()
        }
        _ if icmp && sock_type == 2 => format!("{}:icmp", family_name(family)),
        _ if plain && !kind.contains(' ') => format!("{}:{kind}", family_name(family)),
        _ => format!("{}:{kind} protocol {protocol}", family_name(family)),
    }
}

/// An IP endpoint as usually written: `10.0.0.1:80`, `[::1]:80`.
pub fn endpoint_text(addr: &IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// Why an agent did not allow what a profile asked it (a record's `ask=`), in words.
pub fn asked_text(why: &[u8]) -> String {
    match why {
        b"none" => "asked, but no agent listens".to_string(),
        b"denied" => "the agent refused".to_string(),
        b"timeout" => "the agent did not answer in time".to_string(),
        b"killed" => "the task was killed while it waited".to_string(),
        b"busy" => "the agent had too many requests".to_string(),
        b"nowait" => "refused at once where a task may not wait; the agent was asked".to_string(),
        b"agent" => "the agent's own access, never asked".to_string(),
        b"closed" => "the agent closed its listener".to_string(),
        b"nomem" => "no memory to ask".to_string(),
        b"sandbox" => "the task's sandbox refuses it anyway; nobody was asked".to_string(),
        other => format!("ask={}", shown(other)),
    }
}

/// What a record is about, in words: `/etc/shadow (r)`, `tcp 10.0.0.1:80`.
fn object_text(record: &Record) -> String {
    match record.object() {
        Object::File {
            path,
            requested,
            denied,
            owner_only,
            asked,
        } => {
            let mut letters = match (denied, requested) {
                (Some(d), _) if d != 0 => access_letters(d),
                (_, Some(r)) => access_letters(r),
                _ => shown(record.field("denied").unwrap_or_default()),
            };
            if let Some(o) = owner_only.filter(|&o| o != 0) {
                letters += &format!("; {} for the file's owner only", access_letters(o));
            }
            if let Some(why) = asked {
                letters += &format!("; {}", asked_text(why));
            }
            format!("{} ({letters})", shown_name(path))
        }
        Object::Exec { path, .. } => shown_name(path),
        Object::Endpoint {
            proto,
            addr,
            port,
            asked,
        } => {
            let why = asked.map_or(String::new(), |why| format!(" ({})", asked_text(why)));
            format!("{} {}{why}", shown(proto), endpoint_text(&addr, port))
        }
        Object::Socket {
            family,
            sock_type,
            protocol,
        } => socket_words(family, sock_type, protocol),
        Object::Capability(cap) => capability_name(cap),
        Object::Abstract(name) => format!("@{}", shown_name(name)),
        Object::Task { role, name } => format!("{role} {}", shown(name)),
        Object::None => String::new(),
        Object::Other => record
            .fields
            .iter()
            .map(|f| format!("{}={}", f.key, shown(&f.value)))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// A record, or any other line, on one line for a human. `sandbox` is the sandbox the
/// records come from, whose rules explain them; without it, records go unexplained.
///
/// ```text
/// lsmctl: denied: cat[123] open /srv/secret (r): refused by --deny /srv/secret
/// lsmctl: would deny (complain): sh[9] connect tcp 10.0.0.1:80: no rule allows it; ...
/// ```
pub fn render(line: &Line, sandbox: Option<&Sandbox>) -> String {
    let record = match line {
        Line::Record(r) => r,
        Line::Lost(n) => {
            return format!(
                "lsmctl: {n} more record(s) lost: the kernel dropped them before lsmctl read them"
            )
        }
        Line::Unknown(raw) => return format!("lsmctl: record: {}", shown(raw)),
    };
    let verdict = match record.verdict {
        Verdict::Denied => "denied",
        Verdict::Allowed => "would deny (complain)",
        Verdict::Killed => "killed",
        Verdict::Audited => "audited",
    };
    let mut out = format!(
        "lsmctl: {verdict}: {}[{}] {}",
        shown(&record.comm),
        record.pid,
        shown(record.op.as_bytes())
    );
    let object = object_text(record);
    if !object.is_empty() {
        out.push(' ');
        out.push_str(&object);
    }
    let why = match record.object() {
        Object::Exec { info, .. } => Some(shown(info)),
        _ => sandbox.and_then(|s| explain::explain(record, s)),
    };
    if let Some(why) = why.filter(|w| !w.is_empty()) {
        out.push_str(": ");
        out.push_str(&why);
    }
    out
}
