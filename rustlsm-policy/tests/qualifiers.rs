//! The `audit` and `quiet` qualifiers of file rules: their bits in the automaton's masks, as
//! the kernel's view reads them and its helpers judge them.

use rustlsm_policy::wire::{self, ACCESS_READ, ACCESS_WRITE, QUALIFIER_SHIFT};
use rustlsm_policy::{encode, Effect, EncodeError, Mode, ProfileSpec, RuleSpec};

fn rule(effect: Effect, access: u32, pattern: &str) -> RuleSpec {
    RuleSpec {
        effect,
        access,
        pattern: pattern.into(),
    }
}

fn masks(rules: Vec<RuleSpec>, path: &str) -> (u32, u32) {
    let blob = encode(&[ProfileSpec {
        rules,
        ..ProfileSpec::new("p", Mode::Enforce)
    }])
    .unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    view.file_masks(path.as_bytes())
}

const AUDIT_READ: u32 = ACCESS_READ | ACCESS_READ << QUALIFIER_SHIFT;
const QUIET_READ: u32 = ACCESS_READ | ACCESS_READ << QUALIFIER_SHIFT;

#[test]
fn audit_names_the_allowed_accesses_of_its_rule_only() {
    let rules = vec![
        rule(Effect::Allow, ACCESS_READ | ACCESS_WRITE, "/srv/**"),
        rule(Effect::Allow, AUDIT_READ, "/srv/watched"),
    ];
    let (allowed, _) = masks(rules.clone(), "/srv/watched");
    assert_eq!(
        wire::audited(allowed, ACCESS_READ | ACCESS_WRITE),
        ACCESS_READ
    );
    let (allowed, _) = masks(rules, "/srv/other");
    assert_eq!(wire::audited(allowed, ACCESS_READ), 0);
}

#[test]
fn quiet_covers_only_what_its_rules_deny() {
    let rules = vec![
        rule(Effect::Allow, ACCESS_READ, "/srv/**"),
        rule(Effect::Deny, QUIET_READ, "/srv/noisy*"),
    ];
    let (allowed, denied) = masks(rules, "/srv/noisy-1");
    let refused = ACCESS_READ & (!allowed | denied);
    assert!(wire::quiet(denied, refused));
    // Writing is refused for want of an allow rule: not the quiet rule's refusal.
    let refused = (ACCESS_READ | ACCESS_WRITE) & (!allowed | denied);
    assert!(!wire::quiet(denied, refused));
    // A hand-made mask with a quiet bit but no deny bit silences nothing.
    assert!(!wire::quiet(ACCESS_READ << QUALIFIER_SHIFT, ACCESS_READ));
    // Nor does an audit bit without its access.
    assert_eq!(
        wire::audited(ACCESS_READ << QUALIFIER_SHIFT, ACCESS_READ),
        0
    );
}

#[test]
fn the_encoder_refuses_qualifiers_of_accesses_the_rule_lacks() {
    let bad = ProfileSpec {
        rules: vec![rule(
            Effect::Allow,
            ACCESS_READ | ACCESS_WRITE << QUALIFIER_SHIFT,
            "/x",
        )],
        ..ProfileSpec::new("p", Mode::Enforce)
    };
    assert!(matches!(encode(&[bad]), Err(EncodeError::BadAccess { .. })));
}

#[test]
fn a_broad_quiet_rule_does_not_silence_a_narrower_plain_one() {
    let rules = vec![
        rule(Effect::Allow, ACCESS_READ | ACCESS_WRITE, "/home/**"),
        rule(
            Effect::Deny,
            ACCESS_WRITE | ACCESS_WRITE << QUALIFIER_SHIFT,
            "/home/**/.cache/**",
        ),
        rule(
            Effect::Deny,
            ACCESS_READ | ACCESS_WRITE,
            "/home/*/.cache/secret/**",
        ),
    ];
    let (_, denied) = masks(rules.clone(), "/home/u/.cache/secret/k");
    assert!(!wire::quiet(denied, ACCESS_WRITE));
    let (_, denied) = masks(rules, "/home/u/.cache/thumbs/k");
    assert!(wire::quiet(denied, ACCESS_WRITE));
    // Joining is the same from either side, and keeps what each denies.
    let quiet = ACCESS_WRITE | ACCESS_WRITE << QUALIFIER_SHIFT;
    assert_eq!(wire::join_denied(quiet, ACCESS_WRITE), ACCESS_WRITE);
    assert_eq!(wire::join_denied(ACCESS_WRITE, quiet), ACCESS_WRITE);
    assert_eq!(wire::join_denied(quiet, ACCESS_READ), ACCESS_READ | quiet);
}
