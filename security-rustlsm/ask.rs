// SPDX-License-Identifier: GPL-2.0-only

//! Asking an agent: an access that a profile's `ask` rules (or its `ask` mode) leave
//! undecided is put to the user space agent listening to that profile, which allows or
//! refuses it.
//!
//! An administrator's agent opens a listener with `LSM_POLICY_LISTEN` ([`listen`]), naming
//! the profiles it answers for (see [`ask_protocol`]); a request goes to the first listener
//! that names its profile. A sandbox's creator gets the listener of its new layer
//! (`FLAG_LISTENER`, [`Listener::for_layer`]), which takes that layer's requests only and
//! serves no task inside the layer. The agent reads one request per `read()` and writes one
//! answer per `write()`.
//!
//! Agents are asked about file accesses, execs included, and about TCP and UDP endpoints
//! (bind, listen, connect, send). An exec is asked about as `exec` and `mmap_exec`, what an
//! `exec` rule allows; the agent's yes runs the program under the caller's profile (see
//! [`crate::exec_grant`]). A task waits for the answer only in `file_open` (an exec's too)
//! and the socket hooks, and only when it holds no lock an agent could need
//! ([`accessors::may_wait_in_open`], [`accessors::may_wait_on_socket`]); the wait is
//! killable, never interruptible (an `open()` that fails with `EINTR` breaks programs) and
//! freezable (a task waiting for a person must not keep the system from suspending), and
//! lasts the listener's wait at most.
//! Everywhere else (the hooks that create, remove or rename names run with the directory
//! locked; non-blocking sockets) the access is refused at once and the request is still
//! delivered, so that an answer for the session, or a rule the agent adds, lets the retry
//! through.
//!
//! Identical requests (same profile, user, object and accesses) share one entry, and a listener
//! holds a bounded number of them. Whatever goes wrong refuses: no listener, a full
//! listener, a timeout, a kill, a listener closed while a task waits. An agent's own thread
//! group is never asked about, by its listener or another's, so no agent ever waits.

use crate::{
    accessors::{self, ThreadGroup},
    ask_protocol, exec_grant, manage, net, network,
    path::ResolvedPath,
    report,
    wire::{self, ProfileView},
};
// `Pin` is named by the expansion of `global_lock!`.
use core::pin::Pin;
use kernel::{
    alloc::AllocError,
    bindings,
    cred::Credential,
    fs::{anon_inode, File, LocalFile, OwnedPath, Path},
    net::socket::Socket,
    new_condvar, new_spinlock,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        poll::{PollCondVarBox, PollTable},
        Arc, ArcBorrow, CondVar, CondVarTimeoutResult, SpinLock,
    },
    task::Task,
    time::Jiffies,
    uaccess::{UserSliceReader, UserSliceWriter},
};

/// The name a listener shows in `/proc/PID/fd` (`anon_inode:[rustlsm-listener]`).
const NAME: &CStr = c"[rustlsm-listener]";

/// Answers a listener keeps for the session: the oldest goes when a new one does not fit.
const SESSION_ANSWERS: usize = 1024;
/// The same for a sandbox layer's listener, which any user may make: its bounds are
/// allocated at once, and must stay small.
const LAYER_SESSION_ANSWERS: usize = 64;
/// Requests a sandbox layer's listener holds at once.
const LAYER_PENDING: u32 = 64;

/// Why an access put to an agent was refused; records say it as `ask=WORD`.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Refusal {
    /// No listener takes the profile's requests.
    NoAgent,
    /// The agent refused it.
    Denied,
    /// The agent did not answer in time.
    Timeout,
    /// The task was killed while it waited.
    Killed,
    /// The listener holds as many requests as it may.
    Busy,
    /// The task may not wait here: refused at once, the request delivered.
    NoWait,
    /// The task is in the thread group of an agent (of any listener).
    Agent,
    /// The listener was closed while the task waited.
    Closed,
    /// No memory for the request.
    NoMemory,
    /// The task's sandbox refuses the access anyway: nobody is asked.
    Sandbox,
}

