//! A layer stacked on every thread of a process at once (`FLAG_ALL_THREADS`), by a process
//! whose other threads are busy in every way a thread can be: waiting in a system call,
//! spinning in user space, sleeping, starting threads during the call.

use crate::{errno_of, number};
use rustlsm_policy::{abi, wire};
use std::fs::File;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// The errno of opening `path` for reading, or 0.
fn open_errno(path: &str) -> i32 {
    File::open(path).map_or_else(|e| errno_of(&e), |_| 0)
}

/// Whether the calling thread has `no_new_privs`.
fn has_no_new_privs() -> bool {
    // SAFETY: PR_GET_NO_NEW_PRIVS reads a flag of the calling thread.
    unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 }
}

/// Sets `no_new_privs` on the calling thread only (other threads keep theirs).
fn set_no_new_privs() -> bool {
    // SAFETY: PR_SET_NO_NEW_PRIVS sets a flag of the calling thread.
    unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 }
}

/// What each thread found once told to look: the errno of opening the path before and after
/// the layer, and whether it has `no_new_privs` after.
#[derive(Default)]
struct Seen {
    before: i32,
    after: i32,
    no_new_privs: bool,
}

/// Threads that open `path` once (before), wait for `go`, then open it again (after).
struct Crowd {
    path: Arc<str>,
    go: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Seen>>,
}

impl Crowd {
    fn new(path: &str) -> Self {
        Crowd {
            path: path.into(),
            go: Arc::new(AtomicBool::new(false)),
            threads: Vec::new(),
        }
    }

    /// A thread that opens the path, runs `busy` until `go` (which must return once `go` is
    /// set), then opens it again.
    fn spawn(&mut self, busy: impl FnOnce(&AtomicBool) + Send + 'static) {
        let (path, go) = (self.path.clone(), self.go.clone());
        let ready = Arc::new(Barrier::new(2));
        let started = ready.clone();
        self.threads.push(thread::spawn(move || {
            let before = open_errno(&path);
            started.wait();
            busy(&go);
            Seen {
                before,
                after: open_errno(&path),
                no_new_privs: has_no_new_privs(),
            }
        }));
        ready.wait();
    }

    /// Lets every thread look, and gathers what they saw.
    fn finish(self) -> Vec<Seen> {
        self.go.store(true, SeqCst);
        self.threads
            .into_iter()
            .map(|t| t.join().unwrap_or_default())
            .collect()
    }
}

