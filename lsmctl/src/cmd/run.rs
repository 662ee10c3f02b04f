//! `lsmctl run`: run a command in a sandbox, without privilege. The sandbox is a profile
//! built from the command line (and an optional profile file), stacked with
//! `LSM_POLICY_RESTRICT_SELF` after setting `no_new_privs`; the command inherits it and can
//! never leave it.
//!
//! By default lsmctl forks: the child enters the sandbox asking for its records
//! (`FLAG_RECORDS`), hands the records descriptor to lsmctl over a socket and executes the
//! command; lsmctl stays outside the sandbox, shows each refusal as it happens and exits as
//! the command did ([`crate::supervise`]). With `--no-denials` lsmctl enters the sandbox and
//! executes the command itself, in its own process. With `--ask` the sandbox is in ask mode
//! and the child asks for its listener (`FLAG_LISTENER`) instead of its records: lsmctl
//! answers what it asks ([`crate::prompt`]).

use super::CompileSettings;
use crate::fdpass::{self, Report};
use crate::kernel::{self, RestrictError};
pub(crate) use crate::prompt::Answers;
use crate::prompt::{Mark, Prompter};
use crate::signals::Signals;
use crate::supervise::{self, say};
use lsmctl::records;
use lsmctl::sandbox::{self, Sandbox, SandboxRequest};
use lsmctl::WarningKind;
use rustlsm_policy::{encode, ProfileSpec};
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What becomes of the sandbox's records.
pub(crate) enum Denials {
    /// Not asked for: lsmctl executes the command itself (`--no-denials`).
    Off,
    /// Shown on stderr, explained.
    Show,
    /// Appended, raw, to this file (`--denials-file`).
    File(PathBuf),
}

/// What `lsmctl run` was asked.
pub(crate) struct RunArgs {
    pub(crate) profile: Option<PathBuf>,
    pub(crate) request: SandboxRequest,
    pub(crate) best_effort: bool,
    /// `--ask`: where the answers come from (the terminal, or `--answers FILE`).
    pub(crate) ask: Option<Answers>,
    pub(crate) denials: Denials,
    pub(crate) command: Vec<OsString>,
}

