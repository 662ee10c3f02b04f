//! The agent's side of ask mode: the requests the kernel's listener hands out, the answers
//! written back (`rustlsm_policy::ask_protocol`), and the rules an "always" answer adds to
//! a profile's local override file.

use crate::learn::access_names;
use crate::records::{access_mask, endpoint_text, shown, shown_name};
use rustlsm_policy::{glob, net, wire};
use std::net::IpAddr;
use toml_edit::{value, Array, ArrayOfTables, DocumentMut, Item, Table};

/// What a request asks about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Asked {
    /// A file, by its path (`path="/srv/x"`); `requested` holds `wire::ACCESS_*` bits.
    File(Vec<u8>),
    /// A TCP or UDP endpoint (`proto=tcp addr=10.0.0.1 port=80 netns=4096`) in the network
    /// namespace of that id (`NS_GET_ID`); `requested` holds `net::OP_*` bits.
    Endpoint {
        proto: String,
        addr: IpAddr,
        port: u16,
        netns: u64,
    },
}

/// The endpoint operations by the names profiles and requests give them.
const OP_NAMES: [(&str, u8); 4] = [
    ("bind", net::OP_BIND),
    ("listen", net::OP_LISTEN),
    ("connect", net::OP_CONNECT),
    ("send", net::OP_SEND),
];

/// Reads `connect` or `bind,listen` as `net::OP_*` bits.
fn op_mask(text: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(text).ok()?;
    text.split(',').try_fold(0u32, |mask, name| {
        let (_, bit) = OP_NAMES.iter().find(|(n, _)| *n == name)?;
        Some(mask | u32::from(*bit))
    })
}

/// The names of the operations of `mask` (`net::OP_*` bits).
fn op_names(mask: u32) -> Vec<&'static str> {
    OP_NAMES
        .iter()
        .filter(|(_, bit)| mask & u32::from(*bit) != 0)
        .map(|(name, _)| *name)
        .collect()
}

/// One request, as read from the listener: `id=7 pid=123 tgid=123 uid=1000 comm="cat"
/// profile="web" op=open requested=r path="/srv/x" fd=5 waits=1`, or for an endpoint `...
/// op=connect requested=connect proto=tcp addr=10.0.0.1 port=80 netns=4096 waits=0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub id: u64,
    pub pid: i32,
    pub tgid: i32,
    /// The task's effective user ID.
    pub uid: u32,
    pub comm: Vec<u8>,
    pub profile: String,
    pub op: String,
    /// The accesses asked for (`wire::ACCESS_*` bits for a file, `net::OP_*` bits for an
    /// endpoint).
    pub requested: u32,
    pub object: Asked,
    /// An `O_PATH` descriptor of the file, installed in the reader's table (`fd=N`), for a
    /// request a task waits for in `open()`.
    pub fd: Option<i32>,
    /// Whether a task waits for the answer (`waits=1`); one that did not was refused at once
    /// (a non-blocking call, or one that may not wait), and only an answer that outlives the
    /// request lets its retry through.
    pub waits: bool,
}

impl Request {
    /// Reads one request line (without its newline); `None` if it is not one.
    pub fn parse(line: &[u8]) -> Option<Self> {
        let fields = crate::records::fields(line)?;
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        let head = [
            "id",
            "pid",
            "tgid",
            "uid",
            "comm",
            "profile",
            "op",
            "requested",
        ];
        let (first, rest) = keys.split_at_checked(head.len())?;
        let (&"waits", rest) = rest.split_last()? else {
            return None;
        };
        if first != head {
            return None;
        }
        let waits = match fields.last()?.1.as_slice() {
            b"0" => false,
            b"1" => true,
            _ => return None,
        };
        let text = |i: usize| std::str::from_utf8(&fields[i].1).ok();
        let (requested, object, has_fd) = match rest {
            ["path"] | ["path", "fd"] => (
                access_mask(&fields[7].1)?,
                Asked::File(fields[8].1.clone()),
                rest.len() == 2,
            ),
            ["proto", "addr", "port", "netns"] => (
                op_mask(&fields[7].1)?,
                Asked::Endpoint {
                    proto: text(8).filter(|p| matches!(*p, "tcp" | "udp"))?.to_string(),
                    addr: text(9)?.parse().ok()?,
                    port: text(10)?.parse().ok()?,
                    netns: text(11)?.parse().ok()?,
                },
                false,
            ),
            _ => return None,
        };
        if requested == 0 {
            return None;
        }
        Some(Request {
            id: text(0)?.parse().ok()?,
            pid: text(1)?.parse().ok()?,
            tgid: text(2)?.parse().ok()?,
            uid: text(3)?.parse().ok()?,
            comm: fields[4].1.clone(),
            profile: text(5)?.to_string(),
            op: text(6)?.to_string(),
            requested,
            object,
            fd: if has_fd {
                Some(text(9)?.parse().ok()?)
            } else {
                None
            },
            waits,
        })
    }

