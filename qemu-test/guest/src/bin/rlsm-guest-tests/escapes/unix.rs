//! C1: AF_UNIX connect and send. A pathname socket needs `connect` on its path, or a listener
//! of the same profile or of a listed peer; an abstract name needs a matching `abstract`
//! pattern or such a peer. Busybox's nc has no unix-socket mode, so the probe is the client.

use super::{expect, load, refused, remove};
use crate::{check, Outcome, Suite, FREE_PROBE};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Stdio};

const CLIENT: &str = "/usr/bin/rlsm-probe-esc-unix";
const PEER: &str = "/usr/bin/rlsm-probe-esc-unixpeer";
const OPEN: &str = "/usr/bin/rlsm-probe-esc-unixopen";

const PROFILES: &str = r#"
[profile.esc-unix]
attach = ["/usr/bin/rlsm-probe-esc-unix"]

[profile.esc-unix.network]
sockets = ["unix"]

[profile.esc-unix.unix]
abstract = ["@esc-ok*"]
peers = ["esc-unixpeer"]

[[profile.esc-unix.rule]]
allow = ["connect"]
paths = ["/tmp/esc/unix/ok*"]

# Its own listener's socket file (no connect rule covers it).
[[profile.esc-unix.rule]]
allow = ["create", "delete"]
paths = ["/tmp/esc/unix/self.sock"]

[profile.esc-unixpeer]
attach = ["/usr/bin/rlsm-probe-esc-unixpeer"]

[profile.esc-unixpeer.network]
sockets = ["unix"]

[profile.esc-unixpeer.unix]
abstract = ["@esc-peer*"]

[[profile.esc-unixpeer.rule]]
allow = ["create", "delete"]
paths = ["/tmp/esc/unix/**"]

[profile.esc-unixopen]
attach = ["/usr/bin/rlsm-probe-esc-unixopen"]

[profile.esc-unixopen.network]
sockets = ["unix"]

[profile.esc-unixopen.unix]
peers = ["unconfined"]
"#;

/// A listener (`unix-listen` or `unix-dgram-listen`) counting for two seconds. Its stderr
/// is a pipe too (it writes nothing there): the profiles grant nothing on /dev/null.
struct Listener(Child, BufReader<ChildStdout>);

impl Listener {
    fn start(probe: &str, op: &str, name: &str) -> Result<Self, String> {
        let mut child = super::command(probe)
            .args([op, name, "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{probe}: {e}"))?;
        let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        let _ = out.read_line(&mut line);
        if line.trim() != "listening" {
            let status = child.wait().map_err(|e| e.to_string())?;
            return Err(format!("{probe} {op} {name}: {status} {line}"));
        }
        Ok(Listener(child, out))
    }

    /// Waits for the end; the number of connections or datagrams it got.
    fn count(mut self) -> Result<u32, String> {
        let mut rest = String::new();
        let _ = self.1.read_to_string(&mut rest);
        let _ = self.0.wait();
        rest.split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("listener said {rest:?}"))
    }
}

/// `client OP NAME` against a listener run by `server` ends with `errno`, and the listener
/// got `errno == 0` connections; on refusal, `profile` logs `op` with `needle`.
fn attempt(
    server: &str,
    client: &str,
    stream: bool,
    name: &str,
    errno: i32,
    needle: &str,
) -> Outcome {
    let (listen, op, logged_op) = if stream {
        ("unix-listen", "unix-connect", "connect")
    } else {
        ("unix-dgram-listen", "unix-send", "send")
    };
    let listener = Listener::start(server, listen, name)?;
    let r = if errno == 0 {
        expect(client, &[op, name], 0).map(drop)
    } else {
        let profile = if client == CLIENT {
            "esc-unix"
        } else {
            "esc-unixopen"
        };
        refused(client, &[op, name], errno, profile, logged_op, needle)
    };
    let got = listener.count()?;
    r?;
    let want = u32::from(errno == 0);
    check(got == want, || {
        format!("the listener got {got}, expected {want}")
    })
}

