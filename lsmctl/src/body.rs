//! A profile's body: its rules, capabilities, peers, mount operations, network and unix
//! tables, gathered from the profile's own table and from the files it includes.
//!
//! An included file (an abstraction such as `abstractions/base`, or a site's local override)
//! holds the same keys as a profile table, at its top level, except those that only a profile
//! can have: `mode`, `attach`, `traced_by_unconfined` and `attach_disconnected`. Its rules add
//! to the profile's; deny rules still win over allow rules wherever they come from. A file is
//! included once per profile however many files include it; a file that includes itself,
//! directly or not, is refused.

use crate::diag::{Diagnostic, Source};
use crate::includes::{IncludePath, MAX_DEPTH};
use crate::network::NetworkToml;
use crate::profile::{expand_with, flags_named, ACCESS_NAMES, MOUNT_NAMES};
use crate::unix::UnixToml;
use crate::variables::Variables;
use rustlsm_policy::wire;
use rustlsm_policy::{Effect, ExecTarget, NetRule, RuleSpec, SocketSpec};
use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

/// Most path patterns one profile may have once its variables and braces are expanded.
const MAX_PATTERNS: usize = 65536;

/// A profile table, or the top level of an included file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileToml {
    pub mode: Option<Spanned<String>>,
    pub attach: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    #[serde(default)]
    pub include_if_exists: Vec<Spanned<String>>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Spanned<RuleToml>>,
    #[serde(default)]
    pub capabilities: Vec<Spanned<String>>,
    #[serde(default)]
    pub signal: Vec<Spanned<String>>,
    #[serde(default)]
    pub ptrace: Vec<Spanned<String>>,
    pub traced_by_unconfined: Option<Spanned<bool>>,
    pub attach_disconnected: Option<Spanned<bool>>,
    #[serde(default)]
    pub mount: Vec<Spanned<String>>,
    #[serde(default)]
    pub network: NetworkToml,
    pub unix: Option<Spanned<UnixToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleToml {
    allow: Option<Spanned<Vec<Spanned<String>>>>,
    deny: Option<Spanned<Vec<Spanned<String>>>>,
    /// Accesses put to the profile's listening agent (see `wire::SECTION_ASK_FILE_DFA`).
    ask: Option<Spanned<Vec<Spanned<String>>>>,
    paths: Spanned<Vec<Spanned<String>>>,
    /// For an allowed `exec`: "inherit" (keep the caller's profile), "profile" (run under
    /// the program's own profile, refuse if it has none) or `{ profile = "NAME" }` (run under
    /// that profile, refuse if it is not loaded). Without it: the program's own profile if it
    /// has one, else the caller's.
    transition: Option<Spanned<toml::Value>>,
    /// On an allow rule: log the accesses it allows (`AUDIT` records).
    audit: Option<Spanned<bool>>,
    /// On a deny rule: refuse without a log line.
    quiet: Option<Spanned<bool>>,
    /// On an allow rule: allow only files whose owner is the task's filesystem user ID.
    owner: Option<Spanned<bool>>,
}

/// What the files of one profile compile to, merged.
#[derive(Default)]
pub(crate) struct Body {
    pub rules: Vec<RuleSpec>,
    pub capabilities: u64,
    pub signal: Vec<String>,
    pub ptrace: Vec<String>,
    pub mount: u32,
    pub sockets: Vec<SocketSpec>,
    pub net_rules: Vec<NetRule>,
    /// Endpoint rules whose operations are put to the agent.
    pub ask_net_rules: Vec<NetRule>,
    pub unix_abstract: Vec<String>,
    pub unix_peers: Vec<String>,
    pub exec_targets: Vec<ExecTarget>,
    /// Where the first network endpoint rule is, for the warning about missing sockets.
    pub network_rule_site: Option<Diagnostic>,
    /// Where the first unix rule is, likewise.
    pub unix_rule_site: Option<Diagnostic>,
    /// Every peer named, with where, for the warning about unknown peers.
    pub peer_sites: Vec<(String, Diagnostic)>,
    /// Every profile an exec rule names, with where, likewise.
    pub target_sites: Vec<(String, Diagnostic)>,
    /// The files included so far (canonical paths): each is included once.
    included: Vec<PathBuf>,
}

/// What compiling a profile body needs besides its text.
pub(crate) struct Context<'a> {
    pub variables: &'a Variables,
    pub includes: &'a IncludePath,
}

fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A unix-related rule of a body, for the warning about unix sockets.
fn unix_rule_span(body: &ProfileToml) -> Option<std::ops::Range<usize>> {
    if let Some(u) = body.unix.as_ref().filter(|u| !u.get_ref().is_empty()) {
        return Some(u.span());
    }
    body.rules.iter().find_map(|r| {
        let allow = r.get_ref().allow.as_ref()?;
        allow
            .get_ref()
            .iter()
            .find(|a| a.get_ref() == "connect")
            .map(Spanned::span)
    })
}

impl Body {
    /// Adds `body`, read from `src`, and what it includes. `stack` is the chain of files
    /// that led here, `src`'s own included.
    pub fn add(
        &mut self,
        body: &ProfileToml,
        src: &Source,
        cx: &Context<'_>,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(), Diagnostic> {
        let includes = body
            .include
            .iter()
            .map(|n| (n, true))
            .chain(body.include_if_exists.iter().map(|n| (n, false)));
        for (name, required) in includes {
            self.include(name, required, src, cx, stack)?;
        }
        for rule in &body.rules {
            self.add_rule(rule, src, cx.variables)?;
        }
        for c in &body.capabilities {
            let n = crate::profile::capability(c.get_ref()).ok_or_else(|| {
                src.at(
                    c.span(),
                    format!(
                        "unknown capability {:?}: expected a name such as net_bind_service or \
                         CAP_NET_RAW (see capabilities(7))",
                        c.get_ref()
                    ),
                )
            })?;
            self.capabilities |= 1 << n;
        }
        for p in peers(&body.signal, src)? {
            push_new(&mut self.signal, p);
        }
        for p in peers(&body.ptrace, src)? {
            push_new(&mut self.ptrace, p);
        }
        self.mount |= flags_named(&body.mount, &MOUNT_NAMES, "mount operation")
            .map_err(|(span, msg)| src.at(span, msg))?;
        let network =
            crate::network::compile(&body.network).map_err(|(span, msg)| src.at(span, msg))?;
        for s in network.sockets {
            push_new(&mut self.sockets, s);
        }
        self.net_rules.extend(network.allow);
        self.ask_net_rules.extend(network.ask);
        if let Some(u) = &body.unix {
            let u = u.get_ref();
            for a in crate::unix::abstract_patterns(u).map_err(|(span, msg)| src.at(span, msg))? {
                push_new(&mut self.unix_abstract, a);
            }
            for p in peers(&u.peers, src)? {
                push_new(&mut self.unix_peers, p);
            }
        }
        if self.network_rule_site.is_none() {
            self.network_rule_site = body.network.first_rule().map(|s| src.at(s, ""));
        }
        if self.unix_rule_site.is_none() {
            self.unix_rule_site = unix_rule_span(body).map(|s| src.at(s, ""));
        }
        let listed = body.signal.iter().chain(&body.ptrace).chain(
            body.unix
                .as_ref()
                .map_or(&[][..], |u| &u.get_ref().peers[..]),
        );
        for peer in listed {
            self.peer_sites
                .push((peer.get_ref().clone(), src.at(peer.span(), "")));
        }
        Ok(())
    }

