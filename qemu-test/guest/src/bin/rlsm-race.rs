//! rlsm-race SECONDS: policy changes racing the hooks that read the policy.
//!
//! One thread loads, replaces (through the system call and through securityfs) and removes
//! the profiles `race` and `race-peer`; the other threads keep running probes under them:
//! single opens, opening in a loop while the profile is swapped under the running task, TCP
//! connects, and execs that cross from one profile into the other. The loader alternates
//! storms, changing the policy as fast as it can, with quiet windows that hold version A,
//! version B or no profile at all until a probe has run inside them. A probe during which the
//! generation did not move ran under one known policy and must give exactly that policy's
//! result (a task left unconfined after a replacement shows here); any other probe must give
//! a result one of the policies can produce. ENOMEM, EINVAL or a crash by signal always fail,
//! and so do too few loads or probes, or a policy state no probe was judged in. The kernel
//! side is judged by the console: qemu-test/run fails the run on any splat, which is the
//! point of running this under the debug kernel (KASAN, lockdep, PROVE_RCU,
//! DEBUG_ATOMIC_SLEEP, KFENCE).

use rustlsm_policy::abi::{LSM_POLICY_LOAD as LOAD, LSM_POLICY_REMOVE as REMOVE};
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
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

/// Floors per second of the race: they catch a loader or probers that stalled or failed at
/// once, not slowness. The test kernel under TCG reached 207 loads and 82 probes a second;
/// the debug kernel's checkers (not measured yet) are expected to leave it far above these.
const MIN_LOADS_PER_SECOND: u64 = 1;
const MIN_PROBES_PER_SECOND: u64 = 1;
/// How long the loader changes the policy as fast as it can between quiet windows.
const STORM: Duration = Duration::from_millis(400);
/// A quiet window lasts at least this, and then until a probe was judged in it (at most
/// `HOLD_MAX`, so a stalled prober cannot stall the loader).
const HOLD_MIN: Duration = Duration::from_millis(100);
const HOLD_MAX: Duration = Duration::from_secs(10);

/// Which version of the two profiles is loaded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Version {
    A,
    B,
}

/// The policy as the loader leaves it after each change.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum State {
    Empty,
    Both(Version),
    /// `race-peer` removed, `race` not yet.
    RaceOnly(Version),
}

const ALL_STATES: [State; 5] = [
    State::Empty,
    State::Both(Version::A),
    State::Both(Version::B),
    State::RaceOnly(Version::A),
    State::RaceOnly(Version::B),
];

/// A probe run and its exit status (0 or an errno) under each policy state.
struct Probe {
    args: &'static [&'static str],
    expect: fn(State) -> i32,
}

/// Only version A confines `race` in enforce mode (B is complain); only version B's
/// `race-peer` denies, and a peer exec'd without its own profile inherits `race`.
const PROBES_RUN: [Probe; 6] = [
    Probe {
        args: &["open", "/etc/passwd", "r"],
        expect: |_| 0,
    },
    Probe {
        args: &["open-many", "/etc/passwd", "200"],
        expect: |_| 0,
    },
    Probe {
        args: &["open", "/root/secret", "r"],
        expect: |s| match s {
            State::Both(Version::A) | State::RaceOnly(Version::A) => libc::EACCES,
            _ => 0,
        },
    },
    Probe {
        args: &["tcp-connect", "127.0.0.1", "9000"],
        expect: |_| libc::ECONNREFUSED,
    },
    Probe {
        args: &["tcp-connect", "127.0.0.1", "9001"],
        expect: |s| match s {
            State::Both(Version::A) | State::RaceOnly(Version::A) => libc::EACCES,
            _ => libc::ECONNREFUSED,
        },
    },
    Probe {
        args: &["exec", PEER, "open", "/etc/passwd", "r"],
        expect: |s| match s {
            State::Both(Version::B) => libc::EACCES,
            _ => 0,
        },
    },
];

static STOP: AtomicBool = AtomicBool::new(false);
static LOADS: AtomicU64 = AtomicU64::new(0);
static REMOVALS: AtomicU64 = AtomicU64::new(0);
static PROBES: AtomicU64 = AtomicU64::new(0);
static UNEXPECTED: AtomicU64 = AtomicU64::new(0);
/// Probes whose generation did not move, so their one correct result was checked.
static JUDGED: AtomicU64 = AtomicU64::new(0);

/// Which state each generation stands for, recorded by the loader after each change (only
/// the loader changes the policy, so the generation it reads next is its own change's).
static STATES: Mutex<Option<HashMap<u64, State>>> = Mutex::new(None);
/// How many probes were judged in each state.
static JUDGED_IN: Mutex<Option<HashMap<State, u64>>> = Mutex::new(None);