impl Refusal {
    /// How records say it.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Refusal::NoAgent => "none",
            Refusal::Denied => "denied",
            Refusal::Timeout => "timeout",
            Refusal::Killed => "killed",
            Refusal::Busy => "busy",
            Refusal::NoWait => "nowait",
            Refusal::Agent => "agent",
            Refusal::Closed => "closed",
            Refusal::NoMemory => "nomem",
            Refusal::Sandbox => "sandbox",
        }
    }
}

/// Whether the hook asking may wait for the answer.
#[derive(Clone, Copy)]
pub(crate) enum Wait<'a> {
    /// `file_open` of this file: waits if [`accessors::may_wait_in_open`] says it may.
    Open(&'a LocalFile),
    /// A socket hook on this socket, with these message flags (0 but for a send): waits if
    /// [`accessors::may_wait_on_socket`] says it may.
    Socket(&'a Socket, u32),
    /// Never: refused at once, the request delivered.
    Never,
    /// The kernel mapping the program of an exec under way that agents allowed (see
    /// [`exec_grant::mapping`]): allowed with the exec, nobody asked, for the parties whose
    /// agent said yes: the system profile (`label`), the sandbox's layers (`layers`).
    ExecMapping { label: bool, layers: bool },
}

/// What became of a request, set once under its listener's lock, before its waiters are
/// woken.
const UNANSWERED: i32 = 0;
const ALLOWED: i32 = 1;
const DENIED: i32 = 2;
const CLOSED: i32 = 3;

/// One access put to an agent.
#[pin_data]
struct Request {
    /// The profile it is asked under, by serial (see `Profile::serial`): a replacement asks
    /// anew.
    serial: u64,
    /// The asking task's effective user ID (global): identical requests of different users
    /// are not one.
    uid: u32,
    requested: u32,
    /// What is asked about, as [`Asked::key`] spells it.
    key: KVec<u8>,
    /// The request as the agent reads it, after its `id=`.
    line: KVec<u8>,
    /// The file being opened, for a request a task waits for: the agent gets an `O_PATH`
    /// descriptor of it, to see what the name stands for (owner, links, device and inode).
    /// Dropped in process context only: the tasks that wait hold the request to the end.
    object: Option<OwnedPath>,
    answer: Atomic<i32>,
    /// Where the tasks that wait for the answer sleep, with the listener's lock released.
    #[pin]
    answered: CondVar,
}

/// A request a listener holds: not answered yet.
struct Pending {
    id: u64,
    request: Arc<Request>,
    /// Read by the agent.
    delivered: bool,
    /// Tasks waiting for the answer (0: the asking hooks could not wait).
    waiters: u32,
}

/// An answer for the session.
struct Remembered {
    serial: u64,
    uid: u32,
    requested: u32,
    key: KVec<u8>,
    allow: bool,
}

struct Inner {
    next_id: u64,
    pending: KVec<Pending>,
    session: KVec<Remembered>,
    closed: bool,
}

/// An agent's listener: an administrator's, in the list of listeners while its descriptor
/// is open, or a sandbox layer's.
#[pin_data]
pub(crate) struct Listener {
    /// The profiles it listens to (see [`ask_protocol::listens_to`]).
    names: KVec<u8>,
    wait_ms: u32,
    max_pending: usize,
    /// The thread group of the administrator's task that opened it, never asked about.
    agent: Option<ThreadGroup>,
    /// The sandbox domain whose newest layer it listens to, by id: no task inside may use it.
    layer: Option<u64>,
    #[pin]
    inner: SpinLock<Inner>,
    readable: PollCondVarBox,
}

kernel::sync::global_lock! {
    // SAFETY: `init` initializes it before the hooks are registered.
    unsafe(uninit) static LISTENERS: Mutex<KVec<Arc<Listener>>> = KVec::new();
}

/// The number of open listeners, so that a refusal with no agent anywhere takes no lock.
static LISTENER_COUNT: Atomic<usize> = Atomic::new(0);

/// Initializes the list of listeners.
///
/// # Safety
///
/// Called once, before any hook can run.
pub(crate) unsafe fn init() {
    // SAFETY: The caller calls it once, before any use.
    unsafe { LISTENERS.init() };
}

/// The listener that takes requests for the profile `name`, for the current task: refused
/// if its thread group is any listener's agent, so that no agent waits, whoever would
/// answer. May sleep.
fn listener_for(name: &[u8]) -> Result<Arc<Listener>, Refusal> {
    if LISTENER_COUNT.load(Relaxed) == 0 {
        return Err(Refusal::NoAgent);
    }
    let listeners = LISTENERS.lock();
    if listeners
        .iter()
        .any(|l| l.agent.as_ref().is_some_and(ThreadGroup::is_current))
    {
        return Err(Refusal::Agent);
    }
    listeners
        .iter()
        .find(|l| ask_protocol::listens_to(&l.names, name))
        .cloned()
        .ok_or(Refusal::NoAgent)
}

/// The request as the agent reads it, after its `id=`.
struct RequestLine<'a> {
    task: &'a Task,
    uid: u32,
    profile: &'a [u8],
    op: &'a str,
    requested: u32,
    object: Asked<'a>,
}

