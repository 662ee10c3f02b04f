//! The unix section (abstract `AF_UNIX` names and unix peers) and the `connect` access bit,
//! run against the kernel's own verifier and views.

use rustlsm_policy::wire::{self, ErrorKind, FormatError, ACCESS_CONNECT, ACCESS_READ};
use rustlsm_policy::{decode, encode, file_dfa, glob};
use rustlsm_policy::{Effect, EncodeError, Mode, ProfileSpec, RuleSpec};

mod common;
use common::{get_u32, sections, set_u16, set_u32, with_section, REC};

fn unix_profile() -> ProfileSpec {
    ProfileSpec {
        unix_abstract: vec![
            "dbus-*".into(),
            "/tmp/.X11-unix/X*".into(),
            "a**b".into(),
            "x?".into(),
        ],
        unix_peers: vec!["dbus".into(), "unconfined".into()],
        ..ProfileSpec::new("p", Mode::Enforce)
    }
}

/// A unix payload from patterns and peer names, written by hand.
fn payload(patterns: &[&[u8]], peers: &[&[u8]]) -> Vec<u8> {
    let mut p = (patterns.len() as u16).to_le_bytes().to_vec();
    for pat in patterns {
        p.extend_from_slice(&(pat.len() as u16).to_le_bytes());
        p.extend_from_slice(pat);
    }
    p.extend_from_slice(&(peers.len() as u16).to_le_bytes());
    for n in peers {
        p.push(n.len() as u8);
        p.extend_from_slice(n);
    }
    p
}

fn verify_unix(payload: &[u8]) -> Result<u32, FormatError> {
    wire::verify(&with_section(wire::SECTION_UNIX, payload).0)
}

#[test]
fn unix_section_round_trips_and_decides() {
    let b = encode(&[unix_profile()]).unwrap();
    assert_eq!(wire::verify(&b), Ok(1));
    assert_eq!(decode(&b).unwrap()[0].name, "p");
    assert_eq!(encode(&[unix_profile()]).unwrap(), b, "deterministic");
    let kinds: Vec<u16> = sections(&b).iter().map(|s| s.0).collect();
    assert_eq!(kinds.last(), Some(&wire::SECTION_UNIX));
    let v = wire::profiles(&b).next().unwrap();
    let patterns: Vec<&[u8]> = v.unix_abstract_patterns().collect();
    let expected: Vec<&[u8]> = vec![b"dbus-*", b"/tmp/.X11-unix/X*", b"a**b", b"x?"];
    assert_eq!(patterns, expected);

    for name in [
        &b"dbus-1234"[..],
        b"dbus-",
        b"dbus-\0nul",
        b"/tmp/.X11-unix/X0",
        b"ab",
        b"a/x/y/b",
        b"xy",
        b"x\0",
    ] {
        assert!(v.may_connect_abstract(name), "{name:?} refused");
    }
    for name in [
        &b""[..],
        b"dbus",
        b"dbus-a/b",
        b"/tmp/.X11-unix/X0/y",
        b"tmp/.X11-unix/X0",
        b"x/",
        b"x",
        b"xyz",
        b"ba",
    ] {
        assert!(!v.may_connect_abstract(name), "{name:?} allowed");
    }

    assert!(v.may_connect_unix_peer(Some(b"dbus")));
    assert!(v.may_connect_unix_peer(None));
    assert!(v.may_connect_unix_peer(Some(b"unconfined")));
    assert!(
        !v.may_connect_unix_peer(Some(b"p")),
        "its own profile is the kernel's call"
    );
    assert!(!v.may_connect_unix_peer(Some(b"dbu")));
    assert!(!v.may_connect_unix_peer(Some(b"dbus2")));
    // The other sections are unaffected.
    assert!(!v.may_signal(None) && v.may_signal(Some(b"p")));

    // The kernel keeps a copy of each record and views it at offset 0.
    let copy = v.record().to_vec();
    let kept = wire::ProfileView::new(&copy, 0).unwrap();
    assert!(kept.may_connect_abstract(b"dbus-x") && kept.may_connect_unix_peer(None));
}

