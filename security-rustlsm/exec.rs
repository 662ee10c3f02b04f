// SPDX-License-Identifier: GPL-2.0-only

//! `bprm_creds_for_exec`: which profile a program runs under after `exec`.
//!
//! An unconfined task's program runs under the profile that claims it most specifically, if
//! any, unless the task named one for its next exec (see [`crate::attr`]). A confined task's
//! exec (which `file_open` already checked for `exec` access) follows its profile's rules: an
//! exec rule that names a profile moves the program to it (and refuses the exec when it is
//! not loaded, or does not map the program: a profile entered by name must name the program
//! it is entered by); otherwise the transition of the rule that allowed it applies: `inherit`
//! keeps the caller's profile, `profile` requires the program's own profile and refuses the
//! exec without one, and by default the program's own profile is used when it has one and
//! the caller's otherwise. An exec that the caller's rules do not allow, but its agent did,
//! keeps the caller's profile (see [`crate::exec_grant`]). A confined task never becomes
//! unconfined by executing something.

use crate::{
    access, cred_blob, exec_grant,
    path::ResolvedPath,
    policy::{self, Label, Profile},
    report, task,
    wire::{self, Mode, ProfileView},
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

/// Refuses the exec of the program at `path` under `view`'s profile for `info` (only logged
/// in complain mode, which then keeps the caller's profile).
fn refuse(view: &ProfileView<'_>, path: &[u8], info: &'static str) -> Result<Option<Arc<Label>>> {
    report::event(view, "exec", &Refused { path, info }, report::Kills::Yes);
    to_result(report::verdict(view.mode())).map(|()| None)
}

/// Whether `label`'s profile may be entered by executing the program at `path`: it must
/// grant `mmap_exec` on it (the kernel maps the program under the new profile), as SELinux
/// asks for an `entrypoint`. `lsmctl` grants it on a profile's attachments; a profile entered
/// by name must name the program itself, so no rule elsewhere can move any program into it.
fn may_enter(label: &Label, path: &ResolvedPath) -> bool {
    label.profile().is_some_and(|profile| {
        // Owner rules do not count: whether a program may enter a profile does not depend
        // on who owns it.
        let rules = access::path_masks(&profile.view(), path, true);
        rules.allowed & !rules.denied & wire::ACCESS_MMAP_EXEC != 0
    })
}

/// Whether `target`, the label that claims a program, is another than `caller`'s (a label
/// stays the same across replacements of its profile).
pub(crate) fn claimed_by_another(target: Option<&Label>, caller: &Label) -> bool {
    target.is_some_and(|label| !core::ptr::eq(label, caller))
}

/// What the new program's creds should hold: `Ok(Some(label))` to switch, `Ok(None)` to keep
/// what they inherited from the caller, or the error that refuses the exec. `by_agent`: the
/// caller's label, if its agent allowed the exec in `file_open`.
fn transition(
    caller: Option<&Arc<Profile>>,
    path: &ResolvedPath,
    by_agent: Option<&Label>,
) -> Result<Option<Arc<Label>>> {
    let bytes = path.bytes();
    let target = policy::attachment_for(bytes);
    let Some(caller) = caller else {
        return Ok(target);
    };
    let view = caller.view();
    // Owner rules allow no exec.
    let rules = access::path_masks(&view, path, true);
    let (allowed, denied) = (rules.allowed, rules.denied);
    // `file_open` allowed the exec by the path the file had then; what follows goes by the
    // path it has now, which must be one the caller may execute too (a rename in between
    // must not pick another rule's transition). Complain mode logged the open already.
    if allowed & !denied & wire::ACCESS_EXEC == 0 && view.mode() != Mode::Complain {
        // What the rules leave to an agent, the caller's agent allowed: its yes names no
        // profile, so the caller's stays. Not if the rules have since refused it (a deny
        // rule, a profile loaded meanwhile that no longer asks) or given the program to
        // another profile, whose choice is the rules'.
        if let Some(caller_label) = by_agent {
            let still_asked = access::rules_leave_to_agent(&view, path, denied, wire::ACCESS_EXEC);
            if still_asked && !claimed_by_another(target.as_deref(), caller_label) {
                return Ok(None);
            }
            return refuse(
                &view,
                bytes,
                "the rules no longer leave the exec to the agent that allowed it",
            );
        }
        return refuse(
            &view,
            bytes,
            "the program was moved since its exec was allowed",
        );
    }
    if let Some(name) = view.exec_target(path.for_rules(view.attach_disconnected())) {
        return match policy::label_named(name) {
            Some(label) if may_enter(&label, path) => Ok(Some(label)),
            Some(_) => refuse(
                &view,
                bytes,
                "the profile the exec rule names does not map it",
            ),
            None => refuse(
                &view,
                bytes,
                "the profile the exec rule names is not loaded",
            ),
        };
    }
    if allowed & wire::ACCESS_EXEC_INHERIT != 0 {
        return Ok(None);
    }
    if allowed & wire::ACCESS_EXEC_PROFILE != 0 && target.is_none() {
        return refuse(&view, bytes, "no profile claims the program");
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
    // Before any early return: a sandbox layer's agent may have allowed the exec of a task
    // that has no system profile.
    let by_label = exec_grant::exec_allowed(exec.file()).by_label;
    if Credential::with_current(cred_blob::has_on_exec) {
        if let Some(label) = cred_blob::take_on_exec(&mut exec.new_cred())? {
            return exec_chosen_profile(exec, label);
        }
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
    let by_agent = caller_label.as_deref().filter(|_| by_label);
    let Some(label) = transition(caller.as_ref(), &path, by_agent)? else {
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

/// The exec of an unconfined task that named the profile `label` for its next program: that
/// profile, whatever claims the program, if it may be entered so. A profile removed since is
/// no reason to run the program with less confinement than asked: the exec is refused (the
/// task may choose again, or clear its choice). The choice is used up when the exec succeeds.
fn exec_chosen_profile(exec: &mut ExecPrepare<'_>, label: Arc<Label>) -> Result {
    if label.profile().is_none() {
        report::policy_refusal("exec_attr", "the profile chosen for this exec was removed");
        return Err(EACCES);
    }
    let path = ResolvedPath::of_file(exec.file())?;
    if !may_enter(&label, &path) {
        report::policy_refusal("exec_attr", "the chosen profile does not map the program");
        return Err(EACCES);
    }
    may_switch(exec, None, &label, path.bytes())?;
    cred_blob::set_label(&mut exec.new_cred(), Some(label))
}
