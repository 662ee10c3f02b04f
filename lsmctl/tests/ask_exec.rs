//! Asking about execs on lsmctl's side (lsmctl::ask): an exec request is worded as one, an
//! answers file names it apart from an open of the same file, and an "always" yes becomes an
//! exec rule that keeps the caller's profile, as the kernel did for the agent's yes.

use lsmctl::ask::{add_rule, Request};
use rustlsm_policy::wire::{self, ACCESS_EXEC, ACCESS_EXEC_INHERIT, ACCESS_MMAP_EXEC};
use std::path::Path;

const EXEC: &[u8] = br#"id=3 pid=50 tgid=50 uid=0 comm="sh" profile="web" op=open requested=xm path="/srv/tool" waits=1"#;

#[test]
fn an_exec_request_is_worded_and_keyed_as_an_exec() {
    let r = Request::parse(EXEC).unwrap();
    assert_eq!(r.requested, ACCESS_EXEC | ACCESS_MMAP_EXEC);
    assert!(r.is_exec());
    let said = r.describe();
    assert!(
        said.contains(
            "asks to execute /srv/tool (and map it executable; it runs under this same profile)"
        ),
        "{said}"
    );
    // An answer to read the file is not an answer to execute it.
    assert_eq!(r.object_text(), b"exec /srv/tool");
    let open = br#"id=3 pid=50 tgid=50 uid=0 comm="sh" profile="web" op=open requested=r path="/srv/tool" waits=1"#;
    let r = Request::parse(open).unwrap();
    assert!(!r.is_exec());
    assert_eq!(r.object_text(), b"/srv/tool");
    // Mapping the file executable runs its code too: only an `exec` line answers it.
    let map = br#"id=3 pid=50 tgid=50 uid=0 comm="sh" profile="web" op=mmap requested=m path="/srv/tool" waits=0"#;
    let r = Request::parse(map).unwrap();
    assert!(!r.is_exec() && r.runs_code());
    assert_eq!(r.object_text(), b"exec /srv/tool");
}

/// The masks `text`, a local file of rules, compiles to for `path`.
fn masks(text: &str, path: &[u8]) -> (u32, u32) {
    let profile = format!(
        "[profile.p]\n{}",
        text.replace("[[rule]]", "[[profile.p.rule]]")
    );
    let (_, compiled) = lsmctl::compile_checked(Path::new("p.toml"), &profile).unwrap();
    let blob = rustlsm_policy::encode(&compiled.profiles).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    view.file_masks(path)
}

#[test]
fn an_always_yes_to_an_exec_keeps_the_callers_profile() {
    let exec = ACCESS_EXEC | ACCESS_MMAP_EXEC;
    let text = add_rule("", true, exec, b"/srv/tool").unwrap();
    assert!(text.contains("allow = [\"exec\"]"), "{text}");
    assert!(text.contains("transition = \"inherit\""), "{text}");
    let (allowed, _) = masks(&text, b"/srv/tool");
    assert_eq!(allowed & exec, exec);
    assert_ne!(allowed & ACCESS_EXEC_INHERIT, 0);
    // An always no is a deny rule, which has no transition.
    let text = add_rule("", false, exec, b"/srv/tool").unwrap();
    assert!(!text.contains("transition"), "{text}");
    let (_, denied) = masks(&text, b"/srv/tool");
    assert_eq!(denied & exec, exec);
}
