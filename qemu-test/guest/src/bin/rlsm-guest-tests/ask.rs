//! Ask mode (ask.rs, `LSM_POLICY_LISTEN`): an access a profile's `ask` rules leave to an
//! agent waits in `open()` for the agent's answer, and is refused at once, with the request
//! still delivered, where a task may not wait (`mkdir`, under the directory's lock). The
//! agent here is this program, through the raw listener, then `lsmctl agent`.
//!
//! Covered: each answer (once, session) both ways; explicit rules win over asking; no
//! listener; the timeout and a late answer; the listener closed while tasks wait; a task
//! killed while it waits; a waiting task frozen by the cgroup freezer (as a suspend freezes
//! it) and going on once thawed; identical requests merged and a bounded queue; an immediate
//! refusal that still asks; the agent's own thread group never asked; who may listen; and
//! `lsmctl agent` answering from its input, with "always" answers written as rules that
//! outlive it, for the probe and for Debian's cat (glibc) under `abstractions/base`.

use crate::harness::{self, kernel_log, lsmctl};
use crate::{check, Outcome, Suite, FREE_PROBE, LSMCTL};
use rustlsm_policy::{abi, listen::listen_buffer};
use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const CASES: u32 = 20;

const PROBE: &str = "/usr/bin/rlsm-probe-ask";
const CAT: &str = "/usr/bin/rlsm-ask-cat";
const DIR: &str = "/tmp/ask";
pub(crate) const PROFILES: &str = "/tmp/ask-profiles";
pub(crate) const INCLUDES: &str = "/tmp/ask-include";
/// A file no rule of the ask profile names.
const OUTSIDE: &str = "/tmp/ask-outside";

const ASK_PROFILE: &str = r#"
[profile.asker]
attach = ["/usr/bin/rlsm-probe-ask"]
include_if_exists = ["local/asker"]

[[profile.asker.rule]]
allow = ["read"]
paths = ["/tmp/ask/open"]

[[profile.asker.rule]]
deny = ["read"]
paths = ["/tmp/ask/never"]

[[profile.asker.rule]]
ask = ["read", "write", "create"]
paths = ["/tmp/ask/**"]

[profile.askcat]
attach = ["/usr/bin/rlsm-ask-cat"]
mode = "ask"
include = ["abstractions/base"]
"#;

/// A listener opened by this program (the agent), closed when dropped.
pub(crate) struct Listener(fs::File);

impl Listener {
    /// A listener for every ask profile whose tasks wait `wait_ms` (0: the default) and that
    /// holds `max_pending` requests (0: the default).
    pub(crate) fn open(wait_ms: u32, max_pending: u32) -> Result<Self, String> {
        let buffer = listen_buffer(wait_ms, max_pending, &[]).ok_or("bad listen buffer")?;
        let fd = rlsm_guest::manage_policy_value(abi::LSM_POLICY_LISTEN, &buffer, 0)
            .map_err(|e| format!("LSM_POLICY_LISTEN: errno {e}"))?;
        // SAFETY: The kernel just returned this descriptor as a new one of ours.
        Ok(Listener(unsafe { fs::File::from_raw_fd(fd) }))
    }

    /// The next request, waiting up to `ms` milliseconds; `None` if none came.
    pub(crate) fn next(&mut self, ms: i32) -> Result<Option<Request>, String> {
        let mut pfd = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready <= 0 {
            return Ok(None);
        }
        let mut buf = vec![0; 20 << 10];
        let n = self.0.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        let line = String::from_utf8_lossy(&buf[..n]).into_owned();
        let request = Request::parse(&line).ok_or(format!("not a request: {line:?}"))?;
        Ok(Some(request))
    }

    /// The next request, which must come within 20 s.
    pub(crate) fn expect(&mut self) -> Result<Request, String> {
        self.next(20_000)?
            .ok_or("no request within 20 s".to_string())
    }

