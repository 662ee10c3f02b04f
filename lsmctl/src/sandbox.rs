//! The sandbox profile `lsmctl run` builds from its command line: paths by access class
//! (`--ro`, `--rox`, `--rw`, `--rwx`, `--deny`), TCP and UDP endpoints, raw sockets and
//! unix sockets by path, added to the rules of an optional profile file.
//!
//! Every sandbox may read and write /dev/null, /dev/zero and /dev/full and read /dev/random
//! and /dev/urandom. A path argument may be a glob; a plain path covers itself and everything
//! beneath it, and is resolved to the form the kernel renders (absolute, symbolic links
//! followed when it exists), since rules match rendered paths. An endpoint is `[ADDRESS[/PREFIX]:]PORTS`,
//! with IPv6 addresses in brackets: `443`, `8000-8100`, `10.0.0.0/8:53`, `[::1]:8080`.

use crate::network::{parse_address, parse_ports, AF_UNIX};
use crate::profile::ACCESS_NAMES;
use rustlsm_policy::{net, Effect, Mode, NetRule, ProfileSpec, RuleSpec, SocketSpec};
use std::path::{Component, Path, PathBuf};

/// The name of the profile `lsmctl run` stacks when no profile file names one.
pub const DEFAULT_NAME: &str = "sandbox";

/// What the command line asks the sandbox to allow or refuse.
#[derive(Clone, Debug, Default)]
pub struct SandboxRequest {
    /// Readable paths.
    pub ro: Vec<String>,
    /// Readable and executable paths.
    pub rox: Vec<String>,
    /// Readable and writable paths (create, delete, rename, link, setattr included).
    pub rw: Vec<String>,
    /// Writable and executable paths.
    pub rwx: Vec<String>,
    /// Paths refused whatever else allows them.
    pub deny: Vec<String>,
    /// Pathname unix sockets the sandbox may connect or send to.
    pub unix: Vec<String>,
    /// TCP endpoints to bind and listen on.
    pub bind_tcp: Vec<String>,
    /// TCP endpoints to connect to.
    pub connect_tcp: Vec<String>,
    /// UDP endpoints to bind.
    pub bind_udp: Vec<String>,
    /// UDP endpoints to connect and send to.
    pub connect_udp: Vec<String>,
    /// Raw IP and ICMP (ping) sockets.
    pub raw: bool,
    /// Report refusals without enforcing them.
    pub complain: bool,
}

/// Devices every sandbox may use, as nearly every program expects to (shells redirect
/// background jobs from /dev/null): they hold no data and reach nothing. A `--deny` still
/// refuses them.
const DEVICES: [(&str, &[&str]); 5] = [
    ("/dev/null", &["read", "write"]),
    ("/dev/zero", &["read", "write"]),
    ("/dev/full", &["read", "write"]),
    ("/dev/random", &["read"]),
    ("/dev/urandom", &["read"]),
];

/// The access names each path class grants.
const READ: &[&str] = &["read"];
const READ_EXEC: &[&str] = &["read", "exec"];
const READ_WRITE: &[&str] = &[
    "read", "write", "create", "delete", "rename", "link", "setattr", "ioctl",
];
const READ_WRITE_EXEC: &[&str] = &[
    "read", "write", "create", "delete", "rename", "link", "setattr", "ioctl", "exec",
];

/// The `wire::ACCESS_*` bits of `names`.
fn access(names: &[&str]) -> u32 {
    ACCESS_NAMES
        .iter()
        .filter(|(name, _)| names.contains(name))
        .fold(0, |bits, (_, bit)| bits | bit)
}

/// Every access a rule can name.
fn all_access() -> u32 {
    ACCESS_NAMES.iter().fold(0, |bits, (_, bit)| bits | bit)
}

/// Whether `arg` is a glob rather than a plain path.
fn is_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '{', '}'])
}

