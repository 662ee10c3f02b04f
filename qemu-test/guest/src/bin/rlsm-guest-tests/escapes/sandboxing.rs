//! The escape classes run inside sandboxes (`run_sandboxed`): each profile a class loads is
//! kept as a layer instead, without its `attach` list, and the probe it attached to runs under
//! `lsmctl run --profile LAYER --rox PROBE`, as root with `no_new_privs`, so that the same
//! attempts meet the same rules stacked by the sandbox operation rather than by attachment.

use crate::LSMCTL;
use std::fs;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static ON: AtomicBool = AtomicBool::new(false);

/// Each probe a kept profile attached to, and the layer file made from that profile.
static LAYERS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

pub(super) fn set(on: bool) {
    ON.store(on, Ordering::Relaxed);
    if let Ok(mut layers) = LAYERS.lock() {
        layers.clear();
    }
}

pub(super) fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The name of the profile a TOML table header belongs to (`[profile.x]`,
/// `[[profile.x.rule]]`).
fn profile_of(header: &str) -> Option<&str> {
    let inner = header.trim().trim_start_matches('[').trim_end_matches(']');
    let rest = inner.strip_prefix("profile.")?;
    Some(rest.split('.').next().unwrap_or(rest))
}

/// The quoted strings of an `attach = [...]` line.
fn quoted(line: &str) -> Vec<String> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// One profile of a class's TOML: its name, its text without attachments, and the probes
/// it attached to.
struct Kept {
    name: String,
    text: String,
    probes: Vec<String>,
}

/// Splits `toml` into one layer file per profile (/tmp/esc/layer-NAME.toml, without its
/// attachments) and remembers which probes each one is for.
pub(super) fn keep(toml: &str) -> Result<(), String> {
    let mut profiles: Vec<Kept> = Vec::new();
    let mut current = None;
    for line in toml.lines() {
        if let Some(name) = line
            .trim_start()
            .starts_with('[')
            .then(|| profile_of(line))
            .flatten()
        {
            let i = match profiles.iter().position(|k| k.name == name) {
                Some(i) => i,
                None => {
                    profiles.push(Kept {
                        name: name.to_string(),
                        text: String::new(),
                        probes: Vec::new(),
                    });
                    profiles.len() - 1
                }
            };
            current = Some(i);
        }
        let Some(kept) = current.and_then(|i| profiles.get_mut(i)) else {
            continue;
        };
        if line
            .split_once('=')
            .is_some_and(|(key, _)| key.trim() == "attach")
        {
            kept.probes.extend(quoted(line));
        } else {
            kept.text.push_str(line);
            kept.text.push('\n');
        }
    }
    let mut layers = LAYERS.lock().map_err(|e| e.to_string())?;
    for kept in profiles {
        let file = format!("/tmp/esc/layer-{}.toml", kept.name);
        fs::write(&file, &kept.text).map_err(|e| format!("{file}: {e}"))?;
        for probe in kept.probes {
            layers.retain(|(p, _)| *p != probe);
            layers.push((probe, file.clone()));
        }
    }
    Ok(())
}

/// A command that runs `prog`: under its layer when sandboxing and a kept profile attached
/// to it, as is otherwise.
pub(super) fn command(prog: &str) -> Command {
    let layer = on()
        .then(|| LAYERS.lock().ok())
        .flatten()
        .and_then(|l| l.iter().find(|(p, _)| p == prog).map(|(_, f)| f.clone()));
    match layer {
        Some(file) => {
            let mut cmd = Command::new(LSMCTL);
            cmd.args([
                "run",
                "--no-denials",
                "--profile",
                &file,
                "--rox",
                prog,
                "--",
                prog,
            ]);
            cmd
        }
        // A class's own probe without a layer would run unconfined and pass for an escape
        // refused: `false` instead, so that its case fails.
        None if on() && prog.contains("rlsm-probe-esc-") => Command::new("false"),
        None => Command::new(prog),
    }
}
