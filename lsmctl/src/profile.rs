//! Profiles in TOML, and their compilation to the model the wire encoder takes.
//!
//! ```toml
//! [profile.demo]
//! mode = "enforce"            # or "complain"; enforce when omitted
//! attach = ["/usr/bin/demo"]
//!
//! [[profile.demo.rule]]
//! allow = ["read", "exec"]
//! paths = ["/etc/**", "/usr/lib/**"]
//!
//! [[profile.demo.rule]]
//! deny = ["read"]
//! paths = ["/etc/shadow"]
//! ```

use crate::diag::Diagnostic;
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
    profile: BTreeMap<String, Spanned<ProfileToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileToml {
    mode: Option<Spanned<String>>,
    #[serde(default)]
    attach: Vec<Spanned<String>>,
    #[serde(default, rename = "rule")]
    rules: Vec<Spanned<RuleToml>>,
    #[serde(default)]
    capabilities: Vec<Spanned<String>>,
    #[serde(default)]
    signal: Vec<Spanned<String>>,
    #[serde(default)]
    ptrace: Vec<Spanned<String>>,
    #[serde(default)]
    traced_by_unconfined: bool,
    #[serde(default)]
    mount: Vec<Spanned<String>>,
    #[serde(default)]
    network: crate::network::NetworkToml,
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
const MOUNT_NAMES: [(&str, u32); 3] = [
    ("mount", wire::MOUNT_MOUNT),
    ("umount", wire::MOUNT_UMOUNT),
    ("pivot_root", wire::MOUNT_PIVOT_ROOT),
];

/// The capability `name` names (`net_raw`, `CAP_NET_RAW` and `cap_net_raw` alike).
fn capability(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    let bare = lower.strip_prefix("cap_").unwrap_or(&lower);
    CAPABILITY_NAMES
        .iter()
        .position(|c| *c == bare)
        .map(|i| i as u32)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    allow: Option<Spanned<Vec<Spanned<String>>>>,
    deny: Option<Spanned<Vec<Spanned<String>>>>,
    paths: Spanned<Vec<Spanned<String>>>,
    /// For an allowed `exec`: "inherit" (keep the caller's profile) or "profile" (run under
    /// the program's own profile, refuse if it has none). Without it: the program's own
    /// profile if it has one, else the caller's.
    transition: Option<Spanned<String>>,
}

/// The access names a rule may use, and the bits each grants or refuses. `write` covers
/// appending and truncating too, and `exec` covers the executable mapping the kernel makes of
/// a program it runs, so that common rules read as people expect.
pub const ACCESS_NAMES: [(&str, u32); 12] = [
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
];

/// ORs together the flags that `names` name in `table`; an unknown name is an error at its
/// place, listing the known ones.
fn flags_named(
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
pub fn compile(file: &Path, source: &str) -> Result<Vec<ProfileSpec>, Diagnostic> {
    let parsed: PolicyFile = toml::from_str(source).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut message = e.message().trim_end().replace('\n', "; ");
        if message.is_empty() {
            // toml explains some lexical errors with nothing, a control character for one.
            message = match source.get(span.start..).and_then(|s| s.chars().next()) {
                Some(c) => format!("invalid TOML: unexpected character {c:?}"),
                None => "invalid TOML".into(),
            };
        }
        Diagnostic::at(file, source, span, message)
    })?;
    let at = |span: std::ops::Range<usize>, msg: String| Diagnostic::at(file, source, span, msg);

    if parsed.profile.is_empty() {
        return Err(at(
            0..0,
            "no profile is defined (expected a [profile.NAME] table)".into(),
        ));
    }
    let mut profiles = Vec::new();
    for (name, body) in parsed.profile {
        let body_span = body.span();
        if !wire::valid_name(name.as_bytes()) {
            return Err(at(
                body_span,
                format!(
                    "profile name {name:?} must be 1 to {} characters of A-Z a-z 0-9 . _ -",
                    wire::MAX_NAME_LEN
                ),
            ));
        }
        let body = body.into_inner();
        let mode = match &body.mode {
            None => Mode::Enforce,
            Some(m) => match m.get_ref().as_str() {
                "enforce" => Mode::Enforce,
                "complain" => Mode::Complain,
                "kill" => Mode::Kill,
                other => {
                    return Err(at(
                        m.span(),
                        format!(
                            "unknown mode {other:?}: expected \"enforce\", \"complain\" or \"kill\""
                        ),
                    ))
                }
            },
        };
        let mut attach = Vec::new();
        for a in &body.attach {
            for one in expanded(a).map_err(|msg| at(a.span(), msg))? {
                attach.push(one);
            }
        }
        if attach.len() > usize::from(wire::MAX_ATTACHMENTS) {
            return Err(at(
                body_span,
                format!("more than {} attachments", wire::MAX_ATTACHMENTS),
            ));
        }
        // The kernel maps a program it executes under the program's new profile, so a profile
        // may always map its own executables (a deny rule can still take that away).
        let mut rules: Vec<RuleSpec> = attach
            .iter()
            .map(|a| RuleSpec {
                effect: Effect::Allow,
                access: wire::ACCESS_MMAP_EXEC,
                pattern: a.clone(),
            })
            .collect();
        for rule in &body.rules {
            let rule_span = rule.span();
            let rule = rule.get_ref();
            let (effect, names) = match (&rule.allow, &rule.deny) {
                (Some(a), None) => (Effect::Allow, a),
                (None, Some(d)) => (Effect::Deny, d),
                _ => {
                    return Err(at(
                        rule_span,
                        "a rule needs exactly one of `allow` or `deny`".into(),
                    ))
                }
            };
            let mut access = flags_named(names.get_ref(), &ACCESS_NAMES, "access")
                .map_err(|(span, msg)| at(span, msg))?;
            if access == 0 {
                return Err(at(names.span(), "the rule names no access".into()));
            }
            if let Some(t) = &rule.transition {
                if effect != Effect::Allow || access & wire::ACCESS_EXEC == 0 {
                    return Err(at(
                        t.span(),
                        "`transition` belongs on a rule that allows exec".into(),
                    ));
                }
                access |= match t.get_ref().as_str() {
                    "inherit" => wire::ACCESS_EXEC_INHERIT,
                    "profile" => wire::ACCESS_EXEC_PROFILE,
                    other => {
                        return Err(at(
                            t.span(),
                            format!(
                                "unknown transition {other:?}: expected \"inherit\" or \"profile\""
                            ),
                        ))
                    }
                };
            }
            if rule.paths.get_ref().is_empty() {
                return Err(at(rule.paths.span(), "the rule names no path".into()));
            }
            for p in rule.paths.get_ref() {
                for pattern in expanded(p).map_err(|msg| at(p.span(), msg))? {
                    rules.push(RuleSpec {
                        effect,
                        access,
                        pattern,
                    });
                }
            }
        }
        let mut capabilities = 0u64;
        for c in &body.capabilities {
            let n = capability(c.get_ref()).ok_or_else(|| {
                at(
                    c.span(),
                    format!(
                        "unknown capability {:?}: expected a name such as net_bind_service or \
                         CAP_NET_RAW (see capabilities(7))",
                        c.get_ref()
                    ),
                )
            })?;
            capabilities |= 1 << n;
        }
        let peers = |list: &[Spanned<String>]| -> Result<Vec<String>, Diagnostic> {
            list.iter()
                .map(|p| {
                    if wire::valid_name(p.get_ref().as_bytes()) {
                        Ok(p.get_ref().clone())
                    } else {
                        Err(at(
                            p.span(),
                            format!(
                                "{:?} is neither a profile name nor \"unconfined\"",
                                p.get_ref()
                            ),
                        ))
                    }
                })
                .collect()
        };
        let mount = flags_named(&body.mount, &MOUNT_NAMES, "mount operation")
            .map_err(|(span, msg)| at(span, msg))?;
        if name == "unconfined" {
            return Err(at(
                body_span,
                "\"unconfined\" stands for unconfined tasks and cannot name a profile".into(),
            ));
        }
        let (sockets, net_rules) =
            crate::network::compile(&body.network).map_err(|(span, msg)| at(span, msg))?;
        profiles.push(ProfileSpec {
            sockets,
            net_rules,
            name,
            mode,
            attach,
            rules,
            capabilities,
            signal: peers(&body.signal)?,
            ptrace: peers(&body.ptrace)?,
            traced_by_unconfined: body.traced_by_unconfined,
            mount,
            unix_abstract: Vec::new(),
            unix_peers: Vec::new(),
        });
    }
    if profiles.len() > wire::MAX_PROFILES as usize {
        return Err(at(
            0..0,
            format!("more than {} profiles in one file", wire::MAX_PROFILES),
        ));
    }
    Ok(profiles)
}

