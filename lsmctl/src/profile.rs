//! Profiles in TOML, and their compilation to the model the wire encoder takes.
//!
//! ```toml
//! [variables]                 # see variables.rs
//! data = "/srv/demo"
//!
//! [profile.demo]
//! mode = "enforce"            # or "complain", "kill" or "ask"; enforce when omitted
//! attach = ["/usr/bin/demo"]
//! include = ["abstractions/base"]         # see includes.rs and body.rs
//! include_if_exists = ["local/demo"]
//! signal = ["helper"]         # profiles (or "unconfined") it may signal; ptrace alike
//! attach_disconnected = false # true: paths outside the mount namespace (detached mounts)
//!                             # are matched within their file system instead of refused
//!
//! [[profile.demo.rule]]
//! allow = ["read", "exec"]
//! paths = ["/etc/**", "/usr/lib/**"]
//!
//! [[profile.demo.rule]]
//! deny = ["read"]
//! paths = ["/etc/shadow"]
//!
//! [[profile.demo.rule]]       # put to the listening agent (`lsmctl agent`) when no allow
//! ask = ["read", "write"]     # rule grants and no deny rule refuses; refused without one
//! paths = ["/home/*/**"]
//!
//! [[profile.demo.rule]]       # pathname AF_UNIX sockets: connect (stream), send (datagram)
//! allow = ["connect"]
//! paths = ["/run/dbus/system_bus_socket"]
//!
//! [profile.demo.network]      # see network.rs
//! sockets = ["unix", "inet:stream"]
//!
//! [profile.demo.unix]         # see unix.rs
//! abstract = ["@dbus-*", "@/tmp/.X11-unix/X*"]   # abstract names; @ is the leading NUL
//! peers = ["dbus", "unconfined"]                 # profiles of AF_UNIX peers
//! ```
//!
//! Access names: read, write, append, exec, create, delete, rename, link, mmap_exec, setattr,
//! truncate, ioctl, connect. Paths and attachments are absolute glob patterns (`?`, `*`, `**`,
//! `{a,b}`) in the form the kernel renders paths: no `.` or `..` component, no `//`, no
//! trailing `/` (but `/` itself). A pattern that breaks these is refused, since it could never
//! match. Rules that compile but can never take effect are reported as warnings (see
//! [`compile_checked`]).

use crate::body::{Body, Context, ProfileToml};
use crate::diag::{Diagnostic, Source, Warning, WarningKind};
use crate::includes::IncludePath;
use crate::variables::Variables;
use rustlsm_policy::glob;
use rustlsm_policy::wire;
use rustlsm_policy::{Effect, Mode, ProfileSpec, RuleSpec};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    variables: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    profile: BTreeMap<String, Spanned<ProfileToml>>,
}

/// Linux capability names, by number (include/uapi/linux/capability.h).
pub const CAPABILITY_NAMES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// Mount operation names and their flags.
pub(crate) const MOUNT_NAMES: [(&str, u32); 3] = [
    ("mount", wire::MOUNT_MOUNT),
    ("umount", wire::MOUNT_UMOUNT),
    ("pivot_root", wire::MOUNT_PIVOT_ROOT),
];

/// The capability `name` names (`net_raw`, `CAP_NET_RAW` and `cap_net_raw` alike).
pub(crate) fn capability(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    let bare = lower.strip_prefix("cap_").unwrap_or(&lower);
    CAPABILITY_NAMES
        .iter()
        .position(|c| *c == bare)
        .map(|i| i as u32)
}

