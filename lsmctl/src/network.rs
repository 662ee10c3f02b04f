//! The `[profile.NAME.network]` table: sockets a profile may create and the TCP/UDP endpoints
//! it may use; its port and address forms are `lsmctl run`'s too.
//!
//! ```toml
//! [profile.web.network]
//! sockets = ["unix", "inet:stream", "inet6:dgram", "inet:icmp"]
//!
//! [[profile.web.network.rule]]
//! allow = ["bind", "listen"]
//! protocol = "tcp"
//! ports = [80, "8000-8100"]          # every port when omitted
//! addresses = ["127.0.0.0/8", "::1"] # every address when omitted
//!
//! [[profile.web.network.rule]]
//! ask = ["connect"]                  # put to the agent when no rule allows it
//! protocol = "tcp"
//! ```

use rustlsm_policy::net;
use rustlsm_policy::{NetRule, SocketSpec};
use serde::Deserialize;
use std::net::IpAddr;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NetworkToml {
    #[serde(default)]
    sockets: Vec<Spanned<String>>,
    #[serde(default, rename = "rule")]
    rules: Vec<Spanned<NetRuleToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetRuleToml {
    #[serde(default)]
    allow: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    ask: Option<Spanned<Vec<Spanned<String>>>>,
    protocol: Spanned<String>,
    #[serde(default)]
    ports: Vec<Spanned<PortToml>>,
    #[serde(default)]
    addresses: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PortToml {
    Number(i64),
    Range(String),
}

/// An error and where it is.
pub type Located = (Range<usize>, String);

impl NetworkToml {
    /// Where the first endpoint rule is, if there is one.
    pub fn first_rule(&self) -> Option<Range<usize>> {
        self.rules.first().map(Spanned::span)
    }
}

/// `AF_UNIX`.
pub const AF_UNIX: u16 = 1;

const FAMILIES: [(&str, u16); 5] = [
    ("unix", AF_UNIX),
    ("inet", net::AF_INET),
    ("inet6", net::AF_INET6),
    ("netlink", net::AF_NETLINK),
    ("packet", 17),
];

/// The name a profile gives socket family `family`, if it has one.
pub(crate) fn family_name(family: u16) -> Option<&'static str> {
    FAMILIES.iter().find(|(_, f)| *f == family).map(|(n, _)| *n)
}

/// Parses `family[:kind]`: the entries it stands for (`netlink:route` is two).
fn socket(spec: &Spanned<String>) -> Result<Vec<SocketSpec>, Located> {
    let bad = |msg: String| (spec.span(), msg);
    let (family, kind) = match spec.get_ref().split_once(':') {
        Some((f, k)) => (f, Some(k)),
        None => (spec.get_ref().as_str(), None),
    };
    let fam = FAMILIES
        .iter()
        .find(|(n, _)| *n == family)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            bad(format!(
                "unknown socket family {family:?}: expected unix, inet, inet6, netlink or packet"
            ))
        })?;
    let entry = |sock_type, protocol| SocketSpec {
        family: fam,
        sock_type,
        protocol,
    };
    if fam == net::AF_NETLINK {
        // A netlink entry of protocol 0 is NETLINK_ROUTE alone; the family and its kinds
        // name every protocol, and `route` (addresses, interfaces and routes, which
        // getaddrinfo() reads) that one, raw or datagram as programs open it.
        return match kind {
            None => Ok(vec![entry(0, net::ANY_PROTOCOL)]),
            Some("dgram") => Ok(vec![entry(2, net::ANY_PROTOCOL)]),
            Some("raw") => Ok(vec![entry(net::SOCK_RAW, net::ANY_PROTOCOL)]),
            Some("route") => Ok(vec![entry(net::SOCK_RAW, 0), entry(2, 0)]),
            Some(other) => Err(bad(format!(
                "unknown netlink socket kind {other:?}: expected route (NETLINK_ROUTE alone), \
                 or raw or dgram (every netlink protocol)"
            ))),
        };
    }
    let (sock_type, protocol) = match kind {
        None => (0, 0),
        Some("stream") => (1, 0),
        Some("dgram") => (2, 0),
        Some("seqpacket") => (5, 0),
        Some("raw") => (net::SOCK_RAW, net::ANY_PROTOCOL),
        Some("icmp") if fam == net::AF_INET => (2, net::IPPROTO_ICMP),
        Some("icmp") if fam == net::AF_INET6 => (2, net::IPPROTO_ICMPV6),
        Some(other) => {
            return Err(bad(format!(
                "unknown socket kind {other:?}: expected stream, dgram, seqpacket, raw, or icmp \
                 (inet and inet6 only)"
            )))
        }
    };
    Ok(vec![entry(sock_type, protocol)])
}

