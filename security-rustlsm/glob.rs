// SPDX-License-Identifier: GPL-2.0-only

//! Glob matching for profile attachments and abstract `AF_UNIX` names, shared by the kernel
//! and `lsmctl`.
//!
//! Attachments and abstract name patterns are few and matched once per `exec` or `connect`,
//! so they are matched directly; path rules, which are many and matched on every open, are
//! compiled into an automaton instead (see [`crate::file_dfa`]). All follow the same glob
//! semantics: `?` matches one byte other than `/`, `*` any run of bytes without `/`, `**` any
//! run of bytes, every other byte itself. The matcher gives `/` no other meaning, so a pattern
//! need not start with one (abstract names rarely do).

/// Longest pattern, in bytes; the matcher keeps one bit per pattern byte.
pub const MAX_PATTERN_LEN: usize = 255;

/// Whether `pattern` is a valid path pattern: absolute, 1 to [`MAX_PATTERN_LEN`] bytes, no NUL.
pub fn valid_pattern(pattern: &[u8]) -> bool {
    pattern.first() == Some(&b'/') && pattern.len() <= MAX_PATTERN_LEN && !pattern.contains(&0)
}

/// Longest abstract name pattern, in bytes: `sun_path` (108 bytes) less the leading NUL
/// byte that marks an abstract address.
pub const MAX_ABSTRACT_LEN: usize = 107;

/// Whether `pattern` is a valid abstract `AF_UNIX` name pattern (the name without its leading
/// NUL byte): 1 to [`MAX_ABSTRACT_LEN`] bytes, no NUL; it need not start with `/`.
pub fn valid_abstract_pattern(pattern: &[u8]) -> bool {
    !pattern.is_empty() && pattern.len() <= MAX_ABSTRACT_LEN && !pattern.contains(&0)
}

/// Whether `pattern` holds a wildcard (and so is less specific than an exact path).
pub fn is_glob(pattern: &[u8]) -> bool {
    pattern.iter().any(|b| matches!(b, b'*' | b'?'))
}

/// A set of pattern positions, one bit per byte offset (0 to [`MAX_PATTERN_LEN`]).
#[derive(Clone, Copy, PartialEq, Eq)]
struct PositionSet([u64; 4]);

impl PositionSet {
    const EMPTY: Self = PositionSet([0; 4]);

    fn insert(&mut self, pos: usize) {
        if let Some(word) = self.0.get_mut(pos / 64) {
            *word |= 1 << (pos % 64);
        }
    }

    fn contains(&self, pos: usize) -> bool {
        self.0
            .get(pos / 64)
            .is_some_and(|word| word & (1 << (pos % 64)) != 0)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
}

/// Width of the token at `pos`: 2 for `**`, otherwise 1.
fn token_len(pattern: &[u8], pos: usize) -> usize {
    if pattern.get(pos) == Some(&b'*') && pattern.get(pos + 1) == Some(&b'*') {
        2
    } else {
        1
    }
}

/// Adds to `set` every position reachable from `pos` through stars matching nothing.
///
/// A position already in `set` was added by this function, with everything after it, so the
/// walk stops there: each step then costs O(pattern length), even across runs of stars.
fn insert_closed(set: &mut PositionSet, pattern: &[u8], mut pos: usize) {
    loop {
        if set.contains(pos) {
            return;
        }
        set.insert(pos);
        match pattern.get(pos) {
            Some(b'*') => pos += token_len(pattern, pos),
            _ => return,
        }
    }
}

/// Matches `path` against a glob `pattern` (see [`valid_pattern`] and
/// [`valid_abstract_pattern`]) in time proportional to `path.len() * pattern.len()`, without
/// recursion or allocation: it runs the pattern as an automaton whose states are positions in
/// the pattern. `path` may hold any bytes, NUL included (`?` and `*` match a NUL). Patterns
/// over [`MAX_PATTERN_LEN`] bytes never match.
pub fn glob_match(pattern: &[u8], path: &[u8]) -> bool {
    if pattern.len() > MAX_PATTERN_LEN {
        return false;
    }
    let mut current = PositionSet::EMPTY;
    insert_closed(&mut current, pattern, 0);
    for &c in path {
        let mut next = PositionSet::EMPTY;
        for pos in 0..pattern.len() {
            if !current.contains(pos) {
                continue;
            }
            let Some(&p) = pattern.get(pos) else { continue };
            match p {
                b'*' if token_len(pattern, pos) == 2 => insert_closed(&mut next, pattern, pos),
                b'*' if c != b'/' => insert_closed(&mut next, pattern, pos),
                b'*' => {}
                b'?' if c != b'/' => insert_closed(&mut next, pattern, pos + 1),
                _ if p == c && p != b'?' => insert_closed(&mut next, pattern, pos + 1),
                _ => {}
            }
        }
        if next.is_empty() {
            return false;
        }
        current = next;
    }
    current.contains(pattern.len())
}
