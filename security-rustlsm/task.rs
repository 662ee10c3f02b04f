// SPDX-License-Identifier: GPL-2.0-only

//! Signals and ptrace between tasks: a confined task may signal or trace only tasks under its
//! own profile and the peers its profile names; an unconfined task may trace a confined one
//! only if that profile allows it. On top of that, a sandboxed task reaches only tasks of its
//! own sandbox or of one nested in it ([`scope`]): to signal, trace, and change their limits
//! or scheduling.

use crate::{
    access::Rules,
    cred_blob::{self, Confinement},
    policy::{Label, Profile},
    report,
    sandbox::Domain,
    wire::ProfileView,
};
use kernel::{bindings, cred::Credential, error::to_result, ffi::c_int, prelude::*, task::Task};

/// Runs `f` on the profile of the task whose creds are `cred` (`None`: unconfined).
pub(crate) fn with_cred_profile<R>(
    cred: &Credential,
    f: impl FnOnce(Option<ProfileView<'_>>) -> R,
) -> R {
    cred_blob::with_label(cred, |label| match label {
        Some(label) => with_label_profile(label, f),
        None => f(None),
    })
}

/// Runs `f` on `label`'s current profile (`None` once it was removed). Never sleeps.
pub(crate) fn with_label_profile<R>(
    label: &Label,
    f: impl FnOnce(Option<ProfileView<'_>>) -> R,
) -> R {
    label.with_profile(|p| f(p.map(Profile::view)))
}

/// Runs `f` on the profile of `task` (its objective creds, held for the call). Never sleeps.
pub(crate) fn with_task_profile<R>(task: &Task, f: impl FnOnce(Option<ProfileView<'_>>) -> R) -> R {
    with_cred_profile(&task.objective_cred(), f)
}

/// The object of a signal or ptrace decision: the other task's profile.
struct Peer<'a> {
    what: &'a str,
    name: Option<&'a [u8]>,
}

impl kernel::fmt::Display for Peer<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let name = kernel::str::BStr::from_bytes(self.name.unwrap_or(b"unconfined"));
        f.write_fmt(fmt!("{}=\"{}\"", self.what, name))
    }
}

impl report::Object for Peer<'_> {
    fn audit(&self, record: &mut kernel::audit::Record) {
        let key = if self.what == "tracer" {
            c"tracer"
        } else {
            c"target"
        };
        record.field(key, self.name.unwrap_or(b"unconfined"));
    }
}

/// How a decision may be reported and enforced.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Report {
    /// Logged, and enforced in the profile's mode (kill mode kills).
    Full,
    /// Logged, but never killed for: the act is done on the actor's behalf by another task
    /// (SIGIO delivery, a USB async I/O completion), which kill mode must not hit.
    OnBehalf,
    /// A probe the caller asked not to audit (`PTRACE_MODE_NOAUDIT`, e.g. `/proc/PID/stat`
    /// hiding fields): refused in enforce and kill mode alike, never logged or killed for.
    Quiet,
}

/// A refusal in `mode` that never kills: complain mode allows, the others refuse.
fn refuse_without_kill(mode: crate::wire::Mode) -> c_int {
    match mode {
        crate::wire::Mode::Complain => 0,
        _ => EPERM.to_errno(),
    }
}

/// Decides whether `actor` may act (`trace` or signal) on `target`.
pub(crate) fn decide(
    actor: Option<ProfileView<'_>>,
    target: Option<ProfileView<'_>>,
    op: &str,
    trace: bool,
    how: Report,
) -> c_int {
    let target_name = target.map(|t| t.name());
    match actor {
        Some(actor) => {
            let allowed = if trace {
                actor.may_trace(target_name)
            } else {
                actor.may_signal(target_name)
            };
            if allowed {
                return 0;
            }
            if how == Report::Quiet {
                return refuse_without_kill(actor.mode());
            }
            let peer = Peer {
                what: "target",
                name: target_name,
            };
            if how == Report::OnBehalf {
                report::event(&actor, op, &peer, report::Kills::No);
                return refuse_without_kill(actor.mode());
            }
            report::event(&actor, op, &peer, report::Kills::Yes);
            report::verdict_with(actor.mode(), EPERM)
        }
        // Unconfined tasks signal freely; they trace a confined task only if it allows it.
        None => match target {
            Some(target) if trace && !target.traced_by_unconfined() => {
                if how != Report::Quiet {
                    let peer = Peer {
                        what: "tracer",
                        name: None,
                    };
                    report::event(&target, "traced", &peer, report::Kills::No);
                }
                // The refused party is the tracer, not the confined task: never kill it.
                refuse_without_kill(target.mode())
            }
            _ => 0,
        },
    }
}

