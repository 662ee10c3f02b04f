//! `lsmctl run --ask`: answers what the sandbox leaves to an agent, asking the person at the
//! terminal (or taking the answers from a file), as `lsmctl agent` does for profiles. The
//! requests arrive on the layer's listener, which lsmctl reads from outside the sandbox.
//!
//! The command shares the terminal and may print what looks like a prompt: every genuine
//! prompt carries a mark drawn at random when lsmctl starts, shown before the command runs
//! (which cannot read it back from the screen), and input typed ahead is flushed before each
//! answer is read. A file of answers names the path each answers, so that the command
//! cannot steer an answer to another request by the order of its requests.

use crate::supervise::say_line;
use lsmctl::ask::{Choice, ObjectFacts, Request};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// The keys a sandbox's prompt offers: "always" answers are for profiles, which outlive a
/// command.
const KEYS: &str = "y allow once, s allow until the command ends, n deny once, x deny until \
                    the command ends";

/// Where the answers come from.
pub(crate) enum Answers {
    /// The person at this terminal (`/dev/tty`).
    Terminal(PathBuf),
    /// A file of `KEY PATH`, `KEY exec PATH` or `KEY OP PROTO ADDRESS:PORT` lines, each
    /// answering the first request for PATH (any access but running its code), to execute
    /// PATH or map it executable, or for that operation on that endpoint.
    File(PathBuf),
}

/// The mark of this run's genuine prompts.
pub(crate) struct Mark(String);

impl Mark {
    /// A mark drawn from the kernel's random source; announced on stderr, to be done before
    /// the command starts.
    pub(crate) fn announce() -> Self {
        let mut bytes = [0u8; 4];
        let _ = File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
        let letters: String = bytes
            .iter()
            .map(|b| char::from(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[usize::from(b % 32)]))
            .collect();
        say_line(&format!(
            "lsmctl: --ask: this run's prompts are marked [{letters}]; a prompt without it \
             comes from the command"
        ));
        Mark(letters)
    }
}

enum Source {
    Terminal(BufReader<File>),
    /// The answers of the file not yet used.
    File(Vec<(Choice, Vec<u8>)>),
}

/// The listener, written to, and where the answers are read.
pub(crate) struct Prompter {
    listener: File,
    source: Source,
    mark: Mark,
}

impl Prompter {
    /// Answers on `listener` (a descriptor of the sandbox's listener) from `answers`.
    pub(crate) fn new(listener: &OwnedFd, answers: &Answers, mark: Mark) -> Result<Self, String> {
        let listener = listener
            .try_clone()
            .map_err(|e| format!("the sandbox's listener: {e}"))?;
        let source = match answers {
            Answers::Terminal(tty) => Source::Terminal(BufReader::new(
                File::open(tty).map_err(|e| format!("--ask: {}: {e}", tty.display()))?,
            )),
            Answers::File(path) => Source::File(answer_file(path)?),
        };
        Ok(Prompter {
            listener: File::from(listener),
            source,
            mark,
        })
    }

    /// Takes one line from the listener (without its newline): asks about the request and
    /// answers it.
    pub(crate) fn line(&mut self, raw: &[u8]) {
        let Some(request) = Request::parse(raw) else {
            say_line(&format!(
                "lsmctl: a request this lsmctl does not read, refused: {}",
                String::from_utf8_lossy(raw)
            ));
            if let Some(id) = Request::id_of(raw) {
                self.send(id, Choice::DenyOnce);
            }
            return;
        };
        let mark = self.mark.0.clone();
        say_line(&format!("lsmctl [{mark}]: {}", request.describe()));
        if let Some(facts) = request.fd.and_then(ObjectFacts::take) {
            say_line(&format!("lsmctl [{mark}]: {}", facts.describe()));
        }
        if let Some(note) = request.refused_already() {
            say_line(&format!("lsmctl [{mark}]: {note}"));
        }
        let choice = self.choose(&request);
        self.send(request.id, choice);
        let verdict = if choice.allows() { "allowed" } else { "denied" };
        let lifetime = match choice {
            Choice::AllowOnce | Choice::DenyOnce => "once",
            _ => "until the command ends",
        };
        say_line(&format!(
            "lsmctl [{mark}]: request {}: {verdict} {lifetime}",
            request.id
        ));
    }

