//! The oracle `compile_profile` and `roundtrip` share: a blob encoded from a model must pass
//! the kernel's verifier and walk, and the kernel's answers must be the model's. File
//! decisions are recomputed rule by rule with the attachment glob matcher (`glob.rs`), so the
//! compiled automaton is checked against an independent matcher of the same semantics;
//! endpoint decisions against a bit-by-bit reading of the rules.

use rustlsm_policy::{decode, glob, net, wire, Effect, Mode, NetRule, ProfileSpec};

/// Most probe paths or endpoints per profile: the reference is quadratic.
const MAX_PROBES: usize = 64;

/// Checks that `blob`, encoded from `specs`, is accepted and says what `specs` say.
pub fn check(specs: &[ProfileSpec], blob: &[u8]) {
    assert_eq!(
        wire::verify(blob),
        Ok(specs.len() as u32),
        "the verifier refuses what the encoder wrote"
    );
    crate::blob::check(blob);
    let summaries = decode(blob).expect("verified above");
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    for ((spec, summary), view) in specs.iter().zip(&summaries).zip(wire::profiles(blob)) {
        assert_eq!(summary.name, spec.name);
        assert_eq!(summary.mode, spec.mode);
        assert_eq!(summary.attach, spec.attach);
        assert_eq!(summary.capabilities, spec.capabilities);
        check_files(spec, &view);
        check_tasks(spec, &view, &names);
        check_net(spec, view.net());
        check_ask_net(spec, &view);
        check_unix(spec, &view, &names);
        check_exec_targets(spec, &view);
        assert_eq!(summary.exec_targets, spec.exec_targets);
    }
}

/// Exec targets decided as the model's rules say: among the patterns that match a path, the
/// most specific (an exact path, else the longest pattern), the first of equals.
fn check_exec_targets(spec: &ProfileSpec, view: &wire::ProfileView<'_>) {
    let mut paths: Vec<Vec<u8>> = spec
        .exec_targets
        .iter()
        .flat_map(|t| instances(t.pattern.as_bytes()))
        .chain([b"/".to_vec(), b"/bin/x".to_vec()])
        .collect();
    paths.sort();
    paths.dedup();
    for path in paths.iter().take(MAX_PROBES) {
        let mut best: Option<(usize, &str)> = None;
        for t in &spec.exec_targets {
            if !glob::glob_match(t.pattern.as_bytes(), path) {
                continue;
            }
            let score = if glob::is_glob(t.pattern.as_bytes()) {
                t.pattern.len()
            } else {
                usize::MAX
            };
            if best.is_none_or(|(top, _)| score > top) {
                best = Some((score, &t.profile));
            }
        }
        assert_eq!(
            view.exec_target(path),
            best.map(|(_, name)| name.as_bytes()),
            "{}: exec target of {:?}",
            spec.name,
            String::from_utf8_lossy(path)
        );
    }
}

/// Abstract names decided as the glob matcher decides them on the model's patterns, and unix
/// peers as the model lists them.
fn check_unix(spec: &ProfileSpec, view: &wire::ProfileView<'_>, profiles: &[&str]) {
    let mut names: Vec<Vec<u8>> = spec
        .unix_abstract
        .iter()
        .flat_map(|p| instances(p.as_bytes()))
        .chain([b"".to_vec(), b"/".to_vec(), b"x".to_vec()])
        .collect();
    names.sort();
    names.dedup();
    for name in names.iter().take(MAX_PROBES) {
        let expected = spec
            .unix_abstract
            .iter()
            .any(|p| glob::glob_match(p.as_bytes(), name));
        assert_eq!(
            view.may_connect_abstract(name),
            expected,
            "{}: abstract name {:?}",
            spec.name,
            String::from_utf8_lossy(name)
        );
    }
    let listed = |name: &str| spec.unix_peers.iter().any(|n| n == name);
    let asked = profiles.iter().copied().chain(["unconfined", "nobody"]);
    for name in asked.chain(spec.unix_peers.iter().map(String::as_str)) {
        assert_eq!(
            view.may_connect_unix_peer(Some(name.as_bytes())),
            listed(name)
        );
    }
    assert_eq!(view.may_connect_unix_peer(None), listed("unconfined"));
}

