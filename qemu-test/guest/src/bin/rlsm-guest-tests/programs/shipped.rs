//! The profiles lsmctl ships for programs (profiles/programs/, installed in
//! /usr/share/rustlsm/profiles), loaded as they are and run against the real program at the
//! path they attach to: Debian's getent at /usr/bin/getent, and Debian's lighttpd daemon
//! with its default configuration, serving a tree with a private subtree on port 80.

use super::abstractions::{refusals, shadow_refused, works};
use super::{
    body, http_get, io_err, log_count, logged_since, run_program, write_files, SECRET_BODY,
};
use crate::harness::lsmctl;
use crate::{check, Outcome, Suite};
use std::fs;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

const SHIPPED: &str = "/usr/share/rustlsm/profiles/getent.toml";
const GETENT: &str = "/usr/bin/getent";

pub(super) fn run(s: &mut Suite) {
    s.case("shipped profiles: getent's loads as shipped", || {
        write_files(&[
            (
                "/etc/nsswitch.conf",
                "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n",
            ),
            (
                "/etc/hosts",
                "127.0.0.1 localhost\n10.9.8.7 files.rlsm.test\n",
            ),
        ])?;
        std::fs::metadata(SHIPPED).map_err(io_err(SHIPPED))?;
        lsmctl(&["load", SHIPPED])
    });
    s.case(
        "shipped profiles: getent looks up users and hosts, nothing refused",
        || {
            works("getent", GETENT, &["passwd", "nobody"], |o| {
                o.starts_with("nobody:x:65534:")
            })?;
            works("getent", GETENT, &["hosts", "files.rlsm.test"], |o| {
                o.starts_with("10.9.8.7")
            })
        },
    );
    s.case(
        "shipped profiles: getent shadow is refused, and logged",
        || shadow_refused(GETENT),
    );
    s.case("shipped profiles: remove getent's", || {
        lsmctl(&["remove", "getent"])
    });
    lighttpd(s);
}

/// lighttpd's profiles as shipped, with what a site adds in its local files: this system's
/// /bin/sh is busybox (statically linked), and a subtree of the web root is private.
const LIGHTTPD_SHIPPED: &str = "/usr/share/rustlsm/profiles/lighttpd.toml";
const LIGHTTPD_LOCAL: [(&str, &str); 2] = [
    (
        "/etc/rustlsm/local/lighttpd.toml",
        r#"
[[rule]]
allow = ["exec"]
paths = ["/bin/busybox"]
transition = { profile = "lighttpd-helpers" }

[[rule]]
deny = ["read"]
paths = ["/var/www/html/private", "/var/www/html/private/**"]
"#,
    ),
    (
        "/etc/rustlsm/local/lighttpd-helpers.toml",
        "[[rule]]\nallow = [\"mmap_exec\"]\npaths = [\"/bin/busybox\"]\n",
    ),
];
const LIGHTTPD: &str = "/usr/sbin/lighttpd";
const LIGHTTPD_PID: &str = "/run/lighttpd.pid";
const INDEX_BODY: &str = "served by a confined lighttpd\n";

