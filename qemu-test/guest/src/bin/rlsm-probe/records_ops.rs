//! Sandbox records read straight from the kernel's descriptor (`FLAG_RECORDS`), without
//! lsmctl: what exactly reaches the creator, and when the stream ends.

use crate::{errno_of, number};
use rustlsm_policy::{abi, wire};
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};

/// Stacks `blob` with `FLAG_RECORDS`: the records descriptor, or the errno.
fn restrict_with_records(blob: &str) -> Result<OwnedFd, i32> {
    let bytes = std::fs::read(blob).map_err(|e| errno_of(&e))?;
    match rlsm_guest::manage_policy_value(
        abi::LSM_POLICY_RESTRICT_SELF,
        &bytes,
        wire::FLAG_RECORDS,
    )? {
        0 => Err(libc::EPROTO),
        // SAFETY: The kernel just installed `fd` for this process; nothing else owns it.
        fd => Ok(unsafe { OwnedFd::from_raw_fd(fd) }),
    }
}

/// Reads what `fd` holds now, without waiting.
pub(crate) fn drain(fd: &OwnedFd) -> String {
    use std::os::fd::AsRawFd;
    // SAFETY: `fd` is a valid descriptor this process owns.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        let Ok(n @ 1..) = usize::try_from(n) else {
            break;
        };
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `records BLOBS PATHS COUNT`: stacks each blob of the comma-separated BLOBS with records,
/// opens each of the comma-separated PATHS for reading COUNT times, then prints the first
/// descriptor's `/proc` name and close-on-exec flag and every record, each line prefixed
/// with its layer's number (1 = the first blob); with COUNT over 1, then opens each path once
/// more and prints what came. 0, or the errno of the failed stacking.
fn records(blobs: &str, paths: &str, count: u32) -> i32 {
    use std::os::fd::AsRawFd;
    let mut fds = Vec::new();
    for blob in blobs.split(',') {
        match restrict_with_records(blob) {
            Ok(fd) => fds.push(fd),
            Err(e) => {
                println!("errno {e}");
                return e;
            }
        }
    }
    for path in paths.split(',') {
        for _ in 0..count {
            let _ = std::fs::File::open(path);
        }
    }
    if let Some(first) = fds.first() {
        let fd = first.as_raw_fd();
        let name = std::fs::read_link(format!("/proc/self/fd/{fd}"))
            .map(|p| p.display().to_string())
            .unwrap_or_else(|e| format!("({e})"));
        // SAFETY: `fd` is valid.
        let cloexec = unsafe { libc::fcntl(fd, libc::F_GETFD) } & libc::FD_CLOEXEC != 0;
        println!("name {name} cloexec {cloexec}");
    }
    print_records(&fds);
    // After a flood, one more refusal into the drained ring carries the count of lost lines.
    if count > 1 {
        for path in paths.split(',') {
            let _ = std::fs::File::open(path);
        }
        print_records(&fds);
    }
    0
}

/// Prints what each layer's descriptor holds, each line after `layer K: `.
fn print_records(fds: &[OwnedFd]) {
    for (i, fd) in fds.iter().enumerate() {
        for line in drain(fd).lines() {
            println!("layer {}: {line}", i + 1);
        }
    }
}

/// A pipe: its read end and its write end.
fn pipe() -> std::io::Result<(std::fs::File, std::fs::File)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 just made both descriptors for this process alone.
    Ok(unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    })
}

