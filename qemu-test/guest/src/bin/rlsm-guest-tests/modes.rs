//! Profile modes and replacement (report.rs, policy.rs): complain allows and logs ALLOWED, kill
//! refuses, logs KILLED and kills, and a replaced profile takes effect for a task already
//! running under it.

use crate::harness::{demo_variant, expect_open, kernel_log, lsmctl, probe_open, wait_for_profile};
use crate::{check, Suite, DEMO, PROBE};
use std::fs;
use std::process::Command;

pub(crate) fn run(s: &mut Suite) {
    s.case("complain mode allows and logs ALLOWED", || {
        fs::write("/tmp/demo-complain.toml", demo_variant("complain"))
            .map_err(|e| e.to_string())?;
        lsmctl(&["load", "/tmp/demo-complain.toml"])?;
        let r = expect_open(PROBE, "/etc/shadow", "r", 0);
        let log = kernel_log();
        lsmctl(&["load", DEMO])?;
        r?;
        check(
            log.contains("ALLOWED profile=\"demo\" op=open path=\"/etc/shadow\""),
            || "no ALLOWED line".into(),
        )
    });
    s.case("kill mode refuses, logs KILLED and kills the task", || {
        use std::os::unix::process::ExitStatusExt;
        fs::write("/tmp/demo-kill.toml", demo_variant("kill")).map_err(|e| e.to_string())?;
        lsmctl(&["load", "/tmp/demo-kill.toml"])?;
        let status = Command::new(PROBE)
            .args(["open", "/etc/shadow", "r"])
            .status()
            .map_err(|e| e.to_string());
        let allowed = probe_open(PROBE, "/etc/passwd", "r");
        let log = kernel_log();
        lsmctl(&["load", DEMO])?;
        let status = status?;
        check(status.signal() == Some(libc::SIGKILL), || {
            format!("probe ended with {status:?}, not SIGKILL")
        })?;
        check(allowed == 0, || {
            format!("allowed open failed with {allowed}")
        })?;
        check(
            log.contains("KILLED profile=\"demo\" op=open path=\"/etc/shadow\""),
            || "no KILLED line".into(),
        )
    });
    s.case(
        "a replacement takes effect for a task already running the profile",
        || {
            let _ = fs::remove_file("/tmp/trigger");
            let mut child = Command::new(PROBE)
                .args(["wait-open", "/tmp/trigger", "/etc/shadow", "r"])
                .spawn()
                .map_err(|e| e.to_string())?;
            // The swap must land after the exec, on a task already under demo.
            if let Err(e) = wait_for_profile(&mut child, PROBE, "demo") {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
            fs::write("/tmp/demo-complain.toml", demo_variant("complain"))
                .map_err(|e| e.to_string())?;
            lsmctl(&["load", "/tmp/demo-complain.toml"])?;
            fs::write("/tmp/trigger", b"go").map_err(|e| e.to_string())?;
            let status = child
                .wait_with_output()
                .map_err(|e| e.to_string())?
                .status
                .code();
            lsmctl(&["load", DEMO])?;
            check(status == Some(0), || {
                format!("running task still enforced: {status:?}")
            })
        },
    );
}
