//! `ask` network rules (`SECTION_ASK_NET`) and `ask` mode for endpoints: which endpoint
//! operations a profile puts to its agent once its network rules refuse them.

use rustlsm_policy::net;
use rustlsm_policy::wire::{self, ErrorKind};
use rustlsm_policy::{encode, Mode, NetRule, ProfileSpec};

mod common;
use common::{v4, with_section};

fn tcp_rule(ops: u8, port: u16) -> NetRule {
    NetRule {
        ops,
        proto: net::PROTO_TCP,
        family: 4,
        prefix: 8,
        ports: (port, port),
        addr: [10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    }
}

#[test]
fn ask_network_rules_name_what_is_asked_and_allow_nothing() {
    let spec = ProfileSpec {
        net_rules: vec![tcp_rule(net::OP_CONNECT, 443)],
        ask_net_rules: vec![tcp_rule(net::OP_CONNECT | net::OP_BIND, 80)],
        ..ProfileSpec::new("p", Mode::Enforce)
    };
    let blob = encode(&[spec]).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    let asked = v4([10, 1, 2, 3], 80);
    assert!(!view.net().may(net::OP_CONNECT, net::PROTO_TCP, &asked));
    assert!(view.asks_net(net::OP_CONNECT, net::PROTO_TCP, &asked));
    assert!(view.asks_net(net::OP_BIND, net::PROTO_TCP, &asked));
    assert!(!view.asks_net(net::OP_LISTEN, net::PROTO_TCP, &asked));
    assert!(!view.asks_net(net::OP_CONNECT, net::PROTO_UDP, &asked));
    assert!(!view.asks_net(net::OP_CONNECT, net::PROTO_TCP, &v4([11, 1, 2, 3], 80)));
    assert!(!view.asks_net(net::OP_CONNECT, net::PROTO_TCP, &v4([10, 1, 2, 3], 81)));
    // No file asks come with them.
    assert!(!view.asks());
}

#[test]
fn ask_mode_asks_every_endpoint_operation_and_enforce_none() {
    for (mode, asks) in [
        (Mode::Ask, true),
        (Mode::Enforce, false),
        (Mode::Complain, false),
    ] {
        let blob = encode(&[ProfileSpec::new("p", mode)]).unwrap();
        let view = wire::profiles(&blob).next().unwrap();
        let anywhere = v4([192, 0, 2, 1], 53);
        assert_eq!(view.asks_net(net::OP_SEND, net::PROTO_UDP, &anywhere), asks);
    }
}

#[test]
fn the_verifier_refuses_socket_entries_and_bad_rules_in_the_ask_section() {
    // One socket entry (AF_INET, any type) and no rules.
    let with_socket = [1, 0, 2, 0, 0, 0, 0, 0, 0, 0];
    // No sockets, one rule with an unknown operation bit.
    let mut bad_op = vec![0, 0, 1, 0, 0x80, net::PROTO_TCP, 0, 0, 0, 0, 0xff, 0xff];
    bad_op.extend_from_slice(&[0; 16]);
    for payload in [&with_socket[..], &bad_op, &[0, 0][..]] {
        let (blob, _) = with_section(wire::SECTION_ASK_NET, payload);
        let e = wire::verify(&blob).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadSectionPayload);
    }
    let (good, _) = with_section(wire::SECTION_ASK_NET, &[0, 0, 0, 0]);
    assert_eq!(wire::verify(&good), Ok(1));
}