/// a program it runs, so that common rules read as people expect.
pub const ACCESS_NAMES: [(&str, u32); 13] = [
    ("read", wire::ACCESS_READ),
    (
        "write",
        wire::ACCESS_WRITE | wire::ACCESS_APPEND | wire::ACCESS_TRUNCATE,
    ),
    ("append", wire::ACCESS_APPEND),
    ("exec", wire::ACCESS_EXEC | wire::ACCESS_MMAP_EXEC),
    ("create", wire::ACCESS_CREATE),
    ("delete", wire::ACCESS_DELETE),
    ("rename", wire::ACCESS_RENAME),
    ("link", wire::ACCESS_LINK),
    ("mmap_exec", wire::ACCESS_MMAP_EXEC),
    ("setattr", wire::ACCESS_SETATTR),
    ("truncate", wire::ACCESS_TRUNCATE),
    ("ioctl", wire::ACCESS_IOCTL),
    ("connect", wire::ACCESS_CONNECT),
];

/// ORs together the flags that `names` name in `table`; an unknown name is an error at its
/// place, listing the known ones.
pub(crate) fn flags_named(
    names: &[Spanned<String>],
    table: &[(&str, u32)],
    what: &str,
) -> Result<u32, (std::ops::Range<usize>, String)> {
    names.iter().try_fold(0, |flags, n| {
        match table.iter().find(|(name, _)| *name == n.get_ref()) {
            Some((_, bit)) => Ok(flags | bit),
            None => {
                let known: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
                Err((
                    n.span(),
                    format!(
                        "unknown {what} {:?}: expected one of {}",
                        n.get_ref(),
                        known.join(", ")
                    ),
                ))
            }
        }
    })
}

/// Compiles the TOML text of `file` into profiles, or the first error with its location.
/// Includes are looked up in the system directories ([`IncludePath::default`]).
pub fn compile(file: &Path, source: &str) -> Result<Vec<ProfileSpec>, Diagnostic> {
    compile_checked(file, source).map(|c| c.profiles)
}

/// A compiled profile file.
#[derive(Debug)]
pub struct Compiled {
    /// The profiles, in name order.
    pub profiles: Vec<ProfileSpec>,
    /// Where each profile's table is (the message is empty), in the same order.
    pub sites: Vec<Diagnostic>,
    /// Rules that compile but can never take effect.
    pub warnings: Vec<Warning>,
}

/// Like [`compile`], and also reports what can never take effect: network rules without an
/// inet or inet6 socket, unix rules (abstract names, peers, `connect` on paths) without a
/// unix socket, profiles without attachments, and peers that name no profile of the file
/// (they may be defined in another file, so this is only a warning).
pub fn compile_checked(file: &Path, source: &str) -> Result<Compiled, Diagnostic> {
    compile_with(file, source, &IncludePath::default())
}

/// Parses a TOML file, errors located in it.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(src: &Source) -> Result<T, Diagnostic> {
    toml::from_str(&src.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut message = e.message().trim_end().replace('\n', "; ");
        if message.is_empty() {
            // toml explains some lexical errors with nothing, a control character for one.
            message = match src.text.get(span.start..).and_then(|s| s.chars().next()) {
                Some(c) => format!("invalid TOML: unexpected character {c:?}"),
                None => "invalid TOML".into(),
            };
        }
        src.at(span, message)
    })
}