/// What a port or port range must look like.
const PORTS_FORM: &str = "a port is a number from 0 to 65535 or a range such as \"8000-8100\"";

/// Parses a port (`443`) or an inclusive range (`8000-8100`).
pub fn parse_ports(s: &str) -> Result<(u16, u16), String> {
    let num = |s: &str| s.trim().parse::<u16>().map_err(|_| PORTS_FORM.to_string());
    let (lo, hi) = match s.split_once('-') {
        Some((lo, hi)) => (num(lo)?, num(hi)?),
        None => (num(s)?, num(s)?),
    };
    if lo > hi {
        return Err(PORTS_FORM.to_string());
    }
    Ok((lo, hi))
}

fn port_range(p: &Spanned<PortToml>) -> Result<(u16, u16), Located> {
    match p.get_ref() {
        PortToml::Number(n) => {
            let n = u16::try_from(*n).map_err(|_| (p.span(), PORTS_FORM.to_string()))?;
            Ok((n, n))
        }
        PortToml::Range(s) => parse_ports(s).map_err(|e| (p.span(), e)),
    }
}

/// Parses `address[/prefix]`: (family 4 or 6, prefix, address bytes with the host bits
/// cleared, so two spellings of one network compile alike).
pub fn parse_address(text: &str) -> Result<(u8, u8, [u8; 16]), String> {
    let bad = |msg: &str| format!("{text:?}: {msg}");
    let (ip, prefix) = match text.split_once('/') {
        Some((ip, p)) => (ip, Some(p)),
        None => (text, None),
    };
    let ip: IpAddr = ip.parse().map_err(|_| bad("not an IPv4 or IPv6 address"))?;
    let (family, max, mut bytes) = match ip {
        IpAddr::V4(v4) => {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&v4.octets());
            (4u8, 32u8, b)
        }
        IpAddr::V6(v6) => (6u8, 128u8, v6.octets()),
    };
    let prefix = match prefix {
        None => max,
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|&p| p <= max)
            .ok_or_else(|| bad("the prefix length is out of range"))?,
    };
    for (i, byte) in bytes.iter_mut().enumerate() {
        let keep = usize::from(prefix).saturating_sub(i * 8).min(8);
        *byte &= if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
    }
    Ok((family, prefix, bytes))
}

fn address(a: &Spanned<String>) -> Result<(u8, u8, [u8; 16]), Located> {
    parse_address(a.get_ref()).map_err(|e| (a.span(), e))
}

/// What a network table compiles to.
#[derive(Default)]
pub struct NetworkRules {
    pub sockets: Vec<SocketSpec>,
    /// Endpoint rules that allow.
    pub allow: Vec<NetRule>,
    /// Endpoint rules that put what no rule allows to the profile's agent.
    pub ask: Vec<NetRule>,
}

