//! The `compile_profile` check: any text through lsmctl's compiler. It never panics, a
//! mistake in the text is reported at a place inside it, and a compiled policy passes the
//! kernel's verifier and says what its profiles say ([`crate::encoding::check`]).

use lsmctl::CompileError;
use std::path::Path;

/// Checks one input; bytes that are not UTF-8 are not profile text and are skipped.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("fuzz.toml");
    // Fuzzing reads no file: every include is refused, at its place in the text.
    let includes = lsmctl::IncludePath::none();
    match lsmctl::compile_with(file, text, &includes) {
        Ok(blob) => {
            let specs = lsmctl::profile::compile_with(file, text, &includes)
                .expect("compiled a moment ago")
                .profiles;
            crate::encoding::check(&specs, &blob);
        }
        Err(CompileError::Profile(d)) => {
            let lines = text.matches('\n').count() + 1;
            assert!((1..=lines).contains(&d.line) && d.column >= 1, "{d}");
            assert!(!d.message.is_empty());
        }
        Err(e @ CompileError::Encode { .. }) => assert!(!e.to_string().is_empty()),
    }
}
