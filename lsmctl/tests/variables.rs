//! `@{NAME}` variables in paths and attachments: built-in values, `[variables]` that replace
//! or append to them, nesting, and clear errors for what cannot work.

use lsmctl::profile::compile;
use rustlsm_policy::ProfileSpec;
use std::path::Path;

fn profile(src: &str) -> ProfileSpec {
    compile(Path::new("v.toml"), src)
        .expect("compiles")
        .remove(0)
}

fn error(src: &str) -> String {
    compile(Path::new("v.toml"), src)
        .expect_err("must be refused")
        .to_string()
}

/// The patterns of the profile's rules (after the attachments' own mapping rules).
fn patterns(p: &ProfileSpec) -> Vec<&str> {
    p.rules
        .iter()
        .skip(p.attach.len())
        .map(|r| r.pattern.as_str())
        .collect()
}

fn with_paths(variables: &str, paths: &str) -> String {
    format!(
        "{variables}\n[profile.a]\nattach = [\"/a\"]\n[[profile.a.rule]]\nallow = [\"read\"]\npaths = [{paths}]\n"
    )
}

#[test]
fn builtin_variables_expand_to_one_pattern_per_value() {
    let p = profile(&with_paths(
        "",
        "\"@{HOME}/.ssh/**\", \"@{PROC}/@{pid}/stat\"",
    ));
    assert_eq!(
        patterns(&p),
        [
            "/home/*/.ssh/**",
            "/root/.ssh/**",
            "/proc/1*/stat",
            "/proc/2*/stat",
            "/proc/3*/stat",
            "/proc/4*/stat",
            "/proc/5*/stat",
            "/proc/6*/stat",
            "/proc/7*/stat",
            "/proc/8*/stat",
            "/proc/9*/stat",
        ]
    );
}

#[test]
fn a_profile_file_sets_and_appends() {
    let vars = "[variables]\nweb = \"/srv/www\"\nHOME = [\"/export/*\"]\ntmp = { append = [\"/scratch\"] }\n";
    let p = profile(&with_paths(
        vars,
        "\"@{web}/**\", \"@{HOME}\", \"@{tmp}/x\"",
    ));
    assert_eq!(
        patterns(&p),
        [
            "/srv/www/**",
            "/export/*",
            "/tmp/x",
            "/var/tmp/x",
            "/scratch/x"
        ]
    );
}

#[test]
fn values_may_use_variables_and_braces_and_apply_to_attachments() {
    let src = "[variables]\nroot = \"/opt/{a,b}\"\napp = \"@{root}/bin\"\n[profile.a]\nattach = [\"@{app}/run\"]\n";
    let p = profile(src);
    assert_eq!(p.attach, ["/opt/a/bin/run", "/opt/b/bin/run"]);
    // A redefinition later in the table still applies to every use: values expand late.
    let late =
        "[variables]\napp = \"@{root}/bin\"\nroot = \"/srv\"\n[profile.a]\nattach = [\"@{app}\"]\n";
    assert_eq!(profile(late).attach, ["/srv/bin"]);
}

#[test]
fn mistakes_are_refused_at_their_place() {
    let e = error(&with_paths("", "\"@{nope}/x\""));
    assert!(
        e.starts_with("v.toml:6:10: unknown variable @{nope}: define it under [variables]"),
        "{e}"
    );
    assert!(e.contains("HOME") && e.contains("PROC"), "{e}");
    let e = error(&with_paths(
        "[variables]\nloop = \"@{loop}/x\"\n",
        "\"@{loop}\"",
    ));
    assert!(e.contains("more than 8 deep"), "{e}");
    let e = error(&with_paths(
        "[variables]\nx = { append = [\"/y\"] }\n",
        "\"@{x}\"",
    ));
    assert!(
        e.starts_with("v.toml:2:5: variable \"x\" is not defined, so nothing can be appended"),
        "{e}"
    );
    let e = error(&with_paths("[variables]\nx = 3\n", "\"/a\""));
    assert!(
        e.starts_with("v.toml:2:5: variable \"x\": expected a string, a list of strings"),
        "{e}"
    );
    let e = error(&with_paths("[variables]\n\"a-b\" = \"/x\"\n", "\"/a\""));
    assert!(e.starts_with("v.toml:2:1: variable name \"a-b\""), "{e}");
    let e = error(&with_paths("[variables]\nx = []\n", "\"/a\""));
    assert!(e.contains("has no value"), "{e}");
    let e = error(&with_paths("", "\"@{HOME\""));
    assert!(e.contains("without a closing"), "{e}");
}

#[test]
fn an_expanded_pattern_is_checked_like_a_written_one() {
    // A value that ends in `/` would make a pattern that never matches: a silent hole in a deny.
    let e = error(&with_paths("[variables]\nd = \"/srv/\"\n", "\"@{d}/x\""));
    assert!(
        e.contains("empty component") && e.contains("(from \"@{d}/x\", its variables expanded)"),
        "{e}"
    );
}

#[test]
fn expansion_is_bounded() {
    let vars =
        "[variables]\na = [\"/1\", \"/2\", \"/3\", \"/4\", \"/5\", \"/6\", \"/7\", \"/8\"]\n";
    let e = error(&with_paths(vars, "\"@{a}@{a}@{a}@{a}\""));
    assert!(e.contains("more than 1024 patterns"), "{e}");
}
