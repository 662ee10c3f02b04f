//! Turning a profile's records into rules (`lsmctl logprof`, `lsmctl genprof`): what the
//! program was refused, or would have been in complain mode, generalised where it varies and
//! grouped so that a person answers one question per group.
//!
//! Deterministic and explainable, in this order:
//! 1. files an abstraction grants (with the access asked) become an include of it;
//! 2. what varies between runs becomes a variable: `/proc/123/` is `@{PROC}/@{pid}/`,
//!    `/home/alice/` and `/root/` are `@{HOME}/`, `/run/user/1000/` is
//!    `@{run}/user/@{uid}/`;
//! 3. versioned libraries (`libfoo.so.1.2`) become `libfoo.so*`, and random names in
//!    temporary directories (`/tmp/tmp.Ab3dE9`) become `*` in place of the random part;
//! 4. three or more files of one directory with one extension and one access become
//!    `dir/*.ext`, except in `/`, `/etc`, `/root`, `/home`, `/proc`, `/sys` and `/dev`;
//! 5. paths are grouped into one rule per access set.
//!
//! Nothing becomes `/**` or a bare `dir/*`. Capabilities that amount to root
//! (`sys_admin`, `sys_module`, ...), mount operations, tracing and netlink protocols other
//! than route are held back: listed, never proposed, unless asked for.

use crate::profile::{ACCESS_NAMES, CAPABILITY_NAMES};
use crate::records::{Object, Record};
use rustlsm_policy::{glob, net, wire};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Capabilities never proposed unasked: each is as good as root, or reaches the kernel.
pub const SENSITIVE_CAPABILITIES: [&str; 16] = [
    "sys_admin",
    "net_admin",
    "syslog",
    "dac_read_search",
    "setpcap",
    "audit_control",
    "checkpoint_restore",
    "sys_module",
    "sys_rawio",
    "sys_ptrace",
    "sys_boot",
    "mac_admin",
    "mac_override",
    "bpf",
    "perfmon",
    "setfcap",
];

/// Directories whose files are never collapsed into a glob.
const NO_GLOB_DIRS: [&str; 7] = ["", "/etc", "/root", "/home", "/proc", "/sys", "/dev"];

/// Temporary directories, where random names are generalised.
const TMP_DIRS: [&str; 4] = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/"];

/// What one profile's records asked for, merged.
#[derive(Clone, Default, Debug)]
pub struct Observed {
    /// Path to the accesses asked.
    pub files: BTreeMap<String, u32>,
    pub capabilities: BTreeSet<u32>,
    /// (family, type, protocol).
    pub sockets: BTreeSet<(u16, u16, u16)>,
    /// (protocol, address, port) to operations (`net::OP_*`).
    pub endpoints: BTreeMap<(String, IpAddr, u16), u8>,
    /// Records of no kind handled here, described.
    pub other: BTreeSet<String>,
    /// How many records were read.
    pub records: usize,
}

