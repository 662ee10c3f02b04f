//! lsmctl: compile rustlsm profiles from TOML and manage the kernel's loaded policy.

mod kernel;

use clap::{Parser, Subcommand};
use kernel::Via;
use rustlsm_policy::{decode, wire, ProfileSummary};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "lsmctl", version, about = "Compile and load rustlsm profiles")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile profiles (TOML, or an already compiled policy) and load them into the kernel.
    Load {
        /// Profile files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Interface to the kernel.
        #[arg(long, value_enum, default_value_t = Via::Auto)]
        via: Via,
        /// Ask the kernel to verify the policy without loading it (system call only).
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove loaded profiles by name.
    Remove {
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(long, value_enum, default_value_t = Via::Auto)]
        via: Via,
    },
    /// List the loaded profiles.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Say whether rustlsm is active and what it has loaded, or which profile a task runs under.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Show the profile of this process (from /proc/PID/attr/current).
        #[arg(long)]
        pid: Option<u32>,
    },
    /// Compile a TOML profile file to the binary policy the kernel loads.
    Compile {
        file: PathBuf,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Check TOML profile files without loading them.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Reads and compiles a profile file. A file that already holds a compiled policy is
/// verified with the kernel's own verifier and passed through.
fn compile_file(path: &Path) -> Result<(Vec<u8>, Vec<ProfileSummary>), String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.starts_with(&wire::MAGIC) {
        let profiles = decode(&bytes).map_err(|e| {
            format!(
                "{}: byte {}: {}",
                path.display(),
                e.offset,
                e.kind.describe()
            )
        })?;
        return Ok((bytes, profiles));
    }
    let source =
        String::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8 text: {e}", path.display()))?;
    let blob = lsmctl::compile(path, &source).map_err(|e| e.to_string())?;
    let summaries =
        decode(&blob).map_err(|e| format!("{}: internal error: {e:?}", path.display()))?;
    Ok((blob, summaries))
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Compile { file, output } => {
            let (blob, profiles) = compile_file(&file)?;
            fs::write(&output, &blob).map_err(|e| format!("{}: {e}", output.display()))?;
            println!(
                "{}: {} profile(s), {} bytes -> {}",
                file.display(),
                profiles.len(),
                blob.len(),
                output.display()
            );
        }
        Command::Check { files } => {
            for file in files {
                let (_, profiles) = compile_file(&file)?;
                for p in &profiles {
                    println!(
                        "{}: profile {} ({}, {} attachment(s), file rules: {} states, {} edges, digest {:016x}) ok",
                        file.display(),
                        p.name,
                        p.mode.name(),
                        p.attach.len(),
                        p.dfa_size.0,
                        p.dfa_size.1,
                        p.digest
                    );
                }
            }
        }
        Command::Load {
            files,
            via,
            dry_run,
        } => {
            // Compile everything first: one bad file loads nothing.
            let mut compiled = Vec::new();
            for file in &files {
                compiled.push(compile_file(file)?);
            }
            for (file, (blob, profiles)) in files.iter().zip(compiled) {
                let used = kernel::load(&blob, via, dry_run).map_err(|e| e.to_string())?;
                let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
                let verb = if dry_run { "verified" } else { "loaded" };
                println!(
                    "{verb} {} from {} via {used}",
                    names.join(", "),
                    file.display()
                );
            }
        }
        Command::Remove { names, via } => {
            for name in names {
                kernel::checked_name(&name)?;
                let used = kernel::remove(&name, via).map_err(|e| format!("{name}: {e}"))?;
                println!("removed {name} via {used}");
            }
        }
        Command::List { json } => {
            let profiles = kernel::loaded_profiles().map_err(|e| {
                format!(
                    "cannot read {}: {e} (is rustlsm active and securityfs mounted?)",
                    kernel::securityfs_dir().join("profiles").display()
                )
            })?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&profiles).map_err(|e| e.to_string())?
                );
            } else if profiles.is_empty() {
                println!("no profiles loaded");
            } else {
                for p in profiles {
                    println!("{:<24} {:<9} {}", p.name, p.mode, p.digest);
                }
            }
        }
        Command::Status {
            json,
            pid: Some(pid),
        } => {
            let path = format!("/proc/{pid}/attr/current");
            let profile = fs::read_to_string(&path).map_err(|e| {
                format!("{path}: {e} (is rustlsm the LSM that answers attr/current?)")
            })?;
            let profile = profile.trim_end_matches(['\n', '\0']);
            if json {
                println!("{}", serde_json::json!({ "pid": pid, "profile": profile }));
            } else {
                println!("{pid}: {profile}");
            }
        }
        Command::Status { json, pid: None } => status(json)?,
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

fn status(json: bool) -> Result<(), String> {
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

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("lsmctl: {msg}");
            ExitCode::FAILURE
        }
    }
}
