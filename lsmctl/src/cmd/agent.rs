//! `lsmctl agent`: answers the accesses ask profiles put to an agent. It opens a listener
//! (`LSM_POLICY_LISTEN`, administrators only), shows each request and reads the answer
//! from standard input: allow or deny, once, until the agent stops, or always. An "always"
//! answer becomes a rule in the profile's local override file (`local/NAME`), and the
//! profile is compiled and loaded again, so that the answer outlives the agent.

use super::load::load_one;
use super::mode::defining_file;
use super::{compile_file, CompileSettings};
use crate::kernel::{self, Via};
use lsmctl::ask::{add_network_rule, add_rule, Asked, Choice, ObjectFacts, Request};
use lsmctl::records::LineSplitter;
use rustlsm_policy::wire;
use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// `lsmctl agent`'s options.
#[derive(clap::Args)]
pub(crate) struct AgentArgs {
    /// Answer for this profile (may be given more than once); every profile without one.
    #[arg(short, long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// How long a task waits for an answer before it is refused, in seconds (1 to 300; the
    /// kernel's default, 30, without it).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..=300))]
    pub wait: Option<u32>,
    /// How many requests the kernel holds for the agent at once (1 to 1024; 256 without
    /// it); past that, accesses are refused without asking.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_pending: Option<u32>,
    /// Refuse every request this way instead of asking (n deny once, x deny until the agent
    /// stops): to see what a program would be asked. Allowing cannot be automatic, or a
    /// confined program would choose what it is given.
    #[arg(long, value_name = "ANSWER", value_parser = parse_refusal)]
    pub answer: Option<Choice>,
    /// The profile directory, where an "always" answer finds the profile to load again.
    #[arg(long, value_name = "DIR", default_value = super::load::PROFILE_DIR)]
    pub dir: PathBuf,
    /// Where the local override files are: an "always" answer adds its rule to NAME.toml
    /// there, which the profile must include (include_if_exists = ["local/NAME"]).
    #[arg(long, value_name = "DIR", default_value = "/etc/rustlsm/local")]
    pub local_dir: PathBuf,
}

fn parse_refusal(typed: &str) -> Result<Choice, String> {
    match Choice::parse(typed) {
        Some(choice) if !choice.allows() && !choice.always() => Ok(choice),
        Some(_) => Err(format!(
            "{typed:?}: only refusals can be automatic (n or x); answer the others yourself"
        )),
        None => Err(format!("unknown answer {typed:?}: {}", keys_help())),
    }
}

/// The keys and what each answers, for prompts and errors.
fn keys_help() -> String {
    Choice::KEYS
        .iter()
        .map(|(key, _, words)| format!("{key} {words}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The longest request line: a path of 4096 bytes, each escaped to 4, and the fields.
const MAX_REQUEST: usize = 20 << 10;

pub(crate) fn run(args: &AgentArgs, settings: &CompileSettings) -> Result<(), String> {
    for name in &args.profiles {
        kernel::checked_name(name)?;
    }
    let names: Vec<&str> = args.profiles.iter().map(String::as_str).collect();
    let wait_ms = args.wait.map_or(0, |s| s * 1000);
    let buffer =
        rustlsm_policy::listen::listen_buffer(wait_ms, args.max_pending.unwrap_or(0), &names)
            .ok_or("a profile name, the wait or the number of requests is out of range")?;
    let listener = kernel::listen(&buffer)?;
    let mut listener = fs::File::from(listener);
    let which = if names.is_empty() {
        "every ask profile".to_string()
    } else {
        names.join(", ")
    };
    println!("lsmctl agent: answering for {which}; keys: {}", keys_help());
    flush();
    let mut answers = io::stdin().lock();
    let mut splitter = LineSplitter::new();
    let mut chunk = vec![0; MAX_REQUEST];
    loop {
        let n = match listener.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("reading the listener: {e}")),
        };
        let mut lines = Vec::new();
        splitter.push(&chunk[..n], &mut |line| lines.push(line.to_vec()));
        for line in lines {
            let Some(request) = Request::parse(&line) else {
                eprintln!(
                    "lsmctl agent: a request this lsmctl does not read, refused: {}",
                    String::from_utf8_lossy(&line)
                );
                if let Some(id) = Request::id_of(&line) {
                    let _ = listener.write(Choice::DenyOnce.answer_line(id).as_bytes());
                }
                continue;
            };
            if let Some(why) = changes_policy(&request, args) {
                println!("request {}: {}", request.id, request.describe());
                println!("request {}: refused without asking: {why}", request.id);
                answer(&mut listener, &request, Choice::DenyOnce, args, settings)?;
                continue;
            }
            let Some(choice) = choose(&request, args.answer, &mut answers)? else {
                // No more answers: stop, which refuses whatever still waits.
                return Ok(());
            };
            answer(&mut listener, &request, choice, args, settings)?;
        }
    }
}

/// Why `request` may not even be put to the person: it would change the files the agent
/// itself compiles policy from (the profile and local directories, the includes' system
/// directories), through which a confined program would write its own rules.
fn changes_policy(request: &Request, args: &AgentArgs) -> Option<String> {
    let Asked::File(path) = &request.object else {
        return None;
    };
    let reading = wire::ACCESS_READ | wire::ACCESS_EXEC | wire::ACCESS_MMAP_EXEC;
    if request.requested & wire::ACCESS_ALL & !reading == 0 {
        return None;
    }
    let path = Path::new(std::ffi::OsStr::from_bytes(path));
    let system = lsmctl::includes::SYSTEM_DIRS.iter().map(PathBuf::from);
    [args.dir.clone(), args.local_dir.clone()]
        .into_iter()
        .chain(system)
        // The kernel names files by their real path.
        .map(|dir| fs::canonicalize(&dir).unwrap_or(dir))
        .find(|dir| path.starts_with(dir))
        .map(|dir| {
            format!(
                "it would change {}, where the agent's rules come from",
                dir.display()
            )
        })
}

fn flush() {
    let _ = io::stdout().flush();
}

/// The answer to `request`: `fixed`, or what the person types (asked again until it is one);
/// `None` at the end of the input.
fn choose(
    request: &Request,
    fixed: Option<Choice>,
    input: &mut impl BufRead,
) -> Result<Option<Choice>, String> {
    println!("request {}: {}", request.id, request.describe());
    if let Some(facts) = request.fd.and_then(ObjectFacts::take) {
        println!("request {}: {}", request.id, facts.describe());
    }
    if let Some(note) = request.refused_already() {
        println!("request {}: {note}", request.id);
    }
    if let Some(choice) = fixed {
        return Ok(Some(choice));
    }
    loop {
        print!("answer [y/s/a/n/x/d]? ");
        flush();
        let mut typed = String::new();
        if input
            .read_line(&mut typed)
            .map_err(|e| format!("reading the answer: {e}"))?
            == 0
        {
            println!();
            return Ok(None);
        }
        match Choice::parse(&typed) {
            Some(choice) => return Ok(Some(choice)),
            None => println!("{}", keys_help()),
        }
    }
}

/// Gives `choice` to the kernel for `request`; an "always" choice writes its rule and loads
/// the profile first, and falls back to a session answer if that fails.
fn answer(
    listener: &mut fs::File,
    request: &Request,
    choice: Choice,
    args: &AgentArgs,
    settings: &CompileSettings,
) -> Result<(), String> {
    let mut said = describe_choice(choice);
    if choice.always() {
        if let Err(e) = persist(request, choice.allows(), args, settings) {
            println!(
                "request {}: no rule written: {e}; answered until the agent stops",
                request.id
            );
            said = "until the agent stops";
        }
    }
    let line = choice.answer_line(request.id);
    match listener.write(line.as_bytes()) {
        Ok(_) => println!(
            "request {}: {} {said}",
            request.id,
            if choice.allows() { "allowed" } else { "denied" }
        ),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => println!(
            "request {}: too late, the task stopped waiting (it was refused)",
            request.id
        ),
        Err(e) => return Err(format!("answering request {}: {e}", request.id)),
    }
    flush();
    Ok(())
}

fn describe_choice(choice: Choice) -> &'static str {
    match choice {
        Choice::AllowOnce | Choice::DenyOnce => "once",
        Choice::AllowSession | Choice::DenySession => "until the agent stops",
        Choice::AllowAlways | Choice::DenyAlways => "always",
    }
}