/// Paths a pattern stands for: its wildcards matching nothing, matching something, and taken
/// literally; one level deeper; and one byte short.
fn instances(pattern: &[u8]) -> Vec<Vec<u8>> {
    let (mut empty, mut some) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < pattern.len() {
        match &pattern[i..] {
            [b'*', b'*', ..] => {
                some.extend_from_slice(b"d/e");
                i += 2;
                continue;
            }
            [b'*', ..] => some.extend_from_slice(b"st"),
            [b'?', ..] => {
                empty.push(b'q');
                some.push(b'q');
            }
            [c, ..] => {
                empty.push(*c);
                some.push(*c);
            }
            [] => unreachable!(),
        }
        i += 1;
    }
    let deeper = [some.as_slice(), b"/x"].concat();
    let short = pattern[..pattern.len() - 1].to_vec();
    vec![empty, some, pattern.to_vec(), deeper, short]
}

/// The automaton's decision on each probe path against the union of the rules that match it.
fn check_files(spec: &ProfileSpec, view: &wire::ProfileView<'_>) {
    let patterns = spec.rules.iter().map(|r| r.pattern.as_bytes());
    let mut paths: Vec<Vec<u8>> = patterns
        .chain(spec.attach.iter().map(|a| a.as_bytes()))
        .flat_map(instances)
        .collect();
    paths.sort();
    paths.dedup();
    for path in paths.iter().take(MAX_PROBES) {
        // Written out access by access, not with `wire::join_denied`, which it checks: an
        // access is denied if any matching deny rule denies it, and quiet only if every one
        // that denies it is quiet.
        let (mut allow, mut owned, mut denied, mut quiet, mut loud) = (0, 0, 0, 0, 0);
        let mut asked = if spec.mode == wire::Mode::Ask {
            wire::ASK_ACCESS_ALL
        } else {
            0
        };
        for rule in spec.rules.iter() {
            if glob::glob_match(rule.pattern.as_bytes(), path) {
                let accesses = rule.access & wire::ACCESS_ALL;
                let qualified = (rule.access >> wire::QUALIFIER_SHIFT) & accesses;
                match rule.effect {
                    Effect::Allow => allow |= rule.access,
                    Effect::AllowOwned => owned |= rule.access,
                    Effect::Ask => asked |= rule.access,
                    Effect::Deny => {
                        denied |= accesses;
                        quiet |= qualified;
                        loud |= accesses & !qualified;
                    }
                }
            }
        }
        let deny = denied | (quiet & !loud) << wire::QUALIFIER_SHIFT;
        let got = view.file_dfa().map_or((0, 0), |d| d.lookup(path));
        assert_eq!(
            got,
            (allow, deny),
            "{}: automaton and rules disagree on {:?}",
            spec.name,
            String::from_utf8_lossy(path)
        );
        assert_eq!(
            view.owner_masks(path),
            owned,
            "{}: owner automaton and owner rules disagree on {:?}",
            spec.name,
            String::from_utf8_lossy(path)
        );
        assert_eq!(
            view.ask_masks(path),
            asked,
            "{}: ask automaton and ask rules disagree on {:?}",
            spec.name,
            String::from_utf8_lossy(path)
        );
        assert_eq!(
            view.refused(path, wire::ACCESS_ALL),
            (!allow | deny) & wire::ACCESS_ALL
        );
    }
}

/// Capabilities, peers and mount operations.
fn check_tasks(spec: &ProfileSpec, view: &wire::ProfileView<'_>, profiles: &[&str]) {
    for cap in 0..64 {
        assert_eq!(view.has_capability(cap), spec.capabilities >> cap & 1 == 1);
    }
    let listed = |list: &[String], name: &str| list.iter().any(|n| n == name);
    let asked = profiles.iter().copied().chain(["unconfined", "nobody"]);
    for name in asked.chain(spec.signal.iter().chain(&spec.ptrace).map(String::as_str)) {
        let own = name == spec.name;
        let n = Some(name.as_bytes());
        assert_eq!(view.may_signal(n), own || listed(&spec.signal, name));
        assert_eq!(view.may_trace(n), own || listed(&spec.ptrace, name));
    }
    assert_eq!(view.may_signal(None), listed(&spec.signal, "unconfined"));
    assert_eq!(view.may_trace(None), listed(&spec.ptrace, "unconfined"));
    assert_eq!(view.traced_by_unconfined(), spec.traced_by_unconfined);
    assert_eq!(view.attach_disconnected(), spec.attach_disconnected);
    for op in [
        wire::MOUNT_MOUNT,
        wire::MOUNT_UMOUNT,
        wire::MOUNT_PIVOT_ROOT,
    ] {
        assert_eq!(view.may_mount(op), spec.mount & op != 0);
    }
}

fn bit(addr: &[u8; 16], i: usize) -> bool {
    addr[i / 8] >> (7 - i % 8) & 1 == 1
}

