//! How results leave the guest: one human line and one machine line per measurement.
//!
//! The machine line carries every sample rather than a summary, so the host can pool the
//! samples of several boots before it takes medians (scripts/bench-report.py reads them).

/// A measurement: which section and case it belongs to, its parameter (rule count or
/// workload), the unit and one sample per run.
pub struct Row<'a> {
    pub section: &'a str,
    pub case: &'a str,
    pub param: &'a str,
    pub unit: &'a str,
}

/// Median, minimum and maximum of `samples` (which must not be empty).
pub fn summary(samples: &[f64]) -> (f64, f64, f64) {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    };
    (median, v[0], v[v.len() - 1])
}

/// Prints `samples` for `row`.
pub fn emit(row: &Row, samples: &[f64]) {
    let (median, lo, hi) = summary(samples);
    println!(
        "  {:<38} {:<26} {:>12.1} {:<2} [{:.1}..{:.1}] n={}",
        row.case,
        row.param,
        median,
        row.unit,
        lo,
        hi,
        samples.len()
    );
    let values: Vec<String> = samples.iter().map(|s| format!("{s:.3}")).collect();
    // The count lets the host drop a line that a kernel message broke on the shared console.
    println!(
        "BENCH,{},{},{},{},{},{}",
        row.section,
        row.case,
        row.param,
        row.unit,
        values.len(),
        values.join(";")
    );
}

/// Reports that `row` could not be measured, and why; the host shows the reason in the table.
pub fn fail(row: &Row, why: &str) {
    let why = why.replace([',', '\n', '\r'], " ");
    println!("  {:<38} {:<26} FAILED: {why}", row.case, row.param);
    println!(
        "BENCH-FAIL,{},{},{},{},{why}",
        row.section, row.case, row.param, row.unit
    );
}

/// Facts about the boot the host prints with the figures.
pub fn info(key: &str, value: &str) {
    println!(
        "BENCH-INFO,{key},{}",
        value.trim().replace([',', '\n'], " ")
    );
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(summary(&[3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
        assert_eq!(summary(&[4.0, 1.0, 2.0, 3.0]), (2.5, 1.0, 4.0));
    }
}
