// SPDX-License-Identifier: GPL-2.0-only

//! Reporting a refused (or, in complain mode, would-be refused) operation: one audit record
//! when audit is enabled, otherwise one rate-limited kernel-log line, with the same fields.

use crate::{
    access::Rules,
    cred_blob, repeats,
    sandbox::Domain,
    wire::{self, Mode, ProfileView},
};
use core::fmt::Write as _;
use kernel::audit::{self, Context, Record};
use kernel::{
    bindings,
    ffi::c_int,
    prelude::*,
    str::BStr,
    sync::atomic::{Atomic, Relaxed},
    task::Task,
};

/// A short byte string on the stack (an access mask's letters, a task's comm).
pub(crate) struct ShortBytes {
    bytes: [u8; 16],
    len: usize,
}

impl ShortBytes {
    fn new() -> Self {
        ShortBytes {
            bytes: [0; 16],
            len: 0,
        }
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// An access mask, rendered as letters.
pub(crate) struct Access(pub(crate) u32);

impl Access {
    pub(crate) fn letters(&self) -> ShortBytes {
        let mut out = ShortBytes::new();
        for (i, &letter) in wire::ACCESS_LETTERS.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                out.push(letter);
            }
        }
        out
    }
}

impl kernel::fmt::Display for Access {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!("{}", BStr::from_bytes(self.letters().as_slice())))
    }
}

/// What a decision was about, rendered both for the kernel log and for an audit record.
pub(crate) trait Object: kernel::fmt::Display {
    /// Appends the object's fields to the audit record.
    fn audit(&self, record: &mut Record);
}

/// Bytes for a quoted kernel-log field: printable ASCII as is, except `"` and `\\`, and
/// every other byte as `\\xNN`, so a file or command name cannot close the quotes and forge
/// fields (`a" profile="x`). Audit records escape on their own (`audit_log_untrustedstring`).
pub(crate) struct Quoted<'a>(pub(crate) &'a [u8]);

impl kernel::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        for &b in self.0 {
            if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                f.write_char(char::from(b))?;
            } else {
                f.write_fmt(fmt!("\\x{:02x}", b))?;
            }
        }
        Ok(())
    }
}

/// The object of a file decision: its path, the accesses asked and refused, and those of
/// the refused that owner rules allow to the file's owner (`owner_only`, logged if any: the
/// task does not own the file).
pub(crate) struct FileObject<'a> {
    pub(crate) path: &'a [u8],
    pub(crate) requested: u32,
    pub(crate) refused: u32,
    pub(crate) owner_only: u32,
    /// Why the agent the refused accesses were put to did not allow them, if they were.
    pub(crate) asked: Option<crate::ask::Refusal>,
}

impl kernel::fmt::Display for FileObject<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!(
            "path=\"{}\" requested={} denied={}",
            Quoted(self.path),
            Access(self.requested),
            Access(self.refused)
        ))?;
        if self.owner_only != 0 {
            f.write_fmt(fmt!(" owner_only={}", Access(self.owner_only)))?;
        }
        if let Some(asked) = self.asked {
            f.write_fmt(fmt!(" ask={}", asked.word()))?;
        }
        Ok(())
    }
}

impl Object for FileObject<'_> {
    fn audit(&self, record: &mut Record) {
        record.field(c"path", self.path);
        record.field(c"requested", Access(self.requested).letters().as_slice());
        record.field(c"denied", Access(self.refused).letters().as_slice());
        if self.owner_only != 0 {
            record.field(c"owner_only", Access(self.owner_only).letters().as_slice());
        }
        if let Some(asked) = self.asked {
            record.field(c"ask", asked.word().as_bytes());
        }
    }
}

/// Reports one file decision that refused `what`; `kills` as for [`event`].
pub(crate) fn denial(profile: &ProfileView<'_>, op: &str, what: &FileObject<'_>, kills: Kills) {
    denial_in(&Rules::system(*profile), op, what, kills);
}

