//! The path matchers against a deliberately naive reference: the attachment glob matcher, and
//! the compiled automaton (through the kernel's own walker) against the union of all rules.

use rustlsm_policy::wire::{self, ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE};
use rustlsm_policy::{encode, glob, Effect, Mode, ProfileSpec, RuleSpec};

/// The reference: a recursive glob matcher, exponential but obviously right.
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

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &'a [&'a [u8]]) -> &'a [u8] {
        items[self.below(items.len() as u64) as usize]
    }
}

const PATTERN_ATOMS: &[&[u8]] = &[b"/", b"a", b"b", b"*", b"**", b"?", b"ab", b"/a"];
const PATH_ATOMS: &[&[u8]] = &[b"/", b"a", b"b", b"ab", b"ba", b"/b", b"c"];

fn random(rng: &mut XorShift, atoms: &[&[u8]], max: u64) -> Vec<u8> {
    let mut v = b"/".to_vec();
    for _ in 0..rng.below(max) {
        v.extend_from_slice(rng.pick(atoms));
    }
    v
}

#[test]
fn glob_matcher_agrees_with_reference() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..60_000 {
        let p = random(&mut rng, PATTERN_ATOMS, 7);
        let s = random(&mut rng, PATH_ATOMS, 9);
        assert_eq!(
            glob::glob_match(&p, &s),
            reference(&p, &s),
            "pattern {:?} path {:?}",
            String::from_utf8_lossy(&p),
            String::from_utf8_lossy(&s)
        );
    }
}

#[test]
fn glob_edge_cases() {
    assert!(glob::glob_match(b"/tmp/**", b"/tmp/a/b/c"));
    assert!(glob::glob_match(b"/tmp/**", b"/tmp/"));
    assert!(!glob::glob_match(b"/tmp/**", b"/tmp"));
    assert!(glob::glob_match(b"/tmp/*", b"/tmp/x"));
    assert!(!glob::glob_match(b"/tmp/*", b"/tmp/x/y"));
    assert!(glob::glob_match(b"/a/**/z", b"/a/b/c/z"));
    assert!(!glob::glob_match(b"/a?", b"/a/"));
    let long = vec![b'a'; glob::MAX_PATTERN_LEN + 1];
    assert!(!glob::glob_match(&long, &long));
    let max = [b"/".as_slice(), &vec![b'*'; glob::MAX_PATTERN_LEN - 1]].concat();
    assert!(glob::glob_match(&max, b"/anything"));
    // A long run of stars against a long path (once quadratic in the run at every byte).
    assert!(glob::glob_match(&max, &b"/a".repeat(2048)));
    for path in [b"/x".as_slice(), b"/ab/x/c", b"/a/b", b"/abx/"] {
        let p = b"/***?*x/***";
        assert_eq!(glob::glob_match(p, path), reference(p, path));
    }
}

/// The automaton's answer must be the union over every rule the reference says matches.
#[test]
fn compiled_rules_agree_with_reference_union() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let accesses = [
        ACCESS_READ,
        ACCESS_WRITE,
        ACCESS_EXEC,
        ACCESS_READ | ACCESS_WRITE,
    ];
    for round in 0..400 {
        let n = 1 + rng.below(8) as usize;
        let rules: Vec<RuleSpec> = (0..n)
            .map(|_| RuleSpec {
                effect: if rng.below(4) == 0 {
                    Effect::Deny
                } else {
                    Effect::Allow
                },
                access: accesses[rng.below(4) as usize],
                pattern: String::from_utf8(random(&mut rng, PATTERN_ATOMS, 6)).unwrap(),
            })
            .collect();
        let blob = encode(&[ProfileSpec {
            name: "r".into(),
            mode: Mode::Enforce,
            attach: vec![],
            rules: rules.clone(),
            ..ProfileSpec::new("", Mode::Enforce)
        }])
        .unwrap();
        let view = wire::profiles(&blob).next().unwrap();
        let dfa = view.file_dfa().unwrap();
        for _ in 0..150 {
            let path = random(&mut rng, PATH_ATOMS, 8);
            let (mut allow, mut deny) = (0, 0);
            for r in &rules {
                if reference(r.pattern.as_bytes(), &path) {
                    match r.effect {
                        Effect::Allow => allow |= r.access,
                        Effect::Deny => deny |= r.access,
                        Effect::AllowOwned | Effect::Ask => {
                            unreachable!("the test makes no owner or ask rule")
                        }
                    }
                }
            }
            assert_eq!(
                dfa.lookup(&path),
                (allow, deny),
                "round {round}: rules {rules:?} path {:?}",
                String::from_utf8_lossy(&path)
            );
        }
    }
}

#[test]
fn ten_thousand_rules_compile_and_match() {
    let rules: Vec<RuleSpec> = (0..10_000)
        .map(|i| RuleSpec {
            effect: Effect::Allow,
            access: ACCESS_READ,
            pattern: format!("/srv/data/{:04}/file-{i}", i % 997),
        })
        .chain([RuleSpec {
            effect: Effect::Deny,
            access: ACCESS_READ,
            pattern: "/srv/data/**/secret*".into(),
        }])
        .collect();
    let blob = encode(&[ProfileSpec {
        name: "big".into(),
        mode: Mode::Enforce,
        attach: vec![],
        rules,
        ..ProfileSpec::new("", Mode::Enforce)
    }])
    .unwrap();
    assert!(blob.len() < wire::MAX_BLOB_LEN);
    let p = wire::profiles(&blob).next().unwrap();
    assert_eq!(p.refused(b"/srv/data/0005/file-5", ACCESS_READ), 0);
    assert_eq!(
        p.refused(b"/srv/data/0005/file-6", ACCESS_READ),
        ACCESS_READ
    );
    assert_eq!(
        p.refused(b"/srv/data/0001/secret-x", ACCESS_READ),
        ACCESS_READ
    );
}

/// Runs of stars (collapsed by the compiler: two or more stars match anything) decide exactly
/// as the reference matcher does.
#[test]
fn star_runs_compile_to_the_same_decisions() {
    // Long enough to matter, short enough for the backtracking reference matcher.
    let long_run = format!("/a{}b", "*".repeat(9));
    let patterns = [
        "/x/***",
        "/x/*/***y",
        "/x/****",
        "/x/*z*",
        long_run.as_str(),
    ];
    let paths: [&[u8]; 8] = [
        b"/x/",
        b"/x/a",
        b"/x/a/b",
        b"/x/q/zy",
        b"/x/q/r/y",
        b"/ab",
        b"/a/c/d/b",
        b"/a/c/d/bc",
    ];
    for pattern in patterns {
        let rule = RuleSpec {
            effect: Effect::Allow,
            access: ACCESS_READ,
            pattern: pattern.to_string(),
        };
        let blob = encode(&[ProfileSpec {
            rules: vec![rule],
            ..ProfileSpec::new("r", Mode::Enforce)
        }])
        .unwrap();
        let dfa = wire::profiles(&blob).next().unwrap().file_dfa().unwrap();
        for path in paths {
            let want = if reference(pattern.as_bytes(), path) {
                ACCESS_READ
            } else {
                0
            };
            assert_eq!(dfa.lookup(path).0, want, "{pattern} on {path:?}");
        }
    }
}