/// Sandbox scoping: whether a task in `actor` may signal or trace (`op`) a task in `target`
/// (each `None` outside sandboxes). Each layer of `actor` refuses a target outside the domain
/// it made, reports it and answers in its own mode. Never sleeps, never kills.
pub(crate) fn scope(
    actor: Option<&Domain>,
    target: Option<&Domain>,
    op: &str,
    how: Report,
) -> c_int {
    let Some(actor) = actor else {
        return 0;
    };
    for layer in actor.layers() {
        if layer.encloses(target) {
            // Older layers made larger domains, which enclose the target too.
            return 0;
        }
        let rules = Rules::layer(layer);
        if how != Report::Quiet {
            let peer = Peer {
                what: "target",
                name: Some(b"outside the sandbox"),
            };
            report::event_in(&rules, op, &peer, report::Kills::No);
        }
        let rc = refuse_without_kill(rules.mode());
        if rc != 0 {
            return rc;
        }
    }
    0
}

/// The sandbox of `cred`, for [`scope`].
fn with_domain<R>(cred: &Credential, f: impl FnOnce(Option<&Domain>) -> R) -> R {
    let confinement = cred_blob::confinement(cred);
    f(confinement.as_deref().and_then(Confinement::sandbox))
}

/// Decides whether the task with creds `actor` may act on the task with creds `target`: its
/// system profile first ([`decide`]), then its sandbox's scope.
fn decide_between(
    actor: &Credential,
    target: &Credential,
    op: &str,
    trace: bool,
    how: Report,
) -> c_int {
    let rc = with_cred_profile(actor, |a| {
        with_cred_profile(target, |t| decide(a, t, op, trace, how))
    });
    if rc != 0 {
        return rc;
    }
    with_domain(actor, |a| with_domain(target, |t| scope(a, t, op, how)))
}

/// `task_kill`: `cred` is the sender's when the signal is sent on someone's behalf (USB
/// async I/O completion, possibly from interrupt context: refused, but never killing
/// whoever is running), otherwise the current task's. Threads of one process always signal
/// each other, even if one of them sandboxed itself alone: the C library's `set*id()`
/// wrappers signal every thread (Landlock's exception too).
pub(crate) fn task_kill(target: &Task, _sig: c_int, cred: Option<&Credential>) -> Result {
    let target_cred = || target.objective_cred();
    to_result(match cred {
        Some(cred) if cred_blob::is_confined(cred) => {
            decide_between(cred, &target_cred(), "signal", false, Report::OnBehalf)
        }
        Some(_) => 0,
        None => Credential::with_current(|cred| {
            if !cred_blob::is_confined(cred) {
                return 0;
            }
            let rc = with_cred_profile(cred, |actor| {
                if actor.is_none() {
                    return 0;
                }
                with_task_profile(target, |t| decide(actor, t, "signal", false, Report::Full))
            });
            // Thread group ids as the current task's pid namespace sees them: a task outside
            // it has none (0), unlike the current task.
            if rc != 0 || current!().tgid_nr_ns(None) == target.tgid_nr_ns(None) {
                return rc;
            }
            with_domain(cred, |a| {
                with_domain(&target_cred(), |t| scope(a, t, "signal", Report::Full))
            })
        }),
    })
}

