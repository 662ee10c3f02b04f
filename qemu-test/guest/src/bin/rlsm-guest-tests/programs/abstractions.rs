//! The abstractions lsmctl ships, installed where lsmctl looks for them
//! (/usr/share/rustlsm/abstractions), each used by a profile for a real program: Debian's
//! dynamically linked cat and getent, and a busybox shell. Each profile names only what is
//! its program's own; the abstractions supply the loader, libc, the name service, the
//! certificate store, the console and temporary files. A run that must work must also log
//! no refusal, so an abstraction that misses something its program touches fails here.

use super::{
    io_err, load, log_count, logged_since, run_program, write_files, BUSYBOX, DYN_CAT, SECRET_BODY,
};
use crate::harness::lsmctl;
use crate::{check, Outcome, Suite};
use std::fs;
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

const LIBRARY: &str = "/usr/share/rustlsm/abstractions";

/// Copies of Debian's cat and getent, one per profile (a profile attaches by path).
const BASE_CAT: &str = "/usr/bin/rlsm-base-cat";
const CERT_CAT: &str = "/usr/bin/rlsm-cert-cat";
const GETENT: &str = "/usr/bin/rlsm-getent";
/// Installed by build-initramfs.sh with its libraries.
const DEBIAN_GETENT: &str = "/usr/bin/getent";
/// A busybox copy run as `sh`.
const ASH: &str = "/usr/bin/rlsm-ash";

const BASE_PROFILE: &str = r#"
[profile.basecat]
attach = ["/usr/bin/rlsm-base-cat"]
include = ["abstractions/base"]

[[profile.basecat.rule]]
allow = ["read"]
paths = ["/srv/abs/data.txt"]
"#;

const GETENT_PROFILE: &str = r#"
[profile.getent]
attach = ["/usr/bin/rlsm-getent"]
include = ["abstractions/base", "abstractions/nameservice"]
"#;

const CERT_PROFILE: &str = r#"
[profile.certcat]
attach = ["/usr/bin/rlsm-cert-cat"]
include = ["abstractions/base", "abstractions/ssl_certs"]
include_if_exists = ["local/certcat"]
"#;

/// The site's own addition to certcat, in the place a local override goes.
const CERT_LOCAL: (&str, &str) = (
    "/etc/rustlsm/local/certcat.toml",
    "[[rule]]\nallow = [\"read\"]\npaths = [\"/srv/abs/extra-ca.pem\"]\n",
);

const ASH_PROFILE: &str = r#"
[variables]
work = "/srv/abs/ash"

[profile.ash]
attach = ["/usr/bin/rlsm-ash"]
include = [
  "abstractions/base",
  "abstractions/shell",
  "abstractions/consoles",
  "abstractions/tmp",
]

[[profile.ash.rule]]
allow = ["exec"]
transition = "inherit"
paths = ["/usr/bin/rlsm-base-cat", "/bin/busybox"]

[[profile.ash.rule]]
allow = ["read"]
paths = ["@{work}/**"]
"#;

/// Writes to the console, works in a fresh temporary directory with busybox's tools, and
/// runs a dynamically linked program (which needs the loader executable).
const ASH_SCRIPT: &str = "\
echo 'rlsm-ash: writing to the console' > /dev/console
d=$(/bin/mktemp -d /tmp/rlsm-ash.XXXXXX)
echo scratch > \"$d/a\"
/bin/mv \"$d/a\" \"$d/b\"
/bin/cat \"$d/b\"
/bin/rm -r \"$d\"
/usr/bin/rlsm-base-cat /srv/abs/ash/input.txt
";

const DATA: &str = "read under abstractions/base\n";

/// Refusals logged for `profile` so far.
pub(super) fn refusals(profile: &str) -> usize {
    log_count(&[&format!("DENIED profile=\"{profile}\"")])
}

/// Runs a program that must succeed with `expected` output and no refusal logged; busybox
/// copies are run as `sh`.
pub(super) fn works(
    profile: &str,
    prog: &str,
    args: &[&str],
    expected: impl Fn(&str) -> bool,
) -> Outcome {
    let before = refusals(profile);
    let arg0 = if prog == ASH { "sh" } else { prog };
    let (code, out, err) = run_program(prog, arg0, args)?;
    check(code == 0 && expected(&out) && err.is_empty(), || {
        format!("exit {code}, stdout {out:?}, stderr {err:?}")
    })?;
    let after = refusals(profile);
    check(after == before, || {
        format!(
            "{} refusal(s) logged for profile {profile}: the abstractions miss something",
            after - before
        )
    })
}

fn copy(from: &str, to: &str) -> Outcome {
    fs::copy(from, to).map(|_| ()).map_err(io_err(to))
}

