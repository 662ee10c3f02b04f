//! Loading at boot and the admin's mode switches, in a VM booted with qemu-test/boot/ as
//! overlay: its /etc/rustlsm/profiles.d holds a working profile, a broken one and a file
//! that is not a profile, and the VM's init loaded the directory with `lsmctl load --all`
//! before this suite started, as rustlsm.service does (its output is /tmp/boot-load.log).
//!
//! Run as `rlsm-guest-tests boot`; the main suite's VM has no profile directory.

use crate::harness::{expect_open, kernel_log, run};
use crate::{check, Outcome, Suite, LSMCTL, SECFS};
use std::fs;

/// The cases [`run`] registers.
pub(crate) const CASES: u32 = 10;

const DIR: &str = "/etc/rustlsm/profiles.d";
const BOOTDEMO: &str = "/etc/rustlsm/profiles.d/10-bootdemo.toml";
const BROKEN: &str = "/etc/rustlsm/profiles.d/20-broken.toml";
const LOCAL: &str = "/etc/rustlsm/local/bootdemo.toml";
const PROBE: &str = "/usr/bin/rlsm-probe-boot";
const CACHE: &str = "/var/cache/rustlsm";

fn io_err(what: &str) -> impl FnOnce(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn profiles() -> Result<String, String> {
    fs::read_to_string(format!("{SECFS}/profiles")).map_err(io_err("profiles"))
}

/// The loaded line of `name`: (mode, digest).
fn loaded(name: &str) -> Result<Option<(String, String)>, String> {
    Ok(profiles()?.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.first() == Some(&name)).then(|| (f[1].to_string(), f[2].to_string()))
    }))
}

fn load_all() -> (i32, String) {
    run(LSMCTL, &["load", "--all"])
}

fn at_boot(s: &mut Suite) {
    s.case("boot: init loaded the profile directory", || {
        let log = fs::read_to_string("/tmp/boot-load.log").map_err(io_err("boot-load.log"))?;
        let (mode, digest) = loaded("bootdemo")?.ok_or_else(|| profiles().unwrap_or_default())?;
        check(
            log.contains(&format!(
                "loaded bootdemo from {BOOTDEMO} via lsm_manage_policy(): added (enforce, \
                 digest {digest})"
            )) && mode == "enforce",
            || log,
        )
    });
    s.case(
        "boot: a broken file is reported at its place and the others still load",
        || {
            let log = fs::read_to_string("/tmp/boot-load.log").map_err(io_err("boot-load.log"))?;
            let status = fs::read_to_string("/tmp/boot-load.status").unwrap_or_default();
            check(
                log.contains(&format!("{BROKEN}:6:10: unknown access \"reed\""))
                    && log.contains(&format!("1 of 2 profile file(s) in {DIR} not loaded"))
                    && status.trim() == "1",
                || format!("status {status:?}: {log}"),
            )?;
            check(loaded("broken")?.is_none(), || "broken was loaded".into())
        },
    );
    s.case(
        "boot: the profile confines its program from the first command on",
        || {
            expect_open(PROBE, "/etc/rustlsm/demo.toml", "r", 0)?;
            expect_open(PROBE, "/etc/shadow", "r", libc::EACCES)
        },
    );
}

fn reloading(s: &mut Suite) {
    s.case(
        "load --all again: compiled policies come from the cache, nothing changes",
        || {
            let cached = fs::read_dir(CACHE).map_err(io_err(CACHE))?.count();
            check(cached == 1, || format!("{cached} cache entries"))?;
            let (_, digest) = loaded("bootdemo")?.ok_or("bootdemo not loaded")?;
            let (code, out) = load_all();
            check(
                code == 1
                    && out.contains(&format!(
                        "loaded bootdemo from {BOOTDEMO} via lsm_manage_policy(), compiled \
                         policy from the cache: unchanged (enforce, digest {digest})"
                    )),
                || out,
            )
        },
    );
    s.case(
        "load --all: a new local override is noticed though the profile file is unchanged",
        || {
            fs::create_dir_all("/etc/rustlsm/local").map_err(io_err("local"))?;
            fs::write(
                LOCAL,
                "[[rule]]\nallow = [\"read\"]\npaths = [\"/etc/shadow\"]\n",
            )
            .map_err(io_err(LOCAL))?;
            fs::rename(BROKEN, format!("{BROKEN}.off")).map_err(io_err(BROKEN))?;
            let (_, old) = loaded("bootdemo")?.ok_or("bootdemo not loaded")?;
            let (code, out) = load_all();
            let (_, new) = loaded("bootdemo")?.ok_or("bootdemo not loaded")?;
            check(
                code == 0
                    && out.contains(&format!(
                        "loaded bootdemo from {BOOTDEMO} via lsm_manage_policy(): replaced \
                         (enforce, digest {old} -> {new})"
                    ))
                    && old != new,
                || out,
            )?;
            expect_open(PROBE, "/etc/shadow", "r", 0)?;
            fs::remove_file(LOCAL).map_err(io_err(LOCAL))?;
            let (code, out) = load_all();
            check(code == 0, || out)?;
            expect_open(PROBE, "/etc/shadow", "r", libc::EACCES)
        },
    );
}