/// [`compile_checked`], with includes looked up in `includes`.
pub fn compile_with(
    file: &Path,
    source: &str,
    includes: &IncludePath,
) -> Result<Compiled, Diagnostic> {
    let src = Source {
        path: file.to_path_buf(),
        text: source.to_string(),
        included_from: None,
    };
    if let Ok(table) = source.parse::<toml::Table>() {
        let fragment = [
            "rule",
            "include",
            "include_if_exists",
            "network",
            "capabilities",
        ];
        if !table.contains_key("profile") && fragment.iter().any(|k| table.contains_key(*k)) {
            return Err(src.at(
                0..0,
                "no profile is defined here: this looks like a file for profiles to include \
                 (rules at the top level); check a profile file that includes it",
            ));
        }
    }
    let parsed: PolicyFile = parse_toml(&src)?;
    if parsed.profile.is_empty() {
        return Err(src.at(
            0..0,
            "no profile is defined (expected a [profile.NAME] table)",
        ));
    }
    let mut variables = Variables::builtin();
    variables
        .define(&parsed.variables)
        .map_err(|(span, msg)| src.at(span, msg))?;
    let cx = Context {
        variables: &variables,
        includes,
    };
    let defined: Vec<String> = parsed.profile.keys().cloned().collect();
    let mut profiles = Vec::new();
    let mut sites = Vec::new();
    let mut warnings = Vec::new();
    for (name, body) in parsed.profile {
        let body_span = body.span();
        let (profile, site, profile_warnings) =
            compile_profile(name, body.get_ref(), body_span, &src, &cx, &defined)?;
        warnings.extend(profile_warnings.into_iter().map(|w| (profiles.len(), w)));
        profiles.push(profile);
        sites.push(site);
    }
    // A profile without attachments that an exec rule of the file names is entered that way.
    let targeted = |p: &ProfileSpec| {
        let mut targets = profiles.iter().flat_map(|q| &q.exec_targets);
        targets.any(|t| t.profile == p.name)
    };
    let warnings = warnings
        .into_iter()
        .filter(|(i, w)| w.kind != WarningKind::NoAttachment || !targeted(&profiles[*i]))
        .map(|(_, w)| w)
        .collect();
    if profiles.len() > wire::MAX_PROFILES as usize {
        return Err(src.at(
            0..0,
            format!("more than {} profiles in one file", wire::MAX_PROFILES),
        ));
    }
    Ok(Compiled {
        profiles,
        sites,
        warnings,
    })
}

