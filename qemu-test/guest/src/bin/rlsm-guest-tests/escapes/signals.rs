//! M2: a signal asked for with F_SETOWN/F_SETSIG is checked against the profile's signal
//! peers when the kernel sends it, like kill(2).

use super::{expect, has_line, load, new_denials, remove};
use crate::{check, Outcome, Suite};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command};

const DENIED: &str = "/usr/bin/rlsm-probe-esc-sig";
const ALLOWED: &str = "/usr/bin/rlsm-probe-esc-sigok";

const PROFILES: &str = r#"
[profile.esc-sig]
attach = ["/usr/bin/rlsm-probe-esc-sig"]

[profile.esc-sigok]
attach = ["/usr/bin/rlsm-probe-esc-sigok"]
signal = ["unconfined"]
"#;

/// An unconfined `sleep 100`, killed and reaped when dropped.
struct Victim(Child);

impl Victim {
    fn start() -> Result<Self, String> {
        let child = Command::new("/bin/sleep")
            .arg("100")
            .spawn()
            .map_err(|e| e.to_string())?;
        Ok(Victim(child))
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }

    /// Half a second after `sigio-kill PID 9`: None while it lives, else how it ended.
    fn after_sigio(&mut self, probe: &str) -> Result<Option<std::process::ExitStatus>, String> {
        expect(probe, &["sigio-kill", &self.pid(), "9"], 0)?;
        std::thread::sleep(std::time::Duration::from_millis(500));
        self.0.try_wait().map_err(|e| e.to_string())
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(super) fn run(s: &mut Suite) {
    s.case("sigio: load the signal profiles", || {
        load("esc-sig", PROFILES)
    });
    s.case(
        "sigio: kill(2) of an unconfined task is refused (baseline)",
        || {
            let victim = Victim::start()?;
            expect(DENIED, &["kill", &victim.pid(), "0"], libc::EPERM).map(drop)
        },
    );
    s.case(
        "sigio: F_SETSIG SIGKILL to an unconfined task is not delivered",
        || {
            let mut victim = Victim::start()?;
            let mut ended = None;
            let lines = new_denials("esc-sig", || -> Outcome {
                ended = victim.after_sigio(DENIED)?;
                Ok(())
            })?;
            check(ended.is_none(), || format!("the victim ended: {ended:?}"))?;
            has_line(&lines, "signal", "target=\"unconfined\"")
        },
    );
    s.case(
        "sigio: delivered when the profile may signal unconfined tasks",
        || {
            let mut victim = Victim::start()?;
            let ended = victim.after_sigio(ALLOWED)?;
            check(
                ended.and_then(|e| e.signal()) == Some(libc::SIGKILL),
                || format!("the victim: {ended:?}"),
            )
        },
    );
    s.case("sigio: remove the signal profiles", || {
        remove(&["esc-sig", "esc-sigok"])
    });
}
