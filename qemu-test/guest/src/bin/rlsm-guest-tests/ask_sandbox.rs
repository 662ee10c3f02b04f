//! `lsmctl run --ask`: an unprivileged user's sandbox in ask mode, whose layer listener
//! (`FLAG_LISTENER`) lsmctl reads from outside the sandbox, answering from a file of answers
//! here (the terminal otherwise). Covered: each answer, a session answer that spares the
//! next requests, a refusal where a task may not wait whose retry the answer lets through,
//! the end of the answers, and a layer's listener being of no use inside the layer.

use crate::harness::{compiled, output};
use crate::{check, Outcome, Suite, FREE_PROBE, LSMCTL};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

pub(crate) const CASES: u32 = 6;

const DIR: &str = "/tmp/ask-run";
/// The user the sandboxed commands run as.
const USER: u32 = 1000;

/// `lsmctl run --ask` as the user, answering with `answers` (`KEY PATH` lines), for the
/// probe with `args`: (exit status, stderr and stdout).
pub(crate) fn run_asking(answers: &str, args: &[&str]) -> Result<(i32, String), String> {
    let file = format!("{DIR}/answers");
    fs::write(&file, answers).map_err(|e| e.to_string())?;
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(LSMCTL);
    cmd.args([
        "run",
        "--ask",
        "--answers",
        &file,
        "--rox",
        FREE_PROBE,
        "--",
    ])
    .arg(FREE_PROBE)
    .args(args)
    .uid(USER)
    .gid(USER)
    .stdin(Stdio::piped());
    Ok(output(&mut cmd))
}

pub(crate) fn expect(what: &str, got: (i32, String), code: i32, texts: &[&str]) -> Outcome {
    let (status, out) = got;
    check(
        status == code && texts.iter().all(|t| out.contains(t)),
        || format!("{what}: exit {status} (expected {code}), output: {out}"),
    )
}

pub(crate) fn run(s: &mut Suite) {
    s.case("run --ask: set up files the sandbox does not allow", || {
        fs::create_dir_all(DIR).map_err(|e| e.to_string())?;
        fs::set_permissions(DIR, fs::Permissions::from_mode(0o777)).map_err(|e| e.to_string())?;
        for name in ["a", "b"] {
            let path = format!("{DIR}/{name}");
            fs::write(&path, "x\n").map_err(|e| e.to_string())?;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644))
                .map_err(|e| e.to_string())?;
        }
        let _ = fs::remove_dir(format!("{DIR}/made"));
        Ok(())
    });

    s.case(
        "run --ask: the command goes on after y, fails after n",
        || {
            let path = format!("{DIR}/a");
            let asked = format!("asks to open {path} for read");
            let allowed = run_asking(&format!("y {path}\n"), &["open", &path, "r"])?;
            expect("y", allowed, 0, &[&asked, "allowed once"])?;
            let denied = run_asking(&format!("n {path}\n"), &["open", &path, "r"])?;
            expect("n", denied, libc::EACCES, &[&asked, "denied once"])
        },
    );

    s.case(
        "run --ask: a session answer spares the next requests",
        || {
            let path = format!("{DIR}/b");
            let (code, out) = run_asking(&format!("s {path}\n"), &["open-many", &path, "3"])?;
            let asked = out.matches("asks to open").count();
            check(code == 0 && asked == 1, || {
                format!("exit {code}, {asked} requests: {out}")
            })
        },
    );

    s.case(
        "run --ask: where the command may not wait it is refused, and its retry allowed",
        || {
            let path = format!("{DIR}/made");
            let got = run_asking(&format!("s {path}\n"), &["mkdir-retry", &path])?;
            expect(
                "mkdir",
                got,
                0,
                &["asks to mkdir", "allowed until the command ends"],
            )?;
            check(fs::metadata(&path).is_ok_and(|m| m.is_dir()), || {
                format!("{path} was not made")
            })
        },
    );

    s.case(
        "run --ask: an answer holds for the path it names, nothing else",
        || {
            // The command cannot steer an answer meant for one file to another by the order of
            // its requests.
            let path = format!("{DIR}/a");
            let got = run_asking(&format!("y {DIR}/b\n"), &["open", &path, "r"])?;
            expect(
                "another file's answer",
                got,
                libc::EACCES,
                &["no answer for it"],
            )?;
            let got = run_asking("", &["open", &path, "r"])?;
            expect(
                "no answers",
                got,
                libc::EACCES,
                &["no answer for it", "marked ["],
            )
        },
    );

    s.case(
        "run --ask: a layer's listener is of no use inside the layer",
        || {
            let blob = compiled(
                "[profile.inside]\nmode = \"ask\"\n[[profile.inside.rule]]\nallow = [\"read\"]\n\
             paths = [\"/usr/**\"]\n",
                "ask-inside",
            )?;
            let file = "/tmp/ask-inside.bin";
            fs::write(file, blob).map_err(|e| e.to_string())?;
            let (code, out) = output(
                Command::new(FREE_PROBE)
                    .args(["restrict-listener", file])
                    .stdin(Stdio::piped()),
            );
            check(code == libc::EPERM, || {
                format!("using the listener inside: exit {code}: {out}")
            })
        },
    );
}