fn mode_switches(s: &mut Suite) {
    s.case(
        "lsmctl complain: edits the mode in place, comments kept, and loads it",
        || {
            let before = fs::read_to_string(BOOTDEMO).map_err(io_err(BOOTDEMO))?;
            let (code, out) = run(LSMCTL, &["complain", "bootdemo"]);
            check(
                code == 0
                    && out.contains(&format!("bootdemo: enforce -> complain in {BOOTDEMO}"))
                    && out.contains("replaced (enforce -> complain, digest"),
                || out,
            )?;
            let after = fs::read_to_string(BOOTDEMO).map_err(io_err(BOOTDEMO))?;
            let kept = before
                .lines()
                .filter(|l| l.starts_with('#'))
                .all(|l| after.contains(l));
            check(kept && after.contains("mode = \"complain\""), || {
                after.clone()
            })?;
            check(
                loaded("bootdemo")?.is_some_and(|(m, _)| m == "complain"),
                || profiles().unwrap_or_default(),
            )?;
            let want = "ALLOWED profile=\"bootdemo\" op=open path=\"/etc/shadow\"";
            let seen = kernel_log().matches(want).count();
            expect_open(PROBE, "/etc/shadow", "r", 0)?;
            check(kernel_log().matches(want).count() > seen, || {
                format!("no new line with {want}")
            })
        },
    );
    s.case("lsmctl enforce: back to enforce, and refused again", || {
        let (code, out) = run(LSMCTL, &["enforce", "bootdemo"]);
        check(
            code == 0 && out.contains("bootdemo: complain -> enforce"),
            || out,
        )?;
        let text = fs::read_to_string(BOOTDEMO).map_err(io_err(BOOTDEMO))?;
        check(text.contains("mode = \"enforce\""), || text)?;
        expect_open(PROBE, "/etc/shadow", "r", libc::EACCES)
    });
    s.case(
        "lsmctl complain: an unknown profile, or a file that would not compile, changes nothing",
        || {
            let (code, out) = run(LSMCTL, &["complain", "nosuch"]);
            check(
                code != 0 && out.contains(&format!("no file in {DIR} defines profile \"nosuch\"")),
                || out,
            )?;
            fs::rename(format!("{BROKEN}.off"), BROKEN).map_err(io_err(BROKEN))?;
            let before = fs::read(BROKEN).map_err(io_err(BROKEN))?;
            let (code, out) = run(LSMCTL, &["complain", "broken"]);
            check(
                code != 0 && out.contains(&format!("{BROKEN}:6:10: unknown access")),
                || out,
            )?;
            check(fs::read(BROKEN).map_err(io_err(BROKEN))? == before, || {
                "the broken file was changed".into()
            })?;
            check(loaded("broken")?.is_none(), || "broken was loaded".into())
        },
    );
}

fn show_and_diff(s: &mut Suite) {
    s.case(
        "lsmctl show and diff: the loaded profile, and what an edit would change",
        || {
            let (code, out) = run(LSMCTL, &["show", "bootdemo"]);
            check(
                code == 0
                    && out.starts_with("profile bootdemo (enforce, digest ")
                    && out.contains("(compiles to what is loaded)")
                    && out.contains("include = [\"abstractions/base\"]"),
                || out.clone(),
            )?;
            let edited = "/tmp/bootdemo-edit.toml";
            let text = fs::read_to_string(BOOTDEMO).map_err(io_err(BOOTDEMO))?;
            // `lsmctl enforce` (the case before) left a `mode` line.
            let complain = text.replace("mode = \"enforce\"", "mode = \"complain\"");
            check(complain != text, || text.clone())?;
            fs::write(edited, complain).map_err(io_err(edited))?;
            let (code, out) = run(LSMCTL, &["diff", edited]);
            check(
                code == 0
                    && out.contains("bootdemo: would be replaced")
                    && out.contains("mode: enforce -> complain"),
                || out,
            )
        },
    );
}

fn reading_the_log(s: &mut Suite) {
    s.case(
        "lsmctl log: a profile's refusals in its words, as JSON, and followed as they come",
        || {
            expect_open(PROBE, "/etc/shadow", "r", libc::EACCES)?;
            let want = "bootdemo: denied: rlsm-probe-boot[";
            let (code, out) = run(LSMCTL, &["log", "-p", "bootdemo"]);
            let line = out.lines().rev().find(|l| l.starts_with(want));
            check(
                code == 0 && line.is_some_and(|l| l.ends_with("] open /etc/shadow (r)")),
                || out.clone(),
            )?;
            check(out.lines().all(|l| l.starts_with("bootdemo")), || {
                out.clone()
            })?;
            let (code, out) = run(LSMCTL, &["log", "--json", "-p", "bootdemo"]);
            let objects: Vec<serde_json::Value> = out
                .lines()
                .map(serde_json::from_str)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e}: {out}"))?;
            check(
                code == 0
                    && objects.iter().any(|o| {
                        o["profile"] == "bootdemo"
                            && o["op"] == "open"
                            && o["fields"]["path"] == "/etc/shadow"
                    }),
                || out.clone(),
            )?;
            follow_one()
        },
    );
}

/// `lsmctl log --follow` prints a refusal made after it started.
fn follow_one() -> Outcome {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(LSMCTL)
        .args(["log", "--follow", "-p", "bootdemo"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(io_err("lsmctl log --follow"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // What the log held before: drained, so that the next line is the new one.
    std::thread::sleep(std::time::Duration::from_millis(500));
    while rx.try_recv().is_ok() {}
    expect_open(PROBE, "/root/secret", "r", libc::EACCES)?;
    let got = rx.recv_timeout(std::time::Duration::from_secs(5));
    let _ = child.kill();
    let _ = child.wait();
    let line = got.map_err(|_| "no line within 5 s".to_string())?;
    check(line.ends_with("open /root/secret (r)"), || line)
}

pub(crate) fn run_boot(s: &mut Suite) {
    at_boot(s);
    reloading(s);
    mode_switches(s);
    show_and_diff(s);
    reading_the_log(s);
}