/// Makes `arg` absolute against `cwd` and removes `.`, `..` and repeated slashes, without
/// touching the file system.
fn lexical_absolute(arg: &str, cwd: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    let joined = if arg.starts_with('/') {
        PathBuf::from(arg)
    } else {
        cwd.join(arg)
    };
    for c in joined.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// `path` as the kernel renders it: rules match the path with links followed (`/lib` on a
/// merged-/usr system is `/usr/lib`). What does not exist yet is appended to its longest
/// existing ancestor, resolved, so that `--deny ~/proj/.env` still matches when `~/proj` is
/// a link.
fn resolved(path: &Path) -> PathBuf {
    // /proc/self names the task that looks: for the kernel, the sandboxed command's own
    // entries (lsmctl's would be /proc/LSMCTL-PID); /proc/thread-self is one of its threads.
    let text = path.to_string_lossy();
    if text == "/proc/self" || text.starts_with("/proc/self/") {
        return path.to_path_buf();
    }
    if let Some(rest) = text.strip_prefix("/proc/thread-self") {
        if rest.is_empty() || rest.starts_with('/') {
            return PathBuf::from(format!("/proc/self/task/*{rest}"));
        }
    }
    let mut missing = Vec::new();
    let mut existing = path;
    loop {
        if let Ok(mut real) = std::fs::canonicalize(existing) {
            real.extend(missing.iter().rev());
            return real;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name);
                existing = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// `pattern` with its literal directories (those before the first component with a glob
/// character) [`resolved`], so that `--deny ~/proj/*.env` matches when `~/proj` is a link.
fn resolved_prefix(pattern: &str) -> String {
    let components: Vec<&str> = pattern.split('/').skip(1).collect();
    let literal = components.iter().take_while(|c| !is_glob(c)).count();
    if literal == 0 || literal == components.len() {
        return pattern.to_string();
    }
    let prefix = format!("/{}", components[..literal].join("/"));
    match resolved(Path::new(&prefix)).to_str() {
        Some(real) if !is_glob(real) => {
            format!(
                "{}/{}",
                real.trim_end_matches('/'),
                components[literal..].join("/")
            )
        }
        _ => pattern.to_string(),
    }
}

/// The patterns a path argument covers: a glob as given (absolute, braces expanded), a plain
/// path resolved as the kernel renders it, itself and everything beneath it.
pub fn patterns(arg: &str, cwd: &Path) -> Result<Vec<String>, String> {
    if arg.is_empty() {
        return Err("an empty path".into());
    }
    if is_glob(arg) {
        let expanded = crate::profile::expand_pattern(arg)?;
        return Ok(expanded.iter().map(|p| resolved_prefix(p)).collect());
    }
    let real = resolved(&lexical_absolute(arg, cwd));
    let text = real
        .to_str()
        .ok_or_else(|| format!("{arg:?}: the path is not UTF-8"))?
        .to_string();
    // /proc/thread-self becomes the pattern /proc/self/task/* (see `resolved`).
    if is_glob(&text) && !text.starts_with("/proc/self/task/*") {
        return Err(format!(
            "{arg:?} resolves to {text:?}, which has glob characters: write it as a pattern"
        ));
    }
    Ok(if text == "/" {
        vec!["/".into(), "/**".into()]
    } else {
        vec![text.clone(), format!("{text}/**")]
    })
}

/// The directories above `pattern` that a rename could move it by: every ancestor of its
/// part before the first component with a glob character (`/a/b/*.env`: `/a/b` and `/a`).
fn literal_ancestors(pattern: &str) -> Vec<String> {
    let components: Vec<&str> = pattern.split('/').skip(1).collect();
    let literal = components.iter().take_while(|c| !is_glob(c)).count();
    // The pattern's own last component is what it denies, not an ancestor.
    let literal = literal.min(components.len().saturating_sub(1));
    (1..=literal)
        .map(|n| format!("/{}", components[..n].join("/")))
        .collect()
}

/// The rule an endpoint argument makes for `ops` on `proto` (address family 0: any).
fn endpoint(arg: &str, proto: u8, ops: u8) -> Result<NetRule, String> {
    let bad = |e: String| format!("{arg:?}: {e}");
    let (address, ports) = if let Some(rest) = arg.strip_prefix('[') {
        let (address, tail) = rest
            .split_once(']')
            .ok_or_else(|| bad("an IPv6 address opened with `[` is not closed".into()))?;
        let ports = tail
            .strip_prefix(':')
            .ok_or_else(|| bad("expected `:PORTS` after `]`".into()))?;
        (Some(address), ports)
    } else {
        match arg.rsplit_once(':') {
            Some((address, ports)) => (Some(address), ports),
            None => (None, arg),
        }
    };
    let ports = if ports == "*" {
        (0, u16::MAX)
    } else {
        parse_ports(ports).map_err(bad)?
    };
    let (family, prefix, addr) = match address {
        Some(a) => parse_address(a).map_err(bad)?,
        None => (0, 0, [0; 16]),
    };
    Ok(NetRule {
        ops,
        proto,
        family,
        prefix,
        ports,
        addr,
    })
}

fn socket(family: u16, sock_type: u16, protocol: u16) -> SocketSpec {
    SocketSpec {
        family,
        sock_type,
        protocol,
    }
}

/// Adds `spec`'s sockets unless already there.
fn add_socket(spec: &mut ProfileSpec, s: SocketSpec) {
    if !spec.sockets.contains(&s) {
        spec.sockets.push(s);
    }
}

/// Puts `spec` in ask mode (`lsmctl run --ask`): what its rules do not allow is put to the
/// agent. TCP and UDP sockets may be created, so that their endpoints are asked for (a socket
/// reaches nothing before a bind, connect or send, each of which is asked); raw and ICMP
/// sockets still need `--raw`, as socket creation is never asked.
pub fn ask_mode(spec: &mut ProfileSpec) {
    spec.mode = rustlsm_policy::Mode::Ask;
    for family in [net::AF_INET, net::AF_INET6] {
        add_socket(spec, socket(family, 1, 0));
        add_socket(spec, socket(family, 2, 0));
    }
}

/// Where a rule of a sandbox comes from, so that a refusal can name what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The profile file's own rules (`--profile`).
    ProfileFile,
    /// The devices every sandbox may use.
    Device,
    /// A flag and its argument as given on the command line: `--ro /tmp`.
    Flag { flag: &'static str, arg: String },
    /// The rename guard that `--deny ARG` puts on the directories above ARG.
    AboveDeny(String),
}

/// A sandbox profile and where each of its rules comes from.
#[derive(Clone, Debug)]
pub struct Sandbox {
    pub spec: ProfileSpec,
    /// The origin of each of `spec.rules`, in order.
    pub rule_origins: Vec<Origin>,
    /// The origin of each of `spec.net_rules`, in order.
    pub net_origins: Vec<Origin>,
}

impl Sandbox {
    /// A sandbox whose rules all come from a profile file (no command line to name).
    pub fn from_profile(spec: ProfileSpec) -> Self {
        Sandbox {
            rule_origins: vec![Origin::ProfileFile; spec.rules.len()],
            net_origins: vec![Origin::ProfileFile; spec.net_rules.len()],
            spec,
        }
    }

    /// The origin of path rule `i`; a rule without one counts as the profile file's.
    pub fn rule_origin(&self, i: usize) -> &Origin {
        self.rule_origins.get(i).unwrap_or(&Origin::ProfileFile)
    }

    /// The origin of endpoint rule `i`; a rule without one counts as the profile file's.
    pub fn net_origin(&self, i: usize) -> &Origin {
        self.net_origins.get(i).unwrap_or(&Origin::ProfileFile)
    }
}

/// Builds the sandbox profile: `base` (from a profile file) or an empty profile, plus what
/// `req` asks. Paths are resolved against `cwd`.
pub fn build(
    req: &SandboxRequest,
    base: Option<ProfileSpec>,
    cwd: &Path,
) -> Result<ProfileSpec, String> {
    build_sandbox(req, base, cwd).map(|sandbox| sandbox.spec)
}

/// [`build`], keeping where each rule comes from.
pub fn build_sandbox(
    req: &SandboxRequest,
    base: Option<ProfileSpec>,
    cwd: &Path,
) -> Result<Sandbox, String> {
    let base = base.unwrap_or_else(|| ProfileSpec::new(DEFAULT_NAME, Mode::Enforce));
    let mut sandbox = Sandbox::from_profile(base);
    let Sandbox {
        spec,
        rule_origins,
        net_origins,
    } = &mut sandbox;
    if !spec.attach.is_empty() {
        return Err(format!(
            "profile {:?} has attachments: a sandbox applies to the command it runs, not to \
             programs it names",
            spec.name
        ));
    }
    if let Some(target) = spec.exec_targets.first() {
        return Err(format!(
            "profile {:?} has an exec rule naming profile {:?}: a sandbox keeps its programs \
             in the sandbox, it moves none to another profile",
            spec.name, target.profile
        ));
    }
    let peers = [
        ("signal", &spec.signal),
        ("ptrace", &spec.ptrace),
        ("unix peers", &spec.unix_peers),
    ];
    if let Some((what, _)) = peers.iter().find(|(_, names)| !names.is_empty()) {
        return Err(format!(
            "profile {:?} names {what} profiles: a sandbox reaches the tasks of its own sandbox \
             only, whatever profiles they run under",
            spec.name
        ));
    }
    if req.complain {
        spec.mode = Mode::Complain;
    }
    let classes: [(&[String], Effect, u32, &str); 6] = [
        (&req.ro, Effect::Allow, access(READ), "--ro"),
        (&req.rox, Effect::Allow, access(READ_EXEC), "--rox"),
        (&req.rw, Effect::Allow, access(READ_WRITE), "--rw"),
        (&req.rwx, Effect::Allow, access(READ_WRITE_EXEC), "--rwx"),
        (&req.unix, Effect::Allow, access(&["connect"]), "--unix"),
        (&req.deny, Effect::Deny, all_access(), "--deny"),
    ];
    for (device, names) in DEVICES {
        spec.rules.push(RuleSpec {
            effect: Effect::Allow,
            access: access(names),
            pattern: device.to_string(),
        });
        rule_origins.push(Origin::Device);
    }
    let mut guarded = Vec::new();
    for (args, effect, bits, flag) in classes {
        for arg in args {
            let patterns = patterns(arg, cwd).map_err(|e| format!("{flag}: {e}"))?;
            for pattern in patterns {
                if effect == Effect::Deny {
                    guarded.extend(literal_ancestors(&pattern).into_iter().map(|d| (d, arg)));
                }
                spec.rules.push(RuleSpec {
                    effect,
                    access: bits,
                    pattern,
                });
                rule_origins.push(Origin::Flag {
                    flag,
                    arg: arg.clone(),
                });
            }
        }
    }
    // Renaming a directory above a denied path would carry it out from under its rule: the
    // directories above every deny may not be renamed. One rule per directory, named after
    // the first deny that asked for it.
    guarded.sort_by(|a, b| a.0.cmp(&b.0));
    guarded.dedup_by(|a, b| a.0 == b.0);
    for (dir, arg) in guarded {
        spec.rules.push(RuleSpec {
            effect: Effect::Deny,
            access: access(&["rename"]),
            pattern: dir,
        });
        rule_origins.push(Origin::AboveDeny(arg.clone()));
    }
    // Programs talk to local daemons over unix sockets; which ones they reach is decided
    // by path rules (`--unix`) and the sandbox's scope, not by socket creation.
    add_socket(spec, socket(AF_UNIX, 0, 0));
    let endpoints: [(&[String], u8, u8, u16, &str); 4] = [
        (
            &req.bind_tcp,
            net::PROTO_TCP,
            net::OP_BIND | net::OP_LISTEN,
            1,
            "--bind-tcp",
        ),
        (
            &req.connect_tcp,
            net::PROTO_TCP,
            net::OP_CONNECT,
            1,
            "--connect-tcp",
        ),
        (&req.bind_udp, net::PROTO_UDP, net::OP_BIND, 2, "--bind-udp"),
        (
            &req.connect_udp,
            net::PROTO_UDP,
            net::OP_CONNECT | net::OP_SEND,
            2,
            "--connect-udp",
        ),
    ];
    for (args, proto, ops, sock_type, flag) in endpoints {
        for arg in args {
            let rule = endpoint(arg, proto, ops).map_err(|e| format!("{flag}: {e}"))?;
            spec.net_rules.push(rule);
            net_origins.push(Origin::Flag {
                flag,
                arg: arg.clone(),
            });
            add_socket(spec, socket(net::AF_INET, sock_type, 0));
            add_socket(spec, socket(net::AF_INET6, sock_type, 0));
        }
    }
    if req.raw {
        add_socket(spec, socket(net::AF_INET, net::SOCK_RAW, net::ANY_PROTOCOL));
        add_socket(
            spec,
            socket(net::AF_INET6, net::SOCK_RAW, net::ANY_PROTOCOL),
        );
        add_socket(spec, socket(net::AF_INET, 2, net::IPPROTO_ICMP));
        add_socket(spec, socket(net::AF_INET6, 2, net::IPPROTO_ICMPV6));
    }
    Ok(sandbox)
}