    /// What the request is about, as a file of answers names it: the path, `exec` and the
    /// path to execute it or map it executable, or the operation and the endpoint, as
    /// `connect tcp 10.0.0.1:80` (`bind udp [::1]:53`): an answer meant for other accesses to
    /// a file does not let the command run its code, nor one for connecting somewhere listen
    /// there.
    pub fn object_text(&self) -> Vec<u8> {
        match &self.object {
            Asked::File(path) if self.runs_code() => [b"exec ", path.as_slice()].concat(),
            Asked::File(path) => path.clone(),
            Asked::Endpoint {
                proto, addr, port, ..
            } => format!(
                "{} {proto} {}",
                op_names(self.requested).join(","),
                endpoint_text(addr, *port)
            )
            .into_bytes(),
        }
    }

    /// The id of a line that starts like a request but is not one this version reads, so
    /// that it can still be answered (refused) rather than left to time out.
    pub fn id_of(line: &[u8]) -> Option<u64> {
        let rest = line.strip_prefix(b"id=")?;
        let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
    }

    /// What a person should know of a request no task waits for, if it is one.
    pub fn refused_already(&self) -> Option<&'static str> {
        (!self.waits).then_some(
            "when this request was read, no task waited for it: it was refused at once (a \
             non-blocking call, or where it may not wait), and only a lasting answer lets its \
             retry through",
        )
    }

    /// Whether the request is for executing a file.
    pub fn is_exec(&self) -> bool {
        matches!(self.object, Asked::File(_)) && self.requested & wire::ACCESS_EXEC != 0
    }

    /// Whether the request would run the file's code: executing it, or mapping it
    /// executable, which an answers file names as `exec PATH`.
    pub fn runs_code(&self) -> bool {
        let code = wire::ACCESS_EXEC | wire::ACCESS_MMAP_EXEC;
        matches!(self.object, Asked::File(_)) && self.requested & code != 0
    }

    /// The request in words, for a person to answer.
    pub fn describe(&self) -> String {
        let what = match &self.object {
            // A yes names no other profile: the program runs under the one asking.
            Asked::File(path) if self.is_exec() => {
                format!(
                    "execute {} (and map it executable; it runs under this same profile)",
                    shown_name(path)
                )
            }
            Asked::File(path) => format!(
                "{} {} for {}",
                self.op,
                shown_name(path),
                access_names(self.requested).join(", ")
            ),
            Asked::Endpoint { netns, .. } => {
                let endpoint = String::from_utf8_lossy(&self.object_text()).into_owned();
                // 127.0.0.1 in a container's namespace is another host than the agent's.
                match own_netns() {
                    Some(own) if own == *netns => endpoint,
                    _ => format!("{endpoint} in network namespace {netns} (not the agent's)"),
                }
            }
        };
        format!(
            "{:?} (pid {}, uid {}, {}) under profile {:?} asks to {what}",
            shown(&self.comm),
            self.pid,
            self.uid,
            if self.pid == self.tgid {
                "its main thread".to_string()
            } else {
                format!("thread of {}", self.tgid)
            },
            self.profile,
        )
    }
}

/// The id of this process's network namespace (`NS_GET_ID`), if it can be read: read once,
/// as the agent stays in its namespace.
pub fn own_netns() -> Option<u64> {
    static OWN: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *OWN.get_or_init(read_own_netns)
}

/// [`own_netns`], read from `/proc/self/ns/net`.
fn read_own_netns() -> Option<u64> {
    use std::os::fd::AsRawFd;
    // _IOR(0xb7, 13, __u64), from <linux/nsfs.h>.
    const NS_GET_ID: u32 = (2 << 30) | (8 << 16) | (0xb7 << 8) | 13;
    let ns = std::fs::File::open("/proc/self/ns/net").ok()?;
    let mut id: u64 = 0;
    // SAFETY: NS_GET_ID writes one u64 to the pointer, which is valid for it.
    let rc = unsafe {
        libc::ioctl(
            ns.as_raw_fd(),
            NS_GET_ID as libc::Ioctl,
            &mut id as *mut u64,
        )
    };
    (rc == 0).then_some(id)
}

