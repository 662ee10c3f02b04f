//! Talking to the kernel: `lsm_manage_policy()` first, securityfs when the kernel lacks the
//! system call, and errors explained in words.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

pub use rustlsm_policy::abi::{
    LSM_ID_RUSTLSM, LSM_POLICY_LISTEN, LSM_POLICY_LOAD, LSM_POLICY_REMOVE, LSM_POLICY_RESTRICT_SELF,
};
/// The prototype `lsm_manage_policy()` system call (x86_64).
pub const SYS_LSM_MANAGE_POLICY: libc::c_long = rustlsm_policy::abi::SYS_LSM_MANAGE_POLICY;
/// x86_64 number of `lsm_list_modules()`.
pub const SYS_LSM_LIST_MODULES: libc::c_long = 461;
/// `lsm_set_self_attr()` on x86_64 (include/uapi/asm-generic/unistd.h has the same number).
pub const SYS_LSM_SET_SELF_ATTR: libc::c_long = 460;
/// `LSM_ATTR_EXEC` (include/uapi/linux/lsm.h): the context of the caller's next exec.
pub const LSM_ATTR_EXEC: u32 = 101;

/// Where rustlsm's securityfs files are; `RUSTLSM_SECURITYFS` overrides it (tests).
pub fn securityfs_dir() -> PathBuf {
    std::env::var_os("RUSTLSM_SECURITYFS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/sys/kernel/security/rustlsm"))
}

/// Which interface to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Via {
    /// The system call, or securityfs if the kernel has no such system call.
    Auto,
    /// Only the system call.
    Syscall,
    /// Only /sys/kernel/security/rustlsm.
    Securityfs,
}

/// The interface a request went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Used {
    Syscall,
    Securityfs,
}

impl fmt::Display for Used {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Used::Syscall => "lsm_manage_policy()",
            Used::Securityfs => "securityfs",
        })
    }
}

/// The operation, for explanations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Load,
    Remove,
}

/// A refusal by the kernel (or a failure to reach it).
#[derive(Debug)]
pub struct KernelError {
    pub op: Op,
    pub via: Used,
    pub error: io::Error,
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errno = self.error.raw_os_error().unwrap_or(0);
        let why = match (errno, self.op) {
            (libc::EPERM, _) | (libc::EACCES, _) => {
                "permission denied: changing policy needs CAP_MAC_ADMIN (for securityfs, in the \
                 task that opened the file too), and a task confined by rustlsm may not change \
                 policy at all"
                    .to_string()
            }
            (libc::EINVAL, Op::Load) => {
                "the kernel refused the policy as malformed or the flags as unknown; its log \
                 (dmesg) names the reason and byte offset"
                    .to_string()
            }
            (libc::EINVAL, Op::Remove) => "the kernel refused the profile name".to_string(),
            (libc::EPROTONOSUPPORT, _) => {
                let kernel = fs::read_to_string(securityfs_dir().join("abi_version"))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|_| "another".into());
                format!(
                    "the kernel reads policy format version {kernel}; this lsmctl writes version {}",
                    rustlsm_policy::wire::VERSION
                )
            }
            (libc::E2BIG, _) => format!(
                "the policy is larger than the kernel accepts ({} bytes)",
                rustlsm_policy::wire::MAX_BLOB_LEN
            ),
            (libc::ENOENT, Op::Remove) => "no profile of that name is loaded".to_string(),
            (libc::ENOENT, Op::Load) | (libc::EOPNOTSUPP, _) => {
                "rustlsm is not active in this kernel: build with CONFIG_SECURITY_RUSTLSM=y and \
                 list rustlsm in CONFIG_LSM or lsm= (with securityfs mounted on \
                 /sys/kernel/security)"
                    .to_string()
            }
            (libc::ENOSYS, _) => {
                "this kernel has no lsm_manage_policy() system call (use --via securityfs)"
                    .to_string()
            }
            (libc::ESPIPE, _) => "securityfs takes a policy in one write at offset 0".to_string(),
            (libc::ENOMEM, _) => "the kernel ran out of memory; nothing was changed".to_string(),
            _ => String::new(),
        };
        let what = match self.op {
            Op::Load => "load",
            Op::Remove => "remove",
        };
        if why.is_empty() {
            write!(f, "{what} via {} failed: {}", self.via, self.error)
        } else {
            write!(f, "{what} via {} failed: {why} ({})", self.via, self.error)
        }
    }
}