/// Compiles one profile table: the profile, where it is, and its warnings.
fn compile_profile(
    name: String,
    body: &ProfileToml,
    body_span: std::ops::Range<usize>,
    src: &Source,
    cx: &Context<'_>,
    defined: &[String],
) -> Result<(ProfileSpec, Diagnostic, Vec<Warning>), Diagnostic> {
    if !wire::valid_name(name.as_bytes()) {
        return Err(src.at(
            body_span,
            format!(
                "profile name {name:?} must be 1 to {} characters of A-Z a-z 0-9 . _ -",
                wire::MAX_NAME_LEN
            ),
        ));
    }
    if name == "unconfined" {
        return Err(src.at(
            body_span,
            "\"unconfined\" stands for unconfined tasks and cannot name a profile",
        ));
    }
    let mode = match &body.mode {
        None => Mode::Enforce,
        Some(m) => match m.get_ref().as_str() {
            "enforce" => Mode::Enforce,
            "complain" => Mode::Complain,
            "kill" => Mode::Kill,
            "ask" => Mode::Ask,
            other => {
                return Err(src.at(
                    m.span(),
                    format!(
                        "unknown mode {other:?}: expected \"enforce\", \"complain\", \"kill\" \
                         or \"ask\""
                    ),
                ))
            }
        },
    };
    let attach_list = body.attach.as_ref().map_or(&[][..], |a| &a.get_ref()[..]);
    let mut attach = Vec::new();
    for a in attach_list {
        for one in expand_with(cx.variables, a.get_ref()).map_err(|m| src.at(a.span(), m))? {
            if !attach.contains(&one) {
                attach.push(one);
            }
        }
    }
    if attach.len() > usize::from(wire::MAX_ATTACHMENTS) {
        return Err(src.at(
            body_span,
            format!("more than {} attachments", wire::MAX_ATTACHMENTS),
        ));
    }
    // The kernel maps a program it executes under the program's new profile, so a profile
    // may always map its own executables (a deny rule can still take that away).
    let mut merged = Body::default();
    merged.rules = attach
        .iter()
        .map(|a| RuleSpec {
            effect: Effect::Allow,
            access: wire::ACCESS_MMAP_EXEC,
            pattern: a.clone(),
        })
        .collect();
    let mut stack = vec![src.path.canonicalize().unwrap_or_else(|_| src.path.clone())];
    merged.add(body, src, cx, &mut stack)?;

    let mut warnings = Vec::new();
    let mut warn = |site: &Diagnostic, kind: WarningKind, message: String| {
        warnings.push(Warning {
            kind,
            diagnostic: Diagnostic {
                message,
                ..site.clone()
            },
        });
    };
    let site = src.at(body_span, "");
    if attach_list.is_empty() {
        warn(
            &site,
            WarningKind::NoAttachment,
            format!(
                "profile {name:?} has no `attach` and no exec rule of this file names it: \
                 only `lsmctl exec --profile {name}` or another file's exec rule can run \
                 anything under it"
            ),
        );
    }
    let family = |f: u16| merged.sockets.iter().any(|s| s.family == f);
    if let Some(at) = &merged.network_rule_site {
        if !family(rustlsm_policy::net::AF_INET) && !family(rustlsm_policy::net::AF_INET6) {
            warn(
                at,
                WarningKind::NetworkWithoutSockets,
                format!(
                    "profile {name:?}: network rules, but `sockets` allows no inet or inet6 \
                     socket, so no socket can use them; add for instance \"inet:stream\" to \
                     [profile.{name}.network] sockets"
                ),
            );
        }
    }
    if let Some(at) = &merged.unix_rule_site {
        if !family(crate::network::AF_UNIX) {
            warn(
                at,
                WarningKind::UnixWithoutSockets,
                format!(
                    "profile {name:?}: unix rules, but `sockets` allows no unix socket, so no \
                     socket can use them; add \"unix\" to [profile.{name}.network] sockets"
                ),
            );
        }
    }
    for (p, at) in &merged.peer_sites {
        if p != "unconfined" && !defined.contains(p) {
            warn(
                at,
                WarningKind::UnknownPeer(p.clone()),
                format!(
                    "profile {name:?}: peer {p:?} is not a profile of this file; the rule takes \
                     effect only if another file loads a profile of that name"
                ),
            );
        }
    }
    for (p, at) in &merged.target_sites {
        if !defined.contains(p) {
            warn(
                at,
                WarningKind::UnknownPeer(p.clone()),
                format!(
                    "profile {name:?}: the exec rule names profile {p:?}, which this file does \
                     not define; the exec is refused unless another file loads it"
                ),
            );
        }
    }
    let flag = |f: &Option<Spanned<bool>>| f.as_ref().is_some_and(|b| *b.get_ref());
    let profile = ProfileSpec {
        sockets: merged.sockets,
        net_rules: merged.net_rules,
        ask_net_rules: merged.ask_net_rules,
        name,
        mode,
        attach,
        rules: merged.rules,
        capabilities: merged.capabilities,
        signal: merged.signal,
        ptrace: merged.ptrace,
        traced_by_unconfined: flag(&body.traced_by_unconfined),
        attach_disconnected: flag(&body.attach_disconnected),
        mount: merged.mount,
        unix_abstract: merged.unix_abstract,
        unix_peers: merged.unix_peers,
        exec_targets: merged.exec_targets,
    };
    Ok((profile, site, warnings))
}

/// The patterns `pattern` stands for once its variables and braces are expanded, each
/// checked as the kernel would.
///
/// Variables and braces together expand to at most [`crate::braces::MAX_EXPANSIONS`]
/// patterns, so one line cannot make a profile that takes hours to compile.
pub(crate) fn expand_with(variables: &Variables, pattern: &str) -> Result<Vec<String>, String> {
    let mut all = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for one in variables.expand(pattern)? {
        let patterns = expand_pattern(&one).map_err(|msg| {
            if one == pattern {
                msg
            } else {
                format!("{msg} (from {pattern:?}, its variables expanded)")
            }
        })?;
        for p in patterns {
            if seen.insert(p.clone()) {
                all.push(p);
            }
        }
        if all.len() > crate::braces::MAX_EXPANSIONS {
            return Err(format!(
                "{pattern:?}: its variables and braces expand to more than {} patterns",
                crate::braces::MAX_EXPANSIONS
            ));
        }
    }
    Ok(all)
}

