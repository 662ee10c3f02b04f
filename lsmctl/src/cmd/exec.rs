//! `lsmctl exec --profile NAME -- CMD`: run a command under a loaded profile, whatever
//! profile claims its program (AppArmor's `aa-exec -p`). For an administrator trying a
//! profile on a command, so root only: the kernel lets only an unconfined holder of
//! CAP_MAC_ADMIN choose the profile of its next exec.

use crate::kernel;
use std::ffi::OsString;
use std::io;
use std::os::unix::process::CommandExt;

/// What to run under which profile.
#[derive(clap::Args)]
pub(crate) struct ExecArgs {
    /// The loaded profile to run the command under.
    #[arg(short, long, value_name = "NAME")]
    pub profile: String,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// Why the kernel refused to set the profile of the next exec, in an admin's words.
fn refusal(name: &str, e: &io::Error) -> String {
    let why = match e.raw_os_error() {
        Some(libc::ENOENT) => format!("no profile {name:?} is loaded (see lsmctl list)"),
        Some(libc::EPERM) => {
            "only root (CAP_MAC_ADMIN) outside any profile or sandbox may choose the profile a \
             command runs under"
                .to_string()
        }
        Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => {
            "the running kernel cannot run a command under a named profile (rustlsm inactive, \
             or older than lsm_set_self_attr support)"
                .to_string()
        }
        _ => e.to_string(),
    };
    format!("cannot run under profile {name:?}: {why}")
}

/// Sets the profile and replaces this process with the command; returns only on failure.
pub(crate) fn run(args: &ExecArgs) -> Result<(), String> {
    kernel::checked_name(&args.profile)?;
    let (program, rest) = args.command.split_first().ok_or("no command to run")?;
    kernel::set_exec_profile(&args.profile).map_err(|e| refusal(&args.profile, &e))?;
    let e = std::process::Command::new(program).args(rest).exec();
    let what = program.to_string_lossy();
    Err(match e.raw_os_error() {
        // The kernel refuses the exec if the profile does not map the program, or was
        // removed meanwhile; its log says which.
        Some(libc::EACCES) => format!(
            "{what}: {e} (not executable, or profile {:?} does not map it or was removed \
             meanwhile: see lsmctl log)",
            args.profile
        ),
        _ => format!("{what}: {e}"),
    })
}
