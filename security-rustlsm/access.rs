// SPDX-License-Identifier: GPL-2.0-only

//! The two shapes of decision the hooks make: may the task with these credentials have these
//! accesses to this path ([`check_path`]), and may it do this other thing ([`check_with`])?
//!
//! A task may be confined twice: by the system profile it runs under and by the layers of
//! the sandbox it stacked on itself ([`crate::sandbox`]). Each set of [`Rules`] is asked in
//! turn, and the first that refuses (in its own mode) decides.

use crate::{
    ask,
    cred_blob::{self, Confinement},
    decision_cache::{self, Decision},
    exec,
    path::{ResolvedPath, Target},
    policy::{self, Label},
    report::{self, Kills},
    sandbox::{self, Domain},
    wire::{self, Mode, ProfileView},
};
use core::ops::Deref;
use kernel::{cred::Credential, error::to_result, ffi::c_int, prelude::*, sync::ArcBorrow};

/// The rules one decision consults: a system profile's, or the newest layer of a sandbox
/// domain. Reads as the [`ProfileView`] of those rules.
pub(crate) struct Rules<'a> {
    view: ProfileView<'a>,
    sandbox: Option<&'a Domain>,
}

impl<'a> Rules<'a> {
    /// The rules of a system profile.
    pub(crate) fn system(view: ProfileView<'a>) -> Self {
        Rules {
            view,
            sandbox: None,
        }
    }

    /// The rules of `domain`'s newest layer.
    pub(crate) fn layer(domain: &'a Domain) -> Self {
        Rules {
            view: domain.rules(),
            sandbox: Some(domain),
        }
    }

    /// The sandbox domain these rules are a layer of (`None`: a system profile's).
    pub(crate) fn sandbox(&self) -> Option<&'a Domain> {
        self.sandbox
    }
}

impl<'a> Deref for Rules<'a> {
    type Target = ProfileView<'a>;

    fn deref(&self) -> &ProfileView<'a> {
        &self.view
    }
}

/// Checks `requested` (`wire::ACCESS_*` bits) on `target`, on behalf of `cred`. Unconfined
/// tasks return at once, before any path is resolved; a confined task's refusal is reported
/// and answered by its profile's mode (see [`report::verdict`]).
#[inline]
pub(crate) fn check_path(
    cred: &Credential,
    op: &str,
    requested: u32,
    target: Target<'_>,
) -> Result {
    decide_path(
        cred,
        op,
        || requested,
        target,
        Strictness::Rules,
        ask::Wait::Never,
    )
}

/// [`check_path`] for `open`, whose requested accesses take work to find (worked out only
/// for a task with a label, so that unconfined tasks skip it), and the one hook where a task
/// may wait for the agent its profile asks (`wait`, see [`crate::ask`]).
#[inline]
pub(crate) fn check_open(
    cred: &Credential,
    requested: impl FnOnce() -> u32,
    target: Target<'_>,
    wait: ask::Wait<'_>,
) -> Result {
    decide_path(cred, "open", requested, target, Strictness::Rules, wait)
}

/// How strictly a path decision holds.
#[derive(Clone, Copy, PartialEq)]
enum Strictness {
    /// The rules decide; a sandbox layer leaves alone a file opened outside its domain.
    Rules,
    /// The rules decide, also for a file opened outside a layer's domain: for what a file
    /// held from before the sandbox must not do from inside it (take the terminal).
    HeldToo,
    /// Refused whatever the rules say.
    Always,
}

/// [`check_path`] on behalf of the current task.
pub(crate) fn check_current_path(op: &str, requested: u32, target: Target<'_>) -> Result {
    Credential::with_current(|cred| check_path(cred, op, requested, target))
}

/// [`check_current_path`] where an agent's earlier answer may settle what the rules leave
/// to it (`wait`: [`ask::Wait::ExecMapping`]).
pub(crate) fn check_current_path_answered(
    op: &str,
    requested: u32,
    target: Target<'_>,
    wait: ask::Wait<'_>,
) -> Result {
    Credential::with_current(|cred| {
        decide_path(cred, op, || requested, target, Strictness::Rules, wait)
    })
}

