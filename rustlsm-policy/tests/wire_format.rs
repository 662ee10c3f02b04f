//! Round trips and rejections of the wire format, run against the kernel's own verifier.

use rustlsm_policy::wire::{self, ErrorKind, ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE};
use rustlsm_policy::{decode, encode, file_dfa, glob};
use rustlsm_policy::{Effect, EncodeError, Mode, ProfileSpec, RuleSpec};

mod common;
use common::{get_u32, set_u16, set_u32, REC};

fn rule(effect: Effect, access: u32, pattern: &str) -> RuleSpec {
    RuleSpec {
        effect,
        access,
        pattern: pattern.to_string(),
    }
}

fn sample() -> Vec<ProfileSpec> {
    vec![
        ProfileSpec {
            name: "demo".into(),
            mode: Mode::Enforce,
            attach: vec!["/usr/bin/demo".into(), "/opt/demo/*".into()],
            rules: vec![
                rule(Effect::Allow, ACCESS_READ, "/etc/**"),
                rule(Effect::Deny, ACCESS_READ, "/etc/shadow"),
                rule(Effect::Allow, ACCESS_READ | ACCESS_WRITE, "/tmp/demo-?/*"),
            ],
            ..ProfileSpec::new("", Mode::Enforce)
        },
        ProfileSpec {
            name: "second.profile_2-x".into(),
            mode: Mode::Kill,
            attach: vec![],
            rules: vec![rule(Effect::Allow, ACCESS_EXEC, "/bin/*")],
            ..ProfileSpec::new("", Mode::Enforce)
        },
    ]
}

fn blob() -> Vec<u8> {
    encode(&sample()).expect("sample encodes")
}

fn kind(bytes: &[u8]) -> ErrorKind {
    wire::verify(bytes).expect_err("must be refused").kind
}

/// A one-profile blob named "p" without attachments, and the offset of its DFA payload.
fn one(rules: Vec<RuleSpec>) -> (Vec<u8>, usize) {
    let b = encode(&[ProfileSpec {
        name: "p".into(),
        mode: Mode::Enforce,
        attach: vec![],
        rules,
        ..ProfileSpec::new("", Mode::Enforce)
    }])
    .unwrap();
    (
        b,
        REC + wire::RECORD_HEADER_LEN + 1 + wire::SECTION_HEADER_LEN,
    )
}

#[test]
fn round_trip_preserves_every_field() {
    let b = blob();
    assert_eq!(wire::verify(&b), Ok(2));
    let back = decode(&b).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].name, "demo");
    assert_eq!(back[0].mode, Mode::Enforce);
    assert_eq!(back[0].attach, sample()[0].attach);
    assert_eq!(back[1].name, "second.profile_2-x");
    assert_eq!(back[1].mode, Mode::Kill);
    assert!(back[0].dfa_size.0 > 1);
    // Encoding is deterministic, so digests identify profiles.
    assert_eq!(encode(&sample()).unwrap(), b);
}

#[test]
fn truncation_at_every_offset_is_refused() {
    let b = blob();
    for len in 0..b.len() {
        let mut t = b[..len].to_vec();
        if t.len() >= 12 {
            // Keep the header's length honest, so the records themselves are what is cut.
            let l = t.len() as u32;
            set_u32(&mut t, 8, l);
        }
        assert!(wire::verify(&t).is_err(), "truncated to {len} accepted");
    }
}

#[test]
fn every_single_byte_change_is_refused_or_walks_cleanly() {
    let b = blob();
    for i in 0..b.len() {
        for v in [0u8, 1, 2, 0x2f, 0x7f, 0x80, 0xff] {
            let mut m = b.clone();
            m[i] = v;
            if let Ok(n) = wire::verify(&m) {
                // Whatever was accepted must be fully walkable and consistent.
                assert_eq!(wire::profiles(&m).count() as u32, n);
                for p in wire::profiles(&m) {
                    p.refused(b"/etc/passwd", ACCESS_READ);
                    p.attach_score(b"/usr/bin/demo");
                }
            }
        }
    }
}

