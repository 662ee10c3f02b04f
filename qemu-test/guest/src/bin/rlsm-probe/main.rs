//! rlsm-probe: the program the guest tests confine. It does one thing and reports the
//! result as its exit status: 0 on success, the errno otherwise.
//!
//! - `rlsm-probe open PATH r|w|rw|rwc|wt`: open PATH (c: create it, t: `O_TRUNC`);
//! - `rlsm-probe wait-open TRIGGER PATH r|w`: wait until TRIGGER exists, then open PATH;
//! - `rlsm-probe exec PATH ARGS...`: execute PATH;
//! - `rlsm-probe append|write|create PATH`: open for appending, writing, or create;
//! - `rlsm-probe mkdir|unlink|truncate|chmod|utimes|futimens|ioctl|mmap-exec|mprotect-exec
//!   PATH` (`utimes` by name, `futimens` through a read-only descriptor);
//! - `rlsm-probe rename|link|symlink FROM TO`;
//! - `rlsm-probe chown PATH UID`, `setuid UID`: capability checks;
//! - `rlsm-probe kill PID SIG`, `ptrace PID` (seize), `sleep SECONDS`;
//! - `rlsm-probe mount-tmpfs DIR`, `umount DIR`, `pivot-root NEW OLD`;
//! - `rlsm-probe open-many PATH N`: open PATH for reading N times (the last errno);
//! - `rlsm-probe socket FAMILY TYPE PROTOCOL`, `tcp-bind PORT`, `tcp-listen PORT`,
//!   `tcp-connect ADDR PORT`, `udp-send ADDR PORT` (IPv4 or IPv6 by ADDR; binds are on
//!   127.0.0.1);
//! - `rlsm-probe load BLOB`, `remove NAME`, `securityfs-load BLOB`: policy changes;
//! - `rlsm-probe restrict BLOB N [PATH ARGS...]`: stack BLOB as a sandbox layer N times
//!   (prints `stacked K`, and `errno E` after a refusal), then execute PATH if given;
//!   `restrict-threaded BLOB`, `restrict-after-uring BLOB`: stack it with a second thread
//!   running, or after making an io_uring instance;
//! - `rlsm-probe records BLOBS PATHS COUNT`, `records-eof BLOB PATH`: sandbox records read
//!   from the kernel's descriptor; `records-dry BLOB PATH` (a dry run asking for records);
//!   `pidfd-getfd PID FD` (records_ops.rs);
//! - `rlsm-probe all-threads BLOB PATH`, `all-threads-twice BLOB`, `all-threads-uring BLOB
//!   PATH`: a layer stacked on every thread at once (`FLAG_ALL_THREADS`) by a process whose
//!   threads are busy, twice at the same moment, or with a thread that used io_uring;
//!   `all-threads-shared vm|files|none BLOB`, with a process outside sharing its memory or
//!   descriptor table; `all-threads-stuck MS ALARM_MS BLOB PATH`, with a thread in `vfork()`
//!   for MS milliseconds and SIGALRM due in ALARM_MS (threads_ops.rs);
//! - `rlsm-probe listen-then-exec PATH ARGS...`: open a listener for every ask profile
//!   (`LSM_POLICY_LISTEN`), keep it open, then execute PATH (an argument `{fd}` becomes the
//!   listener's descriptor): the program is the agent's own thread group, never asked about;
//!   `listener-use FD`: read a request from the listener FD, then answer one (the errno of
//!   the first that fails); `restrict-listener BLOB`: stack BLOB with its listener
//!   (`FLAG_LISTENER`) and use the listener from inside; `mkdir-retry PATH`: mkdir, and
//!   once more a second later if it failed;
//! - `rlsm-probe whoami [exec]`: print the task's rustlsm profile (`lsm_get_self_attr`), or
//!   `(no rustlsm context)` for an unconfined task; with `exec`, the profile it chose for
//!   its next exec;
//!
//! Escape attempts (escape_ops.rs; the errno of the first failing step, or 0):
//! - `setid-create PATH MODE`, `setid-chmod PATH MODE`, `setid-fchmod PATH MODE` (through a
//!   read-only descriptor), `setid-fchmodat2 PATH MODE` (`AT_EMPTY_PATH` on an `O_PATH`
//!   descriptor), `setid-mkdir PATH MODE` (MODE in
//!   octal, such as 4755), `setid-tmpfile DIR NAME MODE` (an `O_TMPFILE` file named by
//!   `linkat()`); `proc-cache NAME`: a child opens the probe's `/proc/PID/NAME`, then the
//!   probe opens `/proc/self/NAME`;
//! - `unix-connect PATH|@NAME` (stream connect; `@` = abstract), `unix-send PATH|@NAME`
//!   (datagram sendto); `unix-listen PATH|@NAME SECONDS`, `unix-dgram-listen PATH|@NAME
//!   SECONDS`: bind, print `listening`, count connections or datagrams for SECONDS, print
//!   `accepted N` or `received N`;
//! - `tcp-fastopen ADDR PORT`, `mptcp-fastopen ADDR PORT` (sendto with MSG_FASTOPEN on a
//!   fresh TCP or MPTCP socket), `udp-send-unspec ADDR PORT` and `udp6-send-unspec ADDR PORT`
//!   (sendto an address whose family is AF_UNSPEC from an IPv4 or IPv6 UDP socket),
//!   `udp-bind-unspec PORT` (AF_UNSPEC, INADDR_ANY), `udp6-send-mapped V4ADDR PORT` (IPv6
//!   socket to ::ffff:V4ADDR), `sctp-socket` (prints `stream=E seqpacket=E`);
//! - `sigio-kill PID SIG`: F_SETOWN PID, F_SETSIG SIG and O_ASYNC on a pipe, then write to it;
//! - `read-fd N`: read a byte from inherited descriptor N (prints `read 0|1`); `recv-fd
//!   SOCKPATH`: receive one SCM_RIGHTS descriptor and read from it (13 and `truncated` if the
//!   kernel dropped it);
//! - `uring-read FD` (io_uring_enter on an inherited ring), `uring-open PATH` (IORING_OP_OPENAT
//!   on a ring of its own; the completion's errno), `uring-open-personality PATH` (the same
//!   under a personality the task registered);
//! - `chroot-open DIR PATH`: chroot(DIR), chdir("/"), open PATH read-only;
//! - `append-overwrite PATH` (O_APPEND, F_SETFL 0, pwrite at 0), `append-noappend PATH`
//!   (pwritev2 RWF_NOAPPEND at 0), `append-mmap PATH` (O_RDWR|O_APPEND, shared writable map);
//! - `fsmount-tmpfs DIR` (fsopen, fsconfig, fsmount, move_mount), `open-tree-open DIR FILE`
//!   (open FILE under a detached clone of DIR), `open-tree-create DIR FILE` (the same with
//!   O_CREAT), `fspick-reconfigure DIR` (fspick, then
//!   FSCONFIG_CMD_RECONFIGURE); each prints the step that failed;
//! - `at-secure` (prints AT_SECURE), `traceme-exec PATH ARGS...` (a child that asked to be
//!   traced execs PATH; prints `running` or `exec failed: errno E`), `nnp-exec PATH ARGS...`
//!   (no_new_privs, then exec), `exec-as NAME [remove] PATH ARGS...` (choose NAME for the
//!   next exec, remove that profile if asked, exec), `sharefs-exec PATH ARGS...` (a clone(CLONE_FS) child execs
//!   PATH; prints `exec failed: errno E`), `execveat-deleted PATH ARGS...` (O_PATH, unlink,
//!   execveat);
//! - `tiocsti-fd N`, `tcsetpgrp-fd N`, `tcgets-fd N`, `tiocexcl-fd N` (on a terminal held as
//!   descriptor N); `prlimit-cpu PID` (set another task's RLIMIT_CPU to unlimited);
//!   `setpgid PGID` (move itself into process group PGID, 0: its own);
//! - `tiocsti|tcgets PATH` (terminal ioctls, opened O_RDWR|O_NOCTTY), `open-mode3 PATH`
//!   (open with O_ACCMODE 3), `mq-open NAME` (create, close and remove a POSIX queue),
//!   `mq-unlink NAME`,
//!   `setflags PATH` (FS_IOC_GETFLAGS then SETFLAGS), `fioclex PATH`;
//! - `churn DIR N`: create, read and remove DIR/ok-I, then create DIR/no-I and read it (the
//!   read must be refused; prints `read PATH` if not), N times.

