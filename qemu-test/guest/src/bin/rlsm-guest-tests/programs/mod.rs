//! Real programs keep working under profiles: busybox httpd serving a tree with a denied
//! subtree from the one port its profile allows, a busybox shell whose tools inherit its
//! profile, and a dynamically linked program that needs its loader and libc mappable.
//!
//! The runner starts each program unconfined with pipes for stdin, stdout and stderr, so the
//! program inherits no descriptor that its profile would have to allow by path. The busybox
//! copies are made here, at paths of their own, so that a profile attaches to them alone
//! and not to every applet behind /bin's symlinks.

mod abstractions;
mod learning;
mod shipped;

use crate::harness::{kernel_log, lsmctl};
use crate::{check, Outcome, Suite};
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub(super) const BUSYBOX: &str = "/bin/busybox";

/// A copy of busybox run as `httpd`.
const HTTPD: &str = "/usr/sbin/rlsm-httpd";
const HTTPD_PORT: u16 = 8080;
const PUBLIC_BODY: &str = "hello from a confined httpd\n";
pub(super) const SECRET_BODY: &str = "rlsm-private-4f1c9e\n";

/// The web server may read its tree except private/, and may bind and listen on
/// 127.0.0.1:8080 only. glibc (busybox is statically linked against it) reads
/// /etc/localtime for the Date header.
const HTTPD_PROFILE: &str = r#"
[profile.httpd]
attach = ["/usr/sbin/rlsm-httpd"]

[[profile.httpd.rule]]
allow = ["read"]
paths = ["/srv/www/**", "/etc/localtime"]

[[profile.httpd.rule]]
deny = ["read"]
paths = ["/srv/www/private/**"]

[profile.httpd.network]
sockets = ["inet:stream"]

[[profile.httpd.network.rule]]
allow = ["bind", "listen"]
protocol = "tcp"
ports = [8080]
addresses = ["127.0.0.1"]
"#;

/// A copy of busybox run as `sh`.
const SHELL: &str = "/usr/bin/rlsm-sh";

/// The shell may run busybox's applets (the /bin symlinks resolve to /bin/busybox) under its
/// own profile, and read its script and one tree.
const SHELL_PROFILE: &str = r#"
[profile.shell]
attach = ["/usr/bin/rlsm-sh"]

[[profile.shell.rule]]
allow = ["exec"]
paths = ["/bin/busybox"]
transition = "inherit"

[[profile.shell.rule]]
allow = ["read"]
paths = ["/srv/notes", "/srv/notes/**", "/srv/jobs/report.sh"]
"#;

/// Tools named by path, so that ash executes them instead of running the applet in-process.
const REPORT_SCRIPT: &str = "\
/bin/ls /srv/notes
/bin/cat /srv/notes/fruit.txt
/bin/grep -c apple /srv/notes/fruit.txt /srv/notes/more/veg.txt
/bin/cat /srv/notes/fruit.txt /srv/notes/more/veg.txt | /bin/wc -l
";
const REPORT_OUTPUT: &str = "\
fruit.txt
more
apple
banana
apple pie
/srv/notes/fruit.txt:2
/srv/notes/more/veg.txt:1
5
";

/// Debian's coreutils cat, installed by build-initramfs.sh with the libraries `ldd` lists.
pub(super) const DYN_CAT: &str = "/usr/bin/rlsm-dyn-cat";
const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";
const DYN_DATA: &str = "dynamically linked and confined\n";

/// The kernel maps the loader (the program's PT_INTERP) under the new profile; the loader
/// then opens and maps libc itself. One of the two libc rules below completes it.
const DYN_PROFILE: &str = r#"
[profile.dyncat]
attach = ["/usr/bin/rlsm-dyn-cat"]

[[profile.dyncat.rule]]
allow = ["read", "mmap_exec"]
paths = ["/lib64/ld-linux-x86-64.so.2"]

[[profile.dyncat.rule]]
allow = ["read"]
paths = ["/etc/ld.so.cache", "/srv/dyn/data.txt"]
"#;
const DYN_LIBC_MAPPABLE: &str = r#"
[[profile.dyncat.rule]]
allow = ["read", "mmap_exec"]
paths = ["/lib/x86_64-linux-gnu/libc.so.6"]
"#;
const DYN_LIBC_READ_ONLY: &str = r#"
[[profile.dyncat.rule]]
allow = ["read"]
paths = ["/lib/x86_64-linux-gnu/libc.so.6"]
"#;

pub(super) fn io_err(what: &str) -> impl FnOnce(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Writes each (path, content), creating parent directories.
pub(super) fn write_files(files: &[(&str, &str)]) -> Outcome {
    for (path, content) in files {
        if let Some(dir) = std::path::Path::new(path).parent() {
            fs::create_dir_all(dir).map_err(io_err(path))?;
        }
        fs::write(path, content).map_err(io_err(path))?;
    }
    Ok(())
}

pub(super) fn load(name: &str, toml: &str) -> Outcome {
    let file = format!("/tmp/programs-{name}.toml");
    fs::write(&file, toml).map_err(io_err(&file))?;
    lsmctl(&["load", &file])
}

/// Starts `prog` with `argv[0]` = `arg0` (busybox picks its applet by it) and pipes for
/// stdin, stdout and stderr.
pub(super) fn spawn(prog: &str, arg0: &str, args: &[&str]) -> Result<Child, String> {
    Command::new(prog)
        .arg0(arg0)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io_err(prog))
}

