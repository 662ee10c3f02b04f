//! `lsmctl genprof -- CMD`: a profile for a program from nothing. It writes a complain-mode
//! profile attached to the program into the profile directory, loads it, runs the command,
//! and learns from the records the run left (`lsmctl logprof`). Run the program through its
//! paces, learn again if needed, then `lsmctl enforce NAME`.

use super::load::load_one;
use super::log::read_kmsg;
use super::logprof::{self, LogprofArgs};
use super::mode::defining_file;
use super::{compile_text, CompileSettings};
use crate::kernel::Via;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// What to run and learn.
#[derive(clap::Args)]
pub(crate) struct GenprofArgs {
    /// The profile's name (default: the program's file name).
    #[arg(long)]
    pub name: Option<String>,
    /// The profile directory.
    #[arg(long, value_name = "DIR", default_value = super::load::PROFILE_DIR)]
    pub dir: PathBuf,
    /// Accept every proposal without asking.
    #[arg(short, long)]
    pub yes: bool,
    /// Also propose what is held back (see logprof).
    #[arg(long)]
    pub sensitive: bool,
    #[arg(long, value_enum, default_value_t = Via::Auto)]
    pub via: Via,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// The program `command` runs, as the kernel will see it (resolved through PATH and
/// symbolic links: profiles attach to the resolved path).
fn program(command: &OsString) -> Result<PathBuf, String> {
    let given = Path::new(command);
    let found = if given.components().count() > 1 {
        Some(given.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join(given))
                .find(|p| p.is_file())
        })
    };
    let found = found.ok_or_else(|| format!("{}: not found", given.display()))?;
    found
        .canonicalize()
        .map_err(|e| format!("{}: {e}", found.display()))
}

/// A profile name made of the program's file name.
fn name_for(program: &Path) -> String {
    let base = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(rustlsm_policy::wire::MAX_NAME_LEN)
        .collect();
    if name.is_empty() {
        "program".into()
    } else {
        name
    }
}

/// The last sequence number of the kernel log, to learn from what comes after it.
fn log_mark() -> Result<u64, String> {
    let mut last = 0;
    read_kmsg(false, &mut |seq, _| last = last.max(seq))?;
    Ok(last)
}

pub(crate) fn run(args: &GenprofArgs, settings: &CompileSettings) -> Result<(), String> {
    let first = args.command.first().ok_or("no command given")?;
    let program = program(first)?;
    let name = args.name.clone().unwrap_or_else(|| name_for(&program));
    crate::kernel::checked_name(&name)?;
    if args.dir.is_dir() {
        if let Ok((file, _)) = defining_file(&args.dir, &name) {
            return Err(format!(
                "profile {name:?} is defined in {} already: put it in complain mode and use \
                 `lsmctl logprof`",
                file.display()
            ));
        }
    }
    let file = args.dir.join(format!("{name}.toml"));
    if file.exists() {
        return Err(format!("{} exists", file.display()));
    }
    // Names and paths are written as TOML strings: a name may hold a dot, a path anything.
    let quoted = |s: &str| toml_edit::Value::from(s).to_string();
    let text = format!(
        "# The profile of {}, begun by lsmctl genprof.\n[profile.{}]\nmode = \"complain\"\n\
         attach = [{}]\n",
        program.display(),
        quoted(&name),
        quoted(&program.to_string_lossy())
    );
    // Compiled first: a program path the profile language cannot name stops here.
    let compiled = compile_text(&file, &text, &settings.includes, None)?;
    fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    let fail = |e: std::io::Error| format!("{}: {e}", file.display());
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o644)
        .open(&file)
        .map_err(fail)?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(fail)?;
    println!("wrote {} (complain mode)", file.display());
    load_one(&compiled, args.via, false)?;
    let mark = log_mark()?;
    println!("running {} under it", program.display());
    let status = std::process::Command::new(first)
        .args(&args.command[1..])
        .status()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    println!("the command exited: {status}");
    logprof::run(
        &LogprofArgs {
            files: Vec::new(),
            profiles: vec![name.clone()],
            dir: args.dir.clone(),
            yes: args.yes,
            json: false,
            sensitive: args.sensitive,
            since: Some(mark),
            via: args.via,
        },
        settings,
    )?;
    println!(
        "profile {name} stays in complain mode: run the program through what it does, \
         `lsmctl logprof -p {name}` again, then `lsmctl enforce {name}`"
    );
    Ok(())
}
