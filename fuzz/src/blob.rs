//! The `verify_blob` check: arbitrary bytes through the kernel's verifier, then everything the
//! kernel does with a blob it accepted (copy each record, view it, call every accessor the
//! hooks call, the unix section's included). `wire.rs` promises that a verified blob meets no surprise and that views over
//! unverified bytes never panic; this holds it to both, and compares the views' answers with
//! the record bytes read independently, as the format's documentation lays them out.

use rustlsm_policy::{decode, file_dfa, glob, net, wire};

/// Checks one input, and the same bytes with honest length fields. Panics on any broken
/// promise.
pub fn check(data: &[u8]) {
    check_bytes(data);
    // A mutation that changes the size breaks the header's length (and a lone record's), so
    // most inputs would stop there; the repaired copy takes them on to the records.
    if let Some(repaired) = with_honest_lengths(data) {
        check_bytes(&repaired);
    }
}

/// `data` with the header's total length, and the record length of a one-profile blob, set to
/// what is really there; `None` if that changes nothing or there is no room for them.
fn with_honest_lengths(data: &[u8]) -> Option<Vec<u8>> {
    let mut b = data.to_vec();
    let len = u32::try_from(b.len()).ok()?;
    b.get_mut(8..12)?.copy_from_slice(&len.to_le_bytes());
    if b.get(12..16)? == 1u32.to_le_bytes() {
        let record = len - wire::HEADER_LEN as u32;
        b.get_mut(16..20)?.copy_from_slice(&record.to_le_bytes());
    }
    (b != data).then_some(b)
}

fn check_bytes(data: &[u8]) {
    let probes = Probes::from_input(data);
    match wire::verify(data) {
        Ok(count) => walk(data, count, &probes),
        Err(e) => {
            assert!(
                e.offset <= data.len(),
                "{e:?} is past the end ({})",
                data.len()
            );
            assert!(!e.kind.describe().is_empty());
            // Nothing verified these bytes: only "no panic" is promised.
            for view in wire::profiles(data) {
                exercise(&view, &probes);
            }
            if let Some(dfa) = file_dfa::FileDfa::new(data) {
                for path in &probes.paths {
                    dfa.lookup(path);
                }
            }
            exercise_net(net::Net::new(data), &probes);
        }
    }
}

/// Paths, peer names and endpoints to ask about, taken from the input so the fuzzer steers
/// them into the automaton and the rules it wrote.
struct Probes {
    paths: Vec<Vec<u8>>,
    names: Vec<Vec<u8>>,
    endpoints: Vec<net::Endpoint>,
}

impl Probes {
    fn from_input(data: &[u8]) -> Self {
        let mut paths = vec![b"".to_vec(), b"/".to_vec(), b"/etc/passwd".to_vec()];
        // Longer than any pattern may be: walks must stay bounded by the path.
        paths.push(b"/a".repeat(300));
        for start in positions_of(data, b'/').take(16) {
            let rest = &data[start..];
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            paths.push(rest[..end.min(300)].to_vec());
        }
        let names = data
            .split(|&b| !(b.is_ascii_alphanumeric() || b"._-".contains(&b)))
            .filter(|n| !n.is_empty())
            .take(8)
            .map(|n| n[..n.len().min(wire::MAX_NAME_LEN + 1)].to_vec())
            .collect();
        let mut endpoints = vec![endpoint(4, [127, 0, 0, 1], 80), endpoint(6, [0; 4], 443)];
        for c in data.chunks_exact(19).take(8) {
            let v6 = c[0] & 1 == 1;
            let mut addr = [0u8; 16];
            addr.copy_from_slice(&c[3..19]);
            if !v6 {
                addr[4..].fill(0); // as the kernel reads an IPv4 sockaddr
            }
            endpoints.push(net::Endpoint {
                family: if v6 { 6 } else { 4 },
                addr,
                port: u16::from_le_bytes([c[1], c[2]]),
            });
        }
        for e in &endpoints {
            assert_eq!(
                net::endpoint(&sockaddr(e)),
                Some(as_read(e)),
                "sockaddr round trip"
            );
        }
        Probes {
            paths,
            names,
            endpoints,
        }
    }
}

/// `e` as the kernel reads it back from a sockaddr: an IPv4-mapped IPv6 address
/// (`::ffff:a.b.c.d`) is the IPv4 endpoint it reaches.
fn as_read(e: &net::Endpoint) -> net::Endpoint {
    const MAPPED: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
    if e.family != 6 || e.addr[..12] != MAPPED {
        return *e;
    }
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&e.addr[12..]);
    net::Endpoint {
        family: 4,
        addr,
        port: e.port,
    }
}