/// `ptrace_access_check`: the current task wants to trace `child` (attach modes) or inspect
/// it (read modes: `/proc/PID/environ`, `maps`, `fd`, `kcmp()` ...).
///
/// A confined task may inspect exactly the tasks it may trace. Unconfined tasks inspect
/// freely: the profile's `traced_by_unconfined` guards attaching only, so that `ps`, `top`
/// and `lsof` run by an administrator keep working on confined programs. A sandboxed task
/// inspects only tasks of its sandbox, as Landlock has it.
pub(crate) fn ptrace_access_check(child: &Task, mode: u32) -> Result {
    let attach = mode & bindings::PTRACE_MODE_ATTACH != 0;
    let how = if mode & bindings::PTRACE_MODE_NOAUDIT != 0 {
        Report::Quiet
    } else {
        Report::Full
    };
    let op = if attach { "ptrace" } else { "ptrace_read" };
    to_result(Credential::with_current(|cred| {
        let rc = with_cred_profile(cred, |actor| {
            if !attach && actor.is_none() {
                return 0;
            }
            with_task_profile(child, |target| decide(actor, target, op, true, how))
        });
        if rc != 0 {
            return rc;
        }
        with_domain(cred, |a| {
            a.map_or(0, |_| {
                with_domain(&child.objective_cred(), |t| scope(a, t, op, how))
            })
        })
    }))
}

/// `ptrace_traceme`: the current task asks `parent` to trace it.
pub(crate) fn ptrace_traceme(parent: &Task) -> Result {
    to_result(Credential::with_current(|cred| {
        decide_between(&parent.objective_cred(), cred, "ptrace", true, Report::Full)
    }))
}

/// Scopes the current task's change to `target` as `op` (a sandboxed task may change only
/// tasks of its sandbox).
fn scope_current(target: &Task, op: &str) -> Result {
    to_result(Credential::with_current(|cred| {
        with_domain(cred, |a| {
            a.map_or(0, |_| {
                with_domain(&target.objective_cred(), |t| scope(a, t, op, Report::Full))
            })
        })
    }))
}

/// `task_setnice`: `setpriority()` on another task. A sandbox could otherwise starve every
/// task of its user outside it (`setpriority(PRIO_USER, ...)`). Never sleeps.
pub(crate) fn task_setnice(target: &Task, _nice: c_int) -> Result {
    scope_current(target, "setnice")
}

/// `task_setioprio`: `ioprio_set()` on another task. Never sleeps.
pub(crate) fn task_setioprio(target: &Task, _ioprio: c_int) -> Result {
    scope_current(target, "setioprio")
}

/// `task_setscheduler`: `sched_setscheduler()`, `sched_setattr()`, `sched_setaffinity()` on
/// another task.
pub(crate) fn task_setscheduler(target: &Task) -> Result {
    scope_current(target, "setscheduler")
}

/// `task_prlimit`: `prlimit()` on another task, which could cut an outside task's CPU time
/// (`RLIMIT_CPU`: the kernel then kills it) or descriptors. Reading is scoped like
/// `/proc/PID` inspection. Never sleeps.
pub(crate) fn task_prlimit(cred: &Credential, target: &Credential, _flags: u32) -> Result {
    to_result(with_domain(cred, |a| {
        a.map_or(0, |_| {
            with_domain(target, |t| scope(a, t, "prlimit", Report::Full))
        })
    }))
}

/// `task_setpgid`: a sandboxed task may put a task (itself or a child) only in a new group
/// of that task's own. Joining an existing group could join its caller's shell's, which the
/// shell puts back in the terminal's foreground when the sandboxed command ends: a task left
/// behind there would read what the user types next (`TIOCSPGRP` is refused for the same
/// reason). Runs under `tasklist_lock` with interrupts off: never sleeps.
pub(crate) fn task_setpgid(target: &Task, pgid: c_int) -> Result {
    if pgid == 0 || pgid == target.pid_nr_ns(None) {
        return Ok(());
    }
    // Every layer refuses a group it cannot vouch for (complain-mode layers report it).
    to_result(Credential::with_current(|cred| {
        with_domain(cred, |a| scope(a, None, "setpgid", Report::Full))
    }))
}
