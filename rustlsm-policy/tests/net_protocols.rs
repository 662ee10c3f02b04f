//! What a socket entry without a protocol covers, and how addresses that reach IPv4 through
//! an IPv6 socket are read: the kernel's decisions for SCTP sockets and dual-stack sends.

use rustlsm_policy::net::{self, Endpoint};
use rustlsm_policy::{encode, wire, Mode, ProfileSpec, SocketSpec};

const IPPROTO_SCTP: u16 = 132;
const SOCK_STREAM: u16 = 1;
const SOCK_DGRAM: u16 = 2;
const SOCK_SEQPACKET: u16 = 5;

fn with_sockets(sockets: Vec<SocketSpec>) -> Vec<u8> {
    let mut p = ProfileSpec::new("p", Mode::Enforce);
    p.sockets = sockets;
    encode(&[p]).unwrap()
}

#[test]
fn a_family_entry_covers_tcp_udp_and_mptcp_only() {
    let blob = with_sockets(vec![SocketSpec {
        family: net::AF_INET,
        sock_type: 0,
        protocol: 0,
    }]);
    let n = wire::profiles(&blob).next().unwrap().net();
    assert!(n.may_create(net::AF_INET, SOCK_STREAM, 0));
    assert!(n.may_create(net::AF_INET, SOCK_STREAM, net::IPPROTO_TCP));
    assert!(n.may_create(net::AF_INET, SOCK_STREAM, net::IPPROTO_MPTCP));
    assert!(n.may_create(net::AF_INET, SOCK_DGRAM, net::IPPROTO_UDP));
    assert!(!n.may_create(net::AF_INET, SOCK_STREAM, IPPROTO_SCTP));
    assert!(!n.may_create(net::AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP));
    assert!(!n.may_create(net::AF_INET, SOCK_DGRAM, net::IPPROTO_ICMP));
}

#[test]
fn a_named_protocol_is_allowed_exactly() {
    let blob = with_sockets(vec![SocketSpec {
        family: net::AF_INET,
        sock_type: SOCK_SEQPACKET,
        protocol: IPPROTO_SCTP,
    }]);
    let n = wire::profiles(&blob).next().unwrap().net();
    assert!(n.may_create(net::AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP));
    assert!(!n.may_create(net::AF_INET, SOCK_STREAM, IPPROTO_SCTP));
    assert!(!n.may_create(net::AF_INET, SOCK_SEQPACKET, 0));
}

#[test]
fn a_netlink_entry_without_a_protocol_is_netlink_route_alone() {
    // Protocol 0 is NETLINK_ROUTE; the others (socket diagnostics, audit, uevents...) reach
    // much more and must be named, or every protocol allowed with ANY_PROTOCOL.
    let blob = with_sockets(vec![SocketSpec {
        family: net::AF_NETLINK,
        sock_type: 0,
        protocol: 0,
    }]);
    let n = wire::profiles(&blob).next().unwrap().net();
    assert!(n.may_create(net::AF_NETLINK, SOCK_DGRAM, 0));
    assert!(!n.may_create(net::AF_NETLINK, SOCK_DGRAM, 4));
    assert!(!n.may_create(net::AF_NETLINK, SOCK_DGRAM, 9));
    let blob = with_sockets(vec![SocketSpec {
        family: net::AF_NETLINK,
        sock_type: 0,
        protocol: net::ANY_PROTOCOL,
    }]);
    let n = wire::profiles(&blob).next().unwrap().net();
    assert!(n.may_create(net::AF_NETLINK, SOCK_DGRAM, 9));
}

#[test]
fn other_families_keep_any_protocol_for_an_entry_without_one() {
    // Packet sockets name an ethertype, not a protocol a rule mediates.
    let blob = with_sockets(vec![SocketSpec {
        family: 17,
        sock_type: 2,
        protocol: 0,
    }]);
    let n = wire::profiles(&blob).next().unwrap().net();
    assert!(n.may_create(17, SOCK_DGRAM, 0x0300));
}

fn sin6(addr: [u8; 16], port: u16) -> Vec<u8> {
    let mut s = vec![0u8; 28];
    s[..2].copy_from_slice(&net::AF_INET6.to_ne_bytes());
    s[2..4].copy_from_slice(&port.to_be_bytes());
    s[8..24].copy_from_slice(&addr);
    s
}

#[test]
fn ipv4_mapped_addresses_are_ipv4_endpoints() {
    let mapped = "::ffff:127.0.0.1".parse::<std::net::Ipv6Addr>().unwrap();
    let mut v4 = [0u8; 16];
    v4[..4].copy_from_slice(&[127, 0, 0, 1]);
    assert_eq!(
        net::endpoint(&sin6(mapped.octets(), 53)),
        Some(Endpoint {
            family: 4,
            addr: v4,
            port: 53
        })
    );
    // Only the exact ::ffff:0:0/96 prefix is IPv4; IPv4-compatible ::a.b.c.d is IPv6.
    let compat = "::127.0.0.1".parse::<std::net::Ipv6Addr>().unwrap();
    assert_eq!(net::endpoint(&sin6(compat.octets(), 53)).unwrap().family, 6);
}
