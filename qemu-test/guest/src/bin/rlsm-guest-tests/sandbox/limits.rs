//! No way to undo or widen a sandbox: a nested sandbox only narrows, a sandbox under a
//! system profile only narrows it, root in a sandbox cannot touch the system policy, setuid
//! programs lose their power under `no_new_privs`, the op needs `no_new_privs` (or
//! CAP_SYS_ADMIN), descriptors handed in are checked, and the layer and size limits hold.
//! A refused request leaves the task as it was.

use super::{as_nobody, as_nobody_shell, expect, expect_refused, BIN, DIR};
use crate::harness::lsmctl;
use crate::{check, Outcome, Suite, FREE_PROBE, LSMCTL};
use std::fs;
use std::os::unix::fs::PermissionsExt;

pub(super) const CASES: u32 = 11;

const EPERM: i32 = libc::EPERM;
const EACCES: i32 = libc::EACCES;
const EINVAL: i32 = libc::EINVAL;
const E2BIG: i32 = libc::E2BIG;

/// A layer that allows nothing, compiled by lsmctl.
const EMPTY_LAYER: &str = "[profile.layer]\n";

/// `setpriv --nnp probe restrict BLOB N [PROGRAM...]` as nobody: exit status and output.
fn restrict_nnp(blob: &str, times: &str, exec: &str) -> (i32, String) {
    super::nnp_probe(&format!("restrict {blob} {times} {exec}"))
}

/// The system profile of the "under a system profile" case, attached to a probe copy.
const SYSTEM: &str = r#"
[profile.sb-system]
attach = ["/tmp/sb/sys-probe"]
[[profile.sb-system.rule]]
allow = ["read", "exec"]
paths = ["/tmp/sb/tree/**", "/tmp/sb/sys-probe"]
[[profile.sb-system.rule]]
deny = ["read"]
paths = ["/tmp/sb/tree/secret/**"]
"#;

fn under_system_profile() -> Outcome {
    let probe = format!("{DIR}/sys-probe");
    fs::copy(FREE_PROBE, &probe).map_err(|e| format!("{probe}: {e}"))?;
    let file = format!("{DIR}/sb-system.toml");
    fs::write(&file, SYSTEM).map_err(|e| e.to_string())?;
    lsmctl(&["load", &file])?;
    let public = format!("{DIR}/tree/pub.txt");
    let result = (|| {
        // A sandbox allowing everything leaves the system profile's refusals standing.
        let wide = ["--rox", "/", "--ro", "/"];
        expect(&wide, &[&probe, "open", &public, "r"], 0)?;
        expect(
            &wide,
            &[&probe, "open", &format!("{DIR}/tree/secret/key"), "r"],
            EACCES,
        )?;
        expect(
            &wide,
            &[&probe, "open", &format!("{DIR}/other.txt"), "r"],
            EACCES,
        )?;
        // A narrower sandbox narrows it further.
        expect(&["--rox", &probe], &[&probe, "open", &public, "r"], EACCES).map(drop)
    })();
    lsmctl(&["remove", "sb-system"])?;
    result
}

