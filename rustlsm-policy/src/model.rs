//! An owned model of a policy, and its encoding to and decoding from the wire format.

use crate::dfa::{self, DfaRule};
use crate::{file_dfa, glob, net, wire, wire::Mode};
use std::fmt;

/// Whether a rule grants or refuses its accesses. A deny always wins over an allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    /// Allow, for a file whose owner is the task's filesystem user ID (`owner = true`):
    /// compiled into the owner automaton (`wire::SECTION_OWNER_FILE_DFA`).
    AllowOwned,
    Deny,
    /// Put to the profile's listening agent when no allow rule grants the access and no
    /// deny rule refuses it (`ask = [...]`): compiled into the ask automaton
    /// (`wire::SECTION_ASK_FILE_DFA`).
    Ask,
}

/// One profile, as `lsmctl` builds it from TOML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileSpec {
    /// Unique name, `[A-Za-z0-9._-]`, at most [`wire::MAX_NAME_LEN`] bytes.
    pub name: String,
    /// What a refused access does.
    pub mode: Mode,
    /// Executable paths or patterns that run under this profile.
    pub attach: Vec<String>,
    /// Path rules, in order.
    pub rules: Vec<RuleSpec>,
    /// Capabilities kept (bit n = capability n); every other one is refused.
    pub capabilities: u64,
    /// Other profiles (or `unconfined`) whose tasks it may signal.
    pub signal: Vec<String>,
    /// Other profiles (or `unconfined`) whose tasks it may trace.
    pub ptrace: Vec<String>,
    /// Whether unconfined tasks may trace it.
    pub traced_by_unconfined: bool,
    /// Whether disconnected paths are matched within their file system
    /// (`wire::PROFILE_ATTACH_DISCONNECTED`) rather than refused.
    pub attach_disconnected: bool,
    /// Mount operations allowed (`wire::MOUNT_*`).
    pub mount: u32,
    /// Sockets it may create.
    pub sockets: Vec<SocketSpec>,
    /// TCP/UDP endpoints it may bind, listen on, connect or send to.
    pub net_rules: Vec<NetRule>,
    /// Endpoint rules whose operations, when no rule allows them, are put to the profile's
    /// agent (`ask = [...]`).
    pub ask_net_rules: Vec<NetRule>,
    /// Abstract `AF_UNIX` names it may connect or send to: glob patterns over the name
    /// without its leading NUL byte (see `glob::valid_abstract_pattern`).
    pub unix_abstract: Vec<String>,
    /// Other profiles (or `unconfined`) whose tasks it may connect or send to over `AF_UNIX`.
    pub unix_peers: Vec<String>,
    /// Exec rules that name the profile the program runs under.
    pub exec_targets: Vec<ExecTarget>,
}

/// An exec rule that names the profile the program runs under (AppArmor's `px -> NAME`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecTarget {
    /// Absolute path pattern of the programs.
    pub pattern: String,
    /// The profile they run under.
    pub profile: String,
}

/// A kind of socket a profile may create (see `net::Net::may_create` for the 0 wildcards).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketSpec {
    pub family: u16,
    pub sock_type: u16,
    pub protocol: u16,
}

/// An allowed TCP or UDP endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetRule {
    /// `net::OP_*` bits.
    pub ops: u8,
    /// `net::PROTO_TCP` or `net::PROTO_UDP`.
    pub proto: u8,
    /// 0 (any address), 4 or 6.
    pub family: u8,
    /// Prefix length of `addr`.
    pub prefix: u8,
    pub ports: (u16, u16),
    pub addr: [u8; 16],
}

impl ProfileSpec {
    /// A profile with no rules: it may do nothing that rustlsm mediates.
    pub fn new(name: &str, mode: Mode) -> Self {
        ProfileSpec {
            name: name.to_string(),
            mode,
            attach: Vec::new(),
            rules: Vec::new(),
            capabilities: 0,
            signal: Vec::new(),
            ptrace: Vec::new(),
            traced_by_unconfined: false,
            attach_disconnected: false,
            mount: 0,
            sockets: Vec::new(),
            net_rules: Vec::new(),
            ask_net_rules: Vec::new(),
            unix_abstract: Vec::new(),
            unix_peers: Vec::new(),
            exec_targets: Vec::new(),
        }
    }
}

