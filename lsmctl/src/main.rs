//! lsmctl: compile rustlsm profiles from TOML and manage the kernel's loaded policy.

mod atomic_file;
mod cache;
mod cmd;
mod fdpass;
mod kernel;
mod prompt;
mod signals;
mod supervise;

use clap::{CommandFactory, Parser, Subcommand};
use kernel::Via;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "lsmctl", version, about = "Compile and load rustlsm profiles")]
struct Cli {
    /// Treat warnings (rules that can never take effect) as errors.
    #[arg(short = 'D', long, global = true)]
    deny_warnings: bool,
    /// Look up included library files (such as "abstractions/base") in DIR first, before
    /// /etc/rustlsm and /usr/share/rustlsm; may be given more than once.
    #[arg(short = 'I', long = "include-dir", value_name = "DIR", global = true)]
    include_dirs: Vec<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile profiles (TOML, or an already compiled policy) and load them into the kernel;
    /// say of each profile whether it was added, replaced (old and new digest) or unchanged.
    Load(cmd::load::LoadArgs),
    /// Put profiles in complain mode (refusals are logged, not enforced): edit `mode` in the
    /// profile directory's file that defines each, keeping its comments, and load it.
    Complain(ModeCli),
    /// Put profiles in enforce mode, as `complain` does for complain mode.
    Enforce(ModeCli),
    /// Remove loaded profiles by name.
    Remove {
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(long, value_enum, default_value_t = Via::Auto)]
        via: Via,
    },
    /// The processes rustlsm confines, and those running a program a loaded profile
    /// attaches to but unconfined (started before the profile was loaded).
    Ps {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// List unconfined processes too.
        #[arg(short, long)]
        all: bool,
    },
    /// Show a loaded profile: mode, digest, attachments, capabilities, and its rules as
    /// written when the profile directory's file compiles to what is loaded.
    Show {
        name: String,
        /// The profile directory.
        #[arg(long, value_name = "DIR", default_value = cmd::load::PROFILE_DIR)]
        dir: PathBuf,
    },
    /// Say what loading profile files would change: profiles added, replaced (mode,
    /// attachments, capabilities, file rules, digest) or unchanged.
    Diff {
        #[arg(required = true)]
        files: Vec<PathBuf>,
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
    /// Run a command in a sandbox it can never leave; any user may. Paths may be globs and
    /// comma-separated lists; a plain path covers everything beneath it.
    ///
    /// lsmctl stays outside the sandbox while the command runs. It shows each refusal on
    /// stderr as it happens, with the rule that refused it ("lsmctl: denied: cat[123] open
    /// /srv/secret (r): refused by --deny /srv/secret"; with --complain, "would deny"),
    /// passes SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 on to the command, outlives SIGINT and
    /// SIGQUIT (the terminal sends them to the command too), and exits as the command did:
    /// its exit status, or 128 + N if signal N killed it.
    #[command(after_help = RUN_EXAMPLES)]
    Run(Box<RunCli>),
    /// Show rustlsm's refusals (and complain mode's would-be refusals) from the kernel log,
    /// or from log files: kernel log or syslog, `journalctl -k` output, audit.log, or a
    /// sandbox's records file.
    Log {
        /// Log files to read ("-" for standard input) instead of the kernel log.
        files: Vec<PathBuf>,
        /// Only this profile's records (may be given more than once).
        #[arg(short, long = "profile", value_name = "NAME")]
        profiles: Vec<String>,
        /// Keep reading the kernel log for new records.
        #[arg(short, long)]
        follow: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Propose rules from what profiles were refused (or would have been, in complain mode)
    /// and write the accepted ones into the profile directory's files: one question per
    /// group; abstractions, variables and globs where what was seen fits them. Each result
    /// is replayed against the records before it is written, then loaded.
    Logprof(cmd::logprof::LogprofArgs),
    /// Begin a profile for a program: write a complain-mode profile attached to it, run the
    /// command under it, and learn from the run (as logprof).
    Genprof(cmd::genprof::GenprofArgs),
    /// Run a command under a loaded profile, whatever profile claims its program (as
    /// aa-exec -p does): to try a profile on a command. Root only; the command replaces
    /// lsmctl, so its exit status is the command's.
    Exec(cmd::exec::ExecArgs),
    /// Answer the accesses ask profiles (`mode = "ask"`, `ask` rules) put to an agent:
    /// each request is shown, and the answer read from standard input (y allow once, s
    /// allow until the agent stops, a allow always, n deny once, x deny until the agent
    /// stops, d deny always). An "always" answer adds a rule to the profile's local file
    /// and loads the profile again. Tasks wait for an answer only when they open or execute
    /// a file or use a blocking TCP/UDP socket; other accesses are refused at once, and a
    /// later "s" or "a" lets their retry through. Stopping the agent refuses whatever still
    /// waits. Root only.
    Agent(cmd::agent::AgentArgs),
    /// Write the manual pages and shell completions into DIR (for packaging).
    #[command(hide = true)]
    GenerateFiles { dir: PathBuf },
    /// Show what the running kernel supports (sandboxes, policy format).
    Features {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

const RUN_EXAMPLES: &str = "Examples:
  lsmctl run --rox /usr --ro /etc -- ls /etc
  lsmctl run --rox /usr --rw /tmp/work --deny /tmp/work/secrets -- make -C /tmp/work
  lsmctl run --rox /usr --ro /etc --connect-tcp 443 --connect-udp 53 -- curl https://example.org
  lsmctl run --rox /usr --connect-tcp 10.0.0.0/8:22 -- ssh host
  lsmctl run --profile build.toml --rw . -- cargo build
  lsmctl run --complain --denials-file denials.log --rox /usr --rw . -- make";

/// `lsmctl complain` and `lsmctl enforce`'s options.
#[derive(clap::Args)]
struct ModeCli {
    #[arg(required = true)]
    names: Vec<String>,
    /// The profile directory.
    #[arg(long, value_name = "DIR", default_value = cmd::load::PROFILE_DIR)]
    dir: PathBuf,
    #[arg(long, value_enum, default_value_t = Via::Auto)]
    via: Via,
}

impl ModeCli {
    fn to(self, mode: &'static str) -> cmd::mode::ModeArgs {
        cmd::mode::ModeArgs {
            names: self.names,
            mode,
            dir: self.dir,
            via: self.via,
        }
    }
}

/// `lsmctl run`'s options.
#[derive(clap::Args)]
struct RunCli {
    /// A TOML file with one profile whose rules the sandbox starts from.
    #[arg(short, long)]
    profile: Option<PathBuf>,
    /// Paths to read.
    #[arg(long, value_delimiter = ',', value_name = "PATH")]
    ro: Vec<String>,
    /// Paths to read and execute.
    #[arg(long, value_delimiter = ',', value_name = "PATH")]
    rox: Vec<String>,
    /// Paths to read and write (create, delete, rename, link, setattr, ioctl).
    #[arg(long, value_delimiter = ',', value_name = "PATH")]
    rw: Vec<String>,
    /// Paths to read, write and execute.
    #[arg(long, value_delimiter = ',', value_name = "PATH")]
    rwx: Vec<String>,
    /// Paths refused whatever else allows them (for example a directory inside an allowed
    /// tree).
    #[arg(long, value_delimiter = ',', value_name = "PATH")]
    deny: Vec<String>,
    /// Unix sockets, by path, to connect or send to.
    #[arg(long, value_delimiter = ',', value_name = "PATH")]
    unix: Vec<String>,
    /// TCP endpoints to bind and listen on: [ADDRESS[/PREFIX]:]PORTS ([IPv6]:PORTS).
    #[arg(long, value_delimiter = ',', value_name = "ENDPOINT")]
    bind_tcp: Vec<String>,
    /// TCP endpoints to connect to: [ADDRESS[/PREFIX]:]PORTS.
    #[arg(long, value_delimiter = ',', value_name = "ENDPOINT")]
    connect_tcp: Vec<String>,
    /// UDP endpoints to bind: [ADDRESS[/PREFIX]:]PORTS.
    #[arg(long, value_delimiter = ',', value_name = "ENDPOINT")]
    bind_udp: Vec<String>,
    /// UDP endpoints to connect and send to: [ADDRESS[/PREFIX]:]PORTS.
    #[arg(long, value_delimiter = ',', value_name = "ENDPOINT")]
    connect_udp: Vec<String>,
    /// Allow raw IP and ICMP (ping) sockets.
    #[arg(long)]
    raw: bool,
    /// Report what the sandbox would refuse without refusing it.
    #[arg(long)]
    complain: bool,
    /// Ask instead of refusing: every file access, exec and TCP/UDP endpoint the sandbox does
    /// not allow is put to you on the terminal (y allow once, s allow until the command ends,
    /// n deny once, x deny until the command ends) while the command waits in open(), execve()
    /// or a blocking socket call; accesses that cannot wait (a program's loader or script
    /// interpreter, mkdir...) are refused at once and asked, so a retry after "s" succeeds.
    #[arg(long, conflicts_with_all = ["complain", "no_denials", "denials_file"])]
    ask: bool,
    /// With --ask, take the answers from FILE instead of the terminal: lines of KEY PATH
    /// (KEY y, s, n or x), each answering the first request for PATH whatever the access
    /// (read, write, create, delete...), KEY exec PATH the first to execute PATH or map it
    /// executable, or KEY OP PROTO ADDRESS:PORT for an endpoint; a request no line answers is
    /// refused.
    #[arg(long, value_name = "FILE", requires = "ask")]
    answers: Option<PathBuf>,
    /// Run the command unsandboxed, saying so, when the kernel cannot sandbox at all, and
    /// without showing denials when it cannot report them (by default both are errors).
    #[arg(long)]
    best_effort: bool,
    /// Do not show refusals: lsmctl enters the sandbox and executes the command in its own
    /// process instead of staying outside to read the sandbox's records.
    #[arg(long)]
    no_denials: bool,
    /// Append the sandbox's records to FILE (created with mode 0600), one kernel line per
    /// refusal ("DENIED sandbox=ID profile=... op=... pid=... comm=..."), instead of showing
    /// them on stderr.
    #[arg(long, value_name = "FILE", conflicts_with = "no_denials")]
    denials_file: Option<PathBuf>,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<std::ffi::OsString>,
}

/// Runs the subcommand; returns lsmctl's exit status (`lsmctl run`'s is the command's).
fn run(cli: Cli) -> Result<ExitCode, String> {
    let settings = cmd::CompileSettings {
        deny_warnings: cli.deny_warnings,
        includes: lsmctl::IncludePath::new(cli.include_dirs),
    };
    let done = match cli.command {
        Command::Compile { file, output } => cmd::compile::run(file, &output, &settings),
        Command::Check { files } => cmd::check::run(&files, &settings),
        Command::Load(args) => cmd::load::run(&args, &settings),
        Command::Complain(m) => cmd::mode::run(&m.to("complain"), &settings),
        Command::Enforce(m) => cmd::mode::run(&m.to("enforce"), &settings),
        Command::Remove { names, via } => cmd::remove::run(&names, via),
        Command::List { json } => cmd::list::run(json),
        Command::Show { name, dir } => cmd::diff::show(&name, &dir, &settings),
        Command::Diff { files } => cmd::diff::diff(&files, &settings),
        Command::Ps { json, all } => cmd::ps::run(json, all),
        Command::Status { json, pid } => cmd::status::run(json, pid),
        Command::Features { json } => cmd::features::run(json),
        Command::GenerateFiles { dir } => cmd::generate::run(Cli::command(), &dir),
        Command::Logprof(args) => cmd::logprof::run(&args, &settings),
        Command::Genprof(args) => cmd::genprof::run(&args, &settings),
        Command::Exec(args) => cmd::exec::run(&args),
        Command::Agent(args) => cmd::agent::run(&args, &settings),
        Command::Log {
            files,
            profiles,
            follow,
            json,
        } => cmd::log::run(&cmd::log::LogArgs {
            files,
            profiles,
            follow,
            json,
        }),
        Command::Run(r) => {
            let r = *r;
            let denials = match (r.no_denials, r.denials_file) {
                (true, _) => cmd::run::Denials::Off,
                (false, Some(path)) => cmd::run::Denials::File(path),
                (false, None) => cmd::run::Denials::Show,
            };
            let args = cmd::run::RunArgs {
                profile: r.profile,
                request: lsmctl::sandbox::SandboxRequest {
                    ro: r.ro,
                    rox: r.rox,
                    rw: r.rw,
                    rwx: r.rwx,
                    deny: r.deny,
                    unix: r.unix,
                    bind_tcp: r.bind_tcp,
                    connect_tcp: r.connect_tcp,
                    bind_udp: r.bind_udp,
                    connect_udp: r.connect_udp,
                    raw: r.raw,
                    complain: r.complain,
                },
                best_effort: r.best_effort,
                ask: r.ask.then(|| match r.answers {
                    Some(file) => cmd::run::Answers::File(file),
                    None => cmd::run::Answers::Terminal(PathBuf::from("/dev/tty")),
                }),
                denials,
                command: r.command,
            };
            // lsmctl's own failures get a status no command's failure is taken for.
            return Ok(match cmd::run::run(args, &settings) {
                Ok(code) => ExitCode::from(code),
                Err(msg) => {
                    eprintln!("lsmctl: {msg}");
                    ExitCode::from(cmd::run::FAILED)
                }
            });
        }
    };
    done.map(|()| ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("lsmctl: {msg}");
            ExitCode::FAILURE
        }
    }
}
