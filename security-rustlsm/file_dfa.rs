// SPDX-License-Identifier: GPL-2.0-only

//! The file-rules section of a profile: one deterministic automaton over path bytes that
//! `lsmctl` compiles from all of the profile's path rules, shared by the kernel and `lsmctl`.
//!
//! A lookup costs one step per path byte, whatever the number of rules. Each state has a
//! default transition and explicit edges for the byte classes that go elsewhere: the states
//! `**` leaves behind, where long paths spend most of their bytes, send nearly every class to
//! one state and so store one or two edges instead of one per class. A step scans a state's
//! few edges or, past eight, searches them. There are no fallback chains (a default is a
//! plain transition, taken at most once per byte), so a walk is bounded by the path's length
//! by construction, and [`verify`] checks every index before the kernel accepts the table.
//!
//! ```text
//! 0 num_states u32 (state 0 is the dead state)  4 num_edges u32  8 start u32
//! 12 num_classes u16  14 reserved u16 (0)  16 class_map [u8; 256]
//! 272 num_states x { first_edge u32, default u32, allow u32, deny u32 }
//! then num_edges x class u8, then num_edges x next u32
//! ```

/// Size of the fixed part of the section.
pub const HEADER_LEN: usize = 16 + 256;
/// Size of one state entry.
pub const STATE_LEN: usize = 16;
/// Where a state entry's default transition is.
pub const STATE_DEFAULT: usize = 4;
/// Where a state entry's allow mask is.
pub const STATE_ALLOW: usize = 8;
/// Where a state entry's deny mask is.
pub const STATE_DENY: usize = 12;
/// Most states one profile's automaton may have.
pub const MAX_STATES: u32 = 1 << 20;
/// Most edges one profile's automaton may have.
pub const MAX_EDGES: u32 = 1 << 22;

/// States with at most this many edges are scanned rather than searched.
const LINEAR_SCAN: usize = 8;

/// Why a table was refused, with the offset in the section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DfaFault {
    /// The section's length does not match its counts.
    Length,
    /// State or edge count zero or over the limits, or a class count over 256.
    Counts,
    /// The start state is out of range.
    Start,
    /// A byte maps to a class that does not exist.
    ClassMap,
    /// The dead state has edges, leaves itself or grants something.
    DeadState,
    /// A state's edges start before the previous state's, or past the end.
    EdgeRange,
    /// A state's edge classes are not strictly increasing or out of range.
    EdgeClass,
    /// An edge or a default transition leads to a state that does not exist.
    EdgeTarget,
    /// An access mask has bits the format does not define.
    Access,
}

#[inline]
fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s: &[u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(*s))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    let s: &[u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(*s))
}

/// A view of a verified file-rules section.
#[derive(Clone, Copy)]
pub struct FileDfa<'a> {
    num_states: usize,
    num_edges: usize,
    num_classes: usize,
    start: usize,
    class_map: &'a [u8; 256],
    states: &'a [u8],
    edge_class: &'a [u8],
    edge_next: &'a [u8],
}

impl<'a> FileDfa<'a> {
    /// Splits `section` into its tables; `None` if the lengths do not add up.
    pub fn new(section: &'a [u8]) -> Option<Self> {
        let num_states = le32(section, 0)? as usize;
        let num_edges = le32(section, 4)? as usize;
        let start = le32(section, 8)? as usize;
        let num_classes = usize::from(le16(section, 12)?);
        let class_map = section.get(16..HEADER_LEN)?.try_into().ok()?;
        let states_len = num_states.checked_mul(STATE_LEN)?;
        let states_end = HEADER_LEN.checked_add(states_len)?;
        let classes_end = states_end.checked_add(num_edges)?;
        let next_end = classes_end.checked_add(num_edges.checked_mul(4)?)?;
        if next_end != section.len() {
            return None;
        }
        Some(FileDfa {
            num_states,
            num_edges,
            num_classes,
            start,
            class_map,
            states: section.get(HEADER_LEN..states_end)?,
            edge_class: section.get(states_end..classes_end)?,
            edge_next: section.get(classes_end..next_end)?,
        })
    }

    /// The (allowed, denied) masks of state `s`.
    fn masks(&self, s: usize) -> Option<(u32, u32)> {
        let at = s.checked_mul(STATE_LEN)?;
        Some((
            le32(self.states, at + STATE_ALLOW)?,
            le32(self.states, at + STATE_DENY)?,
        ))
    }

    /// The state after `state` on a byte of class `class` (0 is the dead state); `None` if the
    /// table is malformed, which [`verify`] rules out.
    ///
    /// This is the walk's inner loop: index arithmetic wraps instead of failing, as every
    /// read is bounds-checked anyway and an unverified table can only mislead the walk, not
    /// crash it.
    #[inline]
    fn step(&self, state: usize, class: u8) -> Option<usize> {
        let at = state.wrapping_mul(STATE_LEN);
        let first = le32(self.states, at)? as usize;
        // The edges end where the next state's begin; the last state's end with the table.
        let end =
            le32(self.states, at.wrapping_add(STATE_LEN)).map_or(self.num_edges, |e| e as usize);
        let classes = self.edge_class.get(first..end)?;
        // A verified state's classes strictly increase. Most states have a handful of edges
        // (a literal run has one), which a scan finds sooner than a search.
        let k = if classes.len() <= LINEAR_SCAN {
            classes.iter().position(|&c| c == class)
        } else {
            classes.binary_search(&class).ok()
        };
        match k {
            Some(k) => le32(self.edge_next, first.wrapping_add(k).wrapping_mul(4)),
            None => le32(self.states, at.wrapping_add(STATE_DEFAULT)),
        }
        .map(|n| n as usize)
    }

