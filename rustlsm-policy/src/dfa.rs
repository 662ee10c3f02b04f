//! Compiles a profile's path rules into one deterministic automaton, so the kernel decides an
//! access in time proportional to the path's length, whatever the number of rules.
//!
//! Each rule's glob is a small nondeterministic automaton over pattern positions (the same
//! semantics as `wire::glob_match`); the subset construction below merges all of them. A DFA
//! state carries the union of the access masks of the allow rules and of the deny rules whose
//! pattern ends there. Bytes that no pattern names literally behave alike, so the automaton
//! runs over byte classes, not bytes. The result is minimized (minimize.rs) and
//! each state given its most frequent target as default transition, so that it stores only
//! the edges that leave it.

use crate::minimize::minimize;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// One glob and what it grants or refuses.
#[derive(Clone, Debug)]
pub struct DfaRule<'a> {
    pub pattern: &'a [u8],
    pub allow: u32,
    pub deny: u32,
}

/// A compiled automaton, in the shape the wire format stores. State 0 is the dead state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dfa {
    /// Byte to class.
    pub class_map: [u8; 256],
    pub num_classes: u16,
    pub start: u32,
    /// Per state: (first edge, default transition, allow mask, deny mask).
    pub states: Vec<(u32, u32, u32, u32)>,
    /// Edges for the classes that do not take the state's default transition, grouped by
    /// state and sorted by class within a state.
    pub edge_class: Vec<u8>,
    pub edge_next: Vec<u32>,
}

/// Why a rule set cannot be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DfaError {
    /// More distinct literal bytes than classes fit in a byte.
    TooManyClasses,
    /// The automaton would exceed the given number of states.
    TooManyStates(usize),
    /// The automaton would exceed the given number of edges.
    TooManyEdges(usize),
}

impl std::fmt::Display for DfaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DfaError::TooManyClasses => write!(f, "the patterns use too many distinct bytes"),
            DfaError::TooManyEdges(n) => write!(
                f,
                "the path rules compile to more than {n} automaton edges; \
                 fewer `*`/`**` patterns that overlap would help"
            ),
            DfaError::TooManyStates(n) => write!(
                f,
                "the path rules compile to more than {n} automaton states; \
                 fewer `*`/`**` patterns that overlap would help"
            ),
        }
    }
}

/// One position of one rule's pattern: a state of the combined NFA.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
struct Pos {
    rule: u32,
    at: u32,
}

/// A multiply-rotate hasher (FxHash's scheme) for the sets of positions: the subset
/// construction hashes every set it reaches, often hundreds of positions long, and SipHash's
/// resistance to chosen keys buys nothing against patterns the compiler's own caller wrote.
#[derive(Default)]
struct SetHasher(u64);

impl SetHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for SetHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.add(u64::from(b)));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

fn token_len(p: &[u8], at: usize) -> usize {
    if p.get(at) == Some(&b'*') && p.get(at + 1) == Some(&b'*') {
        2
    } else {
        1
    }
}

/// The tokens of `pattern`: (start, width), a `**` being one token of width 2.
fn tokens(pattern: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < pattern.len() {
        let width = token_len(pattern, at);
        out.push((at, width));
        at += width;
    }
    out
}

/// Per position of `pattern`, how many bytes before it can match a `/` (a literal `/` or
/// either byte of a `**`).
fn crossings_of(pattern: &[u8]) -> Vec<u32> {
    let mut out = vec![0; pattern.len() + 1];
    let mut count = 0;
    for (at, width) in tokens(pattern) {
        if width == 2 || pattern[at] == b'/' {
            count += width as u32;
        }
        out[at + 1..=at + width].fill(count);
    }
    out
}

