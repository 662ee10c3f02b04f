//! lsmctl's side of a sandboxed command, outside the sandbox: it waits for the command to
//! exit, passing on the signals it is sent and handing on the sandbox's record lines as they
//! arrive, then reports how the command ended.
//!
//! One `poll()` loop over three descriptors: the signalfd ([`Signals`]), a pidfd of the
//! command (readable once it has exited) and the records (non-blocking). Without a pidfd (a
//! kernel or a descriptor table that refuses one) the loop looks every 100 ms instead.

use crate::signals::{Signals, FORWARDED};
use lsmctl::records::LineSplitter;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

/// Prints `lsmctl: MESSAGE` on stderr. A closed or full stderr is no reason to stop
/// supervising the command, so a failed write is ignored.
pub(crate) fn say(message: &str) {
    say_line(&format!("lsmctl: {message}"));
}

/// Writes `text` and a newline to stderr in one `write()`: the sandboxed command writes to
/// the same stderr, and a line written in pieces could be cut by its output.
pub(crate) fn say_line(text: &str) {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// The exit status lsmctl reports for the command's wait status: its own exit status, or
/// 128 + the signal that killed it, as shells report it.
pub(crate) fn exit_code(status: libc::c_int) -> u8 {
    if libc::WIFEXITED(status) {
        u8::try_from(libc::WEXITSTATUS(status)).unwrap_or(1)
    } else if libc::WIFSIGNALED(status) {
        u8::try_from(128 + libc::WTERMSIG(status)).unwrap_or(u8::MAX)
    } else {
        1
    }
}

/// A pidfd of `pid`: readable once the process has exited.
fn pidfd_open(pid: libc::pid_t) -> io::Result<OwnedFd> {
    // SAFETY: `pidfd_open(pid, 0)` takes no pointers.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = libc::c_int::try_from(fd).map_err(|_| io::Error::other("not a descriptor"))?;
    // SAFETY: `pidfd_open` returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reaps `pid` if it has exited (`flags` 0: waits until it has). Returns its wait status.
fn wait(pid: libc::pid_t, flags: libc::c_int) -> io::Result<Option<libc::c_int>> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is valid for the write of one int.
        let rc = unsafe { libc::waitpid(pid, &mut status, flags) };
        if rc == pid {
            return Ok(Some(status));
        }
        if rc == 0 {
            return Ok(None);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Sends `sig` to `pid`.
fn kill(pid: libc::pid_t, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: `kill` takes no pointers.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// How far a read of the records got.
#[derive(Debug, PartialEq, Eq)]
enum Progress {
    /// Nothing more to read for now.
    Empty,
    /// The sandbox is gone and everything was read.
    End,
    /// The read limit was reached with more to read.
    Limit,
}

/// The records descriptor and the unfinished line read from it.
struct Records {
    file: File,
    lines: LineSplitter,
    /// Whether it may still have something to read.
    open: bool,
}

impl Records {
    fn new(fd: OwnedFd) -> io::Result<Self> {
        set_nonblocking(&fd)?;
        Ok(Records {
            file: File::from(fd),
            lines: LineSplitter::new(),
            open: true,
        })
    }

    /// Reads what is there, at most `reads` times, handing on each complete line. At the
    /// end, or on an error (reported), hands on what is left of an unfinished line.
    fn read(&mut self, reads: usize, line: &mut dyn FnMut(&[u8])) -> Progress {
        // Room for the longest line either descriptor gives (a request of a path of 4096
        // bytes, each escaped to 4), so that no read is refused as too short.
        let mut buf = vec![0u8; 24 << 10];
        let mut n = 0;
        while self.open && n < reads {
            match self.file.read(&mut buf) {
                Ok(0) => self.close(line),
                Ok(len) => {
                    n += 1;
                    self.lines.push(&buf[..len], &mut |l| line(l));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Empty,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    say(&format!("reading the sandbox's records: {e}"));
                    self.close(line);
                }
            }
        }
        if self.open {
            Progress::Limit
        } else {
            Progress::End
        }
    }

    fn close(&mut self, line: &mut dyn FnMut(&[u8])) {
        self.open = false;
        self.lines.finish(&mut |l| line(l));
    }
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: `F_GETFL` takes no argument.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `F_SETFL` takes an int of flags.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads per wake-up: a sandbox refusing in a loop must not keep the loop from noticing
/// that the command exited or was sent a signal.
const READS_PER_WAKE: usize = 16;
/// Reads after the command exited: what the kernel still holds (16 KiB), and a bound if the
/// sandbox's other tasks keep refusing things.
const READS_AT_EXIT: usize = 256;

/// Passes on the signals that arrived: [`FORWARDED`] ones to `child`; the rest (SIGINT,
/// SIGQUIT) the terminal sent the command already. `false` if the signals cannot be read.
fn forward(signals: &Signals, child: libc::pid_t) -> bool {
    let pending = match signals.pending() {
        Ok(p) => p,
        Err(e) => {
            say(&format!(
                "reading signals (signalfd): {e}; signals sent to lsmctl no longer reach the \
                 command"
            ));
            return false;
        }
    };
    for sig in pending.into_iter().filter(|s| FORWARDED.contains(s)) {
        // ESRCH: it exited meanwhile; the loop reaps it next.
        match kill(child, sig) {
            Err(e) if e.raw_os_error() != Some(libc::ESRCH) => say(&format!(
                "passing signal {sig} on to the command (pid {child}): {e}"
            )),
            _ => {}
        }
    }
    true
}

/// Supervises `child` until it exits: passes on the signals `signals` reads, hands each
/// complete line of `records` to `line` as it arrives, and when the child has exited reaps
/// it and hands on the lines left. Returns the child's wait status; an error only when the
/// child cannot be waited for.
pub(crate) fn supervise(
    child: libc::pid_t,
    records: Option<OwnedFd>,
    signals: &Signals,
    line: &mut dyn FnMut(&[u8]),
) -> Result<libc::c_int, String> {
    let mut records = records.and_then(|fd| match Records::new(fd) {
        Ok(r) => Some(r),
        Err(e) => {
            say(&format!(
                "making the records descriptor non-blocking: {e}; denials will not be shown"
            ));
            None
        }
    });
    let mut pidfd = pidfd_open(child)
        .map_err(|e| say(&format!("pidfd_open (pid {child}): {e}; polling instead")))
        .ok();
    let mut signals_ok = true;
    let status = loop {
        let mut fds = Vec::with_capacity(3);
        let pollfd = |fd: libc::c_int| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // A descriptor left out is given -1, which poll() skips, to keep the indices.
        let sig_fd = signals.as_fd().as_raw_fd();
        fds.push(pollfd(if signals_ok { sig_fd } else { -1 }));
        fds.push(pollfd(pidfd.as_ref().map_or(-1, |p| p.as_raw_fd())));
        let rec_fd = records
            .as_ref()
            .filter(|r| r.open)
            .map(|r| r.file.as_raw_fd());
        fds.push(pollfd(rec_fd.unwrap_or(-1)));
        let timeout = if pidfd.is_some() { -1 } else { 100 };
        // SAFETY: `fds` holds `fds.len()` initialised pollfd entries, writable for revents.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            say(&format!(
                "poll: {e}; waiting for the command without showing its denials"
            ));
            match wait(child, 0) {
                Ok(Some(status)) => break status,
                Ok(None) => continue,
                Err(e) => return Err(format!("waiting for the command (pid {child}): {e}")),
            }
        }
        if fds[0].revents != 0 {
            signals_ok = forward(signals, child);
        }
        if fds[2].revents != 0 {
            if let Some(r) = records.as_mut() {
                r.read(READS_PER_WAKE, line);
            }
        }
        match wait(child, libc::WNOHANG) {
            Ok(Some(status)) => break status,
            // The pidfd said the child exited, yet it cannot be reaped: a tracer in the
            // sandbox holds it. The pidfd would stay readable and spin this loop: check
            // every 100 ms instead.
            Ok(None) if fds[1].revents != 0 => pidfd = None,
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for the command (pid {child}): {e}")),
        }
    };
    if let Some(r) = records.as_mut() {
        if r.read(READS_AT_EXIT, line) != Progress::End {
            // The sandbox may outlive the command (a daemon it started): what comes later
            // has no one left to show it. Show the unfinished line as it is.
            r.lines.finish(&mut |l| line(l));
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn exit_statuses_map_as_shells_report_them() {
        assert_eq!(exit_code(0), 0);
        assert_eq!(exit_code(3 << 8), 3);
        assert_eq!(exit_code(255 << 8), 255);
        // Killed by SIGTERM; by SIGSEGV with a core dump.
        assert_eq!(exit_code(libc::SIGTERM), 143);
        assert_eq!(exit_code(libc::SIGSEGV | 0x80), 139);
        assert_eq!(exit_code(libc::SIGKILL), 137);
        // Stopped (not an exit): an error status, never a panic.
        assert_eq!(exit_code(0x7f | (libc::SIGSTOP << 8)), 1);
    }

    fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: `fds` is valid for the two descriptors `pipe2` writes.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: `pipe2` succeeded: both are new descriptors owned here.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    /// Starts `sh -c script`; [`supervise`] reaps it, by pid.
    #[allow(clippy::zombie_processes)]
    fn spawn(script: &str) -> libc::pid_t {
        let child = Command::new("sh").args(["-c", script]).spawn().unwrap();
        libc::pid_t::try_from(child.id()).unwrap()
    }

    #[test]
    fn lines_arrive_whole_and_the_status_is_the_commands() {
        let signals = Signals::block().unwrap();
        let (read_end, write_end) = pipe();
        let mut w = File::from(write_end);
        w.write_all(b"DENIED sandbox=1 profile=\"s\" op=open pa")
            .unwrap();
        w.write_all(b"th=\"/x\" requested=r denied=r pid=2 comm=\"c\"\nLOST records=2\nhalf")
            .unwrap();
        drop(w);
        let child = spawn("exit 7");
        let mut got = Vec::new();
        let status = supervise(child, Some(read_end), &signals, &mut |l| {
            got.push(String::from_utf8_lossy(l).into_owned())
        })
        .unwrap();
        signals.restore_mask().unwrap();
        assert_eq!(exit_code(status), 7);
        assert_eq!(
            got,
            [
                "DENIED sandbox=1 profile=\"s\" op=open path=\"/x\" requested=r denied=r pid=2 comm=\"c\"",
                "LOST records=2",
                "half"
            ]
        );
    }

    #[test]
    fn a_command_killed_by_a_signal_reports_128_plus_it() {
        let signals = Signals::block().unwrap();
        let status = supervise(spawn("kill -KILL $$"), None, &signals, &mut |_| {}).unwrap();
        signals.restore_mask().unwrap();
        assert_eq!(exit_code(status), 137);
    }

    /// Supervises `child` after sending `sig` to this thread, where it waits, blocked, for
    /// the signalfd. The child is spawned before the signals are blocked: it would inherit
    /// the mask.
    fn supervise_after(child: libc::pid_t, sig: libc::c_int) -> u8 {
        let signals = Signals::block().unwrap();
        // SAFETY: `pthread_kill` on the calling thread with a valid signal number.
        assert_eq!(unsafe { libc::pthread_kill(libc::pthread_self(), sig) }, 0);
        let status = supervise(child, None, &signals, &mut |_| {}).unwrap();
        signals.restore_mask().unwrap();
        exit_code(status)
    }

    #[test]
    fn sigterm_is_passed_on_and_sigint_is_not() {
        let code = supervise_after(spawn("sleep 0.2; exit 4"), libc::SIGINT);
        assert_eq!(code, 4, "SIGINT was passed on");
        let code = supervise_after(spawn("sleep 10"), libc::SIGTERM);
        assert_eq!(i32::from(code), 128 + libc::SIGTERM);
    }
}
