//! The decision cache (security/rustlsm/decision_cache.rs): a file opened again under the same
//! profile is decided from the decision kept for its dentry and mount. Each case first lets
//! the profile allow a file twice (so its decision is kept), then changes what the file's path
//! is, in every way the cache must notice, and opens it by its new path: the open must be
//! refused as if nothing had been kept, and logged with the new path.

use super::{expect, fixture, load, mount, refused, remove, umount};
use crate::{check, Outcome, Suite};

const PROBE: &str = "/usr/bin/rlsm-probe-esc-cache";
const DIR: &str = "/tmp/esc/cache";

const PROFILE: &str = r#"
[profile.esc-cache]
attach = ["/usr/bin/rlsm-probe-esc-cache"]

[[profile.esc-cache.rule]]
allow = ["read"]
paths = ["/tmp/esc/cache/ok-*", "/tmp/esc/cache/ok-*/**"]

[[profile.esc-cache.rule]]
allow = ["read", "write", "create", "delete"]
paths = ["/tmp/esc/cache/churn/ok-*"]

[[profile.esc-cache.rule]]
allow = ["write", "create", "delete"]
paths = ["/tmp/esc/cache/churn/no-*"]
"#;

/// The probe reads `path` twice, allowed both times (the second from the kept decision).
fn allowed_twice(path: &str) -> Outcome {
    expect(PROBE, &["open", path, "r"], 0)?;
    expect(PROBE, &["open", path, "r"], 0).map(drop)
}

/// The probe's read of `path` is refused, and logged with `path`.
fn refused_at(path: &str) -> Outcome {
    let needle = format!("{path}\"");
    refused(
        PROBE,
        &["open", path, "r"],
        libc::EACCES,
        "esc-cache",
        "open",
        &needle,
    )
}

fn rename(from: &str, to: &str) -> Outcome {
    std::fs::rename(from, to).map_err(|e| format!("rename {from} {to}: {e}"))
}

pub(super) fn run(s: &mut Suite) {
    s.case("cache: load the decision-cache profile", || {
        fixture(
            &[
                &format!("{DIR}/ok-dir"),
                &format!("{DIR}/ok-bind"),
                &format!("{DIR}/churn"),
            ],
            &[
                (&format!("{DIR}/ok-file"), "f"),
                (&format!("{DIR}/ok-dir/f"), "f"),
                (&format!("{DIR}/ok-bind/f"), "f"),
            ],
        )?;
        load("esc-cache", PROFILE)
    });
    s.case(
        "cache: a file renamed after allowed opens is decided by its new name",
        || {
            allowed_twice(&format!("{DIR}/ok-file"))?;
            rename(&format!("{DIR}/ok-file"), &format!("{DIR}/no-file"))?;
            refused_at(&format!("{DIR}/no-file"))
        },
    );
    s.case(
        "cache: a file whose directory was renamed is decided by its new path",
        || {
            allowed_twice(&format!("{DIR}/ok-dir/f"))?;
            rename(&format!("{DIR}/ok-dir"), &format!("{DIR}/no-dir"))?;
            refused_at(&format!("{DIR}/no-dir/f"))
        },
    );
    s.case(
        "cache: a file whose mount was moved is decided by its new path",
        || {
            let (from, to) = (format!("{DIR}/ok-mnt"), format!("{DIR}/no-mnt"));
            mount("tmpfs", &from, "tmpfs", 0)?;
            let file = format!("{from}/f");
            let result = std::fs::write(&file, "f")
                .map_err(|e| format!("{file}: {e}"))
                .and_then(|()| allowed_twice(&file))
                .and_then(|()| mount(&from, &to, "", libc::MS_MOVE))
                .and_then(|()| refused_at(&format!("{to}/f")));
            let _ = umount(&to);
            let _ = umount(&from);
            result
        },
    );
    s.case(
        "cache: the same file bind-mounted elsewhere is decided by that path",
        || {
            let (from, to) = (format!("{DIR}/ok-bind"), format!("{DIR}/no-bind"));
            allowed_twice(&format!("{from}/f"))?;
            mount(&from, &to, "", libc::MS_BIND)?;
            let result = refused_at(&format!("{to}/f"));
            let _ = umount(&to);
            result
        },
    );
    s.case(
        "cache: a new file in a freed file's dentry is decided by its own path",
        || {
            let out = expect(PROBE, &["churn", &format!("{DIR}/churn"), "64"], 0)?;
            check(!out.contains("read "), || out.trim().to_string())
        },
    );
    s.case("cache: remove the decision-cache profile", || {
        remove(&["esc-cache"])
    });
}
