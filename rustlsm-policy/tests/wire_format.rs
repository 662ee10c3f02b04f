//! Round trips and rejections of the wire format, run against the kernel's own verifier.

use rustlsm_policy::wire::{self, ErrorKind, ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE};
use rustlsm_policy::{decode, encode, Effect, EncodeError, Mode, ProfileSpec, RuleSpec};

fn rule(effect: Effect, access: u16, pattern: &str) -> RuleSpec {
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
        },
        ProfileSpec {
            name: "second.profile_2-x".into(),
            mode: Mode::Complain,
            attach: vec![],
            rules: vec![rule(Effect::Allow, ACCESS_EXEC, "/bin/*")],
        },
    ]
}

fn blob() -> Vec<u8> {
    encode(&sample()).expect("sample encodes")
}

fn kind(bytes: &[u8]) -> ErrorKind {
    wire::verify(bytes).expect_err("must be refused").kind
}

fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn set_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

const REC: usize = wire::HEADER_LEN; // offset of the first record

#[test]
fn round_trip_preserves_every_field() {
    let b = blob();
    assert_eq!(wire::verify(&b), Ok(2));
    assert_eq!(decode(&b).unwrap(), sample());
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
fn every_single_byte_change_is_refused_or_decodes_cleanly() {
    let b = blob();
    for i in 0..b.len() {
        for v in [0u8, 1, 0x2f, 0x7f, 0x80, 0xff] {
            let mut m = b.clone();
            m[i] = v;
            if let Ok(n) = wire::verify(&m) {
                // Whatever was accepted must be fully walkable and consistent.
                assert_eq!(wire::profiles(&m).count() as u32, n);
                decode(&m).unwrap();
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
    set_u16(&mut m, 4, 2);
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
    let mut m = b.clone();
    m[REC + 5] = 1;
    assert_eq!(kind(&m), ErrorKind::ReservedNotZero);
    let mut m = b.clone();
    set_u16(&mut m, REC + 10, 1);
    assert_eq!(kind(&m), ErrorKind::ReservedNotZero);
    let mut m = b.clone();
    set_u16(&mut m, REC + 8, wire::MAX_ATTACHMENTS + 1);
    assert_eq!(kind(&m), ErrorKind::TooManyEntries);
    let mut m = b.clone();
    set_u32(&mut m, REC + 12, wire::MAX_RULES + 1);
    assert_eq!(kind(&m), ErrorKind::TooManyEntries);
    let mut m = b.clone();
    m[REC + 16] = b'/'; // first byte of the name
    assert_eq!(kind(&m), ErrorKind::BadName);
    let mut m = b.clone();
    set_u16(&mut m, REC + 6, 0);
    assert!(wire::verify(&m).is_err());
}

fn one(p: ProfileSpec) -> Vec<u8> {
    encode(&[p]).unwrap()
}

fn profile_with_rule(r: RuleSpec) -> ProfileSpec {
    ProfileSpec {
        name: "p".into(),
        mode: Mode::Enforce,
        attach: vec![],
        rules: vec![r],
    }
}

#[test]
fn rule_faults() {
    // Offsets in a one-profile, one-rule blob named "p": rule starts after name (1 byte).
    let b = one(profile_with_rule(rule(Effect::Allow, ACCESS_READ, "/a")));
    let r = REC + wire::RECORD_HEADER_LEN + 1;
    let mut m = b.clone();
    m[r] = 9;
    assert_eq!(kind(&m), ErrorKind::BadEffect);
    let mut m = b.clone();
    m[r + 1] = 1;
    assert_eq!(kind(&m), ErrorKind::ReservedNotZero);
    let mut m = b.clone();
    set_u16(&mut m, r + 2, 0);
    assert_eq!(kind(&m), ErrorKind::BadAccess);
    let mut m = b.clone();
    set_u16(&mut m, r + 2, 0x100);
    assert_eq!(kind(&m), ErrorKind::BadAccess);
    let mut m = b.clone();
    m[r + 6] = b'a'; // relative pattern
    assert_eq!(kind(&m), ErrorKind::BadPattern);
    let mut m = b.clone();
    m[r + 7] = 0; // NUL inside
    assert_eq!(kind(&m), ErrorKind::BadPattern);
    let mut m = b.clone();
    set_u16(&mut m, r + 4, 0); // empty pattern leaves bytes behind
    assert!(wire::verify(&m).is_err());
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
    let first_len = u32::from_le_bytes(forged[REC..REC + 4].try_into().unwrap()) as usize;
    let second_name = REC + first_len + wire::RECORD_HEADER_LEN;
    forged[second_name + 3] = b'o';
    assert_eq!(kind(&forged), ErrorKind::DuplicateName);
}

#[test]
fn encoder_refuses_what_the_kernel_would() {
    let mut p = profile_with_rule(rule(Effect::Allow, ACCESS_READ, "relative"));
    assert!(matches!(
        encode(&[p.clone()]),
        Err(EncodeError::BadPattern { .. })
    ));
    p.rules[0].pattern = format!("/{}", "a".repeat(wire::MAX_PATTERN_LEN));
    assert!(matches!(
        encode(&[p.clone()]),
        Err(EncodeError::BadPattern { .. })
    ));
    p.rules[0].pattern = "/ok".into();
    p.rules[0].access = 0;
    assert!(matches!(
        encode(&[p.clone()]),
        Err(EncodeError::BadAccess { .. })
    ));
    p.rules[0].access = ACCESS_READ;
    p.name = "bad name".into();
    assert!(matches!(encode(&[p.clone()]), Err(EncodeError::BadName(_))));
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
    assert_eq!(wire::digest(b""), 0xcbf2_9ce4_8422_2325);
}

/// A deliberately naive recursive matcher: the reference the automaton must agree with.
fn reference(p: &[u8], s: &[u8]) -> bool {
    match p {
        [] => s.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=s.len()).any(|i| reference(rest, &s[i..])),
        [b'*', rest @ ..] => (0..=s.len())
            .take_while(|&i| i == 0 || s[i - 1] != b'/')
            .any(|i| reference(rest, &s[i..])),
        [b'?', rest @ ..] => matches!(s.first(), Some(&c) if c != b'/') && reference(rest, &s[1..]),
        [c, rest @ ..] => s.first() == Some(c) && reference(rest, &s[1..]),
    }
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &'a [&'a [u8]]) -> &'a [u8] {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn glob_automaton_agrees_with_reference_on_random_inputs() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let pattern_atoms: &[&[u8]] = &[b"/", b"a", b"b", b"*", b"**", b"?", b"ab", b"/a"];
    let path_atoms: &[&[u8]] = &[b"/", b"a", b"b", b"ab", b"ba", b"/b"];
    for _ in 0..60_000 {
        let mut p = b"/".to_vec();
        for _ in 0..rng.next() % 7 {
            p.extend_from_slice(rng.pick(pattern_atoms));
        }
        let mut s = b"/".to_vec();
        for _ in 0..rng.next() % 9 {
            s.extend_from_slice(rng.pick(path_atoms));
        }
        assert_eq!(
            wire::glob_match(&p, &s),
            reference(&p, &s),
            "pattern {:?} path {:?}",
            String::from_utf8_lossy(&p),
            String::from_utf8_lossy(&s)
        );
    }
}

#[test]
fn glob_edge_cases() {
    assert!(wire::glob_match(b"/tmp/**", b"/tmp/a/b/c"));
    assert!(wire::glob_match(b"/tmp/**", b"/tmp/"));
    assert!(!wire::glob_match(b"/tmp/**", b"/tmp"));
    assert!(wire::glob_match(b"/tmp/*", b"/tmp/x"));
    assert!(!wire::glob_match(b"/tmp/*", b"/tmp/x/y"));
    assert!(wire::glob_match(b"/a/**/z", b"/a/b/c/z"));
    assert!(!wire::glob_match(b"/a?", b"/a/"));
    let long = vec![b'a'; wire::MAX_PATTERN_LEN + 1];
    assert!(!wire::glob_match(&long, &long));
    let max = [b"/".as_slice(), &vec![b'*'; wire::MAX_PATTERN_LEN - 1]].concat();
    assert!(wire::glob_match(&max, b"/anything"));
}