impl Observed {
    /// Adds one record.
    pub fn add(&mut self, r: &Record) {
        self.records += 1;
        match r.object() {
            // Refused only because the task does not own the file: an owner rule said so,
            // and a plain rule would grant it whoever owns the file. Shown, never proposed.
            Object::File {
                path,
                denied: Some(denied),
                owner_only: Some(owner_only),
                ..
            } if denied != 0 && denied & !owner_only == 0 => {
                self.other.insert(format!(
                    "{} {}: refused for not owning the file (owner rules)",
                    r.op,
                    crate::records::shown(path)
                ));
            }
            // The agent was asked and said no: a person decided, so nothing is proposed.
            Object::File {
                path,
                asked: Some(b"denied"),
                ..
            } => {
                self.other.insert(format!(
                    "{} {}: refused by the agent",
                    r.op,
                    crate::records::shown(path)
                ));
            }
            Object::File {
                path,
                requested: Some(mask),
                ..
            } => match std::str::from_utf8(path) {
                Ok(p) if p.starts_with('/') => {
                    *self.files.entry(p.to_string()).or_default() |= mask
                }
                _ => {
                    self.other
                        .insert(format!("{} {}", r.op, crate::records::shown(path)));
                }
            },
            Object::Capability(cap) => {
                self.capabilities.insert(cap);
            }
            Object::Socket {
                family,
                sock_type,
                protocol,
            } => {
                self.sockets.insert((family, sock_type, protocol));
            }
            // As for files: a person refused it, so nothing is proposed.
            Object::Endpoint {
                proto,
                addr,
                port,
                asked: Some(b"denied"),
            } => {
                self.other.insert(format!(
                    "{} {} {}: refused by the agent",
                    r.op,
                    crate::records::shown(proto),
                    crate::records::endpoint_text(&addr, port)
                ));
            }
            Object::Endpoint {
                proto, addr, port, ..
            } => {
                let op = match r.op.as_str() {
                    "bind" => net::OP_BIND,
                    "listen" => net::OP_LISTEN,
                    "connect" => net::OP_CONNECT,
                    "send" | "sendmsg" => net::OP_SEND,
                    _ => 0,
                };
                let proto = String::from_utf8_lossy(proto).into_owned();
                if op == 0 || !matches!(proto.as_str(), "tcp" | "udp") {
                    self.other.insert(format!("{} {proto} {addr} {port}", r.op));
                } else {
                    *self.endpoints.entry((proto, addr, port)).or_default() |= op;
                }
            }
            _ => {
                let text = crate::records::render(&crate::records::Line::Record(r.clone()), None);
                let text = text.split_once("] ").map_or(text.as_str(), |(_, t)| t);
                self.other.insert(text.to_string());
            }
        }
    }
}

impl Observed {
    /// Drops what `view` (the profile as it is) allows already: records from before a
    /// change to the profile ask for nothing new.
    pub fn retain_refused(&mut self, view: &wire::ProfileView<'_>) {
        self.files
            .retain(|path, mask| view.refused(path.as_bytes(), *mask) != 0);
        self.capabilities.retain(|&cap| !view.has_capability(cap));
        let net = view.net();
        self.sockets.retain(|&(f, t, p)| !net.may_create(f, t, p));
        self.endpoints.retain(|(proto, addr, port), ops| {
            let endpoint = endpoint(addr, *port);
            let proto = if proto == "tcp" {
                net::PROTO_TCP
            } else {
                net::PROTO_UDP
            };
            [net::OP_BIND, net::OP_LISTEN, net::OP_CONNECT, net::OP_SEND]
                .iter()
                .any(|&op| *ops & op != 0 && !net.may(op, proto, &endpoint))
        });
    }
}

impl Observed {
    /// What is left, in words, one item per line: `/srv/x (rw)`, `capability chown`,
    /// `socket inet:stream`, `tcp 10.0.0.1 port 80`.
    pub fn describe(&self) -> Vec<String> {
        let files = self.files.iter().map(|(path, mask)| {
            format!(
                "{} ({})",
                crate::records::shown(path.as_bytes()),
                crate::records::access_letters(*mask)
            )
        });
        let caps = self.capabilities.iter().map(|&cap| {
            let name = CAPABILITY_NAMES.get(cap as usize).copied().unwrap_or("?");
            format!("capability {name}")
        });
        let sockets = self
            .sockets
            .iter()
            .map(|&(f, t, p)| format!("socket {}", crate::records::socket_words(f, t, p)));
        let endpoints = self
            .endpoints
            .keys()
            .map(|(proto, addr, port)| format!("{proto} {addr} port {port}"));
        files.chain(caps).chain(sockets).chain(endpoints).collect()
    }
}

impl Proposal {
    /// The records of `observed` that the proposal's groups answer: the files its includes
    /// and rules were proposed for, and the capabilities, sockets and endpoints it names.
    pub fn answered(&self, observed: &Observed) -> Observed {
        let seen: BTreeSet<&String> = self
            .includes
            .iter()
            .flat_map(|(_, covered)| covered)
            .chain(self.rules.iter().flat_map(|r| &r.seen))
            .collect();
        let cap_named = |cap: u32| {
            CAPABILITY_NAMES
                .get(cap as usize)
                .is_some_and(|n| self.capabilities.iter().any(|c| c == n))
        };
        Observed {
            files: observed
                .files
                .iter()
                .filter(|(path, _)| seen.contains(path))
                .map(|(path, mask)| (path.clone(), *mask))
                .collect(),
            capabilities: observed
                .capabilities
                .iter()
                .copied()
                .filter(|&c| cap_named(c))
                .collect(),
            sockets: observed
                .sockets
                .iter()
                .copied()
                .filter(|&(f, t, p)| {
                    self.sockets
                        .contains(&crate::records::socket_words(f, t, p))
                })
                .collect(),
            endpoints: observed
                .endpoints
                .iter()
                .filter(|((proto, addr, port), _)| {
                    self.network.iter().any(|n| {
                        &n.protocol == proto && n.address == addr.to_string() && n.port == *port
                    })
                })
                .map(|(k, ops)| (k.clone(), *ops))
                .collect(),
            other: BTreeSet::new(),
            records: 0,
        }
    }
}

