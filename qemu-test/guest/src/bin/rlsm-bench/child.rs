//! Loop children: what the parent runs to take one sample, and the child's side of it.
//!
//! A child first tries to read a file no profile grants (/etc/group) and reports whether it
//! was refused, so the parent can tell that a profile or domain really applied (and that an
//! unconfined child really is unconfined) before trusting its figure.

use crate::clock;
use crate::policy;
use crate::runner::run;
use crate::workload;
use std::process::Command;

/// A file outside every bench policy (the icount policy grants /etc/passwd).
const OUTSIDE: &str = "/etc/group";

/// One measured loop, as its parameter label and the child's arguments.
pub struct Workload {
    pub label: String,
    args: Vec<String>,
}

/// The workloads at each path depth, then the connect loop.
pub fn workloads(fs_iters: u32, net_iters: u32) -> Vec<Workload> {
    let mut w: Vec<Workload> = policy::DEPTHS
        .iter()
        .map(|&d| Workload {
            label: format!("open+stat+close depth {d}"),
            args: vec![
                "loop".into(),
                "fs".into(),
                policy::path_at(d),
                fs_iters.to_string(),
            ],
        })
        .collect();
    w.push(Workload {
        label: "socket+connect (refused)".into(),
        args: vec!["loop".into(), "net".into(), net_iters.to_string()],
    });
    w
}

/// The icount loops (`rlsm-bench icount`): open+fstat+close at each of
/// [`policy::icount_paths`], timed in CLOCK_MONOTONIC nanoseconds.
pub fn icount_workloads(fs_iters: u32) -> Vec<Workload> {
    policy::icount_paths()
        .into_iter()
        .map(|(d, path)| Workload {
            label: format!("depth {d}"),
            args: vec!["loop".into(), "icount".into(), path, fs_iters.to_string()],
        })
        .collect()
}

/// How a child is started: a binary run directly (confined or not by its path), or the bench
/// binary inside a Landlock domain that the sandboxer sets up.
pub enum Start {
    Direct(String),
    Landlock { sandboxer: String, bench: String },
}

/// Runs one child of `workload` and returns its nanoseconds per iteration, after checking
/// that it was confined exactly when `confined` says so.
pub fn sample(start: &Start, workload: &Workload, confined: bool) -> Result<f64, String> {
    sample_raw(start, workload, confined).map(clock::ns)
}

/// Like [`sample`], but the child's figure as it printed it (TSC ticks, or nanoseconds for
/// the icount loops).
pub fn sample_raw(start: &Start, workload: &Workload, confined: bool) -> Result<f64, String> {
    let mut cmd = match start {
        Start::Direct(bin) => Command::new(bin),
        Start::Landlock { sandboxer, bench } => {
            let mut c = Command::new(sandboxer);
            c.envs(policy::landlock_env(bench)).arg(bench);
            c
        }
    };
    let out = run(cmd.args(&workload.args))?;
    let mut fields = out.split_whitespace();
    let value = fields
        .next()
        .and_then(|f| f.parse::<f64>().ok())
        .ok_or_else(|| format!("unexpected child output {out:?}"))?;
    match (fields.next(), confined) {
        (Some("refused"), true) | (Some("allowed"), false) => Ok(value),
        (Some(seen), _) => Err(format!(
            "reading {OUTSIDE} was {seen}: the child was {}confined",
            if confined { "not " } else { "" }
        )),
        (None, _) => Err(format!("unexpected child output {out:?}")),
    }
}

/// The child's side: `loop fs PATH N`, `loop net N` or `loop icount PATH N`. Prints "<TSC
/// ticks per iteration> <refused|allowed>" (the parent converts ticks, having calibrated
/// once; icount loops print nanoseconds) and returns the exit status.
pub fn child_main(args: &[String]) -> i32 {
    let probe = match std::fs::File::open(OUTSIDE) {
        Ok(_) => "allowed",
        Err(e) if e.raw_os_error() == Some(libc::EACCES) => "refused",
        Err(e) => {
            eprintln!("{OUTSIDE}: {e}");
            return 1;
        }
    };
    let iterations = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| std::io::Error::other("bad iteration count"))
    };
    let result = match args {
        [kind, path, n] if kind == "fs" => {
            iterations(n).and_then(|n| workload::open_stat_close(path, n))
        }
        [kind, n] if kind == "net" => iterations(n).and_then(workload::socket_connect),
        [kind, path, n] if kind == "icount" => {
            iterations(n).and_then(|n| workload::open_fstat_close(path, n))
        }
        _ => Err(std::io::Error::other(
            "usage: rlsm-bench loop fs PATH N | loop net N | loop icount PATH N",
        )),
    };
    match result {
        Ok(ticks) => {
            println!("{ticks:.1} {probe}");
            0
        }
        Err(e) => {
            eprintln!("loop failed: {e}");
            1
        }
    }
}
