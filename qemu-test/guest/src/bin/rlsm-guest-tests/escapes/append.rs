//! H5: `append` without `write` means the file can only grow: clearing O_APPEND with
//! F_SETFL and a shared writable mapping are refused. pwritev2(RWF_NOAPPEND) is not: no LSM
//! hook sees that flag in 7.3, as the admin guide's "What rustlsm does not mediate" says.

use super::{content, expect, fixture, load, refused, remove};
use crate::{check, Outcome, Suite};

const PROBE: &str = "/usr/bin/rlsm-probe-esc-append";
const LOG: &str = "/tmp/esc/log";
/// Also readable: a shared mapping needs a descriptor open for reading.
const LOG_R: &str = "/tmp/esc/logr";

const PROFILE: &str = r#"
[profile.esc-append]
attach = ["/usr/bin/rlsm-probe-esc-append"]

[[profile.esc-append.rule]]
allow = ["append"]
paths = ["/tmp/esc/log"]

[[profile.esc-append.rule]]
allow = ["read", "append"]
paths = ["/tmp/esc/logr"]
"#;

fn reset() -> Outcome {
    fixture(&["/tmp/esc"], &[(LOG, "AAAA"), (LOG_R, "AAAA")])
}

/// `file` holds `want`.
fn holds(file: &str, want: &str) -> Outcome {
    let got = content(file);
    check(got == want, || {
        format!("{file} holds {got:?}, expected {want:?}")
    })
}

pub(super) fn run(s: &mut Suite) {
    s.case("append: load the append-only profile", || {
        reset()?;
        load("esc-append", PROFILE)
    });
    s.case("append: appending to an append-only file", || {
        reset()?;
        expect(PROBE, &["append", LOG], 0)?;
        expect(PROBE, &["open", LOG_R, "r"], 0).map(drop)
    });
    s.case("append: a plain write open (baseline)", || {
        reset()?;
        expect(PROBE, &["write", LOG], libc::EACCES).map(drop)
    });
    s.case("append: clearing O_APPEND with F_SETFL is refused", || {
        reset()?;
        let needle = format!("path=\"{LOG}\"");
        let r = refused(
            PROBE,
            &["append-overwrite", LOG],
            libc::EACCES,
            "esc-append",
            "fcntl",
            &needle,
        );
        holds(LOG, "AAAA")?;
        r
    });
    s.case("append: a shared writable mapping is refused", || {
        reset()?;
        let r = refused(
            PROBE,
            &["append-mmap", LOG_R],
            libc::EACCES,
            "esc-append",
            "",
            LOG_R,
        );
        holds(LOG_R, "AAAA")?;
        r
    });
    // Pinned, documented limitation: RWF_NOAPPEND reaches no LSM hook in 7.3 (admin guide,
    // "What rustlsm does not mediate"). If this starts failing, the kernel learnt to see it:
    // update the guide and turn this into a refusal case.
    s.case(
        "append: pwritev2(RWF_NOAPPEND) is not mediated (documented)",
        || {
            reset()?;
            expect(PROBE, &["append-noappend", LOG], 0)?;
            holds(LOG, "XAAA")
        },
    );
    s.case("append: remove the append-only profile", || {
        remove(&["esc-append"])
    });
}
