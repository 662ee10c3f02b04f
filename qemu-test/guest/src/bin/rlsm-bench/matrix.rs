//! Sampling every (case, workload) pair with the runs interleaved: run 1 of every pair, then
//! run 2, and so on. On a shared machine whose load drifts, the drift then spreads over all
//! cases alike instead of landing on whichever was measured last.

use crate::child::{sample, Start, Workload};
use crate::report::{self, Row};

/// One way of running the loops.
pub struct Case {
    pub name: String,
    pub start: Start,
    pub confined: bool,
}

/// Samples `cases` x `workloads` `runs` times (after a warm-up round) and reports them under
/// `section`. A pair that fails once is reported as failed and not run again.
pub fn measure(section: &str, cases: &[Case], workloads: &[Workload], runs: usize) {
    let mut results: Vec<Vec<Result<Vec<f64>, String>>> = cases
        .iter()
        .map(|_| workloads.iter().map(|_| Ok(Vec::new())).collect())
        .collect();
    // One untimed round first: the first runs after boot are slower while the guest settles
    // and QEMU translates the code paths for the first time.
    for round in 0..=runs {
        for (case, per_case) in cases.iter().zip(results.iter_mut()) {
            for (workload, slot) in workloads.iter().zip(per_case.iter_mut()) {
                if let Ok(samples) = slot {
                    match sample(&case.start, workload, case.confined) {
                        Ok(ns) if round > 0 => samples.push(ns),
                        Ok(_) => {}
                        Err(e) => *slot = Err(e),
                    }
                }
            }
        }
    }
    // Denials of the children's probes reach the console late (kauditd); let them pass before
    // the result lines, which they could otherwise break.
    std::thread::sleep(std::time::Duration::from_secs(1));
    for (case, per_case) in cases.iter().zip(&results) {
        for (workload, result) in workloads.iter().zip(per_case) {
            let row = Row {
                section,
                case: &case.name,
                param: &workload.label,
                unit: "ns",
            };
            match result {
                Ok(samples) => report::emit(&row, samples),
                Err(e) => report::fail(&row, e),
            }
        }
    }
}