#[test]
fn header_faults() {
    let b = blob();
    let mut m = b.clone();
    m[0] = b'X';
    assert_eq!(kind(&m), ErrorKind::BadMagic);
    let mut m = b.clone();
    set_u16(&mut m, 4, 1);
    assert_eq!(kind(&m), ErrorKind::UnsupportedVersion);
    let mut m = b.clone();
    set_u16(&mut m, 6, 1);
    assert_eq!(kind(&m), ErrorKind::ReservedNotZero);
    let mut m = b.clone();
    set_u32(&mut m, 8, b.len() as u32 + 1);
    assert_eq!(kind(&m), ErrorKind::LengthMismatch);
    let mut m = b.clone();
    set_u32(&mut m, 12, 0);
    assert_eq!(kind(&m), ErrorKind::BadProfileCount);
    let mut m = b.clone();
    set_u32(&mut m, 12, wire::MAX_PROFILES + 1);
    assert_eq!(kind(&m), ErrorKind::BadProfileCount);
    let mut m = b.clone();
    set_u32(&mut m, 12, 3);
    assert_eq!(kind(&m), ErrorKind::Truncated);
    let mut m = b.clone();
    set_u32(&mut m, 12, 1);
    assert_eq!(kind(&m), ErrorKind::TrailingBytes);
    assert_eq!(kind(&[]), ErrorKind::Truncated);
    assert_eq!(kind(b"RLSM"), ErrorKind::Truncated);
    let huge = vec![0u8; wire::MAX_BLOB_LEN + 1];
    assert_eq!(kind(&huge), ErrorKind::TooLarge);
}

#[test]
fn record_faults() {
    let b = blob();
    let mut m = b.clone();
    set_u32(&mut m, REC, 4);
    assert_eq!(kind(&m), ErrorKind::BadRecordLength);
    let mut m = b.clone();
    set_u32(&mut m, REC, u32::MAX);
    assert_eq!(kind(&m), ErrorKind::Truncated);
    let mut m = b.clone();
    m[REC + 4] = 7;
    assert_eq!(kind(&m), ErrorKind::BadMode);
    // Profile flags: the defined one is accepted, an undefined one refused.
    let mut m = b.clone();
    m[REC + 5] = wire::PROFILE_ATTACH_DISCONNECTED;
    assert!(wire::verify(&m).is_ok());
    let mut m = b.clone();
    m[REC + 5] = 2;
    assert_eq!(kind(&m), ErrorKind::ReservedNotZero);
    let mut m = b.clone();
    set_u32(&mut m, REC + 12, 1);
    assert_eq!(kind(&m), ErrorKind::ReservedNotZero);
    let mut m = b.clone();
    set_u16(&mut m, REC + 8, wire::MAX_ATTACHMENTS + 1);
    assert_eq!(kind(&m), ErrorKind::TooManyEntries);
    let mut m = b.clone();
    m[REC + 16] = b'/'; // first byte of the name
    assert_eq!(kind(&m), ErrorKind::BadName);
    let mut m = b.clone();
    m[REC + 16 + 4 + 2] = b'x'; // first attachment made relative
    assert_eq!(kind(&m), ErrorKind::BadPattern);
}

#[test]
fn section_faults() {
    let (b, dfa) = one(vec![rule(Effect::Allow, ACCESS_READ, "/a")]);
    let section = dfa - wire::SECTION_HEADER_LEN;
    let mut m = b.clone();
    set_u16(&mut m, section, wire::SECTION_ASK_NET + 1);
    assert_eq!(kind(&m), ErrorKind::BadSection);
    let mut m = b.clone();
    set_u16(&mut m, section + 2, 1);
    assert_eq!(kind(&m), ErrorKind::ReservedNotZero);
    let mut m = b.clone();
    set_u32(&mut m, section + 4, get_u32(&b, section + 4) + 1);
    assert!(wire::verify(&m).is_err());
    // The same section twice.
    let mut m = b.clone();
    let sec_len = wire::SECTION_HEADER_LEN + get_u32(&b, section + 4) as usize;
    let sec = b[section..section + sec_len].to_vec();
    m.extend_from_slice(&sec);
    let count = u16::from_le_bytes([m[REC + 10], m[REC + 11]]);
    set_u16(&mut m, REC + 10, count + 1);
    let rec_len = get_u32(&m, REC) + sec.len() as u32;
    set_u32(&mut m, REC, rec_len);
    let total = m.len() as u32;
    set_u32(&mut m, 8, total);
    assert_eq!(kind(&m), ErrorKind::BadSection);
}

