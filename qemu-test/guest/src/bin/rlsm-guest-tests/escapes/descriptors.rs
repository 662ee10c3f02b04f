//! M3 and relatives: a descriptor must not carry access across a profile boundary. An
//! inherited descriptor the new profile may not use is taken away at the exec that changes
//! the profile (closed, or revoked: its number then reads nothing); SCM_RIGHTS does not
//! deliver one; an io_uring made under another profile is taken away the same way, and a
//! ring's own opens are checked like open(2); a POSIX queue descriptor is taken away too.

use super::{expect, has_line, load, new_denials, refused, remove};
use crate::{check, Outcome, Suite, FREE_PROBE};
use std::fs::File;
use std::os::unix::io::{AsRawFd, RawFd};
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

const PROBE: &str = "/usr/bin/rlsm-probe-esc-fd";
const RECV: &str = "/usr/bin/rlsm-probe-esc-fdrecv";
const SOCK: &str = "/tmp/esc/fd/pass.sock";

/// Everything under /etc but /etc/shadow.
const PROFILE: &str = r#"
[profile.esc-fd]
attach = ["/usr/bin/rlsm-probe-esc-fd"]

[[profile.esc-fd.rule]]
allow = ["read"]
paths = ["/etc/**"]

[[profile.esc-fd.rule]]
deny = ["read"]
paths = ["/etc/shadow"]
"#;

/// The same, and may connect to the runner's descriptor-passing socket.
const RECV_PROFILE: &str = r#"
[profile.esc-fdrecv]
attach = ["/usr/bin/rlsm-probe-esc-fdrecv"]

[profile.esc-fdrecv.network]
sockets = ["unix"]

[[profile.esc-fdrecv.rule]]
allow = ["read"]
paths = ["/etc/**"]

[[profile.esc-fdrecv.rule]]
deny = ["read"]
paths = ["/etc/shadow"]

[[profile.esc-fdrecv.rule]]
allow = ["connect"]
paths = ["/tmp/esc/fd/*.sock"]
"#;

/// What a refused inherited descriptor gives the program: nothing. The kernel either closes
/// it (EBADF) or revokes it, leaving the number taken by a file that reads nothing.
fn no_data(got: &(i32, String)) -> bool {
    got.0 == libc::EBADF || *got == (0, "read 0\n".into())
}

/// Runs `probe ARGS` with `fd` as its descriptor 3 (not close-on-exec).
pub(crate) fn with_fd3(probe: &str, args: &[&str], fd: RawFd) -> (i32, String) {
    with_fds(probe, args, &[(3, fd)])
}