/// The patterns `pattern` stands for after brace expansion, each checked as the kernel
/// would: absolute, in the form the kernel renders paths, not too long.
pub fn expand_pattern(pattern: &str) -> Result<Vec<String>, String> {
    let all = crate::braces::expand(pattern)?;
    for one in &all {
        check_pattern(one).map_err(|msg| {
            if one == pattern {
                msg
            } else {
                format!("{msg} (from the brace expansion of {pattern:?})")
            }
        })?;
    }
    Ok(all)
}

/// `s` with empty and `.` components dropped and `..` taking the previous component away, as
/// a suggestion: lexically, as if no component were a symbolic link.
fn lexically_normal(s: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in s.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Refuses a pattern that is not in the form the kernel renders paths in, since it would never
/// match, and a deny rule written that way would deny nothing.
fn check_normal_form(s: &str) -> Result<(), String> {
    const WHY: &str = "the kernel matches rules against the path as it resolved it, which has no";
    if s.split('/').any(|c| c == "." || c == "..") {
        return Err(format!(
            "path {s:?} has a `.` or `..` component: {WHY} such component, so this pattern \
             would never match (a deny would deny nothing); write the path it means, such as \
             {:?} if no component is a symbolic link",
            lexically_normal(s)
        ));
    }
    if s.contains("//") {
        return Err(format!(
            "path {s:?} has an empty component (`//`): {WHY} empty component, so this pattern \
             would never match (a deny would deny nothing); write {:?}",
            lexically_normal(s)
        ));
    }
    if s.len() > 1 && s.ends_with('/') {
        let dir = s.trim_end_matches('/');
        return Err(format!(
            "path {s:?} ends with `/`: {WHY} trailing `/`, not even for a directory, so this \
             pattern would never match (a deny would deny nothing); write {dir:?} for the \
             directory itself or \"{dir}/**\" for everything under it"
        ));
    }
    Ok(())
}

/// Refuses `/proc/thread-self`, a link the kernel resolves before rules see the path
/// (`/proc/self`, by contrast, is how rules name the task's own entries).
fn check_thread_self(s: &str) -> Result<(), String> {
    match s.strip_prefix("/proc/thread-self") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => Err(format!(
            "path {s:?}: /proc/thread-self is a link the kernel follows, so this pattern would \
             never match; write \"/proc/self/task/*{rest}\" for the task's threads"
        )),
        _ => Ok(()),
    }
}

fn check_pattern(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err(format!("path {s:?} must be absolute (start with /)"));
    }
    if s.len() > glob::MAX_PATTERN_LEN {
        return Err(format!(
            "path {s:?} is {} bytes long; at most {} are allowed",
            s.len(),
            glob::MAX_PATTERN_LEN
        ));
    }
    if s.contains('\0') {
        return Err("a path may not contain a NUL character".into());
    }
    let (wildcards, crossing) = wildcard_count(s);
    if wildcards > MAX_WILDCARDS || crossing > MAX_CROSSING {
        return Err(format!(
            "path {s:?} has {wildcards} wildcards, {crossing} of them `**`; at most \
             {MAX_WILDCARDS}, and {MAX_CROSSING} `**`, are allowed (the automaton of many \
             overlapping ones grows too large to build)"
        ));
    }
    check_thread_self(s)?;
    check_normal_form(s)
}

/// Most wildcards (`?`, and runs of `*`) one pattern may have: real paths need a few; a
/// pattern of dozens makes the rules' automaton take minutes to build.
pub const MAX_WILDCARDS: usize = 16;
/// Most `**` (which cross `/`, and so keep every later position of the pattern alive) one
/// pattern may have.
pub const MAX_CROSSING: usize = 4;

