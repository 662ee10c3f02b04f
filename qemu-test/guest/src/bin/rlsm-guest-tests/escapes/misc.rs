//! M1 (kill mode and NOAUDIT capability probes), L8 (quoting in the kernel log) and L6 (an
//! unconfined exec through a path longer than PATH_MAX while profiles are loaded).

use super::{expect, fixture, load, new_denials, remove};
use crate::{check, Outcome, Suite};
use std::ffi::CString;
use std::os::unix::process::{CommandExt, ExitStatusExt};

const KILL: &str = "/usr/bin/rlsm-probe-esc-kill";
const QUOTE: &str = "/usr/bin/rlsm-probe-esc-quote";
/// A name that would forge a `profile=` field if the log printed it raw.
const FORGED: &str = "/tmp/esc/q\" profile=\"x";

const PROFILES: &str = r#"
[profile.esc-kill]
mode = "kill"
attach = ["/usr/bin/rlsm-probe-esc-kill"]

[[profile.esc-kill.rule]]
allow = ["read"]
paths = ["/proc/**"]

[profile.esc-quote]
attach = ["/usr/bin/rlsm-probe-esc-quote"]
"#;

/// How `probe ARGS` ended: its exit code, or 128 + the signal that killed it.
fn status(probe: &str, args: &[&str]) -> Result<i32, String> {
    let st = super::command(probe)
        .args(args)
        .output()
        .map_err(|e| format!("{probe}: {e}"))?
        .status;
    Ok(st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0)))
}

/// Makes DIR/NAME/NAME/... (`depth` levels) with a copy of the probe at the bottom, through
/// descriptors since the whole path is longer than PATH_MAX; returns the components.
fn deep_copy(depth: usize) -> Result<Vec<CString>, String> {
    let name = CString::new("d".repeat(200)).map_err(|e| e.to_string())?;
    let probe = std::fs::read(crate::FREE_PROBE).map_err(|e| e.to_string())?;
    fixture(&["/tmp/esc/long"], &[])?;
    // SAFETY: mkdirat/openat/write on valid C strings and descriptors we own.
    unsafe {
        let mut dir = libc::open(
            c"/tmp/esc/long".as_ptr(),
            libc::O_DIRECTORY | libc::O_CLOEXEC,
        );
        for _ in 0..depth {
            libc::mkdirat(dir, name.as_ptr(), 0o755);
            let next = libc::openat(dir, name.as_ptr(), libc::O_DIRECTORY | libc::O_CLOEXEC);
            libc::close(dir);
            if next < 0 {
                return Err(format!("openat: {}", std::io::Error::last_os_error()));
            }
            dir = next;
        }
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC;
        let f = libc::openat(dir, c"rlsm-probe-long".as_ptr(), flags, 0o755);
        libc::close(dir);
        if f < 0 {
            return Err(format!("openat: {}", std::io::Error::last_os_error()));
        }
        let n = libc::write(f, probe.as_ptr().cast(), probe.len());
        libc::close(f);
        if n != probe.len() as isize {
            return Err("short write".into());
        }
    }
    Ok(vec![name; depth])
}

/// The runner's children run `./rlsm-probe-long whoami` from the bottom of the tree.
fn long_exec(parts: Vec<CString>) -> Result<(i32, String), String> {
    let mut cmd = super::command("./rlsm-probe-long");
    cmd.arg("whoami");
    // SAFETY: chdir is async-signal-safe; `parts` moves into the closure.
    unsafe {
        cmd.pre_exec(move || {
            if libc::chdir(c"/tmp/esc/long".as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            for p in &parts {
                if libc::chdir(p.as_ptr()) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let o = cmd.output().map_err(|e| format!("exec: {e}"))?;
    Ok((
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    ))
}

pub(super) fn run(s: &mut Suite) {
    s.case("misc: load the kill-mode and quoting profiles", || {
        fixture(&["/tmp/esc"], &[(FORGED, "x")])?;
        load("esc-misc", PROFILES)
    });
    // The sysctl's open asks for CAP_NET_ADMIN as a NOAUDIT probe (only to pick which mode
    // bits apply); the file's 0644 lets root read it anyway. A probe is not a refusal.
    s.case(
        "kill mode: a NOAUDIT capability probe neither kills nor logs",
        || {
            let mut got = 0;
            let lines = new_denials("esc-kill", || -> Outcome {
                got = status(KILL, &["open", "/proc/sys/net/core/somaxconn", "r"])?;
                Ok(())
            })?;
            check(got == 0, || {
                format!("the probe ended with {got} (137: killed)")
            })?;
            check(lines.is_empty(), || format!("logged {lines:?}"))
        },
    );
    s.case(
        "kill mode: a real refusal still kills and logs KILLED",
        || {
            let mut got = 0;
            let lines = new_denials("esc-kill", || -> Outcome {
                got = status(KILL, &["open", "/etc/passwd", "r"])?;
                Ok(())
            })?;
            check(got == 128 + libc::SIGKILL, || {
                format!("the probe ended with {got}")
            })?;
            // `KILLED [sandbox=ID ]profile=...`: the same line from a sandbox's layer.
            let want = "profile=\"esc-kill\" op=open path=\"/etc/passwd\"";
            check(
                lines
                    .iter()
                    .any(|l| l.contains("KILLED ") && l.contains(want)),
                || format!("no KILLED line: {lines:?}"),
            )
        },
    );
    s.case("log: a quote in a path cannot forge a field", || {
        let lines = new_denials("esc-quote", || {
            expect(QUOTE, &["open", FORGED, "r"], libc::EACCES).map(drop)
        })?;
        let line = lines
            .iter()
            .find(|l| l.contains(" op=open "))
            .ok_or_else(|| format!("no open line: {lines:?}"))?;
        // Only the real field may read `profile="`; the forged one must come out escaped.
        check(line.matches("profile=\"").count() == 1, || line.clone())
    });
    // About loaded profiles and an unconfined task: nothing to repeat in a sandbox.
    if super::sandboxing::on() {
        return remove(&["esc-kill", "esc-quote"]).unwrap_or(());
    }
    s.case(
        "long path: an unconfined exec beyond PATH_MAX while profiles are loaded",
        || {
            let parts = deep_copy(25)?;
            let loaded = std::fs::read_to_string(format!("{}/profiles", crate::SECFS))
                .map_err(|e| e.to_string())?;
            check(!loaded.is_empty(), || "no profile is loaded".into())?;
            let (code, out) = long_exec(parts)?;
            check(code == 0 && out.trim() == "(no rustlsm context)", || {
                format!("{code}: {out:?}")
            })
        },
    );
    s.case("misc: remove the kill-mode and quoting profiles", || {
        remove(&["esc-kill", "esc-quote"])
    });
}
