//! Sandboxes any user stacks on itself (`lsmctl run`, `LSM_POLICY_RESTRICT_SELF`), driven as
//! uid 65534 with real programs: busybox applets, a dynamically linked `cat`, a shell, and
//! the probe where an exact errno is the point. One module per concern: what the sandbox's
//! rules allow (files.rs, network.rs), what it can reach outside itself (scope.rs), and the
//! ways one might undo or widen it (limits.rs) or use what it held before (held.rs), a layer
//! on every thread at once (all_threads.rs), and the records its creator reads (records.rs).

mod all_threads;
mod files;
mod held;
mod limits;
mod network;
mod records;
mod scope;

use crate::harness::{kernel_log, output};
use crate::{check, Outcome, Suite, LSMCTL};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// The unprivileged user the cases run as.
const NOBODY: u32 = 65534;
/// Where the cases' files are.
const DIR: &str = "/tmp/sb";
/// The busybox applets' directory: every sandbox that runs one allows executing it.
const BIN: &str = "/bin";

/// The cases this part registers.
pub(crate) const CASES: u32 = files::CASES
    + network::CASES
    + scope::CASES
    + limits::CASES
    + held::CASES
    + all_threads::CASES
    + records::CASES;

pub(crate) fn run(s: &mut Suite) {
    // The log-line cases need room in the kernel log's rate-limit window (100 per 5 s).
    std::thread::sleep(std::time::Duration::from_millis(5200));
    if let Err(e) = fixture() {
        s.case("sandbox fixture", || Err(e));
        return;
    }
    files::run(s);
    network::run(s);
    scope::run(s);
    limits::run(s);
    held::run(s);
    all_threads::run(s);
    // Last: its flood spends some of the sandbox log budget the cases above read.
    records::run(s);
}

/// /tmp/sb, owned by nobody: `tree` (pub.txt, data.log, secret/key), other.txt, work/.
fn fixture() -> Outcome {
    let files = [
        ("tree/pub.txt", "public\n"),
        ("tree/data.log", "log\n"),
        ("tree/secret/key", "key\n"),
        ("other.txt", "other\n"),
        ("work/.keep", ""),
    ];
    for (name, text) in files {
        let path = format!("{DIR}/{name}");
        if let Some(dir) = std::path::Path::new(&path).parent() {
            fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        fs::write(&path, text).map_err(|e| format!("{path}: {e}"))?;
    }
    for dir in [DIR, &format!("{DIR}/work")] {
        std::os::unix::fs::chown(dir, Some(NOBODY), Some(NOBODY)).map_err(|e| e.to_string())?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `lsmctl ARGS` as uid 65534 (stdin an empty pipe); its exit status and output.
fn as_nobody(args: &[&str]) -> (i32, String) {
    output(
        Command::new(LSMCTL)
            .args(args)
            .uid(NOBODY)
            .gid(NOBODY)
            .stdin(Stdio::piped()),
    )
}

/// `lsmctl run SANDBOX -- COMMAND` as uid 65534; its exit status and output.
fn sandboxed(sandbox: &[&str], command: &[&str]) -> (i32, String) {
    let mut args = vec!["run"];
    args.extend_from_slice(sandbox);
    args.push("--");
    args.extend_from_slice(command);
    as_nobody(&args)
}

/// [`sandboxed`] must exit with `code`.
fn expect(sandbox: &[&str], command: &[&str], code: i32) -> Result<String, String> {
    let (got, out) = sandboxed(sandbox, command);
    check(got == code, || {
        format!(
            "lsmctl run {} -- {} -> {got}, expected {code}: {}",
            sandbox.join(" "),
            command.join(" "),
            out.trim()
        )
    })?;
    Ok(out)
}

/// [`expect`] must fail (any non-zero status).
fn expect_refused(sandbox: &[&str], command: &[&str]) -> Result<String, String> {
    let (got, out) = sandboxed(sandbox, command);
    check(got != 0, || {
        format!(
            "lsmctl run {} -- {} succeeded: {}",
            sandbox.join(" "),
            command.join(" "),
            out.trim()
        )
    })?;
    Ok(out)
}

/// A task of uid 65534 outside any sandbox, sleeping until dropped.
struct Outsider(pub(super) Child);

impl Outsider {
    fn start() -> Result<Self, String> {
        let child = Command::new(crate::FREE_PROBE)
            .args(["sleep", "60"])
            .uid(NOBODY)
            .gid(NOBODY)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", crate::FREE_PROBE))?;
        Ok(Outsider(child))
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Outsider {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The kernel-log lines of sandbox refusals (or complain-mode reports) that contain `needle`.
fn sandbox_lines(needle: &str) -> Vec<String> {
    kernel_log()
        .lines()
        .filter(|l| l.contains(" sandbox=") && l.contains(needle))
        .map(str::to_string)
        .collect()
}

/// `sh -c SCRIPT` as uid 65534 outside any sandbox: its exit status and output.
fn nobody_sh(script: &str) -> (i32, String) {
    output(
        Command::new("/bin/sh")
            .args(["-c", script])
            .uid(NOBODY)
            .gid(NOBODY)
            .stdin(Stdio::piped()),
    )
}

/// [`nobody_sh`] that must succeed; its output, or why it failed.
fn as_nobody_shell(script: &str) -> Result<String, String> {
    let (code, out) = nobody_sh(script);
    check(code == 0, || {
        format!("sh -c {script:?} -> {code}: {}", out.trim())
    })?;
    Ok(out)
}

/// `setpriv --nnp rlsm-probe-free ARGS` as uid 65534: its exit status and output.
fn nnp_probe(args: &str) -> (i32, String) {
    nobody_sh(&format!("exec setpriv --nnp {} {args}", crate::FREE_PROBE))
}

/// A layer compiled by lsmctl from `toml`, written to /tmp/sb/NAME.bin for any user to read.
fn layer_blob(name: &str, toml: &str) -> Result<String, String> {
    let bytes = crate::harness::compiled(toml, &format!("sb-{name}"))?;
    let path = format!("{DIR}/{name}.bin");
    fs::write(&path, bytes).map_err(|e| format!("{path}: {e}"))?;
    Ok(path)
}
