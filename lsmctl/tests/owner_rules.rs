//! `owner = true` on allow rules: compiled as owner rules (their own automaton); on a deny
//! rule or with `exec`, an error at its place.

use rustlsm_policy::wire::{self, ACCESS_READ, ACCESS_WRITE};
use rustlsm_policy::Effect;
use std::path::Path;

fn compile(src: &str) -> Result<Vec<rustlsm_policy::ProfileSpec>, String> {
    lsmctl::compile_checked(Path::new("o.toml"), src)
        .map(|(_, compiled)| compiled.profiles)
        .map_err(|e| e.to_string())
}

fn rule(kind: &str, accesses: &str, extra: &str) -> String {
    format!(
        "[profile.o]\n[[profile.o.rule]]\n{kind} = [{accesses}]\npaths = [\"/home/*/**\"]\n{extra}\n"
    )
}

#[test]
fn owner_makes_an_allow_rule_hold_for_owned_files_only() {
    let p = compile(&rule("allow", "\"read\", \"write\"", "owner = true")).unwrap();
    assert_eq!(p[0].rules[0].effect, Effect::AllowOwned);
    let blob = rustlsm_policy::encode(&p).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    assert_eq!(view.file_masks(b"/home/u/f"), (0, 0));
    let rw = ACCESS_READ | ACCESS_WRITE;
    assert_eq!(view.owner_masks(b"/home/u/f") & rw, rw);
    let p = compile(&rule("allow", "\"read\"", "owner = false")).unwrap();
    assert_eq!(p[0].rules[0].effect, Effect::Allow);
}

#[test]
fn owner_with_audit_audits_the_owned_accesses() {
    let p = compile(&rule("allow", "\"read\"", "owner = true\naudit = true")).unwrap();
    assert_eq!(p[0].rules[0].effect, Effect::AllowOwned);
    assert_eq!(
        p[0].rules[0].access,
        ACCESS_READ | ACCESS_READ << wire::QUALIFIER_SHIFT
    );
}

#[test]
fn owner_on_a_deny_rule_or_with_exec_is_an_error() {
    assert_eq!(
        compile(&rule("deny", "\"read\"", "owner = true")).unwrap_err(),
        "o.toml:5:9: `owner` belongs on an allow rule: a deny rule refuses whoever owns the file"
    );
    let err = compile(&rule("allow", "\"read\", \"exec\"", "owner = true")).unwrap_err();
    assert!(
        err.starts_with("o.toml:5:9: an `owner` rule cannot allow exec"),
        "{err}"
    );
}
