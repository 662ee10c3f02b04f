//! H3 (TCP Fast Open and MPTCP connect through sendto), H4 (AF_UNSPEC addresses), L5
//! (IPv4-mapped IPv6 addresses), M4 (SCTP under a family-only socket entry), and source
//! routes (an IPv4 LSRR option as a control message or a socket option, an IPv6 routing
//! header), which send a packet checked for one address to another host first.

use super::{expect, load, refused, remove};
use crate::{check, Outcome, Suite, FREE_PROBE};

const NET: &str = "/usr/bin/rlsm-probe-esc-net";
const NET6: &str = "/usr/bin/rlsm-probe-esc-net6";
const SCTP: &str = "/usr/bin/rlsm-probe-esc-sctp";

/// The suite's network profile, narrowed: TCP connect to 127.0.0.0/8:9000 only, UDP send to
/// port 53 only, UDP bind on 7778 only.
const PROFILES: &str = r#"
[profile.esc-net]
attach = ["/usr/bin/rlsm-probe-esc-net"]

[profile.esc-net.network]
sockets = ["inet:stream", "inet:dgram", "inet6:dgram"]

[[profile.esc-net.network.rule]]
allow = ["connect"]
protocol = "tcp"
ports = [9000]
addresses = ["127.0.0.0/8"]

[[profile.esc-net.network.rule]]
allow = ["send"]
protocol = "udp"
ports = [53]

[[profile.esc-net.network.rule]]
allow = ["bind"]
protocol = "udp"
ports = [7778]

[profile.esc-net6]
attach = ["/usr/bin/rlsm-probe-esc-net6"]

[profile.esc-net6.network]
sockets = ["inet6:dgram"]

[[profile.esc-net6.network.rule]]
allow = ["send"]
protocol = "udp"
ports = [5555]
addresses = ["::/0"]

[profile.esc-sctp]
attach = ["/usr/bin/rlsm-probe-esc-sctp"]

[profile.esc-sctp.network]
sockets = ["inet"]
"#;

fn ok(probe: &str, args: &[&str], errno: i32) -> Outcome {
    expect(probe, args, errno).map(drop)
}