#[test]
fn automaton_faults() {
    use file_dfa::DfaFault::*;
    let (b, d) = one(vec![
        rule(Effect::Allow, ACCESS_READ, "/a/**"),
        rule(Effect::Deny, ACCESS_READ, "/a/b"),
    ]);
    let states = get_u32(&b, d) as usize;
    let edges = get_u32(&b, d + 4) as usize;
    let state_at = |s: usize| d + file_dfa::HEADER_LEN + s * file_dfa::STATE_LEN;
    let class_at = |e: usize| d + file_dfa::HEADER_LEN + states * file_dfa::STATE_LEN + e;
    let next_at = |e: usize| class_at(edges) + e * 4;
    let fault = |m: &[u8]| match kind(m) {
        ErrorKind::BadAutomaton(f) => f,
        other => panic!("expected an automaton fault, got {other:?}"),
    };
    assert!(states >= 3 && edges >= 2);

    let mut m = b.clone();
    set_u32(&mut m, d + 8, states as u32); // start out of range
    assert_eq!(fault(&m), Start);
    let mut m = b.clone();
    m[d + 16 + usize::from(b'a')] = 0xff; // class map past the class count
    assert_eq!(fault(&m), ClassMap);
    let mut m = b.clone();
    set_u32(&mut m, d + 12, 0); // zero classes (and reserved stays 0)
    assert_eq!(fault(&m), Counts);
    let mut m = b.clone();
    set_u32(&mut m, state_at(0) + file_dfa::STATE_ALLOW, ACCESS_READ); // the dead state grants
    assert_eq!(fault(&m), DeadState);
    let mut m = b.clone();
    set_u32(&mut m, state_at(0) + file_dfa::STATE_DEFAULT, 1); // the dead state leaves itself
    assert_eq!(fault(&m), DeadState);
    let mut m = b.clone();
    set_u32(&mut m, state_at(1) + file_dfa::STATE_ALLOW, 1 << 31); // unknown access bit
    assert_eq!(fault(&m), Access);
    let mut m = b.clone();
    set_u32(&mut m, state_at(1) + file_dfa::STATE_DEFAULT, states as u32); // default to a missing state
    assert_eq!(fault(&m), EdgeTarget);
    let mut m = b.clone();
    set_u32(
        &mut m,
        state_at(states - 1) + file_dfa::STATE_DEFAULT,
        u32::MAX,
    );
    assert_eq!(fault(&m), EdgeTarget);
    let mut m = b.clone();
    set_u32(&mut m, state_at(2), edges as u32 + 1); // edges past the end
    assert_eq!(fault(&m), EdgeRange);
    let mut m = b.clone();
    set_u32(&mut m, next_at(0), states as u32); // edge to a missing state
    assert_eq!(fault(&m), EdgeTarget);
    let mut m = b.clone();
    set_u32(&mut m, next_at(0), u32::MAX);
    assert_eq!(fault(&m), EdgeTarget);
    let mut m = b.clone();
    m[class_at(0)] = 0xff; // edge class unknown
    assert_eq!(fault(&m), EdgeClass);
    // Counts that no longer match the section's length.
    let mut m = b.clone();
    set_u32(&mut m, d, states as u32 + 1);
    assert_eq!(fault(&m), Length);
    let mut m = b.clone();
    set_u32(&mut m, d + 4, u32::MAX);
    assert_eq!(fault(&m), Length);
}