/// Makes a directory owned by `uid`:`gid` with `mode`, as Debian's postinst does.
fn owned_dir(path: &str, uid: u32, gid: u32, mode: u32) -> Outcome {
    fs::create_dir_all(path).map_err(io_err(path))?;
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(io_err(path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io_err(path))
}

/// The daemon's pid, from its pid file.
fn lighttpd_pid() -> Result<String, String> {
    let pid = fs::read_to_string(LIGHTTPD_PID).map_err(io_err(LIGHTTPD_PID))?;
    Ok(pid.trim().to_string())
}

/// What lighttpd's error log says, for a failure report.
fn lighttpd_errors() -> String {
    fs::read_to_string("/var/log/lighttpd/error.log").unwrap_or_default()
}

fn lighttpd(s: &mut Suite) {
    s.case(
        "shipped profiles: lighttpd's loads as shipped, with a site's local rules",
        || {
            write_files(&LIGHTTPD_LOCAL)?;
            write_files(&[
                ("/var/www/html/index.html", INDEX_BODY),
                ("/var/www/html/private/secret.txt", SECRET_BODY),
                ("/srv/other/notes.txt", SECRET_BODY),
            ])?;
            // A link planted in the web root to a world-readable file outside it.
            let link = "/var/www/html/notes.txt";
            let _ = fs::remove_file(link);
            std::os::unix::fs::symlink("/srv/other/notes.txt", link).map_err(io_err(link))?;
            owned_dir("/var/log/lighttpd", 33, 4, 0o750)?;
            owned_dir("/var/cache/lighttpd/uploads", 33, 33, 0o750)?;
            owned_dir("/var/cache/lighttpd/compress", 33, 33, 0o750)?;
            fs::create_dir_all("/run").map_err(io_err("/run"))?;
            lsmctl(&["load", LIGHTTPD_SHIPPED])
        },
    );
    s.case(
        "shipped profiles: Debian's lighttpd starts as a daemon with Debian's configuration, nothing refused",
        || {
            let before = refusals("lighttpd") + refusals("lighttpd-helpers");
            let (code, out, err) =
                run_program(LIGHTTPD, LIGHTTPD, &["-f", "/etc/lighttpd/lighttpd.conf"])?;
            check(code == 0, || {
                format!("exit {code}: {out}{err}{}", lighttpd_errors())
            })?;
            let deadline = Instant::now() + Duration::from_secs(10);
            while TcpStream::connect(("127.0.0.1", 80)).is_err() {
                if Instant::now() > deadline {
                    return Err(format!("nothing listens on port 80: {}", lighttpd_errors()));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let (status, response) = http_get(80, "/")?;
            check(status == 200 && body(&response) == INDEX_BODY, || response.clone())?;
            let pid = lighttpd_pid()?;
            let attr = format!("/proc/{pid}/attr/rustlsm/current");
            let profile = fs::read_to_string(&attr).map_err(io_err(&attr))?;
            let status_file = format!("/proc/{pid}/status");
            let status = fs::read_to_string(&status_file).map_err(io_err(&status_file))?;
            let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap_or("");
            check(profile == "lighttpd\n" && uid.split_whitespace().nth(1) == Some("33"), || {
                format!("daemon {pid}: profile {profile:?}, {uid:?}")
            })?;
            let after = refusals("lighttpd") + refusals("lighttpd-helpers");
            check(after == before, || {
                format!("{} refusal(s) logged for lighttpd", after - before)
            })
        },
    );
    s.case(
        "shipped profiles: lighttpd refuses its private subtree and a link out of its tree, logged",
        || {
            for (path, target) in [
                ("/private/secret.txt", "/var/www/html/private/secret.txt"),
                ("/notes.txt", "/srv/other/notes.txt"),
            ] {
                let want = format!("DENIED profile=\"lighttpd\" op=open path=\"{target}\"");
                let before = log_count(&[&want]);
                let (status, response) = http_get(80, path)?;
                check(status == 403 && !response.contains(SECRET_BODY), || {
                    format!("{path}: {response}")
                })?;
                logged_since(before, &[&want])?;
            }
            Ok(())
        },
    );
    s.case(
        "shipped profiles: stop lighttpd, remove its profile",
        || {
            let pid = lighttpd_pid()?;
            let pid_num: i32 = pid.parse().map_err(|_| format!("pid {pid:?}"))?;
            // SAFETY: Sends a signal; no memory is involved.
            unsafe { libc::kill(pid_num, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::path::Path::new(&format!("/proc/{pid}")).exists() {
                if Instant::now() > deadline {
                    return Err(format!("lighttpd ({pid}) still runs 10 s after SIGTERM"));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            for (file, _) in LIGHTTPD_LOCAL {
                let _ = fs::remove_file(file);
            }
            lsmctl(&["remove", "lighttpd", "lighttpd-helpers"])
        },
    );
}