/// The wildcards of `pattern` (each `?`, and each run of `*`), and how many of them are
/// `**` (runs of two or more).
fn wildcard_count(pattern: &str) -> (usize, usize) {
    let bytes = pattern.as_bytes();
    let (mut all, mut crossing, mut i) = (0, 0, 0);
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|&&b| b == b'*').count();
        if run >= 2 {
            crossing += 1;
        }
        if run > 0 || bytes[i] == b'?' {
            all += 1;
        }
        i += run.max(1);
    }
    (all, crossing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(source: &str) -> String {
        compile(Path::new("p.toml"), source)
            .expect_err("must be refused")
            .to_string()
    }

    #[test]
    fn compiles_rules_in_order_with_their_access() {
        let src = r#"
[profile.web]
mode = "complain"
attach = ["/usr/bin/web"]

[[profile.web.rule]]
allow = ["read", "exec"]
paths = ["/srv/**", "/usr/lib/**"]

[[profile.web.rule]]
deny = ["write"]
paths = ["/srv/secret"]
"#;
        let p = compile(Path::new("p.toml"), src).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "web");
        assert_eq!(p[0].mode, Mode::Complain);
        assert_eq!(p[0].attach, vec!["/usr/bin/web".to_string()]);
        let read = wire::ACCESS_READ;
        let exec = wire::ACCESS_EXEC | wire::ACCESS_MMAP_EXEC;
        let write = wire::ACCESS_WRITE | wire::ACCESS_APPEND | wire::ACCESS_TRUNCATE;
        let rules: Vec<(Effect, u32, &str)> = p[0]
            .rules
            .iter()
            .map(|r| (r.effect, r.access, r.pattern.as_str()))
            .collect();
        assert_eq!(
            rules,
            vec![
                (Effect::Allow, wire::ACCESS_MMAP_EXEC, "/usr/bin/web"),
                (Effect::Allow, read | exec, "/srv/**"),
                (Effect::Allow, read | exec, "/usr/lib/**"),
                (Effect::Deny, write, "/srv/secret"),
            ]
        );
    }

    #[test]
    fn errors_name_file_line_and_column() {
        assert_eq!(
            error("[profile.a]\nmode = \"enforse\"\n"),
            "p.toml:2:8: unknown mode \"enforse\": expected \"enforce\", \"complain\", \"kill\" or \
             \"ask\""
        );
        assert_eq!(
            error(
                "[profile.a]\n[[profile.a.rule]]\nallow = [\"read\", \"fly\"]\npaths = [\"/x\"]\n"
            ),
            "p.toml:3:18: unknown access \"fly\": expected one of read, write, append, exec, \
             create, delete, rename, link, mmap_exec, setattr, truncate, ioctl, connect"
        );
        assert_eq!(
            error("[profile.a]\n[[profile.a.rule]]\nallow = [\"read\"]\npaths = [\"x\"]\n"),
            "p.toml:4:10: path \"x\" must be absolute (start with /)"
        );
        assert!(error("[profile.a\n").starts_with("p.toml:1:"));
        assert!(error("[profile.a]\nbogus = 1\n").contains("unknown field `bogus`"));
        assert_eq!(
            error("# a\u{1}b\n[profile.a]\n"),
            "p.toml:1:4: invalid TOML: unexpected character '\\u{1}'"
        );
    }

    #[test]
    fn refuses_rules_without_one_effect_or_without_paths() {
        let both = "[profile.a]\n[[profile.a.rule]]\nallow = [\"read\"]\ndeny = [\"read\"]\npaths = [\"/x\"]\n";
        assert!(error(both).contains("exactly one of `allow`, `deny` or `ask`"));
        let none = "[profile.a]\n[[profile.a.rule]]\nallow = [\"read\"]\npaths = []\n";
        assert!(error(none).contains("names no path"));
        let empty = "[profile.a]\n[[profile.a.rule]]\nallow = []\npaths = [\"/x\"]\n";
        assert!(error(empty).contains("names no access"));
        assert!(error("").contains("no profile is defined"));
        assert!(error("[profile.\"b c\"]\n").contains("profile name \"b c\""));
    }
}
