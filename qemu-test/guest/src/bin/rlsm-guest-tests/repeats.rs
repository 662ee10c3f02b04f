//! Complain-mode records logged once (repeats.rs): a learning run's repeats of one access
//! leave one line, the count of what was not repeated is logged when the window turns, and
//! a reloaded profile logs afresh.

use crate::harness::{kernel_log, lsmctl, probe_open};
use crate::{check, Suite, FREE_PROBE};
use std::fs;
use std::time::Duration;

const REP_PROBE: &str = "/usr/bin/rlsm-probe-rep";
const REP_PROFILE: &str = r#"
[profile.rep]
mode = "complain"
attach = ["/usr/bin/rlsm-probe-rep"]
"#;

/// Complain-mode lines of profile rep about `path`.
fn allowed(path: &str) -> usize {
    let object = format!("path=\"{path}\"");
    kernel_log()
        .lines()
        .filter(|l| l.contains("ALLOWED profile=\"rep\" op=open") && l.contains(&object))
        .count()
}

/// The repeats counted in the kernel log so far.
fn counted() -> u32 {
    kernel_log()
        .lines()
        .filter_map(|l| l.split("rustlsm: ").nth(1))
        .filter_map(|l| l.strip_suffix(" repeated complain-mode records not logged again"))
        .filter_map(|n| n.trim().parse::<u32>().ok())
        .sum()
}

pub(crate) fn run_cases(s: &mut Suite) {
    s.case(
        "complain mode: a repeated record is logged once, and the repeats are counted",
        || {
            fs::copy(FREE_PROBE, REP_PROBE).map_err(|e| format!("{REP_PROBE}: {e}"))?;
            fs::create_dir_all("/tmp/rep").map_err(|e| e.to_string())?;
            for f in ["x", "y"] {
                fs::write(format!("/tmp/rep/{f}"), "x\n").map_err(|e| e.to_string())?;
            }
            fs::write("/tmp/rep.toml", REP_PROFILE).map_err(|e| e.to_string())?;
            lsmctl(&["load", "/tmp/rep.toml"])?;
            let before = counted();
            let opens: Vec<i32> = (0..4)
                .map(|_| probe_open(REP_PROBE, "/tmp/rep/x", "r"))
                .collect();
            check(opens == [0; 4] && allowed("/tmp/rep/x") == 1, || {
                format!("opens {opens:?}: {} lines", allowed("/tmp/rep/x"))
            })?;
            // The count is logged once the window has turned, with the next record.
            std::thread::sleep(Duration::from_millis(5200));
            probe_open(REP_PROBE, "/tmp/rep/y", "r");
            let repeats = counted() - before;
            check(repeats >= 3 && allowed("/tmp/rep/y") == 1, || {
                format!("{repeats} repeats counted")
            })
        },
    );
    s.case(
        "complain mode: a reloaded profile logs its records afresh",
        || {
            let changed = format!("{REP_PROFILE}capabilities = [\"chown\"]\n");
            fs::write("/tmp/rep.toml", changed).map_err(|e| e.to_string())?;
            lsmctl(&["load", "/tmp/rep.toml"])?;
            probe_open(REP_PROBE, "/tmp/rep/x", "r");
            let lines = allowed("/tmp/rep/x");
            lsmctl(&["remove", "rep"])?;
            check(lines == 2, || {
                format!("{lines} lines for the reloaded profile")
            })
        },
    );
}
