//! What the command-line tests share: running the built lsmctl without a kernel.

use std::process::Command;

/// Runs lsmctl with `args`: (success, stdout, stderr). No kernel answers: loads fail, through
/// securityfs, whatever they try.
pub fn lsmctl(args: &[&str]) -> (bool, String, String) {
    lsmctl_with("/nonexistent", args)
}

/// Runs lsmctl with `securityfs` standing for /sys/kernel/security/rustlsm (a directory of
/// files made to look like the kernel's: `policy`, `profiles`).
pub fn lsmctl_with(securityfs: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lsmctl"))
        .args(args)
        .env("RUSTLSM_SECURITYFS", securityfs)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