impl std::error::Error for KernelError {}

/// Makes an `lsm_manage_policy()` request. Returns what the kernel returned: 0, or for a
/// `FLAG_RECORDS` sandbox a new descriptor.
fn syscall_manage(op: u32, buf: &[u8], flags: u32) -> io::Result<libc::c_long> {
    let len = u32::try_from(buf.len()).map_err(|_| io::Error::from_raw_os_error(libc::E2BIG))?;
    // SAFETY: The kernel reads at most `len` bytes from `buf`, which is valid for that long.
    let rc = unsafe {
        libc::syscall(
            SYS_LSM_MANAGE_POLICY,
            LSM_ID_RUSTLSM,
            op,
            buf.as_ptr(),
            len,
            flags,
        )
    };
    if rc >= 0 {
        Ok(rc)
    } else {
        Err(io::Error::last_os_error())
    }
}

fn securityfs_write(file: &str, buf: &[u8]) -> io::Result<()> {
    let path = securityfs_dir().join(file);
    let mut f = fs::OpenOptions::new().write(true).open(&path)?;
    // One write: the kernel refuses a policy that arrives in pieces.
    let n = f.write(buf)?;
    if n != buf.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("short write to {}", path.display()),
        ));
    }
    Ok(())
}

fn request(op: Op, via: Via, buf: &[u8], flags: u32) -> Result<Used, KernelError> {
    let (code, file) = match op {
        Op::Load => (LSM_POLICY_LOAD, "load"),
        Op::Remove => (LSM_POLICY_REMOVE, "remove"),
    };
    if via != Via::Securityfs {
        match syscall_manage(code, buf, flags) {
            Ok(_) => return Ok(Used::Syscall),
            Err(e) if via == Via::Auto && e.raw_os_error() == Some(libc::ENOSYS) => {}
            Err(error) => {
                return Err(KernelError {
                    op,
                    via: Used::Syscall,
                    error,
                })
            }
        }
    }
    if flags != 0 {
        return Err(KernelError {
            op,
            via: Used::Securityfs,
            error: io::Error::other("a dry run needs the lsm_manage_policy() system call"),
        });
    }
    securityfs_write(file, buf)
        .map(|()| Used::Securityfs)
        .map_err(|error| KernelError {
            op,
            via: Used::Securityfs,
            error,
        })
}

/// Loads a compiled policy; `dry_run` asks the kernel to verify it without loading it.
pub fn load(blob: &[u8], via: Via, dry_run: bool) -> Result<Used, KernelError> {
    let flags = if dry_run {
        rustlsm_policy::wire::FLAG_DRY_RUN
    } else {
        0
    };
    request(Op::Load, via, blob, flags)
}

/// Removes the profile called `name`.
pub fn remove(name: &str, via: Via) -> Result<Used, KernelError> {
    request(Op::Remove, via, name.as_bytes(), 0)
}

