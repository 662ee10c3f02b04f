//! Diagnostics that point at a place in a profile file: `file:line:column: message`.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// An error in a profile, located in its source text.
#[derive(Debug)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
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
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for Diagnostic {}
