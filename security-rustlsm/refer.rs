// SPDX-License-Identifier: GPL-2.0-only

//! A new name for a file may not let a confined task do more with the file than its old name
//! does. A hard link or a rename otherwise walks a file out from under a deny rule: with
//! `write` allowed on `/home/*/**` and denied on `/home/*/.bashrc`, a task that may link or
//! rename there would link `.bashrc` to `x` and write `x`, or rename it away, write it and
//! rename it back. Landlock's `REFER` right and AppArmor's link subset test close the same
//! door.
//!
//! What a name gives a file is what the rules allow there and do not deny, owner rules
//! counted for the file's owner, for the accesses to the file itself: the name operations
//! (create, delete, rename, link) are checked on each name already, and so is `write` on a
//! name a file is moved or linked to, which is what any exec transition there would follow.
//!
//! The files under a renamed directory change names with it. Their rules are compared
//! through the automata: a directory may move only where every path below it is judged as
//! below its old name (the automata reach the same state after `old/` and `new/`), or
//! where nothing below it is allowed at all.

use crate::{
    access::{path_masks, Rules},
    cred_blob,
    path::{ResolvedPath, Target},
    report::{self, Access, Kills, Quoted},
    wire,
};
use kernel::{cred::Credential, error::to_result, prelude::*};

/// The accesses to a file that its name decides (not the exec transitions, which qualify
/// `exec` rather than grant anything).
const CONTENT: u32 = wire::ACCESS_ALL
    & !(wire::ACCESS_CREATE
        | wire::ACCESS_DELETE
        | wire::ACCESS_RENAME
        | wire::ACCESS_LINK
        | wire::ACCESS_EXEC_INHERIT
        | wire::ACCESS_EXEC_PROFILE);

/// Checks, for the current task, that the file at `from` gains no access by being named
/// `to` as well (a link) or instead (a rename), nor, for a `directory`, any file below it,
/// under its profile and each layer of its sandbox. `op` names the operation in the report.
pub(crate) fn check_current(op: &str, from: Target<'_>, to: Target<'_>, directory: bool) -> Result {
    Credential::with_current(|cred| {
        let Some(confinement) = cred_blob::confinement(cred) else {
            return Ok(());
        };
        let (mut old, mut new) = (ResolvedPath::empty(), ResolvedPath::empty());
        from.resolve(&mut old)?;
        to.resolve(&mut new)?;
        let names = Names {
            cred,
            old: &old,
            from,
            new: &new,
            to,
            directory,
        };
        if let Some(profile) = confinement.label().and_then(|label| label.profile()) {
            names.check(&Rules::system(profile.view()), op)?;
        }
        for layer in confinement.domain().into_iter().flat_map(|d| d.layers()) {
            names.check(&Rules::layer(layer), op)?;
        }
        Ok(())
    })
}

/// The two names of one file, rendered, and the task that names it.
struct Names<'a> {
    cred: &'a Credential,
    old: &'a ResolvedPath,
    from: Target<'a>,
    new: &'a ResolvedPath,
    to: Target<'a>,
    /// Whether the file is a directory, whose files move with it.
    directory: bool,
}

impl Names<'_> {
    /// What `rules` let the task do to the file at `path` (the target `target`).
    fn gives(&self, rules: &Rules<'_>, path: &ResolvedPath, target: Target<'_>) -> u32 {
        let decision = path_masks(rules, path, self.cred.is_current())
            .for_owner(CONTENT, || target.owned_by(self.cred));
        decision.allowed & !decision.denied & CONTENT
    }

    /// Refuses (in `rules`' mode) if the new name gives more than the old one, or if below
    /// a directory's new name the rules differ.
    fn check(&self, rules: &Rules<'_>, op: &str) -> Result {
        let added = self.gives(rules, self.new, self.to) & !self.gives(rules, self.old, self.from);
        let disconnected = rules.attach_disconnected();
        let below_differs = self.directory
            && !rules.same_below(
                self.old.for_rules(disconnected),
                self.new.for_rules(disconnected),
            );
        if added == 0 && !below_differs {
            return Ok(());
        }
        let what = Widening {
            new: self.new.bytes(),
            old: self.old.bytes(),
            added,
            below_differs,
        };
        report::event_in(rules, op, &what, Kills::Yes);
        to_result(report::verdict(rules.mode()))
    }
}

/// The object of a refused link or rename: the new name, the old one, the accesses the new
/// name would add (`path="/home/u/x" from="/home/u/.bashrc" adds=w`), and, for a directory
/// whose new name the rules below differ from, `below=differs`.
struct Widening<'a> {
    new: &'a [u8],
    old: &'a [u8],
    added: u32,
    below_differs: bool,
}

impl kernel::fmt::Display for Widening<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!(
            "path=\"{}\" from=\"{}\"",
            Quoted(self.new),
            Quoted(self.old)
        ))?;
        if self.added != 0 {
            f.write_fmt(fmt!(" adds={}", Access(self.added)))?;
        }
        if self.below_differs {
            f.write_str(" below=differs")?;
        }
        Ok(())
    }
}

impl report::Object for Widening<'_> {
    fn audit(&self, record: &mut kernel::audit::Record) {
        record.field(c"path", self.new);
        record.field(c"from", self.old);
        if self.added != 0 {
            record.field(c"adds", Access(self.added).letters().as_slice());
        }
        if self.below_differs {
            record.field(c"below", b"differs");
        }
    }
}
