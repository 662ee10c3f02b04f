//! The attacker's suite: one module per escape class of the escape review
//! (/work/shared/design/escape-review.md, kept with the design notes). Each class loads small
//! profiles of its own, attached to probe copies installed for it (qemu-test/build-initramfs.sh,
//! `/usr/bin/rlsm-probe-esc-*`), tries the escape, and checks the documented errno and the
//! kernel-log line; a legitimate counterpart shows the profile still lets honest work through.
//! The profiles are removed at the end of each class.

mod append;
mod chroot;
mod create_paths;
mod decision_cache;
pub(crate) mod descriptors;
mod exec_hygiene;
mod ioctl;
mod misc;
mod mount_api;
mod mqueue;
mod net_bypass;
mod rename;
mod sandboxing;
mod setid;
mod signals;
mod unix;

use crate::harness::{kernel_log, lsmctl, output};
use crate::{check, Outcome, Suite};
use std::ffi::CString;
use std::fs;
use std::process::{Command, Stdio};

pub(crate) fn run(s: &mut Suite) {
    // Earlier cases may have spent this window's budget of kernel-log lines (100 per 5 s):
    // start with a fresh one so every denial line asserted here is printed.
    std::thread::sleep(std::time::Duration::from_millis(5200));
    unix::run(s);
    net_bypass::run(s);
    create_paths::run(s);
    rename::run(s);
    signals::run(s);
    descriptors::run(s);
    chroot::run(s);
    append::run(s);
    setid::run(s);
    mount_api::run(s);
    mqueue::run(s);
    exec_hygiene::run(s);
    ioctl::run(s);
    misc::run(s);
    // Last: its churn case fills the kernel log's rate-limit window with refusals.
    decision_cache::run(s);
}

/// The classes again, with each profile stacked by `lsmctl run --profile` on the probe it
/// named instead of loaded and attached: the same escapes must fail inside a sandbox (the
/// attacker's suite inside a self-sandbox). Left out: unix and signals, whose profiles name
/// peer profiles, which a sandbox cannot (it is scoped instead: sandbox/scope.rs);
/// descriptors and exec hygiene, which are about what a profile-changing exec does; and the
/// decision cache, which layers do not use.
pub(crate) fn run_sandboxed(s: &mut Suite) {
    std::thread::sleep(std::time::Duration::from_millis(5200));
    // The classes' fixtures, as each class makes them: what the first run left (renamed
    // directories, created files) would change the cases.
    for dir in ["/tmp/esc", "/mnt/ext4/esc"] {
        if let Err(e) = fs::remove_dir_all(dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                s.case("escapes in sandboxes: a fresh fixture", || {
                    Err(format!("{dir}: {e}"))
                });
            }
        }
    }
    // No system profile of the classes may decide in their layers' place.
    s.case(
        "escapes in sandboxes: no profile of the classes is loaded",
        || {
            let loaded = fs::read_to_string(format!("{}/profiles", crate::SECFS))
                .map_err(|e| e.to_string())?;
            check(!loaded.lines().any(|l| l.starts_with("esc-")), || {
                format!("loaded: {loaded}")
            })
        },
    );
    sandboxing::set(true);
    s.prefix = "in a sandbox: ";
    net_bypass::run(s);
    create_paths::run(s);
    rename::run(s);
    chroot::run(s);
    append::run(s);
    setid::run(s);
    mount_api::run(s);
    mqueue::run(s);
    ioctl::run(s);
    misc::run(s);
    s.prefix = "";
    sandboxing::set(false);
}

fn c_string(path: &str) -> Result<CString, String> {
    CString::new(path).map_err(|e| e.to_string())
}

/// `mount(source, target, fstype, flags)` as the (unconfined) runner, creating `target`.
fn mount(source: &str, target: &str, fstype: &str, flags: libc::c_ulong) -> Outcome {
    std::fs::create_dir_all(target).map_err(|e| format!("{target}: {e}"))?;
    let (source, target_c, fstype) = (c_string(source)?, c_string(target)?, c_string(fstype)?);
    // SAFETY: Valid C strings; no data argument.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target_c.as_ptr(),
            fstype.as_ptr(),
            flags,
            std::ptr::null(),
        )
    };
    check(rc == 0, || {
        format!("mount on {target}: {}", std::io::Error::last_os_error())
    })
}

/// `umount(target)` as the runner.
fn umount(target: &str) -> Outcome {
    let target_c = c_string(target)?;
    // SAFETY: A valid C string.
    let rc = unsafe { libc::umount(target_c.as_ptr()) };
    check(rc == 0, || {
        format!("umount {target}: {}", std::io::Error::last_os_error())
    })
}

/// Writes `toml` to /tmp/esc/NAME.toml and loads it with lsmctl; when sandboxing, keeps each
/// of its profiles as a layer for the probes it attaches to instead.
fn load(name: &str, toml: &str) -> Outcome {
    fs::create_dir_all("/tmp/esc").map_err(|e| e.to_string())?;
    if sandboxing::on() {
        return sandboxing::keep(toml);
    }
    let file = format!("/tmp/esc/{name}.toml");
    fs::write(&file, toml).map_err(|e| format!("{file}: {e}"))?;
    lsmctl(&["load", &file])
}

