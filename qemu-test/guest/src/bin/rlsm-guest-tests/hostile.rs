//! Hostile policy input, generated from a valid blob and thrown at both interfaces.
//!
//! Most of this is a differential test: the kernel's verdict on every truncation and bit
//! flip is compared with the verdict of the same verifier source compiled in userspace
//! (`rustlsm_policy::wire`). It shows the kernel build, its copy-in and its errno mapping
//! agree with userspace; it is not evidence that the verifier refuses what it should, since
//! both sides share the verifier. Two checks stand apart from it: every flip the verifier
//! accepts is also read by the fuzzer's independent parser of the documented layout
//! (fuzz/src/blob.rs), and the named structural mutants carry an errno written down here.
//! A mutant the verifier accepts is sent with the dry-run flag (so nothing changes); one it
//! refuses must get its errno through the system call and through securityfs. After every
//! refused request the policy read back (listing, generation and the `policy` blob) must be
//! byte-identical to what it was.

use crate::policy_loading::{manage, securityfs_write, snapshot, sys_manage, Snapshot};
use crate::{check, Outcome, Suite};
use rustlsm_policy::{file_dfa, wire};

/// The fuzzer's check of accepted blobs (fuzz/src/blob.rs), compiled here as it is for the
/// regression tests: it re-reads every record from the documented layout, without `wire`'s
/// views, and panics on any disagreement.
#[path = "../../../../../fuzz/src/blob.rs"]
mod blob;

/// A one-rule profile whose blob (a few hundred bytes) the hostile-input cases mutate.
pub(crate) const SMALL_PROFILE: &str = r#"
[profile.small]
attach = ["/usr/bin/rlsm-probe-small"]

[[profile.small.rule]]
allow = ["read"]
paths = ["/etc/*"]
"#;

/// The cases [`run`] registers, whatever the small profile holds.
pub(crate) const CASES: u32 = 3 + STRUCTURAL + 3;
/// The named structural mutants.
const STRUCTURAL: u32 = 38;

use rustlsm_policy::abi::{LSM_POLICY_LOAD as LOAD, LSM_POLICY_REMOVE as REMOVE};

/// The errno the kernel documents for a blob, as the shared verifier judges it.
fn expected_errno(blob: &[u8]) -> i32 {
    if blob.is_empty() {
        return libc::EINVAL;
    }
    if blob.len() > wire::MAX_BLOB_LEN {
        return libc::E2BIG;
    }
    match wire::verify(blob) {
        Ok(_) => 0,
        Err(e) => match e.kind {
            wire::ErrorKind::UnsupportedVersion => libc::EPROTONOSUPPORT,
            wire::ErrorKind::TooLarge => libc::E2BIG,
            _ => libc::EINVAL,
        },
    }
}

