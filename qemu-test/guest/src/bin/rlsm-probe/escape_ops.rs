//! The probe's operations for the escape suite (rlsm-guest-tests/escapes): each tries one
//! known way around a profile and reports the errno of the first step that failed, or 0.
//! The list, with what each prints, is in main.rs's header.

use std::ffi::CString;
use std::io::Write;

use crate::{cstr, errno_if, errno_of, number, with_fd};

/// The errno of the last failed call.
fn last() -> i32 {
    errno_of(&std::io::Error::last_os_error())
}

/// Runs a call returning a descriptor (or -1) and then `f` on it; closes it afterwards.
fn fd_then(fd: libc::c_int, f: impl FnOnce(libc::c_int) -> i32) -> i32 {
    if fd < 0 {
        return last();
    }
    let r = f(fd);
    // SAFETY: `fd` is a descriptor this process owns.
    unsafe { libc::close(fd) };
    r
}

fn errno_of_len(n: isize) -> i32 {
    if n < 0 {
        last()
    } else {
        0
    }
}

/// `PATH` or `@NAME` (abstract) as a sockaddr_un and its length.
fn unix_addr(name: &str) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: A zeroed sockaddr_un is a valid value.
    let mut sun: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let (bytes, skip) = match name.strip_prefix('@') {
        Some(n) => (n.as_bytes(), 1),
        None => (name.as_bytes(), 0),
    };
    let n = bytes.len().min(sun.sun_path.len() - 1 - skip);
    for (dst, b) in sun.sun_path[skip..].iter_mut().zip(&bytes[..n]) {
        *dst = *b as libc::c_char;
    }
    // Abstract names are counted exactly; pathnames include their NUL.
    let len = std::mem::size_of::<libc::sa_family_t>() + skip + n + (1 - skip);
    (sun, len as libc::socklen_t)
}

fn unix_socket(kind: libc::c_int) -> libc::c_int {
    // SAFETY: Plain socket call.
    unsafe { libc::socket(libc::AF_UNIX, kind | libc::SOCK_CLOEXEC, 0) }
}

fn unix_connect(name: &str) -> i32 {
    let (sun, len) = unix_addr(name);
    fd_then(unix_socket(libc::SOCK_STREAM), |fd| {
        // SAFETY: `sun` outlives the call.
        errno_if(unsafe { libc::connect(fd, (&raw const sun).cast(), len) })
    })
}

fn unix_send(name: &str) -> i32 {
    let (sun, len) = unix_addr(name);
    fd_then(unix_socket(libc::SOCK_DGRAM), |fd| {
        // SAFETY: The buffer and `sun` outlive the call.
        let n =
            unsafe { libc::sendto(fd, b"x".as_ptr().cast(), 1, 0, (&raw const sun).cast(), len) };
        errno_of_len(n)
    })
}

/// Binds `name` (a stale pathname socket is removed first), prints `listening`, then counts
/// the connections (stream) or datagrams for `secs` seconds and prints the count.
fn unix_listen(name: &str, secs: u32, kind: libc::c_int) -> i32 {
    if !name.starts_with('@') {
        let _ = std::fs::remove_file(name);
    }
    let (sun, len) = unix_addr(name);
    fd_then(unix_socket(kind), |fd| {
        // SAFETY: `sun` outlives the call; plain socket calls on `fd`.
        let rc = unsafe { libc::bind(fd, (&raw const sun).cast(), len) };
        if rc != 0 {
            return last();
        }
        // SAFETY: As above.
        if kind == libc::SOCK_STREAM && unsafe { libc::listen(fd, 16) } != 0 {
            return last();
        }
        println!("listening");
        let _ = std::io::stdout().flush();
        let end = std::time::Instant::now() + std::time::Duration::from_secs(secs.into());
        let mut count = 0;
        loop {
            let left = end.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: One valid pollfd.
            if unsafe { libc::poll(&mut pfd, 1, left.as_millis() as libc::c_int) } <= 0 {
                continue;
            }
            let mut buf = [0u8; 64];
            // SAFETY: Accepting on a listening socket, or reading into `buf`.
            unsafe {
                if kind == libc::SOCK_STREAM {
                    let c = libc::accept4(fd, std::ptr::null_mut(), std::ptr::null_mut(), 0);
                    if c >= 0 {
                        count += 1;
                        libc::close(c);
                    }
                } else if libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) >= 0 {
                    count += 1;
                }
            }
        }
        let what = if kind == libc::SOCK_STREAM {
            "accepted"
        } else {
            "received"
        };
        println!("{what} {count}");
        0
    })
}

/// An IPv4 address (127.0.0.1 when malformed) and port, with `family` in the family field.
fn sin(addr: &str, port: &str, family: libc::c_int) -> libc::sockaddr_in {
    let ip: std::net::Ipv4Addr = addr.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST);
    // SAFETY: A zeroed sockaddr_in is a valid value.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sa.sin_family = family as libc::sa_family_t;
    sa.sin_port = (number(port) as u16).to_be();
    sa.sin_addr.s_addr = u32::from_ne_bytes(ip.octets());
    sa
}

/// An IPv6 address (an IPv4 one is mapped to ::ffff:a.b.c.d) and port, with `family`.
fn sin6(addr: &str, port: &str, family: libc::c_int) -> libc::sockaddr_in6 {
    let ip: std::net::Ipv6Addr = match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => v6,
        Ok(std::net::IpAddr::V4(v4)) => v4.to_ipv6_mapped(),
        Err(_) => std::net::Ipv6Addr::LOCALHOST,
    };
    // SAFETY: A zeroed sockaddr_in6 is a valid value.
    let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    sa.sin6_family = family as libc::sa_family_t;
    sa.sin6_port = (number(port) as u16).to_be();
    sa.sin6_addr.s6_addr = ip.octets();
    sa
}

/// Creates a socket and sends one byte to `sa` with `flags`.
fn send_to<T>(
    domain: libc::c_int,
    kind: libc::c_int,
    proto: libc::c_int,
    sa: &T,
    flags: libc::c_int,
) -> i32 {
    // SAFETY: Plain socket call.
    let fd = unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC, proto) };
    fd_then(fd, |fd| {
        let len = std::mem::size_of::<T>() as libc::socklen_t;
        // SAFETY: `sa` is a sockaddr of `len` bytes that outlives the call.
        let n = unsafe {
            libc::sendto(
                fd,
                b"x".as_ptr().cast(),
                1,
                flags,
                (sa as *const T).cast(),
                len,
            )
        };
        errno_of_len(n)
    })
}

