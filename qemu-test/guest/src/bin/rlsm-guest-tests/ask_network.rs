//! Ask mode for endpoints (network.rs, access.rs `check_current_asking`): a TCP connect or a
//! UDP send that a profile's `ask` network rules leave to an agent waits on a blocking socket
//! for the agent's answer, and is refused at once, its request still delivered, where the
//! task may not wait: a non-blocking socket, and io_uring, which issues the connect under
//! its ring's lock. Covered: each answer both ways, rules that decide alone, a session
//! answer, which holds in its network namespace only, `lsmctl agent`'s "always" written as a
//! network rule that outlives it, and `lsmctl run --ask` asking about a connect.

use crate::ask::{
    errno_within, expect_errno, log_mark, logged_since, spawn_program, Agent, Listener, INCLUDES,
    PROFILES,
};
use crate::harness::lsmctl;
use crate::{check, Outcome, Suite, FREE_PROBE};
use std::fs;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const CASES: u32 = 11;

const PROBE: &str = "/usr/bin/rlsm-probe-netask";
const LOCAL: &str = "/tmp/ask-include/local/netasker.toml";

const PROFILE: &str = r#"
[profile.netasker]
attach = ["/usr/bin/rlsm-probe-netask"]
include_if_exists = ["local/netasker"]

[profile.netasker.network]
sockets = ["inet:stream", "inet:dgram"]

[[profile.netasker.network.rule]]
allow = ["connect"]
protocol = "tcp"
ports = [7101]

[[profile.netasker.network.rule]]
ask = ["connect"]
protocol = "tcp"
ports = ["7100-7109"]
addresses = ["127.0.0.0/8"]

[[profile.netasker.network.rule]]
ask = ["send"]
protocol = "udp"
ports = [7200]

[[profile.netasker.network.rule]]
ask = ["listen"]
protocol = "tcp"
ports = [0]

[[profile.netasker.network.rule]]
allow = ["bind"]
protocol = "tcp"
ports = [7108]
"#;

fn spawn(args: &[&str]) -> Result<std::process::Child, String> {
    spawn_program(PROBE, args)
}

/// [`spawn`] in a network namespace of its own (made before the probe's exec, so that its
/// profile need not allow it).
fn spawn_in_new_netns(args: &[&str]) -> Result<std::process::Child, String> {
    let mut cmd = Command::new(PROBE);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: unshare() is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWNET) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    };
    cmd.spawn()
        .map_err(|e| format!("{PROBE} in a new netns: {e}"))
}

/// A TCP listener on 127.0.0.1:`port`, which makes a connect there succeed (the kernel
/// accepts into the backlog).
fn listening(port: u16) -> Result<TcpListener, String> {
    TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("listen on {port}: {e}"))
}

/// Answers the next request, which must be about `words`, with `answer`.
fn answer_next(l: &mut Listener, words: &[&str], answer: &str) -> Outcome {
    let r = l.expect()?;
    for w in words {
        check(r.has(w), || format!("request {:?} lacks {w}", r.line))?;
    }
    check(!r.line.contains(" fd="), || {
        format!("an endpoint request with a descriptor: {:?}", r.line)
    })?;
    l.answer(r.id, answer)
        .map_err(|e| format!("answer: errno {e}"))
}

/// The errno of a probe that must end within 5 s while the listener would keep a waiting
/// task 20 s: it was refused without waiting.
fn refused_at_once(args: &[&str]) -> Result<i32, String> {
    let started = Instant::now();
    let errno = errno_within(spawn(args)?, 20)?;
    let took = started.elapsed();
    check(took < Duration::from_secs(5), || {
        format!("{args:?} waited {took:?}")
    })?;
    Ok(errno)
}

