//! `lsmctl logprof`: rules from records. It reads what profiles were refused (or, in
//! complain mode, would have been), proposes includes and rules group by group
//! ([`lsmctl::learn`]), asks one question per group on a terminal (none with `--yes`; with
//! `--json` it only prints the proposal), writes the accepted ones into the file of the
//! profile directory that defines the profile, keeping its comments and layout, replays every
//! record of the accepted groups against the compiled result, and loads it. A file whose
//! replay still refuses something is left as it was.

use super::load::load_one;
use super::log::{read_files, read_kmsg};
use super::mode::{defining_file, replace_file};
use super::{compile_file, compile_text, CompileSettings};
use crate::kernel::Via;
use lsmctl::learn::{self, Abstraction, Observed, Proposal};
use lsmctl::logsource::record_in;
use lsmctl::records::Line;
use lsmctl::IncludePath;
use rustlsm_policy::{encode, wire};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use toml_edit::{value, Array, ArrayOfTables, DocumentMut, Item, Table};

/// What to learn from and how.
#[derive(clap::Args)]
pub(crate) struct LogprofArgs {
    /// Log files to read ("-" for standard input) instead of the kernel log.
    pub files: Vec<PathBuf>,
    /// Only this profile (may be given more than once).
    #[arg(short, long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// The profile directory.
    #[arg(long, value_name = "DIR", default_value = super::load::PROFILE_DIR)]
    pub dir: PathBuf,
    /// Accept every proposal without asking.
    #[arg(short, long, conflicts_with = "json")]
    pub yes: bool,
    /// Print the proposals as JSON and change nothing.
    #[arg(long)]
    pub json: bool,
    /// Also propose what is held back: capabilities as good as root (sys_admin...),
    /// mount, tracing, sockets no profile word names alone.
    #[arg(long)]
    pub sensitive: bool,
    /// Only kernel-log records after this sequence number (genprof's mark).
    #[arg(skip)]
    pub since: Option<u64>,
    #[arg(long, value_enum, default_value_t = Via::Auto)]
    pub via: Via,
}

/// The abstractions a profile may include, compiled: the shipped order first (most programs
/// need base), then the others by name.
fn abstractions(includes: &IncludePath) -> Vec<Abstraction> {
    const FIRST: [&str; 6] = [
        "base",
        "nameservice",
        "ssl_certs",
        "consoles",
        "tmp",
        "shell",
    ];
    let mut names: Vec<String> = Vec::new();
    for dir in includes.dirs() {
        let Ok(entries) = std::fs::read_dir(dir.join("abstractions")) else {
            continue;
        };
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            if let Some(stem) = file.strip_suffix(".toml") {
                if !names.iter().any(|n| n == stem) {
                    names.push(stem.to_string());
                }
            }
        }
    }
    names.sort_by_key(|n| {
        (
            FIRST.iter().position(|f| f == n).unwrap_or(FIRST.len()),
            n.clone(),
        )
    });
    names
        .into_iter()
        .filter_map(|n| {
            let name = format!("abstractions/{n}");
            let quoted = toml_edit::Value::from(name.as_str()).to_string();
            let src = format!("[profile.abstraction]\ninclude = [{quoted}]\n");
            let compiled =
                lsmctl::profile::compile_with(&PathBuf::from("abstraction"), &src, includes)
                    .ok()?;
            let blob = encode(&compiled.profiles).ok()?;
            let summary = summary(includes, &name);
            Some(Abstraction {
                name,
                summary,
                blob,
            })
        })
        .collect()
}

/// What an abstraction is for: the first comment of its file, less the name it starts with.
fn summary(includes: &IncludePath, name: &str) -> String {
    let text = includes
        .resolve(std::path::Path::new("."), name)
        .ok()
        .and_then(Result::ok)
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let first = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or_default();
    let first = first.split_once(": ").map_or(first, |(_, rest)| rest);
    first.to_string()
}