/// Opens a listener for the requests of the profiles the listen buffer `buffer` names
/// (`rustlsm_policy::listen::listen_buffer`) and returns its descriptor (read-write,
/// close-on-exec); the error explains a refusal.
pub fn listen(buffer: &[u8]) -> Result<OwnedFd, String> {
    let rc = syscall_manage(LSM_POLICY_LISTEN, buffer, 0).map_err(|e| {
        let why = match e.raw_os_error().unwrap_or(0) {
            libc::ENOSYS => "this kernel has no lsm_manage_policy() system call",
            libc::EOPNOTSUPP => "rustlsm is not active in this kernel",
            libc::EPERM => {
                "listening needs CAP_MAC_ADMIN, and a task confined by rustlsm may not listen"
            }
            libc::EINVAL => {
                "the kernel does not know listeners (LSM_POLICY_LISTEN), or refused the \
                 wait, the number of requests or a profile name"
            }
            _ => "",
        };
        if why.is_empty() {
            format!("the kernel refused the listener: {e}")
        } else {
            format!("the kernel refused the listener: {why} ({e})")
        }
    })?;
    let fd = RawFd::try_from(rc)
        .map_err(|_| format!("the kernel returned {rc}, which is not a descriptor"))?;
    // SAFETY: The kernel just returned this descriptor as a new one of ours.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A refused `LSM_POLICY_RESTRICT_SELF`, explained.
#[derive(Debug)]
pub struct RestrictError(pub io::Error);

impl RestrictError {
    /// The error number the kernel gave, if any.
    pub fn errno(&self) -> Option<i32> {
        self.0.raw_os_error()
    }

    /// Whether the kernel cannot sandbox at all (as opposed to refusing this sandbox).
    pub fn unsupported(&self) -> bool {
        matches!(
            self.0.raw_os_error(),
            Some(libc::ENOSYS | libc::EOPNOTSUPP | libc::EPROTONOSUPPORT)
        )
    }
}

impl fmt::Display for RestrictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.0.raw_os_error().unwrap_or(0) {
            libc::ENOSYS => "this kernel has no lsm_manage_policy() system call".to_string(),
            libc::EOPNOTSUPP => "rustlsm is not active in this kernel".to_string(),
            libc::EPROTONOSUPPORT => format!(
                "the kernel reads another policy format version; this lsmctl writes version {}",
                rustlsm_policy::wire::VERSION
            ),
            libc::EPERM => "the kernel wants no_new_privs or CAP_SYS_ADMIN in the caller's user \
                            namespace"
                .to_string(),
            libc::E2BIG => format!(
                "the task is already in {} nested sandboxes, the sandbox is over {} bytes, or \
                 the sandboxes would hold more than 64 abstract socket patterns together",
                rustlsm_policy::abi::MAX_LAYERS,
                rustlsm_policy::abi::MAX_LAYER_LEN
            ),
            libc::EBUSY => "the task shares its memory or descriptor table with another, \
                            traces one, or holds or used an io_uring instance: a sandbox \
                            would not cover them"
                .to_string(),
            libc::EINVAL => "the kernel does not know sandboxes (LSM_POLICY_RESTRICT_SELF), or \
                             refused the profile; its log (dmesg) names the reason"
                .to_string(),
            libc::ENOMEM => "the kernel ran out of memory".to_string(),
            _ => return write!(f, "the kernel refused the sandbox: {}", self.0),
        };
        write!(f, "the kernel refused the sandbox: {why} ({})", self.0)
    }
}

impl std::error::Error for RestrictError {}

/// Stacks the one profile of `blob` on the calling thread as a sandbox layer (with
/// `dry_run`, only has the kernel check that it would). Needs `no_new_privs` set first
/// (see [`set_no_new_privs`]) unless the caller has `CAP_SYS_ADMIN`.
pub fn restrict_self(blob: &[u8], dry_run: bool) -> Result<(), RestrictError> {
    let flags = if dry_run {
        rustlsm_policy::wire::FLAG_DRY_RUN
    } else {
        0
    };
    syscall_manage(LSM_POLICY_RESTRICT_SELF, blob, flags)
        .map(|_| ())
        .map_err(RestrictError)
}

