//! `ask` rules and `ask` mode: the ask automaton (`SECTION_ASK_FILE_DFA`), which names the
//! accesses put to an agent (execs included) and never allows, denies or names a transition,
//! and the mode that asks for every access the rules leave undecided.

use rustlsm_policy::wire::{self, ErrorKind, ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE};
use rustlsm_policy::{decode, encode, file_dfa, Effect, EncodeError, Mode, ProfileSpec, RuleSpec};

mod common;
use common::{automaton_of, sections, with_section};

fn rule(effect: Effect, access: u32, pattern: &str) -> RuleSpec {
    RuleSpec {
        effect,
        access,
        pattern: pattern.into(),
    }
}

fn profile(mode: Mode, rules: Vec<RuleSpec>) -> ProfileSpec {
    ProfileSpec {
        rules,
        ..ProfileSpec::new("p", mode)
    }
}

#[test]
fn ask_rules_have_their_own_automaton_that_grants_nothing() {
    let blob = encode(&[profile(
        Mode::Enforce,
        vec![
            rule(Effect::Allow, ACCESS_READ, "/srv/open"),
            rule(Effect::Ask, ACCESS_READ | ACCESS_WRITE, "/srv/**"),
            rule(Effect::Deny, ACCESS_READ, "/srv/never"),
        ],
    )])
    .unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    assert!(view.asks());
    // The profile's own automaton knows nothing of the ask rule.
    assert_eq!(view.file_masks(b"/srv/x"), (0, 0));
    assert_eq!(view.ask_masks(b"/srv/x"), ACCESS_READ | ACCESS_WRITE);
    assert_eq!(
        view.ask_masks_parts(&[b"/srv", b"/x"]),
        ACCESS_READ | ACCESS_WRITE
    );
    assert_eq!(view.ask_masks(b"/etc/passwd"), 0);
    // Explicit rules stay where they were: the kernel lets them win.
    assert_eq!(view.file_masks(b"/srv/open"), (ACCESS_READ, 0));
    assert_eq!(view.file_masks(b"/srv/never"), (0, ACCESS_READ));
    let summary = &decode(&blob).unwrap()[0];
    assert!(summary.ask_dfa_size.0 > 1);
    assert_eq!(summary.owner_dfa_size, (0, 0));
}

#[test]
fn ask_mode_asks_for_every_access_without_an_ask_section() {
    let blob = encode(&[profile(
        Mode::Ask,
        vec![rule(Effect::Allow, ACCESS_READ, "/a")],
    )])
    .unwrap();
    assert!(sections(&blob)
        .iter()
        .all(|&(kind, ..)| kind != wire::SECTION_ASK_FILE_DFA));
    let view = wire::profiles(&blob).next().unwrap();
    assert_eq!(view.mode(), Mode::Ask);
    assert!(view.asks());
    assert_eq!(view.ask_masks(b"/anything"), wire::ASK_ACCESS_ALL);
    // Execs are asked about; the transition is not (a yes keeps the caller's profile).
    assert_ne!(view.ask_masks(b"/anything") & ACCESS_EXEC, 0);
    assert_eq!(view.ask_masks(b"/anything") & wire::ACCESS_EXEC_INHERIT, 0);
    assert_eq!(decode(&blob).unwrap()[0].mode, Mode::Ask);
}

#[test]
fn an_enforce_profile_without_ask_rules_never_asks() {
    let blob = encode(&[profile(
        Mode::Enforce,
        vec![rule(Effect::Allow, ACCESS_READ, "/a")],
    )])
    .unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    assert!(!view.asks());
    assert!(view.ask_file_dfa().is_none());
    assert_eq!(view.ask_masks(b"/a"), 0);
    assert_eq!(decode(&blob).unwrap()[0].ask_dfa_size, (0, 0));
}

#[test]
fn an_ask_rule_cannot_ask_for_a_transition_or_carry_qualifiers() {
    for access in [
        ACCESS_EXEC | wire::ACCESS_EXEC_INHERIT,
        ACCESS_EXEC | wire::ACCESS_EXEC_PROFILE,
        ACCESS_READ | wire::ACCESS_EXEC_INHERIT,
        ACCESS_READ | ACCESS_READ << wire::QUALIFIER_SHIFT,
    ] {
        assert!(matches!(
            encode(&[profile(
                Mode::Enforce,
                vec![rule(Effect::Ask, access, "/a")]
            )]),
            Err(EncodeError::BadAccess { .. })
        ));
    }
    let exec = ACCESS_EXEC | wire::ACCESS_MMAP_EXEC;
    let blob = encode(&[profile(Mode::Enforce, vec![rule(Effect::Ask, exec, "/a")])]).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    assert_eq!(view.ask_masks(b"/a"), exec);
}

#[test]
fn the_verifier_refuses_an_ask_automaton_that_denies_transitions_or_qualifies() {
    let (good, _) = with_section(
        wire::SECTION_ASK_FILE_DFA,
        &automaton_of(vec![rule(Effect::Allow, ACCESS_READ, "/srv/**")]),
    );
    assert_eq!(wire::verify(&good), Ok(1));
    let view = wire::profiles(&good).next().unwrap();
    assert_eq!(view.ask_masks(b"/srv/x"), ACCESS_READ);
    for rules in [
        vec![rule(Effect::Deny, ACCESS_READ, "/srv/**")],
        vec![rule(
            Effect::Allow,
            ACCESS_EXEC | wire::ACCESS_EXEC_INHERIT,
            "/srv/**",
        )],
        vec![rule(
            Effect::Allow,
            ACCESS_READ | ACCESS_READ << wire::QUALIFIER_SHIFT,
            "/srv/**",
        )],
    ] {
        let (bad, _) = with_section(wire::SECTION_ASK_FILE_DFA, &automaton_of(rules));
        assert_eq!(
            wire::verify(&bad).unwrap_err().kind,
            ErrorKind::BadAutomaton(file_dfa::DfaFault::Access)
        );
    }
}

#[test]
fn the_verifier_refuses_an_unknown_mode() {
    let mut blob = encode(&[profile(Mode::Ask, vec![])]).unwrap();
    let mode_at = wire::HEADER_LEN + 4;
    assert_eq!(blob[mode_at], Mode::Ask.to_byte());
    blob[mode_at] = 4;
    assert!(wire::verify(&blob).is_err());
}
