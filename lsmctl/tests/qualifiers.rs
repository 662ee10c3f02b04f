//! `audit = true` on allow rules and `quiet = true` on deny rules: compiled into the rules'
//! qualifier bits; on the other kind of rule, an error at its place.

use rustlsm_policy::wire::{ACCESS_READ, QUALIFIER_SHIFT};
use std::path::Path;

fn compile(src: &str) -> Result<Vec<rustlsm_policy::ProfileSpec>, String> {
    lsmctl::compile_checked(Path::new("q.toml"), src)
        .map(|(_, compiled)| compiled.profiles)
        .map_err(|e| e.to_string())
}

fn rule(kind: &str, qualifier: &str) -> String {
    format!("[profile.q]\n[[profile.q.rule]]\n{kind} = [\"read\"]\npaths = [\"/x\"]\n{qualifier}\n")
}

#[test]
fn qualifiers_mark_the_rules_accesses() {
    let qualified = ACCESS_READ | ACCESS_READ << QUALIFIER_SHIFT;
    let p = compile(&rule("allow", "audit = true")).unwrap();
    assert_eq!(p[0].rules[0].access, qualified);
    let p = compile(&rule("deny", "quiet = true")).unwrap();
    assert_eq!(p[0].rules[0].access, qualified);
    let p = compile(&rule("allow", "audit = false")).unwrap();
    assert_eq!(p[0].rules[0].access, ACCESS_READ);
}

#[test]
fn a_qualifier_on_the_wrong_kind_of_rule_is_an_error() {
    assert_eq!(
        compile(&rule("deny", "audit = true")).unwrap_err(),
        "q.toml:5:9: `audit` belongs on an allow rule"
    );
    assert_eq!(
        compile(&rule("allow", "quiet = true")).unwrap_err(),
        "q.toml:5:9: `quiet` belongs on a deny rule"
    );
}