fn base(s: &mut Suite) {
    s.case(
        "abstractions: installed, and a profile including base loads",
        || {
            for name in [
                "base",
                "consoles",
                "nameservice",
                "ssl_certs",
                "tmp",
                "shell",
            ] {
                let f = format!("{LIBRARY}/{name}.toml");
                fs::metadata(&f)
                    .map_err(|e| format!("{f} (build-initramfs.sh installs it): {e}"))?;
            }
            copy(DYN_CAT, BASE_CAT)?;
            write_files(&[
                ("/srv/abs/data.txt", DATA),
                ("/srv/abs/secret.txt", SECRET_BODY),
            ])?;
            load("basecat", BASE_PROFILE)
        },
    );
    s.case(
        "abstractions/base: a glibc program runs with no loader or libc rule of its own",
        || works("basecat", BASE_CAT, &["/srv/abs/data.txt"], |o| o == DATA),
    );
    s.case(
        "abstractions/base: the program still reads nothing else (/etc/passwd, a sibling)",
        || {
            for path in ["/etc/passwd", "/srv/abs/secret.txt"] {
                let want =
                    format!("DENIED profile=\"basecat\" op=open path=\"{path}\" requested=r");
                let before = log_count(&[&want]);
                let (code, out, err) = run_program(BASE_CAT, BASE_CAT, &[path])?;
                check(
                    code == 1 && out.is_empty() && err.ends_with(": Permission denied\n"),
                    || format!("{path}: exit {code}, stdout {out:?}, stderr {err:?}"),
                )?;
                logged_since(before, &[&want])?;
            }
            Ok(())
        },
    );
}

/// A DNS server on 127.0.0.1:53 that answers A queries for `dns.rlsm.test` with 10.1.2.3
/// and anything else with NXDOMAIN, counting the queries it answered.
struct DnsServer {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

const DNS_NAME: &str = "dns.rlsm.test";
/// An address the guest takes for the lookup, so that it has IPv4 beyond loopback.
const HOST_ADDRESS: &str = "10.9.9.9/32";
const DNS_ADDRESS: [u8; 4] = [10, 1, 2, 3];

/// The name of a query's question and the offset after its type and class.
fn question(query: &[u8]) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut at = 12;
    loop {
        let len = usize::from(*query.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).into_owned());
        at += len;
    }
    (query.len() >= at + 4).then(|| (labels.join("."), at + 4))
}

fn dns_answer(query: &[u8]) -> Option<Vec<u8>> {
    let (name, end) = question(query)?;
    let qtype = u16::from_be_bytes([query[end - 4], query[end - 3]]);
    let found = name.eq_ignore_ascii_case(DNS_NAME) && qtype == 1;
    let mut reply = query[..end].to_vec();
    // Response, recursion desired and available; NXDOMAIN when not found.
    reply[2] = 0x81;
    reply[3] = if found { 0x80 } else { 0x83 };
    reply[4..12].copy_from_slice(&[0, 1, 0, u8::from(found), 0, 0, 0, 0]);
    if found {
        // The question's name (pointer to offset 12), A, IN, TTL 60, 4 bytes.
        reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        reply.extend_from_slice(&DNS_ADDRESS);
    }
    Some(reply)
}

