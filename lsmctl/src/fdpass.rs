//! The one message the sandboxed child sends lsmctl before it executes the command: a
//! `SOCK_SEQPACKET` datagram of one byte that says how the sandbox went, carrying the records
//! descriptor (`SCM_RIGHTS`) when there is one.

use std::io;
use std::mem::{size_of, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// What the child reports.
#[derive(Debug)]
pub(crate) enum Report {
    /// The command runs sandboxed; here are the sandbox's records (or, with `--ask`, its
    /// listener).
    Records(OwnedFd),
    /// The command runs without records: unsandboxed, or on a kernel without them
    /// (`--best-effort`).
    NoRecords,
    /// The child could not sandbox itself and is exiting.
    Failed,
}

const RECORDS: u8 = b'R';
const NO_RECORDS: u8 = b'N';
const FAILED: u8 = b'F';

/// Room for the control message of one descriptor.
// SAFETY: `CMSG_SPACE` only computes a size from its argument.
const CMSG_BYTES: usize = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as usize;

/// A control-message buffer aligned for `cmsghdr`, as `CMSG_FIRSTHDR` expects.
#[repr(C)]
union ControlBuffer {
    bytes: [u8; CMSG_BYTES],
    _align: libc::cmsghdr,
}

impl ControlBuffer {
    fn zeroed() -> Self {
        ControlBuffer {
            bytes: [0; CMSG_BYTES],
        }
    }
}

/// A connected pair of close-on-exec `SOCK_SEQPACKET` unix sockets.
pub(crate) fn socketpair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` is valid for the two descriptors the call writes.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `socketpair` succeeded: both are new descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The one data byte of a message.
fn one_byte(byte: &mut [u8; 1]) -> libc::iovec {
    libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    }
}

/// A message header with `iov` as its data and no control part yet.
fn header(iov: &mut libc::iovec) -> libc::msghdr {
    // SAFETY: an all-zero `msghdr` is valid (no name, no data, no control message).
    let mut msg: libc::msghdr = unsafe { MaybeUninit::zeroed().assume_init() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg
}

/// Sends `report` on `sock`; the descriptor it may carry stays open here (the caller closes
/// its copy).
pub(crate) fn send(sock: BorrowedFd<'_>, report: &Report) -> io::Result<()> {
    let (tag, fd) = match report {
        Report::Records(fd) => (RECORDS, Some(fd.as_raw_fd())),
        Report::NoRecords => (NO_RECORDS, None),
        Report::Failed => (FAILED, None),
    };
    let mut byte = [tag];
    let mut iov = one_byte(&mut byte);
    let mut control = ControlBuffer::zeroed();
    let mut msg = header(&mut iov);
    if let Some(fd) = fd {
        msg.msg_control = (&raw mut control).cast();
        // socklen_t on musl, size_t on glibc.
        msg.msg_controllen = CMSG_BYTES as _;
        // SAFETY: `msg` points at `control`, which is aligned for and large enough to hold one
        // control message of one descriptor (CMSG_SPACE), so the first header exists and its
        // data has room for the descriptor.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd);
        }
    }
    loop {
        // SAFETY: `msg` and everything it points at (`iov`, `byte`, `control`) live across
        // the call.
        let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
        if n >= 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Receives the child's report from `sock`, waiting for it. `Ok(None)` when the child closed
/// its end without one (it died first). A report of records whose descriptor did not come
/// is an error.
pub(crate) fn receive(sock: BorrowedFd<'_>) -> io::Result<Option<Report>> {
    let mut byte = [0u8];
    let mut iov = one_byte(&mut byte);
    let mut control = ControlBuffer::zeroed();
    let mut msg = header(&mut iov);
    msg.msg_control = (&raw mut control).cast();
    // socklen_t on musl, size_t on glibc.
    msg.msg_controllen = CMSG_BYTES as _;
    let n = loop {
        // SAFETY: `msg` points at `byte` (1 byte) and `control` (CMSG_BYTES bytes), both
        // writable and alive across the call; the kernel writes no more than their lengths.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    };
    // Take every descriptor that came, whatever the message, so none leaks.
    let mut received = Vec::new();
    // SAFETY: `msg` is the header `recvmsg` filled; CMSG_FIRSTHDR and CMSG_NXTHDR stay within
    // `msg_controllen` bytes of `control`, and each header they return is complete.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg);
                let header = libc::CMSG_LEN(0) as usize;
                #[allow(clippy::unnecessary_cast)]
                let count = ((*cmsg).cmsg_len as usize).saturating_sub(header) / size_of::<RawFd>();
                for i in 0..count {
                    let fd = std::ptr::read_unaligned(data.cast::<RawFd>().add(i));
                    // The kernel installed it for this process alone.
                    received.push(OwnedFd::from_raw_fd(fd));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    if n == 0 {
        return Ok(None);
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        return Err(io::Error::other(
            "the message was cut short: more descriptors came than expected",
        ));
    }
    match (byte[0], received.len()) {
        (RECORDS, 1) => Ok(received.pop().map(Report::Records)),
        (NO_RECORDS, 0) => Ok(Some(Report::NoRecords)),
        (FAILED, 0) => Ok(Some(Report::Failed)),
        (tag, count) => Err(io::Error::other(format!(
            "unexpected message {:?} with {count} descriptor(s)",
            char::from(tag)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::fd::AsFd;

    #[test]
    fn a_descriptor_crosses_the_socket() {
        let (a, b) = socketpair().unwrap();
        let mut fds = [0; 2];
        // SAFETY: `fds` is valid for the two descriptors `pipe2` writes.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: `pipe2` succeeded: both are new descriptors owned here.
        let (read_end, write_end) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        send(a.as_fd(), &Report::Records(read_end)).unwrap();
        let Some(Report::Records(got)) = receive(b.as_fd()).unwrap() else {
            panic!("no descriptor came");
        };
        File::from(write_end).write_all(b"DENIED x\n").unwrap();
        let mut text = String::new();
        File::from(got).read_to_string(&mut text).unwrap();
        assert_eq!(text, "DENIED x\n");
    }

    #[test]
    fn reports_without_descriptors_and_a_closed_socket() {
        let (a, b) = socketpair().unwrap();
        send(a.as_fd(), &Report::NoRecords).unwrap();
        send(a.as_fd(), &Report::Failed).unwrap();
        assert!(matches!(receive(b.as_fd()), Ok(Some(Report::NoRecords))));
        assert!(matches!(receive(b.as_fd()), Ok(Some(Report::Failed))));
        drop(a);
        assert!(matches!(receive(b.as_fd()), Ok(None)));
    }
}
