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
    access::{check_current_with, check_path, check_with, Rules},
    accessors::{self, UnixAddress},
    cred_blob::{self, Confinement},
    path::Target,
    report,
    task::with_label_profile,
    wire,
};
use kernel::{
    bindings,
    cred::Credential,
    ffi::c_int,
    fs::Path,
    net::socket::{Sock, Socket, UnixSock, UnixSockLocked},
    prelude::*,
};

/// Whether `rules` let their task reach a socket owned by `owner` (its creds; `None` for a
/// dead or kernel socket) as a peer. A system profile's: the same profile, or one its `unix`
/// peers list (`unconfined` for unconfined owners). A sandbox layer's: an owner in the domain
/// the layer made or one nested in it.
fn peer_allowed(rules: &Rules<'_>, owner: Option<&Credential>) -> bool {
    let Some(owner) = owner else {
        return false;
    };
    let confinement = cred_blob::confinement(owner);
    if let Some(layer) = rules.sandbox() {
        return layer.encloses(confinement.as_deref().and_then(Confinement::sandbox));
    }
    let Some(label) = confinement.as_deref().and_then(|c| c.label()) else {
        return rules.may_connect_unix_peer(None);
    };
    with_label_profile(label, |peer| match peer {
        Some(peer) => peer.name() == rules.name() || rules.may_connect_unix_peer(Some(peer.name())),
        None => rules.may_connect_unix_peer(None),
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
pub(crate) fn unix_find(path: &Path, other: &UnixSock, flags: c_int) -> Result {
    // The kernel's own lookup of a core-dump socket (SOCK_COREDUMP is O_NOCTTY).
    if flags & bindings::O_NOCTTY as c_int != 0 {
        return Ok(());
    }
    Credential::with_current(|cred| {
        if !cred_blob::is_confined(cred) {
            return Ok(());
        }
        // The owner's creds are read under the socket's lock. Reaching a peer that the
        // system profile and every layer accept needs no path rule.
        let by_peer = accessors::with_unix_lock(other, |locked| {
            let owner = accessors::unix_owner_cred(locked);
            check_with(cred, "connect", &report::NoObject, EACCES, false, |rules| {
                peer_allowed(rules, owner)
            })
            .is_ok()
        });
        if by_peer {
            return Ok(());
        }
        let op = op_for(accessors::sock_type(other));
        check_path(cred, op, wire::ACCESS_CONNECT, Target::Path(path))
    })
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
/// Neither sleeps nor allocates.
fn check_peer(op: &str, other: &UnixSockLocked) -> Result {
    let (name, len) = match accessors::unix_address(other) {
        UnixAddress::Abstract(name, len) => (name, len),
        UnixAddress::Unnamed | UnixAddress::Pathname => return Ok(()),
        // Fails closed for a confined task: what cannot be read cannot be allowed.
        UnixAddress::Unreadable => {
            return check_current_with(op, &AbstractName(b"?"), |_| false);
        }
    };
    let name = &name[..len];
    // The lock the caller holds keeps the owner's file, so its creds.
    let owner = accessors::unix_owner_cred(other);
    check_current_with(op, &AbstractName(name), |rules| {
        rules.may_connect_abstract(name) || peer_allowed(rules, owner)
    })
}

/// `unix_stream_connect`: `other` is the listening socket, locked by the caller.
pub(crate) fn unix_stream_connect(_sock: &Sock, other: &UnixSockLocked, _newsk: &Sock) -> Result {
    check_peer("connect", other)
}

/// `unix_may_send`: a datagram connect or send to `other`, whose lock the caller holds.
pub(crate) fn unix_may_send(_sock: &Socket, other: Option<&UnixSockLocked>) -> Result {
    other.map_or(Ok(()), |other| check_peer("send", other))
}

/// `socket_bind` of an AF_UNIX socket: an abstract name is taken only if it matches one of
/// the profile's abstract patterns, so a confined task cannot squat a well-known name (a
/// session bus, an X display) before its server and impersonate it to unconfined clients
/// (AppArmor mediates unix binds too). A path is created through `path_mknod`, and so needs
/// `create`; autobind (a bare family) picks a random name and is free. Never sleeps.
pub(crate) fn check_bind(address: &[u8]) -> Result {
    // `sun_family`, then `sun_path`, whose first byte is NUL for an abstract name.
    let Some([0, name @ ..]) = address.get(2..) else {
        return Ok(());
    };
    check_current_with("bind", &AbstractName(name), |rules| {
        rules.may_connect_abstract(name)
    })
}
