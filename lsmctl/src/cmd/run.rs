//! `lsmctl run`: run a command in a sandbox, without privilege. The sandbox is a profile
//! built from the command line (and an optional profile file), stacked on lsmctl's own
//! credentials with `LSM_POLICY_RESTRICT_SELF` after setting `no_new_privs`; then lsmctl
//! executes the command, which inherits the sandbox and can never leave it.

use crate::kernel;
use lsmctl::sandbox::{self, SandboxRequest};
use rustlsm_policy::{encode, ProfileSpec};
use std::ffi::OsString;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `lsmctl run` was asked.
pub(crate) struct RunArgs {
    pub(crate) profile: Option<PathBuf>,
    pub(crate) request: SandboxRequest,
    pub(crate) best_effort: bool,
    pub(crate) command: Vec<OsString>,
}

/// Exit status when the command cannot be run, as `env` and shells report it: 126 when it
/// was found but could not be executed, 127 when it was not found.
fn exec_status(error: &std::io::Error) -> i32 {
    if error.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    }
}

/// The one profile of a TOML file, its warnings printed (errors with `deny_warnings`).
fn profile_file(path: &Path, deny_warnings: bool) -> Result<ProfileSpec, String> {
    let source = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let compiled = lsmctl::profile::compile_checked(path, &source).map_err(|d| d.to_string())?;
    for w in &compiled.warnings {
        eprintln!("{w}");
    }
    if deny_warnings && !compiled.warnings.is_empty() {
        return Err(format!(
            "{} warning(s), treated as errors (--deny-warnings)",
            compiled.warnings.len()
        ));
    }
    let mut profiles = compiled.profiles;
    match (profiles.pop(), profiles.is_empty()) {
        (Some(profile), true) => Ok(profile),
        _ => Err(format!(
            "{}: a sandbox is one profile; this file defines {}",
            path.display(),
            profiles.len() + 1
        )),
    }
}

/// Builds the sandbox, enters it and executes the command. Returns only on failure.
pub(crate) fn run(args: RunArgs, deny_warnings: bool) -> Result<(), String> {
    let Some(program) = args.command.first() else {
        return Err("no command to run (lsmctl run [OPTIONS] -- COMMAND [ARGS...])".into());
    };
    let cwd = std::env::current_dir().map_err(|e| format!("the current directory: {e}"))?;
    let base = match &args.profile {
        Some(path) => Some(profile_file(path, deny_warnings)?),
        None => None,
    };
    let spec = sandbox::build(&args.request, base, &cwd)?;
    let blob = encode(std::slice::from_ref(&spec)).map_err(|e| format!("the sandbox: {e}"))?;
    kernel::close_inherited_rings();
    kernel::set_no_new_privs().map_err(|e| format!("prctl(PR_SET_NO_NEW_PRIVS): {e}"))?;
    match kernel::restrict_self(&blob, false) {
        Ok(()) => {}
        Err(e) if args.best_effort && e.unsupported() => {
            eprintln!(
                "lsmctl: --best-effort: {e}; dropped: the whole sandbox ({} path rules, {} \
                 endpoint rules, {} socket kinds): {} runs unsandboxed",
                spec.rules.len(),
                spec.net_rules.len(),
                spec.sockets.len(),
                program.to_string_lossy()
            );
        }
        Err(e) => return Err(e.to_string()),
    }
    let error = Command::new(program).args(&args.command[1..]).exec();
    let hint = if error.raw_os_error() == Some(libc::EACCES) {
        " (the sandbox must allow executing it and its libraries: --rox DIR)"
    } else {
        ""
    };
    eprintln!("lsmctl: {}: {error}{hint}", program.to_string_lossy());
    std::process::exit(exec_status(&error));
}