/// An address and port as the kernel's matcher takes them.
pub fn endpoint(addr: &IpAddr, port: u16) -> net::Endpoint {
    match addr {
        IpAddr::V4(a) => {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&a.octets());
            net::Endpoint {
                family: 4,
                addr: bytes,
                port,
            }
        }
        IpAddr::V6(a) => net::Endpoint {
            family: 6,
            addr: a.octets(),
            port,
        },
    }
}

/// A rule to propose: access names, patterns, and the observed paths they cover.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProposedRule {
    pub allow: Vec<String>,
    pub paths: Vec<String>,
    pub seen: Vec<String>,
}

/// An endpoint rule to propose.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProposedNet {
    pub allow: Vec<String>,
    pub protocol: String,
    pub port: u16,
    pub address: String,
}

/// Everything proposed for one profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Proposal {
    pub profile: String,
    /// Abstractions to include, each with the observed paths it covers.
    pub includes: Vec<(String, Vec<String>)>,
    pub rules: Vec<ProposedRule>,
    pub capabilities: Vec<String>,
    pub sockets: Vec<String>,
    pub network: Vec<ProposedNet>,
    /// Held back: sensitive grants, not proposed.
    pub held_back: Vec<String>,
    /// Records no rule kind here can answer.
    pub unhandled: Vec<String>,
}

/// An abstraction as compiled, to ask what it grants.
pub struct Abstraction {
    pub name: String,
    /// What it is for, in words (its file's first comment).
    pub summary: String,
    /// A policy with one profile: the abstraction alone.
    pub blob: Vec<u8>,
}

impl Abstraction {
    fn view(&self) -> Option<wire::ProfileView<'_>> {
        wire::profiles(&self.blob).next()
    }

    /// Whether it grants `mask` on `path`.
    pub fn grants(&self, path: &str, mask: u32) -> bool {
        self.view()
            .is_some_and(|v| v.refused(path.as_bytes(), mask) == 0)
    }
}

/// The access names for `mask`: `exec` and `write` where they apply (they cover
/// `mmap_exec`, and `append` and `truncate`), then each other access by its own name.
pub fn access_names(mask: u32) -> Vec<String> {
    let mut left = mask;
    let mut names = Vec::new();
    for (name, bits) in ACCESS_NAMES {
        let umbrella = name == "exec" || name == "write";
        let primary = match name {
            "exec" => wire::ACCESS_EXEC,
            "write" => wire::ACCESS_WRITE,
            _ => bits,
        };
        if left & primary != 0 && (umbrella || left & bits == bits) {
            names.push(name.to_string());
            left &= !bits;
        }
    }
    names
}

/// Whether `run` (letters and digits) looks generated rather than named: six or more, with
/// digits and letters mixed, or upper and lower case mixed.
fn looks_random(run: &str) -> bool {
    let digits = run.bytes().any(|b| b.is_ascii_digit());
    let lower = run.bytes().any(|b| b.is_ascii_lowercase());
    let upper = run.bytes().any(|b| b.is_ascii_uppercase());
    run.len() >= 6 && ((digits && (lower || upper)) || (lower && upper))
}