/// [`check_current_path`] that holds for files opened outside a sandbox too (see
/// [`decide_for_domain`]).
pub(crate) fn check_current_path_held_too(op: &str, requested: u32, target: Target<'_>) -> Result {
    Credential::with_current(|cred| {
        let strictness = Strictness::HeldToo;
        decide_path(cred, op, || requested, target, strictness, ask::Wait::Never)
    })
}

/// Refuses `requested` on `target` to a confined current task whatever its profile says
/// (reported and answered by its mode like any refusal); unconfined tasks are not concerned.
pub(crate) fn refuse_current_path(op: &str, requested: u32, target: Target<'_>) -> Result {
    Credential::with_current(|cred| {
        let strictness = Strictness::Always;
        decide_path(cred, op, || requested, target, strictness, ask::Wait::Never)
    })
}

/// What `view`'s file rules and owner rules say of `path`. For the current task, a file
/// under its own procfs pid directory is also matched as `/proc/self/...`: what either name
/// allows is allowed, and what either denies is denied.
pub(crate) fn path_masks(view: &ProfileView<'_>, path: &ResolvedPath, current: bool) -> Decision {
    let rendered = path.for_rules(view.attach_disconnected());
    let (mut allowed, mut denied) = view.file_masks(rendered);
    let mut owner_allowed = view.owner_masks(rendered);
    if let Some(alias) = path.own_proc_alias().filter(|_| current) {
        let parts = alias.parts();
        let (a, d) = view.file_masks_parts(&parts);
        allowed |= a;
        denied = wire::join_denied(denied, d);
        owner_allowed |= view.owner_masks_parts(&parts);
    }
    Decision {
        allowed,
        denied,
        owner_allowed,
    }
}

/// The requested accesses `decision` refuses (all of them when `Always`) for a file that is
/// (`internal`) or is not on an internal mount. Files of internal mounts (pipes, sockets,
/// pidfds, memfds, namespace files) are made by their own system calls and have no path to
/// write rules for, so only executing them is mediated (by the name they show,
/// `/memfd:x (deleted)`), as AppArmor leaves them out of path mediation (`path_mediated_fs`).
fn refusal(decision: &Decision, internal: bool, requested: u32, strictness: Strictness) -> u32 {
    let always = strictness == Strictness::Always;
    if internal && requested & (wire::ACCESS_EXEC | wire::ACCESS_MMAP_EXEC) == 0 {
        0
    } else if always {
        requested
    } else {
        requested & (!decision.allowed | decision.denied)
    }
}

/// The body of [`check_path`] and its stricter forms. Unconfined tasks
/// return here, in the hook itself: the test is all they pay (`inline(always)`: at opt-level
/// `s` a plain hint left it a call).
#[inline(always)]
fn decide_path(
    cred: &Credential,
    op: &str,
    requested: impl FnOnce() -> u32,
    target: Target<'_>,
    strictness: Strictness,
    wait: ask::Wait<'_>,
) -> Result {
    match cred_blob::confinement(cred) {
        Some(confinement) => {
            let requested = requested();
            decide_confined(&confinement, cred, op, requested, target, strictness, wait)
        }
        None => Ok(()),
    }
}

/// [`decide_path`] for a confined task: its system profile decides first, then each layer of
/// its sandbox. An agent is asked only once no other rules refuse what it would allow.
fn decide_confined(
    confinement: &Confinement,
    cred: &Credential,
    op: &str,
    requested: u32,
    target: Target<'_>,
    strictness: Strictness,
    wait: ask::Wait<'_>,
) -> Result {
    if confinement.label().is_some() {
        decide_for_label(confinement, cred, op, requested, target, strictness, wait)?;
    }
    match confinement.domain() {
        Some(domain) if requested != 0 => {
            decide_for_domain(domain, cred, op, requested, target, strictness, wait)
        }
        _ => Ok(()),
    }
}

