//! Which of a sandbox's rules account for a refusal it recorded, named as the command line
//! gave them where it did (`--deny /srv/secret`), by pattern and accesses otherwise.
//!
//! A file access is refused when a deny rule names it, or when no allow rule grants it; the
//! explanation says which deny rules match the path, or which allow rules match it but grant
//! too little, or that no rule covers it at all. Paths are matched with the kernel's own glob
//! matcher, so a rule is named only if the kernel's automaton would match it too. Where the
//! rules would allow what the kernel refused (a path the kernel rendered otherwise), the
//! explanation says so rather than guess.

use crate::records::{access_letters, shown, Object, Record};
use crate::sandbox::{Origin, Sandbox};
use rustlsm_policy::{glob, net, Effect, NetRule, RuleSpec};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why `sandbox` refused what `record` says, in a few words; `None` where its rules say
/// nothing useful (or the record is not one they decide).
pub fn explain(record: &Record, sandbox: &Sandbox) -> Option<String> {
    match record.object() {
        Object::File { path, denied, .. } => file(sandbox, path, denied?),
        Object::Endpoint {
            proto, addr, port, ..
        } => endpoint(sandbox, &record.op, proto, addr, port),
        Object::Socket {
            family,
            sock_type,
            protocol,
        } => Some(socket(family, sock_type, protocol)),
        Object::Capability(_) => {
            Some("a sandbox keeps only the capabilities its profile file lists".into())
        }
        Object::Abstract(name) => abstract_name(sandbox, &record.op, name),
        Object::Task { role: "target", .. } => {
            Some("a sandbox reaches only its own tasks and those of sandboxes nested in it".into())
        }
        Object::None => match record.op.as_str() {
            "userns_create" => Some("a sandbox may not create user namespaces".into()),
            "mount" | "umount" | "pivot_root" => Some(format!(
                "the sandbox's profile does not allow {}",
                record.op
            )),
            _ => None,
        },
        Object::Exec { .. } | Object::Task { .. } | Object::Other => None,
    }
}

/// How a path rule is named: its flag, or where else it comes from.
fn rule_name(rule: &RuleSpec, origin: &Origin) -> String {
    let pattern = shown(rule.pattern.as_bytes());
    match origin {
        Origin::Flag { flag, arg } => format!("{flag} {}", shown(arg.as_bytes())),
        Origin::Device => format!("the device rule {pattern}"),
        Origin::AboveDeny(arg) => format!(
            "the rename guard of --deny {} (no directory above a denied path may be renamed)",
            shown(arg.as_bytes())
        ),
        Origin::ProfileFile => match rule.effect {
            Effect::Allow => format!("the profile's rule {pattern}"),
            Effect::AllowOwned => format!("the profile's owner rule {pattern}"),
            Effect::Ask => format!("the profile's ask rule {pattern}"),
            Effect::Deny => format!(
                "the profile's deny rule {pattern} ({})",
                access_letters(rule.access)
            ),
        },
    }
}

/// Adds `bits` to the entry named `name`, or a new entry: one name per flag argument, however
/// many patterns it made.
fn merge(hits: &mut Vec<(String, u32)>, name: String, bits: u32) {
    match hits.iter_mut().find(|(n, _)| *n == name) {
        Some((_, b)) => *b |= bits,
        None => hits.push((name, bits)),
    }
}