#[test]
fn unsorted_edges_are_refused() {
    // The start state of "/x" and "/y" rules has one edge ('/'); the state after '/' has two.
    let (b, d) = one(vec![
        rule(Effect::Allow, ACCESS_READ, "/x"),
        rule(Effect::Allow, ACCESS_READ, "/y"),
    ]);
    let states = get_u32(&b, d) as usize;
    let classes_at = d + file_dfa::HEADER_LEN + states * file_dfa::STATE_LEN;
    let edges = get_u32(&b, d + 4) as usize;
    // The last state with edges is the one after "/", with its two edges last.
    assert!(edges >= 3);
    let i = edges - 2;
    let mut m = b.clone();
    m.swap(classes_at + i, classes_at + i + 1);
    assert_eq!(
        kind(&m),
        ErrorKind::BadAutomaton(file_dfa::DfaFault::EdgeClass)
    );
}

#[test]
fn duplicate_names_are_refused_by_encoder_and_verifier() {
    let mut s = sample();
    s[1].name = "demo".into();
    assert_eq!(encode(&s), Err(EncodeError::DuplicateName("demo".into())));
    // Forge the duplicate past the encoder: encode "demx", then patch the name in place.
    let mut s2 = sample();
    s2[1].name = "demx".into();
    let mut forged = encode(&s2).unwrap();
    let first_len = get_u32(&forged, REC) as usize;
    let second_name = REC + first_len + wire::RECORD_HEADER_LEN;
    forged[second_name + 3] = b'o';
    assert_eq!(kind(&forged), ErrorKind::DuplicateName);
}

#[test]
fn encoder_refuses_what_the_kernel_would() {
    let p = |pattern: &str, access: u32, name: &str| ProfileSpec {
        name: name.into(),
        mode: Mode::Enforce,
        attach: vec![],
        rules: vec![rule(Effect::Allow, access, pattern)],
        ..ProfileSpec::new("", Mode::Enforce)
    };
    assert!(matches!(
        encode(&[p("relative", ACCESS_READ, "p")]),
        Err(EncodeError::BadPattern { .. })
    ));
    let long = format!("/{}", "a".repeat(glob::MAX_PATTERN_LEN));
    assert!(matches!(
        encode(&[p(&long, ACCESS_READ, "p")]),
        Err(EncodeError::BadPattern { .. })
    ));
    assert!(matches!(
        encode(&[p("/ok", 0, "p")]),
        Err(EncodeError::BadAccess { .. })
    ));
    assert!(matches!(
        encode(&[p("/ok", 1 << 30, "p")]),
        Err(EncodeError::BadAccess { .. })
    ));
    assert!(matches!(
        encode(&[p("/ok", ACCESS_READ, "bad name")]),
        Err(EncodeError::BadName(_))
    ));
    assert_eq!(encode(&[]), Err(EncodeError::Empty));
}

#[test]
fn decisions_default_deny_and_deny_wins() {
    let b = blob();
    let demo = wire::profiles(&b).next().unwrap();
    assert_eq!(demo.refused(b"/etc/passwd", ACCESS_READ), 0);
    assert_eq!(demo.refused(b"/etc/shadow", ACCESS_READ), ACCESS_READ);
    assert_eq!(demo.refused(b"/etc/passwd", ACCESS_WRITE), ACCESS_WRITE);
    assert_eq!(demo.refused(b"/var/log/x", ACCESS_READ), ACCESS_READ);
    assert_eq!(
        demo.refused(b"/tmp/demo-1/f", ACCESS_READ | ACCESS_WRITE),
        0
    );
    assert_eq!(demo.refused(b"/tmp/demo-12/f", ACCESS_READ), ACCESS_READ);
    assert_eq!(demo.attach_score(b"/usr/bin/demo"), Some(usize::MAX));
    assert_eq!(
        demo.attach_score(b"/opt/demo/tool"),
        Some("/opt/demo/*".len())
    );
    assert_eq!(demo.attach_score(b"/opt/demo/sub/tool"), None);
    let none = ProfileSpec {
        name: "none".into(),
        mode: Mode::Enforce,
        attach: vec![],
        rules: vec![],
        ..ProfileSpec::new("", Mode::Enforce)
    };
    let b = encode(&[none]).unwrap();
    let p = wire::profiles(&b).next().unwrap();
    assert_eq!(p.refused(b"/anything", ACCESS_READ), ACCESS_READ);
    assert_eq!(wire::digest(b""), 0xcbf2_9ce4_8422_2325);
}