fn positions_of(data: &[u8], byte: u8) -> impl Iterator<Item = usize> + '_ {
    data.iter()
        .enumerate()
        .filter(move |&(_, &b)| b == byte)
        .map(|(i, _)| i)
}

fn endpoint(family: u8, v4: [u8; 4], port: u16) -> net::Endpoint {
    let mut addr = [0u8; 16];
    if family == 4 {
        addr[..4].copy_from_slice(&v4);
    } else {
        addr[15] = 1;
    }
    net::Endpoint { family, addr, port }
}

/// The `sockaddr_in` or `sockaddr_in6` bytes the kernel would hand the hook for `e`.
fn sockaddr(e: &net::Endpoint) -> Vec<u8> {
    let family = if e.family == 4 {
        net::AF_INET
    } else {
        net::AF_INET6
    };
    let mut s = family.to_ne_bytes().to_vec();
    s.extend_from_slice(&e.port.to_be_bytes());
    if e.family == 4 {
        s.extend_from_slice(&e.addr[..4]);
        s.extend_from_slice(&[0; 8]);
    } else {
        s.extend_from_slice(&[0; 4]); // flow info
        s.extend_from_slice(&e.addr);
        s.extend_from_slice(&[0; 4]); // scope id
    }
    s
}

/// Walks a blob the verifier accepted, as `policy::load` and the hooks do.
fn walk(blob: &[u8], count: u32, probes: &Probes) {
    let views: Vec<wire::ProfileView<'_>> = wire::profiles(blob).collect();
    assert_eq!(views.len(), count as usize, "profiles() stops early");
    let names: Vec<&[u8]> = views.iter().map(|v| v.name()).collect();
    for (i, n) in names.iter().enumerate() {
        assert!(!names[..i].contains(n), "duplicate name accepted");
    }
    let summaries = decode(blob).expect("decode refuses a verified blob");
    assert_eq!(summaries.len(), views.len());
    for (view, summary) in views.iter().zip(&summaries) {
        // The kernel keeps its own copy of each record and views it at offset 0.
        let copy = view.record().to_vec();
        let kept = wire::ProfileView::new(&copy, 0).expect("a verified record has no view");
        check_view(&kept, probes, &names);
        assert_eq!(summary.name.as_bytes(), kept.name());
        assert_eq!(summary.mode, kept.mode());
        assert_eq!(summary.digest, wire::digest(&copy));
        assert_eq!(summary.capabilities, kept.capabilities());
        let size = kept.file_dfa().map_or((0, 0), |d| d.size());
        assert_eq!(summary.dfa_size, size);
        let attach: Vec<String> = kept
            .attachments()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        assert_eq!(summary.attach, attach);
    }
}

/// A reader for records the verifier accepted: any read past the end is a verifier bug, so it
/// may panic.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize) -> &'a [u8] {
        let s = &self.bytes[self.at..self.at + len];
        self.at += len;
        s
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take(2).try_into().unwrap())
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }
}

/// A verified record, read from its documented layout without `ProfileView`.
struct Record<'a> {
    mode: u8,
    flags: u8,
    name: &'a [u8],
    attachments: Vec<&'a [u8]>,
    sections: Vec<(u16, &'a [u8])>,
}

impl<'a> Record<'a> {
    fn parse(bytes: &'a [u8]) -> Self {
        let mut c = Cursor { bytes, at: 0 };
        assert_eq!(c.u32() as usize, bytes.len());
        let (mode, flags) = {
            let b = c.take(2);
            (b[0], b[1])
        };
        let name_len = usize::from(c.u16());
        let attach_count = c.u16();
        let section_count = c.u16();
        c.take(4);
        let name = c.take(name_len);
        let attachments = (0..attach_count)
            .map(|_| {
                let len = usize::from(c.u16());
                c.take(len)
            })
            .collect();
        let sections = (0..section_count)
            .map(|_| {
                let kind = c.u16();
                c.take(2);
                let len = c.u32() as usize;
                (kind, c.take(len))
            })
            .collect();
        assert_eq!(c.at, bytes.len(), "bytes after the last section");
        Record {
            mode,
            flags,
            name,
            attachments,
            sections,
        }
    }

    fn section(&self, kind: u16) -> Option<&'a [u8]> {
        let mut found = self.sections.iter().filter(|s| s.0 == kind);
        let first = found.next().map(|s| s.1);
        assert!(found.next().is_none(), "section {kind} twice");
        first
    }
}