/// What the descriptor a request came with says of the file: which file the name stands
/// for, who owns it and how many names it has (a hard link to another user's file, made
/// just before the request, shows there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectFacts {
    pub dev: u64,
    pub ino: u64,
    pub uid: u32,
    pub nlink: u64,
    /// The file's type and permission bits (`st_mode`).
    pub mode: u32,
}

impl ObjectFacts {
    /// Reads the facts of the descriptor `fd` the kernel installed with a request, and
    /// closes it; `None` if it cannot be read.
    pub fn take(fd: i32) -> Option<Self> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        if fd < 0 {
            return None;
        }
        // SAFETY: The kernel installed `fd` in this process's table for the read that
        // returned the request; nothing else in lsmctl knows it, so this is its one owner.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut st = std::mem::MaybeUninit::<libc::statx>::uninit();
        // What the kernel has cached, never a round trip to the file system: a FUSE daemon
        // (or a hung NFS server) must not stall the agent.
        let flags = libc::AT_EMPTY_PATH | libc::AT_STATX_DONT_SYNC;
        let mask = libc::STATX_INO | libc::STATX_UID | libc::STATX_NLINK | libc::STATX_MODE;
        // SAFETY: `st` is writable for a `struct statx`; the path is an empty C string and
        // `owned` an open descriptor.
        let rc = unsafe {
            libc::statx(
                owned.as_raw_fd(),
                c"".as_ptr(),
                flags,
                mask,
                st.as_mut_ptr(),
            )
        };
        if rc != 0 {
            return None;
        }
        // SAFETY: `statx` succeeded and filled `st`.
        let st = unsafe { st.assume_init() };
        Some(ObjectFacts {
            dev: libc::makedev(st.stx_dev_major, st.stx_dev_minor),
            ino: st.stx_ino,
            uid: st.stx_uid,
            nlink: u64::from(st.stx_nlink),
            mode: u32::from(st.stx_mode),
        })
    }

    /// The facts in words, with a warning for a file of several names and for a set-ID
    /// program (which runs with its owner's or group's rights).
    pub fn describe(&self) -> String {
        let links = if self.nlink > 1 {
            format!(
                "; {} names (hard links): it may be another file than the name suggests",
                self.nlink
            )
        } else {
            String::new()
        };
        // Set-group-ID without group execute is no set-group-ID program (it marked
        // mandatory locking once).
        let set_gid = libc::S_ISGID | libc::S_IXGRP;
        let set_id = match (self.mode & libc::S_ISUID, self.mode & set_gid == set_gid) {
            (0, false) => "",
            (0, true) => "; set-group-ID: executed, it runs with its group's rights",
            _ => "; set-user-ID: executed, it runs with its owner's rights",
        };
        format!(
            "the file: owner uid {}, mode {:04o}, device {}:{}, inode {}{links}{set_id}",
            self.uid,
            self.mode & 0o7777,
            libc::major(self.dev),
            libc::minor(self.dev),
            self.ino
        )
    }
}

/// What a person (or a script) answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    AllowOnce,
    AllowSession,
    AllowAlways,
    DenyOnce,
    DenySession,
    DenyAlways,
}

impl Choice {
    /// The keys a person types, and what each means.
    pub const KEYS: [(&'static str, Choice, &'static str); 6] = [
        ("y", Choice::AllowOnce, "allow once"),
        ("s", Choice::AllowSession, "allow until the agent stops"),
        (
            "a",
            Choice::AllowAlways,
            "allow always (a rule in the local file)",
        ),
        ("n", Choice::DenyOnce, "deny once"),
        ("x", Choice::DenySession, "deny until the agent stops"),
        (
            "d",
            Choice::DenyAlways,
            "deny always (a rule in the local file)",
        ),
    ];

    /// The choice a typed answer names (a key, or the words of its meaning).
    pub fn parse(typed: &str) -> Option<Self> {
        let typed = typed.trim();
        Self::KEYS
            .iter()
            .find(|(key, _, words)| typed == *key || typed.eq_ignore_ascii_case(words))
            .map(|&(_, choice, _)| choice)
    }

    pub fn allows(self) -> bool {
        matches!(
            self,
            Choice::AllowOnce | Choice::AllowSession | Choice::AllowAlways
        )
    }

    pub fn always(self) -> bool {
        matches!(self, Choice::AllowAlways | Choice::DenyAlways)
    }