/// Runs a program to its end with stdin at EOF: (exit code, stdout, stderr).
pub(super) fn run_program(
    prog: &str,
    arg0: &str,
    args: &[&str],
) -> Result<(i32, String, String), String> {
    let out = spawn(prog, arg0, args)?
        .wait_with_output()
        .map_err(io_err(prog))?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Kernel-log lines that contain every one of `parts`.
pub(super) fn log_count(parts: &[&str]) -> usize {
    kernel_log()
        .lines()
        .filter(|l| parts.iter().all(|p| l.contains(p)))
        .count()
}

/// Checks that the kernel log has more lines containing every one of `parts` than `before`.
pub(super) fn logged_since(before: usize, parts: &[&str]) -> Outcome {
    check(log_count(parts) > before, || {
        format!("no new kernel-log line containing all of {parts:?}")
    })
}

/// A server process, killed and reaped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits up to `limit` for `child` to exit.
fn exit_within(child: &mut Child, limit: Duration) -> Result<Option<ExitStatus>, String> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().map_err(io_err("wait"))? {
            return Ok(Some(status));
        }
        if Instant::now() > deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut text);
    }
    text
}

/// Starts the confined httpd on `addr` and waits until it accepts connections.
fn start_httpd(addr: &str) -> Result<Server, String> {
    let mut server = Server(spawn(
        HTTPD,
        "httpd",
        &["-f", "-p", addr, "-h", "/srv/www"],
    )?);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if TcpStream::connect(("127.0.0.1", HTTPD_PORT)).is_ok() {
            return Ok(server);
        }
        if let Some(status) = server.0.try_wait().map_err(io_err("wait"))? {
            return Err(format!(
                "httpd exited ({status}): {}",
                stderr_of(&mut server.0).trim()
            ));
        }
        if Instant::now() > deadline {
            return Err("httpd does not accept connections after 5 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP/1.0 GET to 127.0.0.1:`port`: (status code, whole response).
pub(super) fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).map_err(io_err("connect"))?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(io_err("timeout"))?;
    write!(conn, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").map_err(io_err("send"))?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).map_err(io_err("receive"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line in {text:?}"))?;
    Ok((status, text))
}

pub(super) fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

fn web_server(s: &mut Suite) {
    let mut server = None;
    s.case("httpd: load its profile", || {
        fs::copy(BUSYBOX, HTTPD).map_err(io_err(HTTPD))?;
        write_files(&[
            ("/srv/www/docs/hello.txt", PUBLIC_BODY),
            ("/srv/www/private/secret.txt", SECRET_BODY),
        ])?;
        load("httpd", HTTPD_PROFILE)
    });
    s.case("httpd: serves a public file from 127.0.0.1:8080", || {
        server = Some(start_httpd("127.0.0.1:8080")?);
        let (status, response) = http_get(HTTPD_PORT, "/docs/hello.txt")?;
        check(status == 200 && body(&response) == PUBLIC_BODY, || {
            format!("got {response:?}")
        })
    });
    s.case(
        "httpd: a file under private/ is not served, and the denial is logged",
        || {
            check(server.is_some(), || "no server".into())?;
            let want = [
                "DENIED profile=\"httpd\" op=open",
                "path=\"/srv/www/private/secret.txt\" requested=r",
            ];
            let before = log_count(&want);
            let (status, response) = http_get(HTTPD_PORT, "/private/secret.txt")?;
            // busybox httpd answers any failed open with 404.
            check(
                status == 404 && !response.contains(SECRET_BODY.trim()),
                || format!("got {response:?}"),
            )?;
            logged_since(before, &want)
        },
    );
    s.case(
        "httpd: started on another port it cannot bind, and the denial is logged",
        || {
            let want = ["DENIED profile=\"httpd\" op=bind proto=tcp addr=127.0.0.1 port=8081"];
            let before = log_count(&want);
            let mut other = Server(spawn(
                HTTPD,
                "httpd",
                &["-f", "-p", "127.0.0.1:8081", "-h", "/srv/www"],
            )?);
            let status = exit_within(&mut other.0, Duration::from_secs(5))?
                .ok_or("httpd on port 8081 is still running")?;
            let err = stderr_of(&mut other.0);
            check(
                status.code() == Some(1) && err.contains("bind: Permission denied"),
                || format!("{status}: {err:?}"),
            )?;
            logged_since(before, &want)
        },
    );
    s.case("httpd: stop the server and remove its profile", || {
        let was_running = server.take().map(|mut srv| srv.0.try_wait());
        check(matches!(was_running, Some(Ok(None))), || {
            format!("the server was not running at the end: {was_running:?}")
        })?;
        lsmctl(&["remove", "httpd"])
    });
}

