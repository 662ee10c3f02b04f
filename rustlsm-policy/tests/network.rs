//! The network section: socket entries, endpoint rules over IPv4 and IPv6 (which the test VM
//! cannot exercise: its kernel has no IPv6), and the verifier's refusals.

use rustlsm_policy::net::{self, Endpoint};
use rustlsm_policy::{encode, wire, Mode, NetRule, ProfileSpec, SocketSpec};

mod common;
use common::v4;

fn v6(a: std::net::Ipv6Addr, port: u16) -> Endpoint {
    Endpoint {
        family: 6,
        addr: a.octets(),
        port,
    }
}

fn rule(ops: u8, proto: u8, family: u8, prefix: u8, ports: (u16, u16), addr: &[u8]) -> NetRule {
    let mut a = [0u8; 16];
    a[..addr.len()].copy_from_slice(addr);
    NetRule {
        ops,
        proto,
        family,
        prefix,
        ports,
        addr: a,
    }
}

fn profile() -> Vec<u8> {
    let doc = "2001:db8::".parse::<std::net::Ipv6Addr>().unwrap().octets();
    encode(&[ProfileSpec {
        sockets: vec![
            SocketSpec {
                family: net::AF_INET,
                sock_type: 0,
                protocol: 0,
            },
            SocketSpec {
                family: net::AF_INET6,
                sock_type: 2,
                protocol: net::IPPROTO_ICMPV6,
            },
            SocketSpec {
                family: 17,
                sock_type: net::SOCK_RAW,
                protocol: net::ANY_PROTOCOL,
            },
        ],
        net_rules: vec![
            rule(net::OP_CONNECT, net::PROTO_TCP, 4, 8, (443, 443), &[10]),
            rule(
                net::OP_CONNECT,
                net::PROTO_TCP,
                6,
                32,
                (443, 443),
                &doc[..4],
            ),
            rule(net::OP_SEND, net::PROTO_UDP, 0, 0, (53, 53), &[]),
            rule(
                net::OP_BIND,
                net::PROTO_TCP,
                4,
                32,
                (8000, 8100),
                &[127, 0, 0, 1],
            ),
        ],
        ..ProfileSpec::new("n", Mode::Enforce)
    }])
    .unwrap()
}

#[test]
fn sockets_by_family_type_and_protocol() {
    let b = profile();
    let n = wire::profiles(&b).next().unwrap().net();
    assert!(n.may_create(net::AF_INET, 1, 0)); // stream
    assert!(n.may_create(net::AF_INET, 2, 17)); // udp
    assert!(!n.may_create(net::AF_INET, net::SOCK_RAW, 0)); // raw must be named
    assert!(!n.may_create(net::AF_INET, 2, net::IPPROTO_ICMP)); // icmp must be named
    assert!(n.may_create(net::AF_INET6, 2, net::IPPROTO_ICMPV6));
    assert!(!n.may_create(net::AF_INET6, 1, 0));
    assert!(n.may_create(17, net::SOCK_RAW, 768));
    assert!(!n.may_create(1, 1, 0));
}

