//! Registration: rustlsm is listed as an active LSM (securityfs and `lsm_list_modules()`), its
//! securityfs files exist with their modes (securityfs.rs), and the kernel's LSM system-call
//! selftests pass.

use crate::harness;
use crate::{check, Suite, LSMCTL, SECFS};
use rustlsm_policy::wire;
use std::fs;

pub(crate) fn run(s: &mut Suite) {
    s.case("rustlsm is listed in /sys/kernel/security/lsm", || {
        let lsms = fs::read_to_string("/sys/kernel/security/lsm").map_err(|e| e.to_string())?;
        check(lsms.split(',').any(|l| l.trim() == "rustlsm"), || {
            format!("lsm list: {lsms}")
        })
    });
    s.case(
        "rustlsm is listed by lsm_list_modules() and lsmctl status",
        || {
            let (code, out) = harness::run(LSMCTL, &["status", "--json"]);
            // "active" is also true when only securityfs lists rustlsm: look in the system
            // call's own array.
            let listed = out
                .split_once("\"lsm_list_modules\":")
                .and_then(|(_, rest)| rest.trim_start().strip_prefix('['))
                .and_then(|rest| rest.split_once(']'))
                .is_some_and(|(array, _)| array.split(',').any(|n| n.trim() == "\"rustlsm\""));
            check(
                code == 0 && out.contains("\"active\": true") && listed,
                || out,
            )
        },
    );
    s.case("securityfs files exist with their modes", || {
        for (f, mode) in [
            ("load", 0o200),
            ("remove", 0o200),
            ("profiles", 0o444),
            ("policy", 0o400),
            ("generation", 0o444),
            ("abi_version", 0o444),
        ] {
            use std::os::unix::fs::PermissionsExt;
            let m = fs::metadata(format!("{SECFS}/{f}")).map_err(|e| format!("{f}: {e}"))?;
            check(m.permissions().mode() & 0o777 == mode, || {
                format!("{f}: mode {:o}", m.permissions().mode())
            })?;
        }
        let abi = fs::read_to_string(format!("{SECFS}/abi_version")).map_err(|e| e.to_string())?;
        check(abi.trim() == wire::VERSION.to_string(), || {
            format!("abi_version {abi}")
        })
    });
    for test in [
        "lsm_list_modules_test",
        "lsm_get_self_attr_test",
        "lsm_set_self_attr_test",
        "lsm_manage_policy_test",
    ] {
        s.case(&format!("kselftest lsm/{test}"), || {
            let (code, out) = harness::run(&format!("/kselftests/lsm/{test}"), &[]);
            let summary = out
                .lines()
                .filter(|l| l.starts_with("# Totals") || l.contains("not ok"))
                .collect::<Vec<_>>()
                .join(" | ");
            check(code == 0, || format!("exit {code}: {summary}"))
        });
    }
}
