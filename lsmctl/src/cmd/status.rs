//! `lsmctl status`: whether rustlsm is active and what it has loaded, or with `--pid`, which
//! profile a task runs under (`/proc/PID/attr/rustlsm/current`, right whatever the order of
//! modules in `lsm=`).

use crate::kernel;
use rustlsm_policy::wire;
use std::fs;

pub(crate) fn run(json: bool, pid: Option<u32>) -> Result<(), String> {
    match pid {
        Some(pid) => task(json, pid),
        None => summary(json),
    }
}

/// The profile of process `pid`, from rustlsm's own attribute.
fn task(json: bool, pid: u32) -> Result<(), String> {
    let profile = kernel::task_profile(pid)?;
    if json {
        println!("{}", serde_json::json!({ "pid": pid, "profile": profile }));
    } else {
        println!("{pid}: {profile}");
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct Status {
    active: bool,
    lsm_list_modules: Option<Vec<String>>,
    securityfs_lsm: Option<Vec<String>>,
    abi_version: Option<u32>,
    generation: Option<u64>,
    profiles: Option<Vec<kernel::LoadedProfile>>,
}

/// Whether rustlsm is active, and what it has loaded.
fn summary(json: bool) -> Result<(), String> {
    let from_syscall = kernel::list_modules()
        .ok()
        .map(|ids| ids.into_iter().map(kernel::lsm_name).collect::<Vec<_>>());
    let from_securityfs = fs::read_to_string("/sys/kernel/security/lsm")
        .ok()
        .map(|s| s.trim().split(',').map(str::to_string).collect::<Vec<_>>());
    let listed =
        |l: &Option<Vec<String>>| l.as_ref().is_some_and(|v| v.iter().any(|n| n == "rustlsm"));
    let s = Status {
        active: listed(&from_syscall) || listed(&from_securityfs),
        abi_version: kernel::read_securityfs("abi_version")
            .ok()
            .and_then(|v| v.trim().parse().ok()),
        generation: kernel::read_securityfs("generation")
            .ok()
            .and_then(|v| v.trim().parse().ok()),
        profiles: kernel::loaded_profiles().ok(),
        lsm_list_modules: from_syscall,
        securityfs_lsm: from_securityfs,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let show = |l: &Option<Vec<String>>| {
        l.as_ref()
            .map_or("unavailable".to_string(), |v| v.join(","))
    };
    println!(
        "rustlsm: {}",
        if s.active { "active" } else { "not active" }
    );
    println!("lsm_list_modules: {}", show(&s.lsm_list_modules));
    println!("/sys/kernel/security/lsm: {}", show(&s.securityfs_lsm));
    if let Some(v) = s.abi_version {
        println!("policy format (kernel): {v}, lsmctl: {}", wire::VERSION);
    }
    if let Some(g) = s.generation {
        println!("policy generation: {g}");
    }
    match &s.profiles {
        Some(p) => {
            println!("profiles loaded: {}", p.len());
            for p in p {
                println!("  {:<24} {:<9} {}", p.name, p.mode, p.digest);
            }
        }
        None => println!("profiles loaded: unknown (securityfs not readable)"),
    }
    Ok(())
}
