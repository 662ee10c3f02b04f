//! Asking about execs (exec_grant.rs, exec.rs, ask.rs): an exec that a profile's `ask` rules
//! leave to an agent waits in the program's open for the answer; a yes runs the program
//! under the asking profile and lets the kernel map that program for that exec only. What
//! the kernel opens mid-exec (a script's interpreter) may not wait: refused at once, its
//! request delivered, and a session answer lets the retry run. Covered: each answer; deny
//! rules, a session refusal of the mapping, and another profile's claim on the program, each
//! keeping an exec from being asked; the grant ending with the exec; Debian's cat (glibc)
//! run after a yes; `lsmctl agent`'s "always" written as an exec rule that keeps the
//! profile; and `lsmctl run --ask`, whose answers name an exec apart from an open.

use crate::ask::{
    expect_errno, log_mark, logged_since, output_within, spawn_program, Agent, Listener, Request,
    INCLUDES, PROFILES,
};
use crate::ask_sandbox::{expect, run_asking};
use crate::harness::lsmctl;
use crate::{check, Outcome, Suite, FREE_PROBE};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Child;

pub(crate) const CASES: u32 = 11;

const PROBE: &str = "/usr/bin/rlsm-probe-execask";
const DIR: &str = "/tmp/ask-exec";
const LOCAL: &str = "/tmp/ask-include/local/execasker.toml";

const PROFILE: &str = r#"
[profile.execasker]
attach = ["/usr/bin/rlsm-probe-execask"]
include = ["abstractions/base"]
include_if_exists = ["local/execasker"]

[[profile.execasker.rule]]
allow = ["read", "exec"]
paths = ["/lib64/ld-linux-x86-64.so.2"]

[[profile.execasker.rule]]
allow = ["read"]
paths = ["/tmp/ask-exec/**"]

[[profile.execasker.rule]]
ask = ["exec"]
paths = ["/tmp/ask-exec/**"]

[[profile.execasker.rule]]
deny = ["exec"]
paths = ["/tmp/ask-exec/never"]

[[profile.execasker.rule]]
deny = ["mmap_exec"]
paths = ["/tmp/ask-exec/nomap"]

# Claims a program: execasker's agent is not asked about it, the rules decide.
[profile.claimer]
attach = ["/tmp/ask-exec/claimed"]
"#;

fn path(name: &str) -> String {
    format!("{DIR}/{name}")
}

/// Starts the confined probe with `args`.
fn spawn(args: &[&str]) -> Result<Child, String> {
    spawn_program(PROBE, args)
}

/// The exit status and standard output of `child`, which must end within 20 s.
fn finish(child: Child) -> Result<(i32, String), String> {
    output_within(child, 20)
}

/// The next request, which must hold every one of `fields`.
fn expect_request(l: &mut Listener, fields: &[&str]) -> Result<Request, String> {
    let r = l.expect()?;
    for f in fields {
        check(r.has(f), || format!("request {:?} lacks {f}", r.line))?;
    }
    Ok(r)
}

fn answer(l: &mut Listener, r: &Request, how: &str) -> Outcome {
    l.answer(r.id, how)
        .map_err(|e| format!("answer {how}: errno {e}"))
}

