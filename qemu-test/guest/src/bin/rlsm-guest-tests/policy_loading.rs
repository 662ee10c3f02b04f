//! Loading and removing policy (manage.rs, securityfs.rs): through `lsm_manage_policy()` and
//! through securityfs, with `lsmctl` and directly, dry runs, the log lines a change leaves, and
//! the policy file that reads a loaded blob back; and the snapshot by which other cases show
//! that a refused request left the policy unchanged.

use crate::harness::{compiled, expect_open, kernel_log, lsmctl, run};
use crate::{check, Outcome, Suite, DEMO, LSMCTL, PROBE, SECFS};
use rustlsm_policy::abi::{self, LSM_POLICY_REMOVE as REMOVE};
use rustlsm_policy::wire;
use std::fs;
use std::io::Write;

/// The first load: before it the probe is unconfined and the policy file empty; after it the
/// demo profile is listed, logged and read back byte for byte.
pub(crate) fn first_load(s: &mut Suite) {
    // Nothing is loaded yet: the probe is unconfined.
    s.case("before any load, the probe opens /etc/shadow", || {
        expect_open(PROBE, "/etc/shadow", "r", 0)
    });

    s.case("with nothing loaded, the policy file is empty", || {
        let blob = fs::read(format!("{SECFS}/policy")).map_err(|e| e.to_string())?;
        check(blob.is_empty(), || format!("{} bytes", blob.len()))
    });
    s.case("lsmctl load (system call) loads the demo profile", || {
        let (code, out) = run(LSMCTL, &["load", "--via", "syscall", DEMO]);
        check(code == 0 && out.contains("via lsm_manage_policy()"), || out)?;
        let list = fs::read_to_string(format!("{SECFS}/profiles")).map_err(|e| e.to_string())?;
        check(list.starts_with("demo enforce "), || list)
    });
    s.case(
        "a policy load leaves a log line naming the profile, with the generation it made",
        || expect_policy_line("load", "demo"),
    );
    s.case(
        "the policy file reads back the loaded blob byte for byte",
        || {
            let loaded = compiled(&fs::read_to_string(DEMO).unwrap_or_default(), "readback")?;
            let back = fs::read(format!("{SECFS}/policy")).map_err(|e| e.to_string())?;
            check(back == loaded, || {
                format!("{} bytes back, {} loaded", back.len(), loaded.len())
            })
        },
    );
}

/// Removal, listing and dry runs, and loading and removing through each interface.
pub(crate) fn each_interface(s: &mut Suite) {
    s.case("a removal leaves a log line naming the profile", || {
        expect_policy_line("remove", "net")
    });
    s.case(
        "lsmctl list shows the profile with the digest of its compiled form",
        || {
            let blob = compiled(&fs::read_to_string(DEMO).unwrap_or_default(), "digest")?;
            let record = wire::profiles(&blob).next().ok_or("no profile")?.record();
            let digest = format!("{:016x}", wire::digest(record));
            let (code, out) = run(LSMCTL, &["list"]);
            check(
                code == 0 && out.contains("demo") && out.contains(&digest),
                || out,
            )
        },
    );
    s.case(
        "a dry-run remove checks the name and removes nothing",
        || {
            let before = snapshot();
            let got = manage(REMOVE, b"demo", wire::FLAG_DRY_RUN);
            check(got == 0, || format!("errno {got}"))?;
            before.unchanged("the dry-run remove")?;
            let got = manage(REMOVE, b"absent", wire::FLAG_DRY_RUN);
            check(got == libc::ENOENT, || format!("absent name: errno {got}"))
        },
    );
    s.case("remove through the system call takes effect", || {
        lsmctl(&["remove", "--via", "syscall", "demo"])?;
        expect_open(PROBE, "/etc/shadow", "r", 0)?;
        let list = fs::read_to_string(format!("{SECFS}/profiles")).map_err(|e| e.to_string())?;
        check(list.is_empty(), || list)
    });
    s.case("removing a profile that is not loaded gets ENOENT", || {
        let got = manage(REMOVE, b"demo", 0);
        check(got == libc::ENOENT, || format!("errno {got}"))
    });
    s.case("load through the securityfs fallback enforces", || {
        let (code, out) = run(LSMCTL, &["load", "--via", "securityfs", DEMO]);
        check(code == 0 && out.contains("via securityfs"), || out)?;
        expect_open(PROBE, "/etc/shadow", "r", libc::EACCES)?;
        expect_open(PROBE, "/etc/passwd", "r", 0)
    });
    s.case(
        "reloading a profile leaves a line naming it as replaced",
        || {
            lsmctl(&["load", "--via", "securityfs", DEMO])?;
            expect_policy_line("replace", "demo")
        },
    );
    s.case("remove through securityfs takes effect", || {
        lsmctl(&["remove", "--via", "securityfs", "demo"])?;
        expect_open(PROBE, "/etc/shadow", "r", 0)
    });
    s.case("dry run verifies without loading", || {
        let before = snapshot();
        lsmctl(&["load", "--dry-run", DEMO])?;
        before.unchanged("the dry run")
    });
}

