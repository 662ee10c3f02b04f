// SPDX-License-Identifier: GPL-2.0-only

//! A sandbox's records, for the task that made it: with `FLAG_RECORDS`,
//! `LSM_POLICY_RESTRICT_SELF` returns a descriptor that reads the new layer's refusals (and,
//! in complain mode, would-be refusals), one line each, worded as the kernel log words them.
//!
//! Only that descriptor reads them: there is no path to open, so no other user (nor the
//! sandbox itself, once its creator has closed its copy) can read them. The lines sit in a
//! fixed ring charged to the creator; a hook appends under a spinlock, never waits and never
//! allocates, and a line that does not fit is counted, then announced as `LOST records=N`.
//! Reads return 0 once every task of the sandbox is gone and the ring is empty.

use kernel::{
    bindings,
    fmt::Write as _,
    fs::{anon_inode, File},
    new_spinlock_irq,
    prelude::*,
    sync::{poll::PollCondVarBox, poll::PollTable, Arc, ArcBorrow, SpinLockIrq},
    uaccess::UserSliceWriter,
};

/// Bytes of records a sandbox keeps unread: a hundred or so lines, enough for a reader that
/// wakes a little late; a sandbox that refuses faster than its creator reads loses lines,
/// never blocks.
const CAPACITY: usize = 16 << 10;

/// The name the descriptor shows in `/proc/PID/fd` (`anon_inode:[rustlsm-records]`).
const NAME: &CStr = c"[rustlsm-records]";

/// Unread lines, as a ring of bytes.
struct Ring {
    bytes: KVec<u8>,
    /// Where the oldest unread byte is.
    start: usize,
    /// Unread bytes.
    len: usize,
    /// Lines refused for lack of room since the last `LOST` line.
    lost: u64,
    /// No task is left in the sandbox: no line will come.
    closed: bool,
}

impl Ring {
    fn free(&self) -> usize {
        CAPACITY - self.len
    }

    /// Appends `bytes`, which fit.
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let at = (self.start + self.len) % CAPACITY;
            if let Some(slot) = self.bytes.get_mut(at) {
                *slot = b;
            }
            self.len += 1;
        }
    }

    /// Takes up to `max` of the oldest bytes into `out`.
    fn take(&mut self, out: &mut KVec<u8>, max: usize) {
        while self.len > 0 && out.len() < max {
            let b = self.bytes.get(self.start).copied().unwrap_or(0);
            // `out` was allocated for `max` bytes: no allocation here.
            if out.push(b, GFP_NOWAIT).is_err() {
                return;
            }
            self.start = (self.start + 1) % CAPACITY;
            self.len -= 1;
        }
    }
}

/// Formats into the free part of a ring, or into nothing once a line does not fit.
struct LineWriter<'a> {
    ring: &'a mut Ring,
    overflow: bool,
}

impl kernel::fmt::Write for LineWriter<'_> {
    fn write_str(&mut self, s: &str) -> kernel::fmt::Result {
        // `free()` already counts what this line has written.
        if s.len() > self.ring.free() {
            self.overflow = true;
            return Err(kernel::fmt::Error);
        }
        self.ring.push(s.as_bytes());
        Ok(())
    }
}

/// One sandbox layer's records and the readers waiting for them.
#[pin_data]
pub(crate) struct Records {
    #[pin]
    ring: SpinLockIrq<Ring>,
    /// Boxed, so that the last reference may go in any context (a credential freed in an RCU
    /// callback drops its sandbox's): its memory is freed after a grace period, not waited for.
    readable: PollCondVarBox,
}

