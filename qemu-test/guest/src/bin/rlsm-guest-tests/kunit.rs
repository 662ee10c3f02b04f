//! KUnit: the kernel's own tests of the policy verifier and matchers (security-rustlsm's
//! kunit.rs) ran at boot, and every one of them passed.

use crate::harness::kernel_log;
use crate::{check, Suite};

/// The cases of the rustlsm_wire KUnit suite (security-rustlsm's kunit.rs).
const KUNIT_CASES: u32 = 10;

pub(crate) fn run(s: &mut Suite) {
    s.case("KUnit: the rustlsm_wire suite passed at boot", || {
        // KTAP: "# rustlsm_wire: pass:N fail:0 skip:0 total:N", then "ok K rustlsm_wire".
        let log = kernel_log();
        let totals = log
            .lines()
            .find(|l| l.contains("# rustlsm_wire: pass:"))
            .ok_or("no KUnit totals for rustlsm_wire in the kernel log")?;
        let summary = totals
            .split("# ")
            .last()
            .unwrap_or(totals)
            .trim()
            .to_string();
        println!("# KUnit {summary}");
        let passed = log.lines().any(|l| {
            l.trim_end().ends_with(" rustlsm_wire") && l.contains("ok ") && !l.contains("not ok")
        });
        let count = |key: &str| {
            summary
                .split_whitespace()
                .find_map(|f| f.strip_prefix(key)?.strip_prefix(':')?.parse::<u32>().ok())
        };
        // Every case ran and passed: a skipped or dropped one is a failure too.
        let k = Some(KUNIT_CASES);
        check(
            passed
                && count("pass") == k
                && count("total") == k
                && count("fail") == Some(0)
                && count("skip") == Some(0),
            || format!("{summary} (expected pass:{KUNIT_CASES} total:{KUNIT_CASES})"),
        )
    });
}