    /// Includes the file `name` names, if it has not been included yet.
    fn include(
        &mut self,
        name: &Spanned<String>,
        required: bool,
        src: &Source,
        cx: &Context<'_>,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(), Diagnostic> {
        let here = |msg: String| src.at(name.span(), msg);
        let found = cx
            .includes
            .resolve(&src.path, name.get_ref())
            .map_err(&here)?;
        let path = match found {
            Ok(path) => path,
            Err(_) if !required => return Ok(()),
            Err(looked) => {
                return Err(here(format!(
                    "include {:?}: {looked} (include_if_exists takes a file that may be absent)",
                    name.get_ref()
                )))
            }
        };
        let canonical = path
            .canonicalize()
            .map_err(|e| here(format!("{}: {e}", path.display())))?;
        if let Some(first) = stack.iter().position(|p| *p == canonical) {
            let chain: Vec<String> = stack[first..]
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| p.display().to_string())
                .collect();
            return Err(here(format!("include cycle: {}", chain.join(" includes "))));
        }
        if self.included.contains(&canonical) {
            return Ok(());
        }
        if stack.len() > MAX_DEPTH {
            return Err(here(format!(
                "includes nest more than {MAX_DEPTH} files deep"
            )));
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| here(format!("{}: {e}", path.display())))?;
        let inner = Source {
            path: path.clone(),
            text,
            included_from: Some(src.at(name.span(), "").location_chain()),
        };
        if let Ok(table) = inner.text.parse::<toml::Table>() {
            for (key, what) in [
                ("profile", "defines profiles; load it on its own"),
                (
                    "variables",
                    "defines variables, which only the profile file may do",
                ),
            ] {
                if table.contains_key(key) {
                    return Err(here(format!(
                        "include {:?}: {} {what}: an included file holds rules for the \
                         profile that includes it, at its top level",
                        name.get_ref(),
                        path.display()
                    )));
                }
            }
        }
        let body: ProfileToml = crate::profile::parse_toml(&inner)?;
        refuse_profile_keys(&body, &inner)?;
        self.included.push(canonical.clone());
        stack.push(canonical);
        let added = self.add(&body, &inner, cx, stack);
        stack.pop();
        added
    }

    /// Compiles one `[[rule]]`.
    fn add_rule(
        &mut self,
        rule: &Spanned<RuleToml>,
        src: &Source,
        variables: &Variables,
    ) -> Result<(), Diagnostic> {
        let rule_span = rule.span();
        let rule = rule.get_ref();
        let (effect, names) = match (&rule.allow, &rule.deny, &rule.ask) {
            (Some(a), None, None) => (Effect::Allow, a),
            (None, Some(d), None) => (Effect::Deny, d),
            (None, None, Some(q)) => (Effect::Ask, q),
            _ => {
                return Err(src.at(
                    rule_span,
                    "a rule needs exactly one of `allow`, `deny` or `ask`",
                ))
            }
        };
        let mut access = flags_named(names.get_ref(), &ACCESS_NAMES, "access")
            .map_err(|(span, msg)| src.at(span, msg))?;
        if access == 0 {
            return Err(src.at(names.span(), "the rule names no access"));
        }
        access |= qualifiers(rule, effect, access, src)?;
        let effect = owner_effect(rule, effect, access, src)?;
        let mut target = None;
        if let Some(t) = &rule.transition {
            if effect != Effect::Allow || access & wire::ACCESS_EXEC == 0 {
                return Err(src.at(t.span(), "`transition` belongs on a rule that allows exec"));
            }
            match t.get_ref() {
                toml::Value::String(kind) => access |= transition_kind(kind, t.span(), src)?,
                toml::Value::Table(table) => {
                    let name = target_name(table, t.span(), src)?;
                    self.target_sites.push((name.clone(), src.at(t.span(), "")));
                    target = Some(name);
                }
                _ => return Err(src.at(t.span(), TRANSITION_FORMS)),
            }
        }
        if rule.paths.get_ref().is_empty() {
            return Err(src.at(rule.paths.span(), "the rule names no path"));
        }
        for p in rule.paths.get_ref() {
            if self.rules.len() > MAX_PATTERNS {
                return Err(src.at(
                    p.span(),
                    format!("the profile's rules expand to more than {MAX_PATTERNS} patterns"),
                ));
            }
            for pattern in expand_with(variables, p.get_ref()).map_err(|m| src.at(p.span(), m))? {
                if let Some(profile) = &target {
                    if self.exec_targets.len() >= usize::from(wire::MAX_EXEC_TARGETS) {
                        return Err(src.at(
                            p.span(),
                            format!(
                                "more than {} exec paths name a profile",
                                wire::MAX_EXEC_TARGETS
                            ),
                        ));
                    }
                    self.exec_targets.push(ExecTarget {
                        pattern: pattern.clone(),
                        profile: profile.clone(),
                    });
                }
                self.rules.push(RuleSpec {
                    effect,
                    access,
                    pattern,
                });
            }
        }
        Ok(())
    }
}

/// The peer profile names of a list, each checked.
fn peers(list: &[Spanned<String>], src: &Source) -> Result<Vec<String>, Diagnostic> {
    list.iter()
        .map(|p| {
            if wire::valid_name(p.get_ref().as_bytes()) {
                Ok(p.get_ref().clone())
            } else {
                Err(src.at(
                    p.span(),
                    format!(
                        "{:?} is neither a profile name nor \"unconfined\"",
                        p.get_ref()
                    ),
                ))
            }
        })
        .collect()
}

