// SPDX-License-Identifier: GPL-2.0-only

//! Socket hooks: which sockets a confined task may create, and which TCP and UDP endpoints it
//! may bind, listen on, connect or send to (rules in [`crate::net`]). Unconfined tasks and
//! kernel sockets are not restricted.

use crate::{
    access::{check_with, current_cred},
    accessors, cred_blob, net, report,
    wire::ProfileView,
};
use kernel::{bindings, ffi::c_int, prelude::*};

/// The object of a socket decision.
enum NetObject {
    Create {
        family: c_int,
        sock_type: c_int,
        protocol: c_int,
    },
    Endpoint {
        proto: u8,
        endpoint: net::Endpoint,
    },
}

/// Writes an address in the usual text form (dotted IPv4, IPv6 as eight hex groups).
struct Addr<'a>(&'a net::Endpoint);

impl kernel::fmt::Display for Addr<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let a = &self.0.addr;
        if self.0.family == 4 {
            return f.write_fmt(fmt!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]));
        }
        for (i, pair) in a.chunks_exact(2).enumerate() {
            let sep = if i == 0 { "" } else { ":" };
            f.write_fmt(fmt!("{}{:x}", sep, u16::from_be_bytes([pair[0], pair[1]])))?;
        }
        Ok(())
    }
}

fn proto_name(proto: u8) -> &'static str {
    if proto == net::PROTO_TCP {
        "tcp"
    } else {
        "udp"
    }
}

impl kernel::fmt::Display for NetObject {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        match self {
            NetObject::Create {
                family,
                sock_type,
                protocol,
            } => f.write_fmt(fmt!(
                "family={} type={} protocol={}",
                family,
                sock_type,
                protocol
            )),
            NetObject::Endpoint { proto, endpoint } => f.write_fmt(fmt!(
                "proto={} addr={} port={}",
                proto_name(*proto),
                Addr(endpoint),
                endpoint.port
            )),
        }
    }
}

impl report::Object for NetObject {
    fn audit(&self, record: &mut kernel::audit::Record) {
        match self {
            NetObject::Create {
                family,
                sock_type,
                protocol,
            } => {
                record.number(c"family", i64::from(*family));
                record.number(c"type", i64::from(*sock_type));
                record.number(c"protocol", i64::from(*protocol));
            }
            NetObject::Endpoint { proto, endpoint } => {
                record.field(c"proto", proto_name(*proto).as_bytes());
                record.number(c"port", i64::from(endpoint.port));
                record.number(c"family", i64::from(endpoint.family));
            }
        }
    }
}

/// Lets `decide` rule on the current task's profile (see [`check_with`]).
fn check(op: &str, object: &NetObject, decide: impl FnOnce(&ProfileView<'_>) -> bool) -> c_int {
    // SAFETY: The current task's creds are valid while it runs.
    unsafe { check_with(current_cred(), op, object, EACCES, true, decide) }
}

/// `socket_create`.
///
/// # Safety
///
/// Called by the LSM framework.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_socket_create(
    family: c_int,
    sock_type: c_int,
    protocol: c_int,
    kern: c_int,
) -> c_int {
    if kern != 0 {
        return 0;
    }
    let object = NetObject::Create {
        family,
        sock_type,
        protocol,
    };
    let t = sock_type & bindings::SOCK_TYPE_MASK as c_int;
    check("socket", &object, |view| {
        match (
            u16::try_from(family),
            u16::try_from(t),
            u16::try_from(protocol),
        ) {
            (Ok(f), Ok(t), Ok(p)) => view.net().may_create(f, t, p),
            _ => false,
        }
    })
}

/// TCP (with MPTCP) or UDP, by the socket's family, type and protocol; `None` for sockets
/// whose endpoints are not mediated (other families, ping, SCTP and other IP protocols, which
/// a profile must name to create at all). The family and protocol are read through C
/// accessors: `struct sock`'s layout depends on the configuration.
///
/// # Safety
///
/// `sock` must be a valid socket.
unsafe fn ip_proto(sock: *const bindings::socket) -> Option<u8> {
    // SAFETY: The caller guarantees `sock`.
    let family = u16::try_from(unsafe { accessors::sock_family(sock) }).ok()?;
    if family != net::AF_INET && family != net::AF_INET6 {
        return None;
    }
    // SAFETY: As above.
    let protocol = u16::try_from(unsafe { accessors::sock_protocol(sock) }).ok()?;
    // SAFETY: As above.
    match (u32::try_from(unsafe { (*sock).type_ }).ok()?, protocol) {
        (bindings::sock_type_SOCK_STREAM, net::IPPROTO_TCP | net::IPPROTO_MPTCP) => {
            Some(net::PROTO_TCP)
        }
        (bindings::sock_type_SOCK_DGRAM, net::IPPROTO_UDP) => Some(net::PROTO_UDP),
        _ => None,
    }
}

/// `AF_UNSPEC`, which some calls accept in place of the socket's own family.
const AF_UNSPEC: u16 = 0;

