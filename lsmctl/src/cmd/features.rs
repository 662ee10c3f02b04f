//! `lsmctl features`: what the running kernel supports, probed without privilege, so that a
//! script can tell before it relies on a sandbox.

use crate::kernel;
use rustlsm_policy::{abi, encode, wire, Mode, ProfileSpec};

#[derive(serde::Serialize)]
struct Features {
    /// rustlsm is among the active LSMs.
    active: Option<bool>,
    /// The policy format version the kernel reads (securityfs `abi_version`).
    policy_version: Option<u32>,
    /// The version this lsmctl writes.
    lsmctl_policy_version: u16,
    /// Whether this task may stack a sandbox (probed with a dry run).
    sandbox: bool,
    /// Why not, when it may not.
    sandbox_error: Option<String>,
    max_layers: usize,
    max_layer_bytes: usize,
    /// Rule families a sandbox can use.
    sandbox_rules: Vec<&'static str>,
    /// What a sandbox's tasks can reach outside it.
    sandbox_scope: Vec<&'static str>,
    /// The `LSM_POLICY_RESTRICT_SELF` flags the kernel takes, by name.
    sandbox_flags: Vec<&'static str>,
}

const RULES: [&str; 8] = [
    "files: globs, deny rules, paths that do not exist yet",
    "tcp: bind, listen, connect, by port range and address or CIDR",
    "udp: bind, connect, send, by port range and address or CIDR",
    "raw and icmp sockets",
    "unix sockets by path",
    "socket families and types",
    "capabilities",
    "mount, umount, pivot_root",
];

const SCOPE: [&str; 4] = [
    "signals: same sandbox or nested",
    "ptrace and /proc inspection: same sandbox or nested",
    "abstract unix sockets: same sandbox or nested, or named by a rule",
    "user namespaces: none",
];

/// The `LSM_POLICY_RESTRICT_SELF` flags lsmctl knows, with the names `features` gives them.
const FLAGS: [(&str, u32); 3] = [
    (
        "records (denials for the sandbox's creator)",
        wire::FLAG_RECORDS,
    ),
    (
        "all-threads (one layer on every thread of a process)",
        wire::FLAG_ALL_THREADS,
    ),
    (
        "listener (ask instead of refusing: lsmctl run --ask)",
        wire::FLAG_LISTENER,
    ),
];

/// Dry-runs an empty sandbox: whether the kernel would take one from this task, and which
/// of the flags lsmctl knows it takes.
fn probe_sandbox() -> Result<Vec<&'static str>, String> {
    let blob = encode(&[ProfileSpec::new("probe", Mode::Enforce)]).map_err(|e| e.to_string())?;
    // no_new_privs is harmless on this short-lived process and is what the kernel asks.
    kernel::set_no_new_privs().map_err(|e| format!("prctl(PR_SET_NO_NEW_PRIVS): {e}"))?;
    kernel::restrict_self(&blob, true).map_err(|e| e.to_string())?;
    Ok(FLAGS
        .iter()
        .filter(|(_, flag)| kernel::restrict_flag_supported(&blob, *flag))
        .map(|(name, _)| *name)
        .collect())
}

pub(crate) fn run(json: bool) -> Result<(), String> {
    let active = kernel::list_modules()
        .ok()
        .map(|ids| ids.contains(&u64::from(abi::LSM_ID_RUSTLSM)));
    let policy_version = kernel::read_securityfs("abi_version")
        .ok()
        .and_then(|v| v.trim().parse().ok());
    let probe = probe_sandbox();
    let f = Features {
        active,
        policy_version,
        lsmctl_policy_version: wire::VERSION,
        sandbox: probe.is_ok(),
        sandbox_flags: probe.as_ref().cloned().unwrap_or_default(),
        sandbox_error: probe.err(),
        max_layers: abi::MAX_LAYERS,
        max_layer_bytes: abi::MAX_LAYER_LEN,
        sandbox_rules: RULES.to_vec(),
        sandbox_scope: SCOPE.to_vec(),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&f).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let active = match f.active {
        Some(true) => "active",
        Some(false) => "not active",
        None => "unknown (no lsm_list_modules())",
    };
    println!("rustlsm: {active}");
    match f.policy_version {
        Some(v) => println!(
            "policy format: version {v} (this lsmctl writes {})",
            wire::VERSION
        ),
        None => println!(
            "policy format: unknown (securityfs not readable; this lsmctl writes {})",
            wire::VERSION
        ),
    }
    match &f.sandbox_error {
        None => {
            println!(
                "sandboxes (lsmctl run): yes, up to {} nested, {} bytes each",
                f.max_layers, f.max_layer_bytes
            );
            println!("sandbox rules:");
            for r in &f.sandbox_rules {
                println!("  {r}");
            }
            println!("sandbox scope:");
            for s in &f.sandbox_scope {
                println!("  {s}");
            }
            println!("sandbox flags:");
            for s in &f.sandbox_flags {
                println!("  {s}");
            }
        }
        Some(e) => println!("sandboxes (lsmctl run): no: {e}"),
    }
    Ok(())
}
