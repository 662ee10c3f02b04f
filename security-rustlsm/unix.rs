// SPDX-License-Identifier: GPL-2.0-only

//! AF_UNIX connections and datagrams: a confined task reaches another task's socket only when
//! its profile says so. Allowing the `unix` family only lets it create sockets.
//!
//! - A socket bound to a path is reached if the profile grants `connect` on that path, or if
//!   its owner runs under the same profile or a profile listed in the `unix` peers
//!   (`unconfined` for unconfined owners). Decided at lookup (`unix_find`), which every
//!   connect and every addressed send to a path goes through, as Landlock's
//!   `LANDLOCK_ACCESS_FS_RESOLVE_UNIX` does.
//! - A socket bound to an abstract name is reached if the name matches one of the profile's
//!   abstract patterns, or its owner is the same profile or a listed peer; checked at stream
//!   connect and at every datagram send (`unix_stream_connect`, `unix_may_send`), like
//!   Landlock's abstract-socket scoping.
//!
//! The owner of a socket is whoever created its file, as Landlock has it. Binding an abstract
//! name needs a matching abstract pattern too ([`check_bind`]).

use crate::{
    access::{check_path, check_with, current_cred},
    accessors::{self, UnixAddress},
    cred_blob,
    path::ResolvedPath,
    report,
    task::with_label_profile,
    wire::{self, ProfileView},
};
use kernel::{bindings, ffi::c_int, prelude::*};

/// Whether `actor` may reach a socket owned by `owner` (its creds) as a peer: the same
/// profile, or one its `unix` peers list (`unconfined` for unconfined owners).
///
/// # Safety
///
/// `owner` must be null or valid for the duration of the call.
unsafe fn peer_allowed(actor: &ProfileView<'_>, owner: *const bindings::cred) -> bool {
    if owner.is_null() {
        return false;
    }
    // SAFETY: Guaranteed by the caller.
    let Some(label) = (unsafe { cred_blob::label(owner) }) else {
        return actor.may_connect_unix_peer(None);
    };
    with_label_profile(label, |peer| match peer {
        Some(peer) => peer.name() == actor.name() || actor.may_connect_unix_peer(Some(peer.name())),
        None => actor.may_connect_unix_peer(None),
    })
}

/// The operation a datagram socket performs is a send; others connect.
fn op_for(sock_type: c_int) -> &'static str {
    if sock_type == bindings::sock_type_SOCK_DGRAM as c_int {
        "send"
    } else {
        "connect"
    }
}

/// `unix_find`: the lookup of a socket bound to `path`, for connect and addressed sends.
/// Process context, no lock held: the path may be resolved with an allocation.
///
/// # Safety
///
/// Called by the LSM framework with a valid path and a referenced socket.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_unix_find(
    path: *const bindings::path,
    other: *mut bindings::sock,
    flags: c_int,
) -> c_int {
    // The kernel's own lookup of a core-dump socket (SOCK_COREDUMP is O_NOCTTY).
    if flags & bindings::O_NOCTTY as c_int != 0 {
        return 0;
    }
    let cred = current_cred();
    // SAFETY: The current creds are valid while the task runs.
    let Some(label) = (unsafe { cred_blob::label(cred) }) else {
        return 0;
    };
    // SAFETY: `other` is referenced by the caller; the owner's creds are read under its lock.
    let by_peer = unsafe {
        accessors::with_unix_lock(other, || {
            let owner = accessors::unix_owner_cred(other);
            with_label_profile(label, |actor| {
                actor.is_some_and(|a| peer_allowed(&a, owner))
            })
        })
    };
    if by_peer {
        return 0;
    }
    // SAFETY: `other` is valid; its type never changes.
    let op = op_for(unsafe { accessors::sock_type(other) });
    // SAFETY: The creds and the path are valid during the hook.
    unsafe { check_path(cred, op, wire::ACCESS_CONNECT, || ResolvedPath::of(path)) }
}

/// The object of an abstract-socket decision.
struct AbstractName<'a>(&'a [u8]);

impl kernel::fmt::Display for AbstractName<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!("addr=\"@{}\"", report::Quoted(self.0)))
    }
}

impl report::Object for AbstractName<'_> {
    fn audit(&self, record: &mut kernel::audit::Record) {
        record.field(c"abstract", self.0);
    }
}

/// Checks the current task reaching `other` (its unix state lock held by the caller).
/// Sockets bound to a path were decided at lookup; unnamed ones cannot be addressed.
///
/// # Safety
///
/// `other` must be a valid AF_UNIX socket whose unix state lock the caller holds.
unsafe fn check_peer(op: &str, other: *mut bindings::sock) -> c_int {
    // SAFETY: Guaranteed by the caller.
    let UnixAddress::Abstract(name) = (unsafe { accessors::unix_address(other) }) else {
        return 0;
    };
    // SAFETY: The lock the caller holds keeps the owner's file, so its creds.
    let owner = unsafe { accessors::unix_owner_cred(other) };
    // SAFETY: The current creds are valid; `decide` neither sleeps nor allocates.
    unsafe {
        check_with(
            current_cred(),
            op,
            &AbstractName(name),
            EACCES,
            true,
            |view| view.may_connect_abstract(name) || peer_allowed(view, owner),
        )
    }
}

/// `unix_stream_connect`: `other` is the listening socket, locked by the caller.
///
/// # Safety
///
/// Called by the LSM framework with valid sockets and `other`'s unix state lock held.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_unix_stream_connect(
    _sock: *mut bindings::sock,
    other: *mut bindings::sock,
    _newsk: *mut bindings::sock,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_peer("connect", other) }
}

/// `unix_may_send`: a datagram connect or send to `other`, whose lock the caller holds.
///
/// # Safety
///
/// Called by the LSM framework with valid sockets and `other`'s unix state lock held.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_unix_may_send(
    _sock: *mut bindings::socket,
    other: *mut bindings::socket,
) -> c_int {
    // SAFETY: `other` is a valid socket; its `sk` is set while its lock is held.
    let sk = unsafe { (*other).sk };
    if sk.is_null() {
        return 0;
    }
    // SAFETY: As above.
    unsafe { check_peer("send", sk) }
}

/// `socket_bind` of an AF_UNIX socket: an abstract name is taken only if it matches one of
/// the profile's abstract patterns, so a confined task cannot squat a well-known name (a
/// session bus, an X display) before its server and impersonate it to unconfined clients
/// (AppArmor mediates unix binds too). A path is created through `path_mknod`, and so needs
/// `create`; autobind (a bare family) picks a random name and is free.
///
/// # Safety
///
/// `address` must be null or valid for `len` bytes.
pub(crate) unsafe fn check_bind(address: *const bindings::sockaddr, len: c_int) -> c_int {
    let Ok(len) = usize::try_from(len) else {
        return 0;
    };
    if address.is_null() {
        return 0;
    }
    // SAFETY: Guaranteed by the caller.
    let bytes = unsafe { core::slice::from_raw_parts(address.cast::<u8>(), len) };
    // `sun_family`, then `sun_path`, whose first byte is NUL for an abstract name.
    let Some([0, name @ ..]) = bytes.get(2..) else {
        return 0;
    };
    // SAFETY: The current creds are valid; nothing here sleeps.
    unsafe {
        check_with(
            current_cred(),
            "bind",
            &AbstractName(name),
            EACCES,
            true,
            |view| view.may_connect_abstract(name),
        )
    }
}