/// Removes every profile named; all are tried even when one fails.
fn remove(names: &[&str]) -> Outcome {
    if sandboxing::on() {
        return Ok(());
    }
    let failed: Vec<String> = names
        .iter()
        .filter_map(|n| lsmctl(&["remove", n]).err())
        .collect();
    check(failed.is_empty(), || failed.join("; "))
}

/// A command for a probe whose standard input is an empty pipe, not /dev/null: the profiles
/// here grant nothing on /dev/null, and the runner's own stdin is the console. (What a
/// confined program started on /dev/null gets is a case of its own, in descriptors.rs.)
fn command(prog: &str) -> Command {
    let mut cmd = sandboxing::command(prog);
    cmd.stdin(Stdio::piped());
    cmd
}

/// `crate::harness::run` with the stdin of [`command`].
fn run_probe(prog: &str, args: &[&str]) -> (i32, String) {
    output(command(prog).args(args))
}

/// `probe ARGS` must end with `errno`; returns its output.
fn expect(probe: &str, args: &[&str], errno: i32) -> Result<String, String> {
    let (got, out) = run_probe(probe, args);
    check(got == errno, || {
        format!(
            "{probe} {} -> {got}, expected {errno}: {}",
            args.join(" "),
            out.trim()
        )
    })?;
    Ok(out)
}

/// The kernel-log lines of `profile`'s refusals (DENIED, or KILLED in kill mode).
fn denials(profile: &str) -> Vec<String> {
    let name = format!(" profile=\"{profile}\" ");
    // `VERDICT sandbox=ID profile=...` when the profile is a sandbox's layer.
    let refusal = |l: &str| {
        ["DENIED", "KILLED"].iter().any(|v| {
            l.split_once(&format!("{v} ")).is_some_and(|(_, rest)| {
                // Inside sandboxes, only a layer's line counts: a system profile's would
                // not show that the sandbox refused.
                let rest = match rest.strip_prefix("sandbox=") {
                    Some(r) => r
                        .trim_start_matches(|c: char| c.is_ascii_digit())
                        .trim_start(),
                    None if sandboxing::on() => return false,
                    None => rest,
                };
                rest.starts_with(&name[1..])
            })
        })
    };
    kernel_log()
        .lines()
        .filter(|l| l.contains(&name) && refusal(l))
        .map(str::to_string)
        .collect()
}

/// Runs `f`, then returns the refusal lines of `profile` that appeared meanwhile (each line
/// carries a timestamp and a pid, so a line seen before is not new).
fn new_denials(profile: &str, f: impl FnOnce() -> Outcome) -> Result<Vec<String>, String> {
    let before = denials(profile);
    f()?;
    let mut seen = before;
    Ok(denials(profile)
        .into_iter()
        .filter(|l| match seen.iter().position(|b| b == l) {
            Some(i) => {
                seen.swap_remove(i);
                false
            }
            None => true,
        })
        .collect())
}

/// One of `lines` has `op=OP ` (any op when empty) and `needle`.
fn has_line(lines: &[String], op: &str, needle: &str) -> Outcome {
    let op = format!(" op={op}");
    check(
        lines.iter().any(|l| l.contains(&op) && l.contains(needle)),
        || format!("no new kernel-log line with {op:?} and {needle:?}: {lines:?}"),
    )
}

/// `probe ARGS` is refused with `errno` and `profile`'s refusal is logged as `op` with
/// `needle` (a path or an address, quotes included where the log has them).
fn refused(
    probe: &str,
    args: &[&str],
    errno: i32,
    profile: &str,
    op: &str,
    needle: &str,
) -> Outcome {
    let lines = new_denials(profile, || expect(probe, args, errno).map(drop))?;
    has_line(&lines, op, needle)
}

/// Creates the directories and files (with their contents) a class works on.
fn fixture(dirs: &[&str], files: &[(&str, &str)]) -> Outcome {
    for d in dirs {
        fs::create_dir_all(d).map_err(|e| format!("{d}: {e}"))?;
    }
    for (f, content) in files {
        fs::write(f, content).map_err(|e| format!("{f}: {e}"))?;
    }
    Ok(())
}

/// The content of a file, or the error as text.
fn content(path: &str) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| format!("({path}: {e})"))
}

/// Where the ext4 image (qemu-test/build-initramfs.sh) is mounted: a filesystem whose dcache
/// keeps negative dentries, unlike tmpfs.
const EXT4: &str = "/mnt/ext4";

/// Mounts /images/ext4.img on /mnt/ext4 through a loop device, once.
fn ext4() -> Outcome {
    let mounts = fs::read_to_string("/proc/mounts").map_err(|e| e.to_string())?;
    if mounts.contains(" /mnt/ext4 ext4 ") {
        return Ok(());
    }
    fs::create_dir_all(EXT4).map_err(|e| e.to_string())?;
    let (code, dev) = crate::harness::run("/bin/losetup", &["-f"]);
    let dev = dev.trim().to_string();
    check(code == 0 && dev.starts_with("/dev/loop"), || {
        format!("losetup -f: {code} {dev}")
    })?;
    for (prog, args) in [
        ("/bin/losetup", vec![dev.as_str(), "/images/ext4.img"]),
        ("/bin/mount", vec!["-t", "ext4", dev.as_str(), EXT4]),
    ] {
        let (code, out) = crate::harness::run(prog, &args);
        check(code == 0, || {
            format!("{prog} {}: {code} {out}", args.join(" "))
        })?;
    }
    Ok(())
}
