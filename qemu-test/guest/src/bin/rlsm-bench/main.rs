//! rlsm-bench: rustlsm side by side with AppArmor and Landlock, measured inside the test VM.
//!
//! ```text
//! rlsm-bench full       [OPTIONS]   policy load times, then confined costs (needs rustlsm)
//! rlsm-bench unconfined [OPTIONS]   the loops in a task without a profile
//! rlsm-bench icount     [OPTIONS]   open+fstat+close in instructions, unconfined and under
//!                                   rustlsm (a guest under -icount: scripts/bench-icount.sh)
//! rlsm-bench loop fs PATH N | loop net N | loop icount PATH N   one measured child
//! rlsm-bench noop                    start and exit (the program icount's exec figures spawn)
//! rlsm-bench tsc-mhz                 the TSC rate (run on the host, see clock.rs)
//!
//! OPTIONS: --runs N (loop samples), --load-runs N, --fs-iters N, --net-iters N,
//!          --max-rules N (leave out bigger rule counts: for a quick look),
//!          --tsc-mhz F (the host's TSC rate)
//! ```
//!
//! It prints figures only, no pass/fail: emulated machines are noisy, so compare ratios.
//! Every sample goes out on a `BENCH,` line for scripts/bench.sh, which boots the kernel with
//! the right `lsm=` and the AppArmor parser and Landlock sandboxer in an overlay, pools the
//! samples of all boots, and writes the table, the CSV and the chart.

mod child;
mod clock;
mod confined;
mod exec;
mod icount;
mod load;
mod matrix;
mod policy;
mod report;
mod runner;
mod unconfined;
mod workload;

use std::fs;
use std::process::Command;

/// This binary; unconfined, as no policy attaches to this path.
pub const BENCH: &str = "/usr/bin/rlsm-bench";
pub const LSMCTL: &str = "/usr/bin/lsmctl";
/// Debian's parser, from the bench overlay (scripts/bench.sh).
pub const APPARMOR_PARSER: &str = "/sbin/apparmor_parser";
/// The kernel's samples/landlock/sandboxer, static, from the bench overlay.
pub const SANDBOXER: &str = "/usr/bin/landlock-sandboxer";
pub const SECFS: &str = "/sys/kernel/security";

/// Policy sizes for the load section; the confined section uses the smallest and largest.
const RULE_COUNTS: [usize; 4] = [10, 100, 1_000, 10_000];

pub struct Options {
    pub runs: usize,
    pub load_runs: usize,
    pub fs_iters: u32,
    pub net_iters: u32,
    pub max_rules: usize,
    pub tsc_mhz: Option<f64>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        runs: 7,
        load_runs: 7,
        fs_iters: 20_000,
        net_iters: 5_000,
        max_rules: usize::MAX,
        tsc_mhz: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--tsc-mhz" {
            let mhz = it.next().and_then(|v| v.parse::<f64>().ok());
            o.tsc_mhz = Some(
                mhz.filter(|&m| m > 0.0)
                    .ok_or("--tsc-mhz needs a rate in MHz")?,
            );
            continue;
        }
        let value = it
            .next()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&v| v > 0)
            .ok_or_else(|| format!("{flag} needs a positive number"))?;
        let iters = || u32::try_from(value).map_err(|_| format!("{flag}: too large"));
        match flag.as_str() {
            "--runs" => o.runs = value,
            "--load-runs" => o.load_runs = value,
            "--fs-iters" => o.fs_iters = iters()?,
            "--net-iters" => o.net_iters = iters()?,
            "--max-rules" => o.max_rules = value,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(o)
}

/// The files the loops open, one per depth.
fn make_tree() -> std::io::Result<()> {
    for d in policy::DEPTHS {
        let file = policy::path_at(d);
        if let Some(dir) = std::path::Path::new(&file).parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&file, b"bench\n")?;
    }
    Ok(())
}