/// An IPv4 loose source route through `hop` (LSRR: type, length, pointer, one address), padded
/// to a multiple of 4 with end-of-options.
fn lsrr(hop: &str) -> [u8; 8] {
    let hop: std::net::Ipv4Addr = hop.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST);
    let a = hop.octets();
    [131, 7, 4, a[0], a[1], a[2], a[3], 0]
}

/// Sends one byte over UDP to ADDR:PORT with one control message of `level` and `kind`
/// holding `data` (`sendmsg`).
fn udp_send_with_cmsg(addr: &str, port: &str, level: i32, kind: i32, data: &[u8]) -> i32 {
    let sa = sin(addr, port, libc::AF_INET);
    // SAFETY: Plain socket call.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    fd_then(fd, |fd| {
        // Room for one header and 40 bytes of data, aligned as a cmsghdr is.
        let mut control = [0u64; 8];
        // SAFETY: CMSG_SPACE/CMSG_LEN only compute sizes.
        let (space, len) = unsafe {
            (
                libc::CMSG_SPACE(data.len() as u32) as usize,
                libc::CMSG_LEN(data.len() as u32) as usize,
            )
        };
        let mut byte = *b"x";
        let mut iov = libc::iovec {
            iov_base: byte.as_mut_ptr().cast(),
            iov_len: 1,
        };
        // SAFETY: A zeroed msghdr is a valid value; every pointer set below outlives the call,
        // and the control buffer holds `space` bytes (at most 64).
        unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_name = (&raw const sa).cast_mut().cast();
            msg.msg_namelen = std::mem::size_of_val(&sa) as libc::socklen_t;
            msg.msg_iov = &raw mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = space.min(std::mem::size_of_val(&control)) as _;
            let cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
            (*cmsg).cmsg_level = level;
            (*cmsg).cmsg_type = kind;
            (*cmsg).cmsg_len = len as _;
            std::ptr::copy_nonoverlapping(data.as_ptr(), libc::CMSG_DATA(cmsg), data.len());
            errno_of_len(libc::sendmsg(fd, &raw const msg, 0))
        }
    })
}

/// `listen()` on an unbound TCP socket while another thread binds it to 127.0.0.1:PORT half a
/// second later: the listen's errno.
fn tcp_listen_rebind(port: &str) -> i32 {
    // SAFETY: Plain socket call.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    let sa = sin("127.0.0.1", port, libc::AF_INET);
    fd_then(fd, |fd| {
        let binder = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(500));
            // SAFETY: `sa` is a sockaddr_in the thread owns.
            let rc = unsafe {
                libc::bind(
                    fd,
                    (&raw const sa).cast(),
                    std::mem::size_of_val(&sa) as libc::socklen_t,
                )
            };
            println!("bind: {}", errno_if(rc));
        });
        // SAFETY: Plain socket call.
        let rc = errno_if(unsafe { libc::listen(fd, 1) });
        let _ = binder.join();
        rc
    })
}

/// `sendmmsg()` of two one-byte datagrams to ADDR:PORT, the second source-routed through HOP
/// (an `IP_RETOPTS` control message): 0 if both were sent, EACCES if only the first was.
fn udp_sendmmsg_srr(addr: &str, port: &str, hop: &str) -> i32 {
    let sa = sin(addr, port, libc::AF_INET);
    let route = lsrr(hop);
    // SAFETY: Plain socket call.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    fd_then(fd, |fd| {
        let mut control = [0u64; 4];
        let mut bytes = *b"xy";
        let mut iovs = [
            libc::iovec {
                iov_base: bytes.as_mut_ptr().cast(),
                iov_len: 1,
            },
            libc::iovec {
                // SAFETY: Within `bytes`.
                iov_base: unsafe { bytes.as_mut_ptr().add(1) }.cast(),
                iov_len: 1,
            },
        ];
        // SAFETY: Zeroed mmsghdrs are valid values; every pointer set below outlives the
        // call, and the control buffer (32 bytes) holds one header and the 8-byte route.
        unsafe {
            let mut msgs: [libc::mmsghdr; 2] = std::mem::zeroed();
            for (m, iov) in msgs.iter_mut().zip(iovs.iter_mut()) {
                m.msg_hdr.msg_name = (&raw const sa).cast_mut().cast();
                m.msg_hdr.msg_namelen = std::mem::size_of_val(&sa) as libc::socklen_t;
                m.msg_hdr.msg_iov = iov;
                m.msg_hdr.msg_iovlen = 1;
            }
            let second = &mut msgs[1].msg_hdr;
            second.msg_control = control.as_mut_ptr().cast();
            second.msg_controllen = libc::CMSG_SPACE(route.len() as u32) as _;
            let cmsg = libc::CMSG_FIRSTHDR(second);
            (*cmsg).cmsg_level = libc::SOL_IP;
            (*cmsg).cmsg_type = libc::IP_RETOPTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(route.len() as u32) as _;
            std::ptr::copy_nonoverlapping(route.as_ptr(), libc::CMSG_DATA(cmsg), route.len());
            let sent = libc::sendmmsg(fd, msgs.as_mut_ptr(), 2, 0);
            println!("sendmmsg: {sent}");
            match sent {
                2 => 0,
                1 => libc::EACCES,
                _ => last(),
            }
        }
    })
}

/// `setsockopt(level, name, data)` on a new socket of `domain` and `kind`.
fn set_option(domain: i32, kind: i32, level: i32, name: i32, data: &[u8]) -> i32 {
    // SAFETY: Plain socket call.
    let fd = unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC, 0) };
    fd_then(fd, |fd| {
        // SAFETY: `data` is readable for its length.
        errno_if(unsafe {
            libc::setsockopt(fd, level, name, data.as_ptr().cast(), data.len() as u32)
        })
    })
}

/// An IPv6 type 2 routing header (Mobile IPv6) through `hop`: next header, length in 8-byte
/// units past the first 8, type 2, one segment left, reserved, then the address.
fn rthdr2(hop: &str) -> [u8; 24] {
    let hop: std::net::Ipv6Addr = hop.parse().unwrap_or(std::net::Ipv6Addr::LOCALHOST);
    let mut h = [0u8; 24];
    h[1] = 2;
    h[2] = 2;
    h[3] = 1;
    h[8..].copy_from_slice(&hop.octets());
    h
}

