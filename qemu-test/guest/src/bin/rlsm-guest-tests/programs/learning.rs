//! From no profile to an enforced one with no rule written by hand: `lsmctl genprof` runs
//! Debian's cat under a complain profile it writes, learns from the run (`--yes`), and
//! `lsmctl enforce` switches it on. The learned profile must let the program do what it did,
//! with no refusal logged, and still refuse what it never did; `lsmctl logprof --json` then
//! proposes only what is refused, nothing the profile allows already.

use super::{io_err, log_count, logged_since, run_program, write_files, DYN_CAT};
use crate::harness::{lsmctl, run};
use crate::{check, Suite, LSMCTL};
use std::fs;

/// A copy of Debian's cat, for the learned profile to attach to.
const LEARN_CAT: &str = "/usr/bin/rlsm-learn-cat";
const FILE: &str = "/etc/rustlsm/profiles.d/rlsm-learn-cat.toml";
const DATA: &str = "learned, not written\n";

fn refusals() -> usize {
    log_count(&["DENIED profile=\"rlsm-learn-cat\""])
}

pub(super) fn run_cases(s: &mut Suite) {
    s.case(
        "genprof: a glibc program's profile learned from one run, no rule by hand",
        || {
            fs::copy(DYN_CAT, LEARN_CAT).map_err(io_err(LEARN_CAT))?;
            write_files(&[
                ("/srv/learn/a.txt", DATA),
                ("/srv/learn/other.txt", "never read while learning\n"),
                ("/tmp/rlsm-learn.x8Kq2Z/b.txt", DATA),
            ])?;
            let _ = fs::remove_file(FILE);
            let (code, out) = run(
                LSMCTL,
                &[
                    "genprof",
                    "--yes",
                    "--",
                    LEARN_CAT,
                    "/srv/learn/a.txt",
                    "/tmp/rlsm-learn.x8Kq2Z/b.txt",
                ],
            );
            check(code == 0, || out.clone())?;
            let text = fs::read_to_string(FILE).map_err(io_err(FILE))?;
            check(
                text.contains("\"abstractions/base\"")
                    && text.contains("\"/srv/learn/a.txt\"")
                    && text.contains("mode = \"complain\"")
                    && !text.contains("**\""),
                || format!("{out}\n{text}"),
            )
        },
    );
    s.case(
        "genprof: enforced, the program does what it did with no refusal logged",
        || {
            lsmctl(&["enforce", "rlsm-learn-cat"])?;
            let before = refusals();
            for path in ["/srv/learn/a.txt", "/tmp/rlsm-learn.x8Kq2Z/b.txt"] {
                let (code, out, err) = run_program(LEARN_CAT, LEARN_CAT, &[path])?;
                check(code == 0 && out == DATA && err.is_empty(), || {
                    format!("{path}: exit {code}, stdout {out:?}, stderr {err:?}")
                })?;
            }
            let after = refusals();
            check(after == before, || format!("{} refusal(s)", after - before))
        },
    );
    s.case(
        "genprof: the learned profile refuses what the program never did",
        || {
            for path in ["/srv/learn/other.txt", "/etc/passwd", "/root/secret"] {
                let want = format!(
                    "DENIED profile=\"rlsm-learn-cat\" op=open path=\"{path}\" requested=r"
                );
                let before = log_count(&[&want]);
                let (code, out, _) = run_program(LEARN_CAT, LEARN_CAT, &[path])?;
                check(code == 1 && out.is_empty(), || {
                    format!("{path}: exit {code}")
                })?;
                logged_since(before, &[&want])?;
            }
            Ok(())
        },
    );
    s.case(
        "logprof --json: proposes what was refused, nothing the profile allows already",
        || {
            let before = fs::read(FILE).map_err(io_err(FILE))?;
            // Standard output alone: a note about records the rate limit dropped earlier in
            // the suite may come on standard error.
            let got = std::process::Command::new(LSMCTL)
                .args(["logprof", "--json", "-p", "rlsm-learn-cat"])
                .output()
                .map_err(|e| e.to_string())?;
            let out = String::from_utf8_lossy(&got.stdout).into_owned();
            let code = got.status.code().unwrap_or(-1);
            check(code == 0, || out.clone())?;
            let json: serde_json::Value =
                serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))?;
            let text = json.to_string();
            check(
                text.contains("/srv/learn/other.txt")
                    && text.contains("/root/secret")
                    && !text.contains("/srv/learn/a.txt")
                    && !text.contains("abstractions/base"),
                || out.clone(),
            )?;
            check(fs::read(FILE).map_err(io_err(FILE))? == before, || {
                "--json changed the profile file".into()
            })
        },
    );
    s.case("genprof: remove the learned profile", || {
        fs::remove_file(FILE).map_err(io_err(FILE))?;
        lsmctl(&["remove", "rlsm-learn-cat"])
    });
}
