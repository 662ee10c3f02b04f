//! A layer stacked on every thread of a process at once (`FLAG_ALL_THREADS`): each thread
//! is covered whatever it was doing, threads started during the call too, two threads asking
//! at once both stack, and a thread that cannot be covered leaves every thread as it was.

use super::{nnp_probe, nobody_sh, DIR};
use crate::{check, Suite, FREE_PROBE};

pub(super) const CASES: u32 = 5;

/// The number after `key ` in `out` (-1 if missing).
fn figure(out: &str, key: &str) -> i64 {
    out.split_whitespace()
        .skip_while(|w| *w != key)
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

pub(super) fn run(s: &mut Suite) {
    let secret = format!("{DIR}/tree/pub.txt");
    s.case(
        "sandbox: FLAG_ALL_THREADS covers every thread, busy or started around the call",
        || {
            let blob = super::records::deny_one("every", &secret, "enforce")?;
            // No setpriv --nnp: the main thread sets no_new_privs on itself only, and the
            // call must give it to the other threads.
            let (code, out) = nobody_sh(&format!("{FREE_PROBE} all-threads {blob} {secret}"));
            let threads = figure(&out, "threads");
            let late = figure(&out, "late");
            check(
                code == 0
                    && !out.contains("capset")
                    && out.contains(&format!("main-after {}", libc::EACCES))
                    && threads == 6
                    && figure(&out, "before-ok") == threads
                    && figure(&out, "after-denied") == threads
                    && figure(&out, "nnp") == threads
                    && figure(&out, "reads") == 2
                    && late > 0
                    && figure(&out, "late-denied") == late
                    // One per thread's refused open, the main thread's included.
                    && figure(&out, "records") == threads + late + 1,
                || format!("all-threads -> {code}: {out}"),
            )
        },
    );
    s.case(
        "sandbox: two threads stacking on all threads at once both stack, in turn",
        || {
            let blob = super::layer_blob("twice", "[profile.twice]\n")?;
            let (code, out) = nnp_probe(&format!("all-threads-twice {blob}"));
            // 2 + 14 = the 16-layer limit: each call stacked exactly one layer.
            check(
                code == 0
                    && out.contains("first 0 second 0")
                    && out.contains(&format!("more 14 errno {}", libc::E2BIG)),
                || format!("all-threads-twice -> {code}: {out}"),
            )
        },
    );
    s.case(
        "sandbox: a thread that used io_uring refuses the layer for all, and none changes",
        || {
            let blob = super::records::deny_one("uring", &secret, "enforce")?;
            let (code, out) = nnp_probe(&format!("all-threads-uring {blob} {secret}"));
            check(
                code == libc::EBUSY
                    && out.contains(&format!("stacked {}", libc::EBUSY))
                    && out.contains("open-after 0 0 0")
                    && !out.contains("ring "),
                || format!("all-threads-uring -> {code}: {out}"),
            )
        },
    );
    s.case(
        "sandbox: a thread that cannot take the layer makes the call give up, changing nothing",
        || {
            let blob = super::records::deny_one("stuck", &secret, "enforce")?;
            let denied = libc::EACCES;
            // A thread in vfork() for 4 s: no thread gets ready for 2 s, the call fails with
            // EAGAIN; a signal with a handler (no SA_RESTART) ends it at once with EINTR.
            // Either way no thread changed. The same thread back within 0.5 s: it takes it.
            for (ms, alarm, errno, after) in [
                ("4000", "0", libc::EAGAIN, "after 0 0 0".to_string()),
                ("4000", "500", libc::EINTR, "after 0 0 0".to_string()),
                ("500", "0", 0, format!("after {denied} {denied} {denied}")),
            ] {
                let (code, out) =
                    nnp_probe(&format!("all-threads-stuck {ms} {alarm} {blob} {secret}"));
                check(code == errno && out.contains(&after), || {
                    format!("all-threads-stuck {ms} {alarm} -> {code}: {out}")
                })?;
            }
            Ok(())
        },
    );
    s.case(
        "sandbox: a process sharing the memory or descriptors of a thread refuses all threads",
        || {
            let blob = super::layer_blob("shared", "[profile.shared]\n")?;
            // Not a thread, so the layer would not cover it: refused; a process that shares
            // nothing does not stand in the way (the control).
            for (what, errno) in [("vm", libc::EBUSY), ("files", libc::EBUSY), ("none", 0)] {
                let (code, out) = nnp_probe(&format!("all-threads-shared {what} {blob}"));
                check(code == errno, || {
                    format!("all-threads-shared {what} -> {code}: {out}")
                })?;
            }
            Ok(())
        },
    );
}