/// One path rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    /// Allow or deny.
    pub effect: Effect,
    /// `wire::ACCESS_*` bits, and their qualifiers shifted by `wire::QUALIFIER_SHIFT`
    /// (`audit` on an allow rule, `quiet` on a deny rule).
    pub access: u32,
    /// Absolute path pattern.
    pub pattern: String,
}

/// What a compiled profile holds, as read back from a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileSummary {
    pub name: String,
    pub mode: Mode,
    pub attach: Vec<String>,
    /// Automaton size: (states, edges); (0, 0) without file rules.
    pub dfa_size: (usize, usize),
    /// The owner rules' automaton size; (0, 0) without owner rules.
    pub owner_dfa_size: (usize, usize),
    /// The ask rules' automaton size; (0, 0) without ask rules.
    pub ask_dfa_size: (usize, usize),
    /// Digest of the record, as the kernel's `profiles` file shows it.
    pub digest: u64,
    /// Capabilities kept.
    pub capabilities: u64,
    /// Exec rules that name a profile.
    pub exec_targets: Vec<ExecTarget>,
}

/// Why a policy cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The policy holds no profile.
    Empty,
    /// More profiles than the kernel accepts in one load.
    TooManyProfiles(usize),
    /// A name the kernel would refuse.
    BadName(String),
    /// Two profiles with one name.
    DuplicateName(String),
    /// Too many attachments or peers in a profile.
    TooManyEntries(String),
    /// A signal, ptrace or unix peer that is not a profile name.
    BadPeer { profile: String, peer: String },
    /// An exec rule's target that is not a profile name.
    BadTarget { profile: String, target: String },
    /// An abstract `AF_UNIX` name pattern the kernel would refuse.
    BadAbstract { profile: String, pattern: String },
    /// A pattern the kernel would refuse, with the profile it is in.
    BadPattern { profile: String, pattern: String },
    /// An empty or unknown access mask.
    BadAccess { profile: String, pattern: String },
    /// A network rule the kernel would refuse (bad port range, prefix or operation).
    BadNetRule(String),
    /// Two exec rules with different transitions match one path.
    ExecConflict(String),
    /// The rules do not compile to an automaton the kernel accepts.
    Automaton {
        profile: String,
        error: dfa::DfaError,
    },
    /// The encoded blob is larger than the kernel accepts.
    TooLarge(usize),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Empty => write!(f, "the policy defines no profile"),
            EncodeError::TooManyProfiles(n) => {
                write!(f, "{n} profiles; at most {} load at once", wire::MAX_PROFILES)
            }
            EncodeError::BadName(n) => write!(
                f,
                "profile name {n:?} must be 1 to {} characters of A-Z a-z 0-9 . _ -",
                wire::MAX_NAME_LEN
            ),
            EncodeError::DuplicateName(n) => write!(f, "profile {n:?} is defined twice"),
            EncodeError::TooManyEntries(n) => write!(
                f,
                "profile {n:?} has more than {} attachments, {} signal, ptrace or unix peers, or \
                 {} abstract name patterns",
                wire::MAX_ATTACHMENTS,
                wire::MAX_PEERS,
                wire::MAX_PEERS
            ),
            EncodeError::BadTarget { profile, target } => write!(
                f,
                "profile {profile:?}: exec target {target:?} is not a profile name"
            ),
            EncodeError::BadPeer { profile, peer } => write!(
                f,
                "profile {profile:?}: {peer:?} is neither a profile name nor \"unconfined\""
            ),
            EncodeError::BadPattern { profile, pattern } => write!(
                f,
                "profile {profile:?}: path {pattern:?} must be absolute, at most {} bytes, without NUL",
                glob::MAX_PATTERN_LEN
            ),
            EncodeError::BadAbstract { profile, pattern } => write!(
                f,
                "profile {profile:?}: abstract name pattern {pattern:?} must be 1 to {} bytes, \
                 without NUL",
                glob::MAX_ABSTRACT_LEN
            ),
            EncodeError::BadAccess { profile, pattern } => {
                write!(f, "profile {profile:?}: rule for {pattern:?} grants no known access")
            }
            EncodeError::Automaton { profile, error } => write!(f, "profile {profile:?}: {error}"),
            EncodeError::BadNetRule(p) => write!(f, "profile {p:?}: malformed network rule"),
            EncodeError::ExecConflict(p) => write!(
                f,
                "profile {p:?}: exec rules with different transitions (inherit, profile) match \
                 the same path"
            ),
            EncodeError::TooLarge(n) => write!(
                f,
                "the compiled policy is {n} bytes; the kernel accepts at most {}",
                wire::MAX_BLOB_LEN
            ),
        }
    }
}