#[test]
fn endpoints_by_port_range_and_prefix_in_both_families() {
    let b = profile();
    let n = wire::profiles(&b).next().unwrap().net();
    let tcp = net::PROTO_TCP;
    assert!(n.may(net::OP_CONNECT, tcp, &v4([10, 200, 3, 4], 443)));
    assert!(!n.may(net::OP_CONNECT, tcp, &v4([11, 0, 0, 1], 443)));
    assert!(!n.may(net::OP_CONNECT, tcp, &v4([10, 0, 0, 1], 444)));
    assert!(!n.may(net::OP_BIND, tcp, &v4([10, 0, 0, 1], 443)));
    assert!(n.may(
        net::OP_CONNECT,
        tcp,
        &v6("2001:db8::1".parse().unwrap(), 443)
    ));
    assert!(!n.may(
        net::OP_CONNECT,
        tcp,
        &v6("2001:db9::1".parse().unwrap(), 443)
    ));
    // Family 0 matches any address of either family.
    assert!(n.may(net::OP_SEND, net::PROTO_UDP, &v4([8, 8, 8, 8], 53)));
    assert!(n.may(
        net::OP_SEND,
        net::PROTO_UDP,
        &v6("::1".parse().unwrap(), 53)
    ));
    assert!(!n.may(net::OP_SEND, tcp, &v4([8, 8, 8, 8], 53)));
    assert!(n.may(net::OP_BIND, tcp, &v4([127, 0, 0, 1], 8100)));
    assert!(!n.may(net::OP_BIND, tcp, &v4([127, 0, 0, 2], 8050)));
    // A profile without network rules allows nothing.
    let none = encode(&[ProfileSpec::new("q", Mode::Enforce)]).unwrap();
    let q = wire::profiles(&none).next().unwrap().net();
    assert!(!q.may_create(net::AF_INET, 1, 0));
    assert!(!q.may(net::OP_CONNECT, tcp, &v4([127, 0, 0, 1], 80)));
}

#[test]
fn sockaddrs_are_parsed() {
    let mut sin = vec![0u8; 16];
    sin[..2].copy_from_slice(&net::AF_INET.to_ne_bytes());
    sin[2..4].copy_from_slice(&8080u16.to_be_bytes());
    sin[4..8].copy_from_slice(&[127, 0, 0, 1]);
    assert_eq!(net::endpoint(&sin), Some(v4([127, 0, 0, 1], 8080)));
    assert_eq!(net::endpoint(&sin[..7]), None);
    let mut sin6 = vec![0u8; 28];
    sin6[..2].copy_from_slice(&net::AF_INET6.to_ne_bytes());
    sin6[2..4].copy_from_slice(&443u16.to_be_bytes());
    sin6[8..24].copy_from_slice(&"::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
    assert_eq!(net::endpoint(&sin6), Some(v6("::1".parse().unwrap(), 443)));
    let mut unix = vec![0u8; 16];
    unix[..2].copy_from_slice(&1u16.to_ne_bytes());
    assert_eq!(net::endpoint(&unix), None);
}

#[test]
fn verifier_refuses_bad_rules() {
    let good = |r: NetRule| {
        let mut p = vec![0u8, 0, 1, 0];
        p.extend_from_slice(&[r.ops, r.proto, r.family, r.prefix]);
        p.extend_from_slice(&r.ports.0.to_le_bytes());
        p.extend_from_slice(&r.ports.1.to_le_bytes());
        p.extend_from_slice(&r.addr);
        p
    };
    assert!(net::verify(&good(rule(net::OP_BIND, 6, 4, 32, (1, 2), &[]))).is_ok());
    assert!(net::verify(&good(rule(0, 6, 4, 32, (1, 2), &[]))).is_err());
    assert!(net::verify(&good(rule(0x80, 6, 4, 32, (1, 2), &[]))).is_err());
    assert!(net::verify(&good(rule(net::OP_BIND, 1, 4, 32, (1, 2), &[]))).is_err());
    assert!(net::verify(&good(rule(net::OP_BIND, 6, 5, 0, (1, 2), &[]))).is_err());
    assert!(net::verify(&good(rule(net::OP_BIND, 6, 4, 33, (1, 2), &[]))).is_err());
    assert!(net::verify(&good(rule(net::OP_BIND, 6, 6, 129, (1, 2), &[]))).is_err());
    assert!(net::verify(&good(rule(net::OP_BIND, 6, 4, 8, (3, 2), &[]))).is_err());
    let mut short = good(rule(net::OP_BIND, 6, 4, 8, (1, 2), &[]));
    short.pop();
    assert!(net::verify(&short).is_err());
    assert!(net::verify(&[]).is_err());
    let too_many = (net::MAX_ENTRIES + 1).to_le_bytes();
    assert!(net::verify(&[too_many[0], too_many[1], 0, 0]).is_err());
}