use rustlsm_policy::abi;
use std::ffi::CString;
use std::fs::OpenOptions;
use std::os::unix::ffi::OsStrExt;
use std::process::exit;

mod escape_ops;
mod records_ops;
mod threads_ops;

pub(crate) fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(255)
}

fn open(path: &str, mode: &str) -> i32 {
    let mut o = OpenOptions::new();
    o.read(mode.contains('r'))
        .write(mode.contains('w'))
        .truncate(mode.contains('t'))
        .create(mode.contains('c'));
    match o.open(path) {
        Ok(_) => 0,
        Err(e) => errno_of(&e),
    }
}

/// Runs a libc call that returns -1 on failure; the errno, or 0.
pub(crate) fn errno_if(rc: libc::c_int) -> i32 {
    if rc == -1 {
        errno_of(&std::io::Error::last_os_error())
    } else {
        0
    }
}

pub(crate) fn cstr(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}

/// Opens `path` with `flags` and runs `f` on the descriptor.
pub(crate) fn with_fd(path: &str, flags: libc::c_int, f: impl FnOnce(libc::c_int) -> i32) -> i32 {
    let p = cstr(path);
    // SAFETY: `p` is a valid C string.
    let fd = unsafe { libc::open(p.as_ptr(), flags | libc::O_CLOEXEC, 0o644) };
    if fd < 0 {
        return errno_of(&std::io::Error::last_os_error());
    }
    let r = f(fd);
    // SAFETY: `fd` was opened above.
    unsafe { libc::close(fd) };
    r
}

