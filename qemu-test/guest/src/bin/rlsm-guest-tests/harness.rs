//! What every family of cases uses: running programs, the probe and `lsmctl`, reading the
//! kernel log, compiling and varying the demo profile, and tasks held under a profile.

use crate::{check, Outcome, DEMO, LSMCTL};
use std::fs;
use std::process::Command;

/// A task sleeping under some profile, killed when dropped.
pub(crate) struct Sleeper(std::process::Child);

impl Sleeper {
    /// Starts `probe`, which must come to run under `profile` ("unconfined" for none).
    pub(crate) fn start(probe: &str, profile: &str) -> Result<Self, String> {
        let child = Command::new(probe)
            .args(["sleep", "60"])
            .spawn()
            .map_err(|e| format!("{probe}: {e}"))?;
        let mut sleeper = Sleeper(child);
        wait_for_profile(&mut sleeper.0, probe, profile)?;
        Ok(sleeper)
    }

    pub(crate) fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `child` has exec'd `probe` and runs under `profile`, so that a case does not
/// meet the unconfined task from before the exec (a fixed sleep is not enough under TCG).
pub(crate) fn wait_for_profile(
    child: &mut std::process::Child,
    probe: &str,
    profile: &str,
) -> Outcome {
    let exe = fs::canonicalize(probe).map_err(|e| format!("{probe}: {e}"))?;
    let proc = format!("/proc/{}", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let now_exe = fs::read_link(format!("{proc}/exe")).ok();
        let current = fs::read_to_string(format!("{proc}/attr/current")).unwrap_or_default();
        if now_exe.as_ref() == Some(&exe) && current.trim_end_matches(['\n', '\0']) == profile {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{probe} ended ({status}) before running under {profile}"
            ));
        }
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "{probe} not under {profile} after 20 s: exe {now_exe:?}, attr {current:?}"
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Runs a command; returns (exit code, stdout + stderr).
pub(crate) fn run(prog: &str, args: &[&str]) -> (i32, String) {
    // Standard input is an empty pipe, not /dev/null: profiles do not list /dev/null, and an
    // exec into a profile revokes (and logs) inherited descriptors the profile may not hold.
    output(
        Command::new(prog)
            .args(args)
            .stdin(std::process::Stdio::piped()),
    )
}

/// Runs `cmd` to its end: (exit code, or -1 if it was killed or did not start; stdout +
/// stderr).
pub(crate) fn output(cmd: &mut Command) -> (i32, String) {
    match cmd.output() {
        Ok(o) => (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        ),
        Err(e) => (-1, format!("cannot run {:?}: {e}", cmd.get_program())),
    }
}

pub(crate) fn lsmctl(args: &[&str]) -> Outcome {
    let (code, out) = run(LSMCTL, args);
    check(code == 0, || {
        format!("lsmctl {} failed: {}", args.join(" "), out.trim())
    })
}

/// The errno `rlsm-probe` reports for opening `path` with `mode` (0 = success).
pub(crate) fn probe_open(probe: &str, path: &str, mode: &str) -> i32 {
    run(probe, &["open", path, mode]).0
}

pub(crate) fn expect_open(probe: &str, path: &str, mode: &str, errno: i32) -> Outcome {
    let got = probe_open(probe, path, mode);
    check(got == errno, || {
        format!("{probe} open {path} {mode}: expected errno {errno}, got {got}")
    })
}

pub(crate) fn kernel_log() -> String {
    run("/bin/dmesg", &[]).1
}

pub(crate) fn compiled(toml: &str, name: &str) -> Result<Vec<u8>, String> {
    let src = format!("/tmp/{name}.toml");
    let out = format!("/tmp/{name}.bin");
    fs::write(&src, toml).map_err(|e| e.to_string())?;
    lsmctl(&["compile", &src, "-o", &out])?;
    fs::read(&out).map_err(|e| e.to_string())
}

pub(crate) fn demo_variant(mode: &str) -> String {
    fs::read_to_string(DEMO)
        .unwrap_or_default()
        .replace("mode = \"enforce\"", &format!("mode = \"{mode}\""))
}