pub(super) fn run(s: &mut Suite) {
    s.case("net: load the network-bypass profiles", || {
        load("esc-net", PROFILES)
    });
    s.case(
        "net: plain TCP connect to a port outside the rule (baseline)",
        || ok(NET, &["tcp-connect", "127.0.0.1", "9001"], libc::EACCES),
    );
    s.case(
        "net: TCP Fast Open to a port outside the rule is refused",
        || {
            let needle = "proto=tcp addr=127.0.0.1 port=9001";
            let args = ["tcp-fastopen", "127.0.0.1", "9001"];
            refused(NET, &args, libc::EACCES, "esc-net", "connect", needle)
        },
    );
    s.case(
        "net: TCP Fast Open to the allowed port (nobody listens)",
        || {
            ok(
                NET,
                &["tcp-fastopen", "127.0.0.1", "9000"],
                libc::ECONNREFUSED,
            )
        },
    );
    s.case("net: an MPTCP socket counts as inet:stream", || {
        ok(NET, &["socket", "2", "1", "262"], 0)
    });
    s.case(
        "net: MPTCP Fast Open to a port outside the rule is refused",
        || {
            let args = ["mptcp-fastopen", "127.0.0.1", "9002"];
            refused(NET, &args, libc::EACCES, "esc-net", "connect", "port=9002")
        },
    );
    s.case(
        "net: MPTCP Fast Open to the allowed port (nobody listens)",
        || {
            ok(
                NET,
                &["mptcp-fastopen", "127.0.0.1", "9000"],
                libc::ECONNREFUSED,
            )
        },
    );
    s.case(
        "net: UDP send with AF_UNSPEC to a port without a rule is refused",
        || {
            let needle = "proto=udp addr=127.0.0.1 port=5555";
            let args = ["udp-send-unspec", "127.0.0.1", "5555"];
            refused(NET, &args, libc::EACCES, "esc-net", "send", needle)
        },
    );
    s.case("net: UDP send with AF_UNSPEC to the allowed port", || {
        ok(NET, &["udp-send-unspec", "127.0.0.1", "53"], 0)
    });
    s.case(
        "net: UDP bind with AF_UNSPEC on a port without a rule is refused",
        || {
            let args = ["udp-bind-unspec", "7777"];
            refused(NET, &args, libc::EACCES, "esc-net", "bind", "port=7777")
        },
    );
    s.case("net: UDP bind with AF_UNSPEC on the allowed port", || {
        ok(NET, &["udp-bind-unspec", "7778"], 0)
    });
    // On an IPv6 socket the kernel reads AF_UNSPEC as "no address", but IPV6_ADDRFORM can
    // turn the socket into an IPv4 one between the check and the send, which reads the same
    // bytes as an IPv4 address: rustlsm checks that IPv4 reading (port and flowinfo bytes).
    s.case(
        "net: UDP send with AF_UNSPEC from an IPv6 socket to a port without a rule is refused",
        || {
            let args = ["udp6-send-unspec", "::1", "5555"];
            refused(NET, &args, libc::EACCES, "esc-net", "send", "port=5555")
        },
    );
    s.case(
        "net: UDP send with AF_UNSPEC from an IPv6 socket to an allowed port reaches the stack",
        || {
            // No address and no connected peer: the kernel answers EDESTADDRREQ.
            ok(NET, &["udp6-send-unspec", "::1", "53"], libc::EDESTADDRREQ)
        },
    );
    s.case(
        "net: an IPv4-mapped address is checked as IPv4 (no IPv4 rule)",
        || {
            let needle = "addr=127.0.0.1 port=5555";
            let args = ["udp6-send-mapped", "127.0.0.1", "5555"];
            refused(NET6, &args, libc::EACCES, "esc-net6", "send", needle)
        },
    );
    s.case(
        "net: the kernel takes an IPv4 source route on a UDP send (unconfined)",
        || {
            ok(
                FREE_PROBE,
                &["udp-send-srr", "127.0.0.1", "53", "127.0.0.2"],
                0,
            )
        },
    );
    s.case(
        "net: a UDP send to an allowed endpoint, source-routed elsewhere, is refused",
        || {
            source_routed(
                "send",
                &["udp-send-srr", "127.0.0.1", "53", "127.0.0.2"],
                "option=ip_retopts",
            )
        },
    );
    s.case(
        "net: a UDP send with a control message that routes nowhere (IP_TOS)",
        || ok(NET, &["udp-send-tos", "127.0.0.1", "53"], 0),
    );
    s.case(
        "net: setsockopt(IP_OPTIONS), a source route for connect, is refused",
        || {
            source_routed(
                "setsockopt",
                &["tcp-setopt-srr", "127.0.0.2"],
                "option=ip_options",
            )
        },
    );
    s.case(
        "net: setsockopt(IPV6_RTHDR), an IPv6 routing header, is refused",
        || {
            source_routed(
                "setsockopt",
                &["udp6-setopt-rthdr", "::2"],
                "option=ipv6_rthdr",
            )
        },
    );
    s.case(
        "net: io_uring sets IP_OPTIONS through its socket command (unconfined)",
        || ok(FREE_PROBE, &["uring-setopt-srr", "127.0.0.2"], 0),
    );
    s.case(
        "net: io_uring's setsockopt(IP_OPTIONS) is refused too",
        || {
            source_routed(
                "setsockopt",
                &["uring-setopt-srr", "127.0.0.2"],
                "option=ip_options",
            )
        },
    );
    s.case(
        "net: sendmmsg: a second datagram to the same allowed address, source-routed, is refused",
        || {
            source_routed(
                "send",
                &["udp-sendmmsg-srr", "127.0.0.1", "53", "127.0.0.2"],
                "option=ip_retopts",
            )
        },
    );
    s.case(
        "net: setsockopt(IPV6_FLOWLABEL_MGR), whose labels may carry a route, is refused",
        || {
            source_routed(
                "setsockopt",
                &["udp6-setopt-flowlabel"],
                "option=ipv6_flowlabel_mgr",
            )
        },
    );
    s.case("net: a real IPv6 address under the ::/0 rule", || {
        ok(NET6, &["udp-send", "::1", "5555"], 0)
    });
    s.case("net: SCTP exists in this kernel (unconfined)", || {
        ok(FREE_PROBE, &["sctp-socket"], 0)
    });
    s.case("net: a family-only entry does not cover SCTP", || {
        let lines = super::new_denials("esc-sctp", || {
            let out = expect(SCTP, &["sctp-socket"], libc::EACCES)?;
            check(out.trim() == "stream=13 seqpacket=13", || out.clone())
        })?;
        super::has_line(&lines, "socket", "protocol=132")
    });
    s.case("net: a family-only entry covers TCP and UDP", || {
        ok(SCTP, &["socket", "2", "1", "0"], 0)?;
        ok(SCTP, &["socket", "2", "2", "0"], 0)
    });
    s.case("net: remove the network-bypass profiles", || {
        remove(&["esc-net", "esc-net6", "esc-sctp"])
    });
}

/// A source route (or what may carry one) that the confined probe sets with `args` is refused
/// in `op`, and the record names the `option`.
fn source_routed(op: &str, args: &[&str], option: &str) -> Outcome {
    refused(NET, args, libc::EACCES, "esc-net", op, option)
}
