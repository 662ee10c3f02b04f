//! `owner` rules: their own automaton (`SECTION_OWNER_FILE_DFA`), which only allows, never
//! `exec`, as the encoder writes it and the kernel's verifier and views read it.

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

fn profile(rules: Vec<RuleSpec>) -> ProfileSpec {
    ProfileSpec {
        rules,
        ..ProfileSpec::new("p", Mode::Enforce)
    }
}

#[test]
fn owner_rules_allow_only_through_their_own_automaton() {
    let blob = encode(&[profile(vec![
        rule(Effect::Allow, ACCESS_READ, "/home/**"),
        rule(Effect::AllowOwned, ACCESS_READ | ACCESS_WRITE, "/home/*/**"),
        rule(Effect::Deny, ACCESS_WRITE, "/home/*/.ssh/**"),
    ])])
    .unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    // The profile's own automaton knows nothing of the owner rule.
    assert_eq!(view.file_masks(b"/home/u/notes"), (ACCESS_READ, 0));
    assert_eq!(
        view.owner_masks(b"/home/u/notes"),
        ACCESS_READ | ACCESS_WRITE
    );
    assert_eq!(
        view.owner_masks_parts(&[b"/home/u", b"/notes"]),
        ACCESS_READ | ACCESS_WRITE
    );
    assert_eq!(view.owner_masks(b"/home/notes"), 0);
    assert_eq!(view.owner_masks(b"/etc/passwd"), 0);
    // A deny rule still refuses what the owner rule allows: it is in the other automaton.
    assert_eq!(
        view.file_masks(b"/home/u/.ssh/id"),
        (ACCESS_READ, ACCESS_WRITE)
    );
    let summary = &decode(&blob).unwrap()[0];
    assert!(summary.owner_dfa_size.0 > 1);
}

#[test]
fn a_profile_without_owner_rules_has_no_owner_section() {
    let blob = encode(&[profile(vec![rule(Effect::Allow, ACCESS_READ, "/a")])]).unwrap();
    assert!(sections(&blob)
        .iter()
        .all(|&(kind, ..)| kind != wire::SECTION_OWNER_FILE_DFA));
    let view = wire::profiles(&blob).next().unwrap();
    assert!(view.owner_file_dfa().is_none());
    assert_eq!(view.owner_masks(b"/a"), 0);
    assert_eq!(decode(&blob).unwrap()[0].owner_dfa_size, (0, 0));
}

#[test]
fn an_owner_rule_cannot_allow_exec() {
    for access in [ACCESS_EXEC, ACCESS_READ | wire::ACCESS_EXEC_INHERIT] {
        assert!(matches!(
            encode(&[profile(vec![rule(Effect::AllowOwned, access, "/home/**")])]),
            Err(EncodeError::BadAccess { .. })
        ));
    }
}

#[test]
fn the_verifier_refuses_an_owner_automaton_that_denies_or_executes() {
    let (good, _) = with_section(
        wire::SECTION_OWNER_FILE_DFA,
        &automaton_of(vec![rule(Effect::Allow, ACCESS_READ, "/home/**")]),
    );
    assert_eq!(wire::verify(&good), Ok(1));
    let view = wire::profiles(&good).next().unwrap();
    assert_eq!(view.owner_masks(b"/home/u/x"), ACCESS_READ);
    for rules in [
        vec![rule(Effect::Deny, ACCESS_READ, "/home/**")],
        vec![rule(Effect::Allow, ACCESS_EXEC, "/home/**")],
    ] {
        let (bad, _) = with_section(wire::SECTION_OWNER_FILE_DFA, &automaton_of(rules));
        assert_eq!(
            wire::verify(&bad).unwrap_err().kind,
            ErrorKind::BadAutomaton(file_dfa::DfaFault::Access)
        );
    }
}