/// A pipe's reading and writing ends.
fn pipe() -> std::io::Result<(File, File)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` is writable for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2() just made both descriptors for this process; nothing else owns them.
    Ok(unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) })
}

/// Gives the calling thread credentials of its own: `capset()` of the capabilities it has
/// makes new ones, for this thread only. Prints `capset E` if it fails.
fn own_credentials() {
    // struct __user_cap_header_struct { version, pid } and two __user_cap_data_struct.
    let mut header = [0x2008_0522u32, 0];
    let mut data = [0u32; 6];
    // SAFETY: `header` and `data` are the structures capget() and capset() read and write.
    let rc = unsafe {
        libc::syscall(libc::SYS_capget, header.as_mut_ptr(), data.as_mut_ptr());
        libc::syscall(libc::SYS_capset, header.as_mut_ptr(), data.as_ptr())
    };
    if rc != 0 {
        println!("capset {}", errno_of(&std::io::Error::last_os_error()));
    }
}

/// A thread that only waits for the end of the call, then opens `path`: a bystander whose
/// state must follow the call's outcome. `go` lets it look; joining gives its errno.
fn bystander(path: &str) -> (Arc<AtomicBool>, JoinHandle<i32>) {
    let go = Arc::new(AtomicBool::new(false));
    let (seen, path) = (go.clone(), path.to_string());
    (
        go,
        thread::spawn(move || {
            nap_until(&seen);
            open_errno(&path)
        }),
    )
}

/// Waits for `go` in 10 ms naps.
fn nap_until(go: &AtomicBool) {
    while !go.load(SeqCst) {
        thread::sleep(Duration::from_millis(10));
    }
}

/// `all-threads BLOB PATH`: with threads blocked in `read()`, spinning, asleep for a long
/// time, one with credentials of its own (not the caller's), and one starting threads
/// throughout, the main thread alone sets `no_new_privs` and
/// stacks BLOB with `FLAG_ALL_THREADS | FLAG_RECORDS`. Then every thread opens PATH again.
/// Prints `stacked E`, `main-after E`, `threads N before-ok B after-denied D nnp K reads R` (the blocked
/// reads must complete with the byte written after the call) and `records L` (lines naming
/// PATH). The errno of the call, or 0.
fn all_threads(blob: &[u8], path: &str) -> i32 {
    let mut crowd = Crowd::new(path);
    let mut writers = Vec::new();
    let reads = Arc::new(AtomicU32::new(0));
    for _ in 0..2 {
        let (mut reader, writer) = match pipe() {
            Ok(pair) => pair,
            Err(e) => return errno_of(&e),
        };
        writers.push(writer);
        let reads = reads.clone();
        crowd.spawn(move |_| {
            // Blocked here during the call: the task work interrupts the read, which must
            // restart unseen and get the byte written afterwards.
            let mut byte = [0u8];
            if reader.read(&mut byte).ok() == Some(1) {
                reads.fetch_add(1, SeqCst);
            }
        });
    }
    for _ in 0..2 {
        crowd.spawn(|go| {
            let mut n = 0u64;
            while !go.load(SeqCst) {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        });
    }
    crowd.spawn(|go| {
        // One long sleep, interrupted by the task work and resumed.
        thread::sleep(Duration::from_secs(2));
        nap_until(go);
    });
    crowd.spawn(|go| {
        // Credentials of its own (the same capabilities, set again), so that it prepares its
        // own new ones instead of taking the caller's.
        own_credentials();
        nap_until(go);
    });
    // Starts threads before, during and after the call (phase 0, 1, 2), counting those
    // started while it was made; each waits for `go` like the others.
    let phase = Arc::new(AtomicU32::new(0));
    let during = Arc::new(AtomicU32::new(0));
    let spawner = {
        let (path, go) = (crowd.path.clone(), crowd.go.clone());
        let (phase, during) = (phase.clone(), during.clone());
        thread::spawn(move || {
            let mut started = Vec::new();
            while phase.load(SeqCst) < 2 && started.len() < 24 {
                let (path, go) = (path.clone(), go.clone());
                let before = phase.load(SeqCst);
                started.push(thread::spawn(move || {
                    nap_until(&go);
                    open_errno(&path)
                }));
                if before == 1 && phase.load(SeqCst) == 1 {
                    during.fetch_add(1, SeqCst);
                }
                thread::sleep(Duration::from_millis(2));
            }
            started
        })
    };
    thread::sleep(Duration::from_millis(20));
    if !set_no_new_privs() {
        return errno_of(&std::io::Error::last_os_error());
    }
    let flags = wire::FLAG_ALL_THREADS | wire::FLAG_RECORDS;
    phase.store(1, SeqCst);
    let result = rlsm_guest::manage_policy_value(abi::LSM_POLICY_RESTRICT_SELF, blob, flags);
    phase.store(2, SeqCst);
    let code = result.err().unwrap_or(0);
    println!("stacked {code}");
    println!("main-after {}", open_errno(path));
    for mut writer in writers {
        let _ = writer.write_all(b"x");
    }
    let late = spawner.join().unwrap_or_default();
    let seen = crowd.finish();
    let late: Vec<i32> = late.into_iter().map(|t| t.join().unwrap_or(0)).collect();
    let denied = |e: i32| e == libc::EACCES;
    println!(
        "threads {} before-ok {} after-denied {} nnp {} reads {} late {} late-denied {} during {}",
        seen.len(),
        seen.iter().filter(|s| s.before == 0).count(),
        seen.iter().filter(|s| denied(s.after)).count(),
        seen.iter().filter(|s| s.no_new_privs).count(),
        reads.load(SeqCst),
        late.len(),
        late.iter().filter(|e| denied(**e)).count(),
        during.load(SeqCst),
    );
    if let Ok(fd) = result {
        use std::os::fd::FromRawFd;
        // SAFETY: The kernel just installed `fd` for this process; nothing else owns it.
        let records = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
        let text = crate::records_ops::drain(&records);
        println!(
            "records {}",
            text.lines().filter(|l| l.contains(path)).count()
        );
    }
    code
}

/// `all-threads-twice BLOB`: two threads stack BLOB with `FLAG_ALL_THREADS` at the same
/// moment, with four more threads idle; prints `first E second E`, then stacks BLOB on all
/// threads again until refused and prints `more K errno E` (16 layers in all if both took).
fn all_threads_twice(blob: &[u8]) -> i32 {
    let idle = Arc::new(AtomicBool::new(false));
    let sleepers: Vec<_> = (0..4)
        .map(|_| {
            let idle = idle.clone();
            thread::spawn(move || nap_until(&idle))
        })
        .collect();
    let start = Arc::new(Barrier::new(2));
    let stack = |start: Arc<Barrier>, blob: Vec<u8>| {
        thread::spawn(move || {
            start.wait();
            rlsm_guest::manage_policy(abi::LSM_POLICY_RESTRICT_SELF, &blob, wire::FLAG_ALL_THREADS)
        })
    };
    let first = stack(start.clone(), blob.to_vec());
    let second = stack(start, blob.to_vec());
    let (first, second) = (first.join().unwrap_or(-1), second.join().unwrap_or(-1));
    println!("first {first} second {second}");
    let mut more = 0;
    let errno = loop {
        match rlsm_guest::manage_policy(abi::LSM_POLICY_RESTRICT_SELF, blob, wire::FLAG_ALL_THREADS)
        {
            0 => more += 1,
            e => break e,
        }
    };
    println!("more {more} errno {errno}");
    idle.store(true, SeqCst);
    sleepers.into_iter().for_each(|t| drop(t.join()));
    if first != 0 {
        first
    } else {
        second
    }
}

/// `all-threads-uring BLOB PATH`: another thread makes an io_uring instance and closes it
/// (it keeps an io_uring context, which the main thread lacks), then the main thread stacks
/// BLOB on all threads: prints `ring E`, `stacked E` and `open-after E E`, PATH opened by
/// the main thread and the other one (nothing may have changed if the call was refused).
/// The errno of the call.
fn all_threads_uring(blob: &[u8], path: &str) -> i32 {
    let go = Arc::new(AtomicBool::new(false));
    let made = Arc::new(Barrier::new(2));
    let other = {
        let (go, made, path) = (go.clone(), made.clone(), path.to_string());
        thread::spawn(move || {
            let mut params = [0u32; 30]; // struct io_uring_params
                                         // SAFETY: `params` is a writable struct io_uring_params.
            let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 4u32, params.as_mut_ptr()) };
            if fd >= 0 {
                // SAFETY: Closes the descriptor just made.
                unsafe { libc::close(fd as i32) };
            } else {
                println!("ring {}", errno_of(&std::io::Error::last_os_error()));
            }
            made.wait();
            nap_until(&go);
            open_errno(&path)
        })
    };
    let (look, idle) = bystander(path);
    made.wait();
    let code =
        rlsm_guest::manage_policy(abi::LSM_POLICY_RESTRICT_SELF, blob, wire::FLAG_ALL_THREADS);
    println!("stacked {code}");
    go.store(true, SeqCst);
    look.store(true, SeqCst);
    let theirs = other.join().unwrap_or(-1);
    let idle = idle.join().unwrap_or(-1);
    println!("open-after {} {theirs} {idle}", open_errno(path));
    code
}

/// `all-threads-shared vm|files|none BLOB`: starts a process that shares this one's memory
/// (`CLONE_VM`), descriptor table (`CLONE_FILES`) or nothing without being one of its
/// threads, and a thread, then stacks BLOB on all threads: prints `stacked E`. The errno of
/// the call.
fn all_threads_shared(what: &str, blob: &[u8]) -> i32 {
    let share = match what {
        "vm" => libc::CLONE_VM,
        "files" => libc::CLONE_FILES,
        _ => 0,
    };
    let mut stack = vec![0u8; 64 << 10];
    // The child exits once the pipe's writing end is closed (once sandboxed, the process may
    // not kill it): it closes its own copy first, unless the two share one table.
    let [read, write] = raw_pipe();
    let mut plan = ChildPlan {
        nap: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        read,
        write,
        close_write: share & libc::CLONE_FILES == 0,
    };
    // SAFETY: The child runs `wait_for_eof` on its own stack with `plan`, both kept until it
    // is reaped below, and makes raw system calls only.
    let child = unsafe {
        libc::clone(
            wait_for_eof,
            stack.as_mut_ptr().add(stack.len()).cast(),
            share | libc::SIGCHLD,
            std::ptr::from_mut(&mut plan).cast(),
        )
    };
    if child < 0 {
        return errno_of(&std::io::Error::last_os_error());
    }
    let go = Arc::new(AtomicBool::new(false));
    let thread = {
        let go = go.clone();
        thread::spawn(move || nap_until(&go))
    };
    let code =
        rlsm_guest::manage_policy(abi::LSM_POLICY_RESTRICT_SELF, blob, wire::FLAG_ALL_THREADS);
    println!("stacked {code}");
    go.store(true, SeqCst);
    let _ = thread.join();
    // SAFETY: Closes the pipe made above, which lets the child exit, and reaps the child.
    unsafe {
        libc::close(write);
        libc::waitpid(child, std::ptr::null_mut(), 0);
        libc::close(read);
    }
    drop(stack);
    code
}

/// What the children of this module are told.
#[repr(C)]
struct ChildPlan {
    /// How long to sleep, for [`sleep_then_exit`].
    nap: libc::timespec,
    /// A pipe's ends: [`sleep_then_exit`] writes a byte to `write` before it sleeps;
    /// [`wait_for_eof`] closes `write` if `close_write`, then reads `read` until it ends.
    read: libc::c_int,
    write: libc::c_int,
    close_write: bool,
}

/// A child that says it runs, sleeps, then exits, with raw system calls only (it may run on
/// the memory of the process that waits for it).
extern "C" fn sleep_then_exit(arg: *mut libc::c_void) -> libc::c_int {
    let plan = arg.cast::<ChildPlan>();
    // SAFETY: `arg` points to the plan its parent keeps until this child exits.
    unsafe {
        libc::syscall(libc::SYS_write, (*plan).write, c"x".as_ptr(), 1);
        libc::syscall(
            libc::SYS_nanosleep,
            &raw const (*plan).nap,
            std::ptr::null_mut::<libc::timespec>(),
        );
        libc::syscall(libc::SYS_exit, 0);
    }
    0
}

/// A child that waits until every writing end of its pipe is closed, then exits, with raw
/// system calls only.
extern "C" fn wait_for_eof(arg: *mut libc::c_void) -> libc::c_int {
    let plan = arg.cast::<ChildPlan>();
    let mut byte = 0u8;
    // SAFETY: `arg` points to the plan its parent keeps until this child exits.
    unsafe {
        if (*plan).close_write {
            libc::syscall(libc::SYS_close, (*plan).write);
        }
        while libc::syscall(libc::SYS_read, (*plan).read, &raw mut byte, 1) > 0 {}
        libc::syscall(libc::SYS_exit, 0);
    }
    0
}

/// A pipe's two raw descriptors (left open: the children above use them).
fn raw_pipe() -> [libc::c_int; 2] {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is writable for two descriptors.
    unsafe { libc::pipe(fds.as_mut_ptr()) };
    fds
}

extern "C" fn ignore(_: libc::c_int) {}

/// `all-threads-stuck MS ALARM_MS BLOB PATH`: another thread waits in `vfork()` for a child
/// that sleeps MS milliseconds (a wait that runs no task work); after 200 ms the main thread
/// stacks BLOB on all threads, with SIGALRM (handled, without `SA_RESTART`) sent to it by
/// another process ALARM_MS later if not 0. Prints `stacked E`, then `after E E`: PATH opened by the main thread and by the
/// other one once its child is gone. The errno of the call.
fn all_threads_stuck(ms: u32, alarm_ms: u32, blob: &[u8], path: &str) -> i32 {
    let ready = raw_pipe();
    let (look, idle) = bystander(path);
    let stuck = {
        let path = path.to_string();
        thread::spawn(move || {
            // SAFETY: Blocks SIGALRM in this thread only, so that the main thread takes it.
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, libc::SIGALRM);
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            }
            let mut plan = ChildPlan {
                nap: libc::timespec {
                    tv_sec: (ms / 1000).into(),
                    tv_nsec: (i64::from(ms % 1000) * 1_000_000) as _,
                },
                read: ready[0],
                write: ready[1],
                close_write: false,
            };
            let mut stack = vec![0u8; 64 << 10];
            // SAFETY: The child runs on its own stack and reads `plan`, both kept until it
            // exits (CLONE_VFORK: clone() returns only then); it makes raw system calls only.
            let child = unsafe {
                libc::clone(
                    sleep_then_exit,
                    stack.as_mut_ptr().add(stack.len()).cast(),
                    libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                    std::ptr::from_mut(&mut plan).cast(),
                )
            };
            if child > 0 {
                // SAFETY: Reaps the child made above.
                unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
            }
            drop(stack);
            open_errno(&path)
        })
    };
    // The vfork() child runs: the thread waits in vfork() from now on (or is about to, in
    // the kernel, where task work does not run).
    let mut byte = 0u8;
    // SAFETY: Reads one byte into `byte` from the pipe made above.
    unsafe { libc::read(ready[0], (&raw mut byte).cast(), 1) };
    let mut alarm = None;
    if alarm_ms > 0 {
        // The guest kernel has no interval timers (CONFIG_POSIX_TIMERS): a process sends
        // the signal to the main thread instead.
        let nap = libc::timespec {
            tv_sec: (alarm_ms / 1000).into(),
            tv_nsec: (i64::from(alarm_ms % 1000) * 1_000_000) as _,
        };
        // SAFETY: Installs a handler that does nothing, without SA_RESTART; the child of
        // fork() makes raw system calls only.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = ignore as *const () as usize;
            libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut());
            let main = libc::getpid();
            let child = libc::fork();
            if child == 0 {
                libc::syscall(
                    libc::SYS_nanosleep,
                    &nap,
                    std::ptr::null_mut::<libc::timespec>(),
                );
                libc::syscall(libc::SYS_tgkill, main, main, libc::SIGALRM);
                libc::syscall(libc::SYS_exit_group, 0);
            }
            alarm = Some(child);
        }
    }
    let code =
        rlsm_guest::manage_policy(abi::LSM_POLICY_RESTRICT_SELF, blob, wire::FLAG_ALL_THREADS);
    println!("stacked {code}");
    look.store(true, SeqCst);
    let theirs = stuck.join().unwrap_or(-1);
    let idle = idle.join().unwrap_or(-1);
    println!("after {} {theirs} {idle}", open_errno(path));
    if let Some(child) = alarm.filter(|pid| *pid > 0) {
        // SAFETY: Reaps the child made above.
        unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
    }
    code
}

/// The operations of this module, or `None` if `op` is not one of them.
pub(crate) fn run(op: &str, args: &[String]) -> Option<i32> {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let with_blob = |f: &dyn Fn(&[u8]) -> i32| match std::fs::read(arg(2)) {
        Ok(blob) => f(&blob),
        Err(e) => errno_of(&e),
    };
    Some(match op {
        "all-threads" => with_blob(&|blob| all_threads(blob, arg(3))),
        "all-threads-twice" => with_blob(&all_threads_twice),
        "all-threads-uring" => with_blob(&|blob| all_threads_uring(blob, arg(3))),
        "all-threads-stuck" => match std::fs::read(arg(4)) {
            Ok(blob) => all_threads_stuck(number(arg(2)), number(arg(3)), &blob, arg(5)),
            Err(e) => errno_of(&e),
        },
        "all-threads-shared" => match std::fs::read(arg(3)) {
            Ok(blob) => all_threads_shared(arg(2), &blob),
            Err(e) => errno_of(&e),
        },
        _ => return None,
    })
}