/// Reads the endpoint a call on `sock` (family `family`) reaches with `address`, following
/// how the kernel reads it (as Landlock does, net.c): `AF_UNSPEC` is IPv4 for a bind of the
/// any-address on an IPv4 socket and for a UDP send. On an IPv6 socket the kernel takes a
/// send to `AF_UNSPEC` as "no address", but `IPV6_ADDRFORM` can turn the socket into an IPv4
/// one meanwhile, which reads the same bytes as an IPv4 address: the send is checked as
/// that IPv4 endpoint on both, so neither reading escapes the rules (Landlock refuses it).
/// A `connect()` with `AF_UNSPEC` disconnects, which is always allowed.
fn target(op: u8, family: u16, bytes: &[u8]) -> Option<net::Endpoint> {
    let sa_family = u16::from_ne_bytes([*bytes.first()?, *bytes.get(1)?]);
    if sa_family != AF_UNSPEC {
        return net::endpoint(bytes);
    }
    let as_ipv4 = match op {
        net::OP_SEND => true,
        net::OP_BIND | net::OP_LISTEN => family == net::AF_INET,
        _ => false,
    };
    if !as_ipv4 {
        return None;
    }
    let mut v4 = [0u8; 16];
    v4[..8].copy_from_slice(bytes.get(..8)?);
    v4[..2].copy_from_slice(&net::AF_INET.to_ne_bytes());
    net::endpoint(&v4)
}

/// Checks `op` on `sock` towards the address at `address` (`len` bytes of kernel memory).
///
/// # Safety
///
/// `sock` must be valid and `address` valid for `len` bytes.
unsafe fn check_endpoint(
    name: &str,
    op: u8,
    sock: *const bindings::socket,
    address: *const bindings::sockaddr,
    len: c_int,
) -> c_int {
    // SAFETY: The caller guarantees `sock`.
    let Some(proto) = (unsafe { ip_proto(sock) }) else {
        return 0;
    };
    let Ok(len) = usize::try_from(len) else {
        return 0;
    };
    if address.is_null() {
        return 0;
    }
    // SAFETY: The caller guarantees `address` is valid for `len` bytes.
    let bytes = unsafe { core::slice::from_raw_parts(address.cast::<u8>(), len) };
    // SAFETY: The caller guarantees `sock`.
    let family = u16::try_from(unsafe { accessors::sock_family(sock) }).unwrap_or(0);
    let Some(endpoint) = target(op, family, bytes) else {
        return 0;
    };
    let object = NetObject::Endpoint { proto, endpoint };
    check(name, &object, |view| view.net().may(op, proto, &endpoint))
}

/// `socket_bind`.
///
/// # Safety
///
/// Called by the LSM framework with a valid socket and a kernel copy of the address.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_socket_bind(
    sock: *mut bindings::socket,
    address: *mut bindings::sockaddr,
    addrlen: c_int,
) -> c_int {
    // SAFETY: The socket is valid during the hook.
    if unsafe { accessors::sock_family(sock) } == bindings::AF_UNIX as c_int {
        // SAFETY: The address is a kernel copy of `addrlen` bytes.
        return unsafe { crate::unix::check_bind(address, addrlen) };
    }
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_endpoint("bind", net::OP_BIND, sock, address, addrlen) }
}

/// `socket_connect`.
///
/// # Safety
///
/// Called by the LSM framework with a valid socket and a kernel copy of the address.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_socket_connect(
    sock: *mut bindings::socket,
    address: *mut bindings::sockaddr,
    addrlen: c_int,
) -> c_int {
    // SAFETY: Guaranteed by the LSM framework.
    unsafe { check_endpoint("connect", net::OP_CONNECT, sock, address, addrlen) }
}

/// `socket_listen`: checked against the address the socket is bound to.
///
/// # Safety
///
/// Called by the LSM framework with a valid socket.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_socket_listen(
    sock: *mut bindings::socket,
    _backlog: c_int,
) -> c_int {
    // SAFETY: The socket is valid during the hook.
    if unsafe { ip_proto(sock) } != Some(net::PROTO_TCP) {
        return 0;
    }
    // SAFETY: Unconfined tasks need no address; this keeps their listen() free of the lookup.
    if unsafe { cred_blob::label(current_cred()) }.is_none() {
        return 0;
    }
    let mut storage = bindings::__kernel_sockaddr_storage::default();
    let addr = (&raw mut storage).cast::<bindings::sockaddr>();
    // SAFETY: `sock` is valid and `storage` is large enough for any address.
    let len = unsafe { bindings::kernel_getsockname(sock, addr) };
    if len < 0 {
        return len;
    }
    // SAFETY: `kernel_getsockname` wrote `len` bytes of `storage`.
    unsafe { check_endpoint("listen", net::OP_LISTEN, sock, addr, len) }
}

/// `socket_sendmsg`: UDP datagrams to an explicit address (a connected socket's peer was
/// checked at `connect`), and TCP Fast Open: `sendto(MSG_FASTOPEN)` with an address connects
/// a TCP or MPTCP socket without `connect()`, so it is checked as one (Landlock does too).
///
/// # Safety
///
/// Called by the LSM framework with a valid socket and message.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_socket_sendmsg(
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    _size: c_int,
) -> c_int {
    // SAFETY: The message is valid; its name, if any, is a kernel copy of the address.
    let (name, len, flags) = unsafe { ((*msg).msg_name, (*msg).msg_namelen, (*msg).msg_flags) };
    // SAFETY: The socket is valid during the hook.
    let (op, what) = match unsafe { ip_proto(sock) } {
        Some(net::PROTO_UDP) => (net::OP_SEND, "send"),
        Some(net::PROTO_TCP) if flags & bindings::MSG_FASTOPEN != 0 => (net::OP_CONNECT, "connect"),
        _ => return 0,
    };
    // SAFETY: As above.
    unsafe { check_endpoint(what, op, sock, name.cast(), len) }
}