/// Adds the rule that answers `request` always to the profile's local file, compiles the
/// profile with it and loads it; the local file is put back as it was if the profile does
/// not compile, or does not include the file (its compiled form would not change).
fn persist(
    request: &Request,
    allow: bool,
    args: &AgentArgs,
    settings: &CompileSettings,
) -> Result<(), String> {
    let name = &request.profile;
    let (profile_file, _) = defining_file(&args.dir, name)?;
    let before = compile_file(&profile_file, &settings.includes, None)?;
    let local = args.local_dir.join(format!("{name}.toml"));
    let old = match fs::read_to_string(&local) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("{}: {e}", local.display())),
    };
    let old_text = old.as_deref().unwrap_or("");
    let text = match &request.object {
        Asked::File(path) => add_rule(old_text, allow, request.requested, path),
        Asked::Endpoint {
            proto, addr, port, ..
        } if allow => add_network_rule(old_text, request.requested, proto, addr, *port),
        Asked::Endpoint { .. } => {
            return Err("network rules only allow; an endpoint cannot be denied always".into())
        }
    }
    .map_err(|e| format!("{}: {e}", local.display()))?;
    write_local(&local, &text)?;
    let after = compile_file(&profile_file, &settings.includes, None);
    let unchanged = |c: &super::CompiledFile| c.blob == before.blob;
    let failure = match &after {
        Err(e) => Some(e.clone()),
        Ok(c) if unchanged(c) => Some(format!(
            "profile {name:?} does not include {}: add include_if_exists = [\"local/{name}\"] \
             to it",
            local.display()
        )),
        Ok(_) => None,
    };
    if let Some(failure) = failure {
        restore_local(&local, old.as_deref())?;
        return Err(failure);
    }
    let compiled = after?;
    load_one(&compiled, Via::Auto, false).map_err(|e| {
        // Loading failed: the rule stays written, and the next load takes it.
        format!("{e} (the rule is in {})", local.display())
    })?;
    println!("request {}: rule added to {}", request.id, local.display());
    Ok(())
}

/// Writes the local file `path` whole (a new one readable by all, as profiles are).
fn write_local(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let (mode, owner) = match fs::metadata(path) {
        Ok(meta) => (meta.mode() & 0o7777, Some((meta.uid(), meta.gid()))),
        Err(_) => (0o644, None),
    };
    crate::atomic_file::replace(path, text.as_bytes(), mode, owner)
}

/// Puts the local file `path` back as `old` was (`None`: it did not exist).
fn restore_local(path: &Path, old: Option<&str>) -> Result<(), String> {
    match old {
        Some(text) => write_local(path, text),
        None => fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display())),
    }
}