/// Offsets of each section's payload in a one-profile blob, by kind.
fn payloads(b: &[u8], first: usize) -> Vec<(u16, usize, usize)> {
    let mut out = Vec::new();
    let mut at = first - wire::SECTION_HEADER_LEN;
    while at + wire::SECTION_HEADER_LEN <= b.len() {
        let kind = u16::from_le_bytes([b[at], b[at + 1]]);
        let len = get_u32(b, at + 4) as usize;
        out.push((kind, at + wire::SECTION_HEADER_LEN, len));
        at += wire::SECTION_HEADER_LEN + len;
    }
    out
}

fn task_profile() -> ProfileSpec {
    ProfileSpec {
        capabilities: 1 << 0 | 1 << 21,
        signal: vec!["web".into(), "unconfined".into()],
        ptrace: vec!["dbg".into()],
        traced_by_unconfined: true,
        mount: wire::MOUNT_MOUNT,
        ..ProfileSpec::new("p", Mode::Enforce)
    }
}

#[test]
fn task_sections_round_trip_and_answer() {
    let b = encode(&[task_profile()]).unwrap();
    let v = wire::profiles(&b).next().unwrap();
    assert!(v.has_capability(0) && v.has_capability(21) && !v.has_capability(1));
    assert!(!v.has_capability(64) && !v.has_capability(u32::MAX));
    assert!(v.may_signal(Some(b"p")) && v.may_signal(Some(b"web")) && v.may_signal(None));
    assert!(!v.may_signal(Some(b"db")));
    assert!(v.may_trace(Some(b"p")) && v.may_trace(Some(b"dbg")));
    assert!(!v.may_trace(None) && !v.may_trace(Some(b"web")));
    assert!(v.traced_by_unconfined());
    assert!(v.may_mount(wire::MOUNT_MOUNT) && !v.may_mount(wire::MOUNT_UMOUNT));
    let none = encode(&[ProfileSpec::new("q", Mode::Enforce)]).unwrap();
    let v = wire::profiles(&none).next().unwrap();
    assert!(!v.may_signal(None) && v.may_signal(Some(b"q")) && !v.traced_by_unconfined());
    assert_eq!(v.capabilities(), 0);
}

#[test]
fn task_section_faults() {
    let b = encode(&[task_profile()]).unwrap();
    let first = REC + wire::RECORD_HEADER_LEN + 1 + wire::SECTION_HEADER_LEN;
    let find = |kind| {
        payloads(&b, first)
            .into_iter()
            .find(|p| p.0 == kind)
            .unwrap()
    };
    let (_, mount, _) = find(wire::SECTION_MOUNT);
    let mut m = b.clone();
    set_u32(&mut m, mount, 1 << 7);
    assert_eq!(kind(&m), ErrorKind::BadSectionPayload);
    let (_, ptrace, _) = find(wire::SECTION_PTRACE);
    let mut m = b.clone();
    set_u32(&mut m, ptrace, 1 << 9);
    assert_eq!(kind(&m), ErrorKind::BadSectionPayload);
    let (_, signal, _) = find(wire::SECTION_SIGNAL);
    let mut m = b.clone();
    set_u16(&mut m, signal, 3); // one more name than is there
    assert!(wire::verify(&m).is_err());
    let mut m = b.clone();
    m[signal + 3] = b'/'; // first name made invalid
    assert_eq!(kind(&m), ErrorKind::BadName);
    let mut m = b.clone();
    set_u16(&mut m, signal, wire::MAX_PEERS + 1);
    assert_eq!(kind(&m), ErrorKind::BadSectionPayload);
    // A profile may not be called "unconfined".
    assert!(matches!(
        encode(&[ProfileSpec::new("unconfined", Mode::Enforce)]),
        Err(EncodeError::BadName(_))
    ));
    let mut bad = task_profile();
    bad.signal = vec!["no/slash".into()];
    assert!(matches!(encode(&[bad]), Err(EncodeError::BadPeer { .. })));
}