fn names(hits: &[(String, u32)]) -> String {
    hits.iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The explanation of a file refusal of the accesses `denied` on `path`.
fn file(sandbox: &Sandbox, path: &[u8], denied: u32) -> Option<String> {
    if denied == 0 {
        return None;
    }
    let mut deny_hits = Vec::new();
    let mut allow_hits = Vec::new();
    let mut owner_hits = Vec::new();
    for (i, rule) in sandbox.spec.rules.iter().enumerate() {
        if !glob::glob_match(rule.pattern.as_bytes(), path) {
            continue;
        }
        let name = rule_name(rule, sandbox.rule_origin(i));
        match rule.effect {
            Effect::Deny if rule.access & denied != 0 => {
                merge(&mut deny_hits, name, rule.access & denied)
            }
            // An ask rule grants nothing by itself: the record says what the agent answered.
            Effect::Deny | Effect::Ask => {}
            Effect::Allow => merge(&mut allow_hits, name, rule.access),
            Effect::AllowOwned => merge(&mut owner_hits, name, rule.access),
        }
    }
    let by_deny = deny_hits.iter().fold(0, |m, (_, b)| m | b);
    let granted = allow_hits.iter().fold(0, |m, (_, b)| m | b);
    let owner_granted = owner_hits.iter().fold(0, |m, (_, b)| m | b) & !granted;
    let rest = denied & !by_deny;
    // What only owner rules grant was refused because the task does not own the file (the
    // records do not say who owns it, so this is the one explanation left).
    let not_owned = rest & owner_granted;
    let ungranted = rest & !granted & !owner_granted;
    let unexplained = rest & granted;
    let mut parts = Vec::new();
    if !deny_hits.is_empty() {
        parts.push(if rest == 0 {
            format!("refused by {}", names(&deny_hits))
        } else {
            format!(
                "{} refused by {}",
                access_letters(by_deny),
                names(&deny_hits)
            )
        });
    }
    if ungranted != 0 {
        parts.push(if !allow_hits.is_empty() {
            allow_hits
                .iter()
                .map(|(name, bits)| match access_letters(*bits) {
                    letters if letters.is_empty() => format!("{name} grants none of it"),
                    letters => format!("{name} grants {letters} only"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        } else if parts.is_empty() {
            "no rule covers it".to_string()
        } else {
            format!("no rule covers {}", access_letters(ungranted))
        });
    }
    if not_owned != 0 {
        parts.push(format!(
            "{} grants {} only to the file's owner",
            names(&owner_hits),
            access_letters(not_owned)
        ));
    }
    if unexplained != 0 {
        parts.push(format!(
            "not explained by the sandbox's rules, which allow {} here",
            access_letters(unexplained)
        ));
    }
    Some(parts.join("; "))
}

/// The name of a transport protocol the records use.
fn proto_of(proto: &[u8]) -> Option<(u8, &'static str)> {
    match proto {
        b"tcp" => Some((net::PROTO_TCP, "tcp")),
        b"udp" => Some((net::PROTO_UDP, "udp")),
        _ => None,
    }
}

/// The `net::OP_*` bit of an operation the records name.
fn op_bit(op: &str) -> Option<u8> {
    match op {
        "bind" => Some(net::OP_BIND),
        "listen" => Some(net::OP_LISTEN),
        "connect" => Some(net::OP_CONNECT),
        "send" => Some(net::OP_SEND),
        _ => None,
    }
}

/// The `lsmctl run` flag that allows `op` on `proto`.
fn flag_for(proto: u8, op: u8) -> &'static str {
    match (
        proto == net::PROTO_TCP,
        op & (net::OP_BIND | net::OP_LISTEN) != 0,
    ) {
        (true, true) => "--bind-tcp",
        (true, false) => "--connect-tcp",
        (false, true) => "--bind-udp",
        (false, false) => "--connect-udp",
    }
}

/// An endpoint rule in `lsmctl run`'s syntax: `443`, `10.0.0.0/8:22`, `[::1/128]:8000-8100`.
fn net_rule_text(rule: &NetRule) -> String {
    let ports = match rule.ports {
        (0, u16::MAX) => "*".to_string(),
        (lo, hi) if lo == hi => lo.to_string(),
        (lo, hi) => format!("{lo}-{hi}"),
    };
    match rule.family {
        4 => {
            let [a, b, c, d, ..] = rule.addr;
            let addr = Ipv4Addr::new(a, b, c, d);
            format!("{addr}/{}:{ports}", rule.prefix)
        }
        6 => format!("[{}/{}]:{ports}", Ipv6Addr::from(rule.addr), rule.prefix),
        _ => ports,
    }
}

fn net_rule_name(rule: &NetRule, origin: &Origin) -> String {
    match origin {
        Origin::Flag { flag, arg } => format!("{flag} {}", shown(arg.as_bytes())),
        _ => format!("the profile's rule {}", net_rule_text(rule)),
    }
}

/// Whether `rule` covers `addr:port` (its operation and protocol aside), as the kernel
/// decides it.
fn covers(rule: &NetRule, addr: &IpAddr, port: u16) -> bool {
    let (family, addr) = match addr {
        IpAddr::V4(a) => {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&a.octets());
            (4, b)
        }
        IpAddr::V6(a) => (6, a.octets()),
    };
    let endpoint = net::Endpoint { family, addr, port };
    net::covers(rule.family, &rule.addr, rule.prefix, rule.ports, &endpoint)
}

/// Most rules an explanation lists.
const LISTED: usize = 4;

/// The explanation of a refused `op` on a TCP or UDP endpoint: whether the sandbox has any
/// rule for that protocol and operation, and which.
fn endpoint(sandbox: &Sandbox, op: &str, proto: &[u8], addr: IpAddr, port: u16) -> Option<String> {
    let (proto, proto_name) = proto_of(proto)?;
    let bit = op_bit(op)?;
    let rules: Vec<(usize, &NetRule)> = sandbox
        .spec
        .net_rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.proto == proto && r.ops & bit != 0)
        .collect();
    if rules.is_empty() {
        return Some(format!(
            "no rule allows it; the sandbox has no {proto_name} {op} rule ({} adds one)",
            flag_for(proto, bit)
        ));
    }
    if let Some((i, rule)) = rules.iter().find(|(_, r)| covers(r, &addr, port)) {
        return Some(format!(
            "not explained by the sandbox's rules ({} allows it)",
            net_rule_name(rule, sandbox.net_origin(*i))
        ));
    }
    let mut listed: Vec<String> = Vec::new();
    for (i, rule) in &rules {
        let name = net_rule_name(rule, sandbox.net_origin(*i));
        if !listed.contains(&name) {
            listed.push(name);
        }
    }
    let more = listed.len().saturating_sub(LISTED);
    listed.truncate(LISTED);
    let mut text = format!(
        "no rule allows it; the {proto_name} {op} rules are {}",
        listed.join(", ")
    );
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    Some(text)
}

/// The explanation of a refused socket: the flag that allows its kind, where one does.
fn socket(family: u16, sock_type: u16, protocol: u16) -> String {
    let ip = family == net::AF_INET || family == net::AF_INET6;
    let icmp = ip && (protocol == net::IPPROTO_ICMP || protocol == net::IPPROTO_ICMPV6);
    let hint = if (ip && sock_type == net::SOCK_RAW) || icmp {
        " (--raw allows raw and icmp sockets)"
    } else if ip && sock_type == 1 && matches!(protocol, 0 | net::IPPROTO_TCP | net::IPPROTO_MPTCP)
    {
        " (--connect-tcp and --bind-tcp allow tcp sockets)"
    } else if ip && sock_type == 2 && matches!(protocol, 0 | net::IPPROTO_UDP) {
        " (--connect-udp and --bind-udp allow udp sockets)"
    } else {
        ""
    };
    format!("no rule allows this kind of socket{hint}")
}

/// The explanation of a refused abstract unix socket name (`bind`, `connect`, `send`).
fn abstract_name(sandbox: &Sandbox, op: &str, name: &[u8]) -> Option<String> {
    let named = sandbox
        .spec
        .unix_abstract
        .iter()
        .any(|p| glob::glob_match(p.as_bytes(), name));
    if named {
        return Some("not explained by the sandbox's rules, which name it".into());
    }
    match op {
        "bind" => Some("a sandbox binds only the abstract names its profile file lists".into()),
        "connect" | "send" => Some(
            "its owner is outside the sandbox, and the sandbox's profile file does not name it"
                .into(),
        ),
        _ => None,
    }
}