fn udp_bind_unspec(port: &str) -> i32 {
    let sa = sin("0.0.0.0", port, libc::AF_UNSPEC);
    // SAFETY: Plain socket call.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    fd_then(fd, |fd| {
        let len = std::mem::size_of_val(&sa) as libc::socklen_t;
        // SAFETY: `sa` outlives the call.
        errno_if(unsafe { libc::bind(fd, (&raw const sa).cast(), len) })
    })
}

/// Creates a stream and a seqpacket SCTP socket; prints both errnos, returns the first
/// non-zero one.
fn sctp_socket() -> i32 {
    let mut got = [0; 2];
    for (slot, kind) in got
        .iter_mut()
        .zip([libc::SOCK_STREAM, libc::SOCK_SEQPACKET])
    {
        // SAFETY: Plain socket call.
        let fd =
            unsafe { libc::socket(libc::AF_INET, kind | libc::SOCK_CLOEXEC, libc::IPPROTO_SCTP) };
        *slot = fd_then(fd, |_| 0);
    }
    println!("stream={} seqpacket={}", got[0], got[1]);
    got.into_iter().find(|e| *e != 0).unwrap_or(0)
}

const F_SETSIG: libc::c_int = 10;

/// Asks for signal `sig` to be sent to `pid` when a pipe becomes readable, then writes to it.
fn sigio_kill(pid: &str, sig: &str) -> i32 {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two descriptors; plain fcntl/write calls on them.
    unsafe {
        if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return last();
        }
        let r = fds[0];
        let steps = [
            libc::fcntl(r, libc::F_SETOWN, number(pid) as libc::c_int),
            libc::fcntl(r, F_SETSIG, number(sig) as libc::c_int),
            libc::fcntl(r, libc::F_SETFL, libc::O_ASYNC | libc::O_NONBLOCK),
        ];
        if let Some(e) = steps.iter().find(|rc| **rc != 0) {
            return errno_if(*e);
        }
        errno_of_len(libc::write(fds[1], b"x".as_ptr().cast(), 1))
    }
}

/// Reads a byte from descriptor `fd`; prints `read N` (N = 0 at end of file) on success.
fn read_fd(fd: &str) -> i32 {
    let mut b = [0u8; 1];
    // SAFETY: Reading into a one-byte buffer.
    let n = unsafe { libc::read(number(fd) as libc::c_int, b.as_mut_ptr().cast(), 1) };
    if n >= 0 {
        println!("read {n}");
    }
    errno_of_len(n)
}

/// Connects to a pathname socket and receives one message with room for one SCM_RIGHTS
/// descriptor: 0 (and `fd received`) if a descriptor came and reads, 13 (`truncated`) if
/// the kernel dropped it (MSG_CTRUNC), ENOMSG if the sender sent none.
fn recv_fd(path: &str) -> i32 {
    let (sun, len) = unix_addr(path);
    fd_then(unix_socket(libc::SOCK_STREAM), |s| {
        // SAFETY: `sun`, `data`, `iov`, `control` and `msg` outlive the calls; the cmsg
        // macros walk `control` within the length recvmsg reported.
        unsafe {
            if libc::connect(s, (&raw const sun).cast(), len) != 0 {
                return last();
            }
            let mut data = [0u8; 8];
            let mut iov = libc::iovec {
                iov_base: data.as_mut_ptr().cast(),
                iov_len: data.len(),
            };
            let mut control = [0u64; 8];
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(4) as _;
            if libc::recvmsg(s, &mut msg, libc::MSG_CMSG_CLOEXEC) < 0 {
                return last();
            }
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            if !cmsg.is_null()
                && (*cmsg).cmsg_level == libc::SOL_SOCKET
                && (*cmsg).cmsg_type == libc::SCM_RIGHTS
            {
                let fd = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>());
                println!("fd received");
                return fd_then(fd, |fd| {
                    let mut b = [0u8; 1];
                    errno_of_len(libc::read(fd, b.as_mut_ptr().cast(), 1))
                });
            }
            if msg.msg_flags & libc::MSG_CTRUNC != 0 {
                println!("truncated");
                return libc::EACCES;
            }
            println!("no descriptor");
            libc::ENOMSG
        }
    })
}

const SYS_IO_URING_SETUP: libc::c_long = 425;
const SYS_IO_URING_ENTER: libc::c_long = 426;
const SYS_IO_URING_REGISTER: libc::c_long = 427;
const IORING_REGISTER_PERSONALITY: libc::c_long = 9;
const IORING_OP_OPENAT: u8 = 18;
const IORING_OP_CONNECT: u8 = 16;
const IORING_OP_URING_CMD: u8 = 46;
const SOCKET_URING_OP_SETSOCKOPT: u64 = 3;
const IORING_ENTER_GETEVENTS: u32 = 1;
const IORING_OFF_CQ_RING: i64 = 0x800_0000;
const IORING_OFF_SQES: i64 = 0x1000_0000;

/// struct io_uring_params (120 bytes), as u32 words: the offsets the rings are read with.
#[repr(C)]
struct UringParams {
    sq_entries: u32,
    cq_entries: u32,
    rest: [u32; 8],
    /// io_sqring_offsets: head, tail, ring_mask, ring_entries, flags, dropped, array, resv1.
    sq_off: [u32; 8],
    sq_user_addr: u64,
    /// io_cqring_offsets: head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1.
    cq_off: [u32; 8],
    cq_user_addr: u64,
}

/// struct io_uring_sqe, the fields an openat uses.
#[repr(C)]
struct Sqe {
    opcode: u8,
    flags: u8,
    ioprio: u16,
    fd: i32,
    off: u64,
    addr: u64,
    len: u32,
    open_flags: u32,
    user_data: u64,
    tail: [u64; 3],
}

/// io_uring_enter on `fd` with nothing to submit: 0 on a ring, EBADF when fd is closed.
fn uring_enter(fd: &str) -> i32 {
    let fd = number(fd) as libc::c_long;
    // SAFETY: No pointers are passed.
    let rc = unsafe { libc::syscall(SYS_IO_URING_ENTER, fd, 0, 0, 0, 0usize, 0) };
    errno_if(rc.min(0) as libc::c_int)
}

/// Maps `len` bytes of ring `fd` at `off`.
fn ring_map(fd: libc::c_int, len: usize, off: i64) -> Option<*mut u8> {
    // SAFETY: A fresh shared mapping of the ring; the caller stays within `len`.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_POPULATE,
            fd,
            off,
        )
    };
    (p != libc::MAP_FAILED).then_some(p.cast())
}

