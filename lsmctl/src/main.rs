//! lsmctl: compile rustlsm profiles from TOML and manage the kernel's loaded policy.

mod cmd;
mod kernel;

use clap::{Parser, Subcommand};
use kernel::Via;
use std::path::PathBuf;
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

fn run(cli: Cli) -> Result<(), String> {
    let deny_warnings = cli.deny_warnings;
    match cli.command {
        Command::Compile { file, output } => cmd::compile::run(file, &output, deny_warnings),
        Command::Check { files } => cmd::check::run(&files, deny_warnings),
        Command::Load {
            files,
            via,
            dry_run,
        } => cmd::load::run(&files, via, dry_run, deny_warnings),
        Command::Remove { names, via } => cmd::remove::run(&names, via),
        Command::List { json } => cmd::list::run(json),
        Command::Status { json, pid } => cmd::status::run(json, pid),
    }
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