/// The records of `args`' source, by profile (system profiles only: a sandbox's records
/// belong to `lsmctl run`). Also says whether the kernel reported records it dropped.
fn gather(args: &LogprofArgs) -> Result<(BTreeMap<String, Observed>, bool), String> {
    let mut by_profile: BTreeMap<String, Observed> = BTreeMap::new();
    let mut dropped = false;
    let mut take = |line: Line| {
        let Line::Record(r) = line else { return };
        // An audited access was allowed: nothing to learn from it.
        if r.verdict == lsmctl::records::Verdict::Audited {
            return;
        }
        let name = String::from_utf8_lossy(&r.profile).into_owned();
        let wanted = args.profiles.is_empty() || args.profiles.contains(&name);
        if r.sandbox.is_none() && wanted {
            by_profile.entry(name).or_default().add(&r);
        }
    };
    if args.files.is_empty() {
        read_kmsg(false, &mut |seq, message| {
            if args.since.is_some_and(|mark| seq <= mark) {
                return;
            }
            let text = String::from_utf8_lossy(message);
            if is_denial_suppression(&text) {
                dropped = true;
            }
            if let Some(line) = record_in(message) {
                take(line);
            }
        })?;
    } else {
        read_files(&args.files, &mut take)?;
    }
    Ok((by_profile, dropped))
}

/// The answer to one question: add the group, or skip it.
fn ask(question: &str, yes: bool) -> Result<bool, String> {
    if yes {
        return Ok(true);
    }
    loop {
        print!("{question}\n  [a]dd, [s]kip, [q]uit? ");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        let mut answer = String::new();
        let n = std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| e.to_string())?;
        match answer.trim() {
            _ if n == 0 => return Err("no answer (end of input)".into()),
            "a" | "A" => return Ok(true),
            "s" | "S" => return Ok(false),
            "q" | "Q" => return Err("stopped; nothing was written".into()),
            _ => println!("  answer a, s or q"),
        }
    }
}