/// Opens PATH read-only through an io_uring of this task's own: the CQE's errno, or 0. With
/// `personality`, the task first registers its credentials with the ring and the open runs
/// under them (io_uring's personalities; the kernel's `uring_override_creds` hook).
fn uring_open(path: &str, personality: bool) -> i32 {
    let p = cstr(path);
    let sqe = |id: u64| Sqe {
        opcode: IORING_OP_OPENAT,
        flags: 0,
        ioprio: 0,
        fd: libc::AT_FDCWD,
        off: 0,
        addr: p.as_ptr() as u64,
        len: 0,
        open_flags: (libc::O_RDONLY | libc::O_CLOEXEC) as u32,
        user_data: 1,
        // buf_index (u16), then personality (u16).
        tail: [id << 16, 0, 0],
    };
    match uring_submit(personality, sqe) {
        res if res < 0 => -res,
        fd => {
            // SAFETY: The open's new descriptor, ours to close.
            unsafe { libc::close(fd) };
            0
        }
    }
}

/// Connects a new TCP socket to ADDR:PORT through an io_uring of this task's own
/// (`IORING_OP_CONNECT`, issued inline under the ring's lock): the CQE's errno, or 0.
fn uring_connect(addr: &str, port: &str) -> i32 {
    let sa = sin(addr, port, libc::AF_INET);
    // SAFETY: Plain socket call.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    fd_then(fd, |sock| {
        let sqe = |_| Sqe {
            opcode: IORING_OP_CONNECT,
            flags: 0,
            ioprio: 0,
            fd: sock,
            // addr2: the address's length.
            off: std::mem::size_of_val(&sa) as u64,
            addr: (&raw const sa) as u64,
            len: 0,
            open_flags: 0,
            user_data: 1,
            tail: [0; 3],
        };
        -uring_submit(false, sqe).min(0)
    })
}

/// `setsockopt(SOL_IP, IP_OPTIONS)` with a loose source route through HOP on a new TCP
/// socket, through an io_uring of this task's own (`IORING_OP_URING_CMD`,
/// `SOCKET_URING_OP_SETSOCKOPT`): the CQE's errno, or 0.
fn uring_setopt_srr(hop: &str) -> i32 {
    let route = lsrr(hop);
    // SAFETY: Plain socket call.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    fd_then(fd, |sock| {
        let sqe = |_| Sqe {
            opcode: IORING_OP_URING_CMD,
            flags: 0,
            ioprio: 0,
            fd: sock,
            // cmd_op.
            off: SOCKET_URING_OP_SETSOCKOPT,
            // level, then optname.
            addr: libc::SOL_IP as u64 | (libc::IP_OPTIONS as u64) << 32,
            len: 0,
            open_flags: 0,
            user_data: 1,
            // buf_index and personality, then optlen; optval.
            tail: [(route.len() as u64) << 32, route.as_ptr() as u64, 0],
        };
        -uring_submit(false, sqe).min(0)
    })
}

/// Sets up a ring, submits the one SQE `sqe` makes (given the personality registered when
/// `personality`, else 0) and waits for its completion: the CQE's result (a negative errno
/// on failure), or the negative errno of the ring's own setup.
fn uring_submit(personality: bool, sqe: impl FnOnce(u64) -> Sqe) -> i32 {
    // SAFETY: A zeroed params struct is what io_uring_setup expects.
    let mut params: UringParams = unsafe { std::mem::zeroed() };
    // SAFETY: `params` is a writable struct io_uring_params.
    let fd = unsafe { libc::syscall(SYS_IO_URING_SETUP, 4, &raw mut params) } as libc::c_int;
    if fd < 0 {
        return -last();
    }
    let res = uring_submit_on(fd, &params, personality, sqe);
    // SAFETY: The ring's descriptor, ours.
    unsafe { libc::close(fd) };
    res
}

fn uring_submit_on(
    fd: libc::c_int,
    params: &UringParams,
    personality: bool,
    sqe: impl FnOnce(u64) -> Sqe,
) -> i32 {
    let id = if personality {
        // SAFETY: IORING_REGISTER_PERSONALITY takes no argument.
        let id = unsafe {
            libc::syscall(
                SYS_IO_URING_REGISTER,
                fd,
                IORING_REGISTER_PERSONALITY,
                0usize,
                0,
            )
        };
        if id < 0 {
            let e = last();
            println!("register personality: errno {e}");
            return -e;
        }
        id as u64
    } else {
        0
    };
    let sq_len = params.sq_off[6] as usize + params.sq_entries as usize * 4;
    let cq_len = params.cq_off[5] as usize + params.cq_entries as usize * 16;
    let sqe_len = params.sq_entries as usize * std::mem::size_of::<Sqe>();
    let (Some(sq), Some(cq), Some(sqes)) = (
        ring_map(fd, sq_len, 0),
        ring_map(fd, cq_len, IORING_OFF_CQ_RING),
        ring_map(fd, sqe_len, IORING_OFF_SQES),
    ) else {
        return -last();
    };
    // SAFETY: The offsets come from the kernel and lie within the mappings; the ring
    // indices are u32 words shared with the kernel, hence the atomics.
    unsafe {
        use std::sync::atomic::{AtomicU32, Ordering};
        let word = |base: *mut u8, off: u32| &*base.add(off as usize).cast::<AtomicU32>();
        let tail = word(sq, params.sq_off[1]).load(Ordering::Acquire);
        let index = tail & *sq.add(params.sq_off[2] as usize).cast::<u32>();
        sqes.cast::<Sqe>().write(sqe(id));
        *sq.add(params.sq_off[6] as usize)
            .cast::<u32>()
            .add(index as usize) = 0;
        word(sq, params.sq_off[1]).store(tail.wrapping_add(1), Ordering::Release);
        let rc = libc::syscall(
            SYS_IO_URING_ENTER,
            fd,
            1,
            1,
            IORING_ENTER_GETEVENTS,
            0usize,
            0,
        );
        if rc < 0 {
            return -last();
        }
        let head = word(cq, params.cq_off[0]).load(Ordering::Acquire);
        let mask = *cq.add(params.cq_off[2] as usize).cast::<u32>();
        let cqe = cq.add(params.cq_off[5] as usize + (head & mask) as usize * 16);
        let res = *cqe.add(8).cast::<i32>();
        word(cq, params.cq_off[0]).store(head.wrapping_add(1), Ordering::Release);
        res
    }
}