impl DnsServer {
    fn start() -> Result<Self, String> {
        let socket = UdpSocket::bind("127.0.0.1:53").map_err(io_err("bind 127.0.0.1:53"))?;
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .map_err(io_err("timeout"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let (halt, count) = (stop.clone(), answered.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !halt.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                if let Some(reply) = dns_answer(&buf[..n]) {
                    if socket.send_to(&reply, from).is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        Ok(DnsServer {
            stop,
            answered,
            thread: Some(thread),
        })
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn nameservice(s: &mut Suite) {
    s.case("abstractions/nameservice: load getent's profile", || {
        fs::metadata(DEBIAN_GETENT)
            .map_err(|e| format!("{DEBIAN_GETENT} (build-initramfs.sh installs it): {e}"))?;
        copy(DEBIAN_GETENT, GETENT)?;
        write_files(&[
            (
                "/etc/nsswitch.conf",
                "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n",
            ),
            (
                "/etc/hosts",
                "127.0.0.1 localhost\n10.9.8.7 files.rlsm.test\n",
            ),
            (
                "/etc/resolv.conf",
                "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n",
            ),
        ])?;
        load("getent", GETENT_PROFILE)
    });
    s.case(
        "abstractions/nameservice: users, groups and /etc/hosts resolve",
        || {
            works("getent", GETENT, &["passwd", "nobody"], |o| {
                o.starts_with("nobody:x:65534:65534:")
            })?;
            works("getent", GETENT, &["group", "root"], |o| o == "root:x:0:\n")?;
            works("getent", GETENT, &["hosts", "files.rlsm.test"], |o| {
                o.starts_with("10.9.8.7") && o.contains("files.rlsm.test")
            })
        },
    );
    s.case(
        "abstractions/nameservice: a name resolves by DNS over UDP to 127.0.0.1:53",
        || {
            // getaddrinfo() asks for IPv4 addresses only when the host has an IPv4 address
            // other than 127.0.0.1 (AI_ADDRCONFIG), which it learns over netlink.
            let (code, out) =
                crate::harness::run("/bin/ip", &["addr", "add", HOST_ADDRESS, "dev", "lo"]);
            check(code == 0, || format!("ip addr add: {out}"))?;
            let server = DnsServer::start();
            let resolved = server.and_then(|server| {
                works("getent", GETENT, &["ahostsv4", DNS_NAME], |o| {
                    o.starts_with("10.1.2.3") && o.contains(DNS_NAME)
                })?;
                let answered = server.answered.load(Ordering::Relaxed);
                check(answered >= 1, || "the DNS server answered no query".into())
            });
            let _ = crate::harness::run("/bin/ip", &["addr", "del", HOST_ADDRESS, "dev", "lo"]);
            resolved
        },
    );
    s.case(
        "abstractions/nameservice: /etc/shadow stays refused to the lookup",
        || shadow_refused(GETENT),
    );
}

/// `getent shadow root` through `getent` (under a profile named getent) fails, and the
/// refusal of /etc/shadow is logged.
pub(super) fn shadow_refused(getent: &str) -> Outcome {
    let want = "DENIED profile=\"getent\" op=open path=\"/etc/shadow\" requested=r";
    let before = log_count(&[want]);
    let (code, out, _) = run_program(getent, getent, &["shadow", "root"])?;
    check(code != 0 && out.is_empty(), || {
        format!("exit {code}, stdout {out:?}")
    })?;
    logged_since(before, &[want])
}

fn ssl_certs(s: &mut Suite) {
    s.case(
        "abstractions/ssl_certs: the CA bundle is readable, a private key is not",
        || {
            copy(DYN_CAT, CERT_CAT)?;
            let bundle = "-----BEGIN CERTIFICATE-----\nrlsm test CA\n-----END CERTIFICATE-----\n";
            write_files(&[
                ("/etc/ssl/certs/ca-certificates.crt", bundle),
                ("/etc/ssl/private/server.key", SECRET_BODY),
                ("/srv/abs/extra-ca.pem", bundle),
            ])?;
            let _ = fs::remove_file(CERT_LOCAL.0);
            load("certcat", CERT_PROFILE)?;
            works(
                "certcat",
                CERT_CAT,
                &["/etc/ssl/certs/ca-certificates.crt"],
                |o| o == bundle,
            )?;
            let want = "DENIED profile=\"certcat\" op=open path=\"/etc/ssl/private/server.key\"";
            let before = log_count(&[want]);
            let (code, out, _) = run_program(CERT_CAT, CERT_CAT, &["/etc/ssl/private/server.key"])?;
            check(code == 1 && out.is_empty(), || {
                format!("exit {code}, stdout {out:?}")
            })?;
            logged_since(before, &[want])
        },
    );
    s.case(
        "abstractions: a local override file, absent at first, adds its rule once present",
        || {
            let extra = "/srv/abs/extra-ca.pem";
            let (code, _, _) = run_program(CERT_CAT, CERT_CAT, &[extra])?;
            check(code == 1, || {
                format!("read {extra} before the override: exit {code}")
            })?;
            write_files(&[CERT_LOCAL])?;
            load("certcat", CERT_PROFILE)?;
            works("certcat", CERT_CAT, &[extra], |o| {
                o.contains("rlsm test CA")
            })
        },
    );
}

fn shell(s: &mut Suite) {
    s.case(
        "abstractions/shell: load a shell's profile (base, shell, consoles, tmp, a variable)",
        || {
            copy(BUSYBOX, ASH)?;
            write_files(&[
                ("/srv/abs/ash/input.txt", "input for a glibc program\n"),
                ("/srv/abs/ash/job.sh", ASH_SCRIPT),
            ])?;
            load("ash", ASH_PROFILE)
        },
    );
    s.case(
        "abstractions/shell: a script uses the console, a temporary directory and a glibc \
         program",
        || {
            works("ash", ASH, &["/srv/abs/ash/job.sh"], |o| {
                o == "scratch\ninput for a glibc program\n"
            })?;
            let left: Vec<_> = fs::read_dir("/tmp")
                .map_err(io_err("/tmp"))?
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("rlsm-ash."))
                .collect();
            check(left.is_empty(), || {
                "the script's temporary directory is left".into()
            })
        },
    );
    s.case(
        "abstractions/shell: the script may not write outside the temporary directories",
        || {
            let want = "DENIED profile=\"ash\" op=create path=\"/srv/abs/ash/out\"";
            let before = log_count(&[want]);
            let (code, _, err) = run_program(ASH, "sh", &["-c", "echo x > /srv/abs/ash/out"])?;
            check(code != 0 && err.contains("Permission denied"), || {
                format!("exit {code}, stderr {err:?}")
            })?;
            check(fs::metadata("/srv/abs/ash/out").is_err(), || {
                "the file was created".into()
            })?;
            logged_since(before, &[want])
        },
    );
    s.case("abstractions: remove the profiles", || {
        let _ = fs::remove_file(CERT_LOCAL.0);
        lsmctl(&["remove", "basecat", "getent", "certcat", "ash"])
    });
}

pub(super) fn run(s: &mut Suite) {
    base(s);
    nameservice(s);
    ssl_certs(s);
    shell(s);
}