#[test]
fn without_unix_rules_there_is_no_section_and_nothing_is_allowed() {
    let b = encode(&[ProfileSpec::new("q", Mode::Enforce)]).unwrap();
    let kinds: Vec<u16> = sections(&b).iter().map(|s| s.0).collect();
    assert_eq!(
        kinds,
        vec![1, 2, 3, 4, 5, 6],
        "kernels without unix rules still load it"
    );
    let v = wire::profiles(&b).next().unwrap();
    assert_eq!(v.unix_abstract_patterns().count(), 0);
    for name in [&b""[..], b"x", b"dbus-1", b"**"] {
        assert!(!v.may_connect_abstract(name));
    }
    assert!(!v.may_connect_unix_peer(None));
    assert!(!v.may_connect_unix_peer(Some(b"q")));
    assert!(!v.may_connect_unix_peer(Some(b"unconfined")));

    // Peers only: the section is there, with no pattern.
    let peers_only = ProfileSpec {
        unix_peers: vec!["dbus".into()],
        ..ProfileSpec::new("r", Mode::Complain)
    };
    let b = encode(&[peers_only]).unwrap();
    let v = wire::profiles(&b).next().unwrap();
    assert!(v.may_connect_unix_peer(Some(b"dbus")) && !v.may_connect_unix_peer(None));
    assert!(!v.may_connect_abstract(b"dbus"));

    // Patterns only, and an empty section written by hand: no peer.
    let (b, _) = with_section(wire::SECTION_UNIX, &payload(&[b"**"], &[]));
    assert_eq!(wire::verify(&b), Ok(1));
    let v = wire::profiles(&b).next().unwrap();
    assert!(v.may_connect_abstract(b"any/thing") && !v.may_connect_unix_peer(None));
    assert_eq!(verify_unix(&payload(&[], &[])), Ok(1));
}

#[test]
fn every_truncation_of_a_unix_section_is_refused() {
    let full = payload(&[b"dbus-*", b"@x"], &[b"dbus", b"unconfined"]);
    assert_eq!(verify_unix(&full), Ok(1));
    for len in 0..full.len() {
        let e = verify_unix(&full[..len]).expect_err("a cut section was accepted");
        assert_eq!(e.kind, ErrorKind::Truncated, "cut to {len}");
    }
    // And the encoder's blob, cut anywhere with its header's length kept honest.
    let b = encode(&[unix_profile()]).unwrap();
    for len in 0..b.len() {
        let mut t = b[..len].to_vec();
        if t.len() >= 12 {
            set_u32(&mut t, 8, len as u32);
        }
        assert!(wire::verify(&t).is_err(), "truncated to {len} accepted");
    }
    // The record and section lengths kept honest too, for every cut inside the section.
    let (_, at, plen) = *sections(&b).last().unwrap();
    for len in 0..plen {
        let mut t = b[..at + len].to_vec();
        set_u32(&mut t, at - 4, len as u32);
        let total = t.len();
        set_u32(&mut t, REC, (total - REC) as u32);
        set_u32(&mut t, 8, total as u32);
        assert!(wire::verify(&t).is_err(), "section cut to {len} accepted");
    }
}

#[test]
fn bad_counts_are_refused_at_their_offsets() {
    let good = payload(&[b"a*"], &[b"dbus"]);
    let (b, at) = with_section(wire::SECTION_UNIX, &good);
    assert_eq!(wire::verify(&b), Ok(1));

    // One pattern more than is there: the name list is read as a pattern and runs out.
    let mut m = b.clone();
    set_u16(&mut m, at, 2);
    assert!(wire::verify(&m).is_err());
    // Fewer patterns than are there: the pattern is read as a name list.
    let mut m = b.clone();
    set_u16(&mut m, at, 0);
    assert!(wire::verify(&m).is_err());
    // Over the limit.
    let mut m = b.clone();
    set_u16(&mut m, at, wire::MAX_PEERS + 1);
    assert_eq!(
        wire::verify(&m),
        Err(FormatError {
            kind: ErrorKind::BadSectionPayload,
            offset: at
        })
    );
    let mut m = b.clone();
    set_u16(&mut m, at, u16::MAX);
    assert_eq!(
        wire::verify(&m).unwrap_err().kind,
        ErrorKind::BadSectionPayload
    );
    // A pattern length past the end.
    let mut m = b.clone();
    set_u16(&mut m, at + 2, 200);
    assert_eq!(wire::verify(&m).unwrap_err().kind, ErrorKind::Truncated);
    // The peer count: one more, too many, and bytes after the list.
    let names = at + 2 + 2 + 2;
    let mut m = b.clone();
    set_u16(&mut m, names, 2);
    assert_eq!(wire::verify(&m).unwrap_err().kind, ErrorKind::Truncated);
    let mut m = b.clone();
    set_u16(&mut m, names, wire::MAX_PEERS + 1);
    assert_eq!(
        wire::verify(&m),
        Err(FormatError {
            kind: ErrorKind::BadSectionPayload,
            offset: names
        })
    );
    let mut trailing = good.clone();
    trailing.push(0);
    let (m, at2) = with_section(wire::SECTION_UNIX, &trailing);
    assert_eq!(
        wire::verify(&m),
        Err(FormatError {
            kind: ErrorKind::BadSectionPayload,
            offset: at2 + good.len()
        })
    );
    // A bad peer name.
    let mut m = b.clone();
    m[names + 3] = b'/';
    assert_eq!(
        wire::verify(&m),
        Err(FormatError {
            kind: ErrorKind::BadName,
            offset: names + 2
        })
    );
    // The section twice, and a kind past it.
    let mut twice = encode(&[unix_profile()]).unwrap();
    let (_, uat, ulen) = *sections(&twice).last().unwrap();
    let section = twice[uat - wire::SECTION_HEADER_LEN..uat + ulen].to_vec();
    twice.extend_from_slice(&section);
    set_u16(&mut twice, REC + 10, 8);
    let total = twice.len();
    set_u32(&mut twice, REC, (total - REC) as u32);
    set_u32(&mut twice, 8, total as u32);
    assert_eq!(
        wire::verify(&twice).unwrap_err().kind,
        ErrorKind::BadSection
    );
    let (m, _) = with_section(wire::SECTION_ASK_NET + 1, &good);
    assert_eq!(wire::verify(&m).unwrap_err().kind, ErrorKind::BadSection);
}

