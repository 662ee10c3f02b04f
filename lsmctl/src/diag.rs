//! Diagnostics that point at a place in a profile file: `file:line:column: message`, for
//! errors, and `file:line:column: warning: message` for rules that compile but can never take
//! effect.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// An error in a profile, located in its source text.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// For a file that another includes: where, as `file:line:column`, and so on up.
    pub included_from: Option<String>,
}

impl Diagnostic {
    /// Locates byte offset `span.start` of `source` (1-based line and column, in characters).
    pub fn at(file: &Path, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = span.start.min(source.len());
        let before = source.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source
            .get(line_start..start)
            .map_or(1, |s| s.chars().count() + 1);
        Diagnostic {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
            included_from: None,
        }
    }

    /// `file:line:column`, followed by where the file was included from, if it was.
    pub fn location_chain(&self) -> String {
        let here = format!("{}:{}:{}", self.file.display(), self.line, self.column);
        match &self.included_from {
            Some(up) => format!("{here}, included from {up}"),
            None => here,
        }
    }

    fn suffix(&self) -> String {
        match &self.included_from {
            Some(up) => format!(" (in a file included from {up})"),
            None => String::new(),
        }
    }
}

/// A profile file's text, for locating diagnostics in it.
pub struct Source {
    pub path: PathBuf,
    pub text: String,
    /// Where this file was included from (see [`Diagnostic::location_chain`]).
    pub included_from: Option<String>,
}

impl Source {
    /// A diagnostic at `span` of this file.
    pub fn at(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            included_from: self.included_from.clone(),
            ..Diagnostic::at(&self.path, &self.text, span, message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}{}",
            self.file.display(),
            self.line,
            self.column,
            self.message,
            self.suffix()
        )
    }
}

impl std::error::Error for Diagnostic {}

/// What a [`Warning`] is about, so that a caller that sees several files can tell which
/// warnings another file answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// A profile without attachments: no program ever runs under it.
    NoAttachment,
    /// Network endpoint rules, but no inet or inet6 socket may be created.
    NetworkWithoutSockets,
    /// Unix rules (abstract names, peers, or `connect` on paths), but no unix socket may be
    /// created.
    UnixWithoutSockets,
    /// A signal, ptrace or unix peer that names no profile of the file.
    UnknownPeer(String),
    /// A profile that another file of the same command defines too.
    DefinedTwice(String),
}

/// A rule that compiles but can never take effect, located in its source text.
#[derive(Clone, Debug)]
pub struct Warning {
    pub kind: WarningKind,
    pub diagnostic: Diagnostic,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.diagnostic;
        write!(
            f,
            "{}:{}:{}: warning: {}{}",
            d.file.display(),
            d.line,
            d.column,
            d.message,
            d.suffix()
        )
    }
}