/// Whether `rule` allows `op` on `proto` at `e`, read bit by bit from the model.
fn allows(rule: &NetRule, op: u8, proto: u8, e: &net::Endpoint) -> bool {
    rule.ops & op != 0
        && rule.proto == proto
        && (rule.ports.0..=rule.ports.1).contains(&e.port)
        && (rule.family == 0
            || (rule.family == e.family
                && (0..usize::from(rule.prefix)).all(|i| bit(&rule.addr, i) == bit(&e.addr, i))))
}

/// Socket entries allow themselves; raw sockets, and IP sockets of any protocol but TCP, UDP
/// and MPTCP (ICMP, SCTP...), need an entry that names them; endpoint decisions agree with
/// [`allows`] at and around every rule's edges.
fn check_net(spec: &ProfileSpec, view: net::Net<'_>) {
    for s in &spec.sockets {
        assert!(view.may_create(s.family, s.sock_type, s.protocol));
    }
    let families = spec.sockets.iter().map(|s| s.family).chain([net::AF_INET]);
    let plain = [0, net::IPPROTO_TCP, net::IPPROTO_UDP, net::IPPROTO_MPTCP];
    for family in families {
        let ip = family == net::AF_INET || family == net::AF_INET6;
        for sock_type in [0, 1, 2, 5, net::SOCK_RAW, net::SOCK_PACKET] {
            for protocol in plain
                .into_iter()
                .chain([132, net::IPPROTO_ICMP, net::IPPROTO_ICMPV6])
            {
                if !view.may_create(family, sock_type, protocol) {
                    continue;
                }
                let entries = || spec.sockets.iter().filter(|s| s.family == family);
                if sock_type == net::SOCK_RAW || sock_type == net::SOCK_PACKET {
                    assert!(entries().any(|s| s.sock_type == sock_type), "raw unnamed");
                }
                if family == net::AF_NETLINK && protocol != 0 {
                    let named = |p| p == protocol || p == net::ANY_PROTOCOL;
                    assert!(
                        entries().any(|s| named(s.protocol)),
                        "netlink protocol unnamed"
                    );
                }
                if ip && !plain.contains(&protocol) {
                    let named = |p| p == protocol || p == net::ANY_PROTOCOL;
                    assert!(entries().any(|s| named(s.protocol)), "IP protocol unnamed");
                }
            }
        }
    }
    check_endpoints(&spec.net_rules, &spec.name, |op, proto, e| {
        let expected = spec.net_rules.iter().any(|r| allows(r, op, proto, e));
        (view.may(op, proto, e), expected)
    });
}

/// Ask network rules and ask mode: an endpoint operation is asked where an ask rule names it,
/// and everywhere in ask mode.
fn check_ask_net(spec: &ProfileSpec, view: &wire::ProfileView<'_>) {
    let rules: Vec<NetRule> = spec
        .ask_net_rules
        .iter()
        .chain(&spec.net_rules)
        .copied()
        .collect();
    check_endpoints(&rules, &spec.name, |op, proto, e| {
        let expected =
            spec.mode == Mode::Ask || spec.ask_net_rules.iter().any(|r| allows(r, op, proto, e));
        (view.asks_net(op, proto, e), expected)
    });
}

/// Runs `judge` (which returns what the view says and what the model expects) on the
/// endpoints at and just outside the edges of `rules`, for every operation and protocol.
fn check_endpoints(
    rules: &[NetRule],
    name: &str,
    judge: impl Fn(u8, u8, &net::Endpoint) -> (bool, bool),
) {
    let mut endpoints = Vec::new();
    for r in rules {
        let families: &[u8] = if r.family == 0 { &[4, 6] } else { &[r.family] };
        for &family in families {
            let max = if family == 4 { 32 } else { 128 };
            let mut outside = r.addr;
            if r.prefix < max {
                let i = usize::from(r.prefix);
                outside[i / 8] ^= 0x80 >> (i % 8);
            }
            let ports = [r.ports.0, r.ports.1, r.ports.0.wrapping_sub(1)];
            for port in ports.into_iter().chain([r.ports.1.wrapping_add(1)]) {
                for addr in [r.addr, outside] {
                    endpoints.push(net::Endpoint { family, addr, port });
                }
            }
        }
    }
    for e in endpoints.iter().take(MAX_PROBES) {
        for op in [net::OP_BIND, net::OP_LISTEN, net::OP_CONNECT, net::OP_SEND] {
            for proto in [net::PROTO_TCP, net::PROTO_UDP] {
                let (said, expected) = judge(op, proto, e);
                assert_eq!(said, expected, "{name}: {op} {proto} {e:?}");
            }
        }
    }
}