#[test]
fn bad_patterns_are_refused() {
    let at_first = |b: &[u8]| sections(b).last().unwrap().1 + 2;
    for bad in [&b""[..], b"dbus\0", b"\0", b"a\0*"] {
        let (b, at) = with_section(wire::SECTION_UNIX, &payload(&[b"ok", bad], &[]));
        assert_eq!(
            wire::verify(&b),
            Err(FormatError {
                kind: ErrorKind::BadPattern,
                offset: at + 2 + 2 + 2
            }),
            "{bad:?}"
        );
        let (b, _) = with_section(wire::SECTION_UNIX, &payload(&[bad], &[]));
        assert_eq!(
            wire::verify(&b),
            Err(FormatError {
                kind: ErrorKind::BadPattern,
                offset: at_first(&b)
            })
        );
    }
    let longest = vec![b'a'; glob::MAX_ABSTRACT_LEN];
    assert_eq!(verify_unix(&payload(&[&longest], &[])), Ok(1));
    let too_long = vec![b'a'; glob::MAX_ABSTRACT_LEN + 1];
    assert_eq!(
        verify_unix(&payload(&[&too_long], &[])).unwrap_err().kind,
        ErrorKind::BadPattern
    );

    // The encoder refuses the same, before the kernel would.
    for bad in ["", "a\0b", &"x".repeat(glob::MAX_ABSTRACT_LEN + 1)] {
        let p = ProfileSpec {
            unix_abstract: vec![bad.to_string()],
            ..ProfileSpec::new("p", Mode::Enforce)
        };
        assert!(
            matches!(encode(&[p]), Err(EncodeError::BadAbstract { .. })),
            "{bad:?}"
        );
    }
    let p = ProfileSpec {
        unix_peers: vec!["no/slash".into()],
        ..ProfileSpec::new("p", Mode::Enforce)
    };
    assert!(matches!(encode(&[p]), Err(EncodeError::BadPeer { .. })));
}

#[test]
fn too_many_patterns_or_peers_are_refused() {
    let many = |n: usize| (0..n).map(|i| format!("n{i}")).collect::<Vec<_>>();
    let p = |patterns: Vec<String>, peers: Vec<String>| ProfileSpec {
        unix_abstract: patterns,
        unix_peers: peers,
        ..ProfileSpec::new("p", Mode::Enforce)
    };
    let max = usize::from(wire::MAX_PEERS);
    let b = encode(&[p(many(max), many(max))]).unwrap();
    let v = wire::profiles(&b).next().unwrap();
    assert_eq!(v.unix_abstract_patterns().count(), max);
    assert!(v.may_connect_abstract(b"n63") && v.may_connect_unix_peer(Some(b"n63")));
    assert_eq!(
        encode(&[p(many(max + 1), vec![])]),
        Err(EncodeError::TooManyEntries("p".into()))
    );
    assert_eq!(
        encode(&[p(vec![], many(max + 1))]),
        Err(EncodeError::TooManyEntries("p".into()))
    );
    // Forged past the encoder: 65 well-formed patterns.
    let names = many(max + 1);
    let patterns: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
    let (b, at) = with_section(wire::SECTION_UNIX, &payload(&patterns, &[]));
    assert_eq!(
        wire::verify(&b),
        Err(FormatError {
            kind: ErrorKind::BadSectionPayload,
            offset: at
        })
    );
}