    /// Writes `answer`; the errno if the kernel refused it.
    pub(crate) fn answer(&mut self, id: u64, answer: &str) -> Result<(), i32> {
        let line = format!("{id} {answer}\n");
        self.0
            .write(line.as_bytes())
            .map(|_| ())
            .map_err(|e| e.raw_os_error().unwrap_or(-1))
    }
}

/// One request as the kernel words it.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) id: u64,
    pub(crate) line: String,
}

impl Request {
    fn parse(line: &str) -> Option<Self> {
        let id = line.strip_prefix("id=")?.split(' ').next()?.parse().ok()?;
        Some(Request {
            id,
            line: line.trim_end().to_string(),
        })
    }

    pub(crate) fn has(&self, field: &str) -> bool {
        self.line.split(' ').any(|f| f == field)
    }

    /// The value of the unquoted field `key`.
    pub(crate) fn field(&self, key: &str) -> Option<&str> {
        self.line
            .split(' ')
            .find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
    }
}

/// Starts the probe with `args` (its exit status is the errno), its output in pipes: the
/// console it would inherit is refused at the exec, and those refusals would spend the
/// kernel log's budget that this family's checks read.
fn spawn(args: &[&str]) -> Result<Child, String> {
    spawn_program(PROBE, args)
}

/// [`spawn`] for the unconfined probe.
fn spawn_free(args: &[&str]) -> Result<Child, String> {
    spawn_program(FREE_PROBE, args)
}

pub(crate) fn spawn_program(program: &str, args: &[&str]) -> Result<Child, String> {
    Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))
}

/// The errno `child` exits with, waiting at most `secs` seconds (then it is killed and this
/// fails: a task must never hang).
pub(crate) fn errno_within(child: Child, secs: u64) -> Result<i32, String> {
    output_within(child, secs).map(|(code, _)| code)
}

/// [`errno_within`], with what `child` wrote to its standard output (-1 for a child killed
/// by a signal).
pub(crate) fn output_within(mut child: Child, secs: u64) -> Result<(i32, String), String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the probe still waited after {secs} s"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    Ok((status.code().unwrap_or(-1), out))
}

pub(crate) fn expect_errno(what: &str, got: i32, want: i32) -> Outcome {
    check(got == want, || {
        format!("{what}: errno {got}, expected {want}")
    })
}

/// Whether the kernel log has a line with every one of `words` since `mark` bytes.
pub(crate) fn logged_since(mark: usize, words: &[&str]) -> bool {
    let log = kernel_log();
    log.get(mark..)
        .unwrap_or(&log)
        .lines()
        .any(|l| words.iter().all(|w| l.contains(w)))
}

pub(crate) fn log_mark() -> usize {
    kernel_log().len()
}

fn file(name: &str) -> String {
    format!("{DIR}/{name}")
}

