//! `ProfileView::same_below`, which a directory rename must pass: everything below the new
//! name is judged as below the old one, by the file rules and the owner rules, or nothing
//! below the new name is allowed at all.

use rustlsm_policy::wire::{self, ACCESS_READ, ACCESS_WRITE};
use rustlsm_policy::{encode, Effect, Mode, ProfileSpec, RuleSpec};

fn rule(effect: Effect, access: u32, pattern: &str) -> RuleSpec {
    RuleSpec {
        effect,
        access,
        pattern: pattern.into(),
    }
}

fn blob(rules: Vec<RuleSpec>) -> Vec<u8> {
    encode(&[ProfileSpec {
        rules,
        ..ProfileSpec::new("p", Mode::Enforce)
    }])
    .unwrap()
}

#[test]
fn a_directory_may_not_leave_a_deny_rule_below_it() {
    let b = blob(vec![
        rule(Effect::Allow, ACCESS_READ | ACCESS_WRITE, "/home/*/**"),
        rule(Effect::Deny, ACCESS_WRITE, "/home/*/.ssh/**"),
    ]);
    let view = wire::profiles(&b).next().unwrap();
    assert!(!view.same_below(b"/home/u/.ssh", b"/home/u/keys"));
    assert!(!view.same_below(b"/home/u/keys", b"/home/u/.ssh"));
    assert!(view.same_below(b"/home/u/projects", b"/home/u/old-projects"));
    assert!(view.same_below(b"/home/u/a", b"/home/v/a"));
    // Nothing is allowed below the new name: the files there are refused everything.
    assert!(view.same_below(b"/home/u/a", b"/elsewhere"));
    // But a narrower allow below the new name is still a difference.
    assert!(!view.same_below(b"/elsewhere", b"/home/u/a"));
}

#[test]
fn owner_rules_count_below_a_directory_too() {
    let b = blob(vec![
        rule(Effect::Allow, ACCESS_READ, "/srv/**"),
        rule(Effect::AllowOwned, ACCESS_WRITE, "/srv/own/**"),
    ]);
    let view = wire::profiles(&b).next().unwrap();
    assert!(!view.same_below(b"/srv/shared", b"/srv/own"));
    assert!(view.same_below(b"/srv/a", b"/srv/b"));
    // Dead in the file rules but not in the owner rules is no way out.
    let b = blob(vec![
        rule(Effect::Allow, ACCESS_READ, "/srv/**"),
        rule(Effect::AllowOwned, ACCESS_WRITE, "/home/**"),
    ]);
    let view = wire::profiles(&b).next().unwrap();
    assert!(!view.same_below(b"/srv/a", b"/home/a"));
}
