//! `ask = [...]` in network rules: compiled as ask network rules; an error beside `allow`;
//! the agent's "always" answer for an endpoint, a network rule in the local file.

use lsmctl::ask::{add_network_rule, Asked, Request};
use rustlsm_policy::net::{self, Endpoint};
use rustlsm_policy::wire;
use std::path::Path;

fn compile(src: &str) -> Result<Vec<rustlsm_policy::ProfileSpec>, String> {
    lsmctl::compile_checked(Path::new("n.toml"), src)
        .map(|(_, compiled)| compiled.profiles)
        .map_err(|e| e.to_string())
}

const PROFILE: &str = r#"[profile.n]
[profile.n.network]
sockets = ["inet:stream"]
[[profile.n.network.rule]]
ask = ["connect"]
protocol = "tcp"
ports = [80]
"#;

fn loopback(port: u16) -> Endpoint {
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&[127, 0, 0, 1]);
    Endpoint {
        family: 4,
        addr,
        port,
    }
}

#[test]
fn an_ask_network_rule_compiles_into_the_ask_section() {
    let p = compile(PROFILE).unwrap();
    assert!(p[0].net_rules.is_empty());
    assert_eq!(p[0].ask_net_rules.len(), 1);
    let blob = rustlsm_policy::encode(&p).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    assert!(!view
        .net()
        .may(net::OP_CONNECT, net::PROTO_TCP, &loopback(80)));
    assert!(view.asks_net(net::OP_CONNECT, net::PROTO_TCP, &loopback(80)));
    assert!(!view.asks_net(net::OP_CONNECT, net::PROTO_TCP, &loopback(81)));
}

#[test]
fn a_network_rule_takes_allow_or_ask() {
    let both = PROFILE.replace(
        "ask = [\"connect\"]",
        "ask = [\"connect\"]\nallow = [\"bind\"]",
    );
    let e = compile(&both).unwrap_err();
    assert!(
        e.contains("n.toml:4:1") && e.contains("exactly one of `allow` or `ask`"),
        "{e}"
    );
    let neither = PROFILE.replace("ask = [\"connect\"]\n", "");
    assert!(compile(&neither).unwrap_err().contains("exactly one of"));
    let empty = PROFILE.replace("[\"connect\"]", "[]");
    let e = compile(&empty).unwrap_err();
    assert!(
        e.contains("n.toml:5:7") && e.contains("names no operation"),
        "{e}"
    );
}

const LINE: &[u8] = br#"id=3 pid=50 tgid=50 uid=0 comm="curl" profile="n" op=connect requested=connect proto=tcp addr=2001:db8:0:0:0:0:0:1 port=443 netns=1 waits=0"#;

#[test]
fn an_endpoint_request_is_read_and_described() {
    let r = Request::parse(LINE).unwrap();
    assert_eq!(r.requested, u32::from(net::OP_CONNECT));
    let Asked::Endpoint {
        proto,
        addr,
        port,
        netns,
    } = &r.object
    else {
        panic!("not an endpoint: {r:?}");
    };
    assert_eq!(
        (proto.as_str(), addr.to_string(), *port, *netns),
        ("tcp", "2001:db8::1".into(), 443, 1)
    );
    assert_eq!(r.object_text(), b"connect tcp [2001:db8::1]:443");
    let said = r.describe();
    assert!(
        said.contains("asks to connect tcp [2001:db8::1]:443"),
        "{said}"
    );
    // The namespace is named when it is not the agent's own.
    // (A kernel older than NS_GET_ID's 6.x has no id to compare: every request names it.)
    let own = lsmctl::ask::own_netns();
    if let Some(own) = own {
        let here = String::from_utf8_lossy(LINE).replace("netns=1", &format!("netns={own}"));
        let r_here = Request::parse(here.as_bytes()).unwrap();
        assert!(!r_here.describe().contains("network namespace"));
    }
    if own != Some(1) {
        assert!(
            said.contains("in network namespace 1 (not the agent's)"),
            "{said}"
        );
    }
    for bad in [
        String::from_utf8_lossy(LINE).replace("requested=connect", "requested=r"),
        String::from_utf8_lossy(LINE).replace("proto=tcp", "proto=sctp"),
        String::from_utf8_lossy(LINE).replace("port=443", "port=70000"),
        String::from_utf8_lossy(LINE).replace(" port=443", ""),
        String::from_utf8_lossy(LINE).replace(" netns=1", ""),
        String::from_utf8_lossy(LINE).replace("netns=1", "netns=x"),
        String::from_utf8_lossy(LINE).replace("port=443", "port=443 fd=4"),
        String::from_utf8_lossy(LINE).replace(" waits=0", ""),
    ] {
        assert_eq!(Request::parse(bad.as_bytes()), None, "{bad}");
    }
}

#[test]
fn an_always_answer_for_an_endpoint_is_a_network_rule_that_compiles() {
    let addr = "127.0.0.1".parse().unwrap();
    let local = add_network_rule("", u32::from(net::OP_CONNECT), "tcp", &addr, 80).unwrap();
    // The local file is included by the profile; it adds an allow rule for that endpoint
    // alone.
    let dir = std::env::temp_dir().join(format!("lsmctl-ask-network-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("local.toml"), &local).unwrap();
    let profile = PROFILE.replace("[profile.n]\n", "[profile.n]\ninclude = [\"./local\"]\n");
    let file = dir.join("n.toml");
    let compiled = lsmctl::compile_checked(&file, &profile);
    std::fs::remove_dir_all(&dir).unwrap();
    let (_, compiled) = compiled.unwrap();
    let blob = rustlsm_policy::encode(&compiled.profiles).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    assert!(
        view.net()
            .may(net::OP_CONNECT, net::PROTO_TCP, &loopback(80)),
        "{local}"
    );
    assert!(!view
        .net()
        .may(net::OP_CONNECT, net::PROTO_TCP, &loopback(81)));
    assert!(!view.net().may(net::OP_BIND, net::PROTO_TCP, &loopback(80)));
    // A second answer appends to the same table.
    let again = add_network_rule(&local, u32::from(net::OP_CONNECT), "tcp", &addr, 81).unwrap();
    assert_eq!(again.matches("[[network.rule]]").count(), 2, "{again}");
    assert!(add_network_rule("network = 1\n", 4, "tcp", &addr, 80).is_err());
}
