//! The measured loops. Each runs in its own process (`rlsm-bench loop ...`), so it runs under
//! whatever the process was started under: a rustlsm or AppArmor profile attached to the
//! binary's path, a Landlock domain inherited from the sandboxer, or nothing.
//!
//! Raw system calls through libc, so the figures are the kernel's cost plus a thin, constant
//! userspace part, and every call's result is checked: a loop that was refused would measure
//! the refusal path, not the allowed one.

use crate::clock;
use std::ffi::CString;
use std::io;

/// The loopback port the connect loop aims at; nothing listens on it in the guest.
pub const CLOSED_PORT: u16 = 9;

/// Runs `once` `n` times after untimed warm-up iterations (so the dentry cache and the
/// policy's first-use work are warm); `now` units (TSC ticks, or nanoseconds) per timed
/// iteration.
fn timed(n: u32, now: fn() -> u64, once: impl Fn() -> io::Result<()>) -> io::Result<f64> {
    for _ in 0..(n / 10).max(10) {
        once()?;
    }
    let start = now();
    for _ in 0..n {
        once()?;
    }
    Ok((now() - start) as f64 / f64::from(n))
}

/// stat(), open(O_RDONLY) and close() of `path`, `n` times; TSC ticks per iteration.
pub fn open_stat_close(path: &str, n: u32) -> io::Result<f64> {
    let c_path = CString::new(path).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let once = || -> io::Result<()> {
        // SAFETY: `c_path` is a valid NUL-terminated string and `st` is writable.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::stat(c_path.as_ptr(), &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above; the descriptor is closed right away.
        let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is ours and open.
        unsafe { libc::close(fd) };
        Ok(())
    };
    timed(n, clock::ticks, once)
}

/// open(O_RDONLY), fstat() and close() of `path`, `n` times; CLOCK_MONOTONIC nanoseconds per
/// iteration, which are instructions under icount (`rlsm-bench icount`). Three system calls:
/// no O_CLOEXEC, for which musl's open() adds an fcntl(F_SETFD) (the child never executes).
pub fn open_fstat_close(path: &str, n: u32) -> io::Result<f64> {
    let c_path = CString::new(path).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let once = || -> io::Result<()> {
        // SAFETY: `c_path` is a valid NUL-terminated string.
        let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is ours and open, `st` is writable.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::fstat(fd, &mut st) };
        let err = io::Error::last_os_error();
        // SAFETY: `fd` is ours and open; closed on every path.
        unsafe { libc::close(fd) };
        if rc != 0 {
            return Err(err);
        }
        Ok(())
    };
    timed(n, clock::monotonic_ns, once)
}

/// socket(AF_INET, SOCK_STREAM), connect() to 127.0.0.1:[`CLOSED_PORT`] (refused by the
/// peer, ECONNREFUSED) and close(), `n` times; TSC ticks per iteration. Any other error
/// (EACCES from an LSM) fails the loop.
pub fn socket_connect(n: u32) -> io::Result<f64> {
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: CLOSED_PORT.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be(),
        },
        sin_zero: [0; 8],
    };
    let once = || -> io::Result<()> {
        // SAFETY: plain socket creation; the descriptor is closed below on every path.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `addr` is a valid sockaddr_in and the length says so.
        let rc = unsafe {
            libc::connect(
                fd,
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        let err = io::Error::last_os_error();
        // SAFETY: `fd` is ours and open.
        unsafe { libc::close(fd) };
        match (rc, err.raw_os_error()) {
            (0, _) => Err(io::Error::other(
                "connect succeeded: something listens on the port",
            )),
            (_, Some(libc::ECONNREFUSED)) => Ok(()),
            _ => Err(err),
        }
    };
    timed(n, clock::ticks, once)
}