/// chroot(DIR), chdir("/"), then opens PATH read-only.
/// `open(path, O_CREAT | O_WRONLY, mode)` (mode in octal digits, such as 4755).
fn setid_create(path: &str, mode: libc::mode_t) -> i32 {
    let p = cstr(path);
    // SAFETY: A valid C string; the descriptor is closed at once.
    let fd = unsafe { libc::open(p.as_ptr(), libc::O_CREAT | libc::O_WRONLY, mode) };
    fd_then(fd, |_| 0)
}

/// `chmod(path, mode)`.
fn setid_chmod(path: &str, mode: libc::mode_t) -> i32 {
    let p = cstr(path);
    // SAFETY: A valid C string.
    errno_if(unsafe { libc::chmod(p.as_ptr(), mode) })
}

/// `mkdir(path, mode)`.
fn setid_mkdir(path: &str, mode: libc::mode_t) -> i32 {
    let p = cstr(path);
    // SAFETY: A valid C string.
    errno_if(unsafe { libc::mkdir(p.as_ptr(), mode) })
}

/// An unnamed file made in `dir` with `O_TMPFILE` and `mode`, then named `name` with
/// `linkat()` through its /proc/self/fd link.
fn setid_tmpfile(dir: &str, name: &str, mode: libc::mode_t) -> i32 {
    let d = cstr(dir);
    // SAFETY: A valid C string.
    let fd = unsafe { libc::open(d.as_ptr(), libc::O_TMPFILE | libc::O_WRONLY, mode) };
    fd_then(fd, |fd| {
        let from = cstr(&format!("/proc/self/fd/{fd}"));
        let to = cstr(name);
        // SAFETY: Valid C strings.
        errno_if(unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        })
    })
}

/// A child opens this process's `/proc/PID/NAME` (for it, another process's file), then
/// this process opens `/proc/self/NAME`, the same file: the errno of the second open.
fn proc_cache(name: &str) -> i32 {
    // SAFETY: getpid() and fork() have no preconditions; the child only opens and exits.
    let parent = unsafe { libc::getpid() };
    let child = unsafe { libc::fork() };
    if child == 0 {
        let path = cstr(&format!("/proc/{parent}/{name}"));
        // SAFETY: A valid C string; the child exits at once.
        unsafe {
            libc::open(path.as_ptr(), libc::O_RDONLY);
            libc::_exit(0);
        }
    }
    if child < 0 {
        return last();
    }
    let mut status = 0;
    // SAFETY: Waits for the child just forked.
    unsafe { libc::waitpid(child, &mut status, 0) };
    with_fd(&format!("/proc/self/{name}"), libc::O_RDONLY, |_| 0)
}

/// A mode written in octal (`4755`), as the shell writes it.
fn octal(digits: &str) -> libc::mode_t {
    libc::mode_t::from_str_radix(digits, 8).unwrap_or(0)
}

fn chroot_open(dir: &str, path: &str) -> i32 {
    let d = cstr(dir);
    // SAFETY: Plain system calls on valid C strings.
    unsafe {
        if libc::chroot(d.as_ptr()) != 0 || libc::chdir(c"/".as_ptr()) != 0 {
            return last();
        }
    }
    with_fd(path, libc::O_RDONLY, |_| 0)
}

/// Writes "X" at offset 0 of `fd` with pwrite.
fn pwrite_x(fd: libc::c_int) -> i32 {
    // SAFETY: A one-byte buffer.
    errno_of_len(unsafe { libc::pwrite(fd, b"X".as_ptr().cast(), 1, 0) })
}

fn append_overwrite(path: &str) -> i32 {
    with_fd(path, libc::O_WRONLY | libc::O_APPEND, |fd| {
        // SAFETY: Clearing the file status flags of our own descriptor.
        match errno_if(unsafe { libc::fcntl(fd, libc::F_SETFL, 0) }) {
            0 => pwrite_x(fd),
            e => e,
        }
    })
}

fn append_noappend(path: &str) -> i32 {
    with_fd(path, libc::O_WRONLY | libc::O_APPEND, |fd| {
        let iov = libc::iovec {
            iov_base: b"X".as_ptr() as *mut libc::c_void,
            iov_len: 1,
        };
        // SAFETY: One iovec over a one-byte buffer; offset 0 in two halves.
        let n = unsafe {
            libc::syscall(
                libc::SYS_pwritev2,
                fd,
                &raw const iov,
                1,
                0,
                0,
                libc::RWF_NOAPPEND,
            )
        };
        errno_of_len(n as isize)
    })
}

/// Opens read+append and writes "X" at offset 0 through a shared writable mapping.
fn append_mmap(path: &str) -> i32 {
    with_fd(path, libc::O_RDWR | libc::O_APPEND, |fd| {
        // SAFETY: A fresh one-page mapping of `fd`, written within its first byte.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            );
            if p == libc::MAP_FAILED {
                return last();
            }
            *p.cast::<u8>() = b'X';
            let r = errno_if(libc::msync(p, 4096, libc::MS_SYNC));
            libc::munmap(p, 4096);
            r
        }
    })
}

const SYS_OPEN_TREE: libc::c_long = 428;
const SYS_MOVE_MOUNT: libc::c_long = 429;
const SYS_FSOPEN: libc::c_long = 430;
const SYS_FSCONFIG: libc::c_long = 431;
const SYS_FSMOUNT: libc::c_long = 432;
const SYS_FSPICK: libc::c_long = 433;
const FSPICK_CLOEXEC: libc::c_long = 1;
const FSCONFIG_CMD_RECONFIGURE: libc::c_long = 7;

/// fsopen("tmpfs"), create, fsmount, move_mount onto DIR; prints the step that failed. The
/// descriptors are close-on-exec and die with the probe.
fn fsmount_tmpfs(dir: &str) -> i32 {
    let d = cstr(dir);
    let fail = |what: &str| {
        let e = last();
        println!("{what}: errno {e}");
        e
    };
    // SAFETY: The new mount API on valid C strings and our own descriptors.
    unsafe {
        let fs = libc::syscall(SYS_FSOPEN, c"tmpfs".as_ptr(), 1);
        if fs < 0 {
            return fail("fsopen");
        }
        if libc::syscall(SYS_FSCONFIG, fs, 6, 0usize, 0usize, 0) < 0 {
            return fail("fsconfig");
        }
        let m = libc::syscall(SYS_FSMOUNT, fs, 1, 0);
        if m < 0 {
            return fail("fsmount");
        }
        let empty = c"".as_ptr();
        if libc::syscall(SYS_MOVE_MOUNT, m, empty, libc::AT_FDCWD, d.as_ptr(), 4) < 0 {
            return fail("move_mount");
        }
    }
    0
}

