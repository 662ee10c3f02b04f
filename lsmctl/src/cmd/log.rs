//! `lsmctl log`: rustlsm's refusals (and complain mode's would-be refusals) from the kernel
//! log, or from log files (kernel log, syslog, journal exports, audit.log, a sandbox's
//! records file), one line each in the profile's words, or as JSON; `--follow` waits for new
//! ones.

use lsmctl::logsource::{kmsg_from_kernel, kmsg_message, kmsg_sequence, record_in};
use lsmctl::records::{render, shown, Line, Verdict};
use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// What to read and show.
pub(crate) struct LogArgs {
    /// Log files (`-` for standard input); the kernel log when none.
    pub files: Vec<PathBuf>,
    /// Only these profiles' records (all when empty).
    pub profiles: Vec<String>,
    pub follow: bool,
    pub json: bool,
}

fn json_line(line: &Line) -> serde_json::Value {
    match line {
        Line::Record(r) => {
            let fields: serde_json::Map<String, serde_json::Value> = r
                .fields
                .iter()
                .map(|f| (f.key.clone(), shown(&f.value).into()))
                .collect();
            serde_json::json!({
                "verdict": match r.verdict {
                    Verdict::Denied => "denied",
                    Verdict::Allowed => "allowed",
                    Verdict::Killed => "killed",
                    Verdict::Audited => "audited",
                },
                "profile": shown(&r.profile),
                "sandbox": r.sandbox,
                "op": r.op,
                "fields": fields,
                "pid": r.pid,
                "comm": shown(&r.comm),
            })
        }
        Line::Lost(n) => serde_json::json!({ "lost": n }),
        Line::Unknown(raw) => serde_json::json!({ "unparsed": shown(raw) }),
    }
}

/// Prints `line` if it is a record of a wanted profile.
fn show(line: &Line, args: &LogArgs) {
    if let Line::Record(r) = line {
        if !args.profiles.is_empty() && !args.profiles.iter().any(|p| p.as_bytes() == r.profile) {
            return;
        }
    }
    if args.json {
        println!("{}", json_line(line));
        return;
    }
    let text = render(line, None);
    let text = text.strip_prefix("lsmctl: ").unwrap_or(&text);
    match line {
        Line::Record(r) => match r.sandbox {
            Some(id) => println!("{} (sandbox {id}): {text}", shown(&r.profile)),
            None => println!("{}: {text}", shown(&r.profile)),
        },
        _ => println!("{text}"),
    }
}

/// Reads the kernel log through /dev/kmsg: each record's sequence number and message, what
/// the log holds, then (with `follow`) what comes.
pub(super) fn read_kmsg(follow: bool, each: &mut dyn FnMut(u64, &[u8])) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    if !follow {
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut kmsg = options.open("/dev/kmsg").map_err(|e| {
        format!(
            "/dev/kmsg: {e} (reading the kernel log needs CAP_SYSLOG when \
             kernel.dmesg_restrict is set; or give log files)"
        )
    })?;
    let mut buf = vec![0u8; 8192];
    loop {
        match kmsg.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                let record = &buf[..n];
                if kmsg_from_kernel(record) {
                    each(kmsg_sequence(record).unwrap_or(0), kmsg_message(record));
                }
            }
            // Records overwritten before they were read: go on with the next.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("/dev/kmsg: {e}")),
        }
    }
}

/// Calls `each` with every record of `files` (`-` for standard input).
pub(super) fn read_files(files: &[PathBuf], each: &mut dyn FnMut(Line)) -> Result<(), String> {
    for path in files {
        let reader: Box<dyn Read> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(File::open(path).map_err(|e| format!("{}: {e}", path.display()))?)
        };
        for line in BufReader::new(reader).split(b'\n') {
            let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
            if let Some(record) = record_in(&line) {
                each(record);
            }
        }
    }
    Ok(())
}

pub(crate) fn run(args: &LogArgs) -> Result<(), String> {
    if args.files.is_empty() {
        return read_kmsg(args.follow, &mut |_, message| {
            if let Some(line) = record_in(message) {
                show(&line, args);
            }
        });
    }
    if args.follow {
        return Err("--follow reads the kernel log; it takes no files".into());
    }
    read_files(&args.files, &mut |line| show(&line, args))
}