/// Checks that the kernel log has the line of the last policy change: `op` on one profile
/// `profile` (alone in its load), at the current generation.
fn expect_policy_line(op: &str, profile: &str) -> Result<(), String> {
    let generation =
        fs::read_to_string(format!("{SECFS}/generation")).map_err(|e| e.to_string())?;
    let want = format!(
        "rustlsm: POLICY op={op} profile=\"{profile}\" profiles=1 generation={} ",
        generation.trim()
    );
    let log = kernel_log();
    check(log.contains(&want), || {
        format!("no line containing {want:?}")
    })
}

/// The policy as the kernel shows it: listing, generation and the `policy` blob.
#[derive(Debug, PartialEq)]
pub(crate) struct Snapshot {
    profiles: Result<String, String>,
    generation: Result<String, String>,
    policy: Result<Vec<u8>, String>,
}

pub(crate) fn snapshot() -> Snapshot {
    let text = |f: &str| fs::read_to_string(format!("{SECFS}/{f}")).map_err(|e| e.to_string());
    Snapshot {
        profiles: text("profiles"),
        generation: text("generation"),
        policy: fs::read(format!("{SECFS}/policy")).map_err(|e| e.to_string()),
    }
}

impl Snapshot {
    /// Ok if the policy now reads as this snapshot did, and this snapshot was read whole:
    /// two failed reads would otherwise compare equal.
    pub(crate) fn unchanged(&self, what: &str) -> Outcome {
        for (file, read) in [
            ("profiles", self.profiles.as_ref().err()),
            ("generation", self.generation.as_ref().err()),
            ("policy", self.policy.as_ref().err()),
        ] {
            check(read.is_none(), || {
                format!("baseline read of {file} failed: {read:?}")
            })?;
        }
        let now = snapshot();
        let differ: Vec<&str> = [
            ("profiles", now.profiles == self.profiles),
            ("generation", now.generation == self.generation),
            ("policy", now.policy == self.policy),
        ]
        .iter()
        .filter(|f| !f.1)
        .map(|f| f.0)
        .collect();
        check(differ.is_empty(), || {
            format!("{what} changed the policy ({})", differ.join(", "))
        })
    }
}

pub(crate) fn sys_manage(op: u32, buf: *const u8, size: u32, flags: u32, lsm_id: u32) -> i32 {
    // SAFETY: The kernel validates `buf` against `size`; bad pointers are part of the test.
    let rc = unsafe { libc::syscall(abi::SYS_LSM_MANAGE_POLICY, lsm_id, op, buf, size, flags) };
    if rc == 0 {
        0
    } else {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(-1)
    }
}

pub(crate) fn manage(op: u32, blob: &[u8], flags: u32) -> i32 {
    sys_manage(
        op,
        blob.as_ptr(),
        blob.len() as u32,
        flags,
        abi::LSM_ID_RUSTLSM,
    )
}

pub(crate) fn securityfs_write(file: &str, blob: &[u8]) -> i32 {
    let f = fs::OpenOptions::new()
        .write(true)
        .open(format!("{SECFS}/{file}"));
    match f.and_then(|mut f| f.write(blob)) {
        Ok(_) => 0,
        Err(e) => e.raw_os_error().unwrap_or(-1),
    }
}