/// The names of a verified name list.
fn name_list(payload: &[u8]) -> Vec<&[u8]> {
    let mut c = Cursor {
        bytes: payload,
        at: 0,
    };
    let names = (0..c.u16())
        .map(|_| {
            let len = usize::from(c.take(1)[0]);
            c.take(len)
        })
        .collect();
    assert_eq!(c.at, payload.len());
    names
}

/// Compares a verified view with its record bytes, then asks it everything.
fn check_view(view: &wire::ProfileView<'_>, probes: &Probes, profiles: &[&[u8]]) {
    let record = Record::parse(view.record());
    assert_eq!(view.name(), record.name);
    assert!(wire::valid_name(view.name()) && view.name() != wire::UNCONFINED);
    assert_eq!(Some(view.mode()), wire::Mode::from_byte(record.mode));
    assert_eq!(record.flags & !wire::PROFILE_FLAGS_ALL, 0);
    assert_eq!(
        view.attach_disconnected(),
        record.flags & wire::PROFILE_ATTACH_DISCONNECTED != 0
    );
    let attach: Vec<&[u8]> = view.attachments().collect();
    assert_eq!(attach, record.attachments);
    for a in &attach {
        assert!(glob::valid_pattern(a));
        if !glob::is_glob(a) {
            assert_eq!(view.attach_score(a), Some(usize::MAX), "exact path beaten");
        }
    }

    let dfa = record.section(wire::SECTION_FILE_DFA);
    assert_eq!(view.file_dfa().is_some(), dfa.is_some());
    if let (Some(view_dfa), Some(p)) = (view.file_dfa(), dfa) {
        let mut c = Cursor { bytes: p, at: 0 };
        assert_eq!(view_dfa.size(), (c.u32() as usize, c.u32() as usize));
    }
    for path in probes.paths.iter().map(Vec::as_slice).chain(attach) {
        let (allow, deny) = view.file_dfa().map_or((0, 0), |d| d.lookup(path));
        assert_eq!(
            (allow | deny) & !wire::FILE_MASK_ALL,
            0,
            "unknown access bits"
        );
    }

    let caps = record
        .section(wire::SECTION_CAPS)
        .map_or(0, |p| u64::from_le_bytes(p.try_into().unwrap()));
    assert_eq!(view.capabilities(), caps);
    for cap in [0, 1, 40, 63, 64, 65, u32::MAX] {
        assert_eq!(view.has_capability(cap), cap < 64 && caps >> cap & 1 == 1);
    }

    let mount = record
        .section(wire::SECTION_MOUNT)
        .map_or(0, |p| u32::from_le_bytes(p.try_into().unwrap()));
    for op in 0..=wire::MOUNT_ALL {
        assert_eq!(view.may_mount(op), mount & op == op);
    }

    // Peers: the listed names, and the profile itself; `None` stands for "unconfined".
    let signal = record
        .section(wire::SECTION_SIGNAL)
        .map_or(vec![], name_list);
    let ptrace = record.section(wire::SECTION_PTRACE).unwrap_or(&[0; 6]);
    let traced_flags = u32::from_le_bytes(ptrace[..4].try_into().unwrap());
    assert_eq!(view.traced_by_unconfined(), traced_flags & 1 == 1);
    let ptrace = name_list(&ptrace[4..]);
    let asked = probes
        .names
        .iter()
        .map(Vec::as_slice)
        .chain(profiles.iter().copied());
    for name in asked
        .chain(signal.iter().copied())
        .chain(ptrace.iter().copied())
    {
        let own = name == view.name();
        assert_eq!(view.may_signal(Some(name)), own || signal.contains(&name));
        assert_eq!(view.may_trace(Some(name)), own || ptrace.contains(&name));
    }
    assert_eq!(view.may_signal(None), signal.contains(&wire::UNCONFINED));
    assert_eq!(view.may_trace(None), ptrace.contains(&wire::UNCONFINED));

    check_net(view.net(), record.section(wire::SECTION_NET));
    check_unix(view, record.section(wire::SECTION_UNIX), probes, profiles);
    exercise(view, probes);
}

/// The patterns and the name list of a verified unix section.
fn unix_lists(payload: &[u8]) -> (Vec<&[u8]>, Vec<&[u8]>) {
    let mut c = Cursor {
        bytes: payload,
        at: 0,
    };
    let patterns = (0..c.u16())
        .map(|_| {
            let len = usize::from(c.u16());
            c.take(len)
        })
        .collect();
    (patterns, name_list(&payload[c.at..]))
}

