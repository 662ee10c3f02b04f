//! `lsmctl run` as a supervisor: the fork, the child's report, the exit status and the
//! signals lsmctl passes on. These run the real binary with `--best-effort --rox /`: where the
//! kernel cannot sandbox (as where these tests were written) the command runs unsandboxed
//! and says so; where it can, `--rox /` lets the commands below run all the same. They test
//! supervision, not the sandbox: the sandbox and its records are the kernel tests' business
//! (qemu-test).

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

fn lsmctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lsmctl"))
}

/// `lsmctl run --best-effort --rox / EXTRA -- sh -c SCRIPT`, its exit status.
fn run_sh(extra: &[&str], script: &str) -> Option<i32> {
    lsmctl()
        .args(["run", "--best-effort", "--rox", "/"])
        .args(extra)
        .args(["--", "sh", "-c", script])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .code()
}

#[test]
fn the_exit_status_is_the_commands() {
    assert_eq!(run_sh(&[], "exit 0"), Some(0));
    assert_eq!(run_sh(&[], "exit 3"), Some(3));
    assert_eq!(run_sh(&["--no-denials"], "exit 5"), Some(5));
}

#[test]
fn a_command_killed_by_a_signal_makes_128_plus_it() {
    assert_eq!(run_sh(&[], "kill -TERM $$"), Some(128 + libc::SIGTERM));
    assert_eq!(run_sh(&[], "kill -KILL $$"), Some(128 + libc::SIGKILL));
}

#[test]
fn a_command_that_cannot_run_makes_127_or_126() {
    let status = |cmd: &str| {
        lsmctl()
            .args(["run", "--best-effort", "--rox", "/", "--", cmd])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(status("/nonexistent/lsmctl-test"), Some(127));
    assert_eq!(status("/"), Some(126));
}

#[test]
fn sigterm_to_lsmctl_reaches_the_command() {
    let mut child = lsmctl()
        .args(["run", "--best-effort", "--rox", "/", "--"])
        .args(["sh", "-c", "echo ready; exec sleep 30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Once the command runs, lsmctl has its signals blocked (they were, before the fork).
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: `kill` takes no pointers; `pid` is the lsmctl this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM));
}

#[test]
fn the_denials_file_is_created_private() {
    let dir = std::env::temp_dir().join(format!("lsmctl-denials-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("denials.log");
    let _ = std::fs::remove_file(&file);
    let arg = file.to_str().unwrap();
    assert_eq!(run_sh(&["--denials-file", arg], "exit 0"), Some(0));
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    // A file that cannot be opened is an error before anything runs.
    let out = lsmctl()
        .args([
            "run",
            "--denials-file",
            "/nonexistent/lsmctl/d.log",
            "--",
            "true",
        ])
        .output()
        .unwrap();
    // lsmctl's own failure, told apart from the command's.
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("lsmctl: --denials-file /nonexistent/lsmctl/d.log: "),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_denials_and_a_denials_file_exclude_each_other() {
    let out = lsmctl()
        .args(["run", "--no-denials", "--denials-file", "x", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn the_help_describes_records() {
    let out = lsmctl().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for words in [
        "--no-denials",
        "--denials-file <FILE>",
        "shows each refusal",
        "128 + N",
        "0600",
    ] {
        assert!(help.contains(words), "{words:?} missing from:\n{help}");
    }
}
