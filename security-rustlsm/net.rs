// SPDX-License-Identifier: GPL-2.0-only

//! The network section of a profile, shared by the kernel and `lsmctl`: which sockets a
//! confined task may create, and which TCP and UDP endpoints it may bind, listen on, connect
//! to or send to, by port range and address prefix.
//!
//! ```text
//! socket_count u16, then socket_count x { family u16, type u16, protocol u16 }
//! rule_count u16, then rule_count x { ops u8, proto u8, family u8, prefix u8,
//!                                     port_lo u16, port_hi u16, addr [u8; 16] }
//! ```
//!
//! A socket entry of type 0 stands for every type but raw ones; of protocol 0, for every
//! protocol but ICMP (for IP families: TCP, UDP and MPTCP; for netlink: `NETLINK_ROUTE`
//! alone, as 0 is that protocol's number); of protocol [`ANY_PROTOCOL`], for every protocol:
//! raw and ICMP sockets, and netlink's other protocols (socket diagnostics, audit, uevents
//! and more), are allowed only where an entry names them. A rule of family 0 matches IPv4 and IPv6
//! addresses alike, with prefix 0.

/// Size of one socket entry.
pub const SOCKET_LEN: usize = 6;
/// Size of one endpoint rule.
pub const RULE_LEN: usize = 24;
/// Most socket entries or endpoint rules in one profile.
pub const MAX_ENTRIES: u16 = 256;

/// Rule operation: `bind()`.
pub const OP_BIND: u8 = 1 << 0;
/// Rule operation: `listen()` (TCP).
pub const OP_LISTEN: u8 = 1 << 1;
/// Rule operation: `connect()`.
pub const OP_CONNECT: u8 = 1 << 2;
/// Rule operation: `sendmsg()` to an explicit address (UDP).
pub const OP_SEND: u8 = 1 << 3;
/// Every operation this version defines.
pub const OP_ALL: u8 = OP_BIND | OP_LISTEN | OP_CONNECT | OP_SEND;

/// `IPPROTO_TCP`.
pub const PROTO_TCP: u8 = 6;
/// `IPPROTO_UDP`.
pub const PROTO_UDP: u8 = 17;

/// Socket families, types and protocols the entries refer to (uapi values).
pub const AF_INET: u16 = 2;
/// `AF_INET6`.
pub const AF_INET6: u16 = 10;
/// `AF_NETLINK`.
pub const AF_NETLINK: u16 = 16;
/// `SOCK_RAW`.
pub const SOCK_RAW: u16 = 3;
/// `SOCK_PACKET`, the obsolete raw packet type.
pub const SOCK_PACKET: u16 = 10;
/// `IPPROTO_ICMP`.
pub const IPPROTO_ICMP: u16 = 1;
/// `IPPROTO_ICMPV6`.
pub const IPPROTO_ICMPV6: u16 = 58;
/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: u16 = 6;
/// `IPPROTO_UDP`.
pub const IPPROTO_UDP: u16 = 17;
/// `IPPROTO_MPTCP`: TCP with several subflows; its endpoints are TCP's.
pub const IPPROTO_MPTCP: u16 = 262;
/// Protocol wildcard of an entry that includes ICMP (raw sockets of every protocol).
pub const ANY_PROTOCOL: u16 = u16::MAX;

fn le16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

/// A view of a verified network section.
#[derive(Clone, Copy, Default)]
pub struct Net<'a> {
    sockets: &'a [u8],
    rules: &'a [u8],
}

/// An IP endpoint: address (IPv4 in the first 4 bytes) and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// 4 for IPv4, 6 for IPv6.
    pub family: u8,
    /// The address; IPv4 uses the first 4 bytes.
    pub addr: [u8; 16],
    /// The port, in host order.
    pub port: u16,
}

/// Splits a section into its two tables; `None` if the lengths do not add up.
fn split(section: &[u8]) -> Option<(&[u8], &[u8])> {
    let sockets = usize::from(le16(section, 0)?);
    let s_end = 2 + sockets.checked_mul(SOCKET_LEN)?;
    let rules = usize::from(le16(section, s_end)?);
    let r_end = s_end + 2 + rules.checked_mul(RULE_LEN)?;
    if r_end != section.len()
        || sockets > usize::from(MAX_ENTRIES)
        || rules > usize::from(MAX_ENTRIES)
    {
        return None;
    }
    Some((section.get(2..s_end)?, section.get(s_end + 2..r_end)?))
}

/// Verifies a network section. Returns the offset of the first bad byte on failure.
pub fn verify(section: &[u8]) -> Result<(), usize> {
    let (_, rules) = split(section).ok_or(0usize)?;
    let rules_at = section.len() - rules.len();
    for (i, r) in rules.chunks_exact(RULE_LEN).enumerate() {
        let at = rules_at + i * RULE_LEN;
        let (ops, proto, family, prefix) = (r[0], r[1], r[2], r[3]);
        let lo = u16::from_le_bytes([r[4], r[5]]);
        let hi = u16::from_le_bytes([r[6], r[7]]);
        let max_prefix = match family {
            0 => 0,
            4 => 32,
            6 => 128,
            _ => return Err(at + 2),
        };
        if ops == 0 || ops & !OP_ALL != 0 {
            return Err(at);
        }
        if proto != PROTO_TCP && proto != PROTO_UDP {
            return Err(at + 1);
        }
        if prefix > max_prefix {
            return Err(at + 3);
        }
        if lo > hi {
            return Err(at + 4);
        }
    }
    Ok(())
}