pub(crate) fn run(s: &mut Suite) {
    s.case("ask network: load a profile with ask network rules", || {
        fs::copy(FREE_PROBE, PROBE).map_err(|e| format!("{PROBE}: {e}"))?;
        fs::create_dir_all(PROFILES).map_err(|e| e.to_string())?;
        fs::create_dir_all(format!("{INCLUDES}/local")).map_err(|e| e.to_string())?;
        let _ = fs::remove_file(LOCAL);
        let profile = format!("{PROFILES}/netasker.toml");
        fs::write(&profile, PROFILE).map_err(|e| e.to_string())?;
        lsmctl(&["-I", INCLUDES, "load", &profile])
    });

    s.case(
        "ask network: a blocking connect waits; allow once connects, deny refuses",
        || {
            let _server = listening(7100)?;
            let mut l = Listener::open(20_000, 0)?;
            let child = spawn(&["tcp-connect", "127.0.0.1", "7100"])?;
            let words = [
                "profile=\"netasker\"",
                "op=connect",
                "requested=connect",
                "proto=tcp",
                "addr=127.0.0.1",
                "port=7100",
                "waits=1",
            ];
            answer_next(&mut l, &words, "allow once")?;
            expect_errno("allowed connect", errno_within(child, 20)?, 0)?;
            let mark = log_mark();
            let child = spawn(&["tcp-connect", "127.0.0.1", "7100"])?;
            answer_next(&mut l, &words, "deny once")?;
            expect_errno("denied connect", errno_within(child, 20)?, libc::EACCES)?;
            check(
                logged_since(mark, &["op=connect", "port=7100", "ask=denied"]),
                || "no DENIED line with ask=denied".into(),
            )
        },
    );

    s.case(
        "ask network: what the rules allow or leave unasked is never put to the agent",
        || {
            let mut l = Listener::open(20_000, 0)?;
            let allowed = errno_within(spawn(&["tcp-connect", "127.0.0.1", "7101"])?, 20)?;
            expect_errno(
                "allowed by a rule (nobody listens)",
                allowed,
                libc::ECONNREFUSED,
            )?;
            let outside = refused_at_once(&["tcp-connect", "127.0.0.1", "7300"])?;
            expect_errno("no rule names the port", outside, libc::EACCES)?;
            let bind = refused_at_once(&["tcp-bind", "7100"])?;
            expect_errno("bind, which no rule asks about", bind, libc::EACCES)?;
            check(l.next(300)?.is_none(), || {
                "a request for an operation the rules decide".into()
            })
        },
    );

    s.case(
        "ask network: a UDP send waits too, and a session answer covers the next sends",
        || {
            let _server = UdpSocket::bind(("127.0.0.1", 7200)).map_err(|e| e.to_string())?;
            let mut l = Listener::open(20_000, 0)?;
            let child = spawn(&["udp-send", "127.0.0.1", "7200"])?;
            let words = ["op=send", "requested=send", "proto=udp", "port=7200"];
            answer_next(&mut l, &words, "allow session")?;
            expect_errno("first send", errno_within(child, 20)?, 0)?;
            let again = errno_within(spawn(&["udp-send", "127.0.0.1", "7200"])?, 20)?;
            expect_errno("second send", again, 0)?;
            check(l.next(300)?.is_none(), || {
                "a request for a session answer".into()
            })
        },
    );

    s.case(
        "ask network: a session answer holds in its network namespace only",
        || {
            let _server = listening(7104)?;
            let mut l = Listener::open(20_000, 0)?;
            let child = spawn(&["tcp-connect", "127.0.0.1", "7104"])?;
            let here = l.expect()?;
            l.answer(here.id, "allow session")
                .map_err(|e| format!("answer: errno {e}"))?;
            expect_errno("connect here", errno_within(child, 20)?, 0)?;
            // 127.0.0.1:7104 in another namespace is another host: asked anew.
            let child = spawn_in_new_netns(&["tcp-connect", "127.0.0.1", "7104"])?;
            let there = l.expect()?;
            let (a, b) = (here.field("netns"), there.field("netns"));
            check(a.is_some() && b.is_some() && a != b, || {
                format!("requests {:?} and {:?}", here.line, there.line)
            })?;
            l.answer(there.id, "deny once")
                .map_err(|e| format!("answer: errno {e}"))?;
            expect_errno("connect there", errno_within(child, 20)?, libc::EACCES)
        },
    );

    s.case(
        "ask network: a non-blocking connect is refused at once, and its retry allowed",
        || {
            let _server = listening(7102)?;
            let mut l = Listener::open(20_000, 0)?;
            let mark = log_mark();
            let errno = refused_at_once(&["tcp-connect-nb", "127.0.0.1", "7102"])?;
            expect_errno("non-blocking connect", errno, libc::EACCES)?;
            check(logged_since(mark, &["port=7102", "ask=nowait"]), || {
                "no DENIED line with ask=nowait".into()
            })?;
            answer_next(&mut l, &["port=7102", "waits=0"], "allow session")?;
            let retry = errno_within(spawn(&["tcp-connect-nb", "127.0.0.1", "7102"])?, 20)?;
            check(retry == 0 || retry == libc::EINPROGRESS, || {
                format!("the retry: errno {retry}")
            })
        },
    );

    s.case(
        "ask network: an io_uring connect never waits under the ring's lock",
        || {
            let _server = listening(7103)?;
            let mut l = Listener::open(20_000, 0)?;
            let mark = log_mark();
            let errno = refused_at_once(&["uring-connect", "127.0.0.1", "7103"])?;
            expect_errno("io_uring connect", errno, libc::EACCES)?;
            check(logged_since(mark, &["port=7103", "ask=nowait"]), || {
                "no DENIED line with ask=nowait".into()
            })?;
            answer_next(&mut l, &["port=7103", "waits=0"], "allow session")?;
            let retry = errno_within(spawn(&["uring-connect", "127.0.0.1", "7103"])?, 20)?;
            expect_errno("the retry", retry, 0)
        },
    );

    s.case(
        "ask network: a listen allowed for one address is decided again if rebound meanwhile",
        || {
            // The socket is not locked while the agent is asked: another thread binds it
            // to a port the answer was not about.
            let mut l = Listener::open(20_000, 0)?;
            let mark = log_mark();
            let child = spawn(&["tcp-listen-rebind", "7108"])?;
            let r = l.expect()?;
            check(r.has("op=listen") && r.has("port=0"), || {
                format!("request {:?}", r.line)
            })?;
            std::thread::sleep(Duration::from_millis(1500));
            l.answer(r.id, "allow once")
                .map_err(|e| format!("answer: errno {e}"))?;
            expect_errno("listen", errno_within(child, 20)?, libc::EACCES)?;
            check(logged_since(mark, &["op=listen", "port=7108"]), || {
                "no DENIED line for the rebound port".into()
            })
        },
    );

    s.case(
        "ask network: lsmctl agent's always answer is a network rule that outlives it",
        || {
            let _server = listening(7104)?;
            let _other = listening(7105)?;
            let mut agent = Agent::start_in(PROFILES, &["-p", "netasker"])?;
            let child = spawn(&["tcp-connect", "127.0.0.1", "7104"])?;
            agent.answer_next("a")?;
            expect_errno("allowed always", errno_within(child, 20)?, 0)?;
            // Network rules only allow: "deny always" is kept for the session instead.
            let child = spawn(&["tcp-connect", "127.0.0.1", "7105"])?;
            agent.answer_next("d")?;
            expect_errno("denied", errno_within(child, 20)?, libc::EACCES)?;
            agent.stop()?;
            check(
                agent.output.contains("an endpoint cannot be denied always"),
                || format!("agent output: {}", agent.output),
            )?;
            let local = fs::read_to_string(LOCAL).map_err(|e| format!("{LOCAL}: {e}"))?;
            check(
                local.contains("[[network.rule]]") && local.contains("7104"),
                || format!("local file: {local}"),
            )?;
            // No agent now: the new rule answers for its endpoint, and nothing else.
            let mark = log_mark();
            let again = errno_within(spawn(&["tcp-connect", "127.0.0.1", "7104"])?, 10)?;
            expect_errno("7104, by the new rule", again, 0)?;
            let other = errno_within(spawn(&["tcp-connect", "127.0.0.1", "7105"])?, 10)?;
            expect_errno("7105, no agent", other, libc::EACCES)?;
            check(logged_since(mark, &["port=7105", "ask=none"]), || {
                "no DENIED line with ask=none".into()
            })
        },
    );

    s.case(
        "ask network: lsmctl run --ask asks about a connect, and y lets it through",
        || {
            let _server = listening(7106)?;
            let args = ["tcp-connect", "127.0.0.1", "7106"];
            let asked = "asks to connect tcp 127.0.0.1:7106";
            let y = "y connect tcp 127.0.0.1:7106\n";
            let got = crate::ask_sandbox::run_asking(y, &args)?;
            crate::ask_sandbox::expect("y", got, 0, &[asked, "allowed once"])?;
            let n = "n connect tcp 127.0.0.1:7106\n";
            let got = crate::ask_sandbox::run_asking(n, &args)?;
            crate::ask_sandbox::expect("n", got, libc::EACCES, &[asked, "denied once"])?;
            // An answer for connecting to an endpoint does not let the command bind it.
            let got = crate::ask_sandbox::run_asking(
                "s connect tcp 127.0.0.1:7107\n",
                &["tcp-bind", "7107"],
            )?;
            crate::ask_sandbox::expect(
                "bind",
                got,
                libc::EACCES,
                &["asks to bind tcp 127.0.0.1:7107", "no answer for it"],
            )
        },
    );

    s.case("ask network: remove the profile", || {
        let _ = fs::remove_file(LOCAL);
        lsmctl(&["remove", "netasker"])
    });
}
