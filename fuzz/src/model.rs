//! The `roundtrip` check: a policy model built from the fuzz input with `arbitrary`, encoded,
//! then held to [`crate::encoding::check`]. The model is always one the kernel would accept,
//! so the encoder may refuse it only for conflicting exec transitions.

use arbitrary::{Result, Unstructured};
use rustlsm_policy::{encode, net, wire, EncodeError};
use rustlsm_policy::{Effect, ExecTarget, Mode, NetRule, ProfileSpec, RuleSpec, SocketSpec};

/// Checks one input.
pub fn check(data: &[u8]) {
    let Ok(specs) = policy(&mut Unstructured::new(data)) else {
        return;
    };
    match encode(&specs) {
        Ok(blob) => crate::encoding::check(&specs, &blob),
        Err(EncodeError::ExecConflict(_)) => {}
        Err(e) => panic!("a valid model was refused: {e}"),
    }
}

/// Pattern pieces: separators, literals (one of them two bytes of UTF-8), and every wildcard.
const PIECES: [&str; 9] = ["/", "a", "b", "ab", ".", "é", "*", "**", "?"];

fn pattern(u: &mut Unstructured<'_>) -> Result<String> {
    let mut p = String::from("/");
    for _ in 0..u.int_in_range(0..=6)? {
        p.push_str(u.choose(&PIECES)?);
    }
    Ok(p)
}

fn policy(u: &mut Unstructured<'_>) -> Result<Vec<ProfileSpec>> {
    let count = u.int_in_range(1..=3)?;
    let mut names = Vec::new();
    for i in 0..count {
        names.push(format!("{}{i}", u.choose(&["p", "web.", "x_y-"])?));
    }
    let mut peers = names.clone();
    peers.extend(["unconfined".to_string(), "other".to_string()]);
    names.iter().map(|name| profile(u, name, &peers)).collect()
}

fn profile(u: &mut Unstructured<'_>, name: &str, peers: &[String]) -> Result<ProfileSpec> {
    let mode = *u.choose(&[Mode::Enforce, Mode::Complain, Mode::Kill, Mode::Ask])?;
    let mut p = ProfileSpec::new(name, mode);
    for _ in 0..u.int_in_range(0..=2)? {
        p.attach.push(pattern(u)?);
    }
    for _ in 0..u.int_in_range(0..=6)? {
        let effect = *u.choose(&[Effect::Allow, Effect::AllowOwned, Effect::Deny, Effect::Ask])?;
        // Accesses, and qualifiers (audit, quiet) for some of them; an owner or ask rule's
        // within what such rules may name, an ask rule's without qualifiers.
        let mut access = u.int_in_range(1..=wire::ACCESS_ALL)?;
        let within = match effect {
            Effect::AllowOwned => wire::OWNER_ACCESS_ALL,
            Effect::Ask => wire::ASK_ACCESS_ALL,
            Effect::Allow | Effect::Deny => wire::ACCESS_ALL,
        };
        access = match access & within {
            0 => wire::ACCESS_READ,
            some => some,
        };
        let qualified = match effect {
            Effect::Ask => 0,
            _ => access & u.int_in_range(0..=wire::ACCESS_ALL)?,
        };
        p.rules.push(RuleSpec {
            effect,
            access: access | qualified << wire::QUALIFIER_SHIFT,
            pattern: pattern(u)?,
        });
    }
    p.capabilities = u.arbitrary()?;
    for _ in 0..u.int_in_range(0..=3)? {
        p.signal.push(u.choose(peers)?.clone());
    }
    for _ in 0..u.int_in_range(0..=3)? {
        p.ptrace.push(u.choose(peers)?.clone());
    }
    p.traced_by_unconfined = u.arbitrary()?;
    p.attach_disconnected = u.arbitrary()?;
    p.mount = u.int_in_range(0..=wire::MOUNT_ALL)?;
    for _ in 0..u.int_in_range(0..=3)? {
        p.sockets.push(SocketSpec {
            family: *u.choose(&[1, net::AF_INET, net::AF_INET6, 16, 17])?,
            sock_type: *u.choose(&[0, 1, 2, net::SOCK_RAW, 5, net::SOCK_PACKET])?,
            protocol: *u.choose(&[0, 1, 6, 17, 58, net::ANY_PROTOCOL])?,
        });
    }
    for _ in 0..u.int_in_range(0..=3)? {
        p.net_rules.push(net_rule(u)?);
    }
    for _ in 0..u.int_in_range(0..=2)? {
        p.ask_net_rules.push(net_rule(u)?);
    }
    for _ in 0..u.int_in_range(0..=3)? {
        p.unix_abstract.push(abstract_pattern(u)?);
    }
    for _ in 0..u.int_in_range(0..=3)? {
        p.unix_peers.push(u.choose(peers)?.clone());
    }
    for _ in 0..u.int_in_range(0..=2)? {
        // Any peer but `unconfined`, which no exec rule may name.
        let targets: Vec<&String> = peers.iter().filter(|n| *n != "unconfined").collect();
        let profile = (*u.choose(&targets)?).clone();
        p.exec_targets.push(ExecTarget {
            pattern: pattern(u)?,
            profile,
        });
    }
    Ok(p)
}

/// An abstract name pattern: one to six pieces, so it may or may not start with `/`.
fn abstract_pattern(u: &mut Unstructured<'_>) -> Result<String> {
    let mut p = String::new();
    for _ in 0..u.int_in_range(1..=6)? {
        p.push_str(u.choose(&PIECES)?);
    }
    Ok(p)
}

fn net_rule(u: &mut Unstructured<'_>) -> Result<NetRule> {
    let family = *u.choose(&[0, 4, 6])?;
    let mut addr = [0u8; 16];
    let (len, max_prefix) = match family {
        4 => (4, 32),
        6 => (16, 128),
        _ => (0, 0),
    };
    u.fill_buffer(&mut addr[..len])?;
    let (a, b): (u16, u16) = (u.arbitrary()?, u.arbitrary()?);
    Ok(NetRule {
        ops: u.int_in_range(1..=net::OP_ALL)?,
        proto: *u.choose(&[net::PROTO_TCP, net::PROTO_UDP])?,
        family,
        prefix: u.int_in_range(0..=max_prefix)?,
        ports: (a.min(b), a.max(b)),
        addr,
    })
}