    /// The answer to `request`: "always" is taken as until the command ends; no answer
    /// refuses.
    fn choose(&mut self, request: &Request) -> Choice {
        let mark = self.mark.0.clone();
        let chosen = match &mut self.source {
            Source::File(answers) => {
                let object = request.object_text();
                let at = answers.iter().position(|(_, named)| *named == object);
                match at {
                    Some(at) => answers.remove(at).0,
                    None => {
                        say_line(&format!("lsmctl [{mark}]: no answer for it in the file"));
                        Choice::DenyOnce
                    }
                }
            }
            Source::Terminal(tty) => loop {
                // What was typed before the prompt answers nothing.
                // SAFETY: `tcflush` only discards the terminal's pending input.
                unsafe { libc::tcflush(tty.get_ref().as_raw_fd(), libc::TCIFLUSH) };
                say_prompt(&format!("lsmctl [{mark}]: answer ({KEYS})? "));
                let mut typed = String::new();
                match tty.read_line(&mut typed) {
                    Ok(0) | Err(_) => {
                        say_line("");
                        say_line(&format!("lsmctl [{mark}]: no answer: refused"));
                        break Choice::DenyOnce;
                    }
                    Ok(_) => match Choice::parse(&typed) {
                        Some(choice) => break choice,
                        None => say_line(&format!("lsmctl [{mark}]: {KEYS}")),
                    },
                }
            },
        };
        match chosen {
            Choice::AllowAlways => Choice::AllowSession,
            Choice::DenyAlways => Choice::DenySession,
            choice => choice,
        }
    }

    fn send(&mut self, id: u64, choice: Choice) {
        let line = choice.answer_line(id);
        if let Err(e) = self.listener.write(line.as_bytes()) {
            let why = match e.raw_os_error() {
                Some(libc::ENOENT) => "too late, the task stopped waiting".to_string(),
                _ => e.to_string(),
            };
            say_line(&format!("lsmctl: request {id}: {why}"));
        }
    }
}

/// The answers of a file of `KEY PATH`, `KEY exec PATH` and `KEY OP PROTO ADDRESS:PORT`
/// lines (blank lines and `#` comments skipped).
fn answer_file(path: &Path) -> Result<Vec<(Choice, Vec<u8>)>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--answers {}: {e}", path.display()))?;
    let mut answers = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line
            .split_once(' ')
            .and_then(|(key, target)| Some((Choice::parse(key)?, target.trim())))
            .filter(|(_, target)| {
                let path = target.strip_prefix("exec ").unwrap_or(target);
                path.starts_with('/') || names_an_endpoint(target)
            });
        let Some((choice, target)) = parsed else {
            return Err(format!(
                "{}:{}:1: expected KEY PATH, KEY exec PATH or KEY OP PROTO ADDRESS:PORT (KEY \
                 one of y, s, n, x; PATH absolute; OP bind, listen, connect or send; PROTO tcp \
                 or udp, as in connect tcp 127.0.0.1:80 or send udp [::1]:53)",
                path.display(),
                n + 1
            ));
        };
        answers.push((choice, target.as_bytes().to_vec()));
    }
    Ok(answers)
}

/// Whether `target` reads `OP PROTO ...`, as an endpoint's answer does.
fn names_an_endpoint(target: &str) -> bool {
    let mut words = target.split(' ');
    let op = words.next().unwrap_or_default();
    let proto = words.next().unwrap_or_default();
    op.split(',')
        .all(|o| matches!(o, "bind" | "listen" | "connect" | "send"))
        && matches!(proto, "tcp" | "udp")
}

/// Writes `text` to stderr without a newline (a prompt).
fn say_prompt(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}