/// The rules' patterns as one NFA whose states are pattern positions.
struct Nfa<'r> {
    rules: &'r [DfaRule<'r>],
    /// Per rule and position, the running count of bytes before it that can match a `/` (a
    /// literal `/` or either byte of a `**`): a stretch between two positions that counts
    /// none matches only strings without `/`.
    crossings: Vec<Vec<u32>>,
    /// Per rule and position, the position that stands for it: the first one, over all
    /// rules, with the same rest of pattern and the same grants. Brace expansions and
    /// common tails reach the same future through different rules; one position for all
    /// keeps the construction from telling their combinations apart.
    shared: Vec<Vec<Pos>>,
}

impl<'r> Nfa<'r> {
    fn new(rules: &'r [DfaRule<'r>]) -> Self {
        let crossings = rules.iter().map(|r| crossings_of(r.pattern)).collect();
        // A rest of pattern is named by its first token and the name of what follows, so
        // naming every position costs its pattern's length, not the sum of its suffixes.
        let mut names: HashMap<(u32, u32, u32), u32> = HashMap::new();
        let mut first: Vec<Pos> = Vec::new();
        let mut shared = Vec::with_capacity(rules.len());
        for (rule, r) in rules.iter().enumerate() {
            let p = r.pattern;
            let mut own = vec![Pos { rule: 0, at: 0 }; p.len() + 1];
            let mut intern = |key: (u32, u32, u32), at: usize, own: &mut Vec<Pos>| {
                let next = first.len() as u32;
                let name = *names.entry(key).or_insert(next);
                if name == next {
                    first.push(Pos {
                        rule: rule as u32,
                        at: at as u32,
                    });
                }
                own[at] = first[name as usize];
                name
            };
            // The end of a pattern: what matching it grants and refuses.
            let mut name = intern((u32::MAX, r.allow, r.deny), p.len(), &mut own);
            for &(at, width) in tokens(p).iter().rev() {
                let token = if width == 2 { 256 } else { u32::from(p[at]) };
                name = intern((token, name, 0), at, &mut own);
            }
            shared.push(own);
        }
        Nfa {
            rules,
            crossings,
            shared,
        }
    }

    fn pattern(&self, rule: u32) -> &'r [u8] {
        self.rules[rule as usize].pattern
    }

    /// Adds `at` and every position reachable from it through stars matching nothing.
    fn close(&self, rule: u32, mut at: usize, out: &mut Vec<Pos>) {
        let p = self.pattern(rule);
        loop {
            out.push(self.shared[rule as usize][at]);
            match p.get(at) {
                Some(b'*') => at += token_len(p, at),
                _ => return,
            }
        }
    }

    /// Where each position of `set` goes on byte `c`, as a canonical set.
    fn step(&self, set: &[Pos], c: u8, out: &mut Vec<Pos>) {
        out.clear();
        for pos in set {
            let p = self.pattern(pos.rule);
            let at = pos.at as usize;
            match p.get(at) {
                Some(b'*') if token_len(p, at) == 2 => self.close(pos.rule, at, out),
                Some(b'*') if c != b'/' => self.close(pos.rule, at, out),
                Some(b'?') if c != b'/' => self.close(pos.rule, at + 1, out),
                Some(&l) if l == c && l != b'*' && l != b'?' => self.close(pos.rule, at + 1, out),
                _ => {}
            }
        }
        self.canonical(out);
    }

    /// Sorts `set`, removes duplicates and drops every position whose future matches a
    /// later star position of the same rule in the set already accepts. A position `q`
    /// before a `**` at `k` matches `pattern[q..k]` then what `k` matches, and `k` absorbs
    /// any prefix; before a single `*` at `k`, the same holds when `pattern[q..k]` cannot
    /// match a `/`. Such a `q` changes neither what the state grants nor what any later
    /// state grants, but kept, it multiplies the sets the construction tells apart: a
    /// literal that overlaps itself after a star makes one set per combination of partial
    /// matches, hundreds of thousands of states that minimization then merges back.
    fn canonical(&self, set: &mut Vec<Pos>) {
        set.sort_unstable();
        set.dedup();
        let mut keep = set.len();
        let mut rule = u32::MAX;
        let (mut double_above, mut single_above) = (false, None);
        // Walk down, so every star above a position has been seen when it is judged.
        for i in (0..set.len()).rev() {
            let pos = set[i];
            if pos.rule != rule {
                rule = pos.rule;
                (double_above, single_above) = (false, None);
            }
            let crossings = &self.crossings[rule as usize];
            let at = pos.at as usize;
            let subsumed =
                double_above || single_above.is_some_and(|k: usize| crossings[k] == crossings[at]);
            if subsumed {
                continue;
            }
            keep -= 1;
            set[keep] = pos;
            let p = self.pattern(rule);
            if p.get(at) == Some(&b'*') {
                if token_len(p, at) == 2 {
                    double_above = true;
                } else {
                    single_above = Some(at);
                }
            }
        }
        set.drain(..keep);
    }
}

