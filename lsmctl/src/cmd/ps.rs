//! `lsmctl ps`: the processes rustlsm confines, with their profiles, and the processes that
//! run a program some loaded profile attaches to but run unconfined, having started before
//! that profile was loaded (they are confined from their next exec on).

use crate::kernel;
use rustlsm_policy::{decode, glob};
use std::fs;

#[derive(serde::Serialize)]
struct Process {
    pid: u32,
    /// The profile it runs under ("unconfined" for none).
    profile: String,
    /// The loaded profile its program attaches to, when it runs unconfined.
    #[serde(skip_serializing_if = "Option::is_none")]
    unconfined_but: Option<String>,
    exe: String,
    comm: String,
}

/// The loaded profiles' names and attachments, from the policy file (root only).
fn attachments() -> Option<Vec<(String, Vec<String>)>> {
    let blob = fs::read(kernel::securityfs_dir().join("policy")).ok()?;
    if blob.is_empty() {
        return Some(Vec::new());
    }
    let profiles = decode(&blob).ok()?;
    Some(profiles.into_iter().map(|p| (p.name, p.attach)).collect())
}

/// The profile whose attachment `exe` matches most specifically, as the kernel picks one.
fn attached(exe: &str, loaded: &[(String, Vec<String>)]) -> Option<String> {
    loaded
        .iter()
        .flat_map(|(name, patterns)| patterns.iter().map(move |p| (name, p)))
        .filter(|(_, p)| glob::glob_match(p.as_bytes(), exe.as_bytes()))
        .max_by_key(|(_, p)| rustlsm_policy::wire::attachment_specificity(p.as_bytes()))
        .map(|(name, _)| name.clone())
}

pub(crate) fn run(json: bool, all: bool) -> Result<(), String> {
    let loaded = attachments();
    let mut rows = Vec::new();
    let entries = fs::read_dir("/proc").map_err(|e| format!("/proc: {e}"))?;
    let mut pids: Vec<u32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        // Kernel threads have no program (ENOENT); another user's program is not readable
        // without privilege, but its profile is; a process may exit while it is looked at.
        let exe = match fs::read_link(format!("/proc/{pid}/exe")) {
            Ok(exe) => exe.to_string_lossy().into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => "?".to_string(),
            Err(_) => continue,
        };
        let Ok(profile) = kernel::task_profile(pid) else {
            continue;
        };
        let unconfined_but = match (&loaded, profile == "unconfined") {
            (Some(l), true) => attached(&exe, l),
            _ => None,
        };
        if profile == "unconfined" && unconfined_but.is_none() && !all {
            continue;
        }
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        rows.push(Process {
            pid,
            profile,
            unconfined_but,
            exe,
            comm: comm.trim_end().to_string(),
        });
    }
    if json {
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        println!("{text}");
        return Ok(());
    }
    if loaded.is_none() {
        eprintln!(
            "lsmctl: cannot read the loaded policy (root only): processes that run unconfined \
             although a profile attaches to their program are not shown"
        );
    }
    println!("{:>7}  {:<24} PROGRAM", "PID", "PROFILE");
    for r in &rows {
        let profile = match &r.unconfined_but {
            Some(p) => format!("unconfined (!{p})"),
            None => r.profile.clone(),
        };
        println!("{:>7}  {:<24} {}", r.pid, profile, r.exe);
    }
    let late = rows.iter().filter(|r| r.unconfined_but.is_some()).count();
    if late > 0 {
        println!(
            "{late} process(es) marked (!NAME) run unconfined: they started before profile \
             NAME was loaded, and are confined from their next exec on (restart them)"
        );
    }
    Ok(())
}