/// Exit status when lsmctl itself fails (a bad profile, a kernel refusal), before the
/// command runs: 125, as `env`, `chroot` and container runtimes use, so that it is never taken
/// for the command's own failure.
pub(crate) const FAILED: u8 = 125;

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
fn profile_file(path: &Path, settings: &CompileSettings) -> Result<ProfileSpec, String> {
    let source = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let compiled = lsmctl::profile::compile_with(path, &source, &settings.includes)
        .map_err(|d| d.to_string())?;
    // A sandbox's profile has no attachments by design: that warning is for loaded profiles.
    let warnings: Vec<_> = compiled
        .warnings
        .iter()
        .filter(|w| w.kind != WarningKind::NoAttachment)
        .collect();
    for w in &warnings {
        eprintln!("{w}");
    }
    if settings.deny_warnings && !warnings.is_empty() {
        return Err(format!(
            "{} warning(s), treated as errors (--deny-warnings)",
            warnings.len()
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

/// Builds the sandbox and runs the command in it. Returns lsmctl's exit status: the
/// command's, or 128 + the signal that killed it.
pub(crate) fn run(args: RunArgs, settings: &CompileSettings) -> Result<u8, String> {
    if args.command.is_empty() {
        return Err("no command to run (lsmctl run [OPTIONS] -- COMMAND [ARGS...])".into());
    }
    let cwd = std::env::current_dir().map_err(|e| format!("the current directory: {e}"))?;
    let base = match &args.profile {
        Some(path) => Some(profile_file(path, settings)?),
        None => None,
    };
    let mut sandbox = sandbox::build_sandbox(&args.request, base, &cwd)?;
    if args.ask.is_some() {
        sandbox::ask_mode(&mut sandbox.spec);
    }
    let blob =
        encode(std::slice::from_ref(&sandbox.spec)).map_err(|e| format!("the sandbox: {e}"))?;
    match &args.denials {
        Denials::Off => run_in_place(&args, &sandbox.spec, &blob),
        Denials::Show => supervised(&args, &blob, Sink::show(sandbox)),
        Denials::File(path) => supervised(&args, &blob, Sink::file(path, sandbox)?),
    }
}

/// The program's name, for messages.
fn program(args: &RunArgs) -> String {
    args.command
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Says that `--best-effort` runs the command unsandboxed, since the kernel cannot sandbox.
fn say_unsandboxed(error: &RestrictError, spec: &ProfileSpec, program: &str) {
    say(&format!(
        "--best-effort: {error}; dropped: the whole sandbox ({} path rules, {} endpoint rules, \
         {} socket kinds): {program} runs unsandboxed",
        spec.rules.len(),
        spec.net_rules.len(),
        spec.sockets.len(),
    ));
}

/// Executes the command; on failure says why and exits with 126 or 127.
fn exec_command(command: &[OsString]) -> ! {
    let Some((program, rest)) = command.split_first() else {
        std::process::exit(127);
    };
    let error = Command::new(program).args(rest).exec();
    let hint = if error.raw_os_error() == Some(libc::EACCES) {
        " (the sandbox must allow executing it and its libraries: --rox DIR)"
    } else {
        ""
    };
    say(&format!("{}: {error}{hint}", program.to_string_lossy()));
    std::process::exit(exec_status(&error));
}

/// `--no-denials`: enters the sandbox and executes the command in this process. Returns only
/// on failure.
fn run_in_place(args: &RunArgs, spec: &ProfileSpec, blob: &[u8]) -> Result<u8, String> {
    kernel::close_inherited_rings();
    kernel::set_no_new_privs().map_err(|e| format!("prctl(PR_SET_NO_NEW_PRIVS): {e}"))?;
    match kernel::restrict_self(blob, false) {
        Ok(()) => {}
        Err(e) if args.best_effort && e.unsupported() => {
            say_unsandboxed(&e, spec, &program(args));
        }
        Err(e) => return Err(e.to_string()),
    }
    exec_command(&args.command)
}

/// Where the record lines go.
struct Sink {
    /// The sandbox the records come from, whose rules explain them.
    sandbox: Sandbox,
    /// `--denials-file`, until writing to it fails.
    file: Option<(File, PathBuf)>,
    /// With `--ask`, the lines are the requests of the sandbox's listener, answered here.
    prompter: Option<Prompter>,
}

impl Sink {
    fn show(sandbox: Sandbox) -> Self {
        Sink {
            sandbox,
            file: None,
            prompter: None,
        }
    }

    /// Opens `path` for appending, creating it readable by its owner only: records name the
    /// files a command touched.
    fn file(path: &Path, sandbox: Sandbox) -> Result<Self, String> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("--denials-file {}: {e}", path.display()))?;
        Ok(Sink {
            sandbox,
            file: Some((file, path.to_path_buf())),
            prompter: None,
        })
    }

    /// Takes one line (without its newline): appends it to the file, or shows it explained.
    /// A file that can no longer be written is given up for stderr, once said.
    fn line(&mut self, raw: &[u8]) {
        if let Some(prompter) = &mut self.prompter {
            return prompter.line(raw);
        }
        if let Some((file, path)) = &mut self.file {
            // One write per line: an O_APPEND write lands whole.
            let mut bytes = Vec::with_capacity(raw.len() + 1);
            bytes.extend_from_slice(raw);
            bytes.push(b'\n');
            match file.write_all(&bytes) {
                Ok(()) => return,
                Err(e) => {
                    say(&format!(
                        "writing {}: {e}; showing denials here instead",
                        path.display()
                    ));
                    self.file = None;
                }
            }
        }
        let text = records::render(&records::parse_line(raw), Some(&self.sandbox));
        supervise::say_line(&text);
    }
}

/// Runs the command in a sandboxed child and supervises it from outside the sandbox,
/// handing the sandbox's records to `sink`.
fn supervised(args: &RunArgs, blob: &[u8], mut sink: Sink) -> Result<u8, String> {
    // Shown before the command can print anything.
    let mark = args.ask.as_ref().map(|_| Mark::announce());
    let signals = Signals::block()?;
    let (ours, theirs) = fdpass::socketpair().map_err(|e| {
        let _ = signals.restore_mask();
        format!("creating the socket to the sandboxed child (socketpair): {e}")
    })?;
    // SAFETY: lsmctl is single-threaded, so the child is a complete copy of the one thread
    // with no lock held elsewhere; it only runs lsmctl's own code until it executes the
    // command or exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = std::io::Error::last_os_error();
        let _ = signals.restore_mask();
        return Err(format!("fork: {e}"));
    }
    if pid == 0 {
        drop(ours);
        child(args, &sink.sandbox.spec, blob, &signals, theirs);
    }
    drop(theirs);
    let records = match fdpass::receive(ours.as_fd()) {
        Ok(Some(Report::Records(fd))) => Some(fd),
        // Unsandboxed, a kernel without records, or a child that failed (and said why):
        // nothing to read, only the child to wait for.
        Ok(Some(Report::NoRecords | Report::Failed) | None) => None,
        Err(e) => {
            say(&format!(
                "receiving the records descriptor from the sandboxed child: {e}; denials will \
                 not be shown"
            ));
            None
        }
    };
    drop(ours);
    let mut records = records;
    if let (Some(answers), Some(listener), Some(mark)) = (&args.ask, &records, mark) {
        match Prompter::new(listener, answers, mark) {
            Ok(prompter) => sink.prompter = Some(prompter),
            // Nobody to ask: the listener is closed, so what the sandbox asks is refused at
            // once (`ask=closed`) instead of after a wait.
            Err(e) => {
                say(&format!("{e}; what the sandbox asks is refused"));
                records = None;
            }
        }
    }
    let status = supervise::supervise(pid, records, &signals, &mut |line| sink.line(line))?;
    Ok(supervise::exit_code(status))
}

/// Ends the child after a failure: says why, tells lsmctl (which then only waits) and exits
/// with [`FAILED`].
fn fail(sock: &OwnedFd, message: &str) -> ! {
    say(message);
    let _ = fdpass::send(sock.as_fd(), &Report::Failed);
    // SAFETY: `_exit` ends this process at once. It is the forked child: the stdio buffers
    // and exit handlers it copied from lsmctl are not its to flush or run.
    unsafe { libc::_exit(i32::from(FAILED)) }
}

/// The child: puts back the signal mask lsmctl started with, enters the sandbox, sends
/// lsmctl the records descriptor and executes the command.
fn child(args: &RunArgs, spec: &ProfileSpec, blob: &[u8], signals: &Signals, sock: OwnedFd) -> ! {
    if let Err(e) = signals.restore_mask() {
        fail(
            &sock,
            &format!("restoring the signal mask (pthread_sigmask): {e}"),
        );
    }
    kernel::close_inherited_rings();
    if let Err(e) = kernel::set_no_new_privs() {
        fail(&sock, &format!("prctl(PR_SET_NO_NEW_PRIVS): {e}"));
    }
    let report = match enter(args, spec, blob) {
        Ok(report) => report,
        Err(message) => fail(&sock, &message),
    };
    if let Err(e) = fdpass::send(sock.as_fd(), &report) {
        say(&format!(
            "telling lsmctl how the sandbox went (sendmsg): {e}; denials will not be shown"
        ));
    }
    // The command gets neither the records nor the socket.
    drop(report);
    drop(sock);
    exec_command(&args.command)
}

/// The error when the kernel sandboxes but cannot report denials, without `--best-effort`.
const NO_RECORDS: &str = "the kernel cannot report denials: it takes the sandbox but refuses \
                          FLAG_RECORDS (it predates records); run with --no-denials, or with \
                          --best-effort to run without showing them";

/// Whether `error`, from asking for records, comes from a kernel that predates them: it
/// refuses the flag with EINVAL, as it refuses a malformed profile, but takes the same
/// sandbox without it (a dry run).
fn predates_records(error: &RestrictError, blob: &[u8]) -> bool {
    error.errno() == Some(libc::EINVAL) && kernel::restrict_self(blob, true).is_ok()
}

/// Enters the sandbox, asking for its records. Returns what to tell lsmctl, or the error
/// to exit with.
fn enter(args: &RunArgs, spec: &ProfileSpec, blob: &[u8]) -> Result<Report, String> {
    if args.ask.is_some() {
        return match kernel::restrict_self_with_listener(blob) {
            Ok(fd) => Ok(Report::Records(fd)),
            Err(e)
                if e.errno() == Some(libc::EINVAL) && kernel::restrict_self(blob, true).is_ok() =>
            {
                Err(
                    "the kernel cannot ask: it takes the sandbox but refuses FLAG_LISTENER \
                     (it predates listeners); run without --ask"
                        .into(),
                )
            }
            Err(e) => Err(e.to_string()),
        };
    }
    let mut error = match kernel::restrict_self_with_records(blob) {
        Ok(fd) => return Ok(Report::Records(fd)),
        Err(e) => e,
    };
    if predates_records(&error, blob) {
        if !args.best_effort {
            return Err(NO_RECORDS.into());
        }
        match kernel::restrict_self(blob, false) {
            Ok(()) => {
                say(
                    "--best-effort: the kernel cannot report denials (it refuses FLAG_RECORDS); \
                     denials will not be shown",
                );
                return Ok(Report::NoRecords);
            }
            Err(e) => error = e,
        }
    }
    if args.best_effort && error.unsupported() {
        say_unsandboxed(&error, spec, &program(args));
        return Ok(Report::NoRecords);
    }
    Err(error.to_string())
}