    /// The (allowed, denied) access masks for `path`. Unknown paths get `(0, 0)`.
    pub fn lookup(&self, path: &[u8]) -> (u32, u32) {
        self.lookup_parts(&[path])
    }

    /// [`Self::lookup`] for the path the concatenation of `parts` spells, without building
    /// it.
    pub fn lookup_parts(&self, parts: &[&[u8]]) -> (u32, u32) {
        self.masks(self.state_after(parts)).unwrap_or((0, 0))
    }

    /// The state the walk of the path `parts` spell ends in (0, the dead state, once no
    /// rule can match). Two paths that end in the same state give every continuation the
    /// same answer (and in a minimal automaton, as lsmctl builds, only those do).
    pub fn state_after(&self, parts: &[&[u8]]) -> usize {
        let mut state = self.start;
        for &b in parts.iter().flat_map(|p| p.iter()) {
            let class = self.class_map[usize::from(b)];
            match self.step(state, class) {
                Some(0) | None => return 0,
                Some(next) => state = next,
            }
        }
        state
    }

    /// Number of states and edges, for reports.
    pub fn size(&self) -> (usize, usize) {
        (self.num_states, self.num_edges)
    }
}

/// Verifies a file-rules section whose allow masks may only use the bits in `allow_known`
/// and deny masks those in `deny_known`.
pub fn verify(section: &[u8], allow_known: u32, deny_known: u32) -> Result<(), (DfaFault, usize)> {
    let dfa = FileDfa::new(section).ok_or((DfaFault::Length, 0))?;
    let num_classes = dfa.num_classes;
    if dfa.num_states == 0
        || dfa.num_states > MAX_STATES as usize
        || dfa.num_edges > MAX_EDGES as usize
        || num_classes == 0
        || num_classes > 256
    {
        return Err((DfaFault::Counts, 0));
    }
    if le16(section, 14) != Some(0) {
        return Err((DfaFault::Counts, 14));
    }
    if dfa.start >= dfa.num_states {
        return Err((DfaFault::Start, 8));
    }
    if let Some(i) = dfa
        .class_map
        .iter()
        .position(|&c| usize::from(c) >= num_classes)
    {
        return Err((DfaFault::ClassMap, 16 + i));
    }
    // One pass over the states in order, reading each entry once; a state's edges end where
    // the next state's begin.
    let edges_at = HEADER_LEN + dfa.num_states * STATE_LEN;
    let mut previous_first = 0;
    let mut entries = dfa.states.chunks_exact(STATE_LEN).enumerate().peekable();
    while let Some((s, entry)) = entries.next() {
        let at = HEADER_LEN + s * STATE_LEN;
        let field = |offset| le32(entry, offset).ok_or((DfaFault::Length, at));
        let (first, default) = (field(0)? as usize, field(STATE_DEFAULT)? as usize);
        let (allow, deny) = (field(STATE_ALLOW)?, field(STATE_DENY)?);
        let end = match entries.peek() {
            Some((_, next)) => le32(next, 0).ok_or((DfaFault::Length, at))? as usize,
            None => dfa.num_edges,
        };
        if first < previous_first || first > dfa.num_edges || (s == 0 && first != 0) {
            return Err((DfaFault::EdgeRange, at));
        }
        previous_first = first;
        if default >= dfa.num_states {
            return Err((DfaFault::EdgeTarget, at + STATE_DEFAULT));
        }
        if allow & !allow_known != 0 || deny & !deny_known != 0 {
            return Err((DfaFault::Access, at + STATE_ALLOW));
        }
        if end < first || end > dfa.num_edges {
            return Err((DfaFault::EdgeRange, at));
        }
        if s == 0 && (end != first || default != 0 || allow != 0 || deny != 0) {
            return Err((DfaFault::DeadState, at));
        }
        let classes = dfa
            .edge_class
            .get(first..end)
            .ok_or((DfaFault::Length, at))?;
        let mut last_class: Option<u8> = None;
        for (k, &class) in classes.iter().enumerate() {
            if usize::from(class) >= num_classes || last_class.is_some_and(|l| class <= l) {
                return Err((DfaFault::EdgeClass, edges_at + first + k));
            }
            last_class = Some(class);
        }
    }
    // Every edge leads to a state that exists: one pass over the targets.
    for (e, next) in dfa.edge_next.chunks_exact(4).enumerate() {
        let next = le32(next, 0).ok_or((DfaFault::Length, edges_at))?;
        if next as usize >= dfa.num_states {
            return Err((DfaFault::EdgeTarget, edges_at + dfa.num_edges + e * 4));
        }
    }
    Ok(())
}