/// Compiles the network table into socket entries and endpoint rules.
pub fn compile(t: &NetworkToml) -> Result<NetworkRules, Located> {
    let mut sockets = Vec::new();
    for s in &t.sockets {
        for one in socket(s)? {
            if !sockets.contains(&one) {
                sockets.push(one);
            }
        }
    }
    let mut out = NetworkRules {
        sockets,
        ..NetworkRules::default()
    };
    for rule in &t.rules {
        let r = rule.get_ref();
        let (named, rules) = match (&r.allow, &r.ask) {
            (Some(named), None) => (named, &mut out.allow),
            (None, Some(named)) => (named, &mut out.ask),
            _ => {
                return Err((
                    rule.span(),
                    "a network rule takes exactly one of `allow` or `ask`".into(),
                ))
            }
        };
        let proto = match r.protocol.get_ref().as_str() {
            "tcp" => net::PROTO_TCP,
            "udp" => net::PROTO_UDP,
            other => {
                return Err((
                    r.protocol.span(),
                    format!("unknown protocol {other:?}: expected \"tcp\" or \"udp\""),
                ))
            }
        };
        let mut ops = 0u8;
        for op in named.get_ref() {
            ops |= match (op.get_ref().as_str(), proto) {
                ("bind", _) => net::OP_BIND,
                ("listen", net::PROTO_TCP) => net::OP_LISTEN,
                ("connect", _) => net::OP_CONNECT,
                ("send", net::PROTO_UDP) => net::OP_SEND,
                (other, _) => {
                    return Err((
                        op.span(),
                        format!(
                            "{other:?} is not an operation for {}: expected bind, connect and \
                             listen (tcp) or send (udp)",
                            r.protocol.get_ref()
                        ),
                    ))
                }
            };
        }
        if ops == 0 {
            return Err((named.span(), "the rule names no operation".into()));
        }
        let ports = if r.ports.is_empty() {
            vec![(0, u16::MAX)]
        } else {
            r.ports.iter().map(port_range).collect::<Result<_, _>>()?
        };
        let addresses = if r.addresses.is_empty() {
            vec![(0, 0, [0u8; 16])]
        } else {
            r.addresses.iter().map(address).collect::<Result<_, _>>()?
        };
        for &(lo, hi) in &ports {
            for &(family, prefix, addr) in &addresses {
                rules.push(NetRule {
                    ops,
                    proto,
                    family,
                    prefix,
                    ports: (lo, hi),
                    addr,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::profile::compile;
    use rustlsm_policy::net;
    use std::path::Path;

    const SRC: &str = r#"
[profile.web]
[profile.web.network]
sockets = ["unix", "inet:stream", "inet6:icmp", "packet:raw"]

[[profile.web.network.rule]]
allow = ["bind", "listen"]
protocol = "tcp"
ports = [80, "8000-8100"]
addresses = ["10.1.2.3/8", "2001:db8::1/32"]
"#;

    #[test]
    fn network_table_compiles() {
        let p = &compile(Path::new("n.toml"), SRC).unwrap()[0];
        let sockets: Vec<(u16, u16, u16)> = p
            .sockets
            .iter()
            .map(|s| (s.family, s.sock_type, s.protocol))
            .collect();
        assert_eq!(
            sockets,
            vec![
                (1, 0, 0),
                (net::AF_INET, 1, 0),
                (net::AF_INET6, 2, net::IPPROTO_ICMPV6),
                (17, net::SOCK_RAW, net::ANY_PROTOCOL)
            ]
        );
        // Two port ranges times two addresses; host bits of the prefixes are cleared.
        assert_eq!(p.net_rules.len(), 4);
        let r = &p.net_rules[0];
        assert_eq!(
            (r.ops, r.proto, r.family, r.prefix),
            (net::OP_BIND | net::OP_LISTEN, 6, 4, 8)
        );
        assert_eq!(r.ports, (80, 80));
        assert_eq!(&r.addr[..4], &[10, 0, 0, 0]);
        let r6 = &p.net_rules[1];
        assert_eq!((r6.family, r6.prefix), (6, 32));
        assert_eq!(&r6.addr[..6], &[0x20, 0x01, 0x0d, 0xb8, 0, 0]);
        assert_eq!(p.net_rules[2].ports, (8000, 8100));
    }

    fn error(src: &str) -> String {
        compile(Path::new("n.toml"), src).unwrap_err().to_string()
    }

    #[test]
    fn network_errors_are_located() {
        let base = "[profile.a]\n[profile.a.network]\n";
        assert!(error(&format!("{base}sockets = [\"inet:bogus\"]\n"))
            .starts_with("n.toml:3:12: unknown socket kind"));
        assert!(error(&format!("{base}sockets = [\"ipx\"]\n")).contains("unknown socket family"));
        let rule = "[[profile.a.network.rule]]\n";
        assert!(error(&format!(
            "{base}{rule}allow = [\"send\"]\nprotocol = \"tcp\"\n"
        ))
        .contains("\"send\" is not an operation for tcp"));
        assert!(error(&format!(
            "{base}{rule}allow = [\"bind\"]\nprotocol = \"tcp\"\nports = [\"9-8\"]\n"
        ))
        .starts_with("n.toml:6:10: a port is a number"));
        assert!(error(&format!(
            "{base}{rule}allow = [\"bind\"]\nprotocol = \"tcp\"\naddresses = [\"10.0.0.0/33\"]\n"
        ))
        .contains("prefix length is out of range"));
        assert!(error(&format!(
            "{base}{rule}allow = [\"bind\"]\nprotocol = \"sctp\"\n"
        ))
        .contains("unknown protocol"));
    }
}