/// Keeps this process and its children on CPU 0: a loop then never migrates mid-measurement
/// and never compares two CPUs' time stamp counters.
fn pin_to_cpu0() -> std::io::Result<()> {
    // SAFETY: `set` is a valid, zeroed cpu_set_t that CPU_SET fills in.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn header(opts: &Options) {
    let read = |p: &str| fs::read_to_string(p).unwrap_or_else(|_| "unknown".into());
    report::info("kernel", &read("/proc/sys/kernel/osrelease"));
    report::info("lsm", &read(&format!("{SECFS}/lsm")));
    // The guest's own measurement, for comparison with the rate in use.
    let here = clock::measure_rate(std::time::Duration::from_secs(2)) * 1e3;
    let source = if opts.tsc_mhz.is_some_and(clock::set_rate_mhz) {
        "measured by the host"
    } else {
        "measured here"
    };
    report::info("tsc_mhz", &format!("{:.3}", clock::rate() * 1e3));
    report::info("tsc_source", source);
    report::info("guest_clock_mhz", &format!("{here:.1}"));
    report::info(
        "clock_resolution_ns",
        &clock::monotonic_resolution_ns().to_string(),
    );
    report::info("runs", &opts.runs.to_string());
    report::info("load_runs", &opts.load_runs.to_string());
    report::info("fs_iters", &opts.fs_iters.to_string());
    report::info("net_iters", &opts.net_iters.to_string());
    let parser = Command::new(APPARMOR_PARSER)
        .arg("--version")
        .output()
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.lines().next().unwrap_or("").to_string()
        })
        .unwrap_or_else(|e| format!("not runnable: {e}"));
    report::info("apparmor_parser", &parser);
    // SAFETY: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) only returns
    // the ABI version.
    let landlock_abi =
        unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, 0usize, 0usize, 1u32) };
    report::info("landlock_abi", &landlock_abi.to_string());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first() else {
        eprintln!("usage: rlsm-bench full|unconfined|icount [OPTIONS] (see the source's header)");
        std::process::exit(2);
    };
    if mode == "noop" {
        // What the exec figures of `icount` spawn: a program that only starts and exits.
        return;
    }
    if mode == "loop" {
        std::process::exit(child::child_main(&args[1..]));
    }
    if mode == "tsc-mhz" {
        println!(
            "{:.3}",
            clock::measure_rate(std::time::Duration::from_secs(1)) * 1e3
        );
        return;
    }
    let opts = parse_options(&args[1..]).unwrap_or_else(|e| {
        eprintln!("rlsm-bench: {e}");
        std::process::exit(2);
    });
    if let Err(e) = pin_to_cpu0() {
        eprintln!("rlsm-bench: cannot pin to CPU 0: {e}");
        std::process::exit(1);
    }
    if let Err(e) = make_tree() {
        eprintln!("rlsm-bench: cannot create the bench tree: {e}");
        std::process::exit(1);
    }
    if mode == "icount" {
        report::info(
            "kernel",
            &fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default(),
        );
        if let Err(e) = icount::section(&opts) {
            eprintln!("rlsm-bench icount: {e}");
            std::process::exit(1);
        }
        return;
    }
    header(&opts);
    let counts: Vec<usize> = RULE_COUNTS
        .into_iter()
        .filter(|&n| n <= opts.max_rules)
        .collect();
    if counts.is_empty() {
        eprintln!(
            "rlsm-bench: --max-rules is below the smallest rule count, {}",
            RULE_COUNTS[0]
        );
        std::process::exit(2);
    }
    match mode.as_str() {
        "full" => {
            if !unconfined::rustlsm_active() {
                eprintln!("rlsm-bench full: rustlsm is not active (see lsm=)");
                std::process::exit(1);
            }
            load::section(&counts, opts.load_runs);
            // Confined tasks are measured with the idle profiles loaded too, as unconfined
            // tasks are in the with-rustlsm boots.
            if let Err(e) = unconfined::load_idle_profiles() {
                eprintln!("rlsm-bench: cannot load the idle profiles: {e}");
                std::process::exit(1);
            }
            let extremes = [counts[0], counts[counts.len() - 1]];
            let confined_counts = if extremes[0] == extremes[1] {
                &extremes[..1]
            } else {
                &extremes[..]
            };
            confined::section(confined_counts, &opts);
        }
        "unconfined" => unconfined::section(&opts),
        _ => {
            eprintln!("rlsm-bench: unknown mode {mode}");
            std::process::exit(2);
        }
    }
}
