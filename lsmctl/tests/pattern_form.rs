//! Path and attachment patterns must be in the form the kernel renders paths in: no `.` or
//! `..` component, no `//`, no trailing `/`. Anything else would never match, and a deny
//! written that way would be a silent hole, so it does not compile.

use lsmctl::profile::compile;
use std::path::Path;

fn rule(pattern: &str) -> String {
    format!("[profile.a]\nattach = [\"/a\"]\n[[profile.a.rule]]\ndeny = [\"read\"]\npaths = [\"/ok\", \"{pattern}\"]\n")
}

fn attach(pattern: &str) -> String {
    format!("[profile.a]\nattach = [\"{pattern}\"]\n")
}

fn error(src: &str) -> String {
    compile(Path::new("f.toml"), src)
        .expect_err("must be refused")
        .to_string()
}

#[test]
fn dot_components_are_refused_with_the_meant_path() {
    let e = error(&rule("/srv/www/public/../private/**"));
    assert!(
        e.starts_with(
            "f.toml:5:17: path \"/srv/www/public/../private/**\" has a `.` or `..` component"
        ),
        "{e}"
    );
    assert!(
        e.contains("never match") && e.contains("\"/srv/www/private/**\""),
        "{e}"
    );
    for bad in [
        "/etc/./shadow",
        "/etc/..",
        "/..",
        "/.",
        "/a/*/../b",
        "/a/..",
    ] {
        assert!(error(&rule(bad)).contains("`.` or `..` component"), "{bad}");
        assert!(error(&attach(bad)).starts_with("f.toml:2:11:"), "{bad}");
    }
}

#[test]
fn empty_components_and_trailing_slashes_are_refused() {
    let e = error(&rule("/etc//shadow"));
    assert!(
        e.starts_with("f.toml:5:17: path \"/etc//shadow\" has an empty component"),
        "{e}"
    );
    assert!(e.contains("write \"/etc/shadow\""), "{e}");
    assert!(error(&attach("//usr/bin/x")).contains("empty component"));
    let e = error(&rule("/srv/data/"));
    assert!(e.contains("ends with `/`"), "{e}");
    assert!(
        e.contains("\"/srv/data\"") && e.contains("\"/srv/data/**\""),
        "{e}"
    );
    assert!(error(&attach("/opt/app/")).contains("ends with `/`"));
    assert!(error(&rule("/**/")).contains("ends with `/`"));
}

#[test]
fn brace_expansion_is_checked_too() {
    let e = error(&rule("/a/{b,}/c"));
    assert!(
        e.starts_with("f.toml:5:17: path \"/a//c\" has an empty component"),
        "{e}"
    );
    assert!(
        e.ends_with("(from the brace expansion of \"/a/{b,}/c\")"),
        "{e}"
    );
    assert!(error(&rule("/a/{x,..}/c")).contains("\"/a/../c\" has a `.` or `..`"));
    assert!(error(&attach("/usr/{bin,lib/}")).contains("\"/usr/lib/\" ends with `/`"));
}

#[test]
fn well_formed_patterns_still_compile() {
    for ok in [
        "/",
        "/etc/.hidden",
        "/etc/..x",
        "/etc/x..",
        "/srv/.../x",
        "/a/b.c/**",
        "/**",
        "/tmp/*.log",
        "/{a,b}/c",
    ] {
        assert!(compile(Path::new("f.toml"), &rule(ok)).is_ok(), "{ok}");
        assert!(compile(Path::new("f.toml"), &attach(ok)).is_ok(), "{ok}");
    }
}

#[test]
fn proc_thread_self_is_refused_with_what_to_write() {
    let e = error(&rule("/proc/thread-self/status"));
    assert!(
        e.contains("/proc/thread-self is a link the kernel follows")
            && e.contains("\"/proc/self/task/*/status\""),
        "{e}"
    );
    // /proc/self is how rules name the task's own entries.
    compile(std::path::Path::new("f.toml"), &rule("/proc/self/status")).unwrap();
}

#[test]
fn patterns_with_too_many_wildcards_are_refused() {
    // Four `**` and sixteen wildcards in all are fine.
    let fine = "/a/**/b/**/c/**/d/**/e?f?g?h?i?j?k?l?m?n?o?p";
    assert!(compile(Path::new("f.toml"), &rule(fine)).is_ok());
    let crossing = "/a/**/b/**/c/**/d/**/e/**";
    assert!(error(&rule(crossing)).contains("5 wildcards, 5 of them `**`"));
    let many = "/a?b?c?d?e?f?g?h?i?j?k?l?m?n?o?p?q?r";
    assert!(error(&attach(many)).contains("17 wildcards, 0 of them `**`"));
}