/// The confinement of the opener of `target`, if it is an open file (`None` otherwise).
fn opener_of(target: Target<'_>) -> Option<Option<ArcBorrow<'_, Confinement>>> {
    match target {
        Target::File(file) => Some(cred_blob::confinement(file.cred())),
        _ => None,
    }
}

/// Whether `target`, whose opener's confinement is `opener`, is a file opened outside the
/// domain of `layer`, which the layer leaves alone (see [`decide_for_domain`]).
fn opened_outside(
    layer: &Domain,
    opener: &Option<Option<ArcBorrow<'_, Confinement>>>,
    strictness: Strictness,
) -> bool {
    strictness == Strictness::Rules
        && opener
            .as_ref()
            .is_some_and(|opener| !layer.encloses(opener.as_deref().and_then(Confinement::sandbox)))
}

/// Whether a layer of `domain` refuses `requested` on `target` (rendered as `path`) for
/// `cred` whatever any agent says: it refuses, enforcing, what its own agent is not asked
/// about. Reports nothing: the layers report when they decide, after the system profile.
fn layers_refuse(
    domain: &Domain,
    cred: &Credential,
    path: &ResolvedPath,
    requested: u32,
    target: Target<'_>,
) -> bool {
    let opener = opener_of(target);
    domain.layers().any(|layer| {
        if opened_outside(layer, &opener, Strictness::Rules) {
            return false;
        }
        let rules = Rules::layer(layer);
        let said = path_masks(&rules, path, cred.is_current());
        let decision = said.for_owner(requested, || target.owned_by(cred));
        let refused = refusal(&decision, path.is_internal(), requested, Strictness::Rules);
        let asks = layer.listener().is_some()
            && left_to_agent(&rules, path, &decision, refused, Strictness::Rules, cred);
        refused != 0 && rules.mode() != Mode::Complain && !asks
    })
}

/// [`decide_path`] for the layers of a sandbox, newest first. Their decisions are not kept
/// on open files: layers are few, and each is one walk of the same rendered path.
///
/// An open file that was opened outside a layer's domain (before the sandbox was made, as
/// its terminal was) keeps the rights it was opened with: a layer governs what its tasks
/// open, as a Landlock domain does. Files handed in later are checked as they arrive
/// (`file_receive`).
fn decide_for_domain(
    domain: &Domain,
    cred: &Credential,
    op: &str,
    requested: u32,
    target: Target<'_>,
    strictness: Strictness,
    wait: ask::Wait<'_>,
) -> Result {
    let opener = opener_of(target);
    let opened_outside = |layer: &Domain| opened_outside(layer, &opener, strictness);
    if domain.layers().all(opened_outside) {
        return Ok(());
    }
    let mut path = ResolvedPath::empty();
    target.resolve(&mut path)?;
    // Layers whose agent is to be asked wait until every layer has decided: no person is
    // asked about what another layer refuses.
    let mut left: [Option<(&Domain, Refused)>; sandbox::MAX_LAYERS] = [None; sandbox::MAX_LAYERS];
    for (i, layer) in domain.layers().enumerate() {
        if opened_outside(layer) {
            continue;
        }
        let rules = Rules::layer(layer);
        let said = path_masks(&rules, &path, cred.is_current());
        let decision = said.for_owner(requested, || target.owned_by(cred));
        let refused = refusal(&decision, path.is_internal(), requested, strictness);
        if refused == 0 {
            report_audited(&rules, op, &path, &decision, requested);
            continue;
        }
        let asks = layer.listener().is_some()
            && left_to_agent(&rules, &path, &decision, refused, strictness, cred);
        let facts = Refused {
            said,
            decision,
            requested,
            refused,
            strictness,
        };
        match left.get_mut(i) {
            Some(slot) if asks => *slot = Some((layer, facts)),
            _ => refuse_in_layer(layer, cred, op, &path, &facts, None)?,
        }
    }
    for (layer, facts) in left.into_iter().flatten() {
        let Some(listener) = layer.listener() else {
            continue;
        };
        let question = ask::Question {
            view: &layer.rules(),
            serial: layer.layer().serial(),
            op,
            object: ask::Asked::File(&path),
            asked: put_to_agent(facts.refused),
        };
        if let Err(why) = ask::ask(&question, ask::Whose::Layer(listener), cred, wait) {
            refuse_in_layer(layer, cred, op, &path, &facts, Some(why))?;
        }
    }
    Ok(())
}

/// One layer's refusal of `refused` (of `requested`), as its rules said it (`said`, and
/// `decision` once owner rules were counted).
#[derive(Clone, Copy)]
struct Refused {
    said: Decision,
    decision: Decision,
    requested: u32,
    refused: u32,
    strictness: Strictness,
}

/// Reports the refusal `facts` on `path` by the newest layer of `layer` and answers it by
/// the layer's mode; `asked` says why its agent did not allow it, if it was asked. Kill
/// mode kills only the current task, and only for an access its agent refused or was not
/// asked about.
fn refuse_in_layer(
    layer: &Domain,
    cred: &Credential,
    op: &str,
    path: &ResolvedPath,
    facts: &Refused,
    asked: Option<ask::Refusal>,
) -> Result {
    let rules = Rules::layer(layer);
    let how = Kills::when(kills_asker(cred, asked));
    if logs_refusal(&rules, &facts.decision, facts.refused, facts.strictness) {
        let what = refusal_of(path, &facts.said, facts.requested, facts.refused, asked);
        report::denial_in(&rules, op, &what, how);
    }
    to_result(report::verdict_as(rules.mode(), how, EACCES))
}

/// Whether a refusal may kill the task that asked: `cred` are its own subjective
/// credentials, not ones it borrowed to act for someone else (`override_creds()`: overlayfs,
/// an io_uring personality), and an agent the access was put to refused it rather than could
/// not answer (`asked`).
fn kills_asker(cred: &Credential, asked: Option<ask::Refusal>) -> bool {
    cred.is_current()
        && asked.is_none_or(|why| why == ask::Refusal::Denied)
        && core::ptr::eq(cred.as_ptr(), current!().objective_cred().as_ptr())
}

/// [`decide_path`] for a task with a label.
///
/// A held file checked again under the same profile is decided from the decision kept the
/// last time (see [`decision_cache`]), without rendering its path, unless that decision
/// refuses: a refusal is reported with the path, so it takes the full check
/// ([`decide_for_label_fully`]). Only that fast part is inlined into the hook.
#[inline(always)]
fn decide_for_label(
    confinement: &Confinement,
    cred: &Credential,
    op: &str,
    requested: u32,
    target: Target<'_>,
    strictness: Strictness,
    wait: ask::Wait<'_>,
) -> Result {
    let Some(label) = confinement.label() else {
        return Ok(());
    };
    // Unconfined, nothing asked, or allowed by a kept decision: settled under RCU, without
    // taking a reference to the profile. Files of internal mounts are never kept.
    let settled = label.with_profile(|profile| {
        let Some(profile) = profile else {
            return true;
        };
        let key = target
            .held()
            .and_then(|held| decision_cache::Key::of(held, profile.serial()));
        let kept = key.as_ref().and_then(decision_cache::lookup);
        // An access the rules ask to log takes the full check, which renders its path.
        let settles = |kept: Decision| {
            let kept = kept.for_owner(requested, || target.owned_by(cred));
            refusal(&kept, false, requested, strictness) == 0
                && wire::audited(kept.allowed, requested) == 0
        };
        requested == 0 || kept.is_some_and(settles)
    });
    if settled {
        return Ok(());
    }
    decide_for_label_fully(confinement, cred, op, requested, target, strictness, wait)
}

/// [`decide_for_label`] for an access no kept decision settles: the path is rendered, the
/// rules walked, the refusal reported, and the agent asked if the rules leave it the access.
#[inline(never)]
fn decide_for_label_fully(
    confinement: &Confinement,
    cred: &Credential,
    op: &str,
    requested: u32,
    target: Target<'_>,
    strictness: Strictness,
    wait: ask::Wait<'_>,
) -> Result {
    let Some(label) = confinement.label() else {
        return Ok(());
    };
    let Some(profile) = label.profile() else {
        return Ok(());
    };
    // The key is sampled again, before the path is rendered: the profile may have been
    // replaced meanwhile, and the sample must come before the rendering it vouches for.
    let key = target
        .held()
        .and_then(|held| decision_cache::Key::of(held, profile.serial()));
    let mut path = ResolvedPath::empty();
    target.resolve(&mut path)?;
    let view = profile.view();
    let said = path_masks(&view, &path, cred.is_current());
    // procfs files, whose `/proc/self` name is per task, have no key (see `Key::of`).
    if let Some(key) = &key {
        decision_cache::store(key, said);
    }
    let decision = said.for_owner(requested, || target.owned_by(cred));
    let refused = refusal(&decision, path.is_internal(), requested, strictness);
    if refused == 0 {
        report_audited(&Rules::system(view), op, &path, &decision, requested);
        return Ok(());
    }
    let leaves_to_agent = left_to_agent(&view, &path, &decision, refused, strictness, cred)
        && exec_askable(label, &path, refused);
    // Nobody is asked about what the task's sandbox refuses anyway.
    let sandbox_refuses = || {
        confinement
            .domain()
            .is_some_and(|domain| layers_refuse(domain, cred, &path, requested, target))
    };
    let asked = if leaves_to_agent && sandbox_refuses() {
        Some(ask::Refusal::Sandbox)
    } else if leaves_to_agent {
        let question = ask::Question {
            view: &view,
            serial: profile.serial(),
            op,
            object: ask::Asked::File(&path),
            asked: put_to_agent(refused),
        };
        match ask::ask(&question, ask::Whose::System, cred, wait) {
            // The agent allowed it under the profile it was asked for. One loaded meanwhile
            // (a rule the agent added, an administrator's deny) decides afresh, without
            // waiting again.
            Ok(()) if label_serial(label) == Some(profile.serial()) => return Ok(()),
            Ok(()) => {
                let wait = ask::Wait::Never;
                return decide_for_label(
                    confinement,
                    cred,
                    op,
                    requested,
                    target,
                    strictness,
                    wait,
                );
            }
            Err(why) => Some(why),
        }
    } else {
        None
    };
    let how = Kills::when(kills_asker(cred, asked));
    if logs_refusal(&view, &decision, refused, strictness) {
        report::denial(
            &view,
            op,
            &refusal_of(&path, &said, requested, refused, asked),
            how,
        );
    }
    to_result(report::verdict_as(view.mode(), how, EACCES))
}

/// The record of the refusal of `refused` (of `requested`) on `path`, whose rules said
/// `said`: the refused accesses that owner rules allow are marked as for the owner only, and
/// why the agent they were put to did not allow them (`asked`), if they were.
pub(crate) fn refusal_of<'a>(
    path: &'a ResolvedPath,
    said: &Decision,
    requested: u32,
    refused: u32,
    asked: Option<ask::Refusal>,
) -> report::FileObject<'a> {
    report::FileObject {
        path: path.bytes(),
        requested,
        refused,
        owner_only: refused & said.owner_allowed & !said.denied & wire::ACCESS_ALL,
        asked,
    }
}

