//! `lsmctl show NAME` and `lsmctl diff FILE...`: what is loaded, and what a load would
//! change. The kernel keeps a profile compiled (its file rules as one automaton), so what
//! can be compared is what the compiled form says: mode, attachments, capabilities, the
//! automaton's size and the digest of the whole. `show` prints the rules as written when the
//! profile directory's file compiles to exactly what is loaded.

use super::mode::defining_file;
use super::{compile_file, CompileSettings};
use crate::kernel;
use lsmctl::profile::CAPABILITY_NAMES;
use rustlsm_policy::{decode, ExecTarget, ProfileSummary};
use std::fs;
use std::path::{Path, PathBuf};

/// The loaded profiles, as the policy file (root only) holds them.
fn loaded() -> Result<Vec<ProfileSummary>, String> {
    let path = kernel::securityfs_dir().join("policy");
    let blob = fs::read(&path).map_err(|e| {
        format!(
            "{}: {e} (reading the loaded policy needs root)",
            path.display()
        )
    })?;
    if blob.is_empty() {
        return Ok(Vec::new());
    }
    decode(&blob).map_err(|e| {
        format!(
            "{}: byte {}: {}",
            path.display(),
            e.offset,
            e.kind.describe()
        )
    })
}

fn capabilities(mask: u64) -> Vec<&'static str> {
    (0..64)
        .filter(|bit| mask & (1 << bit) != 0)
        .map(|bit| CAPABILITY_NAMES.get(bit).copied().unwrap_or("?"))
        .collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The exec rules that name a profile, as `PATTERN->NAME`.
fn exec_targets(p: &ProfileSummary) -> Vec<String> {
    let arrow = |t: &ExecTarget| format!("{}->{}", t.pattern, t.profile);
    p.exec_targets.iter().map(arrow).collect()
}

/// What is in `new` and not in `old`, and the other way round, as `+x -y`.
fn changed_list(old: &[&str], new: &[&str]) -> String {
    let added = new
        .iter()
        .filter(|n| !old.contains(n))
        .map(|n| format!("+{n}"));
    let removed = old
        .iter()
        .filter(|o| !new.contains(o))
        .map(|o| format!("-{o}"));
    added.chain(removed).collect::<Vec<_>>().join(" ")
}

/// The differences between a loaded profile and a compiled one, one per line.
fn differences(old: &ProfileSummary, new: &ProfileSummary) -> Vec<String> {
    let mut out = Vec::new();
    if old.mode != new.mode {
        out.push(format!("mode: {} -> {}", old.mode.name(), new.mode.name()));
    }
    let attach = changed_list(&strs(&old.attach), &strs(&new.attach));
    if !attach.is_empty() {
        out.push(format!("attach: {attach}"));
    }
    let caps = changed_list(
        &capabilities(old.capabilities),
        &capabilities(new.capabilities),
    );
    if !caps.is_empty() {
        out.push(format!("capabilities: {caps}"));
    }
    let exec = changed_list(&strs(&exec_targets(old)), &strs(&exec_targets(new)));
    if !exec.is_empty() {
        out.push(format!("exec targets: {exec}"));
    }
    if old.dfa_size != new.dfa_size {
        out.push(format!(
            "file rules: {} states, {} edges -> {} states, {} edges",
            old.dfa_size.0, old.dfa_size.1, new.dfa_size.0, new.dfa_size.1
        ));
    }
    for (what, old, new) in [
        ("owner rules", old.owner_dfa_size, new.owner_dfa_size),
        ("ask rules", old.ask_dfa_size, new.ask_dfa_size),
    ] {
        if old != new {
            out.push(format!(
                "{what}: {} states, {} edges -> {} states, {} edges",
                old.0, old.1, new.0, new.1
            ));
        }
    }
    if out.is_empty() {
        // Same summary, another digest: rules of the same automaton size, or network,
        // unix, signal, ptrace or mount rules.
        out.push(
            "rules differ (same automaton size; or network, unix, signal, ptrace or mount)".into(),
        );
    }
    out
}

pub(crate) fn diff(files: &[PathBuf], settings: &CompileSettings) -> Result<(), String> {
    let loaded = loaded()?;
    for file in files {
        let compiled = compile_file(file, &settings.includes, None)?;
        for new in &compiled.profiles {
            let digest = format!("{:016x}", new.digest);
            match loaded.iter().find(|p| p.name == new.name) {
                None => println!(
                    "{}: {}: would be added (digest {digest})",
                    file.display(),
                    new.name
                ),
                Some(old) if old.digest == new.digest => {
                    println!(
                        "{}: {}: unchanged (digest {digest})",
                        file.display(),
                        new.name
                    )
                }
                Some(old) => {
                    println!(
                        "{}: {}: would be replaced (digest {:016x} -> {digest})",
                        file.display(),
                        new.name,
                        old.digest
                    );
                    for d in differences(old, new) {
                        println!("  {d}");
                    }
                }
            }
        }
    }
    Ok(())
}

/// The text of profile `name`'s table in `file`, as written.
fn table_text(file: &Path, name: &str) -> Option<String> {
    let text = fs::read_to_string(file).ok()?;
    let doc = text.parse::<toml_edit::DocumentMut>().ok()?;
    let table = doc.get("profile")?.get(name)?.as_table()?.clone();
    let mut out = toml_edit::DocumentMut::new();
    let mut profile = toml_edit::Table::new();
    profile.set_implicit(true);
    profile.insert(name, toml_edit::Item::Table(table));
    out.insert("profile", toml_edit::Item::Table(profile));
    Some(out.to_string())
}

pub(crate) fn show(name: &str, dir: &Path, settings: &CompileSettings) -> Result<(), String> {
    kernel::checked_name(name)?;
    let loaded = loaded()?;
    let p = loaded
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| format!("no profile {name:?} is loaded"))?;
    println!(
        "profile {} ({}, digest {:016x})",
        p.name,
        p.mode.name(),
        p.digest
    );
    println!("attach: {}", p.attach.join(" "));
    println!("capabilities: {}", capabilities(p.capabilities).join(" "));
    if !p.exec_targets.is_empty() {
        println!("exec targets: {}", exec_targets(p).join(" "));
    }
    println!(
        "file rules: {} states, {} edges",
        p.dfa_size.0, p.dfa_size.1
    );
    for (what, size) in [
        ("owner rules", p.owner_dfa_size),
        ("ask rules", p.ask_dfa_size),
    ] {
        if size != (0, 0) {
            println!("{what}: {} states, {} edges", size.0, size.1);
        }
    }
    let Ok((file, _)) = defining_file(dir, name) else {
        println!("source: no file in {} defines it", dir.display());
        return Ok(());
    };
    let same = compile_file(&file, &settings.includes, None)
        .ok()
        .and_then(|c| c.profiles.into_iter().find(|q| q.name == name))
        .is_some_and(|q| q.digest == p.digest);
    if !same {
        println!(
            "source: {} defines it differently from what is loaded (lsmctl diff {})",
            file.display(),
            file.display()
        );
        return Ok(());
    }
    println!("source: {} (compiles to what is loaded)\n", file.display());
    print!("{}", table_text(&file, name).unwrap_or_default());
    Ok(())
}
