//! Finding rustlsm's records in the places logs keep them, for `lsmctl log` (and the
//! learning tools after it):
//!
//! - kernel-log lines, whatever the prefix before `rustlsm: ` (dmesg, `journalctl -k`,
//!   syslog files): `... rustlsm: DENIED profile="web" op=open path="/x" ... comm="cat"`;
//! - audit records (`/var/log/audit/audit.log`): `type=1427 msg=audit(...): rustlsm=DENIED
//!   profile="web" ...`, where audit writes a string that holds a space, a quote or a byte
//!   outside printable ASCII as bare hexadecimal instead of in quotes;
//! - a sandbox's records file (`lsmctl run --denials-file`): the record alone.
//!
//! Lines of no record come back as `None`; a line that names rustlsm but does not parse is
//! [`Line::Unknown`], so that nothing is dropped silently.

use crate::records::{parse_line, Line};

/// Fields whose values audit may write as hexadecimal.
const STRING_FIELDS: [&str; 8] = [
    "profile", "comm", "path", "name", "peer", "target", "exe", "info",
];

/// The record a log line holds, if it holds one. Only a record where the kernel puts one
/// counts: the text a confined program controls (a path, a socket name, its command name)
/// sits inside quoted values, so a lookalike there is never taken for a record:
/// - an audit record: `type=1427 msg=audit(...): rustlsm=...`, or the same with `node=`
///   first or `type=UNKNOWN[1427]`;
/// - a kernel-log line: `rustlsm: ` at the start, after a `[   12.345678] ` timestamp, or
///   after a syslog or journal prefix that ends in `kernel: ` (and its own timestamp);
/// - a records file's line: the record alone.
///
/// Syslog files are only as trustworthy as what writes to them (`logger -t kernel` can
/// forge such a line): prefer the kernel log (`lsmctl log` with no file) or audit.log.
pub fn record_in(line: &[u8]) -> Option<Line> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    if let Some(rest) = audit_body(line) {
        return Some(parse_line(&from_audit(rest)));
    }
    let text = kernel_message(line)?;
    let rest = text.strip_prefix(b"rustlsm: ").unwrap_or(text);
    is_record(rest).then(|| parse_line(rest))
}

/// The body of a rustlsm audit record (after `rustlsm=`), if `line` is one.
fn audit_body(line: &[u8]) -> Option<&[u8]> {
    let line = match line.strip_prefix(b"node=") {
        Some(rest) => &rest[rest.iter().position(|&b| b == b' ')? + 1..],
        None => line,
    };
    let rest = line
        .strip_prefix(b"type=1427 ")
        .or_else(|| line.strip_prefix(b"type=UNKNOWN[1427] "))?;
    let rest = rest.strip_prefix(b"msg=audit(")?;
    let close = find(rest, b"): ")?;
    let stamp = &rest[..close];
    if !stamp
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b':'))
    {
        return None;
    }
    rest[close + 3..].strip_prefix(b"rustlsm=")
}

/// The kernel's message in `line`: the line itself, or what follows a syslog or journal
/// prefix ending in `kernel: `; a leading `[ seconds]` timestamp removed.
fn kernel_message(line: &[u8]) -> Option<&[u8]> {
    let text = match find(line, b" kernel: ") {
        // The prefix holds no quote: the message cannot start inside a quoted value.
        Some(at) if !line[..at].contains(&b'"') => &line[at + b" kernel: ".len()..],
        _ => line,
    };
    let text = match text.strip_prefix(b"[") {
        Some(rest) => {
            let close = rest.iter().position(|&b| b == b']')?;
            let stamp = &rest[..close];
            if !stamp
                .iter()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b' '))
            {
                return None;
            }
            rest[close + 1..].strip_prefix(b" ")?
        }
        None => text,
    };
    Some(text)
}

/// Whether `text` starts like a record (and not like rustlsm's other log lines: policy
/// loads, refused requests).
fn is_record(text: &[u8]) -> bool {
    [
        &b"DENIED "[..],
        b"ALLOWED ",
        b"KILLED ",
        b"AUDIT ",
        b"LOST ",
    ]
    .iter()
    .any(|v| text.starts_with(v))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// An audit record's text from its verdict on, in the kernel log's form: hexadecimal string
/// values become quoted, with `\xNN` for what the kernel log escapes.
fn from_audit(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, word) in text.split(|&b| b == b' ').enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        let hex = word.iter().position(|&b| b == b'=').and_then(|eq| {
            let key = std::str::from_utf8(&word[..eq]).ok()?;
            let value = &word[eq + 1..];
            if !STRING_FIELDS.contains(&key) || value.first() == Some(&b'"') {
                return None;
            }
            Some((eq, decode_hex(value)?))
        });
        match hex {
            Some((eq, bytes)) => {
                out.extend_from_slice(&word[..=eq]);
                out.push(b'"');
                for b in bytes {
                    if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
                        out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                    } else {
                        out.push(b);
                    }
                }
                out.push(b'"');
            }
            None => out.extend_from_slice(word),
        }
    }
    out
}

/// Bytes from uppercase hexadecimal digits, two per byte, as audit writes them.
fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() % 2 != 0 {
        return None;
    }
    text.chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            if !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
            {
                return None;
            }
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

/// The sequence number of a `/dev/kmsg` record (`PRI,SEQ,TIME,FLAGS;MESSAGE`).
pub fn kmsg_sequence(record: &[u8]) -> Option<u64> {
    let head = &record[..record.iter().position(|&b| b == b';')?];
    let seq = head.split(|&b| b == b',').nth(1)?;
    std::str::from_utf8(seq).ok()?.parse().ok()
}

/// Whether a `/dev/kmsg` record comes from the kernel itself (facility 0), not from a
/// program writing to /dev/kmsg.
pub fn kmsg_from_kernel(record: &[u8]) -> bool {
    let pri = record.split(|&b| b == b',').next().unwrap_or_default();
    std::str::from_utf8(pri)
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| p >> 3 == 0)
}

/// The message of a `/dev/kmsg` record (`PRI,SEQ,TIME,FLAGS;MESSAGE`).
pub fn kmsg_message(record: &[u8]) -> &[u8] {
    match record.iter().position(|&b| b == b';') {
        Some(i) => &record[i + 1..],
        None => record,
    }
}