/// Picks the file system mounted on DIR (fspick) and reconfigures it with its own options:
/// a remount through the new mount API, which never calls the `sb_mount` hook.
fn fspick_reconfigure(dir: &str) -> i32 {
    let d = cstr(dir);
    // SAFETY: fspick on a valid C string.
    let fs = unsafe { libc::syscall(SYS_FSPICK, libc::AT_FDCWD, d.as_ptr(), FSPICK_CLOEXEC) };
    if fs < 0 {
        let e = last();
        println!("fspick: errno {e}");
        return e;
    }
    fd_then(fs as libc::c_int, |fs| {
        let null = std::ptr::null::<libc::c_char>();
        // SAFETY: FSCONFIG_CMD_RECONFIGURE takes no key or value.
        if unsafe { libc::syscall(SYS_FSCONFIG, fs, FSCONFIG_CMD_RECONFIGURE, null, null, 0) } < 0 {
            let e = last();
            println!("reconfigure: errno {e}");
            return e;
        }
        0
    })
}

/// Clones DIR as a detached mount (open_tree) and opens FILE relative to it.
fn open_tree_open(dir: &str, file: &str) -> i32 {
    open_tree_then(dir, file, libc::O_RDONLY)
}

/// Opens `file` under a detached clone of `dir` with `flags` (and mode 0644).
fn open_tree_then(dir: &str, file: &str, open_flags: libc::c_int) -> i32 {
    let (d, f) = (cstr(dir), cstr(file));
    let flags = 1 | libc::O_CLOEXEC; // OPEN_TREE_CLONE
                                     // SAFETY: open_tree and openat on valid C strings and our own descriptor.
    let tree = unsafe { libc::syscall(SYS_OPEN_TREE, libc::AT_FDCWD, d.as_ptr(), flags) };
    if tree < 0 {
        let e = last();
        println!("open_tree: errno {e}");
        return e;
    }
    fd_then(tree as libc::c_int, |t| {
        // SAFETY: As above.
        fd_then(
            unsafe { libc::openat(t, f.as_ptr(), open_flags | libc::O_CLOEXEC, 0o644) },
            |_| 0,
        )
    })
}

/// argv for an exec: PATH ARGS..., NULL-terminated, and the strings it points into.
fn argv(args: &[String]) -> (Vec<CString>, Vec<*const libc::c_char>) {
    let strings: Vec<CString> = args.iter().map(|a| cstr(a)).collect();
    let mut ptrs: Vec<*const libc::c_char> = strings.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    (strings, ptrs)
}

/// Forks a child that asks to be traced, stops, and execs PATH ARGS. The parent lets it go
/// and reports: `exec failed: errno E` (returns E), or `running` (the traced exec went
/// through; returns the program's exit status).
fn traceme_exec(args: &[String]) -> i32 {
    if args.is_empty() {
        return libc::EINVAL;
    }
    let (_strings, ptrs) = argv(args);
    // SAFETY: The child only makes system calls and exits; `ptrs` is valid in both.
    unsafe {
        let pid = libc::fork();
        if pid < 0 {
            return last();
        }
        if pid == 0 {
            libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
            libc::raise(libc::SIGSTOP);
            libc::execv(ptrs[0], ptrs.as_ptr());
            libc::_exit(100 + last());
        }
        let mut st = 0;
        libc::waitpid(pid, &mut st, 0);
        libc::ptrace(libc::PTRACE_CONT, pid, 0, 0);
        libc::waitpid(pid, &mut st, 0);
        if libc::WIFSTOPPED(st) && libc::WSTOPSIG(st) == libc::SIGTRAP {
            println!("running");
            let _ = std::io::stdout().flush();
            libc::ptrace(libc::PTRACE_DETACH, pid, 0, 0);
            libc::waitpid(pid, &mut st, 0);
            return if libc::WIFEXITED(st) {
                libc::WEXITSTATUS(st)
            } else {
                255
            };
        }
        if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) >= 100 {
            let e = libc::WEXITSTATUS(st) - 100;
            println!("exec failed: errno {e}");
            return e;
        }
        println!("unexpected wait status {st:#x}");
        255
    }
}

/// `exec-as NAME [remove] PATH ARGS...`: names NAME as the profile of the next exec
/// (`lsm_set_self_attr(LSM_ATTR_EXEC)`), removes that profile if asked, then execs PATH.
/// Returns the errno of the first failing step.
fn exec_as(args: &[String]) -> i32 {
    let Some((name, rest)) = args.split_first() else {
        return libc::EINVAL;
    };
    let (remove, rest) = match rest.split_first() {
        Some((word, tail)) if word == "remove" => (true, tail),
        _ => (false, rest),
    };
    if rest.is_empty() {
        return libc::EINVAL;
    }
    // struct lsm_ctx: id, flags, len, ctx_len (u64 each), then the NUL-terminated name.
    let value_len = name.len() as u64 + 1;
    let mut ctx = Vec::new();
    for field in [114u64, 0, 32 + value_len, value_len] {
        ctx.extend_from_slice(&field.to_ne_bytes());
    }
    ctx.extend_from_slice(name.as_bytes());
    ctx.push(0);
    // SAFETY: `ctx` is readable for its length; the kernel copies it.
    let rc = unsafe { libc::syscall(460, 101u32, ctx.as_ptr(), ctx.len() as u32, 0u32) };
    if rc != 0 {
        return last();
    }
    if remove {
        let rc =
            rlsm_guest::manage_policy(rustlsm_policy::abi::LSM_POLICY_REMOVE, name.as_bytes(), 0);
        if rc != 0 {
            return rc;
        }
    }
    let (_strings, ptrs) = argv(rest);
    // SAFETY: `ptrs` is a NULL-terminated array of C strings that outlive the call.
    unsafe { libc::execv(ptrs[0], ptrs.as_ptr()) };
    last()
}

fn nnp_exec(args: &[String]) -> i32 {
    if args.is_empty() {
        return libc::EINVAL;
    }
    let (_strings, ptrs) = argv(args);
    // SAFETY: prctl takes no pointers; `ptrs` is a NULL-terminated array of C strings.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return last();
        }
        libc::execv(ptrs[0], ptrs.as_ptr());
    }
    last()
}