/// [`denial`] by the rules of `rules`, a system profile's or a sandbox layer's.
pub(crate) fn denial_in(rules: &Rules<'_>, op: &str, what: &FileObject<'_>, kills: Kills) {
    event_in(rules, op, what, kills);
}

/// The object of a decision whose operation says it all (mount, user namespaces).
pub(crate) struct NoObject;

impl kernel::fmt::Display for NoObject {
    fn fmt(&self, _f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        Ok(())
    }
}

impl Object for NoObject {
    fn audit(&self, _record: &mut Record) {}
}

/// Whether a refusal in kill mode kills (and is reported as `KILLED`) or only refuses
/// (reported as `DENIED`); see [`verdict_without_kill`].
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Kills {
    Yes,
    No,
}

impl Kills {
    /// `Yes` when `kills`.
    pub(crate) fn when(kills: bool) -> Self {
        if kills {
            Kills::Yes
        } else {
            Kills::No
        }
    }
}

/// Kernel-log lines allowed per window while audit is off: a confined program in a loop must
/// not flood the log.
const LOG_BURST: u32 = 100;
/// The window, in milliseconds.
const LOG_WINDOW_MS: u32 = 5000;

/// A budget of [`LOG_BURST`] kernel-log lines per [`LOG_WINDOW_MS`], lock-free.
struct RateLimit {
    window_start: Atomic<usize>,
    in_window: Atomic<u32>,
    suppressed: Atomic<u32>,
    what: &'static str,
}

impl RateLimit {
    const fn new(what: &'static str) -> Self {
        RateLimit {
            window_start: Atomic::new(0),
            in_window: Atomic::new(0),
            suppressed: Atomic::new(0),
            what,
        }
    }

    /// Whether another kernel-log line fits in the current window.
    fn allowed(&self) -> bool {
        let now = kernel::time::jiffies();
        let start = self.window_start.load(Relaxed);
        if now.wrapping_sub(start) > kernel::time::msecs_to_jiffies(LOG_WINDOW_MS)
            && self.window_start.cmpxchg(start, now, Relaxed).is_ok()
        {
            self.in_window.store(0, Relaxed);
            let missed = self.suppressed.xchg(0, Relaxed);
            if missed > 0 {
                pr_notice!("{} {} messages suppressed\n", missed, self.what);
            }
        }
        if self.in_window.fetch_add(1, Relaxed) < LOG_BURST {
            true
        } else {
            self.suppressed.fetch_add(1, Relaxed);
            false
        }
    }
}

/// Denials, sandbox denials and policy refusals have separate budgets: a confined program
/// flooding the log with denials must not hide attempts on the policy interface, nor a
/// sandbox any user made the denials of system profiles.
static DENIALS: RateLimit = RateLimit::new("denial");
/// Allowed accesses that rules asked to log (`audit`) have a budget of their own, so that
/// they cannot crowd out denials.
static AUDITED: RateLimit = RateLimit::new("audited access");
static SANDBOX_DENIALS: RateLimit = RateLimit::new("sandbox denial");
static REFUSALS: RateLimit = RateLimit::new("policy refusal");

/// The thread id of `task` in the current task's pid namespace.
fn pid_of(task: &Task) -> i32 {
    task.pid_nr_ns(None)
}

/// The command name of `task`.
fn comm_of(task: &Task) -> ShortBytes {
    let mut out = ShortBytes::new();
    task.comm()
        .iter()
        .take_while(|&&b| b != 0)
        .for_each(|&b| out.push(b));
    out
}

/// Emits one `AUDIT_RUSTLSM_ACCESS` record: `rustlsm=VERDICT`, the fields `fill` writes, then
/// `task`'s pid and comm. `false` if audit could not take it (the caller logs instead).
/// Never sleeps.
fn audit_record(verdict: &CStr, task: &Task, fill: impl FnOnce(&mut Record)) -> bool {
    let kind = bindings::AUDIT_RUSTLSM_ACCESS;
    let Some(mut record) = Record::start(Context::Standalone, GFP_ATOMIC, kind) else {
        return false;
    };
    record.word(c"rustlsm", verdict);
    fill(&mut record);
    sign(&mut record, task);
    true
}

