//! `transition = { profile = "NAME" }`: exec rules that name the profile a program runs
//! under, compiled into the exec-targets section; bad forms are errors at their place.

use std::path::Path;

fn compile(src: &str) -> Result<Vec<rustlsm_policy::ProfileSpec>, String> {
    lsmctl::compile_checked(Path::new("x.toml"), src)
        .map(|(_, compiled)| compiled.profiles)
        .map_err(|e| e.to_string())
}

const NAMED: &str = r#"
[profile.caller]
attach = ["/usr/bin/caller"]
[[profile.caller.rule]]
allow = ["exec"]
paths = ["/usr/bin/{helper,other}"]
transition = { profile = "helper" }

[profile.helper]
"#;

#[test]
fn every_expanded_path_names_the_profile() {
    let profiles = compile(NAMED).unwrap();
    let targets: Vec<(&str, &str)> = profiles[0]
        .exec_targets
        .iter()
        .map(|t| (t.pattern.as_str(), t.profile.as_str()))
        .collect();
    assert_eq!(
        targets,
        [("/usr/bin/helper", "helper"), ("/usr/bin/other", "helper")]
    );
    // The rule still allows the exec itself.
    assert!(profiles[0]
        .rules
        .iter()
        .any(|r| r.pattern == "/usr/bin/helper"));
}

#[test]
fn a_profile_entered_only_by_an_exec_rule_is_no_warning() {
    let (_, compiled) = lsmctl::compile_checked(Path::new("x.toml"), NAMED).unwrap();
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
}

#[test]
fn bad_forms_are_errors_at_their_place() {
    let rule = |transition: &str, allow: &str| {
        format!(
            "[profile.a]\n[[profile.a.rule]]\nallow = [{allow}]\npaths = [\"/bin/x\"]\n\
             transition = {transition}\n"
        )
    };
    let forms = "a transition is \"inherit\", \"profile\" or { profile = \"NAME\" }";
    assert_eq!(
        compile(&rule("{ prof = \"b\" }", "\"exec\"")).unwrap_err(),
        format!("x.toml:5:14: {forms}")
    );
    assert_eq!(
        compile(&rule("{ profile = \"b\", x = 1 }", "\"exec\"")).unwrap_err(),
        format!("x.toml:5:14: {forms}")
    );
    assert_eq!(
        compile(&rule("3", "\"exec\"")).unwrap_err(),
        format!("x.toml:5:14: {forms}")
    );
    assert!(compile(&rule("{ profile = \"unconfined\" }", "\"exec\""))
        .unwrap_err()
        .starts_with("x.toml:5:14: \"unconfined\" is not a profile name"));
    assert_eq!(
        compile(&rule("{ profile = \"b\" }", "\"read\"")).unwrap_err(),
        "x.toml:5:14: `transition` belongs on a rule that allows exec"
    );
}

#[test]
fn a_profile_the_file_does_not_define_is_a_warning() {
    let src = "[profile.a]\nattach = [\"/a\"]\n[[profile.a.rule]]\nallow = [\"exec\"]\n\
               paths = [\"/b\"]\ntransition = { profile = \"b\" }\n";
    let (_, compiled) = lsmctl::compile_checked(Path::new("x.toml"), src).unwrap();
    let shown: Vec<String> = compiled.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0]
            .starts_with("x.toml:6:14: warning: profile \"a\": the exec rule names profile \"b\""),
        "{shown:?}"
    );
}