fn generation() -> Option<u64> {
    fs::read_to_string("/sys/kernel/security/rustlsm/generation")
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn record(state: State) {
    match generation() {
        Some(g) => {
            STATES
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert_with(HashMap::new)
                .insert(g, state);
        }
        None => unexpected("cannot read the generation"),
    }
}

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
    rlsm_guest::manage_policy(op, buf, 0)
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

/// Loads `version` (through securityfs for B, the system call for A); the state after.
fn load(version: Version, a: &[u8], b: &[u8], what: &str) -> Option<State> {
    let got = match version {
        Version::A => manage(LOAD, a),
        Version::B => securityfs_load(b),
    };
    if got == 0 {
        LOADS.fetch_add(1, Relaxed);
        record(State::Both(version));
        Some(State::Both(version))
    } else {
        unexpected(&format!("{what}: load {version:?}: errno {got}"));
        None
    }
}

/// Removes `race-peer` then `race`, recording the state in between.
fn remove_both(version: Version) {
    for (name, after) in [
        ("race-peer", State::RaceOnly(version)),
        ("race", State::Empty),
    ] {
        match manage(REMOVE, name.as_bytes()) {
            0 => {
                REMOVALS.fetch_add(1, Relaxed);
                record(after);
            }
            e => unexpected(&format!("remove {name}: errno {e}")),
        }
    }
}

/// Loads, replaces and removes until told to stop. Every request must succeed (ENOENT cannot
/// happen: only this thread changes the policy, and it removes only what it loaded).
fn loader(a: &[u8], b: &[u8]) {
    let mut round = 0u64;
    let mut holds = 0u64;
    let mut loaded: Option<Version> = None;
    let mut storm_end = Instant::now() + STORM;
    while !STOP.load(Relaxed) {
        if Instant::now() >= storm_end {
            // A quiet window, cycling through A, B and no profile.
            match holds % 3 {
                0 => loaded = load(Version::A, a, b, "hold").map(|_| Version::A),
                1 => loaded = load(Version::B, a, b, "hold").map(|_| Version::B),
                _ => {
                    if let Some(v) = loaded.take() {
                        remove_both(v);
                    }
                }
            }
            holds += 1;
            let (start, judged) = (Instant::now(), JUDGED.load(Relaxed));
            while !STOP.load(Relaxed)
                && start.elapsed() < HOLD_MAX
                && (start.elapsed() < HOLD_MIN || JUDGED.load(Relaxed) == judged)
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            storm_end = Instant::now() + STORM;
            continue;
        }
        let version = if round % 2 == 0 {
            Version::A
        } else {
            Version::B
        };
        loaded = load(version, a, b, &format!("round {round}")).map(|_| version);
        if round % 5 == 4 {
            if let Some(v) = loaded.take() {
                remove_both(v);
            }
        }
        round += 1;
    }
}

/// Runs probes until told to stop; `worker` picks which operations this thread starts with.
fn prober(worker: usize) {
    let mut i = worker;
    while !STOP.load(Relaxed) {
        let probe = &PROBES_RUN[i % PROBES_RUN.len()];
        i += 1;
        let before = generation();
        let status = Command::new(PROBE).args(probe.args).status();
        let after = generation();
        PROBES.fetch_add(1, Relaxed);
        let what = probe.args.join(" ");
        let code = match status.map(|s| s.code()) {
            Ok(Some(code)) => code,
            other => {
                unexpected(&format!("{what}: {other:?}"));
                continue;
            }
        };
        // Unmoved generation: one policy decided the whole probe.
        let state = match (before, after) {
            (Some(b), Some(a)) if a == b => STATES
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .and_then(|m| m.get(&b).copied()),
            _ => None,
        };
        match state {
            Some(state) => {
                let want = (probe.expect)(state);
                if code != want {
                    unexpected(&format!("{what} under {state:?}: {code}, expected {want}"));
                }
                JUDGED.fetch_add(1, Relaxed);
                *JUDGED_IN
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert_with(HashMap::new)
                    .entry(state)
                    .or_default() += 1;
            }
            None => {
                if !ALL_STATES.iter().any(|&s| (probe.expect)(s) == code) {
                    unexpected(&format!("{what}: {code}, which no policy state gives"));
                }
            }
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
        let _ = manage(REMOVE, name.as_bytes());
    }
    let (loads, probes) = (LOADS.load(Relaxed), PROBES.load(Relaxed));
    let judged_in = JUDGED_IN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    let secs = seconds.max(1);
    if loads < MIN_LOADS_PER_SECOND * secs {
        unexpected(&format!("only {loads} loads in {secs} s"));
    }
    if probes < MIN_PROBES_PER_SECOND * secs {
        unexpected(&format!("only {probes} probe runs in {secs} s"));
    }
    // The quiet windows cycle through these, so each must have seen a judged probe.
    for state in [
        State::Empty,
        State::Both(Version::A),
        State::Both(Version::B),
    ] {
        if !judged_in.contains_key(&state) {
            unexpected(&format!("no probe was judged under {state:?}"));
        }
    }
    let unexpected = UNEXPECTED.load(Relaxed);
    let mut per_state: Vec<String> = judged_in
        .iter()
        .map(|(s, n)| format!("{s:?} {n}"))
        .collect();
    per_state.sort();
    println!(
        "race: {:.0} s, {} loads and replacements, {} removals, {} probe runs ({} judged under \
         one known policy: {}), {} unexpected results",
        elapsed,
        loads,
        REMOVALS.load(Relaxed),
        probes,
        JUDGED.load(Relaxed),
        per_state.join(", "),
        unexpected
    );
    std::process::exit(if unexpected == 0 { 0 } else { 1 });
}