fn confined_shell(s: &mut Suite) {
    s.case("shell: load its profile", || {
        fs::copy(BUSYBOX, SHELL).map_err(io_err(SHELL))?;
        write_files(&[
            ("/srv/notes/fruit.txt", "apple\nbanana\napple pie\n"),
            ("/srv/notes/more/veg.txt", "carrot\npineapple\n"),
            ("/srv/jobs/report.sh", REPORT_SCRIPT),
        ])?;
        load("shell", SHELL_PROFILE)
    });
    s.case(
        "shell: a script's tools (cat, ls, grep, wc) work on the allowed tree",
        || {
            let (code, out, err) = run_program(SHELL, "sh", &["/srv/jobs/report.sh"])?;
            check(code == 0 && out == REPORT_OUTPUT && err.is_empty(), || {
                format!("exit {code}, stdout {out:?}, stderr {err:?}")
            })
        },
    );
    s.case(
        "shell: cat /etc/shadow inside it is refused; the tool ran under the shell's profile",
        || {
            // comm="cat": the executed tool, not the shell, was refused under "shell".
            let want = [
                "DENIED profile=\"shell\" op=open path=\"/etc/shadow\" requested=r",
                "comm=\"cat\"",
            ];
            let before = log_count(&want);
            let (code, out, err) = run_program(SHELL, "sh", &["-c", "/bin/cat /etc/shadow"])?;
            check(
                code == 1
                    && out.is_empty()
                    && err == "cat: can't open '/etc/shadow': Permission denied\n",
                || format!("exit {code}, stdout {out:?}, stderr {err:?}"),
            )?;
            logged_since(before, &want)
        },
    );
    s.case(
        "shell: a program outside its exec rules is refused (126), and logged",
        || {
            let want = [
                "DENIED profile=\"shell\" op=open path=\"/usr/bin/lsmctl\" requested=x denied=x",
            ];
            let before = log_count(&want);
            let (code, out, err) = run_program(SHELL, "sh", &["-c", "/usr/bin/lsmctl list"])?;
            check(
                code == 126 && out.is_empty() && err.contains("Permission denied"),
                || format!("exit {code}, stdout {out:?}, stderr {err:?}"),
            )?;
            logged_since(before, &want)
        },
    );
    s.case("shell: remove its profile", || lsmctl(&["remove", "shell"]));
}

fn dynamic_program(s: &mut Suite) {
    s.case("dynamic: load the profile of a glibc program", || {
        for f in [DYN_CAT, LOADER, LIBC] {
            fs::metadata(f).map_err(|e| format!("{f} (build-initramfs.sh installs it): {e}"))?;
        }
        write_files(&[
            ("/srv/dyn/data.txt", DYN_DATA),
            ("/srv/dyn/secret.txt", SECRET_BODY),
        ])?;
        load("dyncat", &format!("{DYN_PROFILE}{DYN_LIBC_MAPPABLE}"))
    });
    s.case("dynamic: it starts and prints a permitted file", || {
        let (code, out, err) = run_program(DYN_CAT, DYN_CAT, &["/srv/dyn/data.txt"])?;
        check(code == 0 && out == DYN_DATA && err.is_empty(), || {
            format!("exit {code}, stdout {out:?}, stderr {err:?}")
        })
    });
    s.case(
        "dynamic: it cannot read a file its profile does not allow",
        || {
            let want =
                ["DENIED profile=\"dyncat\" op=open path=\"/srv/dyn/secret.txt\" requested=r"];
            let before = log_count(&want);
            let (code, out, err) = run_program(DYN_CAT, DYN_CAT, &["/srv/dyn/secret.txt"])?;
            check(
                code == 1
                    && out.is_empty()
                    && err == format!("{DYN_CAT}: /srv/dyn/secret.txt: Permission denied\n"),
                || format!("exit {code}, stdout {out:?}, stderr {err:?}"),
            )?;
            logged_since(before, &want)
        },
    );
    s.case(
        "dynamic: without mmap_exec on libc it cannot start, and the mmap is logged",
        || {
            load("dyncat", &format!("{DYN_PROFILE}{DYN_LIBC_READ_ONLY}"))?;
            let want = [&format!(
                "DENIED profile=\"dyncat\" op=mmap path=\"{LIBC}\" requested=m denied=m"
            )[..]];
            let before = log_count(&want);
            let (code, out, err) = run_program(DYN_CAT, DYN_CAT, &["/srv/dyn/data.txt"])?;
            // 127: the loader's own exit status when a library cannot be loaded.
            check(
                code == 127
                    && out.is_empty()
                    && err.contains("error while loading shared libraries: libc.so.6"),
                || format!("exit {code}, stdout {out:?}, stderr {err:?}"),
            )?;
            logged_since(before, &want)
        },
    );
    s.case("dynamic: remove its profile", || {
        lsmctl(&["remove", "dyncat"])
    });
}

pub(crate) fn run(s: &mut Suite) {
    web_server(s);
    confined_shell(s);
    dynamic_program(s);
    abstractions::run(s);
    shipped::run(s);
    learning::run_cases(s);
}
