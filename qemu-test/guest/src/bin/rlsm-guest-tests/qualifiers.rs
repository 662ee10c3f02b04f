//! The `audit` and `quiet` qualifiers of file rules (access.rs, report.rs): an allowed access
//! an `audit` rule names is logged as `AUDIT` every time, kept decisions included; a refusal
//! that a `quiet` deny rule covers leaves no log line, while one for want of an allow rule
//! is still logged.

use crate::harness::{kernel_log, lsmctl, probe_open, run};
use crate::{check, Suite, FREE_PROBE, LSMCTL};
use std::fs;

const QUAL_PROBE: &str = "/usr/bin/rlsm-probe-qual";
const QUAL_PROFILE: &str = r#"
[profile.qual]
attach = ["/usr/bin/rlsm-probe-qual"]

[[profile.qual.rule]]
allow = ["read"]
paths = ["/tmp/qual/**"]

[[profile.qual.rule]]
allow = ["read"]
paths = ["/tmp/qual/watched"]
audit = true

[[profile.qual.rule]]
deny = ["read"]
paths = ["/tmp/qual/noisy-*"]
quiet = true

[[profile.qual.rule]]
deny = ["read"]
paths = ["/tmp/qual/secret"]
"#;

/// Kernel-log lines about `path` that start with `verdict`.
fn lines(verdict: &str, path: &str) -> usize {
    let want = format!("rustlsm: {verdict} profile=\"qual\"");
    let object = format!("path=\"{path}\"");
    kernel_log()
        .lines()
        .filter(|l| l.contains(&want) && l.contains(&object))
        .count()
}

pub(crate) fn run_cases(s: &mut Suite) {
    s.case(
        "qualifiers: load a profile with audit and quiet rules",
        || {
            fs::copy(FREE_PROBE, QUAL_PROBE).map_err(|e| format!("{QUAL_PROBE}: {e}"))?;
            fs::create_dir_all("/tmp/qual").map_err(|e| e.to_string())?;
            for f in ["watched", "plain", "noisy-1", "secret"] {
                fs::write(format!("/tmp/qual/{f}"), "x\n").map_err(|e| e.to_string())?;
            }
            fs::write("/tmp/qual.toml", QUAL_PROFILE).map_err(|e| e.to_string())?;
            lsmctl(&["load", "/tmp/qual.toml"])
        },
    );
    s.case(
        "qualifiers: audit logs each allowed access it names, and nothing else",
        || {
            let before = lines("AUDIT", "/tmp/qual/watched");
            let plain = lines("AUDIT", "/tmp/qual/plain");
            // The same file twice: the second decision may be a kept one, and is logged too.
            let opens = [
                probe_open(QUAL_PROBE, "/tmp/qual/watched", "r"),
                probe_open(QUAL_PROBE, "/tmp/qual/watched", "r"),
                probe_open(QUAL_PROBE, "/tmp/qual/plain", "r"),
            ];
            let after = lines("AUDIT", "/tmp/qual/watched");
            check(opens == [0, 0, 0] && after == before + 2, || {
                format!(
                    "opens {opens:?}, {} AUDIT lines for 2 opens",
                    after - before
                )
            })?;
            check(lines("AUDIT", "/tmp/qual/plain") == plain, || {
                "an access no audit rule names was logged".into()
            })?;
            let (code, out) = run(LSMCTL, &["log", "-p", "qual"]);
            check(
                code == 0 && out.contains("audited") && out.contains("/tmp/qual/watched"),
                || format!("lsmctl log: {code}: {out}"),
            )
        },
    );
    s.case(
        "qualifiers: quiet refuses without a log line; a plain deny and a missing allow are logged",
        || {
            let quiet = lines("DENIED", "/tmp/qual/noisy-1");
            let loud = lines("DENIED", "/tmp/qual/secret");
            let read = probe_open(QUAL_PROBE, "/tmp/qual/noisy-1", "r");
            let secret = probe_open(QUAL_PROBE, "/tmp/qual/secret", "r");
            check(read == libc::EACCES && secret == libc::EACCES, || {
                format!("noisy-1 read {read}, secret read {secret}")
            })?;
            check(lines("DENIED", "/tmp/qual/noisy-1") == quiet, || {
                "a refusal under a quiet deny rule was logged".into()
            })?;
            check(lines("DENIED", "/tmp/qual/secret") == loud + 1, || {
                "a plain deny was not logged".into()
            })?;
            // No rule allows writing it: that refusal is not the quiet rule's, and is logged.
            let write = probe_open(QUAL_PROBE, "/tmp/qual/noisy-1", "w");
            let logged = lines("DENIED", "/tmp/qual/noisy-1");
            check(write == libc::EACCES && logged == quiet + 1, || {
                format!("write {write}, {} lines", logged - quiet)
            })
        },
    );
    s.case("qualifiers: remove the profile", || {
        lsmctl(&["remove", "qual"])
    });
}