    /// The answer line for the request `id`, for the kernel: an "always" answer is a
    /// session answer there too, so that the requests that arrive before the new rule is
    /// loaded get the same answer.
    pub fn answer_line(self, id: u64) -> String {
        let verdict = if self.allows() { "allow" } else { "deny" };
        let lifetime = match self {
            Choice::AllowOnce | Choice::DenyOnce => "once",
            _ => "session",
        };
        format!("{id} {verdict} {lifetime}\n")
    }
}

/// `text`, a local override file (a file of rules, included by a profile), with a rule that
/// allows (`allow`) or denies the accesses `requested` on exactly `path` added at its end,
/// after a comment that says where it came from. Refused for a path that is not a plain
/// absolute path a pattern can name literally (glob, brace or variable characters, bytes
/// that are not UTF-8). The rule names the accesses in the profile language, whose `write`
/// covers `append` and `truncate` too; an exec it allows keeps the caller's profile
/// (`transition = "inherit"`), as the agent's yes did.
pub fn add_rule(text: &str, allow: bool, requested: u32, path: &[u8]) -> Result<String, String> {
    let path_text = std::str::from_utf8(path)
        .map_err(|_| format!("{}: not UTF-8, no rule can name it", shown_name(path)))?;
    // A process's procfs directory is named by a number the next process may reuse.
    let names_a_process = path_text
        .strip_prefix("/proc/")
        .and_then(|rest| rest.split('/').next())
        .is_some_and(|first| !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()));
    if names_a_process {
        return Err(format!(
            "{}: a process's own directory; a rule for it would hold for whichever process \
             gets the number next",
            shown_name(path)
        ));
    }
    let special = |c: char| matches!(c, '*' | '?' | '{' | '}' | ',');
    if glob::is_glob(path)
        || !glob::valid_pattern(path)
        || path_text.contains(special)
        || path_text.contains("@{")
    {
        return Err(format!(
            "{}: a rule cannot name this path literally (it holds a pattern character)",
            shown_name(path)
        ));
    }
    let mut doc = local_document(text)?;
    let mut names = Array::new();
    for name in access_names(requested) {
        names.push(name);
    }
    let mut paths = Array::new();
    paths.push(path_text);
    let mut t = Table::new();
    t.insert(if allow { "allow" } else { "deny" }, value(names));
    t.insert("paths", value(paths));
    // What the agent allowed runs under the caller's profile, whatever claims the program.
    if allow && requested & wire::ACCESS_EXEC != 0 {
        t.insert("transition", value("inherit"));
    }
    let verdict = if allow { "allowed" } else { "denied" };
    t.decor_mut()
        .set_prefix(format!("\n# {verdict} always by lsmctl agent\n"));
    push_rule(doc.as_table_mut(), "rule", "rule", t)?;
    Ok(doc.to_string())
}

/// The local file `text`, parsed for editing.
fn local_document(text: &str) -> Result<DocumentMut, String> {
    text.parse()
        .map_err(|e| format!("the local file does not parse: {e}"))
}

/// Appends `rule` to the list of tables `key` of `table`, made if missing (`name`: where it
/// is in the file, for the error).
fn push_rule(table: &mut Table, key: &str, name: &str, rule: Table) -> Result<(), String> {
    table
        .entry(key)
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or(format!(
            "`{name}` in the local file is not a list of tables"
        ))?
        .push(rule);
    Ok(())
}

/// `text`, a local override file, with a network rule that allows the operations `requested`
/// (`net::OP_*` bits) of `proto` on exactly `addr` and `port` added at its end. Network rules
/// only allow: an endpoint cannot be denied always (the agent answers for the session then).
pub fn add_network_rule(
    text: &str,
    requested: u32,
    proto: &str,
    addr: &IpAddr,
    port: u16,
) -> Result<String, String> {
    let mut doc = local_document(text)?;
    let network = doc
        .entry("network")
        .or_insert(Item::Table(Table::new()))
        .as_table_mut()
        .ok_or("`network` in the local file is not a table")?;
    network.set_implicit(true);
    let mut ops = Array::new();
    for name in op_names(requested) {
        ops.push(name);
    }
    let mut t = Table::new();
    t.insert("allow", value(ops));
    t.insert("protocol", value(proto));
    t.insert("ports", value(Array::from_iter([i64::from(port)])));
    t.insert("addresses", value(Array::from_iter([addr.to_string()])));
    t.decor_mut()
        .set_prefix("\n# allowed always by lsmctl agent\n");
    push_rule(network, "rule", "network.rule", t)?;
    Ok(doc.to_string())
}
