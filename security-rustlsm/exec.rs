// SPDX-License-Identifier: GPL-2.0-only

//! `bprm_creds_for_exec`: which profile a program runs under after `exec`.
//!
//! An unconfined task's program runs under the profile that claims it most specifically, if
//! any, unless the task named one for its next exec (see [`crate::attr`]). A confined task's
//! exec (which `file_open` already checked for `exec` access) follows its profile's rules: an
//! exec rule that names a profile moves the program to it (and refuses the exec when it is
//! not loaded); otherwise the transition of the rule that allowed it applies: `inherit`
//! keeps the caller's profile, `profile` requires the program's own profile and refuses the
//! exec without one, and by default the program's own profile is used when it has one and
//! the caller's otherwise. A confined task never becomes unconfined by executing something.

use crate::{
    cred_blob,
    path::ResolvedPath,
    policy::{self, Label, Profile},
    report, task, wire,
};
use kernel::{
    bindings, cred::Credential, error::to_result, lsm::ExecPrepare, prelude::*, sync::Arc,
};

/// The object of a refused transition: the program and why.
struct Refused<'a> {
    path: &'a [u8],
    info: &'static str,
}

impl kernel::fmt::Display for Refused<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!(
            "path=\"{}\" info=\"{}\"",
            report::Quoted(self.path),
            self.info
        ))
    }
}

impl report::Object for Refused<'_> {
    fn audit(&self, record: &mut kernel::audit::Record) {
        record.field(c"path", self.path);
        record.field(c"info", self.info.as_bytes());
    }
}

/// What the new program's creds should hold: `Ok(Some(label))` to switch, `Ok(None)` to keep
/// what they inherited from the caller, or the error that refuses the exec.
fn transition(caller: Option<&Arc<Profile>>, path: &[u8]) -> Result<Option<Arc<Label>>> {
    let target = policy::attachment_for(path);
    let Some(caller) = caller else {
        return Ok(target);
    };
    let view = caller.view();
    if let Some(name) = view.exec_target(path) {
        if let Some(label) = policy::label_named(name) {
            return Ok(Some(label));
        }
        let why = Refused {
            path,
            info: "the profile the exec rule names is not loaded",
        };
        report::event(&view, "exec", &why, report::Kills::Yes);
        return to_result(report::verdict(view.mode())).map(|()| None);
    }
    let (allowed, _) = view.file_dfa().map_or((0, 0), |dfa| dfa.lookup(path));
    if allowed & wire::ACCESS_EXEC_INHERIT != 0 {
        return Ok(None);
    }
    if allowed & wire::ACCESS_EXEC_PROFILE != 0 && target.is_none() {
        let why = Refused {
            path,
            info: "no profile claims the program",
        };
        report::event(&view, "exec", &why, report::Kills::Yes);
        return to_result(report::verdict(view.mode())).map(|()| None);
    }
    Ok(target)
}

/// Whether the exec may move the task from `caller` to `target` (different labels) given how
/// it is run: under `no_new_privs` or with a shared `fs_struct` a confined task may not switch
/// profiles (AppArmor and SELinux refuse them too), and a traced task switches only if its
/// tracer may trace the new profile, or the tracer would control a program of a profile it
/// has no rights over (AppArmor's `may_change_ptraced_domain`).
fn may_switch(
    exec: &ExecPrepare<'_>,
    caller: Option<&Arc<Profile>>,
    target: &Label,
    path: &[u8],
) -> Result {
    let unsafe_bits = exec.unsafe_flags();
    // A task sharing its root, cwd and umask with the exec (`clone(CLONE_FS)`) would keep
    // steering the new profile's program: refused as under no_new_privs (SELinux refuses it).
    let why = if unsafe_bits & bindings::LSM_UNSAFE_NO_NEW_PRIVS != 0 {
        Some("no_new_privs forbids a profile change")
    } else if unsafe_bits & bindings::LSM_UNSAFE_SHARE != 0 {
        Some("a profile change with a shared fs_struct")
    } else {
        None
    };
    if let (Some(info), Some(view)) = (why, caller.map(|c| c.view())) {
        report::event(&view, "exec", &Refused { path, info }, report::Kills::No);
        return to_result(report::verdict_without_kill(view.mode(), EPERM));
    }
    if unsafe_bits & bindings::LSM_UNSAFE_PTRACE == 0 {
        return Ok(());
    }
    let Some(tracer) = current!().tracer() else {
        return Ok(());
    };
    to_result(task::with_task_profile(&tracer, |actor| {
        task::with_label_profile(target, |new| {
            task::decide(actor, new, "ptrace", true, task::Report::OnBehalf)
        })
    }))
}

/// `bprm_creds_for_exec`. A change of profile from a confined caller also makes the exec
/// secure (`AT_SECURE`), so the caller's `LD_PRELOAD`, `LD_AUDIT` and the like do not run
/// inside the new profile.
pub(crate) fn bprm_creds_for_exec(exec: &mut ExecPrepare<'_>) -> Result {
    if Credential::with_current(cred_blob::has_on_exec) {
        return exec_chosen_profile(exec);
    }
    if policy::is_empty() {
        return Ok(());
    }
    let caller_label = Credential::with_current(cred_blob::clone_label);
    let caller = caller_label.as_deref().and_then(Label::profile);
    if caller.is_none() && !policy::has_attachments() {
        // No profile claims any program, so an unconfined task stays unconfined.
        return Ok(());
    }
    let path = match ResolvedPath::of_file(exec.file()) {
        Ok(path) => path,
        // An unconfined task's exec is not refused for want of a path to attach by.
        Err(_) if caller.is_none() => return Ok(()),
        Err(e) => return Err(e),
    };
    let Some(label) = transition(caller.as_ref(), path.bytes())? else {
        return Ok(());
    };
    let same = caller_label
        .as_deref()
        .is_some_and(|c| core::ptr::eq(c, &*label));
    if !same {
        may_switch(exec, caller.as_ref(), &label, path.bytes())?;
        if caller.is_some() {
            exec.set_secure();
        }
    }
    cred_blob::set_label(&mut exec.new_cred(), Some(label))
}

/// The exec of an unconfined task that named the profile its next program runs under: that
/// profile, whatever claims the program, or a refusal if the profile was removed since. The
/// choice is used up when the exec succeeds.
fn exec_chosen_profile(exec: &mut ExecPrepare<'_>) -> Result {
    let label = cred_blob::take_on_exec(&mut exec.new_cred())?.ok_or(EINVAL)?;
    if label.profile().is_none() {
        report::policy_refusal("exec_attr", "the profile chosen for this exec was removed");
        return Err(EACCES);
    }
    let path = ResolvedPath::of_file(exec.file())?;
    may_switch(exec, None, &label, path.bytes())?;
    cred_blob::set_label(&mut exec.new_cred(), Some(label))
}