fn le32(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

fn le16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn set32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn set16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

/// Offsets in a one-profile blob: the record's fields, the first section's header and the
/// file automaton's payload (if the profile has one).
struct Layout {
    record: usize,
    first_section: usize,
    dfa: Option<usize>,
}

fn layout(blob: &[u8]) -> Layout {
    let record = wire::HEADER_LEN;
    let name_len = le16(blob, record + 6);
    let attach_count = le16(blob, record + 8);
    let section_count = le16(blob, record + 10);
    let mut at = record + wire::RECORD_HEADER_LEN + name_len;
    for _ in 0..attach_count {
        at += 2 + le16(blob, at);
    }
    let first_section = at;
    let mut dfa = None;
    for _ in 0..section_count {
        let kind = le16(blob, at) as u16;
        let len = le32(blob, at + 4);
        if kind == wire::SECTION_FILE_DFA {
            dfa = Some(at + wire::SECTION_HEADER_LEN);
        }
        at += wire::SECTION_HEADER_LEN + len;
    }
    Layout {
        record,
        first_section,
        dfa,
    }
}

/// A named mutant: its name, the errno it must get (written down, not asked of the
/// verifier), and its bytes; `None` when the small profile lacks the part it mutates, which
/// fails its case instead of silently dropping it.
type Mutant = (String, i32, Option<Vec<u8>>);

/// Named structural mutants: counts and lengths past the end, out-of-range automaton
/// indices, a table whose every edge loops back, duplicate names. Always [`STRUCTURAL`] of
/// them, whatever the blob holds.
fn structural(valid: &[u8]) -> Vec<Mutant> {
    let l = layout(valid);
    let mut out: Vec<Mutant> = Vec::new();
    // `f` edits a copy of `valid`; only when `present` (the part it edits exists).
    let mut with = |name: &str, errno: i32, present: bool, f: &dyn Fn(&mut Vec<u8>)| {
        let blob = present.then(|| {
            let mut b = valid.to_vec();
            f(&mut b);
            b
        });
        out.push((name.to_string(), errno, blob));
    };
    let inval = libc::EINVAL;
    let r = l.record;
    with("profile count 0", inval, true, &|b| set32(b, 12, 0));
    with("profile count 2 with one record", inval, true, &|b| {
        set32(b, 12, 2)
    });
    with("profile count u32::MAX", inval, true, &|b| {
        set32(b, 12, u32::MAX)
    });
    with("total length one past the end", inval, true, &|b| {
        let n = b.len() as u32 + 1;
        set32(b, 8, n)
    });
    with("total length u32::MAX", inval, true, &|b| {
        set32(b, 8, u32::MAX)
    });
    with("record length 0", inval, true, &|b| set32(b, r, 0));
    with("record length u32::MAX", inval, true, &|b| {
        set32(b, r, u32::MAX)
    });
    with("name length past the record", inval, true, &|b| {
        set16(b, r + 6, u16::MAX)
    });
    with("name length 0", inval, true, &|b| set16(b, r + 6, 0));
    with("attachment count u16::MAX", inval, true, &|b| {
        set16(b, r + 8, u16::MAX)
    });
    with("section count u16::MAX", inval, true, &|b| {
        set16(b, r + 10, u16::MAX)
    });
    with("reserved record field set", inval, true, &|b| {
        set32(b, r + 12, 1)
    });
    with("unknown mode", inval, true, &|b| b[r + 4] = 9);
    let s = l.first_section;
    with("section length u32::MAX", inval, true, &|b| {
        set32(b, s + 4, u32::MAX)
    });
    with("section length one past the end", inval, true, &|b| {
        let n = le32(b, s + 4) as u32 + 1;
        set32(b, s + 4, n)
    });
    with("unknown section kind", inval, true, &|b| {
        set16(b, s, 0x7fff)
    });
    // The automaton's mutants need the small profile to have one, with edges; without, each
    // is still a case, and fails.
    let dfa = l.dfa.is_some();
    let d = l.dfa.unwrap_or(0);
    let states = if dfa { le32(valid, d) as u32 } else { 0 };
    let edges = if dfa { le32(valid, d + 4) } else { 0 };
    let edge_next = d + file_dfa::HEADER_LEN + states as usize * file_dfa::STATE_LEN + edges;
    let with_edges = dfa && edges > 0;
    let state_at = |s: usize| d + file_dfa::HEADER_LEN + s * file_dfa::STATE_LEN;
    let last_state = (states as usize).saturating_sub(1);
    with("automaton: state count 0", inval, dfa, &|b| set32(b, d, 0));
    with("automaton: state count u32::MAX", inval, dfa, &|b| {
        set32(b, d, u32::MAX)
    });
    with("automaton: edge count u32::MAX", inval, dfa, &|b| {
        set32(b, d + 4, u32::MAX)
    });
    with("automaton: start state out of range", inval, dfa, &|b| {
        set32(b, d + 8, states)
    });
    with("automaton: start state u32::MAX", inval, dfa, &|b| {
        set32(b, d + 8, u32::MAX)
    });
    with("automaton: class count 0", inval, dfa, &|b| {
        set16(b, d + 12, 0)
    });
    with("automaton: class count 257", inval, dfa, &|b| {
        set16(b, d + 12, 257)
    });
    with("automaton: reserved field set", inval, dfa, &|b| {
        set16(b, d + 14, 1)
    });
    with(
        "automaton: dead state has an edge",
        inval,
        with_edges,
        &|b| set32(b, state_at(1), 1),
    );
    with(
        "automaton: first edge before the previous state's",
        inval,
        with_edges && states >= 3,
        &|b| set32(b, state_at(last_state), 0),
    );
    with(
        "automaton: edge class past the class count",
        inval,
        with_edges,
        &|b| b[edge_next - edges] = 255,
    );
    with(
        "automaton: byte mapped to a missing class",
        inval,
        dfa,
        &|b| b[d + 16 + usize::from(b'/')] = 255,
    );
    with("automaton: first edge past the table", inval, dfa, &|b| {
        set32(b, state_at(1), u32::MAX)
    });
    with("automaton: undefined access bits", inval, dfa, &|b| {
        set32(b, state_at(1) + file_dfa::STATE_ALLOW, 1 << 31)
    });
    with("automaton: dead state grants access", inval, dfa, &|b| {
        set32(b, state_at(0) + file_dfa::STATE_ALLOW, 1)
    });
    with("automaton: dead state leaves itself", inval, dfa, &|b| {
        set32(b, state_at(0) + file_dfa::STATE_DEFAULT, 1)
    });
    with("automaton: default to a missing state", inval, dfa, &|b| {
        set32(b, state_at(1) + file_dfa::STATE_DEFAULT, states)
    });
    with("automaton: default to state u32::MAX", inval, dfa, &|b| {
        set32(b, state_at(last_state) + file_dfa::STATE_DEFAULT, u32::MAX)
    });
    with(
        "automaton: edge to a missing state",
        inval,
        with_edges,
        &|b| set32(b, edge_next, states),
    );
    with(
        "automaton: edge to state u32::MAX",
        inval,
        with_edges,
        &|b| set32(b, edge_next, u32::MAX),
    );
    // Every edge and every live state's default back to the start state: cycles, which are
    // legal (walks are bounded by the path's length) and must be accepted.
    with(
        "automaton: every transition loops to the start",
        0,
        with_edges,
        &|b| {
            let start = le32(b, d + 8) as u32;
            for e in 0..edges {
                set32(b, edge_next + 4 * e, start);
            }
            for s in 1..states as usize {
                set32(b, state_at(s) + file_dfa::STATE_DEFAULT, start);
            }
        },
    );
    // Two copies of the same record: one name twice.
    with("one profile name twice", inval, true, &|b| {
        b.extend_from_slice(&valid[wire::HEADER_LEN..]);
        let total = b.len() as u32;
        set32(b, 8, total);
        set32(b, 12, 2);
    });
    out
}

/// Sends `blob` through the system call (dry run when the verifier accepts it) and, when it
/// is to be refused, through securityfs too; checks errnos and the unchanged policy.
fn throw(blob: &[u8], baseline: &Snapshot) -> Outcome {
    throw_as(blob, expected_errno(blob), baseline)
}

/// [`throw`], with the errno `want` given.
fn throw_as(blob: &[u8], want: i32, baseline: &Snapshot) -> Outcome {
    let flags = if want == 0 { wire::FLAG_DRY_RUN } else { 0 };
    let got = manage(LOAD, blob, flags);
    check(got == want, || {
        format!("syscall: errno {got}, expected {want}")
    })?;
    if want != 0 {
        let got = securityfs_write("load", blob);
        check(got == want, || {
            format!("securityfs: errno {got}, expected {want}")
        })?;
    }
    baseline.unchanged("the request")
}

/// Runs every generated case against `valid` (a small one-profile blob the kernel accepts);
/// prints how many were tried.
pub(crate) fn run(s: &mut Suite, valid: &[u8]) {
    let baseline = snapshot();
    let mut tried = 0usize;

    s.case(
        "hostile: truncation at every offset, both interfaces",
        || {
            for cut in 0..valid.len() {
                tried += 1;
                throw(&valid[..cut], &baseline).map_err(|e| format!("cut {cut}: {e}"))?;
            }
            Ok(())
        },
    );

    let mut flips = 0usize;
    let mut accepted: Vec<Vec<u8>> = Vec::new();
    s.case(
        "hostile: every single-bit flip, kernel agrees with the shared verifier",
        || {
            let mut b = valid.to_vec();
            for at in 0..b.len() {
                for bit in 0..8 {
                    b[at] ^= 1 << bit;
                    flips += 1;
                    if expected_errno(&b) == 0 {
                        accepted.push(b.clone());
                    }
                    let r = throw(&b, &baseline);
                    b[at] ^= 1 << bit;
                    r.map_err(|e| format!("byte {at} bit {bit}: {e}"))?;
                }
            }
            Ok(())
        },
    );
    tried += flips;
    let flips_accepted = accepted.len();

    s.case(
        "hostile: every accepted bit flip passes the fuzzer's independent layout parser",
        || {
            check(!accepted.is_empty(), || "no bit flip was accepted".into())?;
            // In a child: the oracle panics on a disagreement, and panics abort.
            in_child(|| accepted.iter().for_each(|b| blob::check(b)))
        },
    );

    for (name, errno, blob) in structural(valid) {
        tried += 1;
        s.case(&format!("hostile: {name}"), || {
            let blob = blob.ok_or("the small profile has no automaton with edges to mutate")?;
            // The errno written down must also be the shared verifier's: the kernel is then
            // held to both.
            let verifier = expected_errno(&blob);
            check(verifier == errno, || {
                format!("the shared verifier gives errno {verifier}, expected {errno}")
            })?;
            throw_as(&blob, errno, &baseline)
        });
    }

    s.case(
        "hostile: sizes past both caps get E2BIG, buffers that fault get EFAULT",
        || {
            let big = vec![0u8; wire::MAX_BLOB_LEN + 1];
            check(manage(LOAD, &big, 0) == libc::E2BIG, || {
                "rustlsm cap".into()
            })?;
            check(securityfs_write("load", &big) == libc::E2BIG, || {
                "securityfs cap".into()
            })?;
            let got = sys_manage(LOAD, valid.as_ptr(), u32::MAX, 0, 114);
            check(got == libc::E2BIG, || format!("u32::MAX size: errno {got}"))?;
            let got = sys_manage(LOAD, std::ptr::null(), valid.len() as u32, 0, 114);
            check(got == libc::EFAULT, || format!("NULL: errno {got}"))?;
            let got = straddling_unmapped(valid);
            check(got == libc::EFAULT, || {
                format!("buffer running into an unmapped page: errno {got}")
            })?;
            tried += 5;
            baseline.unchanged("the request")
        },
    );

    s.case(
        "hostile: a blob split over two securityfs writes is refused twice",
        || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(format!("{}/load", crate::SECFS))
                .map_err(|e| e.to_string())?;
            let half = valid.len() / 2;
            let first = f.write(&valid[..half]).map_err(|e| e.raw_os_error());
            let second = f.write(&valid[half..]).map_err(|e| e.raw_os_error());
            tried += 2;
            check(
                first == Err(Some(libc::EINVAL)) && second == Err(Some(libc::EINVAL)),
                || format!("first {first:?}, second {second:?}"),
            )?;
            baseline.unchanged("the request")
        },
    );

    s.case(
        "hostile: remove with an unknown, empty or invalid name",
        || {
            for (name, want) in [
                (&b"no-such-profile"[..], libc::ENOENT),
                (b"bad/name", libc::EINVAL),
                (b"", libc::EINVAL),
            ] {
                tried += 2;
                let got = manage(REMOVE, name, 0);
                check(got == want, || format!("syscall {name:?}: errno {got}"))?;
                let got = securityfs_write("remove", name);
                check(got == want, || format!("securityfs {name:?}: errno {got}"))?;
            }
            baseline.unchanged("the request")
        },
    );

    println!(
        "# hostile inputs tried: {tried}, a differential test of the kernel against the \
         verifier it shares with userspace ({flips} bit flips, {flips_accepted} of them valid \
         policies loaded as dry runs and re-read by the fuzzer's layout parser)"
    );
}