pub(super) fn run(s: &mut Suite) {
    s.case("unix: load the unix-socket profiles", || {
        super::fixture(&["/tmp/esc/unix"], &[])?;
        load("esc-unix", PROFILES)
    });
    let cases: &[(&str, &str, &str, bool, &str, i32, &str)] = &[
        (
            "unix: connect to a pathname socket the profile may connect to",
            FREE_PROBE,
            CLIENT,
            true,
            "/tmp/esc/unix/ok.sock",
            0,
            "",
        ),
        (
            "unix: connect to a pathname socket without a connect rule is refused",
            FREE_PROBE,
            CLIENT,
            true,
            "/tmp/esc/unix/no.sock",
            libc::EACCES,
            "path=\"/tmp/esc/unix/no.sock\"",
        ),
        (
            "unix: datagram to a pathname socket the profile may connect to",
            FREE_PROBE,
            CLIENT,
            false,
            "/tmp/esc/unix/okd.sock",
            0,
            "",
        ),
        (
            "unix: datagram to a pathname socket without a connect rule is refused",
            FREE_PROBE,
            CLIENT,
            false,
            "/tmp/esc/unix/nod.sock",
            libc::EACCES,
            "path=\"/tmp/esc/unix/nod.sock\"",
        ),
        (
            "unix: abstract name matching the profile's pattern",
            FREE_PROBE,
            CLIENT,
            true,
            "@esc-ok1",
            0,
            "",
        ),
        (
            "unix: abstract name outside the patterns (unconfined listener) is refused",
            FREE_PROBE,
            CLIENT,
            true,
            "@esc-no1",
            libc::EACCES,
            "addr=\"@esc-no1\"",
        ),
        (
            "unix: abstract datagram outside the patterns is refused",
            FREE_PROBE,
            CLIENT,
            false,
            "@esc-nod",
            libc::EACCES,
            "addr=\"@esc-nod\"",
        ),
        (
            "unix: a listed peer profile's pathname socket, without a connect rule",
            PEER,
            CLIENT,
            true,
            "/tmp/esc/unix/peer.sock",
            0,
            "",
        ),
        (
            "unix: a listed peer profile's abstract socket, outside the patterns",
            PEER,
            CLIENT,
            true,
            "@esc-peer",
            0,
            "",
        ),
        (
            "unix: a listener of the same profile, outside the connect rules",
            CLIENT,
            CLIENT,
            true,
            "/tmp/esc/unix/self.sock",
            0,
            "",
        ),
        (
            "unix: \"unconfined\" as a peer reaches an unconfined pathname listener",
            FREE_PROBE,
            OPEN,
            true,
            "/tmp/esc/unix/no2.sock",
            0,
            "",
        ),
        (
            "unix: \"unconfined\" as a peer reaches an unconfined abstract listener",
            FREE_PROBE,
            OPEN,
            true,
            "@esc-no2",
            0,
            "",
        ),
        (
            "unix: \"unconfined\" as a peer does not reach another profile's listener",
            PEER,
            OPEN,
            true,
            "@esc-peer2",
            libc::EACCES,
            "addr=\"@esc-peer2\"",
        ),
        (
            "unix: unconfined tasks are not restricted",
            FREE_PROBE,
            FREE_PROBE,
            true,
            "/tmp/esc/unix/free.sock",
            0,
            "",
        ),
    ];
    for (what, server, client, stream, name, errno, needle) in cases {
        s.case(what, || {
            attempt(server, client, *stream, name, *errno, needle)
        });
    }
    // Squatting: taking a well-known abstract name before its server would let a confined
    // task answer the server's unconfined clients. (The peer listeners above bind names their
    // patterns list, which shows the allowed side.)
    s.case(
        "unix: binding an abstract name outside the patterns is refused",
        || {
            let args = ["unix-listen", "@esc-squat", "1"];
            refused(
                CLIENT,
                &args,
                libc::EACCES,
                "esc-unix",
                "bind",
                "addr=\"@esc-squat\"",
            )
        },
    );
    s.case("unix: remove the unix-socket profiles", || {
        remove(&["esc-unix", "esc-unixpeer", "esc-unixopen"])
    });
}