impl kernel::fmt::Display for RequestLine<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let comm = self.task.comm();
        let len = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
        f.write_fmt(fmt!(
            "pid={} tgid={} uid={} comm=\"{}\" profile=\"{}\" op={} ",
            self.task.pid(),
            self.task.tgid(),
            self.uid,
            report::Quoted(comm.get(..len).unwrap_or(&[])),
            report::Quoted(self.profile),
            self.op,
        ))?;
        match self.object {
            Asked::File(path) => f.write_fmt(fmt!(
                "requested={} path=\"{}\"",
                report::Access(self.requested),
                report::Quoted(path.bytes()),
            )),
            Asked::Endpoint {
                proto,
                endpoint,
                sock,
            } => f.write_fmt(fmt!(
                "requested={} proto={} addr={} port={} netns={}",
                network::OpName(self.requested),
                network::proto_name(proto),
                network::Addr(endpoint),
                endpoint.port,
                accessors::sock_netns_id(sock),
            )),
        }
    }
}

/// The ` fd=N` field of a request that comes with a descriptor; nothing otherwise.
struct FdField(Option<u32>);

impl kernel::fmt::Display for FdField {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        match self.0 {
            Some(fd) => f.write_fmt(fmt!(" fd={}", fd)),
            None => Ok(()),
        }
    }
}

/// Collects formatted text into a vector, failing on allocation failure.
struct VecWriter<'a> {
    out: &'a mut KVec<u8>,
    flags: kernel::alloc::Flags,
}

impl kernel::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> kernel::fmt::Result {
        self.out
            .extend_from_slice(s.as_bytes(), self.flags)
            .map_err(|_| kernel::fmt::Error)
    }
}

fn render(what: &dyn kernel::fmt::Display, flags: kernel::alloc::Flags) -> Result<KVec<u8>> {
    use kernel::fmt::Write as _;
    let mut out = KVec::new();
    VecWriter {
        out: &mut out,
        flags,
    }
    .write_fmt(fmt!("{}", what))
    .map_err(|_| ENOMEM)?;
    Ok(out)
}

/// Whether the agent may be asked about `path` at all: a path a rule can name (not a
/// `disconnected:` or `mqueue:` one, which name the same thing in several places), and not
/// under the task's own procfs directory, whose name another task's request would share.
pub(crate) fn may_ask_about(path: &ResolvedPath) -> bool {
    path.bytes().first() == Some(&b'/') && path.own_proc_alias().is_none()
}

/// What an agent is asked about.
#[derive(Clone, Copy)]
pub(crate) enum Asked<'a> {
    /// Accesses (`wire::ACCESS_*`) to the file of this path.
    File(&'a ResolvedPath),
    /// An operation (`net::OP_*`) of protocol `proto` at `endpoint`, by `sock`, whose network
    /// namespace is part of the endpoint (read only once the rules leave it to an agent).
    Endpoint {
        proto: u8,
        endpoint: &'a net::Endpoint,
        sock: &'a Socket,
    },
}