/// Emits the `AUDIT_MAC_POLICY_LOAD` record of a policy change by the current task `task`,
/// tied to its system call's records as other modules' policy loads are: `auid ses
/// lsm=rustlsm`, the fields `fill` writes, `res=1`, pid and comm. `false` if audit could not
/// take it. May sleep.
fn audit_policy_load(task: &Task, fill: impl FnOnce(&mut Record)) -> bool {
    let kind = bindings::AUDIT_MAC_POLICY_LOAD;
    let Some(mut record) = Record::start(Context::CurrentSyscall, GFP_KERNEL, kind) else {
        return false;
    };
    record.session();
    record.word(c"lsm", c"rustlsm");
    fill(&mut record);
    record.number(c"res", 1);
    sign(&mut record, task);
    true
}

/// Appends `task`'s pid and comm, the last fields of every record.
fn sign(record: &mut Record, task: &Task) {
    record.number(c"pid", i64::from(pid_of(task)));
    record.field(c"comm", comm_of(task).as_slice());
}

/// Emits the audit record of one decision; `false` if audit could not take it.
fn audit_event(
    verdict: &CStr,
    profile: &ProfileView<'_>,
    sandbox: Option<u64>,
    op: &str,
    object: &dyn Object,
) -> bool {
    audit_record(verdict, current!(), |r| {
        if let Some(id) = sandbox {
            r.number(c"sandbox", i64::try_from(id).unwrap_or(i64::MAX));
        }
        r.field(c"profile", profile.name());
        r.field(c"op", op.as_bytes());
        object.audit(r);
    })
}

/// The `sandbox=ID ` prefix of a layer's kernel-log line: a sandbox names its own profile,
/// so the id keeps it from passing for a system profile of the same name.
struct SandboxField(Option<u64>);

impl kernel::fmt::Display for SandboxField {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        match self.0 {
            Some(id) => f.write_fmt(fmt!("sandbox={} ", id)),
            None => Ok(()),
        }
    }
}

/// Reports one refusal (or, in complain mode, would-be refusal) by `profile` of `op` on
/// `object`, with the task that asked: an audit record when audit is enabled, otherwise a
/// rate-limited kernel-log line. Never sleeps.
pub(crate) fn event(profile: &ProfileView<'_>, op: &str, object: &dyn Object, kills: Kills) {
    emit(
        profile,
        None,
        op,
        object,
        Outcome::of(profile.mode(), kills),
    );
}

/// [`event`] for the rules of `rules`, a system profile's or a sandbox layer's.
pub(crate) fn event_in(rules: &Rules<'_>, op: &str, object: &dyn Object, kills: Kills) {
    let outcome = Outcome::of(rules.mode(), kills);
    emit(rules, rules.sandbox(), op, object, outcome);
}

/// [`event`] for the newest layer of `domain`, whose rules are `rules`; never kills.
pub(crate) fn layer_event(domain: &Domain, rules: &ProfileView<'_>, op: &str, object: &dyn Object) {
    let outcome = Outcome::of(rules.mode(), Kills::No);
    emit(rules, Some(domain), op, object, outcome);
}

/// Reports the accesses `audited` to `path`, which `rules` allowed and asked to log
/// (`audit`), as an `AUDIT` record.
pub(crate) fn audited_in(rules: &Rules<'_>, op: &str, path: &[u8], audited: u32) {
    let object = FileObject {
        path,
        requested: audited,
        refused: 0,
        owner_only: 0,
        asked: None,
    };
    emit(rules, rules.sandbox(), op, &object, Outcome::Audited);
}

/// What became of a request, as its record's first word says.
#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    /// Refused.
    Denied,
    /// Refused, and the task killed.
    Killed,
    /// Would have been refused; allowed in complain mode.
    Allowed,
    /// Allowed, and logged because a rule asked for it (`audit`).
    Audited,
}