/// Byte classes: every byte a pattern names literally, and `/`, is its own class; all other
/// bytes share class 0.
fn classes(rules: &[DfaRule<'_>]) -> Result<([u8; 256], u16, Vec<u8>), DfaError> {
    let mut literal = [false; 256];
    literal[usize::from(b'/')] = true;
    for r in rules {
        for &b in r.pattern {
            if b != b'*' && b != b'?' {
                literal[usize::from(b)] = true;
            }
        }
    }
    let mut map = [0u8; 256];
    // Class 0 is "any other byte"; its representative is a byte no pattern names (if any).
    let other = (0..=255u8).find(|&b| !literal[usize::from(b)]);
    let mut reps = vec![other.unwrap_or(0)];
    for b in 0..=255u8 {
        if literal[usize::from(b)] {
            if reps.len() > 255 {
                return Err(DfaError::TooManyClasses);
            }
            map[usize::from(b)] = reps.len() as u8;
            reps.push(b);
        }
    }
    if other.is_none() {
        // Every byte is literal somewhere: class 0 is unused but kept, with no edges.
        reps[0] = 0;
    }
    Ok((map, reps.len() as u16, reps))
}

/// `pattern` with every run of two or more `*` written as one `**`: such a run contains a
/// `**` token and so matches any string, and the closure walk over a long run would otherwise
/// cost its length squared at every step.
fn collapse_star_runs(pattern: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut i = 0;
    while i < pattern.len() {
        let run = pattern[i..].iter().take_while(|&&b| b == b'*').count();
        match run {
            0 => {
                out.push(pattern[i]);
                i += 1;
            }
            1 => {
                out.push(b'*');
                i += 1;
            }
            _ => {
                out.extend_from_slice(b"**");
                i += run;
            }
        }
    }
    out
}

/// Compiles `rules`; refuses to grow past `max_states` states.
pub fn compile(rules: &[DfaRule<'_>], max_states: usize) -> Result<Dfa, DfaError> {
    let patterns: Vec<Vec<u8>> = rules
        .iter()
        .map(|r| collapse_star_runs(r.pattern))
        .collect();
    let rules: Vec<DfaRule<'_>> = rules
        .iter()
        .zip(&patterns)
        .map(|(r, pattern)| DfaRule { pattern, ..*r })
        .collect();
    let rules = &rules[..];
    let (class_map, num_classes, reps) = classes(rules)?;
    let other_used = (0..=255u8).any(|b| class_map[usize::from(b)] == 0);

    let mut ids: HashMap<Vec<Pos>, u32, BuildHasherDefault<SetHasher>> = HashMap::default();
    let mut sets: Vec<Vec<Pos>> = vec![Vec::new()]; // state 0: dead
    ids.insert(Vec::new(), 0);
    let nfa = Nfa::new(rules);
    let mut start_set = Vec::new();
    for r in 0..rules.len() {
        nfa.close(r as u32, 0, &mut start_set);
    }
    nfa.canonical(&mut start_set);
    let start = if start_set.is_empty() {
        0
    } else {
        ids.insert(start_set.clone(), 1);
        sets.push(start_set);
        1
    };

    let mut edges: Vec<BTreeMap<u8, u32>> = vec![BTreeMap::new(); sets.len()];
    let mut next_set = Vec::new();
    let mut i = 1;
    while i < sets.len() {
        for class in 0..num_classes {
            if class == 0 && !other_used {
                continue;
            }
            let c = reps[usize::from(class)];
            nfa.step(&sets[i], c, &mut next_set);
            if next_set.is_empty() {
                continue;
            }
            let id = match ids.get(&next_set) {
                Some(&id) => id,
                None => {
                    if sets.len() >= max_states {
                        return Err(DfaError::TooManyStates(max_states));
                    }
                    let id = sets.len() as u32;
                    ids.insert(next_set.clone(), id);
                    sets.push(next_set.clone());
                    edges.push(BTreeMap::new());
                    id
                }
            };
            edges[i].insert(class as u8, id);
        }
        i += 1;
    }

    drop(ids);
    // Every state's full row over the classes some byte maps to (a missing edge leads to
    // the dead state), and what it grants and refuses.
    let used: Vec<u8> = (0..num_classes)
        .filter(|&c| c != 0 || other_used)
        .map(|c| c as u8)
        .collect();
    let width = used.len();
    let mut rows = Vec::with_capacity(sets.len() * width);
    let mut masks = Vec::with_capacity(sets.len());
    for (set, out) in sets.iter().zip(&edges) {
        let (mut allow, mut deny) = (0, 0);
        for pos in set {
            let r = &rules[pos.rule as usize];
            if pos.at as usize == r.pattern.len() {
                allow |= r.allow;
                deny = crate::wire::join_denied(deny, r.deny);
            }
        }
        masks.push((allow, deny));
        rows.extend(used.iter().map(|c| out.get(c).copied().unwrap_or(0)));
    }
    drop(edges);
    drop(sets);
    let (block, blocks) = minimize(&rows, width, &masks);

    let mut dfa = Dfa {
        class_map,
        num_classes,
        start: block[start as usize],
        states: Vec::with_capacity(blocks),
        edge_class: Vec::new(),
        edge_next: Vec::new(),
    };
    let mut row = Vec::with_capacity(width);
    let mut scratch = Vec::with_capacity(width);
    // Blocks are numbered by their smallest state, so the first state of each new number is
    // its representative.
    for (s, &b) in block.iter().enumerate() {
        if b as usize != dfa.states.len() {
            continue;
        }
        row.clear();
        row.extend(
            rows[s * width..(s + 1) * width]
                .iter()
                .map(|&t| block[t as usize]),
        );
        scratch.clone_from(&row);
        let default = most_frequent(&mut scratch);
        let (allow, deny) = masks[s];
        dfa.states
            .push((dfa.edge_class.len() as u32, default, allow, deny));
        for (&class, &next) in used.iter().zip(&row) {
            if next != default {
                dfa.edge_class.push(class);
                dfa.edge_next.push(next);
            }
        }
    }
    Ok(dfa)
}

/// The value that occurs most often in `targets` (the smallest on a tie; 0 if empty): the
/// transition worth making a state's default.
fn most_frequent(targets: &mut [u32]) -> u32 {
    targets.sort_unstable();
    let mut best = (0, 0u32);
    for run in targets.chunk_by(|a, b| a == b) {
        if run.len() > best.0 {
            best = (run.len(), run[0]);
        }
    }
    best.1
}

impl Dfa {
    /// Runs the automaton over `path`: (allowed, denied) masks. Mirrors the kernel's walk.
    pub fn lookup(&self, path: &[u8]) -> (u32, u32) {
        let mut state = self.start as usize;
        for &b in path {
            if state == 0 {
                return (0, 0);
            }
            let class = self.class_map[usize::from(b)];
            let (first, default, _, _) = self.states[state];
            let end = self
                .states
                .get(state + 1)
                .map_or(self.edge_class.len(), |s| s.0 as usize);
            let first = first as usize;
            state = match self.edge_class[first..end].binary_search(&class) {
                Ok(k) => self.edge_next[first + k],
                Err(_) => default,
            } as usize;
        }
        (self.states[state].2, self.states[state].3)
    }
}