/// Runs `f` in a forked child; Ok if it returned, the wait status otherwise.
fn in_child(f: impl FnOnce()) -> Outcome {
    // SAFETY: The suite is single-threaded; the child runs `f` and exits without returning.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        f();
        // SAFETY: Leaves the child without running the parent's destructors.
        unsafe { libc::_exit(0) };
    }
    check(pid > 0, || "fork failed".into())?;
    let mut status = 0;
    // SAFETY: Waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    check(status == 0, || {
        format!("the check ended with wait status {status:#x}")
    })
}

/// Loads from a buffer whose last byte sits on an unmapped page; returns the errno.
fn straddling_unmapped(valid: &[u8]) -> i32 {
    const PAGE: usize = 4096;
    // SAFETY: Maps two fresh pages, unmaps the second, and hands the kernel a pointer into
    // the first whose length runs into the second; the mapping is released before returning.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            2 * PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return -1;
        }
        let base = p.cast::<u8>();
        libc::munmap(base.add(PAGE).cast(), PAGE);
        let n = valid.len().min(PAGE);
        let start = base.add(PAGE - n + 1);
        std::ptr::copy_nonoverlapping(valid.as_ptr(), start, n - 1);
        let got = sys_manage(LOAD, start, n as u32, 0, 114);
        libc::munmap(p, PAGE);
        got
    }
}