/// Whether the kernel takes `flag` with `LSM_POLICY_RESTRICT_SELF`: dry-runs `blob` with it
/// (a kernel refuses a flag it does not know with `EINVAL`, before it reads the policy).
pub fn restrict_flag_supported(blob: &[u8], flag: u32) -> bool {
    syscall_manage(
        LSM_POLICY_RESTRICT_SELF,
        blob,
        flag | rustlsm_policy::wire::FLAG_DRY_RUN,
    )
    .is_ok()
}

/// Like [`restrict_self`], and asks for the new layer's records (`FLAG_RECORDS`): returns the
/// descriptor that reads them (read-only, close-on-exec). A kernel that predates records
/// refuses the flag with `EINVAL`, as it refuses a profile it finds malformed.
pub fn restrict_self_with_records(blob: &[u8]) -> Result<OwnedFd, RestrictError> {
    restrict_self_with_fd(blob, rustlsm_policy::wire::FLAG_RECORDS)
}

/// Like [`restrict_self`], and asks for the new layer's listener (`FLAG_LISTENER`): returns
/// it (read-write, close-on-exec), for an agent outside the sandbox to answer what the
/// layer's `ask` rules or mode leave to it. A kernel without listeners refuses the flag with
/// `EINVAL`.
pub fn restrict_self_with_listener(blob: &[u8]) -> Result<OwnedFd, RestrictError> {
    restrict_self_with_fd(blob, rustlsm_policy::wire::FLAG_LISTENER)
}

/// [`restrict_self`] with `flag`, which makes the kernel return a descriptor.
fn restrict_self_with_fd(blob: &[u8], flag: u32) -> Result<OwnedFd, RestrictError> {
    let rc = syscall_manage(LSM_POLICY_RESTRICT_SELF, blob, flag).map_err(RestrictError)?;
    let fd = RawFd::try_from(rc).map_err(|_| {
        RestrictError(io::Error::other(format!(
            "the kernel returned {rc}, which is not a descriptor"
        )))
    })?;
    // SAFETY: with FLAG_RECORDS or FLAG_LISTENER a successful call returns a descriptor the
    // kernel has just installed in this process's table for the caller alone; nothing else
    // owns or closes it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Closes the io_uring instances this process inherited (a shell may leak one): the kernel
/// refuses to sandbox a task that holds one (`EBUSY`), since its `SQPOLL` thread would keep
/// the credentials it was made with. Where `/proc` cannot be read (in a sandbox that does
/// not allow it) nothing is closed, and the kernel's refusal explains itself.
pub fn close_inherited_rings() {
    let Ok(entries) = fs::read_dir("/proc/self/fd") else {
        return;
    };
    let mut rings = Vec::new();
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if fs::read_link(entry.path()).is_ok_and(|t| t.as_os_str() == "anon_inode:[io_uring]") {
            rings.push(fd);
        }
    }
    for fd in rings {
        // SAFETY: `fd` is an io_uring descriptor this process holds and nothing in lsmctl
        // uses.
        unsafe { libc::close(fd) };
    }
}