#[test]
fn views_of_unverified_unix_sections_do_not_panic() {
    let (b, at) = with_section(wire::SECTION_UNIX, &payload(&[b"a*", b"b?"], &[b"dbus"]));
    for i in at..b.len() {
        for v in [0u8, 1, 0x7f, 0xff] {
            let mut m = b.clone();
            m[i] = v;
            let accepted = wire::verify(&m).is_ok();
            for view in wire::profiles(&m) {
                let _ = view.unix_abstract_patterns().count();
                let _ = view.may_connect_abstract(b"abc");
                let _ = view.may_connect_unix_peer(None);
                let _ = view.may_connect_unix_peer(Some(b"dbus"));
            }
            if accepted {
                assert_eq!(wire::profiles(&m).count(), 1);
            }
        }
    }
}

#[test]
fn abstract_patterns_and_the_glob_matcher() {
    assert!(glob::valid_abstract_pattern(b"x"));
    assert!(glob::valid_abstract_pattern(b"/tmp/.X11-unix/X*"));
    assert!(glob::valid_abstract_pattern(&[b'a'; 107]));
    assert!(glob::valid_abstract_pattern(&[0xff, b'*']));
    assert!(!glob::valid_abstract_pattern(b""));
    assert!(!glob::valid_abstract_pattern(&[b'a'; 108]));
    assert!(!glob::valid_abstract_pattern(b"a\0"));
    // Patterns need not be absolute; `/` keeps its meaning for `*` and `?`.
    assert!(glob::glob_match(b"dbus-*", b"dbus-xyz"));
    assert!(!glob::glob_match(b"dbus-*", b"dbus-x/y"));
    assert!(glob::glob_match(b"dbus-**", b"dbus-x/y"));
    assert!(glob::glob_match(b"?bc", b"abc") && !glob::glob_match(b"?bc", b"/bc"));
    assert!(glob::glob_match(b"*", b"") && glob::glob_match(b"**", b"a/b"));
    assert!(!glob::glob_match(b"a", b"/a") && !glob::glob_match(b"/a", b"a"));
    assert!(glob::glob_match(b"a*c", b"a\0c"));
}

#[test]
fn connect_access_bit() {
    assert_eq!(ACCESS_CONNECT, 1 << 14);
    assert_eq!(wire::ACCESS_ALL, (1 << 15) - 1);
    let qualifiers = wire::ACCESS_EXEC_INHERIT | wire::ACCESS_EXEC_PROFILE;
    assert_eq!(ACCESS_CONNECT & qualifiers, 0);
    let rule = |effect, access, pattern: &str| RuleSpec {
        effect,
        access,
        pattern: pattern.into(),
    };
    let p = ProfileSpec {
        rules: vec![
            rule(Effect::Allow, ACCESS_CONNECT | ACCESS_READ, "/run/**"),
            rule(Effect::Deny, ACCESS_CONNECT, "/run/secret/*"),
        ],
        ..ProfileSpec::new("p", Mode::Enforce)
    };
    let b = encode(&[p]).unwrap();
    let v = wire::profiles(&b).next().unwrap();
    assert_eq!(v.refused(b"/run/dbus/system_bus_socket", ACCESS_CONNECT), 0);
    assert_eq!(v.refused(b"/run/secret/s", ACCESS_CONNECT), ACCESS_CONNECT);
    assert_eq!(v.refused(b"/run/secret/s", ACCESS_READ), 0);
    assert_eq!(v.refused(b"/tmp/s", ACCESS_CONNECT), ACCESS_CONNECT);

    // The next bit is still unknown, to the encoder and to the verifier.
    let bad = ProfileSpec {
        rules: vec![rule(Effect::Allow, 1 << 15, "/x")],
        ..ProfileSpec::new("p", Mode::Enforce)
    };
    assert!(matches!(encode(&[bad]), Err(EncodeError::BadAccess { .. })));
    let (kind, dfa_at, _) = sections(&b)[0];
    assert_eq!(kind, wire::SECTION_FILE_DFA);
    let (states, _) = v.file_dfa().unwrap().size();
    let granting = (1..states)
        .map(|s| dfa_at + file_dfa::HEADER_LEN + s * file_dfa::STATE_LEN + file_dfa::STATE_ALLOW)
        .find(|&at| get_u32(&b, at) != 0)
        .unwrap();
    let mut m = b.clone();
    set_u32(&mut m, granting, get_u32(&b, granting) | 1 << 15);
    assert_eq!(
        wire::verify(&m).unwrap_err().kind,
        ErrorKind::BadAutomaton(file_dfa::DfaFault::Access)
    );
}