impl Outcome {
    /// What a refusal under `mode` comes to.
    fn of(mode: Mode, kills: Kills) -> Self {
        match (mode, kills) {
            (Mode::Complain, _) => Outcome::Allowed,
            (Mode::Kill, Kills::Yes) => Outcome::Killed,
            (Mode::Enforce | Mode::Kill | Mode::Ask, _) => Outcome::Denied,
        }
    }

    fn word(self) -> &'static CStr {
        match self {
            Outcome::Denied => c"DENIED",
            Outcome::Killed => c"KILLED",
            Outcome::Allowed => c"ALLOWED",
            Outcome::Audited => c"AUDIT",
        }
    }
}

/// One decision as a line: the kernel log's words, and a sandbox's records.
struct Line<'a> {
    verdict: &'a CStr,
    sandbox: Option<u64>,
    profile: &'a [u8],
    op: &'a str,
    object: &'a dyn Object,
    pid: i32,
    comm: &'a [u8],
}

impl kernel::fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!(
            "{} {}profile=\"{}\" op={} {} pid={} comm=\"{}\"",
            BStr::from_bytes(self.verdict.to_bytes()),
            SandboxField(self.sandbox),
            BStr::from_bytes(self.profile),
            self.op,
            self.object,
            self.pid,
            Quoted(self.comm),
        ))
    }
}

/// Whether the current task runs in `domain` (or in a sandbox nested in it), by its own
/// credentials, not those it may borrow for the call (`override_creds()`).
fn current_is_in(domain: &Domain) -> bool {
    let cred = current!().objective_cred();
    let confinement = cred_blob::confinement(&cred);
    domain.encloses(confinement.as_deref().and_then(|c| c.sandbox()))
}

/// Hands `line` to the records of `domain`'s creator, if it asked for them, whatever the
/// log's budget (the ring bounds them). The creator is unprivileged and may learn of the
/// sandbox's own tasks only: a hook may run in another task's context (a SIGIO sent by
/// whoever made a file ready, an interrupt), whose pid and name are not the sandbox's to
/// tell, so such a line reads `pid=0 comm="?"`. Never sleeps.
fn append_record(domain: &Domain, line: &Line<'_>) {
    let Some(records) = domain.records() else {
        return;
    };
    if current_is_in(domain) {
        records.append(line);
    } else {
        records.append(&Line {
            pid: 0,
            comm: b"?",
            ..*line
        });
    }
}

fn emit(
    profile: &ProfileView<'_>,
    sandbox: Option<&Domain>,
    op: &str,
    object: &dyn Object,
    outcome: Outcome,
) {
    let verdict = outcome.word();
    let current = current!();
    let comm = comm_of(current);
    let line = Line {
        verdict,
        sandbox: sandbox.map(Domain::id),
        profile: profile.name(),
        op,
        object,
        pid: pid_of(current),
        comm: comm.as_slice(),
    };
    if let Some(domain) = sandbox {
        append_record(domain, &line);
    }
    // A learning run's complain-mode records are worth logging once each (see `repeats`).
    if sandbox.is_none() && outcome == Outcome::Allowed {
        let repeat = repeats::is_repeat(profile, op, object);
        repeats::report();
        if repeat {
            return;
        }
    }
    // Any user can make a sandbox refuse things in a loop: its reports have a budget of
    // their own, audit records included, so that they can neither flood the audit backlog
    // nor spend the budget that keeps system profiles' denials visible.
    if sandbox.is_some() && !SANDBOX_DENIALS.allowed() {
        return;
    }
    // A task can repeat an allowed access at no cost: audited accesses spend a budget of
    // their own, audit records included, and never the one that keeps denials visible.
    let audited = outcome == Outcome::Audited;
    if sandbox.is_none() && audited && !AUDITED.allowed() {
        return;
    }
    if audit::enabled() && audit_event(verdict, profile, line.sandbox, op, object) {
        return;
    }
    if sandbox.is_none() && !audited && !DENIALS.allowed() {
        return;
    }
    pr_notice!("{}\n", line);
}