fn file_op(op: &str, a: &str, b: &str) -> Option<i32> {
    let (ca, cb) = (cstr(a), cstr(b));
    // SAFETY (all arms): plain system calls on valid C strings and descriptors.
    Some(unsafe {
        match op {
            "append" => with_fd(a, libc::O_WRONLY | libc::O_APPEND, |_| 0),
            "write" => with_fd(a, libc::O_WRONLY, |_| 0),
            "create" => with_fd(a, libc::O_WRONLY | libc::O_CREAT, |_| 0),
            "mkdir" => errno_if(libc::mkdir(ca.as_ptr(), 0o755)),
            "unlink" => errno_if(libc::unlink(ca.as_ptr())),
            "truncate" => errno_if(libc::truncate(ca.as_ptr(), 0)),
            "chmod" => errno_if(libc::chmod(ca.as_ptr(), 0o600)),
            "utimes" => {
                let times = [libc::timespec {
                    tv_sec: 1_000_000_000,
                    tv_nsec: 0,
                }; 2];
                errno_if(libc::utimensat(
                    libc::AT_FDCWD,
                    ca.as_ptr(),
                    times.as_ptr(),
                    0,
                ))
            }
            "futimens" => with_fd(a, libc::O_RDONLY, |fd| {
                errno_if(libc::futimens(fd, std::ptr::null()))
            }),
            "rename" => errno_if(libc::rename(ca.as_ptr(), cb.as_ptr())),
            "exchange" => errno_if(libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            ) as libc::c_int),
            "link" => errno_if(libc::link(ca.as_ptr(), cb.as_ptr())),
            "symlink" => errno_if(libc::symlink(ca.as_ptr(), cb.as_ptr())),
            "ioctl" => with_fd(a, libc::O_RDONLY, |fd| {
                let mut n: libc::c_int = 0;
                errno_if(libc::ioctl(fd, libc::FIONREAD, &mut n))
            }),
            "mmap-exec" => with_fd(a, libc::O_RDONLY, |fd| {
                let p = libc::mmap(
                    std::ptr::null_mut(),
                    4096,
                    libc::PROT_READ | libc::PROT_EXEC,
                    libc::MAP_PRIVATE,
                    fd,
                    0,
                );
                if p == libc::MAP_FAILED {
                    errno_of(&std::io::Error::last_os_error())
                } else {
                    libc::munmap(p, 4096);
                    0
                }
            }),
            "mprotect-exec" => with_fd(a, libc::O_RDONLY, |fd| {
                let p = libc::mmap(
                    std::ptr::null_mut(),
                    4096,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE,
                    fd,
                    0,
                );
                if p == libc::MAP_FAILED {
                    return errno_of(&std::io::Error::last_os_error());
                }
                let r = errno_if(libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC));
                libc::munmap(p, 4096);
                r
            }),
            "chown" => errno_if(libc::chown(ca.as_ptr(), number(b), number(b))),
            "setuid" => {
                let id = number(a);
                errno_if(libc::setresuid(id, id, id))
            }
            "kill" => errno_if(libc::kill(
                number(a) as libc::pid_t,
                number(b) as libc::c_int,
            )),
            "ptrace" => {
                let pid = number(a) as libc::pid_t;
                let rc = libc::ptrace(libc::PTRACE_SEIZE, pid, 0, 0);
                errno_if(rc as libc::c_int)
            }
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(number(a).into()));
                0
            }
            "mount-tmpfs" => {
                let fstype = cstr("tmpfs");
                errno_if(libc::mount(
                    fstype.as_ptr(),
                    ca.as_ptr(),
                    fstype.as_ptr(),
                    0,
                    std::ptr::null(),
                ))
            }
            "umount" => errno_if(libc::umount(ca.as_ptr())),
            "pivot-root" => errno_if(
                libc::syscall(libc::SYS_pivot_root, ca.as_ptr(), cb.as_ptr()) as libc::c_int,
            ),
            "socket" => {
                let fd = libc::socket(number(a) as i32, number(b) as i32, number(&c_arg()) as i32);
                if fd >= 0 {
                    libc::close(fd);
                }
                errno_if(fd.min(0))
            }
            "tcp-bind" => inet_op(libc::SOCK_STREAM, "127.0.0.1", a, |fd, sa| {
                errno_if(libc::bind(fd, sa.0, sa.1))
            }),
            "tcp-listen" => inet_op(libc::SOCK_STREAM, "127.0.0.1", a, |fd, sa| {
                match errno_if(libc::bind(fd, sa.0, sa.1)) {
                    0 => errno_if(libc::listen(fd, 1)),
                    e => e,
                }
            }),
            "tcp-connect" => inet_op(libc::SOCK_STREAM, a, b, |fd, sa| {
                errno_if(libc::connect(fd, sa.0, sa.1))
            }),
            // A non-blocking connect: EINPROGRESS when it goes ahead.
            "tcp-connect-nb" => inet_op(libc::SOCK_STREAM | libc::SOCK_NONBLOCK, a, b, |fd, sa| {
                errno_if(libc::connect(fd, sa.0, sa.1))
            }),
            "udp-send" => inet_op(libc::SOCK_DGRAM, a, b, |fd, sa| {
                let n = libc::sendto(fd, b"x".as_ptr().cast(), 1, 0, sa.0, sa.1);
                errno_if(if n < 0 { -1 } else { 0 })
            }),
            _ => return None,
        }
    })
}