/// The view's abstract patterns and unix peers are the section's; each pattern matches itself
/// taken literally, decisions on the probes are the glob matcher's on the patterns, and
/// without a section nothing is allowed.
fn check_unix(
    view: &wire::ProfileView<'_>,
    section: Option<&[u8]>,
    probes: &Probes,
    profiles: &[&[u8]],
) {
    let (patterns, peers) = section.map_or((vec![], vec![]), unix_lists);
    assert!(patterns.len() <= usize::from(wire::MAX_PEERS));
    let seen: Vec<&[u8]> = view.unix_abstract_patterns().collect();
    assert_eq!(seen, patterns);
    for p in &patterns {
        assert!(glob::valid_abstract_pattern(p));
        assert!(view.may_connect_abstract(p), "a pattern refuses itself");
    }
    for name in probes.paths.iter().chain(&probes.names).map(Vec::as_slice) {
        let expected = patterns.iter().any(|p| glob::glob_match(p, name));
        assert_eq!(view.may_connect_abstract(name), expected);
    }
    let asked = probes
        .names
        .iter()
        .map(Vec::as_slice)
        .chain(profiles.iter().copied())
        .chain(peers.iter().copied());
    for name in asked {
        assert_eq!(
            view.may_connect_unix_peer(Some(name)),
            peers.contains(&name)
        );
    }
    assert_eq!(
        view.may_connect_unix_peer(None),
        peers.contains(&wire::UNCONFINED)
    );
}

/// Every socket entry and endpoint rule of a verified network section is allowed by the view
/// at its own values; without a section nothing is.
fn check_net(view: net::Net<'_>, section: Option<&[u8]>) {
    let Some(section) = section else {
        for (f, t, p) in [(net::AF_INET, 1, 0), (1, 0, 0), (net::AF_INET6, 2, 0)] {
            assert!(
                !view.may_create(f, t, p),
                "socket allowed without a network section"
            );
        }
        return;
    };
    let mut c = Cursor {
        bytes: section,
        at: 0,
    };
    for _ in 0..c.u16() {
        let (f, t, p) = (c.u16(), c.u16(), c.u16());
        assert!(view.may_create(f, t, p), "socket entry {f}/{t}/{p} refused");
    }
    for _ in 0..c.u16() {
        let r = c.take(net::RULE_LEN);
        let (lo, hi) = (
            u16::from_le_bytes([r[4], r[5]]),
            u16::from_le_bytes([r[6], r[7]]),
        );
        let families: &[u8] = if r[2] == 0 { &[4, 6] } else { &r[2..3] };
        for &family in families {
            let mut addr = [0u8; 16];
            addr.copy_from_slice(&r[8..24]);
            for port in [lo, hi] {
                let e = net::Endpoint { family, addr, port };
                for op in (0..8).map(|b| 1u8 << b).filter(|op| r[0] & op != 0) {
                    assert!(view.may(op, r[1], &e), "endpoint rule refuses itself");
                }
            }
        }
    }
    assert_eq!(c.at, section.len());
}

/// Calls every accessor the hooks call, with the probes; asserts nothing, so it serves views of
/// unverified bytes too.
fn exercise(view: &wire::ProfileView<'_>, probes: &Probes) {
    let _ = (view.name(), view.mode().name(), wire::digest(view.record()));
    let attach: Vec<&[u8]> = view.attachments().collect();
    for path in probes.paths.iter().map(Vec::as_slice).chain(attach) {
        view.attach_score(path);
        view.refused(path, wire::ACCESS_ALL);
    }
    for cap in [0, 21, 63, 64] {
        view.has_capability(cap);
    }
    for name in probes
        .names
        .iter()
        .map(|n| Some(n.as_slice()))
        .chain([None])
    {
        view.may_signal(name);
        view.may_trace(name);
    }
    view.traced_by_unconfined();
    view.may_mount(wire::MOUNT_MOUNT);
    let _ = view.unix_abstract_patterns().count();
    for name in probes.paths.iter().chain(&probes.names) {
        view.may_connect_abstract(name);
        view.may_connect_unix_peer(Some(name));
    }
    view.may_connect_unix_peer(None);
    exercise_net(view.net(), probes);
}

fn exercise_net(view: net::Net<'_>, probes: &Probes) {
    for family in [1, net::AF_INET, net::AF_INET6, 16, 17] {
        for sock_type in [0, 1, 2, net::SOCK_RAW, 5, net::SOCK_PACKET] {
            for protocol in [0, net::IPPROTO_ICMP, 6, 17, net::IPPROTO_ICMPV6, 255] {
                view.may_create(family, sock_type, protocol);
            }
        }
    }
    for e in &probes.endpoints {
        for op in [net::OP_BIND, net::OP_LISTEN, net::OP_CONNECT, net::OP_SEND] {
            view.may(op, net::PROTO_TCP, e);
            view.may(op, net::PROTO_UDP, e);
        }
    }
}