/// Refuses, in an included file, what only a profile's own table may say.
fn refuse_profile_keys(body: &ProfileToml, src: &Source) -> Result<(), Diagnostic> {
    let only_profile = [
        ("mode", body.mode.as_ref().map(Spanned::span)),
        ("attach", body.attach.as_ref().map(Spanned::span)),
        (
            "traced_by_unconfined",
            body.traced_by_unconfined.as_ref().map(Spanned::span),
        ),
        (
            "attach_disconnected",
            body.attach_disconnected.as_ref().map(Spanned::span),
        ),
    ];
    match only_profile.into_iter().find_map(|(k, s)| Some((k, s?))) {
        Some((key, span)) => Err(src.at(
            span,
            format!(
                "`{key}` belongs in a profile's own table: an included file adds rules to \
                 every profile that includes it"
            ),
        )),
        None => Ok(()),
    }
}

/// What `transition` may be.
const TRANSITION_FORMS: &str = "a transition is \"inherit\", \"profile\" or { profile = \"NAME\" }";

/// The access bit of a `transition` kind.
fn transition_kind(
    kind: &str,
    span: std::ops::Range<usize>,
    src: &Source,
) -> Result<u32, Diagnostic> {
    match kind {
        "inherit" => Ok(wire::ACCESS_EXEC_INHERIT),
        "profile" => Ok(wire::ACCESS_EXEC_PROFILE),
        other => Err(src.at(
            span,
            format!("unknown transition {other:?}: {TRANSITION_FORMS}"),
        )),
    }
}

/// The profile a `transition = { profile = "NAME" }` names, checked as the kernel would.
fn target_name(
    table: &toml::Table,
    span: std::ops::Range<usize>,
    src: &Source,
) -> Result<String, Diagnostic> {
    let (Some(toml::Value::String(name)), 1) = (table.get("profile"), table.len()) else {
        return Err(src.at(span, TRANSITION_FORMS));
    };
    if !wire::valid_name(name.as_bytes()) || name.as_bytes() == wire::UNCONFINED {
        return Err(src.at(
            span,
            format!(
                "{name:?} is not a profile name: 1 to {} of A-Z a-z 0-9 . _ -, not \"unconfined\"",
                wire::MAX_NAME_LEN
            ),
        ));
    }
    Ok(name.clone())
}

/// `effect`, made [`Effect::AllowOwned`] if `rule` says `owner = true`, which only an allow
/// rule without `exec` may say.
fn owner_effect(
    rule: &RuleToml,
    effect: Effect,
    access: u32,
    src: &Source,
) -> Result<Effect, Diagnostic> {
    let Some(owner) = rule.owner.as_ref().filter(|o| *o.get_ref()) else {
        return Ok(effect);
    };
    if effect == Effect::Deny {
        return Err(src.at(
            owner.span(),
            "`owner` belongs on an allow rule: a deny rule refuses whoever owns the file",
        ));
    }
    if effect == Effect::Ask {
        return Err(src.at(
            owner.span(),
            "`owner` belongs on an allow rule: an `ask` rule asks whoever owns the file",
        ));
    }
    if access & wire::ACCESS_ALL & !wire::OWNER_ACCESS_ALL != 0 {
        return Err(src.at(
            owner.span(),
            "an `owner` rule cannot allow exec: which profile a program runs under does not \
             depend on who owns it; write the exec rule without `owner`",
        ));
    }
    Ok(Effect::AllowOwned)
}

/// The qualifier bits of `rule` for its `access`: `audit` on an allow rule, `quiet` on a
/// deny rule (see `wire::QUALIFIER_SHIFT`).
fn qualifiers(
    rule: &RuleToml,
    effect: Effect,
    access: u32,
    src: &Source,
) -> Result<u32, Diagnostic> {
    fn set(flag: &Option<Spanned<bool>>) -> Option<&Spanned<bool>> {
        flag.as_ref().filter(|f| *f.get_ref())
    }
    let wrong = match (effect, set(&rule.audit), set(&rule.quiet)) {
        (Effect::Deny, Some(audit), _) => Some((audit.span(), "`audit` belongs on an allow rule")),
        (Effect::Allow, _, Some(quiet)) => Some((quiet.span(), "`quiet` belongs on a deny rule")),
        (_, None, None) => return Ok(0),
        (Effect::Ask, Some(flag), _) | (Effect::Ask, None, Some(flag)) => Some((
            flag.span(),
            "an `ask` rule is neither audited nor quiet: the agent sees every request",
        )),
        _ => None,
    };
    if let Some((span, message)) = wrong {
        return Err(src.at(span, message));
    }
    Ok((access & wire::ACCESS_ALL) << wire::QUALIFIER_SHIFT)
}