/// The third argument of a two-argument operation's command line (`socket`'s protocol).
fn c_arg() -> String {
    std::env::args().nth(4).unwrap_or_default()
}

/// Creates an IPv4 or IPv6 socket (by the address's form) of `kind` and runs `f` with it and
/// the address `addr:port`.
fn inet_op(
    kind: libc::c_int,
    addr: &str,
    port: &str,
    f: impl FnOnce(libc::c_int, (*const libc::sockaddr, libc::socklen_t)) -> i32,
) -> i32 {
    let ip: std::net::IpAddr = addr
        .parse()
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    let port = (number(port) as u16).to_be();
    // SAFETY: Zeroed sockaddrs are valid values to fill in; plain socket calls on addresses
    // that outlive them.
    unsafe {
        let mut sin: libc::sockaddr_in = std::mem::zeroed();
        let mut sin6: libc::sockaddr_in6 = std::mem::zeroed();
        let (family, sa, len) = match ip {
            std::net::IpAddr::V4(v4) => {
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = port;
                sin.sin_addr.s_addr = u32::from_ne_bytes(v4.octets());
                let sa = (&sin as *const libc::sockaddr_in).cast::<libc::sockaddr>();
                (libc::AF_INET, sa, std::mem::size_of_val(&sin))
            }
            std::net::IpAddr::V6(v6) => {
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = port;
                sin6.sin6_addr.s6_addr = v6.octets();
                let sa = (&sin6 as *const libc::sockaddr_in6).cast::<libc::sockaddr>();
                (libc::AF_INET6, sa, std::mem::size_of_val(&sin6))
            }
        };
        let fd = libc::socket(family, kind | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return errno_of(&std::io::Error::last_os_error());
        }
        let r = f(fd, (sa, len as libc::socklen_t));
        libc::close(fd);
        r
    }
}