impl Records {
    /// Empty records, charged to the caller.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let mut bytes = KVec::with_capacity(CAPACITY, GFP_KERNEL_ACCOUNT)?;
        bytes.resize(CAPACITY, 0, GFP_KERNEL_ACCOUNT)?;
        let readable = new_poll_condvar_box()?;
        Arc::pin_init(
            pin_init!(Records {
                ring <- new_spinlock_irq!(
                    Ring {
                        bytes,
                        start: 0,
                        len: 0,
                        lost: 0,
                        closed: false,
                    },
                    "Records::ring"
                ),
                readable,
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// A descriptor reading these records, to install once nothing else can fail.
    pub(crate) fn new_fd(this: &Arc<Self>) -> Result<anon_inode::NewFd> {
        anon_inode::NewFd::new(NAME, this.clone())
    }

    /// Appends the line `line` writes, and a newline; counts it as lost if it does not fit.
    /// Never sleeps; any context.
    pub(crate) fn append(&self, line: &dyn kernel::fmt::Display) {
        let mut ring = self.ring.lock();
        if ring.closed {
            return;
        }
        // The count of lost lines goes first, but only with a line that fits after it.
        let before = (ring.start, ring.len);
        let lost = ring.lost;
        if (lost == 0 || write_line(&mut ring, &fmt!("LOST records={}", lost)))
            && write_line(&mut ring, line)
        {
            ring.lost = 0;
            drop(ring);
            self.readable.notify_all();
        } else {
            (ring.start, ring.len) = before;
            ring.lost += 1;
        }
    }

    /// Marks the end: the sandbox's last credentials are gone. Any context.
    pub(crate) fn close(&self) {
        self.ring.lock().closed = true;
        self.readable.notify_all();
    }
}

/// Appends `line` and a newline whole, or nothing; `false` if it did not fit.
fn write_line(ring: &mut Ring, line: &dyn kernel::fmt::Display) -> bool {
    let (start, len) = (ring.start, ring.len);
    let mut w = LineWriter {
        ring,
        overflow: false,
    };
    let fits = w.write_fmt(fmt!("{}\n", line)).is_ok() && !w.overflow;
    if !fits {
        // Take back the part of the line that fit.
        ring.start = start;
        ring.len = len;
    }
    fits
}

fn new_poll_condvar_box() -> Result<PollCondVarBox> {
    Ok(PollCondVarBox::new(
        c"Records::readable",
        kernel::static_lock_class!(),
    )?)
}

impl anon_inode::Operations for Records {
    type OwnerModule = crate::BuiltIn;

    fn read(this: ArcBorrow<'_, Self>, out: &mut UserSliceWriter, nonblock: bool) -> Result<usize> {
        // A page at most per read: no higher-order allocation for a reader's large buffer.
        let max = out.len().min(kernel::page::PAGE_SIZE);
        if max == 0 {
            return Ok(0);
        }
        let mut chunk = KVec::with_capacity(max, GFP_KERNEL)?;
        {
            let mut ring = this.ring.lock();
            while ring.len == 0 {
                // Lines lost since the last one that fitted are told as soon as the ring has
                // room for the count, not only with the next line.
                if ring.lost > 0 {
                    let lost = core::mem::take(&mut ring.lost);
                    if write_line(&mut ring, &fmt!("LOST records={}", lost)) {
                        break;
                    }
                    ring.lost = lost;
                }
                if ring.closed {
                    return Ok(0);
                }
                if nonblock {
                    return Err(EAGAIN);
                }
                if this.readable.wait_interruptible(&mut ring) {
                    return Err(ERESTARTSYS);
                }
            }
            ring.take(&mut chunk, max);
        }
        // Taken from the ring already: a bad buffer loses them (`EFAULT`).
        out.write_slice(&chunk)?;
        Ok(chunk.len())
    }

    fn poll(this: ArcBorrow<'_, Self>, file: &File, table: PollTable<'_>) -> u32 {
        table.register_wait(file, &this.readable);
        let ring = this.ring.lock();
        if ring.len > 0 || ring.lost > 0 {
            bindings::POLLIN | bindings::POLLRDNORM
        } else if ring.closed {
            bindings::POLLHUP
        } else {
            0
        }
    }
}
