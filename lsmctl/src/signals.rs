//! The signals `lsmctl run` takes care of while it supervises a sandboxed command. They are
//! blocked and read from a signalfd, so that they arrive in the poll loop as readable data
//! rather than in handlers that could interrupt it anywhere.
//!
//! They are blocked before the fork, so that one sent in between waits instead of killing
//! lsmctl; the child puts back the mask it inherited before it does anything else, so the
//! command starts with the mask and dispositions lsmctl was started with.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Signals sent to lsmctl that it passes on to the command: those a service manager or a
/// user sends to the process it started, meaning the command.
pub(crate) const FORWARDED: [libc::c_int; 4] =
    [libc::SIGTERM, libc::SIGHUP, libc::SIGUSR1, libc::SIGUSR2];

/// Signals lsmctl only survives: the terminal sends them to the whole foreground process
/// group, the command included, and the command decides what they mean.
pub(crate) const SWALLOWED: [libc::c_int; 2] = [libc::SIGINT, libc::SIGQUIT];

/// The handled signals, blocked, and the descriptor they are read from.
pub(crate) struct Signals {
    fd: OwnedFd,
    /// The thread's mask before [`Signals::block`].
    old_mask: libc::sigset_t,
}

/// The set of `signals`.
fn set_of(signals: &[libc::c_int]) -> io::Result<libc::sigset_t> {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `sigemptyset` initialises the set it is given, which is valid for writes.
    if unsafe { libc::sigemptyset(set.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `sigemptyset` succeeded, so the set is initialised.
    let mut set = unsafe { set.assume_init() };
    for &sig in signals {
        // SAFETY: `set` is an initialised set and `sig` a valid signal number.
        if unsafe { libc::sigaddset(&mut set, sig) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(set)
}

impl Signals {
    /// Blocks [`FORWARDED`] and [`SWALLOWED`] in the calling thread and opens a signalfd
    /// (close-on-exec, non-blocking) that reads them.
    pub(crate) fn block() -> Result<Self, String> {
        let all: Vec<libc::c_int> = FORWARDED.iter().chain(&SWALLOWED).copied().collect();
        let set = set_of(&all).map_err(|e| format!("building a signal set: {e}"))?;
        let mut old_mask = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `set` is initialised and `old_mask` is valid for the write of the old mask.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, old_mask.as_mut_ptr()) };
        if rc != 0 {
            return Err(format!(
                "blocking signals (pthread_sigmask): {}",
                io::Error::from_raw_os_error(rc)
            ));
        }
        // SAFETY: `pthread_sigmask` succeeded and so wrote the old mask.
        let old_mask = unsafe { old_mask.assume_init() };
        // SAFETY: -1 asks for a new descriptor; `set` is an initialised set.
        let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
        if fd < 0 {
            let e = io::Error::last_os_error();
            // SAFETY: `old_mask` is the initialised mask `pthread_sigmask` reported.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old_mask, std::ptr::null_mut()) };
            let hint = if e.raw_os_error() == Some(libc::ENOSYS) {
                " (this kernel has no signalfd: --no-denials runs the command without a \
                 supervising lsmctl)"
            } else {
                ""
            };
            return Err(format!("signalfd: {e}{hint}"));
        }
        // SAFETY: `signalfd` returned a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Signals { fd, old_mask })
    }

    /// Puts back the mask from before [`Signals::block`] (in the child, before exec).
    pub(crate) fn restore_mask(&self) -> io::Result<()> {
        // SAFETY: `old_mask` is the initialised mask `pthread_sigmask` reported.
        let rc = unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old_mask, std::ptr::null_mut())
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(rc))
        }
    }

    /// The signals that arrived since the last call, oldest first (none if none did).
    pub(crate) fn pending(&self) -> io::Result<Vec<libc::c_int>> {
        const INFO: usize = std::mem::size_of::<libc::signalfd_siginfo>();
        let mut out = Vec::new();
        loop {
            let mut info = MaybeUninit::<[libc::signalfd_siginfo; 8]>::uninit();
            // SAFETY: `info` is valid for writes of its whole size, which is what is asked.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    info.as_mut_ptr().cast(),
                    std::mem::size_of_val(&info),
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock => Ok(out),
                    io::ErrorKind::Interrupted => continue,
                    _ => Err(e),
                };
            }
            let n = usize::try_from(n).unwrap_or(0);
            if n == 0 {
                return Ok(out);
            }
            let ptr = info.as_ptr().cast::<libc::signalfd_siginfo>();
            // The kernel writes whole records only.
            for i in 0..n / INFO {
                // SAFETY: the kernel wrote `n` bytes, so record `i` (< n / INFO) is initialised
                // and lies within `info`.
                let record = unsafe { &*ptr.add(i) };
                out.push(libc::c_int::try_from(record.ssi_signo).unwrap_or(0));
            }
        }
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