/// Whether `view` leaves every access of `refused` on `path` to its agent: its ask rules (or
/// its `ask` mode) name each, and no deny rule refuses any (explicit rules win over asking).
/// Only for what the rules decide (`strictness`), for the task's own access (a check on
/// another's credentials, a SIGIO owner's, has nobody to wait), and not in complain mode,
/// which lets the access through anyway. Worked out only once the rules refused, so allowed
/// accesses never walk the ask automaton.
fn left_to_agent(
    view: &ProfileView<'_>,
    path: &ResolvedPath,
    said: &Decision,
    refused: u32,
    strictness: Strictness,
    cred: &Credential,
) -> bool {
    if !view.asks()
        || strictness != Strictness::Rules
        || view.mode() == Mode::Complain
        || path.is_internal()
        || !cred.is_current()
        || !ask::may_ask_about(path)
    {
        return false;
    }
    rules_leave_to_agent(view, path, said.denied, refused)
}

/// Whether `view`'s rules leave every access of `refused` on `path` (and what comes with it,
/// see [`put_to_agent`]) to its agent: its ask rules or mode name each, and its deny rules
/// (`denied`) refuse none. The rules' part of [`left_to_agent`], which an exec checks again
/// when it runs (see [`crate::exec`]).
pub(crate) fn rules_leave_to_agent(
    view: &ProfileView<'_>,
    path: &ResolvedPath,
    denied: u32,
    refused: u32,
) -> bool {
    let rendered = path.for_rules(view.attach_disconnected());
    let left = view.ask_masks(rendered) & !denied & wire::ACCESS_ALL;
    put_to_agent(refused) & !left == 0
}