/// Verifies a section of endpoint rules alone (no socket entries), as `ask` rules are.
pub fn verify_rules_only(section: &[u8]) -> Result<(), usize> {
    match split(section) {
        Some((&[], _)) => verify(section),
        _ => Err(0),
    }
}

/// Whether `prefix` leading bits of `a` and `b` agree.
fn prefix_matches(a: &[u8; 16], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a.get(..full) != b.get(..full) {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    matches!((a.get(full), b.get(full)), (Some(x), Some(y)) if x & mask == y & mask)
}

impl<'a> Net<'a> {
    /// Views a verified section (an empty view, allowing nothing, if it is malformed).
    pub fn new(section: &'a [u8]) -> Self {
        split(section).map_or_else(Net::default, |(sockets, rules)| Net { sockets, rules })
    }

    /// Whether a socket of this family, type and protocol may be created. An entry without
    /// a protocol covers, for IP families, only TCP, UDP and MPTCP (the protocols whose
    /// endpoints rules mediate): SCTP, ICMP and every other IP protocol must be named. For
    /// netlink it covers `NETLINK_ROUTE` (0) only: the other protocols reach far more (every
    /// socket's state, audit, uevents) and must be named.
    pub fn may_create(&self, family: u16, sock_type: u16, protocol: u16) -> bool {
        let special_type = sock_type == SOCK_RAW || sock_type == SOCK_PACKET;
        let special_proto = match family {
            AF_INET | AF_INET6 => {
                !matches!(protocol, 0 | IPPROTO_TCP | IPPROTO_UDP | IPPROTO_MPTCP)
            }
            AF_NETLINK => protocol != 0,
            _ => false,
        };
        self.sockets.chunks_exact(SOCKET_LEN).any(|e| {
            let f = u16::from_le_bytes([e[0], e[1]]);
            let t = u16::from_le_bytes([e[2], e[3]]);
            let p = u16::from_le_bytes([e[4], e[5]]);
            f == family
                && (t == sock_type || (t == 0 && !special_type))
                && (p == protocol || p == ANY_PROTOCOL || (p == 0 && !special_proto))
        })
    }

    /// Whether operation `op` (`OP_*`) on `proto` (`PROTO_*`) at `endpoint` is allowed.
    pub fn may(&self, op: u8, proto: u8, endpoint: &Endpoint) -> bool {
        self.rules.chunks_exact(RULE_LEN).any(|r| {
            let lo = u16::from_le_bytes([r[4], r[5]]);
            let hi = u16::from_le_bytes([r[6], r[7]]);
            r[0] & op != 0 && r[1] == proto && covers(r[2], &r[8..24], r[3], (lo, hi), endpoint)
        })
    }
}

/// Whether a rule's endpoint part covers `endpoint`: its address family (0: any address),
/// the first `prefix` bits of `addr`, and the port range `ports`.
pub fn covers(family: u8, addr: &[u8], prefix: u8, ports: (u16, u16), endpoint: &Endpoint) -> bool {
    (ports.0..=ports.1).contains(&endpoint.port)
        && (family == 0
            || (family == endpoint.family && prefix_matches(&endpoint.addr, addr, prefix)))
}

/// The first 12 bytes of an IPv4-mapped IPv6 address.
const V4_MAPPED_PREFIX: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/// Reads an IPv4 or IPv6 endpoint from a `sockaddr` of `len` bytes; `None` for any other
/// family or a short address. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) reaches an IPv4
/// host through a dual-stack socket, so it is read as that IPv4 endpoint.
pub fn endpoint(sockaddr: &[u8]) -> Option<Endpoint> {
    let family = u16::from_ne_bytes([*sockaddr.first()?, *sockaddr.get(1)?]);
    let port = u16::from_be_bytes([*sockaddr.get(2)?, *sockaddr.get(3)?]);
    let mut addr = [0u8; 16];
    match family {
        AF_INET => {
            addr[..4].copy_from_slice(sockaddr.get(4..8)?);
            Some(Endpoint {
                family: 4,
                addr,
                port,
            })
        }
        AF_INET6 => {
            addr.copy_from_slice(sockaddr.get(8..24)?);
            if addr[..12] == V4_MAPPED_PREFIX {
                addr.copy_within(12..16, 0);
                addr[4..].fill(0);
                return Some(Endpoint {
                    family: 4,
                    addr,
                    port,
                });
            }
            Some(Endpoint {
                family: 6,
                addr,
                port,
            })
        }
        _ => None,
    }
}