/// Prints this task's rustlsm profile as `lsm_get_self_attr(LSM_ATTR_CURRENT)` reports it.
/// Prints the task's rustlsm attribute `attr` (100: current, 101: exec).
fn whoami(attr: u32) -> i32 {
    // struct lsm_ctx: id, flags, len, ctx_len (u64 each), then the context.
    let mut buf = [0u64; 64];
    buf[0] = 114; // LSM_ID_RUSTLSM, with LSM_FLAG_SINGLE
    let mut size = std::mem::size_of_val(&buf) as u32;
    // SAFETY: `buf` is writable for `size` bytes; `size` is a valid u32.
    let rc = unsafe { libc::syscall(459, attr, buf.as_mut_ptr(), &mut size as *mut u32, 1u32) };
    if rc < 0 {
        let err = std::io::Error::last_os_error();
        // rustlsm has no context for a task without a profile.
        if err.raw_os_error() == Some(libc::EOPNOTSUPP) {
            println!("(no rustlsm context)");
            return 0;
        }
        return errno_of(&err);
    }
    let bytes: Vec<u8> = buf.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let ctx_len = buf[3] as usize;
    let name = bytes.get(32..32 + ctx_len).unwrap_or(&[]);
    println!("{}", String::from_utf8_lossy(name).trim_end_matches('\0'));
    0
}

fn manage_policy(op: u32, buf: &[u8]) -> i32 {
    rlsm_guest::manage_policy(op, buf, 0)
}

/// Stacks `blob` as a sandbox layer `times` times, printing `stacked K` (the layers that
/// took) and, after a refusal, `errno E`; then executes `exec` if it names a program (also
/// after a refusal, to show what the task may still do). The errno of the refusal, or of
/// the exec.
fn restrict(blob: &[u8], times: u32, exec: &[String]) -> i32 {
    let mut stacked = 0;
    let mut code = 0;
    while stacked < times {
        code = rlsm_guest::manage_policy(abi::LSM_POLICY_RESTRICT_SELF, blob, 0);
        if code != 0 {
            break;
        }
        stacked += 1;
    }
    println!("stacked {stacked}");
    if code != 0 {
        println!("errno {code}");
    }
    let Some((program, args)) = exec.split_first() else {
        return code;
    };
    use std::io::Write;
    let _ = std::io::stdout().flush();
    use std::os::unix::process::CommandExt;
    errno_of(&std::process::Command::new(program).args(args).exec())
}

/// Stacks `blob` once with another thread running (`threaded`) or after making an io_uring
/// instance: the errno.
fn restrict_busy(blob: &[u8], threaded: bool) -> i32 {
    let _thread = threaded
        .then(|| std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_secs(2))));
    if !threaded {
        let mut params = [0u32; 30]; // struct io_uring_params
                                     // SAFETY: `params` is a writable struct io_uring_params.
        if unsafe { libc::syscall(425, 4u32, params.as_mut_ptr()) } < 0 {
            return errno_of(&std::io::Error::last_os_error());
        }
    }
    rlsm_guest::manage_policy(abi::LSM_POLICY_RESTRICT_SELF, blob, 0)
}

/// Reads a request from the listener `fd` without waiting, then writes an answer: the errno
/// of the first that fails, or 0.
fn use_listener(fd: libc::c_int) -> i32 {
    // SAFETY: A bad descriptor only fails.
    unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is valid for its length; a bad descriptor only fails.
    let read = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if read < 0 {
        return errno_of(&std::io::Error::last_os_error());
    }
    let answer = b"1 allow session\n";
    // SAFETY: As for the read.
    let wrote = unsafe { libc::write(fd, answer.as_ptr().cast(), answer.len()) };
    if wrote < 0 {
        return errno_of(&std::io::Error::last_os_error());
    }
    0
}