pub(super) fn run(s: &mut Suite) {
    let tree = format!("{DIR}/tree");
    let public = format!("{tree}/pub.txt");
    let other = format!("{DIR}/other.txt");

    s.case("sandbox: a nested sandbox only narrows", || {
        let outer = ["--rox", &format!("{BIN},/usr/bin"), "--ro", &tree];
        // The inner sandbox asks for everything; the outer one still refuses.
        expect_refused(
            &outer,
            &[
                LSMCTL, "run", "--rox", "/", "--ro", "/", "--", "cat", &other,
            ],
        )?;
        expect(
            &outer,
            &[
                LSMCTL, "run", "--rox", "/", "--ro", "/", "--", "cat", &public,
            ],
            0,
        )?;
        // And what the inner one leaves out is refused though the outer allows it.
        expect_refused(&outer, &[LSMCTL, "run", "--rox", BIN, "--", "cat", &public]).map(drop)
    });
    s.case(
        "sandbox: under a system profile, a sandbox only narrows it",
        under_system_profile,
    );
    s.case(
        "sandbox: root in a sandbox cannot load or remove system policy",
        || {
            let generation = || fs::read_to_string(format!("{}/generation", crate::SECFS));
            let before = generation().map_err(|e| e.to_string())?;
            let (code, out) = crate::harness::run(
                LSMCTL,
                &[
                    "run",
                    "--rox",
                    &format!("{BIN},/usr/bin"),
                    "--ro",
                    "/etc",
                    "--",
                    LSMCTL,
                    "load",
                    crate::DEMO,
                ],
            );
            check(code != 0 && out.contains("permission denied"), || {
                format!("lsmctl load in a sandbox -> {code}: {out}")
            })?;
            let after = generation().map_err(|e| e.to_string())?;
            check(before == after, || {
                format!("the generation went from {before} to {after}")
            })
        },
    );
    s.case(
        "sandbox: no_new_privs makes a setuid program powerless inside",
        || {
            let suid = format!("{DIR}/suid-probe");
            fs::copy(FREE_PROBE, &suid).map_err(|e| e.to_string())?;
            std::os::unix::fs::chown(&suid, Some(0), Some(0)).map_err(|e| e.to_string())?;
            fs::set_permissions(&suid, fs::Permissions::from_mode(0o4755))
                .map_err(|e| e.to_string())?;
            // Outside a sandbox the setuid bit works (euid 0 may set every id to 0) ...
            as_nobody_shell(&format!("{suid} setuid 0"))?;
            // ... inside it does not.
            expect(
                &["--rox", &format!("{BIN},{suid}")],
                &[&suid, "setuid", "0"],
                EPERM,
            )
            .map(drop)
        },
    );
    s.case(
        "sandbox: the op needs no_new_privs from an unprivileged task",
        || {
            let layer = super::layer_blob("empty", EMPTY_LAYER)?;
            let (code, out) = super::nobody_sh(&format!("{FREE_PROBE} restrict {layer} 1"));
            check(code == EPERM, || {
                format!("restrict without no_new_privs -> {code}: {out}")
            })?;
            let (code, out) = restrict_nnp(&layer, "1", "");
            check(code == 0, || {
                format!("restrict with no_new_privs -> {code}: {out}")
            })
        },
    );
    s.case(
        "sandbox: 16 layers stack, the 17th is refused with E2BIG",
        || {
            let layer = super::layer_blob("empty", EMPTY_LAYER)?;
            let (code, out) = restrict_nnp(&layer, "17", "");
            check(code == E2BIG && out.contains("stacked 16"), || {
                format!("17 layers -> {code}: {out}")
            })
        },
    );
    s.case(
        "sandbox: refused requests leave the task unsandboxed",
        || {
            let big = format!("{DIR}/big.bin");
            fs::write(&big, vec![0u8; rustlsm_policy::abi::MAX_LAYER_LEN + 1])
                .map_err(|e| e.to_string())?;
            // A layer whose last byte is cut off: the header's length no longer adds up.
            let bad = format!("{DIR}/bad.bin");
            let mut cut =
                fs::read(super::layer_blob("empty", EMPTY_LAYER)?).map_err(|e| e.to_string())?;
            cut.pop();
            fs::write(&bad, cut).map_err(|e| e.to_string())?;
            let attached =
                super::layer_blob("attached", "[profile.x]\nattach = [\"/bin/true\"]\n")?;
            // A layer moves no program to another profile: exec rules naming one are refused.
            let named = super::layer_blob(
                "named",
                "[profile.x]\n[[profile.x.rule]]\nallow = [\"exec\"]\npaths = [\"/bin/true\"]\n\
                 transition = { profile = \"y\" }\n",
            )?;
            let refusals = [
                (&big, E2BIG),
                (&bad, EINVAL),
                (&attached, EINVAL),
                (&named, EINVAL),
            ];
            for (file, errno) in refusals {
                // After the refusal the same task still reads what no layer would allow.
                let (code, out) = restrict_nnp(file, "1", &format!("/bin/cat {other}"));
                check(
                    code == 0 && out.contains(&format!("errno {errno}")) && out.contains("other"),
                    || format!("restrict {file} -> {code}: {out}"),
                )?;
            }
            Ok(())
        },
    );
    s.case(
        "sandbox: a descriptor handed in from outside is checked",
        || {
            let sock = format!("{DIR}/pass.sock");
            let sandbox = ["--rox", BIN, "--unix", &sock, "--ro", &tree];
            let command = [FREE_PROBE, "recv-fd", &sock];
            let server = crate::escapes::descriptors::serve_at(&sock, &other)?;
            let refused = expect(&sandbox, &command, EACCES);
            server
                .join()
                .map_err(|_| "the server panicked".to_string())??;
            check(refused?.contains("truncated"), || {
                "the descriptor arrived".into()
            })?;
            let server = crate::escapes::descriptors::serve_at(&sock, &public)?;
            let allowed = expect(&sandbox, &command, 0);
            server
                .join()
                .map_err(|_| "the server panicked".to_string())??;
            allowed.map(drop)
        },
    );
    s.case(
        "sandbox: lsmctl features says sandboxes work, to any user",
        || {
            let (code, out) = as_nobody(&["features"]);
            check(
                code == 0
                    && out.contains("sandboxes (lsmctl run): yes")
                    && out.contains("\n  records (")
                    && out.contains("\n  all-threads (")
                    && out.contains("\n  listener ("),
                || format!("lsmctl features -> {code}: {out}"),
            )
        },
    );
    s.case(
        "sandbox: a profile file is a sandbox's starting rules",
        || {
            let file = format!("{DIR}/profile.toml");
            let toml = format!(
            "[profile.build]\n[[profile.build.rule]]\nallow = [\"read\"]\npaths = [\"{tree}/**\"]\n"
        );
            fs::write(&file, toml).map_err(|e| e.to_string())?;
            fs::set_permissions(&file, fs::Permissions::from_mode(0o644))
                .map_err(|e| e.to_string())?;
            expect(&["--profile", &file, "--rox", BIN], &["cat", &public], 0)?;
            expect_refused(&["--profile", &file, "--rox", BIN], &["cat", &other]).map(drop)
        },
    );
    s.case(
        "sandbox: bad command lines are errors that name the flag",
        || {
            let (code, out) = as_nobody(&["run", "--connect-tcp", "80x", "--", "true"]);
            check(
                code != 0 && out.contains("--connect-tcp") && out.contains("80x"),
                || format!("--connect-tcp 80x -> {code}: {out}"),
            )?;
            let (code, out) = as_nobody(&["run", "--ro", "relative/*", "--", "true"]);
            check(code != 0 && out.contains("absolute"), || {
                format!("--ro relative/* -> {code}: {out}")
            })
        },
    );
}
