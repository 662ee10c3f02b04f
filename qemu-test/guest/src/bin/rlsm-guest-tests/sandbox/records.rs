//! A sandbox's records reach its creator and nobody else: the descriptor
//! `LSM_POLICY_RESTRICT_SELF` returns with `FLAG_RECORDS` (read here by the probe, as uid
//! 65534), and `lsmctl run`, which reads it outside the sandbox and prints each refusal with
//! the rule that made it.

use super::{expect, nnp_probe, BIN, DIR, NOBODY};
use crate::harness::output;
use crate::{check, Suite, FREE_PROBE, LSMCTL};
use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(super) const CASES: u32 = 8;

/// Another unprivileged user.
const STRANGER: u32 = 65533;

/// The descriptor number under which task `pid` holds a records descriptor, once it does
/// (within five seconds).
fn records_fd(pid: u32) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(entries) = fs::read_dir(format!("/proc/{pid}/fd")) {
            for entry in entries.flatten() {
                let target = fs::read_link(entry.path()).unwrap_or_default();
                if target.as_os_str() == "anon_inode:[rustlsm-records]" {
                    return Ok(entry.file_name().to_string_lossy().into_owned());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("task {pid} holds no records descriptor"))
}

/// `rlsm-probe pidfd-getfd PID FD` as `uid`, outside any sandbox: the exit status.
fn getfd_as(uid: u32, pid: u32, fd: &str) -> i32 {
    output(
        Command::new(FREE_PROBE)
            .args(["pidfd-getfd", &pid.to_string(), fd])
            .uid(uid)
            .gid(uid),
    )
    .0
}

/// The records of a sandbox `lsmctl run` made: its supervisor holds them, outside; its own
/// user may take them from there, another user may not, and neither may the sandbox.
fn nobody_else() -> Result<(), String> {
    // The sandboxed shell tries every low descriptor of its parent, the supervisor.
    let script = format!(
        "sleep 2; for n in 3 4 5 6 7 8 9; do {FREE_PROBE} pidfd-getfd $PPID $n; echo in:$n:$?; done"
    );
    let child = Command::new(LSMCTL)
        .args([
            "run", "--rox", BIN, "--ro", "/proc", "--", "sh", "-c", &script,
        ])
        .uid(NOBODY)
        .gid(NOBODY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{LSMCTL}: {e}"))?;
    let supervisor = child.id();
    // The shell ends on its own within seconds: reaped whatever the checks found.
    let taken = records_fd(supervisor).map(|fd| {
        let stranger = getfd_as(STRANGER, supervisor, &fd);
        let owner = getfd_as(NOBODY, supervisor, &fd);
        (fd, stranger, owner)
    });
    let finished = child.wait_with_output().map_err(|e| e.to_string())?;
    let (fd, stranger, owner) = taken?;
    let inside = String::from_utf8_lossy(&finished.stdout).into_owned();
    check(stranger == libc::EPERM, || {
        format!("uid {STRANGER} took descriptor {fd} of lsmctl: status {stranger}")
    })?;
    check(owner == 0, || {
        format!("control: the owner, outside, could not take descriptor {fd}: {owner}")
    })?;
    let tried: Vec<_> = inside.lines().filter(|l| l.starts_with("in:")).collect();
    check(
        tried.len() == 7
            && tried
                .iter()
                .all(|l| l.ends_with(&format!(":{}", libc::EPERM))),
        || format!("from inside the sandbox: {inside}"),
    )
}

/// A layer that allows everything but reading `path`, in `mode`.
pub(super) fn deny_one(name: &str, path: &str, mode: &str) -> Result<String, String> {
    super::layer_blob(
        name,
        &format!(
            "[profile.{name}]\nmode = \"{mode}\"\n[[profile.{name}.rule]]\n\
             allow = [\"read\", \"write\", \"exec\"]\npaths = [\"/**\"]\n\
             [[profile.{name}.rule]]\ndeny = [\"read\"]\npaths = [\"{path}\"]\n"
        ),
    )
}

/// The probe's `layer K: ` lines.
fn layer_lines(out: &str, layer: u32) -> Vec<&str> {
    let prefix = format!("layer {layer}: ");
    out.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .collect()
}

pub(super) fn run(s: &mut Suite) {
    s.case(
        "sandbox records: the creator reads each refusal, worded as the log words it",
        || {
            let blob = deny_one("records", &format!("{DIR}/tree/secret/**"), "enforce")?;
            let key = format!("{DIR}/tree/secret/key");
            let (code, out) = nnp_probe(&format!("records {blob} {key} 1"));
            check(code == 0, || format!("records -> {code}: {out}"))?;
            check(
                out.contains("name anon_inode:[rustlsm-records] cloexec true"),
                || format!("descriptor name or flag: {out}"),
            )?;
            let lines = layer_lines(&out, 1);
            check(
                lines.len() == 1
                    && lines[0].starts_with("DENIED sandbox=")
                    && lines[0].contains(&format!(
                        "profile=\"records\" op=open path=\"{key}\" requested=r denied=r pid="
                    )),
                || format!("records: {lines:?}"),
            )
        },
    );
    s.case(
        "sandbox records: nested layers each report to their own creator only",
        || {
            let other = format!("{DIR}/other.txt");
            let public = format!("{DIR}/tree/pub.txt");
            let outer = deny_one("outer", &other, "enforce")?;
            let inner = deny_one("inner", &public, "complain")?;
            let (code, out) = nnp_probe(&format!("records {outer},{inner} {other},{public} 1"));
            check(code == 0, || format!("records -> {code}: {out}"))?;
            let (first, second) = (layer_lines(&out, 1), layer_lines(&out, 2));
            check(
                first.len() == 1
                    && first[0].starts_with("DENIED ")
                    && first[0].contains(&other)
                    && second.len() == 1
                    && second[0].starts_with("ALLOWED ")
                    && second[0].contains(&public),
                || format!("outer {first:?}, inner {second:?}"),
            )
        },
    );
    s.case(
        "sandbox records: lines the ring cannot hold are counted, never block",
        || {
            // Long paths fill the 16 KiB ring in a few refusals, and spend little of the
            // log's rate-limit budget.
            let mut dir = format!("{DIR}/long");
            for _ in 0..12 {
                dir.push('/');
                dir.push_str(&"d".repeat(250));
            }
            fs::create_dir_all(&dir).map_err(|e| format!("{dir}: {e}"))?;
            let file = format!("{dir}/f");
            fs::write(&file, "x").map_err(|e| format!("{file}: {e}"))?;
            let blob = deny_one("flood", &format!("{DIR}/long/**"), "enforce")?;
            let (code, out) = nnp_probe(&format!("records {blob} {file} 12"));
            check(code == 0, || format!("records -> {code}"))?;
            let lines = layer_lines(&out, 1);
            let kept = lines.iter().filter(|l| l.starts_with("DENIED ")).count();
            let lost: usize = lines
                .iter()
                .filter_map(|l| l.strip_prefix("LOST records="))
                .filter_map(|n| n.parse::<usize>().ok())
                .sum();
            // 12 refusals, then one more after the read: each is kept or counted once.
            check(
                kept > 1 && lost > 0 && kept + lost == 13 && lines.len() == kept + 1,
                || {
                    let heads: Vec<_> = lines.iter().map(|l| &l[..l.len().min(40)]).collect();
                    format!("{kept} kept, {lost} lost of 13: {heads:?}")
                },
            )
        },
    );
    s.case(
        "sandbox records: a dry run returns no descriptor and stacks nothing",
        || {
            let key = format!("{DIR}/tree/secret/key");
            let blob = deny_one("records", &format!("{DIR}/tree/secret/**"), "enforce")?;
            let (code, out) = nnp_probe(&format!("records-dry {blob} {key}"));
            check(
                code == 0 && out.contains("returned Ok(0) held 0 opens true"),
                || format!("records-dry -> {code}: {out}"),
            )
        },
    );
    s.case(
        "sandbox records: the stream ends once the sandbox's last task is gone",
        || {
            let blob = deny_one("records", &format!("{DIR}/tree/secret/**"), "enforce")?;
            let key = format!("{DIR}/tree/secret/key");
            let (code, out) = nnp_probe(&format!("records-eof {blob} {key}"));
            check(
                code == 0 && out.contains(&format!("path=\"{key}\"")) && out.ends_with("eof\n"),
                || format!("records-eof -> {code}: {out}"),
            )
        },
    );
    s.case(
        "sandbox records: another user cannot take them, nor can the sandbox",
        nobody_else,
    );
    s.case(
        "sandbox records: lsmctl run prints each refusal with the rule that made it",
        || {
            let tree = format!("{DIR}/tree");
            let secret = format!("{tree}/secret");
            let key = format!("{secret}/key");
            let other = format!("{DIR}/other.txt");
            let out = expect(
                &["--rox", BIN, "--ro", &tree, "--deny", &secret],
                &[
                    "sh",
                    "-c",
                    &format!("cat {key}; cat {other}; cat {tree}/pub.txt"),
                ],
                0,
            )?;
            let denied: Vec<_> = out
                .lines()
                .filter(|l| l.starts_with("lsmctl: denied: cat["))
                .collect();
            check(
                out.contains("public")
                    && denied.len() == 2
                    && denied[0].ends_with(&format!("open {key} (r): refused by --deny {secret}"))
                    && denied[1].ends_with(&format!("open {other} (r): no rule covers it")),
                || format!("lsmctl run said: {out}"),
            )
        },
    );
    s.case(
        "sandbox records: --complain prints what it would deny; --denials-file keeps raw lines",
        || {
            let other = format!("{DIR}/other.txt");
            let out = expect(&["--complain", "--rox", BIN], &["cat", &other], 0)?;
            check(
                out.contains("other")
                    && out.lines().any(|l| {
                        l.starts_with("lsmctl: would deny (complain): cat[")
                            && l.contains(&format!("open {other} (r)"))
                    }),
                || format!("lsmctl run --complain said: {out}"),
            )?;
            let file = format!("{DIR}/work/denials-{}", std::process::id());
            let out = expect(
                &["--denials-file", &file, "--rox", BIN],
                &["cat", &other],
                1,
            )?;
            let raw = fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
            let mode = std::os::unix::fs::PermissionsExt::mode(
                &fs::metadata(&file)
                    .map_err(|e| e.to_string())?
                    .permissions(),
            );
            let _ = fs::remove_file(&file);
            check(
                !out.contains("lsmctl: denied")
                    && mode & 0o777 == 0o600
                    && raw.lines().any(|l| {
                        l.starts_with("DENIED sandbox=") && l.contains(&format!("path=\"{other}\""))
                    }),
                || format!("mode {mode:o}, file {raw:?}, stderr {out:?}"),
            )
        },
    );
}
