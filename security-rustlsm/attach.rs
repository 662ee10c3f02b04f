// SPDX-License-Identifier: GPL-2.0-only

//! Which profile claims a program: the attachments of every loaded profile, indexed so that
//! exec finds the few that can match without a lock and in time that does not grow with the
//! number of profiles; and which label a profile name stands for, for exec rules that name
//! a profile, found the same way.
//!
//! Each attachment is filed under its literal prefix (its bytes up to the first wildcard;
//! all of it for an exact path), in sorted order. Only an attachment whose literal prefix is
//! a prefix of the program's path can match it, and those prefixes are found by a few binary
//! searches (see [`AttachIndex::claimant`]); just those attachments are then matched as
//! globs. The index is rebuilt on every policy change, before the change takes effect, and
//! published through an RCU slot (see [`crate::policy`]).

use crate::{glob, policy::Label, wire::ProfileView};
use kernel::{prelude::*, sync::Arc};

/// One attachment of one profile.
struct Entry {
    /// Where the pattern starts in [`AttachIndex::patterns`].
    start: usize,
    /// The pattern's length.
    len: usize,
    /// The length of its literal prefix.
    prefix: usize,
    /// How specific its claim is ([`crate::wire::attachment_specificity`]).
    specificity: usize,
    /// Its profile's label, as an index into [`AttachIndex::labels`] (in load order).
    label: usize,
}

/// Every attachment of the loaded profiles, sorted by literal prefix, and their names.
pub(crate) struct AttachIndex {
    patterns: KVVec<u8>,
    entries: KVVec<Entry>,
    labels: KVec<Arc<Label>>,
    /// Each label's profile name (where it starts in `patterns`, its length, the label),
    /// sorted by name.
    names: KVec<(usize, usize, usize)>,
}

/// The length of the literal prefix of `pattern`: its bytes before the first wildcard.
fn literal_prefix(pattern: &[u8]) -> usize {
    pattern
        .iter()
        .position(|b| matches!(b, b'*' | b'?'))
        .unwrap_or(pattern.len())
}

/// The length of the longest common prefix of `a` and `b`.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl AttachIndex {
    /// Indexes the attachments of `profiles`, given in load order with their labels.
    pub(crate) fn build<'a>(
        profiles: impl Iterator<Item = (&'a Arc<Label>, Option<ProfileView<'a>>)>,
    ) -> Result<Self> {
        let mut index = AttachIndex {
            patterns: KVVec::new(),
            entries: KVVec::new(),
            labels: KVec::new(),
            names: KVec::new(),
        };
        for (label, view) in profiles {
            let Some(view) = view else { continue };
            let id = index.labels.len();
            index.labels.push(label.clone(), GFP_KERNEL)?;
            let name = (index.patterns.len(), view.name().len(), id);
            index.patterns.extend_from_slice(view.name(), GFP_KERNEL)?;
            index.names.push(name, GFP_KERNEL)?;
            for pattern in view.attachments() {
                let entry = Entry {
                    start: index.patterns.len(),
                    len: pattern.len(),
                    prefix: literal_prefix(pattern),
                    specificity: crate::wire::attachment_specificity(pattern),
                    label: id,
                };
                index.patterns.extend_from_slice(pattern, GFP_KERNEL)?;
                index.entries.push(entry, GFP_KERNEL)?;
            }
        }
        let patterns = &index.patterns;
        let prefix = |e: &Entry| patterns.get(e.start..e.start + e.prefix).unwrap_or(&[]);
        index
            .entries
            .sort_unstable_by(|a, b| prefix(a).cmp(prefix(b)));
        let name = |&(start, len, _): &(usize, usize, usize)| {
            patterns.get(start..start + len).unwrap_or(&[])
        };
        index.names.sort_unstable_by(|a, b| name(a).cmp(name(b)));
        Ok(index)
    }

    /// The label of the profile called `name`, if one is loaded. Takes no lock and does not
    /// sleep.
    pub(crate) fn named(&self, name: &[u8]) -> Option<Arc<Label>> {
        let of = |&(start, len, _): &(usize, usize, usize)| {
            self.patterns.get(start..start + len).unwrap_or(&[])
        };
        let found = self.names.binary_search_by(|n| of(n).cmp(name)).ok()?;
        let (_, _, label) = self.names.get(found)?;
        self.labels.get(*label).cloned()
    }

    /// Whether no profile has an attachment: exec then need not render the program's path.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn pattern(&self, e: &Entry) -> &[u8] {
        self.patterns.get(e.start..e.start + e.len).unwrap_or(&[])
    }

    fn prefix(&self, e: &Entry) -> &[u8] {
        self.pattern(e).get(..e.prefix).unwrap_or(&[])
    }

    /// The label of the profile that claims the program at `path` most specifically (the
    /// first loaded of equals), if any. Takes no lock and does not sleep.
    ///
    /// The literal prefixes that are prefixes of `path` are found from the longest down:
    /// the greatest prefix not above `query` (initially `path`) either is a prefix of it, and
    /// then no longer one exists, so the search goes on below its length; or it shares only
    /// some first bytes with `query`, and then no prefix of `query` longer than those exists
    /// either. Each step shortens `query`, so there are at most as many steps as bytes in
    /// `path`, and as many as there are matching prefixes (plus misses) in practice.
    pub(crate) fn claimant(&self, path: &[u8]) -> Option<Arc<Label>> {
        // (specificity, label) of the best claim so far.
        let mut best: Option<(usize, usize)> = None;
        let mut query = path;
        loop {
            let end = self.entries.partition_point(|e| self.prefix(e) <= query);
            let Some(found) = end.checked_sub(1).and_then(|i| self.entries.get(i)) else {
                break;
            };
            let prefix = self.prefix(found);
            if !query.starts_with(prefix) {
                query = query.get(..common_prefix(prefix, query)).unwrap_or(&[]);
                continue;
            }
            let same_prefix = self.entries.get(..end).unwrap_or(&[]).iter().rev();
            for e in same_prefix.take_while(|e| self.prefix(e) == prefix) {
                // The literal prefix matched; the rest of the pattern starts at a wildcard.
                let rest = self.pattern(e).get(e.prefix..).unwrap_or(&[]);
                let tail = path.get(e.prefix..).unwrap_or(&[]);
                let better = best
                    .is_none_or(|(s, l)| e.specificity > s || (e.specificity == s && e.label < l));
                if better && glob::glob_match(rest, tail) {
                    best = Some((e.specificity, e.label));
                }
            }
            match prefix.len().checked_sub(1) {
                Some(shorter) => query = query.get(..shorter).unwrap_or(&[]),
                None => break,
            }
        }
        best.and_then(|(_, label)| self.labels.get(label).cloned())
    }
}