/// `name` with its random-looking runs of letters and digits replaced by `*`.
fn unrandom(name: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if looks_random(run) {
            out.push('*');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    // A whole name is never a bare `*`: that would be every file of the directory.
    if out.chars().all(|c| c == '*') {
        name.to_string()
    } else {
        out
    }
}

/// `lib*.so.1.2.3` becomes `lib*.so*`.
fn unversion(name: &str) -> String {
    if let Some(at) = name.find(".so.") {
        let tail = &name[at + 4..];
        if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return format!("{}*", &name[..at + 3]);
        }
    }
    name.to_string()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The pattern proposed for an observed `path` (steps 2 and 3 of the module comment).
pub fn generalize(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let (prefix, rest): (String, &[&str]) = match parts.as_slice() {
        ["", "proc", pid, rest @ ..] if all_digits(pid) => match rest {
            ["task", tid, tail @ ..] if all_digits(tid) => {
                ("@{PROC}/@{pid}/task/@{tid}".into(), tail)
            }
            _ => ("@{PROC}/@{pid}".into(), rest),
        },
        ["", "home", user, rest @ ..] if !user.is_empty() && !rest.is_empty() => {
            ("@{HOME}".into(), rest)
        }
        ["", "root", rest @ ..] if !rest.is_empty() => ("@{HOME}".into(), rest),
        ["", "run", "user", uid, rest @ ..] if all_digits(uid) => {
            ("@{run}/user/@{uid}".into(), rest)
        }
        [_, rest @ ..] => (String::new(), rest),
        [] => (String::new(), &[]),
    };
    let in_tmp = TMP_DIRS.iter().any(|d| path.starts_with(d));
    let last = rest.len().saturating_sub(1);
    let mut out = prefix;
    for (i, part) in rest.iter().enumerate() {
        let mut part = part.to_string();
        if i == last {
            part = unversion(&part);
        }
        // The temporary directory's own name (tmp, shm, ...) stays.
        if in_tmp && (i > 0 || !out.is_empty()) {
            part = unrandom(&part);
        }
        out.push('/');
        out.push_str(&part);
    }
    if out.is_empty() {
        "/".into()
    } else {
        out
    }
}

/// Steps 4 and 5: collapses siblings and groups patterns by access.
fn group(patterns: BTreeMap<String, (u32, Vec<String>)>) -> Vec<ProposedRule> {
    // (directory, extension, access) to the patterns that share them.
    let mut siblings: BTreeMap<(String, String, u32), Vec<String>> = BTreeMap::new();
    for (pattern, (mask, _)) in &patterns {
        let Some((dir, name)) = pattern.rsplit_once('/') else {
            continue;
        };
        let Some((_, ext)) = name.rsplit_once('.') else {
            continue;
        };
        let plain = !name.contains(['*', '?', '{']) && !ext.is_empty() && ext.len() <= 8;
        if plain && !NO_GLOB_DIRS.contains(&dir) && dir.matches('/').count() >= 2 {
            siblings
                .entry((dir.to_string(), ext.to_string(), *mask))
                .or_default()
                .push(pattern.clone());
        }
    }
    let mut merged: BTreeMap<String, (u32, Vec<String>)> = BTreeMap::new();
    let mut collapsed: BTreeMap<String, String> = BTreeMap::new();
    for ((dir, ext, _), members) in siblings {
        if members.len() >= 3 {
            for m in members {
                collapsed.insert(m, format!("{dir}/*.{ext}"));
            }
        }
    }
    for (pattern, (mask, seen)) in patterns {
        let target = collapsed.get(&pattern).cloned().unwrap_or(pattern);
        let entry = merged.entry(target).or_default();
        entry.0 |= mask;
        entry.1.extend(seen);
    }
    // One rule per access set.
    let mut by_access: BTreeMap<u32, ProposedRule> = BTreeMap::new();
    for (pattern, (mask, seen)) in merged {
        let rule = by_access.entry(mask).or_insert_with(|| ProposedRule {
            allow: access_names(mask),
            paths: Vec::new(),
            seen: Vec::new(),
        });
        rule.paths.push(pattern);
        rule.seen.extend(seen);
    }
    by_access.into_values().collect()
}

/// Whether `pattern` compiles (its variables expanded with the built-in values) and one
/// of the patterns it stands for matches `path`.
fn compiles_and_matches(pattern: &str, path: &str) -> bool {
    let Ok(expanded) = crate::variables::Variables::builtin().expand(pattern) else {
        return false;
    };
    let mut matched = false;
    for one in expanded {
        let Ok(all) = crate::profile::expand_pattern(&one) else {
            return false;
        };
        matched |= all
            .iter()
            .any(|p| glob::glob_match(p.as_bytes(), path.as_bytes()));
    }
    matched
}

/// The proposal for `profile` from what it was observed to ask. `have` are the abstractions
/// it includes already; `sensitive` proposes the held-back grants too.
pub fn propose(
    profile: &str,
    observed: &Observed,
    abstractions: &[Abstraction],
    have: &[String],
    sensitive: bool,
) -> Proposal {
    let mut p = Proposal {
        profile: profile.to_string(),
        ..Proposal::default()
    };
    let mut files: Vec<(&String, u32)> = observed.files.iter().map(|(k, v)| (k, *v)).collect();
    for a in abstractions {
        if have.contains(&a.name) {
            continue;
        }
        let (covered, rest): (Vec<_>, Vec<_>) = files
            .into_iter()
            .partition(|(path, mask)| a.grants(path, *mask));
        // An abstraction grants far more than one file: it takes two seen files to propose
        // one, but base, which nearly every program needs.
        let enough = if a.name == "abstractions/base" { 1 } else { 2 };
        if covered.len() < enough {
            files = covered.into_iter().chain(rest).collect();
            continue;
        }
        files = rest;
        if !covered.is_empty() {
            p.includes.push((
                a.name.clone(),
                covered.iter().map(|(f, _)| f.to_string()).collect(),
            ));
        }
    }
    let mut patterns: BTreeMap<String, (u32, Vec<String>)> = BTreeMap::new();
    for (path, mask) in files {
        // Patterns have no escape: a name with a glob character or a variable's `@{` would
        // stand for more than itself.
        if path.contains(['*', '?', '{', '}']) {
            p.unhandled.push(format!(
                "{} ({}): the name holds a glob character, so no pattern names it alone",
                crate::records::shown(path.as_bytes()),
                crate::records::access_letters(mask)
            ));
            continue;
        }
        let general = generalize(path);
        // A generalisation that does not match what was seen is no generalisation.
        let pattern = if compiles_and_matches(&general, path) {
            general
        } else if compiles_and_matches(path, path) {
            path.clone()
        } else {
            p.unhandled.push(format!(
                "{} ({}): not a path in the form rules take",
                crate::records::shown(path.as_bytes()),
                crate::records::access_letters(mask)
            ));
            continue;
        };
        let e = patterns.entry(pattern).or_default();
        e.0 |= mask;
        e.1.push(path.clone());
    }
    p.rules = group(patterns);
    for &cap in &observed.capabilities {
        let Some(name) = CAPABILITY_NAMES.get(cap as usize).map(|n| n.to_string()) else {
            p.unhandled
                .push(format!("capability {cap}, which lsmctl does not know"));
            continue;
        };
        if SENSITIVE_CAPABILITIES.contains(&name.as_str()) && !sensitive {
            p.held_back.push(format!("capability {name}"));
        } else {
            p.capabilities.push(name);
        }
    }
    for &(family, sock_type, protocol) in &observed.sockets {
        let words = crate::records::socket_words(family, sock_type, protocol);
        if words.contains(' ') {
            // No profile word names this socket alone: granting it would grant more.
            p.held_back.push(format!("socket {words}"));
        } else if !p.sockets.contains(&words) {
            p.sockets.push(words);
        }
    }
    for ((proto, addr, port), ops) in &observed.endpoints {
        let allow = [
            (net::OP_BIND, "bind"),
            (net::OP_LISTEN, "listen"),
            (net::OP_CONNECT, "connect"),
            (net::OP_SEND, "send"),
        ]
        .iter()
        .filter(|(bit, _)| ops & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect();
        p.network.push(ProposedNet {
            allow,
            protocol: proto.clone(),
            port: *port,
            address: addr.to_string(),
        });
    }
    for other in &observed.other {
        let held = ["mount", "umount", "pivot_root", "ptrace", "trace"]
            .iter()
            .any(|k| other.starts_with(k));
        if held {
            p.held_back.push(other.clone());
        } else {
            p.unhandled.push(other.clone());
        }
    }
    p
}