/// Sets `no_new_privs` on the calling thread: no exec it or its children make can gain
/// privileges (setuid bits and file capabilities stop working), which is what makes a
/// sandbox safe to stack without privilege.
pub fn set_no_new_privs() -> io::Result<()> {
    // SAFETY: `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)` takes no pointers.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Names the profile the calling thread's next exec runs under
/// (`lsm_set_self_attr(LSM_ATTR_EXEC)` for rustlsm), whatever profile claims the program.
pub fn set_exec_profile(name: &str) -> io::Result<()> {
    // struct lsm_ctx: id, flags, len, ctx_len (u64 each), then the NUL-terminated name.
    let header = 4 * std::mem::size_of::<u64>();
    let value_len = name.len() as u64 + 1;
    let total = header as u64 + value_len;
    let mut ctx = Vec::with_capacity(total as usize);
    for field in [
        u64::from(rustlsm_policy::abi::LSM_ID_RUSTLSM),
        0,
        total,
        value_len,
    ] {
        ctx.extend_from_slice(&field.to_ne_bytes());
    }
    ctx.extend_from_slice(name.as_bytes());
    ctx.push(0);
    // SAFETY: `ctx` is a readable `lsm_ctx` of `ctx.len()` bytes; the kernel copies it.
    let rc = unsafe {
        libc::syscall(
            SYS_LSM_SET_SELF_ATTR,
            LSM_ATTR_EXEC,
            ctx.as_ptr(),
            ctx.len() as u32,
            0u32,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The ids `lsm_list_modules()` reports, or the error it gave.
pub fn list_modules() -> io::Result<Vec<u64>> {
    let mut ids = [0u64; 64];
    let mut size = std::mem::size_of_val(&ids) as u32;
    // SAFETY: `ids` is writable for `size` bytes and `size` is a valid u32 the kernel updates.
    let rc = unsafe {
        libc::syscall(
            SYS_LSM_LIST_MODULES,
            ids.as_mut_ptr(),
            &mut size as *mut u32,
            0u32,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ids.iter().take(rc as usize).copied().collect())
}

/// The name of an LSM id, as in include/uapi/linux/lsm.h.
pub fn lsm_name(id: u64) -> String {
    let known = [
        (100, "capability"),
        (101, "selinux"),
        (102, "smack"),
        (103, "tomoyo"),
        (104, "apparmor"),
        (105, "yama"),
        (106, "loadpin"),
        (107, "safesetid"),
        (108, "lockdown"),
        (109, "bpf"),
        (110, "landlock"),
        (111, "ima"),
        (112, "evm"),
        (113, "ipe"),
        (114, "rustlsm"),
    ];
    known
        .iter()
        .find(|(k, _)| *k == id)
        .map_or_else(|| format!("lsm{id}"), |(_, n)| n.to_string())
}

/// Reads one of rustlsm's securityfs files.
pub fn read_securityfs(file: &str) -> io::Result<String> {
    fs::read_to_string(securityfs_dir().join(file))
}

/// The rustlsm profile of process `pid` ("unconfined" for none), from
/// `/proc/PID/attr/rustlsm/current`: rustlsm's own attribute, whatever the order of modules
/// in `lsm=` (`/proc/PID/attr/current` answers for the first module that has one).
pub fn task_profile(pid: u32) -> Result<String, String> {
    let path = format!("/proc/{pid}/attr/rustlsm/current");
    match fs::read_to_string(&path) {
        Ok(text) => Ok(text.trim_end_matches(['\n', '\0']).to_string()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if fs::metadata(format!("/proc/{pid}")).is_err() {
                Err(format!("no process {pid}"))
            } else {
                Err(format!(
                    "{path}: absent: this kernel has no rustlsm attribute directory, and \
                     /proc/{pid}/attr/current may be another module's label"
                ))
            }
        }
        Err(e) => Err(format!("{path}: {e}")),
    }
}

/// One line of the `profiles` file.
#[derive(Debug, serde::Serialize, PartialEq, Eq)]
pub struct LoadedProfile {
    pub name: String,
    pub mode: String,
    pub digest: String,
}

/// The loaded profiles, parsed from securityfs.
pub fn loaded_profiles() -> io::Result<Vec<LoadedProfile>> {
    Ok(read_securityfs("profiles")?
        .lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            Some(LoadedProfile {
                name: f.next()?.to_string(),
                mode: f.next()?.to_string(),
                digest: f.next()?.to_string(),
            })
        })
        .collect())
}

/// Checks a name before it goes to the kernel, for a clearer error.
pub fn checked_name(name: &str) -> Result<(), String> {
    if rustlsm_policy::wire::valid_name(name.as_bytes()) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a profile name (1 to {} characters of A-Z a-z 0-9 . _ -)",
            rustlsm_policy::wire::MAX_NAME_LEN
        ))
    }
}