/// Whether the system profile's agent may be asked about `refused` on `path`: not about an
/// exec of a program another profile claims, since which profile it runs under is then the
/// rules' choice (an agent's yes keeps the caller's, see [`crate::exec`]).
fn exec_askable(label: &Label, path: &ResolvedPath, refused: u32) -> bool {
    refused & wire::ACCESS_EXEC == 0
        || !exec::claimed_by_another(policy::attachment_for(path.bytes()).as_deref(), label)
}

/// What the agent is asked for when `refused` is refused: those accesses, and with an exec
/// the mapping of the program that follows it, what an `exec` rule allows, so that a yes
/// answers for the exec whole (see [`crate::exec_grant`]). A deny rule on either keeps the
/// exec from being asked about.
fn put_to_agent(refused: u32) -> u32 {
    if refused & wire::ACCESS_EXEC != 0 {
        refused | wire::ACCESS_MMAP_EXEC
    } else {
        refused
    }
}

/// Whether the refusal of `refused` by `rules` is logged: always, unless deny rules marked
/// `quiet` refuse all of it, in enforce mode, for what the rules decide. Complain mode's
/// records are what happened (the access went through), kill mode's explain a killed task,
/// and a refusal the module makes whatever the rules say (`Strictness::Always`) is high
/// signal: none of them is quieted.
fn logs_refusal(
    rules: &ProfileView<'_>,
    decision: &Decision,
    refused: u32,
    strictness: Strictness,
) -> bool {
    !matches!(rules.mode(), Mode::Enforce | Mode::Ask)
        || strictness == Strictness::Always
        || !wire::quiet(decision.denied, refused)
}

