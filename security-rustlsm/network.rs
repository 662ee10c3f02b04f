// SPDX-License-Identifier: GPL-2.0-only

//! Socket hooks: which sockets a confined task may create, and which TCP and UDP endpoints it
//! may bind, listen on, connect or send to (rules in [`crate::net`]). Unconfined tasks and
//! kernel sockets are not restricted.

use crate::{
    access::{check_current_asking, check_current_with, check_current_without_kill, Rules},
    accessors, ask, cred_blob, net, report,
};
use kernel::{
    bindings, cred::Credential, ffi::c_int, lsm::Control, net::socket::Socket, prelude::*,
};

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
    /// A socket option or control message that routes packets elsewhere (see
    /// [`routes_elsewhere`]).
    Route { option: &'static str },
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
            NetObject::Route { option } => f.write_fmt(fmt!("option={}", option)),
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
            NetObject::Route { option } => record.field(c"option", option.as_bytes()),
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
/// a profile must name to create at all), and for kernel sockets, which subsystems use for
/// themselves (sunrpc's, even in a user's task). The family and protocol are read through C
/// accessors: `struct sock`'s layout depends on the configuration.
fn ip_proto(sock: &Socket) -> Option<u8> {
    if accessors::sock_is_kern(sock) {
        return None;
    }
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

/// Checks `op` on `sock` towards `address` (kernel memory). What the rules refuse and leave
/// to their agent (`ask` rules, `ask` mode) is put to it, waiting as `wait` allows. `proto`
/// is the socket's (see [`ip_proto`]).
fn check_endpoint(
    name: &str,
    op: u8,
    proto: u8,
    sock: &Socket,
    address: &[u8],
    wait: ask::Wait<'_>,
) -> Result {
    let family = u16::try_from(accessors::sock_family(sock)).unwrap_or(0);
    let Some(endpoint) = target(op, family, address) else {
        return Ok(());
    };
    let asked = ask::Asked::Endpoint {
        proto,
        endpoint: &endpoint,
        sock,
    };
    check_current_asking(
        name,
        asked,
        u32::from(op),
        wait,
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
    check_call("bind", net::OP_BIND, sock, address)
}

/// `socket_connect`.
pub(crate) fn socket_connect(sock: &Socket, address: &[u8]) -> Result {
    check_call("connect", net::OP_CONNECT, sock, address)
}

/// [`check_endpoint`] for a call on `sock` without message flags, if its endpoints are
/// mediated.
fn check_call(name: &str, op: u8, sock: &Socket, address: &[u8]) -> Result {
    match ip_proto(sock) {
        Some(proto) => check_endpoint(name, op, proto, sock, address, ask::Wait::Socket(sock, 0)),
        None => Ok(()),
    }
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
    let (op, proto) = (net::OP_LISTEN, net::PROTO_TCP);
    check_endpoint(
        "listen",
        op,
        proto,
        sock,
        address,
        ask::Wait::Socket(sock, 0),
    )?;
    // The socket is not locked while an agent is asked: another thread may have bound it
    // meanwhile. What it is bound to now is decided again, without waiting.
    let mut now = bindings::__kernel_sockaddr_storage::default();
    let bound = sock.local_address(&mut now)?;
    if bound != address {
        return check_endpoint("listen", op, proto, sock, bound, ask::Wait::Never);
    }
    Ok(())
}

/// The name of a socket option (or control message: the same level and number) that sends
/// a socket's packets through another host than the address its rules were checked against:
/// an IPv4 source route (`IP_OPTIONS`, refused whole since the hook does not see the options;
/// `IP_RETOPTS`, the same as a control message), an IPv6 routing header (`IPV6_RTHDR`,
/// RFC 2292's `IPV6_2292RTHDR`, `IPV6_2292PKTOPTIONS`, whose sticky options may hold one, and
/// `IPV6_FLOWLABEL_MGR`, whose flow labels may carry options a send then merges). The
/// packet's destination becomes the route's first hop.
fn routes_elsewhere(level: c_int, name: c_int) -> Option<&'static str> {
    match (u32::try_from(level).ok()?, u32::try_from(name).ok()?) {
        (bindings::SOL_IP, bindings::IP_OPTIONS) => Some("ip_options"),
        (bindings::SOL_IP, bindings::IP_RETOPTS) => Some("ip_retopts"),
        (bindings::SOL_IPV6, bindings::IPV6_RTHDR) => Some("ipv6_rthdr"),
        (bindings::SOL_IPV6, bindings::IPV6_2292RTHDR) => Some("ipv6_2292rthdr"),
        (bindings::SOL_IPV6, bindings::IPV6_2292PKTOPTIONS) => Some("ipv6_2292pktoptions"),
        (bindings::SOL_IPV6, bindings::IPV6_FLOWLABEL_MGR) => Some("ipv6_flowlabel_mgr"),
        _ => None,
    }
}

/// Length of a `struct cmsghdr` (`size_t` length, `int` level and type), which is also the
/// alignment of what follows.
const CMSG_HEADER: usize = core::mem::size_of::<usize>() + 2 * core::mem::size_of::<c_int>();

/// The first control message of `control` that routes elsewhere (see [`routes_elsewhere`]),
/// walked as the kernel walks it (`for_each_cmsghdr`); the protocols refuse a message with a
/// malformed header, so the walk stops there. Control data still in user memory is taken as
/// routing: it is not read here, and the protocol would read it again.
fn rerouting_message(control: Control<'_>) -> Option<&'static str> {
    let Control::Kernel(mut rest) = control else {
        return Some("user_control");
    };
    const WORD: usize = core::mem::size_of::<usize>();
    const INT: usize = core::mem::size_of::<c_int>();
    while let Some(header) = rest.get(..CMSG_HEADER) {
        let len = usize::from_ne_bytes(header[..WORD].try_into().ok()?);
        let level = c_int::from_ne_bytes(header[WORD..WORD + INT].try_into().ok()?);
        let kind = c_int::from_ne_bytes(header[WORD + INT..].try_into().ok()?);
        if len < CMSG_HEADER || len > rest.len() {
            return None;
        }
        if let Some(option) = routes_elsewhere(level, kind) {
            return Some(option);
        }
        let next = len.checked_next_multiple_of(WORD)?;
        rest = rest.get(next..)?;
    }
    None
}

/// Refuses a confined task's `op` that would route a mediated socket's packets elsewhere
/// than the endpoint checked (`option`), whatever its rules allow. Never kills in kill mode:
/// the hook does not see the option, and programs clear IP options routinely (tcp_wrappers).
fn refuse_route(op: &str, option: Option<&'static str>) -> Result {
    match option {
        Some(option) => check_current_without_kill(op, &NetObject::Route { option }, |_| false),
        None => Ok(()),
    }
}

/// `socket_setsockopt`: no confined task may source-route a TCP or UDP socket (see
/// [`routes_elsewhere`]); other options are not mediated.
pub(crate) fn socket_setsockopt(sock: &Socket, level: c_int, name: c_int) -> Result {
    match routes_elsewhere(level, name) {
        Some(option) if ip_proto(sock).is_some() => refuse_route("setsockopt", Some(option)),
        _ => Ok(()),
    }
}

/// `socket_sendmsg`: UDP datagrams to an explicit address (a connected socket's peer was
/// checked at `connect`), and TCP Fast Open: `sendto(MSG_FASTOPEN)` with an address connects
/// a TCP or MPTCP socket without `connect()`, so it is checked as one (Landlock does too). A
/// UDP datagram whose control messages route it elsewhere is refused to a confined task,
/// with or without an address.
pub(crate) fn socket_sendmsg(
    sock: &Socket,
    name: &[u8],
    flags: u32,
    control: Control<'_>,
    _size: c_int,
) -> Result {
    let Some(proto) = ip_proto(sock) else {
        return Ok(());
    };
    let has_control = !matches!(control, Control::Kernel([]));
    if has_control && proto == net::PROTO_UDP {
        refuse_route("send", rerouting_message(control))?;
    }
    let (op, what) = match proto {
        net::PROTO_UDP => (net::OP_SEND, "send"),
        _ if flags & bindings::MSG_FASTOPEN != 0 => (net::OP_CONNECT, "connect"),
        _ => return Ok(()),
    };
    check_endpoint(what, op, proto, sock, name, ask::Wait::Socket(sock, flags))
}
