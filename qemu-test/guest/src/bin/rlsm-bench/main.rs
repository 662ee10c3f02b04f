//! rlsm-bench: open() cost for an unconfined task and under rustlsm profiles of 10 and 10,000
//! rules, and the time to load those profiles, measured inside the test VM.
//!
//! It prints figures only: speed has no pass/fail threshold (emulated machines are noisy, so
//! compare the ratios, not the absolute times). `make bench` runs it.

use std::fs;
use std::process::Command;
use std::time::Instant;

const LSMCTL: &str = "/usr/bin/lsmctl";
const RUNS: usize = 5;
const OPENS: u32 = 20_000;

/// The bench binary under three names: one unconfined, one per profile.
const FREE: &str = "/usr/bin/rlsm-bench";
const SMALL: &str = "/usr/bin/rlsm-bench-10";
const LARGE: &str = "/usr/bin/rlsm-bench-10k";

fn profile(name: &str, attach: &str, rules: usize) -> String {
    let mut t = format!("[profile.{name}]\nattach = [\"{attach}\"]\n\n");
    t += "[[profile.";
    t += name;
    t += ".rule]]\nallow = [\"read\"]\npaths = [\"/tmp/bench/**\"]\n\n";
    // Filler rules that share prefixes with the real path, so the automaton is not trivial.
    let filler: Vec<String> = (1..rules)
        .map(|i| format!("\"/tmp/benc{}/d{}/file-{i}\"", i % 7, i % 97))
        .collect();
    if !filler.is_empty() {
        t += &format!(
            "[[profile.{name}.rule]]\nallow = [\"read\", \"write\"]\npaths = [{}]\n",
            filler.join(", ")
        );
    }
    t
}

/// Opens `path` `n` times; returns nanoseconds per open+close.
fn open_loop(path: &str, n: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        drop(fs::File::open(path).expect("open"));
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

/// Median and (min, max) of `v`.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// Runs `prog loop PATH` `RUNS` times, each in a fresh process (so under its profile).
fn measure(prog: &str, path: &str) -> (f64, f64, f64) {
    let runs = (0..RUNS)
        .map(|_| {
            let out = Command::new(prog)
                .args(["loop", path, &OPENS.to_string()])
                .output()
                .expect("run bench child");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .unwrap_or(f64::NAN)
        })
        .collect();
    stats(runs)
}

fn timed_load(file: &str) -> (f64, f64, f64) {
    let runs = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let ok = Command::new(LSMCTL)
                .args(["load", file])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            assert!(ok, "lsmctl load {file} failed");
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    stats(runs)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("loop") {
        let n = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(OPENS);
        println!("{:.1}", open_loop(&args[2], n));
        return;
    }
    let depth8 = "/tmp/bench/a/b/c/d/e/f/file";
    fs::create_dir_all("/tmp/bench/a/b/c/d/e/f").expect("mkdir");
    fs::write(depth8, b"x").expect("write");
    fs::write("/tmp/bench-10.toml", profile("bench10", SMALL, 10)).expect("write profile");
    fs::write("/tmp/bench-10k.toml", profile("bench10k", LARGE, 10_000)).expect("write profile");

    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .or_else(|_| fs::read_to_string("/proc/version"))
        .unwrap_or_default();
    println!("rustlsm bench: kernel {}", kernel.trim());
    println!("runs: {RUNS} (median [min..max]), opens per run: {OPENS}");

    let load10 = timed_load("/tmp/bench-10.toml");
    let load10k = timed_load("/tmp/bench-10k.toml");
    let blob = Command::new(LSMCTL)
        .args(["compile", "/tmp/bench-10k.toml", "-o", "/tmp/bench-10k.bin"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("10,000-rule profile: {blob}");
    println!();
    println!("{:<44} {:>10} {:>22}", "measure", "median", "spread");
    let row = |what: &str, (m, lo, hi): (f64, f64, f64), unit: &str| {
        println!("{what:<44} {m:>8.1}{unit} [{lo:.1}..{hi:.1}]");
    };
    row("lsmctl load, 10 rules (end to end)", load10, "ms");
    row("lsmctl load, 10,000 rules (end to end)", load10k, "ms");
    let free = measure(FREE, depth8);
    let small = measure(SMALL, depth8);
    let large = measure(LARGE, depth8);
    row("open+close, unconfined", free, "ns");
    row("open+close, 10-rule profile, depth 8", small, "ns");
    row("open+close, 10,000-rule profile, depth 8", large, "ns");
    println!();
    println!(
        "ratio 10,000-rule / 10-rule open cost: {:.2} (rule count must not matter: ~1.0)",
        large.0 / small.0
    );
    println!(
        "ratio 10-rule / unconfined open cost: {:.2}",
        small.0 / free.0
    );
}