/// Runs `probe ARGS` with each `(number, fd)` of `fds` as its descriptor `number` (not
/// close-on-exec); the runner's other descriptors are close-on-exec, so the numbers between
/// stay free.
fn with_fds(probe: &str, args: &[&str], fds: &[(RawFd, RawFd)]) -> (i32, String) {
    let mut cmd = super::command(probe);
    cmd.args(args);
    let fds = fds.to_vec();
    // SAFETY: dup/dup2/fcntl are async-signal-safe; the runner's descriptors stay open
    // meanwhile.
    unsafe {
        cmd.pre_exec(move || {
            // First out of the way (a source may be another pair's number), then in place.
            let mut moved = [0; 8];
            for (slot, &(_, fd)) in moved.iter_mut().zip(&fds) {
                *slot = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 900);
                if *slot < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            for (&from, &(number, _)) in moved.iter().zip(&fds) {
                if libc::dup2(from, number) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    super::output(&mut cmd)
}

fn open(path: &str) -> Result<File, String> {
    File::open(path).map_err(|e| format!("{path}: {e}"))
}

/// An io_uring made by the (unconfined) runner.
pub(crate) fn ring() -> Result<File, String> {
    let mut params = [0u32; 30]; // struct io_uring_params
                                 // SAFETY: `params` is a writable struct io_uring_params.
    let fd = unsafe { libc::syscall(425, 4u32, params.as_mut_ptr()) };
    if fd < 0 {
        return Err(format!(
            "io_uring_setup: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: A fresh descriptor we own.
    Ok(unsafe { <File as std::os::unix::io::FromRawFd>::from_raw_fd(fd as RawFd) })
}

/// Serves one connection on SOCK: sends one byte with a descriptor of `path` (SCM_RIGHTS).
fn serve(path: &str) -> Result<std::thread::JoinHandle<Outcome>, String> {
    serve_at(SOCK, path)
}

/// [`serve`] on the socket `sock`, which any user may connect to.
pub(crate) fn serve_at(sock: &str, path: &str) -> Result<std::thread::JoinHandle<Outcome>, String> {
    let _ = std::fs::remove_file(sock);
    let listener = UnixListener::bind(sock).map_err(|e| format!("{sock}: {e}"))?;
    std::fs::set_permissions(sock, std::os::unix::fs::PermissionsExt::from_mode(0o777))
        .map_err(|e| format!("{sock}: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let file = open(path)?;
    Ok(std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match listener.accept() {
                Ok((c, _)) => break c,
                Err(_) if Instant::now() < end => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(format!("nobody connected: {e}")),
            }
        };
        let mut control = [0u64; 4];
        let fd = file.as_raw_fd();
        // SAFETY: The cmsg macros write one SCM_RIGHTS header and descriptor within
        // `control`; every buffer outlives sendmsg.
        unsafe {
            let mut iov = libc::iovec {
                iov_base: b"x".as_ptr() as *mut libc::c_void,
                iov_len: 1,
            };
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(4) as _;
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(4) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd);
            if libc::sendmsg(stream.as_raw_fd(), &msg, 0) != 1 {
                return Err(format!("sendmsg: {}", std::io::Error::last_os_error()));
            }
        }
        Ok(())
    }))
}

/// `recv-fd` from the runner serving `path`: the probe's errno and output.
fn receive(path: &str, errno: i32, said: &str) -> Outcome {
    let server = serve(path)?;
    let (got, out) = super::run_probe(RECV, &["recv-fd", SOCK]);
    let served = server
        .join()
        .map_err(|_| "the server panicked".to_string())?;
    check(got == errno && out.trim() == said, || {
        format!("recv-fd {path}: {got} {out:?}, expected {errno} {said:?}")
    })?;
    served
}

pub(super) fn run(s: &mut Suite) {
    s.case("descriptors: load the descriptor profiles", || {
        super::fixture(&["/tmp/esc/fd"], &[])?;
        load("esc-fd", PROFILE)
    });
    s.case(
        "descriptors: an inherited denied file is closed or revoked at exec",
        || {
            let shadow = open("/etc/shadow")?;
            let mut got = (0, String::new());
            let lines = new_denials("esc-fd", || {
                got = with_fd3(PROBE, &["read-fd", "3"], shadow.as_raw_fd());
                Ok(())
            })?;
            check(no_data(&got), || format!("read-fd 3: {got:?}"))?;
            has_line(&lines, "inherit", "path=\"/etc/shadow\"")
        },
    );
    // The exec walks the whole table: refused files past a gap and above the first table
    // size (64) are found too, every one of them in the same exec, and allowed ones between
    // them stay.
    s.case(
        "descriptors: every refused file is revoked, past gaps and above fd 64",
        || {
            let (shadow, passwd) = (open("/etc/shadow")?, open("/etc/passwd")?);
            let fds = [
                (7, shadow.as_raw_fd()),
                (100, passwd.as_raw_fd()),
                (200, shadow.as_raw_fd()),
            ];
            let mut got = (0, String::new());
            let lines = new_denials("esc-fd", || {
                got = with_fds(PROBE, &["read-fd", "7"], &fds);
                Ok(())
            })?;
            check(no_data(&got), || format!("read-fd 7: {got:?}"))?;
            let inherits = lines
                .iter()
                .filter(|l| l.contains(" op=inherit") && l.contains("path=\"/etc/shadow\""))
                .count();
            check(inherits == 2, || {
                format!("{inherits} inherit lines: {lines:?}")
            })?;
            let got = with_fds(PROBE, &["read-fd", "200"], &fds);
            check(no_data(&got), || format!("read-fd 200: {got:?}"))?;
            let got = with_fds(PROBE, &["read-fd", "100"], &fds);
            check(got == (0, "read 1\n".into()), || {
                format!("read-fd 100: {got:?}")
            })
        },
    );
    s.case(
        "descriptors: an inherited allowed file stays usable",
        || {
            let passwd = open("/etc/passwd")?;
            let got = with_fd3(PROBE, &["read-fd", "3"], passwd.as_raw_fd());
            check(got == (0, "read 1\n".into()), || {
                format!("read-fd 3: {got:?}")
            })
        },
    );
    s.case(
        "descriptors: an unconfined program keeps what it inherits",
        || {
            let shadow = open("/etc/shadow")?;
            let got = with_fd3(FREE_PROBE, &["read-fd", "3"], shadow.as_raw_fd());
            check(got == (0, "read 1\n".into()), || {
                format!("read-fd 3: {got:?}")
            })
        },
    );
    // A refused standard descriptor must not simply vanish: SELinux and AppArmor put
    // /dev/null in its place. A closed fd 0-2 makes the program's startup reopen it (Rust's
    // runtime opens /dev/null and aborts when that fails) or hands the number to its next open.
    s.case(
        "descriptors: a confined program started on /dev/null keeps a stdin",
        || {
            let mut cmd = Command::new(PROBE);
            cmd.args(["read-fd", "0"])
                .stdin(std::process::Stdio::null());
            let got = super::output(&mut cmd);
            check(got == (0, "read 0\n".into()), || {
                format!("read-fd 0: {got:?} (-1: killed by a signal)")
            })
        },
    );
    s.case(
        "descriptors: an io_uring made unconfined is closed or revoked at exec",
        || {
            let ring = ring()?;
            let free = with_fd3(FREE_PROBE, &["uring-read", "3"], ring.as_raw_fd());
            check(free.0 == 0, || format!("unconfined uring-read: {free:?}"))?;
            let mut got = (0, String::new());
            let lines = new_denials("esc-fd", || {
                got = with_fd3(PROBE, &["uring-read", "3"], ring.as_raw_fd());
                Ok(())
            })?;
            // Closed (EBADF) or revoked: then fd 3 is no ring any more (EOPNOTSUPP).
            check(got.0 == libc::EBADF || got.0 == libc::EOPNOTSUPP, || {
                format!("uring-read 3: {got:?}")
            })?;
            has_line(&lines, "inherit", "io_uring")
        },
    );
    s.case(
        "descriptors: an inherited POSIX queue is closed or revoked at exec",
        || {
            let flags = libc::O_CREAT | libc::O_RDWR | libc::O_CLOEXEC;
            let queue = super::mqueue::runner_mq_open("rlsm-esc-fd", flags)
                .map_err(|e| format!("mq_open: errno {e}"))?;
            // SAFETY: A fresh descriptor the runner owns.
            let queue = unsafe { <File as std::os::unix::io::FromRawFd>::from_raw_fd(queue) };
            let mut got = (0, String::new());
            let lines = new_denials("esc-fd", || {
                got = with_fd3(PROBE, &["read-fd", "3"], queue.as_raw_fd());
                Ok(())
            })?;
            super::mqueue::runner_mq_unlink("rlsm-esc-fd");
            check(no_data(&got), || format!("read-fd 3: {got:?}"))?;
            has_line(&lines, "inherit", "path=\"mqueue:/rlsm-esc-fd\"")
        },
    );
    s.case("descriptors: a ring's own open of an allowed file", || {
        expect(PROBE, &["uring-open", "/etc/passwd"], 0).map(drop)
    });
    s.case(
        "descriptors: a ring's own open of a denied file is refused",
        || {
            let args = ["uring-open", "/etc/shadow"];
            refused(
                PROBE,
                &args,
                libc::EACCES,
                "esc-fd",
                "open",
                "path=\"/etc/shadow\"",
            )
        },
    );
    // A registered personality carries the creds it was registered with; the kernel checks
    // them (uring_override_creds) against the task's profile. A confined task can only hold
    // a ring made under its own profile (the cases above), so its personalities are its own:
    // the refusal of another profile's is defence in depth that userspace cannot reach today.
    s.case(
        "descriptors: a ring's open under the task's own personality",
        || expect(PROBE, &["uring-open-personality", "/etc/passwd"], 0).map(drop),
    );
    s.case(
        "descriptors: a personality does not lift the rules: a denied file is refused",
        || {
            let args = ["uring-open-personality", "/etc/shadow"];
            let needle = "path=\"/etc/shadow\"";
            refused(PROBE, &args, libc::EACCES, "esc-fd", "open", needle)
        },
    );
    s.case("descriptors: load the descriptor-passing profile", || {
        load("esc-fdrecv", RECV_PROFILE)
    });
    s.case(
        "descriptors: SCM_RIGHTS does not deliver a denied file",
        || {
            let lines = new_denials("esc-fdrecv", || {
                receive("/etc/shadow", libc::EACCES, "truncated")
            })?;
            has_line(&lines, "receive", "path=\"/etc/shadow\"")
        },
    );
    s.case("descriptors: SCM_RIGHTS delivers an allowed file", || {
        receive("/etc/passwd", 0, "fd received")
    });
    s.case("descriptors: remove the descriptor profiles", || {
        remove(&["esc-fd", "esc-fdrecv"])
    });
}