/// Length of an endpoint's key: protocol, family, address, port, network namespace.
const ENDPOINT_KEY_LEN: usize = 28;

impl Asked<'_> {
    /// Runs `f` on the bytes identical requests share, without allocating: a file's path, or
    /// an endpoint's protocol (6 or 17, never a path's leading `/`), family, address, port and
    /// network namespace.
    fn with_key<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Asked::File(path) => f(path.bytes()),
            Asked::Endpoint {
                proto,
                endpoint,
                sock,
            } => {
                let netns = accessors::sock_netns_id(sock);
                let mut bytes = [0u8; ENDPOINT_KEY_LEN];
                bytes[0] = *proto;
                bytes[1] = endpoint.family;
                bytes[2..18].copy_from_slice(&endpoint.addr);
                bytes[18..20].copy_from_slice(&endpoint.port.to_be_bytes());
                bytes[20..].copy_from_slice(&netns.to_ne_bytes());
                f(&bytes)
            }
        }
    }
}

/// What an agent is asked: the accesses `asked` of `op` on `object`, which the rules `view`
/// (of the profile or layer of serial `serial`) leave to it.
pub(crate) struct Question<'a> {
    pub(crate) view: &'a ProfileView<'a>,
    pub(crate) serial: u64,
    pub(crate) op: &'a str,
    pub(crate) object: Asked<'a>,
    pub(crate) asked: u32,
}

/// Whose agent is asked.
#[derive(Clone, Copy)]
pub(crate) enum Whose<'a> {
    /// A system profile's: the first listener that names it.
    System,
    /// A sandbox layer's: its own listener.
    Layer(&'a Arc<Listener>),
}

impl Whose<'_> {
    /// The listener that answers for the profile or layer of `view`.
    fn listener(&self, view: &ProfileView<'_>) -> Result<Arc<Listener>, Refusal> {
        match self {
            Whose::System => listener_for(view.name()),
            Whose::Layer(listener) => Ok((*listener).clone()),
        }
    }
}

/// Puts `question` to the agent `whose`, on behalf of the current task, whose credentials
/// `cred` are; waits for the answer if `wait` allows. `Ok` if the agent allowed it. May
/// sleep, but waits only as `wait` allows.
pub(crate) fn ask(
    question: &Question<'_>,
    whose: Whose<'_>,
    cred: &Credential,
    wait: Wait<'_>,
) -> Result<(), Refusal> {
    if let Wait::ExecMapping { label, layers } = wait {
        // An exec's yes holds for the parties whose agent gave it; the others' agents are
        // asked as anywhere a task may not wait.
        let gave_it = match whose {
            Whose::System => label,
            Whose::Layer(_) => layers,
        };
        if gave_it {
            return refused_for_session(question, whose, cred);
        }
    }
    let answer = put(question, whose, cred, wait);
    if let (Ok(()), Wait::Open(file)) = (answer, wait) {
        if question.asked & wire::ACCESS_EXEC != 0 {
            exec_grant::allowed_by_agent(file, matches!(whose, Whose::System));
        }
    }
    answer
}

/// [`ask`] for the kernel's mapping of a program whose exec an agent allowed: allowed with
/// the exec, unless the agent refused that mapping for the session.
fn refused_for_session(
    question: &Question<'_>,
    whose: Whose<'_>,
    cred: &Credential,
) -> Result<(), Refusal> {
    // With its agent gone, the exec it allowed goes on.
    let Ok(listener) = whose.listener(question.view) else {
        return Ok(());
    };
    match listener.remembered_for(question, cred) {
        Some(false) => Err(Refusal::Denied),
        _ => Ok(()),
    }
}

