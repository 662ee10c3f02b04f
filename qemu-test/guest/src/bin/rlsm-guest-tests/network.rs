//! Socket hooks (network.rs): which sockets a confined task may create and which TCP and UDP
//! endpoints it may bind, listen on, connect or send to; unconfined tasks are not restricted.

use crate::harness::{self, kernel_log, lsmctl};
use crate::{check, Suite, FREE_PROBE};
use std::fs;

/// The probe under the network profile below.
const NET_PROBE: &str = "/usr/bin/rlsm-probe-net";

/// Sockets by family and type, TCP bind/listen by port range on one address, TCP connect to a
/// port in a CIDR, UDP send to one port anywhere.
const NET_PROFILE: &str = r#"
[profile.net]
attach = ["/usr/bin/rlsm-probe-net"]
capabilities = ["net_raw"]

[profile.net.network]
sockets = ["inet:stream", "inet:dgram", "inet6:dgram", "unix", "netlink:route"]

[[profile.net.network.rule]]
allow = ["bind", "listen"]
protocol = "tcp"
ports = ["8000-8100"]
addresses = ["127.0.0.1"]

[[profile.net.network.rule]]
allow = ["bind"]
protocol = "tcp"
ports = [8200]

[[profile.net.network.rule]]
allow = ["connect"]
protocol = "tcp"
ports = [9000]
addresses = ["127.0.0.0/8"]

[[profile.net.network.rule]]
allow = ["send"]
protocol = "udp"
ports = [53]

[[profile.net.network.rule]]
allow = ["send"]
protocol = "udp"
ports = [5353]
addresses = ["fd00::/8"]
"#;

/// (what, probe arguments, expected errno) for the network profile.
const NET_CASES: &[(&str, &[&str], i32)] = &[
    (
        "socket: inet stream is listed",
        &["socket", "2", "1", "0"],
        0,
    ),
    ("socket: unix is listed", &["socket", "1", "1", "0"], 0),
    (
        "socket: inet6 is not listed",
        &["socket", "10", "1", "0"],
        libc::EACCES,
    ),
    (
        "socket: netlink:route allows NETLINK_ROUTE, raw",
        &["socket", "16", "3", "0"],
        0,
    ),
    (
        "socket: netlink:route allows NETLINK_ROUTE, datagram",
        &["socket", "16", "2", "0"],
        0,
    ),
    (
        "socket: netlink:route does not cover socket diagnostics (every socket's state)",
        &["socket", "16", "3", "4"],
        libc::EACCES,
    ),
    (
        "socket: netlink:route does not cover uevents",
        &["socket", "16", "2", "15"],
        libc::EACCES,
    ),
    (
        "socket: packet is not listed",
        &["socket", "17", "3", "0"],
        libc::EACCES,
    ),
    (
        "socket: raw must be named, even with CAP_NET_RAW",
        &["socket", "2", "3", "1"],
        libc::EACCES,
    ),
    (
        "socket: an IPv6 ping socket is not named (inet6:dgram excludes ICMPv6)",
        &["socket", "10", "2", "58"],
        libc::EACCES,
    ),
    (
        "tcp bind: port in range on the allowed address",
        &["tcp-bind", "8080"],
        0,
    ),
    (
        "tcp bind: port outside every rule",
        &["tcp-bind", "7000"],
        libc::EACCES,
    ),
    ("tcp listen: allowed port", &["tcp-listen", "8081"], 0),
    (
        "tcp listen: bind allowed but not listen",
        &["tcp-listen", "8200"],
        libc::EACCES,
    ),
    (
        "tcp connect: allowed port in the CIDR (refused by nobody listening)",
        &["tcp-connect", "127.0.0.1", "9000"],
        libc::ECONNREFUSED,
    ),
    (
        "tcp connect: other port",
        &["tcp-connect", "127.0.0.1", "9001"],
        libc::EACCES,
    ),
    (
        "tcp connect: address outside the CIDR",
        &["tcp-connect", "10.1.2.3", "9000"],
        libc::EACCES,
    ),
    (
        "udp send: allowed port",
        &["udp-send", "127.0.0.1", "53"],
        0,
    ),
    (
        "udp send: other port",
        &["udp-send", "127.0.0.1", "54"],
        libc::EACCES,
    ),
    (
        "udp6 send: a port allowed at any address",
        &["udp-send", "::1", "53"],
        0,
    ),
    (
        "udp6 send: address outside the IPv6 prefix",
        &["udp-send", "::1", "5353"],
        libc::EACCES,
    ),
    (
        "udp6 send: address in the prefix (then unroutable)",
        &["udp-send", "fd00::1", "5353"],
        libc::ENETUNREACH,
    ),
];

pub(crate) fn run(s: &mut Suite) {
    // The cases before may have spent this window's budget of kernel-log lines (100 per
    // 5 s): start with a fresh one, as the last case reads a refusal's line.
    std::thread::sleep(std::time::Duration::from_millis(5200));
    s.case("load the network profile", || {
        fs::write("/tmp/net.toml", NET_PROFILE).map_err(|e| e.to_string())?;
        lsmctl(&["load", "/tmp/net.toml"])
    });
    s.table(NET_PROBE, NET_CASES);
    s.case("network: unconfined tasks are not restricted", || {
        let (raw, _) = harness::run(FREE_PROBE, &["socket", "2", "3", "1"]);
        let (bind, _) = harness::run(FREE_PROBE, &["tcp-bind", "7000"]);
        check(raw == 0 && bind == 0, || format!("raw {raw}, bind {bind}"))
    });
    s.case(
        "network: the refusal is logged with protocol, address and port",
        || {
            let log = kernel_log();
            let want = "DENIED profile=\"net\" op=connect proto=tcp addr=10.1.2.3 port=9000";
            check(log.contains(want), || {
                format!("no line containing {want:?}")
            })
        },
    );
    s.case("remove the network profile", || lsmctl(&["remove", "net"]));
}
