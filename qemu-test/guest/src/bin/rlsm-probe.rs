//! rlsm-probe: the program the guest tests confine. It does one thing and reports the
//! result as its exit status: 0 on success, the errno otherwise.
//!
//! - `rlsm-probe open PATH r|w|rw|rwc`: open PATH (c: create it);
//! - `rlsm-probe wait-open TRIGGER PATH r|w`: wait until TRIGGER exists, then open PATH;
//! - `rlsm-probe exec PATH ARGS...`: execute PATH;
//! - `rlsm-probe load FILE`: load a compiled policy with lsm_manage_policy().

use std::ffi::CString;
use std::fs::OpenOptions;
use std::os::unix::ffi::OsStrExt;
use std::process::exit;

fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(255)
}

fn open(path: &str, mode: &str) -> i32 {
    let mut o = OpenOptions::new();
    o.read(mode.contains('r'))
        .write(mode.contains('w'))
        .create(mode.contains('c'));
    match o.open(path) {
        Ok(_) => 0,
        Err(e) => errno_of(&e),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let code = match arg(1) {
        "open" => open(arg(2), arg(3)),
        "wait-open" => {
            let trigger = std::path::Path::new(arg(2));
            for _ in 0..2000 {
                if trigger.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            open(arg(3), arg(4))
        }
        "exec" => {
            let argv: Vec<CString> = args[2..]
                .iter()
                .map(|a| CString::new(std::ffi::OsStr::new(a).as_bytes()).unwrap_or_default())
                .collect();
            let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
            ptrs.push(std::ptr::null());
            // SAFETY: `ptrs` is a NULL-terminated array of valid C strings that outlive the call.
            unsafe { libc::execv(ptrs[0], ptrs.as_ptr()) };
            errno_of(&std::io::Error::last_os_error())
        }
        "load" => match std::fs::read(arg(2)) {
            Ok(blob) => {
                // SAFETY: `blob` is valid for its length during the call.
                let rc = unsafe {
                    libc::syscall(473, 114u32, 1u32, blob.as_ptr(), blob.len() as u32, 0u32)
                };
                if rc == 0 {
                    0
                } else {
                    errno_of(&std::io::Error::last_os_error())
                }
            }
            Err(e) => errno_of(&e),
        },
        _ => {
            eprintln!("usage: rlsm-probe open|wait-open|exec|load ...");
            2
        }
    };
    exit(code);
}