pub(crate) fn run(s: &mut Suite) {
    s.case("ask exec: load a profile that asks about execs", || {
        fs::copy(FREE_PROBE, PROBE).map_err(|e| format!("{PROBE}: {e}"))?;
        fs::create_dir_all(DIR).map_err(|e| e.to_string())?;
        fs::set_permissions(DIR, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
        for name in [
            "prog", "never", "nomap", "claimed", "interp", "shared", "kept", "mapped",
        ] {
            fs::copy(FREE_PROBE, path(name)).map_err(|e| format!("{name}: {e}"))?;
        }
        fs::copy("/usr/bin/rlsm-dyn-cat", path("cat")).map_err(|e| e.to_string())?;
        fs::write(path("script"), format!("#!{} whoami\n", path("interp")))
            .map_err(|e| e.to_string())?;
        fs::set_permissions(path("script"), fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        fs::write(path("data"), "run after a yes\n").map_err(|e| e.to_string())?;
        fs::set_permissions(path("data"), fs::Permissions::from_mode(0o644))
            .map_err(|e| e.to_string())?;
        let _ = fs::remove_file(LOCAL);
        let profile = format!("{PROFILES}/execasker.toml");
        fs::write(&profile, PROFILE).map_err(|e| e.to_string())?;
        lsmctl(&["-I", INCLUDES, "load", &profile])
    });

    s.case(
        "ask exec: allow once runs the program under the asking profile, deny refuses",
        || {
            let mut l = Listener::open(20_000, 0)?;
            let child = spawn(&["exec", &path("prog"), "whoami"])?;
            let pid = format!("pid={}", child.id());
            // An exec is put as exec and the mapping that comes with it.
            let r = expect_request(
                &mut l,
                &[
                    &pid,
                    "profile=\"execasker\"",
                    "op=open",
                    "requested=xm",
                    "path=\"/tmp/ask-exec/prog\"",
                    "waits=1",
                ],
            )?;
            answer(&mut l, &r, "allow once")?;
            let (code, out) = finish(child)?;
            check(code == 0 && out.trim() == "execasker", || {
                format!("the allowed program: exit {code}, runs under {out:?}")
            })?;
            let mark = log_mark();
            let child = spawn(&["exec", &path("prog"), "whoami"])?;
            let r = expect_request(&mut l, &["path=\"/tmp/ask-exec/prog\""])?;
            answer(&mut l, &r, "deny once")?;
            let (code, _) = finish(child)?;
            expect_errno("the denied exec", code, libc::EACCES)?;
            check(
                logged_since(mark, &["path=\"/tmp/ask-exec/prog\"", "ask=denied"]),
                || "no DENIED line with ask=denied".into(),
            )
        },
    );

    s.case(
        "ask exec: a program another profile claims, or whose mapping the agent refused for \
         the session, is refused without asking",
        || {
            let mut l = Listener::open(20_000, 0)?;
            // Which profile a claimed program runs under is the rules' choice.
            let (code, _) = finish(spawn(&["exec", &path("claimed"), "whoami"])?)?;
            expect_errno("a claimed program", code, libc::EACCES)?;
            check(l.next(300)?.is_none(), || {
                "a request for a program another profile claims".into()
            })?;
            let mapped = path("mapped");
            let (code, _) = finish(spawn(&["mmap-exec", &mapped])?)?;
            expect_errno("mapping it", code, libc::EACCES)?;
            let r = expect_request(&mut l, &["op=mmap", "requested=m", "waits=0"])?;
            answer(&mut l, &r, "deny session")?;
            let (code, _) = finish(spawn(&["exec", &mapped, "whoami"])?)?;
            expect_errno("executing it", code, libc::EACCES)?;
            check(l.next(300)?.is_none(), || {
                "a request for a program whose mapping the session refused".into()
            })
        },
    );

    s.case("ask exec: a session answer spares the next execs", || {
        let mut l = Listener::open(20_000, 0)?;
        let child = spawn(&["exec", &path("prog"), "whoami"])?;
        let r = expect_request(&mut l, &["path=\"/tmp/ask-exec/prog\""])?;
        answer(&mut l, &r, "allow session")?;
        let (code, out) = finish(child)?;
        check(code == 0 && out.trim() == "execasker", || {
            format!("first exec: exit {code}: {out}")
        })?;
        let (code, out) = finish(spawn(&["exec", &path("prog"), "whoami"])?)?;
        check(code == 0 && out.trim() == "execasker", || {
            format!("second exec: exit {code}: {out}")
        })?;
        check(l.next(200)?.is_none(), || {
            "a request for an exec the session allowed".into()
        })
    });

    s.case(
        "ask exec: a deny rule on exec or on mmap_exec keeps the exec from being asked",
        || {
            let mut l = Listener::open(20_000, 0)?;
            for name in ["never", "nomap"] {
                let (code, _) = finish(spawn(&["exec", &path(name), "whoami"])?)?;
                expect_errno(name, code, libc::EACCES)?;
            }
            check(l.next(300)?.is_none(), || {
                "a request for an exec a deny rule decides".into()
            })
        },
    );

    s.case(
        "ask exec: the yes lets the kernel map the program for that exec, not the program later",
        || {
            let mut l = Listener::open(20_000, 0)?;
            let shared = path("shared");
            let child = spawn(&["exec", &shared, "mmap-exec", &shared])?;
            let r = expect_request(&mut l, &["path=\"/tmp/ask-exec/shared\""])?;
            answer(&mut l, &r, "allow once")?;
            // The program ran (its own mapping was allowed) and maps itself again: asked
            // anew, where no task may wait (mmap), so refused at once.
            let (code, _) = finish(child)?;
            expect_errno("mapping itself again", code, libc::EACCES)?;
            let r = expect_request(
                &mut l,
                &[
                    "op=mmap",
                    "requested=m",
                    "path=\"/tmp/ask-exec/shared\"",
                    "waits=0",
                ],
            )?;
            answer(&mut l, &r, "deny once")
        },
    );

    s.case(
        "ask exec: a script's interpreter is refused at once and asked; a session answer lets \
         the retry run",
        || {
            let mut l = Listener::open(20_000, 0)?;
            let child = spawn(&["exec", &path("script")])?;
            let r = expect_request(&mut l, &["path=\"/tmp/ask-exec/script\"", "waits=1"])?;
            answer(&mut l, &r, "allow once")?;
            let interp = expect_request(
                &mut l,
                &["requested=xm", "path=\"/tmp/ask-exec/interp\"", "waits=0"],
            )?;
            let (code, _) = finish(child)?;
            expect_errno("the interpreter mid-exec", code, libc::EACCES)?;
            answer(&mut l, &interp, "allow session")?;
            let child = spawn(&["exec", &path("script")])?;
            let r = expect_request(&mut l, &["path=\"/tmp/ask-exec/script\""])?;
            answer(&mut l, &r, "allow once")?;
            let (code, out) = finish(child)?;
            check(code == 0 && out.trim() == "execasker", || {
                format!("the retried script: exit {code}: {out}")
            })
        },
    );

    s.case(
        "ask exec: Debian's cat (glibc) runs after a yes, its loader and libc by rule",
        || {
            let mut l = Listener::open(20_000, 0)?;
            let child = spawn(&["exec", &path("cat"), &path("data")])?;
            let r = expect_request(&mut l, &["path=\"/tmp/ask-exec/cat\""])?;
            answer(&mut l, &r, "allow once")?;
            let (code, out) = finish(child)?;
            check(code == 0 && out == "run after a yes\n", || {
                format!("cat: exit {code}: {out:?}")
            })
        },
    );

    s.case(
        "ask exec: lsmctl agent's always answer is an exec rule that keeps the profile",
        || {
            let mut agent = Agent::start_in(PROFILES, &[])?;
            let child = spawn(&["exec", &path("kept"), "whoami"])?;
            agent.answer_next("a")?;
            let (code, out) = finish(child)?;
            agent.stop()?;
            check(code == 0 && out.trim() == "execasker", || {
                format!("allowed always: exit {code}: {out}")
            })?;
            check(
                agent.output.contains("asks to execute /tmp/ask-exec/kept"),
                || format!("agent output: {}", agent.output),
            )?;
            let local = fs::read_to_string(LOCAL).map_err(|e| format!("{LOCAL}: {e}"))?;
            check(
                local.contains("allow = [\"exec\"]") && local.contains("transition = \"inherit\""),
                || format!("local file: {local}"),
            )?;
            // No agent now: the rule answers, and keeps the profile.
            let (code, out) = finish(spawn(&["exec", &path("kept"), "whoami"])?)?;
            check(code == 0 && out.trim() == "execasker", || {
                format!("by the new rule: exit {code}: {out}")
            })
        },
    );

    s.case(
        "run --ask: an exec is answered by `KEY exec PATH`, not by an answer to open it",
        || {
            let prog = path("prog");
            let asked = format!("asks to execute {prog}");
            let got = run_asking(&format!("y exec {prog}\n"), &["exec", &prog, "whoami"])?;
            expect("y exec", got, 0, &[&asked, "allowed once"])?;
            let got = run_asking(&format!("y {prog}\n"), &["exec", &prog, "whoami"])?;
            expect(
                "an open's answer",
                got,
                libc::EACCES,
                &[&asked, "no answer for it"],
            )
        },
    );

    s.case("ask exec: remove the profiles", || {
        let _ = fs::remove_file(LOCAL);
        let _ = fs::remove_file(format!("{PROFILES}/execasker.toml"));
        lsmctl(&["remove", "execasker", "claimer"])
    });
}