pub(crate) fn run(s: &mut Suite) {
    s.case("ask: load an ask profile", || {
        fs::copy(FREE_PROBE, PROBE).map_err(|e| format!("{PROBE}: {e}"))?;
        fs::copy("/usr/bin/rlsm-dyn-cat", CAT).map_err(|e| format!("{CAT}: {e}"))?;
        fs::create_dir_all(DIR).map_err(|e| e.to_string())?;
        for name in [
            "a", "b", "c", "d", "open", "never", "gone", "late", "same", "cat-me", "frozen",
        ] {
            fs::write(file(name), format!("{name}\n")).map_err(|e| e.to_string())?;
        }
        for i in 0..6 {
            fs::write(file(&format!("many{i}")), "x\n").map_err(|e| e.to_string())?;
        }
        fs::write(OUTSIDE, "x\n").map_err(|e| e.to_string())?;
        fs::create_dir_all(PROFILES).map_err(|e| e.to_string())?;
        fs::create_dir_all(format!("{INCLUDES}/local")).map_err(|e| e.to_string())?;
        let _ = fs::remove_file(format!("{INCLUDES}/local/asker.toml"));
        let profile = format!("{PROFILES}/asker.toml");
        fs::write(&profile, ASK_PROFILE).map_err(|e| e.to_string())?;
        lsmctl(&["-I", INCLUDES, "load", &profile])
    });

    s.case(
        "ask: with no agent, an ask is a refusal that says so",
        || {
            let mark = log_mark();
            let errno = errno_within(spawn(&["open", &file("a"), "r"])?, 20)?;
            expect_errno("open with no listener", errno, libc::EACCES)?;
            check(
                logged_since(
                    mark,
                    &["profile=\"asker\"", "path=\"/tmp/ask/a\"", "ask=none"],
                ),
                || "no DENIED line with ask=none".into(),
            )
        },
    );

    s.case(
        "ask: allow once lets the open through, the next open asks again",
        || {
            let mut l = Listener::open(20_000, 0)?;
            let child = spawn(&["open", &file("a"), "r"])?;
            let pid = child.id();
            let r = l.expect()?;
            let wanted = [
                format!("pid={pid}"),
                "profile=\"asker\"".into(),
                "op=open".into(),
                "requested=r".into(),
                "path=\"/tmp/ask/a\"".into(),
                "comm=\"rlsm-probe-ask\"".into(),
            ];
            for w in &wanted {
                check(r.has(w), || format!("request {:?} lacks {w}", r.line))?;
            }
            // The descriptor that came with it is the very file being opened.
            let fd: i32 = r
                .field("fd")
                .and_then(|n| n.parse().ok())
                .ok_or(format!("request {:?} has no fd", r.line))?;
            // SAFETY: The kernel installed `fd` in this process for the read; this owns it.
            let object = unsafe { fs::File::from_raw_fd(fd) };
            let got = object
                .metadata()
                .map_err(|e| format!("fstat fd {fd}: {e}"))?;
            let want = fs::metadata(file("a")).map_err(|e| e.to_string())?;
            check(got.ino() == want.ino() && got.dev() == want.dev(), || {
                format!("fd {fd} is inode {}, the file {}", got.ino(), want.ino())
            })?;
            drop(object);
            l.answer(r.id, "allow once")
                .map_err(|e| format!("answer: errno {e}"))?;
            expect_errno("allowed open", errno_within(child, 20)?, 0)?;
            let child = spawn(&["open", &file("a"), "r"])?;
            let r = l.expect()?;
            l.answer(r.id, "deny once")
                .map_err(|e| format!("answer: errno {e}"))?;
            expect_errno("denied open", errno_within(child, 20)?, libc::EACCES)?;
            check(
                logged_since(0, &["path=\"/tmp/ask/a\"", "ask=denied"]),
                || "no DENIED line with ask=denied".into(),
            )
        },
    );

    s.case(
        "ask: a session answer holds for the listener's life, both ways",
        || {
            let mut l = Listener::open(20_000, 0)?;
            let child = spawn(&["open", &file("b"), "r"])?;
            let r = l.expect()?;
            l.answer(r.id, "allow session")
                .map_err(|e| format!("answer: errno {e}"))?;
            expect_errno("first open", errno_within(child, 20)?, 0)?;
            let again = errno_within(spawn(&["open", &file("b"), "r"])?, 20)?;
            expect_errno("second open, no request", again, 0)?;
            // Writing was not asked for: asked anew, refused for the session.
            let child = spawn(&["open", &file("b"), "w"])?;
            let r = l.expect()?;
            check(r.has("requested=w"), || format!("request {:?}", r.line))?;
            l.answer(r.id, "deny session")
                .map_err(|e| format!("answer: errno {e}"))?;
            expect_errno("write", errno_within(child, 20)?, libc::EACCES)?;
            let again = errno_within(spawn(&["open", &file("b"), "w"])?, 20)?;
            expect_errno("write again, no request", again, libc::EACCES)?;
            check(l.next(200)?.is_none(), || {
                "a request for a session answer".into()
            })?;
            drop(l);
            // The session ended with the listener.
            let after = errno_within(spawn(&["open", &file("b"), "r"])?, 20)?;
            expect_errno("after the listener closed", after, libc::EACCES)
        },
    );

    s.case("ask: explicit allow and deny rules win over asking", || {
        let mut l = Listener::open(20_000, 0)?;
        let allowed = errno_within(spawn(&["open", &file("open"), "r"])?, 20)?;
        expect_errno("allowed by a rule", allowed, 0)?;
        let denied = errno_within(spawn(&["open", &file("never"), "r"])?, 20)?;
        expect_errno("denied by a rule", denied, libc::EACCES)?;
        let outside = errno_within(spawn(&["open", OUTSIDE, "r"])?, 20)?;
        expect_errno("outside the ask rule", outside, libc::EACCES)?;
        check(l.next(300)?.is_none(), || {
            "a request for an access the rules decide".into()
        })
    });

    s.case(
        "ask: an unanswered request times out, and a late answer finds nothing",
        || {
            let mut l = Listener::open(1_000, 0)?;
            let started = Instant::now();
            let child = spawn(&["open", &file("late"), "r"])?;
            let r = l.expect()?;
            expect_errno("open", errno_within(child, 20)?, libc::EACCES)?;
            check(started.elapsed() >= Duration::from_millis(900), || {
                format!("refused after {:?}, before the wait", started.elapsed())
            })?;
            check(l.answer(r.id, "allow once") == Err(libc::ENOENT), || {
                "a late answer was taken".into()
            })?;
            check(
                logged_since(0, &["path=\"/tmp/ask/late\"", "ask=timeout"]),
                || "no DENIED line with ask=timeout".into(),
            )
        },
    );

    s.case(
        "ask: closing the listener refuses every waiting task at once",
        || {
            let mut l = Listener::open(60_000, 0)?;
            let children = ["a", "c", "d"]
                .iter()
                .map(|n| spawn(&["open", &file(n), "r"]))
                .collect::<Result<Vec<_>, _>>()?;
            for _ in 0..3 {
                l.expect()?;
            }
            drop(l);
            for child in children {
                expect_errno("waiting open", errno_within(child, 10)?, libc::EACCES)?;
            }
            check(logged_since(0, &["ask=closed"]), || {
                "no DENIED line with ask=closed".into()
            })
        },
    );

    s.case(
        "ask: a waiting task freezes (cgroup freezer) and goes on once thawed",
        || {
            let cgroup = freezer_cgroup()?;
            let state = format!("{cgroup}/freezer.state");
            let mut l = Listener::open(60_000, 0)?;
            let child = spawn(&["open", &file("frozen"), "r"])?;
            let r = l.expect()?;
            // Asleep in its wait by now; a freeze that comes earlier is asked again below.
            std::thread::sleep(Duration::from_millis(200));
            fs::write(format!("{cgroup}/cgroup.procs"), child.id().to_string())
                .map_err(|e| format!("cgroup.procs: {e}"))?;
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut now = String::new();
            while Instant::now() < deadline {
                fs::write(&state, "FROZEN").map_err(|e| format!("freezer.state: {e}"))?;
                now = fs::read_to_string(&state).map_err(|e| e.to_string())?;
                if now.trim() == "FROZEN" {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            check(now.trim() == "FROZEN", || {
                format!(
                    "the waiting task did not freeze: freezer.state {:?}",
                    now.trim()
                )
            })?;
            l.answer(r.id, "allow once")
                .map_err(|e| format!("answer: errno {e}"))?;
            std::thread::sleep(Duration::from_millis(300));
            let mut child = child;
            let early = child.try_wait().map_err(|e| e.to_string())?;
            fs::write(&state, "THAWED").map_err(|e| format!("freezer.state: {e}"))?;
            check(early.is_none(), || "a frozen task went on".into())?;
            expect_errno("open once thawed", errno_within(child, 20)?, 0)
        },
    );

    s.case("ask: a task killed while it waits dies at once", || {
        let mut l = Listener::open(60_000, 0)?;
        let mut child = spawn(&["open", &file("gone"), "r"])?;
        let r = l.expect()?;
        let killed = Instant::now();
        child.kill().map_err(|e| e.to_string())?;
        let status = errno_within(child, 10)?;
        check(status == -1, || format!("the probe exited with {status}"))?;
        check(killed.elapsed() < Duration::from_secs(5), || {
            format!("died after {:?}", killed.elapsed())
        })?;
        check(l.answer(r.id, "allow once") == Err(libc::ENOENT), || {
            "an answer for a dead task was taken".into()
        })
    });

    s.case(
        "ask: identical requests share one entry, and one answer",
        || {
            let mut l = Listener::open(20_000, 0)?;
            let children = (0..5)
                .map(|_| spawn(&["open", &file("same"), "r"]))
                .collect::<Result<Vec<_>, _>>()?;
            let r = l.expect()?;
            // Let every task reach the hook and join the request.
            std::thread::sleep(Duration::from_millis(1500));
            check(l.next(300)?.is_none(), || {
                "a second request for the same open".into()
            })?;
            l.answer(r.id, "allow once")
                .map_err(|e| format!("answer: errno {e}"))?;
            for child in children {
                expect_errno("merged open", errno_within(child, 20)?, 0)?;
            }
            Ok(())
        },
    );

    s.case(
        "ask: a full listener refuses without asking (ask=busy)",
        || {
            let mut l = Listener::open(20_000, 2)?;
            let mut waiting = Vec::new();
            for i in 0..2 {
                waiting.push(spawn(&["open", &file(&format!("many{i}")), "r"])?);
            }
            let first = l.expect()?;
            let second = l.expect()?;
            let mark = log_mark();
            for i in 2..4 {
                let errno = errno_within(spawn(&["open", &file(&format!("many{i}")), "r"])?, 10)?;
                expect_errno("open past the bound", errno, libc::EACCES)?;
            }
            check(logged_since(mark, &["ask=busy"]), || {
                "no ask=busy line".into()
            })?;
            for r in [first, second] {
                l.answer(r.id, "allow once")
                    .map_err(|e| format!("answer: errno {e}"))?;
            }
            for child in waiting {
                expect_errno("queued open", errno_within(child, 20)?, 0)?;
            }
            Ok(())
        },
    );

    s.case(
        "ask: where a task may not wait, it is refused at once and asked",
        || {
            let mut l = Listener::open(20_000, 0)?;
            let dir = file("made");
            let _ = fs::remove_dir(&dir);
            let started = Instant::now();
            let errno = errno_within(spawn(&["mkdir", &dir])?, 10)?;
            expect_errno("mkdir under the directory's lock", errno, libc::EACCES)?;
            check(started.elapsed() < Duration::from_secs(5), || {
                format!("refused after {:?}", started.elapsed())
            })?;
            let r = l.expect()?;
            check(r.has("op=mkdir") && r.has("requested=c"), || {
                format!("request {:?}", r.line)
            })?;
            check(logged_since(0, &["op=mkdir", "ask=nowait"]), || {
                "no DENIED line with ask=nowait".into()
            })?;
            l.answer(r.id, "allow session")
                .map_err(|e| format!("answer: errno {e}"))?;
            let retry = errno_within(spawn(&["mkdir", &dir])?, 10)?;
            expect_errno("mkdir retried after a session answer", retry, 0)?;
            // An open that truncates holds the mount's write access: no wait either.
            let started = Instant::now();
            let errno = errno_within(spawn(&["open", &file("d"), "wt"])?, 10)?;
            expect_errno("open with O_TRUNC", errno, libc::EACCES)?;
            check(started.elapsed() < Duration::from_secs(5), || {
                format!("refused after {:?}", started.elapsed())
            })?;
            let r = l.expect()?;
            check(r.has("requested=w"), || format!("request {:?}", r.line))?;
            l.answer(r.id, "deny once")
                .map_err(|e| format!("answer: errno {e}"))
        },
    );

    s.case("ask: the agent's own thread group is never asked", || {
        // The probe opens a listener while unconfined, then executes itself under the ask
        // profile with it: its open is refused at once instead of waiting for itself.
        let mut l = Listener::open(20_000, 0)?;
        let started = Instant::now();
        let child = spawn_free(&["listen-then-exec", PROBE, "open", &file("c"), "r"])?;
        let errno = errno_within(child, 10)?;
        expect_errno("the agent's own open", errno, libc::EACCES)?;
        check(started.elapsed() < Duration::from_secs(5), || {
            format!("refused after {:?}", started.elapsed())
        })?;
        check(
            logged_since(0, &["path=\"/tmp/ask/c\"", "ask=agent"]),
            || "no DENIED line with ask=agent".into(),
        )?;
        check(l.next(300)?.is_none(), || {
            "the agent's own access was asked".into()
        })?;
        // A listener left with a confined task is of no use to it.
        let child = spawn_free(&["listen-then-exec", PROBE, "listener-use", "{fd}"])?;
        let errno = errno_within(child, 10)?;
        expect_errno("a confined task reading its listener", errno, libc::EPERM)
    });

    s.case(
        "ask: nobody is asked about what the task's sandbox refuses",
        || {
            let blob = crate::harness::compiled(
            "[profile.layer]\n[[profile.layer.rule]]\nallow = [\"read\", \"write\", \"exec\"]\n\
             paths = [\"/**\"]\n[[profile.layer.rule]]\ndeny = [\"read\"]\n\
             paths = [\"/tmp/ask/c\"]\n",
            "ask-layer",
        )?;
            let file_of_blob = "/tmp/ask-layer.bin";
            fs::write(file_of_blob, blob).map_err(|e| e.to_string())?;
            let mut l = Listener::open(20_000, 0)?;
            let mark = log_mark();
            let child = spawn_free(&[
                "restrict",
                file_of_blob,
                "1",
                PROBE,
                "open",
                &file("c"),
                "r",
            ])?;
            expect_errno("open", errno_within(child, 10)?, libc::EACCES)?;
            check(l.next(300)?.is_none(), || {
                "asked about a refused access".into()
            })?;
            check(
                logged_since(mark, &["path=\"/tmp/ask/c\"", "ask=sandbox"]),
                || "no DENIED line with ask=sandbox".into(),
            )
        },
    );

    s.case(
        "ask: listeners are for unconfined administrators, with a valid buffer",
        || {
            let buffer = listen_buffer(0, 0, &[]).ok_or("buffer")?;
            let mut as_user = Command::new(FREE_PROBE);
            as_user
                .args(["listen-then-exec", "/bin/true"])
                .uid(1000)
                .gid(1000);
            let (code, _) = harness::output(as_user.stdin(Stdio::piped()));
            expect_errno("listener for uid 1000", code, libc::EPERM)?;
            let confined = errno_within(spawn(&["listen-then-exec", "/bin/true"])?, 10)?;
            expect_errno("listener for a confined task", confined, libc::EPERM)?;
            let mut long_wait = buffer.clone();
            long_wait[..4].copy_from_slice(&400_000u32.to_le_bytes());
            let mut flagged = buffer.clone();
            flagged[8] = 1;
            let mut bad_name = listen_buffer(0, 0, &["x"]).ok_or("buffer")?;
            let last = bad_name.len() - 1;
            bad_name[last] = b'/';
            for (what, buf) in [
                ("a wait over 300 s", long_wait),
                ("an unknown flag", flagged),
                ("a bad profile name", bad_name),
                ("a short buffer", buffer[..10].to_vec()),
            ] {
                let got = rlsm_guest::manage_policy(abi::LSM_POLICY_LISTEN, &buf, 0);
                expect_errno(what, got, libc::EINVAL)?;
            }
            Ok(())
        },
    );

    s.case(
        "ask: a listener for other profiles takes none of these",
        || {
            let buffer = listen_buffer(1_000, 0, &["someone-else"]).ok_or("buffer")?;
            let fd = rlsm_guest::manage_policy_value(abi::LSM_POLICY_LISTEN, &buffer, 0)
                .map_err(|e| format!("errno {e}"))?;
            // SAFETY: A new descriptor of ours.
            let _other = unsafe { fs::File::from_raw_fd(fd) };
            let mark = log_mark();
            let errno = errno_within(spawn(&["open", &file("d"), "r"])?, 10)?;
            expect_errno("open", errno, libc::EACCES)?;
            check(
                logged_since(mark, &["path=\"/tmp/ask/d\"", "ask=none"]),
                || "not refused as unanswered".into(),
            )
        },
    );

    s.case("ask: lsmctl agent answers once from its input", || {
        let mut agent = Agent::start(&[])?;
        let child = spawn(&["open", &file("a"), "r"])?;
        agent.answer_next("y")?;
        expect_errno("allowed once", errno_within(child, 20)?, 0)?;
        let child = spawn(&["open", &file("a"), "r"])?;
        agent.answer_next("n")?;
        expect_errno("denied once", errno_within(child, 20)?, libc::EACCES)?;
        agent.stop()?;
        // An agent whose profile directory is under the asked tree refuses, without asking,
        // what would write there: a confined program would write its own rules.
        let mut agent = Agent::start_in(DIR, &[])?;
        let child = spawn(&["open", &file("a"), "w"])?;
        expect_errno(
            "write to the agent's files",
            errno_within(child, 20)?,
            libc::EACCES,
        )?;
        agent.stop()?;
        check(agent.output.contains("refused without asking"), || {
            format!("agent output: {}", agent.output)
        })
    });

    s.case(
        "ask: lsmctl agent's always answers are rules that outlive it",
        || {
            let mut agent = Agent::start(&[])?;
            let child = spawn(&["open", &file("c"), "r"])?;
            agent.answer_next("a")?;
            expect_errno("allowed always", errno_within(child, 20)?, 0)?;
            let child = spawn(&["open", &file("d"), "r"])?;
            agent.answer_next("d")?;
            expect_errno("denied always", errno_within(child, 20)?, libc::EACCES)?;
            agent.stop()?;
            let local = fs::read_to_string(format!("{INCLUDES}/local/asker.toml"))
                .map_err(|e| format!("the local file: {e}"))?;
            check(
                local.contains("allow = [\"read\"]") && local.contains("\"/tmp/ask/c\""),
                || format!("local file: {local}"),
            )?;
            check(local.contains("deny = [\"read\"]"), || {
                format!("local file: {local}")
            })?;
            // No agent now: the rules answer.
            let mark = log_mark();
            let c = errno_within(spawn(&["open", &file("c"), "r"])?, 10)?;
            expect_errno("c, by the new allow rule", c, 0)?;
            let d = errno_within(spawn(&["open", &file("d"), "r"])?, 10)?;
            expect_errno("d, by the new deny rule", d, libc::EACCES)?;
            check(
                logged_since(mark, &["path=\"/tmp/ask/d\""])
                    && !logged_since(mark, &["path=\"/tmp/ask/d\"", "ask="]),
                || "d was not refused by a plain deny rule".into(),
            )?;
            let (code, log) = harness::run(LSMCTL, &["log", "-p", "asker"]);
            check(
                code == 0 && log.contains("the agent did not answer in time"),
                || format!("lsmctl log: {log}"),
            )
        },
    );

    s.case(
        "ask: Debian's cat under mode = ask, allowed by lsmctl agent",
        || {
            let mut agent = Agent::start(&[])?;
            // Answers ahead of the requests: cat's own open, and whatever else it asks.
            let stdin = agent.child.stdin.as_mut().ok_or("no stdin")?;
            stdin
                .write_all("y\n".repeat(20).as_bytes())
                .map_err(|e| e.to_string())?;
            let (code, out) = harness::run(CAT, &[&file("cat-me")]);
            agent.stop()?;
            check(code == 0 && out.contains("cat-me"), || {
                format!("cat exited {code}: {out}")
            })?;
            check(agent.output.contains("/tmp/ask/cat-me"), || {
                format!("agent output: {}", agent.output)
            })?;
            // Without the agent, the same read is refused and cat says so.
            let (code, out) = harness::run(CAT, &[&file("cat-me")]);
            check(code != 0 && out.contains("Permission denied"), || {
                format!("cat without an agent exited {code}: {out}")
            })
        },
    );

    s.case("ask: remove the ask profiles", || {
        lsmctl(&["remove", "asker", "askcat"])
    });
}

/// `lsmctl agent` answering for the test profiles, its answers fed on standard input.
pub(crate) struct Agent {
    child: Child,
    pub(crate) output: String,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Agent {
    fn start(extra: &[&str]) -> Result<Self, String> {
        Self::start_in(PROFILES, extra)
    }

    /// [`Agent::start`] with `dir` as its profile directory.
    pub(crate) fn start_in(dir: &str, extra: &[&str]) -> Result<Self, String> {
        let mut child = Command::new(LSMCTL)
            .args(["-I", INCLUDES, "agent", "--dir", dir])
            .args(["--local-dir", &format!("{INCLUDES}/local"), "--wait", "20"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("lsmctl agent: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut agent = Agent {
            child,
            output: String::new(),
            stdout: std::io::BufReader::new(stdout),
        };
        agent.read_until("answering for")?;
        Ok(agent)
    }

    /// Reads the agent's output until a line holds `text`.
    fn read_until(&mut self, text: &str) -> Result<(), String> {
        use std::io::BufRead;
        loop {
            let mut line = String::new();
            let n = self
                .stdout
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err(format!("lsmctl agent ended: {}", self.output));
            }
            self.output.push_str(&line);
            if line.contains(text) {
                return Ok(());
            }
        }
    }

    /// Waits for the next request and answers it with `key`.
    pub(crate) fn answer_next(&mut self, key: &str) -> Result<(), String> {
        self.read_until("asks to")?;
        let stdin = self.child.stdin.as_mut().ok_or("no stdin")?;
        writeln!(stdin, "{key}").map_err(|e| e.to_string())?;
        self.read_until("request ")
    }

    /// Stops the agent (as Ctrl-C would: it waits in a read of its listener) and keeps the
    /// rest of its output.
    pub(crate) fn stop(&mut self) -> Outcome {
        self.child.kill().map_err(|e| e.to_string())?;
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        self.output.push_str(&rest);
        self.child.wait().map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A cgroup of the v1 freezer hierarchy, mounted here if it is not yet.
fn freezer_cgroup() -> Result<String, String> {
    const ROOT: &str = "/tmp/ask-freezer";
    let cgroup = format!("{ROOT}/ask");
    if fs::metadata(format!("{ROOT}/freezer.state")).is_err()
        && fs::metadata(format!("{ROOT}/tasks")).is_err()
    {
        fs::create_dir_all(ROOT).map_err(|e| e.to_string())?;
        let c = |t: &str| std::ffi::CString::new(t).map_err(|e| e.to_string());
        let (src, dir, kind, opts) = (c("freezer")?, c(ROOT)?, c("cgroup")?, c("freezer")?);
        // SAFETY: Valid C strings that outlive the call.
        let rc = unsafe {
            libc::mount(
                src.as_ptr(),
                dir.as_ptr(),
                kind.as_ptr(),
                0,
                opts.as_ptr().cast(),
            )
        };
        if rc != 0 {
            return Err(format!(
                "mount the freezer cgroup: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    fs::create_dir_all(&cgroup).map_err(|e| format!("{cgroup}: {e}"))?;
    Ok(cgroup)
}