/// [`ask`] for an access that is not allowed already.
fn put(
    question: &Question<'_>,
    whose: Whose<'_>,
    cred: &Credential,
    wait: Wait<'_>,
) -> Result<(), Refusal> {
    let listener = whose.listener(question.view)?;
    let uid = cred.euid().into_raw().val;
    // A session answer settles it without allocating: each datagram of a session-allowed
    // endpoint comes this way.
    if let Some(allow) = listener.remembered_for(question, cred) {
        return if allow { Ok(()) } else { Err(Refusal::Denied) };
    }
    let key = question
        .object
        .with_key(|bytes| {
            let mut key = KVec::with_capacity(bytes.len(), GFP_KERNEL_ACCOUNT)?;
            key.extend_from_slice(bytes, GFP_KERNEL_ACCOUNT)?;
            Ok(key)
        })
        .map_err(|_: AllocError| Refusal::NoMemory)?;
    let waits = match wait {
        Wait::Open(file) => accessors::may_wait_in_open(file),
        Wait::Socket(sock, flags) => accessors::may_wait_on_socket(sock, flags),
        Wait::Never | Wait::ExecMapping { .. } => false,
    };
    let object = match wait {
        Wait::Open(file) if waits => Some(file.path()),
        _ => None,
    };
    let request = new_request(question, uid, key, object).map_err(|_| Refusal::NoMemory)?;
    let request = listener.enqueue(request, waits)?;
    if !waits {
        return Err(Refusal::NoWait);
    }
    let killed = listener.wait_for(&request, kernel::time::msecs_to_jiffies(listener.wait_ms));
    // The answer is set under the listener's lock, which `leave` takes: an answer that
    // raced with the timeout is seen, or the agent is told it came too late.
    listener.leave(&request);
    match (request.answer.load(Relaxed), killed) {
        (ALLOWED, _) => Ok(()),
        (DENIED, _) => Err(Refusal::Denied),
        (CLOSED, _) => Err(Refusal::Closed),
        (_, true) => Err(Refusal::Killed),
        _ => Err(Refusal::Timeout),
    }
}

/// A new request for `question` by the current task (effective user `uid`), of key `key`,
/// about the file `object` if there is one, charged to the task.
fn new_request(
    question: &Question<'_>,
    uid: u32,
    key: KVec<u8>,
    object: Option<&Path>,
) -> Result<Arc<Request>> {
    let flags = GFP_KERNEL_ACCOUNT;
    let line = render(
        &RequestLine {
            task: current!(),
            uid,
            profile: question.view.name(),
            op: question.op,
            requested: question.asked,
            object: question.object,
        },
        flags,
    )?;
    Arc::pin_init(
        pin_init!(Request {
            serial: question.serial,
            uid,
            requested: question.asked,
            key,
            line,
            object: object.map(OwnedPath::new),
            answer: Atomic::new(UNANSWERED),
            answered <- new_condvar!("Request::answered"),
        }),
        flags,
    )
}

impl Listener {
    /// The answer kept for the session to `question`, asked by a task with `cred`: found
    /// without allocating.
    fn remembered_for(&self, question: &Question<'_>, cred: &Credential) -> Option<bool> {
        let uid = cred.euid().into_raw().val;
        let (serial, asked) = (question.serial, question.asked);
        question
            .object
            .with_key(|key| self.remembered(serial, uid, key, asked))
    }

    /// The answer kept for the session to `asked` on the object of key `key` by user `uid`
    /// under the profile `serial`.
    fn remembered(&self, serial: u64, uid: u32, key: &[u8], asked: u32) -> Option<bool> {
        let inner = self.inner.lock();
        inner
            .session
            .iter()
            .rev()
            .find(|r| {
                // An allow answers for what it allowed, a refusal for whatever includes
                // something it refused.
                let answers = if r.allow {
                    asked & !r.requested == 0
                } else {
                    asked & r.requested != 0
                };
                r.serial == serial && r.uid == uid && answers && *r.key == *key
            })
            .map(|r| r.allow)
    }