/// Logs the accesses of `requested` that `decision` allowed and its rules asked to log
/// (`audit`), if any.
pub(crate) fn report_audited(
    rules: &Rules<'_>,
    op: &str,
    path: &ResolvedPath,
    decision: &Decision,
    requested: u32,
) {
    let audited = wire::audited(decision.allowed, requested);
    if audited != 0 {
        report::audited_in(rules, op, path.bytes(), audited);
    }
}

/// The serial of `label`'s current profile, if it has one.
fn label_serial(label: &Label) -> Option<u64> {
    label.with_profile(|profile| profile.map(|p| p.serial()))
}

/// Lets `decide` rule on the profile of `cred`, then on each layer of its sandbox; a
/// refusal is reported (when `log`) and answered by the refusing rules' mode with `error`
/// (kill mode kills only for a logged check of the current task's own creds). Unconfined
/// tasks return at once. Takes no lock, no reference and allocates nothing, so it serves
/// hooks that may not sleep.
pub(crate) fn check_with(
    cred: &Credential,
    op: &str,
    object: &dyn report::Object,
    error: Error,
    log: bool,
    decide: impl Fn(&Rules<'_>) -> bool,
) -> Result {
    // Kill mode kills only the task that asked, and never for a probe it asked not to
    // have audited (`CAP_OPT_NOAUDIT`): the checked creds may be another task's (a
    // netlink socket's opener, a SIGIO owner), and probes are routine.
    let kills = log && kills_asker(cred, None);
    judge_with(cred, op, object, error, log, kills, decide)
}

/// The body of [`check_with`], killing in kill mode only when `kills`.
fn judge_with(
    cred: &Credential,
    op: &str,
    object: &dyn report::Object,
    error: Error,
    log: bool,
    kills: bool,
    decide: impl Fn(&Rules<'_>) -> bool,
) -> Result {
    let Some(confinement) = cred_blob::confinement(cred) else {
        return Ok(());
    };
    let judge = |rules: &Rules<'_>| -> c_int {
        if decide(rules) {
            return 0;
        }
        let how = Kills::when(kills);
        if log {
            report::event_in(rules, op, object, how);
        }
        report::verdict_as(rules.mode(), how, error)
    };
    if let Some(label) = confinement.label() {
        to_result(
            label.with_profile(|profile| profile.map_or(0, |p| judge(&Rules::system(p.view())))),
        )?;
    }
    if let Some(domain) = confinement.domain() {
        for layer in domain.layers() {
            to_result(judge(&Rules::layer(layer)))?;
        }
    }
    Ok(())
}

/// [`check_with`] on behalf of the current task, logged and refused with `EACCES`: the
/// shape of the mount, socket and unix-socket decisions.
pub(crate) fn check_current_with(
    op: &str,
    object: &dyn report::Object,
    decide: impl Fn(&Rules<'_>) -> bool,
) -> Result {
    Credential::with_current(|cred| check_with(cred, op, object, EACCES, true, decide))
}

/// [`check_current_with`] that never kills, for refusals the module makes of calls that
/// are routine and harmless more often than not (clearing a socket's IP options).
pub(crate) fn check_current_without_kill(
    op: &str,
    object: &dyn report::Object,
    decide: impl Fn(&Rules<'_>) -> bool,
) -> Result {
    Credential::with_current(|cred| judge_with(cred, op, object, EACCES, true, false, decide))
}

/// [`check_current_with`] for a decision whose rules may leave a refusal to their agent
/// (endpoint operations): `decide` allows, `asks` says whether the rules put what they refuse
/// to their agent, which is then asked `requested` of `asked`, waiting as `wait` allows;
/// `object` is the record's object, given why an agent did not allow it. As for files, the
/// system profile decides first, its agent is not asked about what a sandbox layer refuses
/// anyway, and layers' agents are asked once every layer has decided.
pub(crate) fn check_current_asking<O: report::Object>(
    op: &str,
    asked: ask::Asked<'_>,
    requested: u32,
    wait: ask::Wait<'_>,
    object: impl Fn(Option<ask::Refusal>) -> O,
    decide: impl Fn(&Rules<'_>) -> bool,
    asks: impl Fn(&Rules<'_>) -> bool,
) -> Result {
    Credential::with_current(|cred| {
        let Some(confinement) = cred_blob::confinement(cred) else {
            return Ok(());
        };
        let check = AskingCheck {
            cred,
            op,
            asked,
            requested,
            object: &object,
            decide: &decide,
            asks: &asks,
        };
        if let Some(label) = confinement.label() {
            let allowed =
                label.with_profile(|p| p.is_none_or(|p| decide(&Rules::system(p.view()))));
            if !allowed {
                check.for_label(label, confinement.domain().map(|d| &**d), wait)?;
            }
        }
        match confinement.domain() {
            Some(domain) => check.for_domain(domain, wait),
            None => Ok(()),
        }
    })
}

/// One decision of [`check_current_asking`], on behalf of the current task (`cred`).
struct AskingCheck<'a, O> {
    cred: &'a Credential,
    op: &'a str,
    asked: ask::Asked<'a>,
    requested: u32,
    object: &'a dyn Fn(Option<ask::Refusal>) -> O,
    decide: &'a dyn Fn(&Rules<'_>) -> bool,
    asks: &'a dyn Fn(&Rules<'_>) -> bool,
}

impl<O: report::Object> AskingCheck<'_, O> {
    /// Whether `rules`, which refused, leave it to an agent (not in complain mode, which lets
    /// it through anyway).
    fn leaves_to_agent(&self, rules: &Rules<'_>) -> bool {
        rules.mode() != Mode::Complain && (self.asks)(rules)
    }

    /// Reports the refusal by `rules` (`asked`: why their agent did not allow it) and answers
    /// it by their mode.
    fn refuse(&self, rules: &Rules<'_>, asked: Option<ask::Refusal>) -> Result {
        let how = Kills::when(kills_asker(self.cred, asked));
        report::event_in(rules, self.op, &(self.object)(asked), how);
        to_result(report::verdict_as(rules.mode(), how, EACCES))
    }

    /// The system profile of `label`, which refused under RCU: decided again on a reference,
    /// and put to its agent if it leaves the refusal to one.
    fn for_label(&self, label: &Label, domain: Option<&Domain>, wait: ask::Wait<'_>) -> Result {
        let Some(profile) = label.profile() else {
            return Ok(());
        };
        let rules = Rules::system(profile.view());
        if (self.decide)(&rules) {
            return Ok(());
        }
        if !self.leaves_to_agent(&rules) {
            return self.refuse(&rules, None);
        }
        if domain.is_some_and(|d| self.layers_refuse(d)) {
            return self.refuse(&rules, Some(ask::Refusal::Sandbox));
        }
        let question = ask::Question {
            view: &rules,
            serial: profile.serial(),
            op: self.op,
            object: self.asked,
            asked: self.requested,
        };
        match ask::ask(&question, ask::Whose::System, self.cred, wait) {
            Ok(()) if label_serial(label) == Some(profile.serial()) => Ok(()),
            // A profile loaded meanwhile decides afresh, without waiting again: what it
            // leaves to its agent is asked anew (refused at once, the request delivered),
            // never killed for.
            Ok(()) => self.for_label(label, domain, ask::Wait::Never),
            Err(why) => self.refuse(&rules, Some(why)),
        }
    }

    /// Whether a layer of `domain` refuses whatever any agent says.
    fn layers_refuse(&self, domain: &Domain) -> bool {
        domain.layers().any(|layer| {
            let rules = Rules::layer(layer);
            !(self.decide)(&rules)
                && rules.mode() != Mode::Complain
                && !(layer.listener().is_some() && self.leaves_to_agent(&rules))
        })
    }

    /// The layers of `domain`, newest first; the agents of those that leave the refusal to
    /// one are asked after every layer decided.
    fn for_domain(&self, domain: &Domain, wait: ask::Wait<'_>) -> Result {
        let mut left: [Option<&Domain>; sandbox::MAX_LAYERS] = [None; sandbox::MAX_LAYERS];
        for (i, layer) in domain.layers().enumerate() {
            let rules = Rules::layer(layer);
            if (self.decide)(&rules) {
                continue;
            }
            let asks = layer.listener().is_some() && self.leaves_to_agent(&rules);
            match left.get_mut(i) {
                Some(slot) if asks => *slot = Some(layer),
                _ => self.refuse(&rules, None)?,
            }
        }
        for layer in left.into_iter().flatten() {
            let Some(listener) = layer.listener() else {
                continue;
            };
            let rules = Rules::layer(layer);
            let question = ask::Question {
                view: &rules,
                serial: layer.layer().serial(),
                op: self.op,
                object: self.asked,
                asked: self.requested,
            };
            if let Err(why) = ask::ask(&question, ask::Whose::Layer(listener), self.cred, wait) {
                self.refuse(&rules, Some(why))?;
            }
        }
        Ok(())
    }
}
