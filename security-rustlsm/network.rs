// SPDX-License-Identifier: GPL-2.0-only

//! Socket hooks: which sockets a confined task may create, and which TCP and UDP endpoints it
//! may bind, listen on, connect or send to (rules in [`crate::net`]). Unconfined tasks and
//! kernel sockets are not restricted.

use crate::{
    access::{check_current_asking, check_current_with, Rules},
    accessors, ask, cred_blob, net, report,
};
use kernel::{bindings, cred::Credential, ffi::c_int, net::socket::Socket, prelude::*};

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
        /// Why the agent the operation was put to did not allow it, if it was asked.
        asked: Option<ask::Refusal>,
    },
}

/// Writes an address in the usual text form (dotted IPv4, IPv6 as eight hex groups).
pub(crate) struct Addr<'a>(pub(crate) &'a net::Endpoint);

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

pub(crate) fn proto_name(proto: u8) -> &'static str {
    if proto == net::PROTO_TCP {
        "tcp"
    } else {
        "udp"
    }
}

/// Writes endpoint operations (`net::OP_*`) as profiles name them, comma-separated.
pub(crate) struct OpName(pub(crate) u32);

impl kernel::fmt::Display for OpName {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let names = [
            (net::OP_BIND, "bind"),
            (net::OP_LISTEN, "listen"),
            (net::OP_CONNECT, "connect"),
            (net::OP_SEND, "send"),
        ];
        let mut sep = "";
        for (op, name) in names {
            if self.0 & u32::from(op) != 0 {
                f.write_fmt(fmt!("{}{}", sep, name))?;
                sep = ",";
            }
        }
        Ok(())
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
            NetObject::Endpoint {
                proto,
                endpoint,
                asked,
            } => {
                f.write_fmt(fmt!(
                    "proto={} addr={} port={}",
                    proto_name(*proto),
                    Addr(endpoint),
                    endpoint.port
                ))?;
                if let Some(asked) = asked {
                    f.write_fmt(fmt!(" ask={}", asked.word()))?;
                }
                Ok(())
            }
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
            NetObject::Endpoint {
                proto,
                endpoint,
                asked,
            } => {
                record.field(c"proto", proto_name(*proto).as_bytes());
                record.number(c"port", i64::from(endpoint.port));
                record.number(c"family", i64::from(endpoint.family));
                if let Some(asked) = asked {
                    record.field(c"ask", asked.word().as_bytes());
                }
            }
        }
    }
}

/// Lets `decide` rule on the current task's profile (see [`crate::access::check_with`]).
fn check(op: &str, object: &NetObject, decide: impl Fn(&Rules<'_>) -> bool) -> Result {
    check_current_with(op, object, decide)
}

/// `socket_create`.
pub(crate) fn socket_create(
    family: c_int,
    sock_type: c_int,
    protocol: c_int,
    kern: bool,
) -> Result {
    if kern {
        return Ok(());
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
fn ip_proto(sock: &Socket) -> Option<u8> {
    let family = u16::try_from(accessors::sock_family(sock)).ok()?;
    if family != net::AF_INET && family != net::AF_INET6 {
        return None;
    }
    let protocol = u16::try_from(accessors::sock_protocol(sock)).ok()?;
    match (sock.sock_type(), protocol) {
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

/// Checks `op` on `sock` towards `address` (kernel memory), for a call with the message
/// flags `msg_flags` (0 but for a send). What the rules refuse and leave to their agent
/// (`ask` rules, `ask` mode) is put to it.
fn check_endpoint(name: &str, op: u8, sock: &Socket, address: &[u8], msg_flags: u32) -> Result {
    let Some(proto) = ip_proto(sock) else {
        return Ok(());
    };
    let family = u16::try_from(accessors::sock_family(sock)).unwrap_or(0);
    let Some(endpoint) = target(op, family, address) else {
        return Ok(());
    };
    let asked = ask::Asked::Endpoint {
        proto,
        endpoint: &endpoint,
    };
    check_current_asking(
        name,
        asked,
        u32::from(op),
        ask::Wait::Socket(sock, msg_flags),
        |asked| NetObject::Endpoint {
            proto,
            endpoint,
            asked,
        },
        |view| view.net().may(op, proto, &endpoint),
        |view| view.asks_net(op, proto, &endpoint),
    )
}

/// `socket_bind`.
pub(crate) fn socket_bind(sock: &Socket, address: &[u8]) -> Result {
    if accessors::sock_family(sock) == bindings::AF_UNIX as c_int {
        return crate::unix::check_bind(address);
    }
    check_endpoint("bind", net::OP_BIND, sock, address, 0)
}

/// `socket_connect`.
pub(crate) fn socket_connect(sock: &Socket, address: &[u8]) -> Result {
    check_endpoint("connect", net::OP_CONNECT, sock, address, 0)
}

/// `socket_listen`: checked against the address the socket is bound to.
pub(crate) fn socket_listen(sock: &Socket, _backlog: c_int) -> Result {
    if ip_proto(sock) != Some(net::PROTO_TCP) {
        return Ok(());
    }
    // Unconfined tasks need no address; this keeps their listen() free of the lookup.
    if !Credential::with_current(cred_blob::is_confined) {
        return Ok(());
    }
    let mut storage = bindings::__kernel_sockaddr_storage::default();
    let address = sock.local_address(&mut storage)?;
    check_endpoint("listen", net::OP_LISTEN, sock, address, 0)
}

/// `socket_sendmsg`: UDP datagrams to an explicit address (a connected socket's peer was
/// checked at `connect`), and TCP Fast Open: `sendto(MSG_FASTOPEN)` with an address connects
/// a TCP or MPTCP socket without `connect()`, so it is checked as one (Landlock does too).
pub(crate) fn socket_sendmsg(sock: &Socket, name: &[u8], flags: u32, _size: c_int) -> Result {
    let (op, what) = match ip_proto(sock) {
        Some(net::PROTO_UDP) => (net::OP_SEND, "send"),
        Some(net::PROTO_TCP) if flags & bindings::MSG_FASTOPEN != 0 => (net::OP_CONNECT, "connect"),
        _ => return Ok(()),
    };
    check_endpoint(what, op, sock, name, flags)
}