    /// Queues `request`, or joins the identical request already queued; `waits`: the caller
    /// will wait for its answer (and must call [`Listener::leave`] after). Returns the
    /// request to wait for.
    fn enqueue(&self, request: Arc<Request>, waits: bool) -> Result<Arc<Request>, Refusal> {
        let mut inner = self.inner.lock();
        if inner.closed {
            return Err(Refusal::Closed);
        }
        let same = |p: &Pending| {
            p.request.serial == request.serial
                && p.request.uid == request.uid
                && p.request.requested == request.requested
                && p.request.key == request.key
        };
        if let Some(p) = inner.pending.iter_mut().find(|p| same(p)) {
            p.waiters += u32::from(waits);
            return Ok(p.request.clone());
        }
        // Whatever is dropped goes after the lock: a request may hold a path, whose release
        // may sleep.
        let mut evicted = None;
        if inner.pending.len() >= self.max_pending {
            // Make room by forgetting the oldest request nobody waits for, whose answer could
            // only have been kept for the session: for a task that waits, any such; for one
            // that cannot, one the agent has read. A flood of refused accesses thus never
            // keeps a waiting task from being asked.
            let stale = inner
                .pending
                .iter()
                .position(|p| p.waiters == 0 && (waits || p.delivered));
            match stale {
                Some(at) => evicted = inner.pending.remove(at).ok(),
                None => return Err(Refusal::Busy),
            }
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let pending = Pending {
            id,
            request: request.clone(),
            delivered: false,
            waiters: u32::from(waits),
        };
        // Within the capacity reserved when the listener was made: never allocates.
        let pushed = inner.pending.push_within_capacity(pending);
        drop(inner);
        drop(evicted);
        pushed.map_err(|_| Refusal::Busy)?;
        self.readable.notify_all();
        Ok(request)
    }

    /// Waits until `request` is answered (or the listener closed), for at most `timeout`.
    /// Killable, never interruptible, and freezable: the task holds no lock while it sleeps
    /// (see [`accessors::may_wait_in_open`]). Returns whether the task was killed.
    fn wait_for(&self, request: &Request, timeout: Jiffies) -> bool {
        let mut inner = self.inner.lock();
        let mut left = timeout;
        while request.answer.load(Relaxed) == UNANSWERED {
            match request
                .answered
                .wait_killable_freezable_timeout(&mut inner, left)
            {
                CondVarTimeoutResult::Timeout => return false,
                CondVarTimeoutResult::Signal { .. } => return true,
                CondVarTimeoutResult::Woken { jiffies } => left = jiffies,
            }
        }
        false
    }

    /// Ends a wait for `request`: the last waiter takes an unanswered request back, so that
    /// a late answer finds nothing (`ENOENT`).
    fn leave(&self, request: &Arc<Request>) {
        let mut inner = self.inner.lock();
        let at = inner
            .pending
            .iter()
            .position(|p| Arc::ptr_eq(&p.request, request));
        let mut left = None;
        if let Some(at) = at {
            let pending = &mut inner.pending[at];
            pending.waiters = pending.waiters.saturating_sub(1);
            if pending.waiters == 0 {
                left = inner.pending.remove(at).ok();
            }
        }
        drop(inner);
        drop(left);
    }

    /// Takes the agent's `answer`.
    fn answer(&self, answer: ask_protocol::Answer) -> Result {
        let request = {
            let inner = self.inner.lock();
            let pending = inner
                .pending
                .iter()
                .find(|p| p.id == answer.id && p.delivered)
                .ok_or(ENOENT)?;
            pending.request.clone()
        };
        let remembered = if answer.session {
            // Kept past the request: charged to the agent, whose answer keeps it.
            let mut key = KVec::with_capacity(request.key.len(), GFP_KERNEL_ACCOUNT)?;
            key.extend_from_slice(&request.key, GFP_KERNEL_ACCOUNT)?;
            Some(Remembered {
                serial: request.serial,
                uid: request.uid,
                requested: request.requested,
                key,
                allow: answer.allow,
            })
        } else {
            None
        };
        let mut inner = self.inner.lock();
        let at = inner
            .pending
            .iter()
            .position(|p| Arc::ptr_eq(&p.request, &request))
            .ok_or(ENOENT)?;
        if let Some(remembered) = remembered {
            if inner.session.len() >= inner.session.capacity() {
                _ = inner.session.remove(0);
            }
            // Within the capacity reserved when the listener was made.
            if inner.session.push_within_capacity(remembered).is_err() {
                return Err(ENOMEM);
            }
        }
        let answered = inner.pending.remove(at);
        let word = if answer.allow { ALLOWED } else { DENIED };
        request.answer.store(word, Relaxed);
        drop(inner);
        drop(answered);
        request.answered.notify_all();
        Ok(())
    }

    /// Closes the listener: it takes no more requests, and every task waiting is refused.
    fn close(self: &Arc<Self>) {
        {
            let mut listeners = LISTENERS.lock();
            listeners.retain(|l| !Arc::ptr_eq(l, self));
            LISTENER_COUNT.store(listeners.len(), Relaxed);
        }
        let pending = {
            let mut inner = self.inner.lock();
            inner.closed = true;
            for p in inner.pending.iter() {
                p.request.answer.store(CLOSED, Relaxed);
            }
            core::mem::take(&mut inner.pending)
        };
        for p in pending.iter() {
            p.request.answered.notify_all();
        }
        self.readable.notify_all();
    }
}

impl Listener {
    /// Refuses the caller a listener it may not use, whatever descriptor it holds (handed
    /// to it, or left with it across an exec): an administrator's to any confined task, a
    /// layer's to the tasks inside that layer, who would answer their own requests.
    fn refuse_user(&self) -> Result {
        let Some(layer) = self.layer else {
            return manage::refuse_confined_caller("listener");
        };
        let inside = Credential::with_current(|cred| {
            let confinement = crate::cred_blob::confinement(cred);
            let domain = confinement.as_deref().and_then(|c| c.sandbox());
            domain.is_some_and(|d| d.layers().any(|l| l.id() == layer))
        });
        if inside {
            return Err(EPERM);
        }
        Ok(())
    }
}

/// A listener's descriptor: the listener stays listed until its last close.
struct Channel {
    listener: Arc<Listener>,
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.listener.close();
    }
}