/// Reports a policy change that took effect: the profile `name` loaded, replaced (by a load
/// of `count` profiles, each reported) or removed, the generation it made, and the task that
/// made it. An audit record
/// (`AUDIT_MAC_POLICY_LOAD`, as SELinux's policy loads) when audit is on, otherwise a kernel
/// log line; never rate-limited (only privileged tasks change policy), so that a reload that
/// unconfines running tasks always leaves a trace.
pub(crate) fn policy_change(op: &str, name: &[u8], count: usize, generation: u64) {
    let current = current!();
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let generation = i64::try_from(generation).unwrap_or(i64::MAX);
    let recorded = audit::enabled()
        && audit_policy_load(current, |r| {
            r.field(c"op", op.as_bytes());
            if !name.is_empty() {
                r.field(c"profile", name);
            }
            r.number(c"profiles", count);
            r.number(c"generation", generation);
        });
    if recorded {
        return;
    }
    pr_info!(
        "POLICY op={} profile=\"{}\" profiles={} generation={} pid={} comm=\"{}\"\n",
        op,
        Quoted(name),
        count,
        generation,
        pid_of(current),
        Quoted(comm_of(current).as_slice()),
    );
}

/// Reports a refused policy change: which interface, why, and the task that asked. The
/// refusal is the caller's fault, not a profile's, so it goes to the log (or audit) without
/// a profile name; rate-limited like denials, so a loop of bad callers cannot flood the log
/// or the audit backlog.
pub(crate) fn policy_refusal(interface: &str, reason: &str) {
    // Any task can ask (the system call is open to all), so records are rate-limited too:
    // a loop of refused calls must not fill the audit backlog and crowd out other records.
    if !REFUSALS.allowed() {
        return;
    }
    let current = current!();
    if audit::enabled() && audit_policy_refusal(interface, reason, current) {
        return;
    }
    pr_notice!(
        "REFUSED op=policy_change interface={} reason=\"{}\" pid={} comm=\"{}\"\n",
        interface,
        reason,
        pid_of(current),
        Quoted(comm_of(current).as_slice()),
    );
}

/// Emits the audit record of a refused policy change; `false` if audit could not take it.
fn audit_policy_refusal(interface: &str, reason: &str, task: &Task) -> bool {
    audit_record(c"REFUSED", task, |r| {
        r.field(c"op", b"policy_change");
        r.field(c"interface", interface.as_bytes());
        r.field(c"reason", reason.as_bytes());
    })
}

/// What a file hook returns for a refusal; see [`verdict_with`].
pub(crate) fn verdict(mode: Mode) -> c_int {
    verdict_with(mode, EACCES)
}

/// What a hook returns for a refusal that must never kill: complain allows, enforce and kill
/// refuse with `error`. For checks the caller only probes (`CAP_OPT_NOAUDIT`), checks made
/// for another task's credentials, and deliveries on another task's behalf (SIGIO), where
/// killing `current` would hit a task that did not ask.
pub(crate) fn verdict_without_kill(mode: Mode, error: Error) -> c_int {
    match mode {
        Mode::Complain => 0,
        Mode::Enforce | Mode::Kill | Mode::Ask => error.to_errno(),
    }
}

/// [`verdict_with`] or [`verdict_without_kill`], as `how` says.
pub(crate) fn verdict_as(mode: Mode, how: Kills, error: Error) -> c_int {
    match how {
        Kills::Yes => verdict_with(mode, error),
        Kills::No => verdict_without_kill(mode, error),
    }
}

/// What a hook returns for a refusal, by profile mode: complain allows, enforce refuses with
/// `error`, kill refuses and sends `SIGKILL` to the current task.
pub(crate) fn verdict_with(mode: Mode, error: Error) -> c_int {
    match mode {
        Mode::Complain => 0,
        Mode::Enforce | Mode::Ask => error.to_errno(),
        Mode::Kill => {
            current!().kill();
            error.to_errno()
        }
    }
}
