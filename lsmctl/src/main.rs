//! lsmctl: compile rustlsm profiles from TOML and manage the kernel's loaded policy.

mod kernel;

use clap::{Parser, Subcommand};
use kernel::Via;
use lsmctl::{Diagnostic, Warning, WarningKind};
use rustlsm_policy::{decode, wire, ProfileSummary};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "lsmctl", version, about = "Compile and load rustlsm profiles")]
struct Cli {
    /// Treat warnings (rules that can never take effect) as errors.
    #[arg(short = 'D', long, global = true)]
    deny_warnings: bool,
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

/// A compiled file: the blob, its profiles, where each is defined (none for a file that held
/// a compiled policy), and its warnings.
struct CompiledFile {
    blob: Vec<u8>,
    profiles: Vec<ProfileSummary>,
    sites: Vec<Diagnostic>,
    warnings: Vec<Warning>,
}

/// Compiles `files` (each with [`compile_file`]), then prints the warnings, those that only
/// one file sees settled against the others: a peer another file defines is no warning, a
/// profile two files define is one. With `deny_warnings`, any warning is an error.
fn compile_files(files: &[PathBuf], deny_warnings: bool) -> Result<Vec<CompiledFile>, String> {
    let mut compiled = Vec::new();
    for file in files {
        compiled.push(compile_file(file)?);
    }
    let defined_in = |i: usize, name: &str| {
        compiled
            .iter()
            .enumerate()
            .find(|&(j, c)| j != i && c.profiles.iter().any(|p| p.name == name))
            .map(|(j, _)| j)
    };
    let mut warnings = Vec::new();
    for (i, c) in compiled.iter().enumerate() {
        for w in &c.warnings {
            match &w.kind {
                WarningKind::UnknownPeer(peer) if defined_in(i, peer).is_some() => {}
                _ => warnings.push(w.clone()),
            }
        }
        for (p, site) in c.profiles.iter().zip(&c.sites) {
            if let Some(j) = defined_in(i, &p.name).filter(|&j| j < i) {
                warnings.push(Warning {
                    kind: WarningKind::DefinedTwice(p.name.clone()),
                    diagnostic: Diagnostic {
                        message: format!(
                            "profile {:?} is also defined in {}; loading both, the one loaded \
                             last replaces the other",
                            p.name,
                            files[j].display()
                        ),
                        ..site.clone()
                    },
                });
            }
        }
    }
    for w in &warnings {
        eprintln!("{w}");
    }
    if deny_warnings && !warnings.is_empty() {
        return Err(format!(
            "{} warning(s), treated as errors (--deny-warnings)",
            warnings.len()
        ));
    }
    Ok(compiled)
}

/// Reads and compiles a profile file. A file that already holds a compiled policy is
/// verified with the kernel's own verifier and passed through.
fn compile_file(path: &Path) -> Result<CompiledFile, String> {
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
        return Ok(CompiledFile {
            blob: bytes,
            profiles,
            sites: Vec::new(),
            warnings: Vec::new(),
        });
    }
    let source =
        String::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8 text: {e}", path.display()))?;
    let (blob, compiled) = lsmctl::compile_checked(path, &source).map_err(|e| e.to_string())?;
    let summaries =
        decode(&blob).map_err(|e| format!("{}: internal error: {e:?}", path.display()))?;
    Ok(CompiledFile {
        blob,
        profiles: summaries,
        sites: compiled.sites,
        warnings: compiled.warnings,
    })
}

fn run(cli: Cli) -> Result<(), String> {
    let deny_warnings = cli.deny_warnings;
    match cli.command {
        Command::Compile { file, output } => {
            let CompiledFile { blob, profiles, .. } =
                compile_files(std::slice::from_ref(&file), deny_warnings)?.remove(0);
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
            let compiled = compile_files(&files, deny_warnings)?;
            for (file, c) in files.iter().zip(compiled) {
                for p in &c.profiles {
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
            let compiled = compile_files(&files, deny_warnings)?;
            for (file, c) in files.iter().zip(compiled) {
                let used = kernel::load(&c.blob, via, dry_run).map_err(|e| e.to_string())?;
                let names: Vec<&str> = c.profiles.iter().map(|p| p.name.as_str()).collect();
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