/// `records-eof BLOB PATH`: a child stacks BLOB with records, opens PATH and exits; this
/// process takes the child's descriptor (pidfd_getfd), reaps the child and reads until the
/// end of the stream, printing each line and then `eof`; 110 (ETIMEDOUT) if no end came in
/// ten seconds.
fn records_eof(blob: &str, path: &str) -> i32 {
    let (mut ready_r, ready_w) = match pipe() {
        Ok(p) => p,
        Err(e) => return errno_of(&e),
    };
    let (go_r, mut go_w) = match pipe() {
        Ok(p) => p,
        Err(e) => return errno_of(&e),
    };
    // SAFETY: The probe is single-threaded; the child only makes system calls and exits.
    let child = unsafe { libc::fork() };
    if child == 0 {
        use std::io::Write;
        let mut ready_w = ready_w;
        let mut go_r = go_r;
        let code = match restrict_with_records(blob) {
            Ok(fd) => {
                use std::os::fd::AsRawFd;
                let _ = writeln!(ready_w, "{}", fd.as_raw_fd());
                let mut go = [0u8; 1];
                let _ = go_r.read(&mut go);
                let _ = std::fs::File::open(path);
                0
            }
            Err(e) => {
                let _ = writeln!(ready_w, "-{e}");
                1
            }
        };
        // SAFETY: Ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    drop((ready_w, go_r));
    // One line: the child keeps its end open until told to go on.
    let mut line = String::new();
    let mut byte = [0u8; 1];
    while let Ok(1) = ready_r.read(&mut byte) {
        if byte[0] == b'\n' {
            break;
        }
        line.push(char::from(byte[0]));
    }
    let remote = number(line.trim());
    if line.starts_with('-') || remote == 0 {
        println!("child: {}", line.trim());
        return 1;
    }
    // SAFETY: Plain system calls; `pidfd` is checked before use.
    let fd = unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, child, 0) as i32;
        let fd = libc::syscall(libc::SYS_pidfd_getfd, pidfd, remote, 0) as i32;
        libc::close(pidfd);
        fd
    };
    if fd < 0 {
        let e = errno_of(&std::io::Error::last_os_error());
        println!("pidfd_getfd: errno {e}");
        return e;
    }
    // SAFETY: pidfd_getfd installed `fd` for this process.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    {
        use std::io::Write;
        let _ = go_w.write_all(b"g");
    }
    drop(go_w);
    // SAFETY: Reaps the child forked above.
    unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
    let mut file = std::fs::File::from(fd);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut buf = [0u8; 4096];
    let mut text = Vec::new();
    while std::time::Instant::now() < deadline {
        use std::os::fd::AsRawFd;
        let mut pfd = libc::pollfd {
            fd: file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, 200) } <= 0 {
            continue;
        }
        match file.read(&mut buf) {
            Ok(0) => {
                print!("{}", String::from_utf8_lossy(&text));
                println!("eof");
                return 0;
            }
            Ok(n) => text.extend_from_slice(&buf[..n]),
            Err(e) => return errno_of(&e),
        }
    }
    print!("{}", String::from_utf8_lossy(&text));
    libc::ETIMEDOUT
}

/// `pidfd-getfd PID FD`: takes a copy of descriptor FD of task PID (pidfd_getfd, which
/// needs ptrace access to it); 0, or the errno of the step that failed.
fn pidfd_getfd(pid: u32, fd: u32) -> i32 {
    // SAFETY: Plain system calls; each result is checked before use.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0);
        if pidfd < 0 {
            return errno_of(&std::io::Error::last_os_error());
        }
        let got = libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0);
        let code = if got < 0 {
            errno_of(&std::io::Error::last_os_error())
        } else {
            libc::close(got as i32);
            0
        };
        libc::close(pidfd as i32);
        code
    }
}

/// `records-dry BLOB PATH`: a dry run with records: prints what the call returned, how many
/// records descriptors the process holds, and whether PATH (which BLOB denies) still opens;
/// the errno of the call, or 0.
fn records_dry(blob: &str, path: &str) -> i32 {
    let bytes = match std::fs::read(blob) {
        Ok(b) => b,
        Err(e) => return errno_of(&e),
    };
    let flags = wire::FLAG_RECORDS | wire::FLAG_DRY_RUN;
    let value = rlsm_guest::manage_policy_value(abi::LSM_POLICY_RESTRICT_SELF, &bytes, flags);
    let held = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|t| t.as_os_str() == "anon_inode:[rustlsm-records]")
                })
                .count()
        })
        .unwrap_or(usize::MAX);
    let opens = std::fs::File::open(path).is_ok();
    println!("returned {value:?} held {held} opens {opens}");
    value.err().unwrap_or(0)
}

/// The records operations; `None` for any other.
pub(crate) fn run(op: &str, args: &[String]) -> Option<i32> {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    match op {
        "records" => Some(records(arg(2), arg(3), number(arg(4)).max(1))),
        "records-eof" => Some(records_eof(arg(2), arg(3))),
        "pidfd-getfd" => Some(pidfd_getfd(number(arg(2)), number(arg(3)))),
        "records-dry" => Some(records_dry(arg(2), arg(3))),
        _ => None,
    }
}
