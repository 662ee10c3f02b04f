//! rlsm-race SECONDS: policy changes racing the hooks that read the policy.
//!
//! One thread loads, replaces (through the system call and through securityfs) and removes
//! the profiles `race` and `race-peer` as fast as it can; the other threads keep running
//! probes under them: single opens, opening in a loop while the profile is swapped under the
//! running task, TCP connects, and execs that cross from one profile into the other. Every
//! result must be one the policies in play can produce (allowed, or EACCES); anything else
//! (ENOMEM, EINVAL, a crash by signal) is a failure. The kernel side is judged by the
//! console: qemu-test/run fails the run on any splat, which is the point of running this
//! under the debug kernel (KASAN, lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, KFENCE).

use std::fs;
use std::io::Write;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

const LSMCTL: &str = "/usr/bin/lsmctl";
const PROBE: &str = "/usr/bin/rlsm-probe-race";
const PEER: &str = "/usr/bin/rlsm-probe-race-peer";

/// Two versions of the same two profiles: the loader alternates between them.
const VERSION_A: &str = r#"
[profile.race]
attach = ["/usr/bin/rlsm-probe-race"]

[[profile.race.rule]]
allow = ["read"]
paths = ["/etc/**"]

[[profile.race.rule]]
allow = ["exec"]
paths = ["/usr/bin/rlsm-probe-race-peer"]

[profile.race.network]
sockets = ["inet:stream"]

[[profile.race.network.rule]]
allow = ["connect"]
protocol = "tcp"
ports = [9000]

[profile.race-peer]
attach = ["/usr/bin/rlsm-probe-race-peer"]

[[profile.race-peer.rule]]
allow = ["read"]
paths = ["/etc/passwd"]
"#;

const VERSION_B: &str = r#"
[profile.race]
attach = ["/usr/bin/rlsm-probe-race"]
mode = "complain"

[[profile.race.rule]]
deny = ["read"]
paths = ["/etc/passwd"]

[profile.race-peer]
attach = ["/usr/bin/rlsm-probe-race-peer"]

[[profile.race-peer.rule]]
deny = ["read"]
paths = ["/etc/**"]
"#;

static STOP: AtomicBool = AtomicBool::new(false);
static LOADS: AtomicU64 = AtomicU64::new(0);
static REMOVALS: AtomicU64 = AtomicU64::new(0);
static PROBES: AtomicU64 = AtomicU64::new(0);
static UNEXPECTED: AtomicU64 = AtomicU64::new(0);

fn compile(name: &str, toml: &str) -> Result<Vec<u8>, String> {
    let src = format!("/tmp/{name}.toml");
    let out = format!("/tmp/{name}.bin");
    fs::write(&src, toml).map_err(|e| e.to_string())?;
    let o = Command::new(LSMCTL)
        .args(["compile", &src, "-o", &out])
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    fs::read(&out).map_err(|e| e.to_string())
}

fn manage(op: u32, buf: &[u8]) -> i32 {
    // SAFETY: `buf` is valid for its length during the call.
    let rc = unsafe { libc::syscall(473, 114u32, op, buf.as_ptr(), buf.len() as u32, 0u32) };
    if rc == 0 {
        0
    } else {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(-1)
    }
}

fn securityfs_load(blob: &[u8]) -> i32 {
    fs::OpenOptions::new()
        .write(true)
        .open("/sys/kernel/security/rustlsm/load")
        .and_then(|mut f| f.write(blob))
        .map_or_else(|e| e.raw_os_error().unwrap_or(-1), |_| 0)
}

fn unexpected(what: &str) {
    UNEXPECTED.fetch_add(1, Relaxed);
    eprintln!("race: unexpected: {what}");
}

/// Loads, replaces and removes until told to stop. Every request must succeed, except a
/// removal racing nothing (ENOENT cannot happen: only this thread changes the policy).
fn loader(a: &[u8], b: &[u8]) {
    let mut round = 0u64;
    while !STOP.load(Relaxed) {
        let (blob, via_securityfs) = if round % 2 == 0 {
            (a, false)
        } else {
            (b, true)
        };
        let got = if via_securityfs {
            securityfs_load(blob)
        } else {
            manage(1, blob)
        };
        if got == 0 {
            LOADS.fetch_add(1, Relaxed);
        } else {
            unexpected(&format!("load round {round}: errno {got}"));
        }
        if round % 5 == 4 {
            for name in ["race-peer", "race"] {
                match manage(2, name.as_bytes()) {
                    0 => {
                        REMOVALS.fetch_add(1, Relaxed);
                    }
                    e => unexpected(&format!("remove {name}: errno {e}")),
                }
            }
        }
        round += 1;
    }
}

/// Runs probes until told to stop; `worker` picks which operations this thread drives.
fn prober(worker: usize) {
    let ops: [&[&str]; 4] = [
        &["open", "/etc/passwd", "r"],
        &["open-many", "/etc/passwd", "200"],
        &["tcp-connect", "127.0.0.1", "9000"],
        &["exec", PEER, "open", "/etc/passwd", "r"],
    ];
    let mut i = worker;
    while !STOP.load(Relaxed) {
        let args = ops[i % ops.len()];
        i += 1;
        let status = Command::new(PROBE).args(args).status();
        PROBES.fetch_add(1, Relaxed);
        let ok: &[i32] = match args[0] {
            "tcp-connect" => &[libc::ECONNREFUSED, libc::EACCES],
            _ => &[0, libc::EACCES],
        };
        match status.map(|s| s.code()) {
            Ok(Some(code)) if ok.contains(&code) => {}
            other => unexpected(&format!("{}: {other:?}", args.join(" "))),
        }
    }
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    for copy in [PROBE, PEER] {
        if let Err(e) = fs::copy("/usr/bin/rlsm-probe", copy) {
            eprintln!("race: cannot install {copy}: {e}");
            std::process::exit(2);
        }
    }
    let (a, b) = match (compile("race-a", VERSION_A), compile("race-b", VERSION_B)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("race: cannot compile the profiles: {e}");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| loader(&a, &b));
        for worker in 0..3 {
            scope.spawn(move || prober(worker));
        }
        std::thread::sleep(Duration::from_secs(seconds));
        STOP.store(true, Relaxed);
    });
    let elapsed = start.elapsed().as_secs_f64();
    for name in ["race-peer", "race"] {
        let _ = manage(2, name.as_bytes());
    }
    let unexpected = UNEXPECTED.load(Relaxed);
    println!(
        "race: {:.0} s, {} loads and replacements, {} removals, {} probe runs, {} unexpected results",
        elapsed,
        LOADS.load(Relaxed),
        REMOVALS.load(Relaxed),
        PROBES.load(Relaxed),
        unexpected
    );
    std::process::exit(if unexpected == 0 { 0 } else { 1 });
}