impl std::error::Error for EncodeError {}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Lengths that were checked against the format's limits, so the casts are exact.
fn small(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

/// Appends one section.
fn put_section(out: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    put_u16(out, kind);
    put_u16(out, 0);
    put_u32(out, payload.len() as u32);
    out.extend_from_slice(payload);
}

/// Encodes a list of peer names.
fn names_payload(p: &ProfileSpec, names: &[String], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if names.len() > usize::from(wire::MAX_PEERS) {
        return Err(EncodeError::TooManyEntries(p.name.clone()));
    }
    put_u16(out, names.len() as u16);
    for n in names {
        if !wire::valid_name(n.as_bytes()) {
            return Err(EncodeError::BadPeer {
                profile: p.name.clone(),
                peer: n.clone(),
            });
        }
        out.push(n.len() as u8);
        out.extend_from_slice(n.as_bytes());
    }
    Ok(())
}

/// Appends the capability, signal, ptrace and mount sections of `p`.
fn encode_task_sections(p: &ProfileSpec, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    put_section(out, wire::SECTION_CAPS, &p.capabilities.to_le_bytes());
    let mut signal = Vec::new();
    names_payload(p, &p.signal, &mut signal)?;
    put_section(out, wire::SECTION_SIGNAL, &signal);
    let mut ptrace = Vec::new();
    let flags = if p.traced_by_unconfined {
        wire::PTRACE_TRACED_BY_UNCONFINED
    } else {
        0
    };
    put_u32(&mut ptrace, flags);
    names_payload(p, &p.ptrace, &mut ptrace)?;
    put_section(out, wire::SECTION_PTRACE, &ptrace);
    put_section(
        out,
        wire::SECTION_MOUNT,
        &(p.mount & wire::MOUNT_ALL).to_le_bytes(),
    );
    if p.sockets.len() > usize::from(net::MAX_ENTRIES)
        || p.net_rules.len() > usize::from(net::MAX_ENTRIES)
    {
        return Err(EncodeError::TooManyEntries(p.name.clone()));
    }
    let payload = net_payload(&p.sockets, &p.net_rules);
    if net::verify(&payload).is_err() {
        return Err(EncodeError::BadNetRule(p.name.clone()));
    }
    put_section(out, wire::SECTION_NET, &payload);
    Ok(())
}

/// A network section's payload: `sockets`, then `rules`.
fn net_payload(sockets: &[SocketSpec], rules: &[NetRule]) -> Vec<u8> {
    let mut payload = Vec::new();
    put_u16(&mut payload, sockets.len() as u16);
    for s in sockets {
        put_u16(&mut payload, s.family);
        put_u16(&mut payload, s.sock_type);
        put_u16(&mut payload, s.protocol);
    }
    put_u16(&mut payload, rules.len() as u16);
    for r in rules {
        payload.extend_from_slice(&[r.ops, r.proto, r.family, r.prefix]);
        put_u16(&mut payload, r.ports.0);
        put_u16(&mut payload, r.ports.1);
        payload.extend_from_slice(&r.addr);
    }
    payload
}

/// Appends the ask network section of `p`, if it has ask network rules.
fn encode_ask_net(p: &ProfileSpec, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if p.ask_net_rules.is_empty() {
        return Ok(());
    }
    if p.ask_net_rules.len() > usize::from(net::MAX_ENTRIES) {
        return Err(EncodeError::TooManyEntries(p.name.clone()));
    }
    let payload = net_payload(&[], &p.ask_net_rules);
    if net::verify_rules_only(&payload).is_err() {
        return Err(EncodeError::BadNetRule(p.name.clone()));
    }
    put_section(out, wire::SECTION_ASK_NET, &payload);
    Ok(())
}

/// Whether `p` needs a unix section. Without abstract names and peers it is left out: it
/// would allow nothing, and kernels that predate the section still load the profile.
fn has_unix_section(p: &ProfileSpec) -> bool {
    !p.unix_abstract.is_empty() || !p.unix_peers.is_empty()
}

/// Appends the unix section of `p`, if it needs one.
fn encode_unix(p: &ProfileSpec, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if !has_unix_section(p) {
        return Ok(());
    }
    if p.unix_abstract.len() > usize::from(wire::MAX_PEERS) {
        return Err(EncodeError::TooManyEntries(p.name.clone()));
    }
    let mut payload = Vec::new();
    put_u16(&mut payload, p.unix_abstract.len() as u16);
    for a in &p.unix_abstract {
        if !glob::valid_abstract_pattern(a.as_bytes()) {
            return Err(EncodeError::BadAbstract {
                profile: p.name.clone(),
                pattern: a.clone(),
            });
        }
        put_u16(&mut payload, small(a.len()));
        payload.extend_from_slice(a.as_bytes());
    }
    names_payload(p, &p.unix_peers, &mut payload)?;
    put_section(out, wire::SECTION_UNIX, &payload);
    Ok(())
}

/// Appends the exec-targets section of `p`, if it has exec rules that name a profile (left
/// out otherwise, so kernels that predate the section still load the profile).
fn encode_exec_targets(p: &ProfileSpec, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if p.exec_targets.is_empty() {
        return Ok(());
    }
    if p.exec_targets.len() > usize::from(wire::MAX_EXEC_TARGETS) {
        return Err(EncodeError::TooManyEntries(p.name.clone()));
    }
    let mut payload = Vec::new();
    put_u16(&mut payload, p.exec_targets.len() as u16);
    for t in &p.exec_targets {
        if !wire::valid_name(t.profile.as_bytes()) || t.profile.as_bytes() == wire::UNCONFINED {
            return Err(EncodeError::BadTarget {
                profile: p.name.clone(),
                target: t.profile.clone(),
            });
        }
        if !glob::valid_pattern(t.pattern.as_bytes()) {
            return Err(EncodeError::BadPattern {
                profile: p.name.clone(),
                pattern: t.pattern.clone(),
            });
        }
        payload.push(t.profile.len() as u8);
        payload.extend_from_slice(t.profile.as_bytes());
        put_u16(&mut payload, small(t.pattern.len()));
        payload.extend_from_slice(t.pattern.as_bytes());
    }
    put_section(out, wire::SECTION_EXEC_TARGETS, &payload);
    Ok(())
}

/// Appends the file-rules section of `p`, and the owner-rules and ask-rules sections if it
/// has such rules.
fn encode_file_dfa(p: &ProfileSpec, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    // The owner and ask automata hold their rules' accesses as allow masks.
    let rules_of = |effects: &[Effect]| {
        p.rules
            .iter()
            .filter(|r| effects.contains(&r.effect))
            .map(|r| DfaRule {
                pattern: r.pattern.as_bytes(),
                allow: if r.effect == Effect::Deny {
                    0
                } else {
                    r.access
                },
                deny: if r.effect == Effect::Deny {
                    r.access
                } else {
                    0
                },
            })
            .collect::<Vec<_>>()
    };
    let dfa = compile_dfa(p, &rules_of(&[Effect::Allow, Effect::Deny]))?;
    let both = wire::ACCESS_EXEC_INHERIT | wire::ACCESS_EXEC_PROFILE;
    if dfa
        .states
        .iter()
        .any(|&(_, _, allow, _)| allow & both == both)
    {
        return Err(EncodeError::ExecConflict(p.name.clone()));
    }
    put_section(out, wire::SECTION_FILE_DFA, &dfa_payload(&dfa));
    for (effect, section) in [
        (Effect::AllowOwned, wire::SECTION_OWNER_FILE_DFA),
        (Effect::Ask, wire::SECTION_ASK_FILE_DFA),
    ] {
        if has_rules(p, effect) {
            let dfa = compile_dfa(p, &rules_of(&[effect]))?;
            put_section(out, section, &dfa_payload(&dfa));
        }
    }
    Ok(())
}

fn has_rules(p: &ProfileSpec, effect: Effect) -> bool {
    p.rules.iter().any(|r| r.effect == effect)
}

/// Compiles `rules` of profile `p` into an automaton within the kernel's limits.
fn compile_dfa(p: &ProfileSpec, rules: &[DfaRule<'_>]) -> Result<dfa::Dfa, EncodeError> {
    let automaton = |error| EncodeError::Automaton {
        profile: p.name.clone(),
        error,
    };
    let dfa = dfa::compile(rules, file_dfa::MAX_STATES as usize).map_err(automaton)?;
    if dfa.edge_next.len() > file_dfa::MAX_EDGES as usize {
        return Err(automaton(dfa::DfaError::TooManyEdges(
            file_dfa::MAX_EDGES as usize,
        )));
    }
    Ok(dfa)
}

/// `dfa` in the file-rules section format ([`crate::file_dfa`]).
fn dfa_payload(dfa: &dfa::Dfa) -> Vec<u8> {
    let mut payload = Vec::new();
    put_u32(&mut payload, dfa.states.len() as u32);
    put_u32(&mut payload, dfa.edge_next.len() as u32);
    put_u32(&mut payload, dfa.start);
    put_u16(&mut payload, dfa.num_classes);
    put_u16(&mut payload, 0);
    payload.extend_from_slice(&dfa.class_map);
    for &(first, default, allow, deny) in &dfa.states {
        put_u32(&mut payload, first);
        put_u32(&mut payload, default);
        put_u32(&mut payload, allow);
        put_u32(&mut payload, deny);
    }
    payload.extend_from_slice(&dfa.edge_class);
    for &next in &dfa.edge_next {
        put_u32(&mut payload, next);
    }
    payload
}

fn encode_profile(p: &ProfileSpec, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if !wire::valid_name(p.name.as_bytes()) || p.name.as_bytes() == wire::UNCONFINED {
        return Err(EncodeError::BadName(p.name.clone()));
    }
    if p.attach.len() > usize::from(wire::MAX_ATTACHMENTS) {
        return Err(EncodeError::TooManyEntries(p.name.clone()));
    }
    let bad_pattern = |pattern: &str| EncodeError::BadPattern {
        profile: p.name.clone(),
        pattern: pattern.to_string(),
    };
    for r in &p.rules {
        if !glob::valid_pattern(r.pattern.as_bytes()) {
            return Err(bad_pattern(&r.pattern));
        }
        // Qualifiers only for the rule's own accesses.
        let accesses = r.access & wire::ACCESS_ALL;
        let qualifiers = r.access >> wire::QUALIFIER_SHIFT;
        let known = match r.effect {
            Effect::AllowOwned => wire::OWNER_MASK_ALL,
            Effect::Ask => wire::ASK_ACCESS_ALL,
            Effect::Allow | Effect::Deny => wire::FILE_MASK_ALL,
        };
        if accesses == 0 || r.access & !known != 0 || qualifiers & !accesses != 0 {
            return Err(EncodeError::BadAccess {
                profile: p.name.clone(),
                pattern: r.pattern.clone(),
            });
        }
    }
    let start = out.len();
    put_u32(out, 0); // record_len, patched below
    out.push(p.mode.to_byte());
    out.push(if p.attach_disconnected {
        wire::PROFILE_ATTACH_DISCONNECTED
    } else {
        0
    });
    put_u16(out, small(p.name.len()));
    put_u16(out, small(p.attach.len()));
    // Sections: file rules, capabilities, signal, ptrace, mount, network, and maybe owner
    // rules, ask rules, ask network rules, unix and exec targets.
    let optional = usize::from(has_rules(p, Effect::AllowOwned))
        + usize::from(has_rules(p, Effect::Ask))
        + usize::from(!p.ask_net_rules.is_empty())
        + usize::from(has_unix_section(p))
        + usize::from(!p.exec_targets.is_empty());
    put_u16(out, 6 + optional as u16);
    put_u32(out, 0);
    out.extend_from_slice(p.name.as_bytes());
    for a in &p.attach {
        if !glob::valid_pattern(a.as_bytes()) {
            return Err(bad_pattern(a));
        }
        put_u16(out, small(a.len()));
        out.extend_from_slice(a.as_bytes());
    }
    encode_file_dfa(p, out)?;
    encode_task_sections(p, out)?;
    encode_ask_net(p, out)?;
    encode_unix(p, out)?;
    encode_exec_targets(p, out)?;
    let len = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Encodes profiles into one blob for `LSM_POLICY_LOAD`. Every limit the kernel enforces is
/// checked here first, so a blob this returns passes [`wire::verify`].
pub fn encode(profiles: &[ProfileSpec]) -> Result<Vec<u8>, EncodeError> {
    if profiles.is_empty() {
        return Err(EncodeError::Empty);
    }
    if profiles.len() > wire::MAX_PROFILES as usize {
        return Err(EncodeError::TooManyProfiles(profiles.len()));
    }
    for (i, p) in profiles.iter().enumerate() {
        if profiles[..i].iter().any(|q| q.name == p.name) {
            return Err(EncodeError::DuplicateName(p.name.clone()));
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&wire::MAGIC);
    put_u16(&mut out, wire::VERSION);
    put_u16(&mut out, 0);
    put_u32(&mut out, 0); // total_len, patched below
    put_u32(&mut out, profiles.len() as u32);
    for p in profiles {
        encode_profile(p, &mut out)?;
    }
    if out.len() > wire::MAX_BLOB_LEN {
        return Err(EncodeError::TooLarge(out.len()));
    }
    let total = out.len() as u32;
    out[8..12].copy_from_slice(&total.to_le_bytes());
    debug_assert_eq!(wire::verify(&out), Ok(profiles.len() as u32));
    Ok(out)
}

/// Decodes a blob into profile summaries, after the kernel's own verification.
pub fn decode(blob: &[u8]) -> Result<Vec<ProfileSummary>, FormatError> {
    wire::verify(blob)?;
    Ok(wire::profiles(blob)
        .map(|v| ProfileSummary {
            name: String::from_utf8_lossy(v.name()).into_owned(),
            mode: v.mode(),
            attach: v
                .attachments()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect(),
            dfa_size: v.file_dfa().map_or((0, 0), |d| d.size()),
            owner_dfa_size: v.owner_file_dfa().map_or((0, 0), |d| d.size()),
            ask_dfa_size: v.ask_file_dfa().map_or((0, 0), |d| d.size()),
            digest: wire::digest(v.record()),
            capabilities: v.capabilities(),
            exec_targets: v
                .exec_targets()
                .map(|(profile, pattern)| ExecTarget {
                    pattern: String::from_utf8_lossy(pattern).into_owned(),
                    profile: String::from_utf8_lossy(profile).into_owned(),
                })
                .collect(),
        })
        .collect())
}

use wire::FormatError;
