//! `lsmctl run --ask`: answers what the sandbox leaves to an agent, asking the person at the
//! terminal (or reading the answers from a file), as `lsmctl agent` does for profiles. The
//! requests arrive on the layer's listener, which lsmctl reads from outside the sandbox.

use crate::supervise::say_line;
use lsmctl::ask::{Choice, ObjectFacts, Request};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::path::Path;

/// The keys a sandbox's prompt offers: "always" answers are for profiles, which outlive a
/// command.
const KEYS: &str = "y allow once, s allow until the command ends, n deny once, x deny until \
                    the command ends";

/// The listener, written to, and where the answers are read.
pub(crate) struct Prompter {
    listener: File,
    answers: Box<dyn BufRead>,
    /// The end of the answers was reached: everything else is refused.
    exhausted: bool,
}

impl Prompter {
    /// Answers on `listener` (a descriptor of the sandbox's listener) what is read from
    /// `input` (the terminal, or a file of answers).
    pub(crate) fn new(listener: &OwnedFd, input: &Path) -> Result<Self, String> {
        let listener = listener
            .try_clone()
            .map_err(|e| format!("the sandbox's listener: {e}"))?;
        let answers = File::open(input)
            .map_err(|e| format!("--ask answers from {}: {e}", input.display()))?;
        Ok(Prompter {
            listener: File::from(listener),
            answers: Box::new(BufReader::new(answers)),
            exhausted: false,
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
        say_line(&format!("lsmctl: {}", request.describe()));
        if let Some(facts) = request.fd.and_then(ObjectFacts::take) {
            say_line(&format!("lsmctl: {}", facts.describe()));
        }
        let choice = self.choose();
        self.send(request.id, choice);
        let verdict = if choice.allows() { "allowed" } else { "denied" };
        let lifetime = match choice {
            Choice::AllowOnce | Choice::DenyOnce => "once",
            _ => "until the command ends",
        };
        say_line(&format!(
            "lsmctl: request {}: {verdict} {lifetime}",
            request.id
        ));
    }

    /// The next answer; "always" is taken as until the command ends, and the end of the
    /// answers refuses.
    fn choose(&mut self) -> Choice {
        loop {
            if self.exhausted {
                return Choice::DenyOnce;
            }
            say_prompt(&format!("lsmctl: answer ({KEYS})? "));
            let mut typed = String::new();
            match self.answers.read_line(&mut typed) {
                Ok(0) | Err(_) => {
                    say_line("");
                    say_line("lsmctl: no more answers: refusing what the sandbox asks");
                    self.exhausted = true;
                }
                Ok(_) => match Choice::parse(&typed) {
                    Some(Choice::AllowAlways) => return Choice::AllowSession,
                    Some(Choice::DenyAlways) => return Choice::DenySession,
                    Some(choice) => return choice,
                    None => say_line(&format!("lsmctl: {KEYS}")),
                },
            }
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

/// Writes `text` to stderr without a newline (a prompt).
fn say_prompt(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}