fn listed(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("    {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Keeps the groups of `p` that are accepted (all with `yes`).
fn choose(p: &Proposal, all: &[Abstraction], yes: bool) -> Result<Proposal, String> {
    let name = &p.profile;
    let mut out = Proposal {
        profile: name.clone(),
        held_back: p.held_back.clone(),
        unhandled: p.unhandled.clone(),
        ..Proposal::default()
    };
    for (include, covered) in &p.includes {
        let what = all
            .iter()
            .find(|a| &a.name == include)
            .map_or("", |a| a.summary.as_str());
        let q = format!(
            "profile {name}: include {include} ({what} ...; see the file for all it grants)? \
             It covers what {} record(s) asked:\n{}",
            covered.len(),
            listed(covered)
        );
        if ask(&q, yes)? {
            out.includes.push((include.clone(), covered.clone()));
        }
    }
    for rule in &p.rules {
        let q = format!(
            "profile {name}: allow {} on\n{}\n  (seen: {})",
            rule.allow.join(", "),
            listed(&rule.paths),
            rule.seen.join(", ")
        );
        if ask(&q, yes)? {
            out.rules.push(rule.clone());
        }
    }
    if !p.capabilities.is_empty()
        && ask(
            &format!(
                "profile {name}: keep capabilities {}?",
                p.capabilities.join(", ")
            ),
            yes,
        )?
    {
        out.capabilities = p.capabilities.clone();
    }
    if !p.sockets.is_empty()
        && ask(
            &format!("profile {name}: allow sockets {}?", p.sockets.join(", ")),
            yes,
        )?
    {
        out.sockets = p.sockets.clone();
    }
    for n in &p.network {
        let q = format!(
            "profile {name}: allow {} {} to {} port {}?",
            n.allow.join(", "),
            n.protocol,
            n.address,
            n.port
        );
        if ask(&q, yes)? {
            out.network.push(n.clone());
        }
    }
    Ok(out)
}

/// A list of strings; one per line when there are more than two.
fn strings(items: impl IntoIterator<Item = String>) -> Array {
    let mut array: Array = items.into_iter().collect();
    if array.len() > 2 {
        for v in array.iter_mut() {
            v.decor_mut().set_prefix("\n  ");
        }
        array.set_trailing("\n");
        array.set_trailing_comma(true);
    }
    array
}

/// Appends `items` to the array `key` of `table`, creating it, skipping what it holds.
fn extend_array(table: &mut Table, key: &str, items: &[String]) -> Result<(), String> {
    let item = table.entry(key).or_insert(value(Array::new()));
    let array = item
        .as_array_mut()
        .ok_or_else(|| format!("`{key}` is not a list"))?;
    for i in items {
        if !array.iter().any(|v| v.as_str() == Some(i)) {
            array.push(i.as_str());
        }
    }
    Ok(())
}

/// Writes the accepted groups into the profile's table of `doc`.
fn apply(doc: &mut DocumentMut, p: &Proposal, records: usize) -> Result<(), String> {
    let name = &p.profile;
    let profile = doc["profile"][name.as_str()]
        .as_table_mut()
        .ok_or_else(|| format!("profile {name:?} is not a table of its own"))?;
    let includes: Vec<String> = p.includes.iter().map(|(i, _)| i.clone()).collect();
    if !includes.is_empty() {
        extend_array(profile, "include", &includes)?;
    }
    if !p.capabilities.is_empty() {
        extend_array(profile, "capabilities", &p.capabilities)?;
    }
    let note = format!("\n# Learned by lsmctl logprof from {records} record(s).\n");
    if !p.rules.is_empty() {
        let rules = profile
            .entry("rule")
            .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
            .as_array_of_tables_mut()
            .ok_or("`rule` is not a list of tables")?;
        for (i, r) in p.rules.iter().enumerate() {
            let mut t = Table::new();
            t.insert("allow", value(strings(r.allow.iter().cloned())));
            t.insert("paths", value(strings(r.paths.iter().cloned())));
            if i == 0 {
                t.decor_mut().set_prefix(note.clone());
            }
            rules.push(t);
        }
    }
    if !p.sockets.is_empty() || !p.network.is_empty() {
        let network = profile
            .entry("network")
            .or_insert(Item::Table(Table::new()))
            .as_table_mut()
            .ok_or("`network` is not a table")?;
        if !p.sockets.is_empty() {
            extend_array(network, "sockets", &p.sockets)?;
        }
        if !p.network.is_empty() {
            let rules = network
                .entry("rule")
                .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
                .as_array_of_tables_mut()
                .ok_or("`network.rule` is not a list of tables")?;
            for n in &p.network {
                let mut t = Table::new();
                t.insert("allow", value(strings(n.allow.iter().cloned())));
                t.insert("protocol", value(n.protocol.as_str()));
                t.insert("ports", value(Array::from_iter([i64::from(n.port)])));
                t.insert("addresses", value(strings([n.address.clone()])));
                rules.push(t);
            }
        }
    }
    Ok(())
}

/// What the compiled `blob` still refuses of the accepted groups' records.
fn replay(blob: &[u8], p: &Proposal, observed: &Observed) -> Vec<String> {
    let Some(view) = wire::profiles(blob).find(|v| v.name() == p.profile.as_bytes()) else {
        return vec![format!("profile {} is not in the result", p.profile)];
    };
    let mut left = p.answered(observed);
    left.retain_refused(&view);
    left.describe()
}

/// Learns one profile; `Err` for a profile whose file cannot take the result.
fn learn_one(
    name: &str,
    observed: &Observed,
    all: &[Abstraction],
    args: &LogprofArgs,
    settings: &CompileSettings,
) -> Result<Option<Proposal>, String> {
    let (path, mut doc) = defining_file(&args.dir, name)?;
    let have: Vec<String> = doc
        .get("profile")
        .and_then(|p| p.get(name))
        .and_then(|p| p.get("include"))
        .and_then(|i| i.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    // What the profile allows already is not asked again.
    let current = compile_file(&path, &settings.includes, None)?;
    let mut observed = observed.clone();
    if let Some(view) = wire::profiles(&current.blob).find(|v| v.name() == name.as_bytes()) {
        observed.retain_refused(&view);
    }
    let observed = &observed;
    let proposal = learn::propose(name, observed, all, &have, args.sensitive);
    if args.json {
        return Ok(Some(proposal));
    }
    println!(
        "profile {name} ({}): {} record(s)",
        path.display(),
        observed.records
    );
    for h in &proposal.held_back {
        println!("  not proposed (grant it by hand if it is meant): {h}");
    }
    for u in &proposal.unhandled {
        println!("  no rule proposed for: {u}");
    }
    let accepted = choose(&proposal, all, args.yes)?;
    let nothing = accepted.includes.is_empty()
        && accepted.rules.is_empty()
        && accepted.capabilities.is_empty()
        && accepted.sockets.is_empty()
        && accepted.network.is_empty();
    if nothing {
        println!("profile {name}: nothing to add");
        return Ok(None);
    }
    apply(&mut doc, &accepted, observed.records)?;
    let text = doc.to_string();
    let compiled = compile_text(&path, &text, &settings.includes, None)?;
    let refused = replay(&compiled.blob, &accepted, observed);
    if !refused.is_empty() {
        return Err(format!(
            "profile {name}: with the new rules, the profile still refuses (a deny rule of \
             its own?):\n{}\n{} was left as it was",
            listed(&refused),
            path.display()
        ));
    }
    let path = replace_file(&path, &text)?;
    let seen: usize = accepted
        .includes
        .iter()
        .map(|(_, c)| c.len())
        .sum::<usize>()
        + accepted.rules.iter().map(|r| r.seen.len()).sum::<usize>();
    println!(
        "profile {name}: wrote {} include(s), {} rule(s) into {}; replayed {} file access(es) \
         and the rest of the accepted records: all allowed",
        accepted.includes.len(),
        accepted.rules.len(),
        path.display(),
        seen
    );
    load_one(&compiled, args.via, false)?;
    Ok(None)
}

pub(crate) fn run(args: &LogprofArgs, settings: &CompileSettings) -> Result<(), String> {
    if !args.yes && !args.json && !std::io::stdin().is_terminal() {
        return Err("standard input is not a terminal: answer with --yes, or see --json".into());
    }
    let (by_profile, dropped) = gather(args)?;
    if dropped {
        eprintln!(
            "lsmctl: the kernel dropped records to its rate limit; run the program again and \
             learn once more for what is missing"
        );
    }
    if by_profile.is_empty() {
        println!("no records to learn from");
        return Ok(());
    }
    let all = abstractions(&settings.includes);
    let mut proposals = Vec::new();
    let mut errors = Vec::new();
    for (name, observed) in &by_profile {
        match learn_one(name, observed, &all, args, settings) {
            Ok(Some(p)) => proposals.push(p),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if args.json {
        let text = serde_json::to_string_pretty(&proposals).map_err(|e| e.to_string())?;
        println!("{text}");
    }
    match errors.len() {
        0 => Ok(()),
        _ => Err(errors.join("\n")),
    }
}

/// Whether a kernel-log message says that system profiles' refusals were dropped to the
/// rate limit (`rustlsm: N denial messages suppressed`), not sandbox denials, audited
/// accesses or policy refusals, which logprof does not learn from.
fn is_denial_suppression(text: &str) -> bool {
    text.strip_prefix("rustlsm: ")
        .and_then(|t| t.trim_end().strip_suffix(" denial messages suppressed"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::is_denial_suppression;

    #[test]
    fn only_system_denials_dropped_count_as_lost_records() {
        assert!(is_denial_suppression(
            "rustlsm: 12 denial messages suppressed"
        ));
        assert!(!is_denial_suppression(
            "rustlsm: 12 sandbox denial messages suppressed"
        ));
        assert!(!is_denial_suppression(
            "rustlsm: 3 audited access messages suppressed"
        ));
        assert!(!is_denial_suppression(
            "rustlsm: 3 policy refusal messages suppressed"
        ));
    }
}
