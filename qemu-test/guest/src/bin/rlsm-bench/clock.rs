//! Time inside the test VM.
//!
//! The test kernel has no clocksource finer than jiffies (no ACPI, so no HPET or PM timer,
//! and under TCG the TSC fails its calibration), so CLOCK_MONOTONIC moves in 4 ms steps, and
//! under TCG it drifts when timer ticks are delivered late. The TSC runs at a constant rate
//! (under TCG it is the host's own counter, under KVM the host's rate), so the bench counts
//! TSC ticks and converts them at the rate the host measured against its own clock
//! (`rlsm-bench tsc-mhz` on the host, passed in as `--tsc-mhz`). Without it, the rate is
//! measured here against the jiffies clock, which is good to a per cent or two. Processes are
//! pinned to one CPU (see main), so a loop never reads two CPUs' counters.
//!
//! Under QEMU's `-icount shift=0,sleep=off` (`rlsm-bench icount`, scripts/bench-icount.sh)
//! the TSC does calibrate (1,000 MHz, one tick per instruction), the kernel switches to it,
//! and CLOCK_MONOTONIC nanoseconds count guest instructions: [`monotonic_ns`].

use std::sync::OnceLock;
use std::time::{Duration, Instant};

static TICKS_PER_NS: OnceLock<f64> = OnceLock::new();

/// The CPU's time stamp counter.
pub fn ticks() -> u64 {
    // SAFETY: rdtsc has no memory effects; Linux leaves it enabled for user space.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The next instant at which CLOCK_MONOTONIC moves, and the TSC then.
fn clock_step() -> (Instant, u64) {
    let start = Instant::now();
    loop {
        let now = Instant::now();
        if now != start {
            return (now, ticks());
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds: instructions under icount.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is writable.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Measures the TSC rate against CLOCK_MONOTONIC over `span`, from one clock step to
/// another; returns ticks per nanosecond.
pub fn measure_rate(span: Duration) -> f64 {
    let (t0, c0) = clock_step();
    while t0.elapsed() < span {
        std::hint::spin_loop();
    }
    let (t1, c1) = clock_step();
    (c1 - c0) as f64 / (t1 - t0).as_nanos() as f64
}

/// Uses `mhz` as the TSC rate from now on; false if a rate was already in use.
pub fn set_rate_mhz(mhz: f64) -> bool {
    TICKS_PER_NS.set(mhz / 1e3).is_ok()
}

/// Ticks per nanosecond: the rate given, else one measured here over two seconds.
pub fn rate() -> f64 {
    *TICKS_PER_NS.get_or_init(|| measure_rate(Duration::from_secs(2)))
}

/// Nanoseconds in `ticks`.
pub fn ns(ticks: f64) -> f64 {
    ticks / rate()
}

/// Microseconds since `start` (a [`ticks`] reading).
pub fn us_since(start: u64) -> f64 {
    ns((ticks() - start) as f64) / 1e3
}

/// The resolution CLOCK_MONOTONIC claims, in nanoseconds (reported with the figures).
pub fn monotonic_resolution_ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is writable.
    unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}