impl Listener {
    /// A listener whose tasks wait `wait_ms` and that holds `max_pending` requests, for the
    /// profiles of the name list `names` (administrators') or for the newest layer of the
    /// sandbox domain `layer`.
    fn new(names: &[u8], wait_ms: u32, max_pending: u32, layer: Option<u64>) -> Result<Arc<Self>> {
        let mut list = KVec::new();
        list.extend_from_slice(names, GFP_KERNEL_ACCOUNT)?;
        let max_pending = usize::try_from(max_pending).map_err(|_| EINVAL)?;
        let pending = KVec::with_capacity(max_pending, GFP_KERNEL_ACCOUNT)?;
        let kept = match layer {
            Some(_) => LAYER_SESSION_ANSWERS,
            None => SESSION_ANSWERS,
        };
        let session = KVec::with_capacity(kept, GFP_KERNEL_ACCOUNT)?;
        let readable = PollCondVarBox::new(c"Listener::readable", kernel::static_lock_class!())?;
        Arc::pin_init(
            pin_init!(Listener {
                names: list,
                wait_ms,
                max_pending,
                agent: layer.is_none().then(ThreadGroup::current),
                layer,
                inner <- new_spinlock!(
                    Inner {
                        next_id: 1,
                        pending,
                        session,
                        closed: false,
                    },
                    "Listener::inner"
                ),
                readable,
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// The listener of the new layer of sandbox domain `id`, with the default wait and small
    /// bounds: its creator hands it to an agent outside the sandbox.
    pub(crate) fn for_layer(id: u64) -> Result<Arc<Self>> {
        Self::new(&[], ask_protocol::DEFAULT_WAIT_MS, LAYER_PENDING, Some(id))
    }
}

/// A descriptor for `listener`, to install once nothing else can fail.
pub(crate) fn new_fd(listener: &Arc<Listener>) -> Result<anon_inode::NewFd> {
    let channel = Arc::new(
        Channel {
            listener: listener.clone(),
        },
        GFP_KERNEL_ACCOUNT,
    )?;
    anon_inode::NewFd::new(NAME, channel)
}

/// Opens a listener for the caller (an administrator, see `manage::authorize_admin`) as
/// `data` (an [`ask_protocol::Listen`] buffer) asks, and returns its descriptor.
pub(crate) fn listen(data: &[u8]) -> Result<kernel::ffi::c_int> {
    let listen = ask_protocol::Listen::parse(data).ok_or(EINVAL)?;
    let listener = Listener::new(listen.name_list(), listen.wait_ms, listen.max_pending, None)?;
    let fd = new_fd(&listener)?;
    {
        let mut listeners = LISTENERS.lock();
        listeners.push(listener, GFP_KERNEL)?;
        LISTENER_COUNT.store(listeners.len(), Relaxed);
    }
    // Nothing can fail any more.
    let fd = fd.install();
    Ok(kernel::ffi::c_int::try_from(fd).unwrap_or(kernel::ffi::c_int::MAX))
}

impl anon_inode::Operations for Channel {
    type OwnerModule = crate::BuiltIn;
    const WRITABLE: bool = true;

    fn read(this: ArcBorrow<'_, Self>, out: &mut UserSliceWriter, nonblock: bool) -> Result<usize> {
        let listener = &this.listener;
        listener.refuse_user()?;
        let (id, request, waits) = {
            let mut inner = listener.inner.lock();
            loop {
                // Tasks that wait first: they are what a slow answer costs.
                let next = inner
                    .pending
                    .iter()
                    .position(|p| !p.delivered && p.waiters > 0)
                    .or_else(|| inner.pending.iter().position(|p| !p.delivered));
                if let Some(p) = next.and_then(|at| inner.pending.get_mut(at)) {
                    p.delivered = true;
                    break (p.id, p.request.clone(), p.waiters > 0);
                }
                if nonblock {
                    return Err(EAGAIN);
                }
                if listener.readable.wait_interruptible(&mut inner) {
                    return Err(ERESTARTSYS);
                }
            }
        };
        // A descriptor of the file, installed only once the line is read (a handle the
        // agent could not take would be a leak); none if it cannot be opened.
        let object = request
            .object
            .as_ref()
            .and_then(|o| anon_inode::NewFd::open_path(o.as_path()).ok());
        let line = render(
            &fmt!(
                "id={} {}{} waits={}\n",
                id,
                kernel::str::BStr::from_bytes(&request.line),
                FdField(object.as_ref().map(anon_inode::NewFd::fd)),
                u8::from(waits)
            ),
            GFP_KERNEL,
        );
        let written = line.and_then(|line| {
            if line.len() > out.len() {
                return Err(EINVAL);
            }
            out.write_slice(&line)?;
            Ok(line.len())
        });
        match (&written, object) {
            (Ok(_), Some(fd)) => _ = fd.install(),
            // Dropped uninstalled: the reader never sees the descriptor.
            (_, fd) => drop(fd),
        }
        if written.is_err() {
            // Not read after all: the next read returns it again.
            let mut inner = listener.inner.lock();
            if let Some(p) = inner.pending.iter_mut().find(|p| p.id == id) {
                p.delivered = false;
            }
        }
        written
    }

    fn poll(this: ArcBorrow<'_, Self>, file: &File, table: PollTable<'_>) -> u32 {
        let listener = &this.listener;
        if listener.refuse_user().is_err() {
            return bindings::POLLERR;
        }
        table.register_wait(file, &listener.readable);
        let inner = listener.inner.lock();
        let mut events = bindings::POLLOUT | bindings::POLLWRNORM;
        if inner.pending.iter().any(|p| !p.delivered) {
            events |= bindings::POLLIN | bindings::POLLRDNORM;
        }
        events
    }

    fn write(this: ArcBorrow<'_, Self>, input: &mut UserSliceReader) -> Result<usize> {
        this.listener.refuse_user()?;
        let len = input.len();
        let mut line = [0u8; ask_protocol::MAX_ANSWER_LEN];
        let buf = line.get_mut(..len).ok_or(EINVAL)?;
        input.read_slice(buf)?;
        let answer = ask_protocol::Answer::parse(buf).ok_or(EINVAL)?;
        this.listener.answer(answer)?;
        Ok(len)
    }
}
