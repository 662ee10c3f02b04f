//! `ask = [...]` rules and `mode = "ask"` in TOML: compiled as ask rules (their own
//! automaton); with `owner`, `audit`, `quiet` or `transition`, or beside `allow`, an error
//! at its place.

use rustlsm_policy::wire::{self, ACCESS_READ, ACCESS_WRITE};
use rustlsm_policy::{Effect, Mode};
use std::path::Path;

fn compile(src: &str) -> Result<Vec<rustlsm_policy::ProfileSpec>, String> {
    lsmctl::compile_checked(Path::new("q.toml"), src)
        .map(|(_, compiled)| compiled.profiles)
        .map_err(|e| e.to_string())
}

fn rule(body: &str) -> String {
    format!("[profile.q]\n[[profile.q.rule]]\n{body}\npaths = [\"/srv/**\"]\n")
}

#[test]
fn an_ask_rule_compiles_into_the_ask_automaton() {
    let p = compile(&rule("ask = [\"read\", \"write\"]")).unwrap();
    assert_eq!(p[0].rules[0].effect, Effect::Ask);
    let blob = rustlsm_policy::encode(&p).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    assert_eq!(view.file_masks(b"/srv/x"), (0, 0));
    let rw = ACCESS_READ | ACCESS_WRITE;
    assert_eq!(view.ask_masks(b"/srv/x") & rw, rw);
}

#[test]
fn an_exec_can_be_asked_for_with_its_mapping() {
    let p = compile(&rule("ask = [\"exec\"]")).unwrap();
    let blob = rustlsm_policy::encode(&p).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    let exec = wire::ACCESS_EXEC | wire::ACCESS_MMAP_EXEC;
    assert_eq!(view.ask_masks(b"/srv/x"), exec);
    assert_eq!(view.ask_masks(b"/etc/x"), 0);
    // The transitions are not asked for: an agent's yes keeps the caller's profile.
    assert_eq!(view.ask_masks(b"/srv/x") & wire::ACCESS_EXEC_INHERIT, 0);
}

#[test]
fn mode_ask_is_a_mode() {
    let p = compile("[profile.q]\nmode = \"ask\"\n").unwrap();
    assert_eq!(p[0].mode, Mode::Ask);
    let e = compile("[profile.q]\nmode = \"prompt\"\n").unwrap_err();
    assert!(e.contains("q.toml:2:8") && e.contains("\"ask\""), "{e}");
}

#[test]
fn ask_rules_refuse_what_they_cannot_mean() {
    let cases = [
        (
            "ask = [\"exec\"]\ntransition = \"inherit\"",
            "4:14",
            "`transition` belongs on a rule that allows exec",
        ),
        (
            "ask = [\"read\"]\nowner = true",
            "4:9",
            "an `ask` rule asks whoever owns",
        ),
        (
            "ask = [\"read\"]\naudit = true",
            "4:9",
            "neither audited nor quiet",
        ),
        (
            "ask = [\"read\"]\nquiet = true",
            "4:9",
            "neither audited nor quiet",
        ),
        (
            "ask = [\"read\"]\nallow = [\"read\"]",
            "2:1",
            "exactly one of `allow`, `deny` or `ask`",
        ),
        ("ask = [\"reed\"]", "3:8", "unknown access"),
        ("ask = []", "3:7", "names no access"),
    ];
    for (body, place, message) in cases {
        let e = compile(&rule(body)).unwrap_err();
        assert!(
            e.contains(&format!("q.toml:{place}")) && e.contains(message),
            "{body}: {e}"
        );
    }
}
