//! What a sandbox's network rules allow: TCP and UDP by port, address and CIDR, raw and ICMP
//! sockets, and unix sockets by path. The probe reports the errno: `EACCES` is the sandbox's
//! refusal, `ECONNREFUSED` a connect the sandbox let through to a port nobody listens on.

use super::{expect, BIN, DIR};
use crate::{Suite, FREE_PROBE};

pub(super) const CASES: u32 = 6;

const EACCES: i32 = libc::EACCES;
const ECONNREFUSED: i32 = libc::ECONNREFUSED;

pub(super) fn run(s: &mut Suite) {
    s.case("sandbox: --connect-tcp allows its port only", || {
        let sandbox = ["--rox", BIN, "--connect-tcp", "8081"];
        expect(
            &sandbox,
            &[FREE_PROBE, "tcp-connect", "127.0.0.1", "8081"],
            ECONNREFUSED,
        )?;
        expect(
            &sandbox,
            &[FREE_PROBE, "tcp-connect", "127.0.0.1", "8082"],
            EACCES,
        )?;
        expect(
            &["--rox", BIN],
            &[FREE_PROBE, "tcp-connect", "127.0.0.1", "8081"],
            EACCES,
        )
        .map(drop)
    });
    s.case(
        "sandbox: --connect-tcp takes addresses and CIDR ranges",
        || {
            let probe = [FREE_PROBE, "tcp-connect", "127.0.0.1", "8081"];
            expect(
                &["--rox", BIN, "--connect-tcp", "127.0.0.0/8:8081"],
                &probe,
                ECONNREFUSED,
            )?;
            expect(
                &["--rox", BIN, "--connect-tcp", "10.0.0.0/8:8081"],
                &probe,
                EACCES,
            )?;
            expect(
                &["--rox", BIN, "--connect-tcp", "[::1]:8081"],
                &probe,
                EACCES,
            )?;
            let probe6 = [FREE_PROBE, "tcp-connect", "::1", "8081"];
            expect(
                &["--rox", BIN, "--connect-tcp", "[::1]:8000-9000"],
                &probe6,
                ECONNREFUSED,
            )
            .map(drop)
        },
    );
    s.case(
        "sandbox: --bind-tcp allows binding and listening on its ports only",
        || {
            let sandbox = ["--rox", BIN, "--bind-tcp", "8090"];
            expect(&sandbox, &[FREE_PROBE, "tcp-listen", "8090"], 0)?;
            expect(&sandbox, &[FREE_PROBE, "tcp-listen", "8091"], EACCES).map(drop)
        },
    );
    s.case(
        "sandbox: UDP by address (Landlock has no address rules)",
        || {
            let sandbox = ["--rox", BIN, "--connect-udp", "127.0.0.1:5353"];
            expect(&sandbox, &[FREE_PROBE, "udp-send", "127.0.0.1", "5353"], 0)?;
            expect(
                &sandbox,
                &[FREE_PROBE, "udp-send", "127.0.0.2", "5353"],
                EACCES,
            )?;
            expect(
                &sandbox,
                &[FREE_PROBE, "udp-send", "127.0.0.1", "5354"],
                EACCES,
            )?;
            // Without a UDP rule the sandbox cannot even make the socket.
            expect(
                &["--rox", BIN],
                &[FREE_PROBE, "udp-send", "127.0.0.1", "5353"],
                EACCES,
            )
            .map(drop)
        },
    );
    s.case("sandbox: ICMP sockets need --raw", || {
        // Unprivileged ping sockets, allowed for every group by the system.
        std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647")
            .map_err(|e| format!("ping_group_range: {e}"))?;
        let icmp = [FREE_PROBE, "socket", "2", "2", "1"];
        expect(&["--rox", BIN], &icmp, EACCES)?;
        expect(&["--rox", BIN, "--raw"], &icmp, 0).map(drop)
    });
    s.case("sandbox: a unix socket by path needs --unix", || {
        let socket = format!("{DIR}/sock-{}", std::process::id());
        let listen = |socket: &str| format!("{FREE_PROBE} unix-listen {socket} 2 & sleep 1; ");
        // The listener runs outside the sandbox; the client inside it, with and without
        // the socket's path.
        super::as_nobody_shell(&format!(
            "{}{} run --rox {BIN} --unix {socket} -- {FREE_PROBE} unix-connect {socket}",
            listen(&socket),
            crate::LSMCTL
        ))?;
        let socket = format!("{socket}b");
        super::as_nobody_shell(&format!(
            "{}{} run --rox {BIN} -- {FREE_PROBE} unix-connect {socket}; test $? -eq {EACCES}",
            listen(&socket),
            crate::LSMCTL
        ))
        .map(drop)
    });
}