/// A child sharing this task's fs_struct (root, cwd, umask: clone(CLONE_FS)) execs PATH
/// ARGS while this task waits. Prints `exec failed: errno E` (returns E), or returns the
/// program's exit status.
fn sharefs_exec(args: &[String]) -> i32 {
    if args.is_empty() {
        return libc::EINVAL;
    }
    let (_strings, ptrs) = argv(args);
    let flags = (libc::CLONE_FS | libc::SIGCHLD) as libc::c_long;
    // SAFETY: Without CLONE_VM the child runs on a copy of this address space, like fork;
    // it only makes system calls and exits. `ptrs` is valid in both.
    unsafe {
        let pid = libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize);
        if pid < 0 {
            return last();
        }
        if pid == 0 {
            libc::execv(ptrs[0], ptrs.as_ptr());
            libc::_exit(100 + last());
        }
        let mut st = 0;
        libc::waitpid(pid as libc::pid_t, &mut st, 0);
        match libc::WIFEXITED(st).then(|| libc::WEXITSTATUS(st)) {
            Some(code) if code >= 100 => {
                println!("exec failed: errno {}", code - 100);
                code - 100
            }
            Some(code) => code,
            None => 255,
        }
    }
}

/// Opens PATH with O_PATH, unlinks it, then executes it through the descriptor.
fn execveat_deleted(args: &[String]) -> i32 {
    if args.is_empty() {
        return libc::EINVAL;
    }
    let (strings, ptrs) = argv(args);
    let env: [*const libc::c_char; 1] = [std::ptr::null()];
    // SAFETY: Plain system calls; `ptrs` and `env` are NULL-terminated arrays.
    unsafe {
        let fd = libc::open(strings[0].as_ptr(), libc::O_PATH);
        if fd < 0 || libc::unlink(strings[0].as_ptr()) != 0 {
            return last();
        }
        libc::syscall(
            libc::SYS_execveat,
            fd,
            c"".as_ptr(),
            ptrs.as_ptr(),
            env.as_ptr(),
            libc::AT_EMPTY_PATH,
        );
    }
    last()
}

/// Creates (or opens) the POSIX message queue /NAME, then closes and removes it.
fn mq_open(name: &str) -> i32 {
    // The system call takes the name without glibc's leading slash.
    let n = cstr(name.trim_start_matches('/'));
    let flags = libc::O_CREAT | libc::O_RDWR | libc::O_CLOEXEC;
    let null = std::ptr::null::<libc::mq_attr>();
    // SAFETY: mq_open on a valid C string with default attributes.
    let fd = unsafe { libc::syscall(libc::SYS_mq_open, n.as_ptr(), flags, 0o600, null) };
    fd_then(fd as libc::c_int, |_| {
        // SAFETY: As above.
        unsafe { libc::syscall(libc::SYS_mq_unlink, n.as_ptr()) };
        0
    })
}

/// Removes the POSIX message queue /NAME.
fn mq_unlink(name: &str) -> i32 {
    let n = cstr(name.trim_start_matches('/'));
    // SAFETY: mq_unlink on a valid C string.
    errno_if(unsafe { libc::syscall(libc::SYS_mq_unlink, n.as_ptr()) } as libc::c_int)
}

/// Opens a terminal without making it the controlling one and runs `f` on it.
fn on_tty(path: &str, f: impl FnOnce(libc::c_int) -> i32) -> i32 {
    with_fd(path, libc::O_RDWR | libc::O_NOCTTY, f)
}

/// FS_IOC_GETFLAGS then FS_IOC_SETFLAGS with the same flags.
fn setflags(path: &str) -> i32 {
    with_fd(path, libc::O_RDONLY, |fd| {
        let mut flags: libc::c_int = 0;
        // SAFETY: The flag ioctls read and write one int.
        unsafe {
            match errno_if(libc::ioctl(fd, libc::FS_IOC_GETFLAGS, &mut flags)) {
                0 => errno_if(libc::ioctl(fd, libc::FS_IOC_SETFLAGS, &flags)),
                e => e,
            }
        }
    })
}