/// The patterns `p` stands for after brace expansion, each checked as the kernel would.
fn expanded(p: &Spanned<String>) -> Result<Vec<String>, String> {
    let all = crate::braces::expand(p.get_ref())?;
    for one in &all {
        check_pattern(one)?;
    }
    Ok(all)
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
    Ok(())
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
            "p.toml:2:8: unknown mode \"enforse\": expected \"enforce\", \"complain\" or \"kill\""
        );
        assert_eq!(
            error(
                "[profile.a]\n[[profile.a.rule]]\nallow = [\"read\", \"fly\"]\npaths = [\"/x\"]\n"
            ),
            "p.toml:3:18: unknown access \"fly\": expected one of read, write, append, exec, \
             create, delete, rename, link, mmap_exec, setattr, truncate, ioctl"
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
        assert!(error(both).contains("exactly one of `allow` or `deny`"));
        let none = "[profile.a]\n[[profile.a.rule]]\nallow = [\"read\"]\npaths = []\n";
        assert!(error(none).contains("names no path"));
        let empty = "[profile.a]\n[[profile.a.rule]]\nallow = []\npaths = [\"/x\"]\n";
        assert!(error(empty).contains("names no access"));
        assert!(error("").contains("no profile is defined"));
        assert!(error("[profile.\"b c\"]\n").contains("profile name \"b c\""));
    }
}