/// Executes `args[0]` with the arguments `args`; returns the errno if it could not.
fn exec_args(args: &[String]) -> i32 {
    let argv: Vec<CString> = args
        .iter()
        .map(|a| CString::new(std::ffi::OsStr::new(a).as_bytes()).unwrap_or_default())
        .collect();
    let Some(path) = argv.first() else {
        return libc::EINVAL;
    };
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: `ptrs` is a NULL-terminated array of valid C strings that outlive the call.
    unsafe { libc::execv(path.as_ptr(), ptrs.as_ptr()) };
    errno_of(&std::io::Error::last_os_error())
}

/// A decimal argument (0 when missing or malformed: the tests pass good ones).
pub(crate) fn number(s: &str) -> u32 {
    s.parse().unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let code = match arg(1) {
        "open" => open(arg(2), arg(3)),
        "wait-open" => {
            let trigger = std::path::Path::new(arg(2));
            for _ in 0..2000 {
                if trigger.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            open(arg(3), arg(4))
        }
        "listen-then-exec" => {
            let buffer = rustlsm_policy::listen::listen_buffer(0, 0, &[]).unwrap_or_default();
            match rlsm_guest::manage_policy_value(abi::LSM_POLICY_LISTEN, &buffer, 0) {
                // Kept open across the exec: close-on-exec is cleared.
                // SAFETY: `fd` is the descriptor the kernel just returned.
                Ok(fd) if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } == 0 => {
                    let args: Vec<String> = args[2..]
                        .iter()
                        .map(|a| a.replace("{fd}", &fd.to_string()))
                        .collect();
                    exec_args(&args)
                }
                Ok(_) => errno_of(&std::io::Error::last_os_error()),
                Err(errno) => errno,
            }
        }
        "exec" => exec_args(&args[2..]),
        "restrict-listener" => match std::fs::read(arg(2)) {
            // Stacks the layer with its listener, then uses the listener from inside.
            Ok(blob) => {
                // SAFETY: Setting no_new_privs has no memory-safety precondition.
                unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
                let flag = rustlsm_policy::wire::FLAG_LISTENER;
                match rlsm_guest::manage_policy_value(abi::LSM_POLICY_RESTRICT_SELF, &blob, flag) {
                    Ok(fd) => use_listener(fd),
                    Err(errno) => errno,
                }
            }
            Err(e) => errno_of(&e),
        },
        "listener-use" => use_listener(number(arg(2)) as libc::c_int),
        "mkdir-retry" => {
            // A refusal that asked an agent: the retry, a second later, gets its answer.
            if file_op("mkdir", arg(2), "") == Some(0) {
                0
            } else {
                std::thread::sleep(std::time::Duration::from_secs(1));
                file_op("mkdir", arg(2), "").unwrap_or(2)
            }
        }
        "whoami" => whoami(if arg(2) == "exec" { 101 } else { 100 }),
        "open-many" => (0..number(arg(3))).fold(0, |_, _| open(arg(2), "r")),
        "load" => match std::fs::read(arg(2)) {
            Ok(blob) => manage_policy(abi::LSM_POLICY_LOAD, &blob),
            Err(e) => errno_of(&e),
        },
        "remove" => manage_policy(abi::LSM_POLICY_REMOVE, arg(2).as_bytes()),
        "restrict-threaded" | "restrict-after-uring" => match std::fs::read(arg(2)) {
            Ok(blob) => restrict_busy(&blob, arg(1) == "restrict-threaded"),
            Err(e) => errno_of(&e),
        },
        "restrict" => match std::fs::read(arg(2)) {
            Ok(blob) => restrict(&blob, number(arg(3)), &args[4.min(args.len())..]),
            Err(e) => errno_of(&e),
        },
        "securityfs-load" => match std::fs::read(arg(2)) {
            Ok(blob) => OpenOptions::new()
                .write(true)
                .open("/sys/kernel/security/rustlsm/load")
                .and_then(|mut f| std::io::Write::write(&mut f, &blob))
                .map_or_else(|e| errno_of(&e), |_| 0),
            Err(e) => errno_of(&e),
        },
        op => file_op(op, arg(2), arg(3))
            .or_else(|| escape_ops::run(op, &args))
            .or_else(|| records_ops::run(op, &args))
            .or_else(|| threads_ops::run(op, &args))
            .unwrap_or_else(|| {
                eprintln!("usage: rlsm-probe OP ARGS (see the source's header for the list)");
                2
            }),
    };
    exit(code);
}