/// The escape operations; None for an unknown one.
pub(crate) fn run(op: &str, args: &[String]) -> Option<i32> {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let rest = args.get(2..).unwrap_or(&[]);
    // SAFETY (all arms): plain system calls on valid descriptors and buffers.
    Some(unsafe {
        match op {
            "unix-connect" => unix_connect(arg(2)),
            "unix-send" => unix_send(arg(2)),
            "unix-listen" => unix_listen(arg(2), number(arg(3)), libc::SOCK_STREAM),
            "unix-dgram-listen" => unix_listen(arg(2), number(arg(3)), libc::SOCK_DGRAM),
            "tcp-fastopen" | "mptcp-fastopen" => {
                let proto = if op == "tcp-fastopen" {
                    0
                } else {
                    libc::IPPROTO_MPTCP
                };
                let sa = sin(arg(2), arg(3), libc::AF_INET);
                send_to(
                    libc::AF_INET,
                    libc::SOCK_STREAM,
                    proto,
                    &sa,
                    libc::MSG_FASTOPEN,
                )
            }
            "udp-send-unspec" => {
                let sa = sin(arg(2), arg(3), libc::AF_UNSPEC);
                send_to(libc::AF_INET, libc::SOCK_DGRAM, 0, &sa, 0)
            }
            "udp6-send-unspec" => {
                let sa = sin6(arg(2), arg(3), libc::AF_UNSPEC);
                send_to(libc::AF_INET6, libc::SOCK_DGRAM, 0, &sa, 0)
            }
            "udp6-send-mapped" => {
                let sa = sin6(arg(2), arg(3), libc::AF_INET6);
                send_to(libc::AF_INET6, libc::SOCK_DGRAM, 0, &sa, 0)
            }
            "udp-bind-unspec" => udp_bind_unspec(arg(2)),
            "udp-send-srr" => udp_send_with_cmsg(
                arg(2),
                arg(3),
                libc::SOL_IP,
                libc::IP_RETOPTS,
                &lsrr(arg(4)),
            ),
            "tcp-listen-rebind" => tcp_listen_rebind(arg(2)),
            "udp-sendmmsg-srr" => udp_sendmmsg_srr(arg(2), arg(3), arg(4)),
            // An empty struct in6_flowlabel_req (32 bytes): what the option carries does not
            // matter to the refusal.
            "udp6-setopt-flowlabel" => set_option(
                libc::AF_INET6,
                libc::SOCK_DGRAM,
                libc::SOL_IPV6,
                libc::IPV6_FLOWLABEL_MGR,
                &[0; 32],
            ),
            "udp-send-tos" => {
                udp_send_with_cmsg(arg(2), arg(3), libc::SOL_IP, libc::IP_TOS, &[0x10, 0, 0, 0])
            }
            "tcp-setopt-srr" => set_option(
                libc::AF_INET,
                libc::SOCK_STREAM,
                libc::SOL_IP,
                libc::IP_OPTIONS,
                &lsrr(arg(2)),
            ),
            "udp6-setopt-rthdr" => set_option(
                libc::AF_INET6,
                libc::SOCK_DGRAM,
                libc::SOL_IPV6,
                libc::IPV6_RTHDR,
                &rthdr2(arg(2)),
            ),
            "sctp-socket" => sctp_socket(),
            "sigio-kill" => sigio_kill(arg(2), arg(3)),
            "read-fd" => read_fd(arg(2)),
            "recv-fd" => recv_fd(arg(2)),
            "uring-read" => uring_enter(arg(2)),
            "uring-open" => uring_open(arg(2), false),
            "uring-open-personality" => uring_open(arg(2), true),
            "uring-connect" => uring_connect(arg(2), arg(3)),
            "uring-setopt-srr" => uring_setopt_srr(arg(2)),
            "chroot-open" => chroot_open(arg(2), arg(3)),
            "append-overwrite" => append_overwrite(arg(2)),
            "append-noappend" => append_noappend(arg(2)),
            "append-mmap" => append_mmap(arg(2)),
            "fsmount-tmpfs" => fsmount_tmpfs(arg(2)),
            "open-tree-open" => open_tree_open(arg(2), arg(3)),
            "open-tree-create" => open_tree_then(arg(2), arg(3), libc::O_WRONLY | libc::O_CREAT),
            "fspick-reconfigure" => fspick_reconfigure(arg(2)),
            "at-secure" => {
                println!("{}", libc::getauxval(libc::AT_SECURE));
                0
            }
            "traceme-exec" => traceme_exec(rest),
            "nnp-exec" => nnp_exec(rest),
            "exec-as" => exec_as(rest),
            "sharefs-exec" => sharefs_exec(rest),
            "execveat-deleted" => execveat_deleted(rest),
            "tiocsti" => on_tty(arg(2), |fd| {
                errno_if(libc::ioctl(fd, libc::TIOCSTI, c"\n".as_ptr()))
            }),
            "tiocsti-fd" => errno_if(libc::ioctl(
                number(arg(2)) as i32,
                libc::TIOCSTI,
                c"\n".as_ptr(),
            )),
            "prlimit-cpu" => {
                // Another task's RLIMIT_CPU set (only set) to unlimited, as it is by default.
                let unlimited = libc::rlimit64 {
                    rlim_cur: libc::RLIM64_INFINITY,
                    rlim_max: libc::RLIM64_INFINITY,
                };
                let pid = number(arg(2)) as libc::pid_t;
                errno_if(libc::prlimit64(
                    pid,
                    libc::RLIMIT_CPU,
                    &unlimited,
                    std::ptr::null_mut(),
                ))
            }
            "setpgid" => errno_if(libc::setpgid(0, number(arg(2)) as libc::pid_t)),
            "tcgets-fd" => {
                let mut t: libc::termios = std::mem::zeroed();
                errno_if(libc::ioctl(number(arg(2)) as i32, libc::TCGETS, &mut t))
            }
            "tiocexcl-fd" => errno_if(libc::ioctl(number(arg(2)) as i32, libc::TIOCEXCL)),
            "tcsetpgrp-fd" => errno_if(libc::tcsetpgrp(number(arg(2)) as i32, libc::getpgrp())),
            "tcgets" => on_tty(arg(2), |fd| {
                let mut t: libc::termios = std::mem::zeroed();
                errno_if(libc::ioctl(fd, libc::TCGETS, &mut t))
            }),
            "mq-open" => mq_open(arg(2)),
            "mq-unlink" => mq_unlink(arg(2)),
            "open-mode3" => fd_then(
                libc::open(cstr(arg(2)).as_ptr(), 3 | libc::O_CLOEXEC),
                |_| 0,
            ),
            "setflags" => setflags(arg(2)),
            "churn" => churn(arg(2), number(arg(3))),
            "setid-create" => setid_create(arg(2), octal(arg(3))),
            "proc-cache" => proc_cache(arg(2)),
            "setid-chmod" => setid_chmod(arg(2), octal(arg(3))),
            // fchmod() on a read-only descriptor; fchmodat2() on an O_PATH one (AT_EMPTY_PATH).
            "setid-fchmod" => with_fd(arg(2), libc::O_RDONLY, |fd| {
                errno_if(libc::fchmod(fd, octal(arg(3))))
            }),
            "setid-fchmodat2" => with_fd(arg(2), libc::O_PATH, |fd| {
                let empty = c"".as_ptr();
                let rc = libc::syscall(452, fd, empty, octal(arg(3)), libc::AT_EMPTY_PATH);
                errno_if(rc as libc::c_int)
            }),
            "setid-mkdir" => setid_mkdir(arg(2), octal(arg(3))),
            "setid-tmpfile" => setid_tmpfile(arg(2), arg(3), octal(arg(4))),
            "fioclex" => with_fd(arg(2), libc::O_RDONLY, |fd| {
                errno_if(libc::ioctl(fd, libc::FIOCLEX))
            }),
            _ => return None,
        }
    })
}

/// `churn DIR N`: N times, create DIR/ok-I and read it (allowed, so its decision is kept),
/// remove it, let a grace period pass (the freed dentry's memory may then go to the next
/// one), create DIR/no-I and read it (refused). A read of no-I that succeeds prints
/// `read DIR/no-I` and ends with 1; any other unexpected result ends with its errno.
fn churn(dir: &str, n: u32) -> i32 {
    let create = |path: &str| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map(drop)
    };
    for i in 0..n {
        let ok = format!("{dir}/ok-{i}");
        let no = format!("{dir}/no-{i}");
        let steps = create(&ok)
            .and_then(|()| std::fs::File::open(&ok).map(drop))
            .and_then(|()| std::fs::remove_file(&ok));
        if let Err(e) = steps {
            return errno_of(&e);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
        if let Err(e) = create(&no) {
            return errno_of(&e);
        }
        match std::fs::File::open(&no) {
            Ok(_) => {
                println!("read {no}");
                return 1;
            }
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => {}
            Err(e) => return errno_of(&e),
        }
        if let Err(e) = std::fs::remove_file(&no) {
            return errno_of(&e);
        }
    }
    0
}
