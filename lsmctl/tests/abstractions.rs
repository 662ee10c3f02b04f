//! The abstractions lsmctl ships (profiles/abstractions/): each compiles when a profile
//! includes it, and grants what its comment says and nothing this test knows to be
//! sensitive. The guest suite runs real programs under them (programs/abstractions.rs).

use lsmctl::profile::compile_with;
use lsmctl::IncludePath;
use rustlsm_policy::{wire, ProfileSpec};
use std::path::{Path, PathBuf};

const NAMES: [&str; 6] = [
    "base",
    "consoles",
    "nameservice",
    "ssl_certs",
    "tmp",
    "shell",
];

fn library() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles")
}

fn including(names: &[&str]) -> ProfileSpec {
    let list: Vec<String> = names
        .iter()
        .map(|n| format!("\"abstractions/{n}\""))
        .collect();
    let src = format!(
        "[profile.a]\nattach = [\"/usr/bin/a\"]\ninclude = [{}]\n",
        list.join(", ")
    );
    compile_with(
        Path::new("a.toml"),
        &src,
        &IncludePath::only(vec![library()]),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .profiles
    .remove(0)
}

/// What the profile's file rules grant `path`, deny rules taken away, as the kernel's own
/// decision code reads the compiled profile.
fn granted(p: &ProfileSpec, path: &str) -> u32 {
    let blob = rustlsm_policy::encode(std::slice::from_ref(p)).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    let (allow, deny) = view.file_masks(path.as_bytes());
    allow & !deny
}

const R: u32 = wire::ACCESS_READ;
const M: u32 = wire::ACCESS_MMAP_EXEC;
const W: u32 = wire::ACCESS_WRITE;
const X: u32 = wire::ACCESS_EXEC;

fn has(p: &ProfileSpec, path: &str, access: u32) -> bool {
    granted(p, path) & access == access
}

#[test]
fn every_abstraction_compiles_alone_and_all_together() {
    for name in NAMES {
        including(&[name]);
    }
    let all = including(&NAMES);
    // A profile with everything stays well within what the kernel takes.
    let bytes = rustlsm_policy::encode(&[all]).expect("encodes");
    assert!(bytes.len() < 64 * 1024, "{} bytes", bytes.len());
}

#[test]
fn base_maps_the_loader_and_libraries_wherever_the_system_keeps_them() {
    let p = including(&["base"]);
    for lib in [
        "/lib64/ld-linux-x86-64.so.2",
        "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libselinux.so.1",
        "/usr/local/lib/libfoo.so",
    ] {
        assert!(has(&p, lib, R | M), "{lib}");
        assert!(!has(&p, lib, W), "{lib} writable");
    }
    for read in [
        "/etc/ld.so.cache",
        "/etc/localtime",
        "/dev/urandom",
        "/proc/meminfo",
        "/proc/self/maps",
        "/proc/self/task/7/status",
    ] {
        assert!(has(&p, read, R), "{read}");
    }
    assert!(has(&p, "/dev/null", R | W | wire::ACCESS_IOCTL));
    for no in [
        "/etc/shadow",
        "/etc/passwd",
        "/usr/bin/ls",
        "/proc/1/mem",
        "/proc/1/maps",
        "/proc/1/status",
        "/proc/self/mem",
        "/proc/self/environ",
        "/proc/sys/kernel/core_pattern",
        "/dev/mem",
        "/dev/sda",
        "/root/.bashrc",
    ] {
        assert_eq!(granted(&p, no), 0, "{no}");
    }
    // Executing the loader (`ld.so /some/program`) is not base's to grant.
    assert!(!has(&p, "/lib64/ld-linux-x86-64.so.2", X));
}

#[test]
fn nameservice_reads_the_switch_files_and_talks_dns_only() {
    let p = including(&["nameservice"]);
    for read in [
        "/etc/nsswitch.conf",
        "/etc/passwd",
        "/etc/hosts",
        "/etc/resolv.conf",
    ] {
        assert!(has(&p, read, R), "{read}");
    }
    for no in ["/etc/shadow", "/etc/gshadow", "/etc/sudoers"] {
        assert_eq!(granted(&p, no), 0, "{no}");
    }
    assert!(p
        .net_rules
        .iter()
        .all(|r| [0, 53].contains(&r.ports.0) && r.ports.0 == r.ports.1));
    assert!(!p.net_rules.is_empty());
    // NETLINK_ROUTE alone: no entry of another or of every netlink protocol.
    let netlink: Vec<_> = p.sockets.iter().filter(|s| s.family == 16).collect();
    assert!(
        !netlink.is_empty() && netlink.iter().all(|s| s.protocol == 0),
        "{netlink:?}"
    );
}

#[test]
fn the_others_grant_what_they_say() {
    let p = including(&["ssl_certs"]);
    assert!(has(&p, "/etc/ssl/certs/ca-certificates.crt", R));
    assert_eq!(granted(&p, "/etc/ssl/private/server.key"), 0);
    let p = including(&["tmp"]);
    assert!(has(
        &p,
        "/tmp/x/y",
        R | W | wire::ACCESS_CREATE | wire::ACCESS_DELETE
    ));
    assert!(has(&p, "/var/tmp/x", wire::ACCESS_CREATE));
    assert_eq!(granted(&p, "/tmp"), 0);
    assert_eq!(
        granted(&p, "/tmp/systemd-private-1a2b-nginx.service-x/tmp/f"),
        0
    );
    let p = including(&["consoles"]);
    assert!(has(&p, "/dev/pts/3", R | W | wire::ACCESS_IOCTL));
    assert_eq!(granted(&p, "/dev/ptmx"), 0);
    assert_eq!(granted(&p, "/dev/tty1"), 0);
    assert_eq!(granted(&p, "/dev/ttyS0"), 0);
    let p = including(&["shell"]);
    for sh in [
        "/usr/bin/dash",
        "/usr/bin/bash",
        "/lib64/ld-linux-x86-64.so.2",
    ] {
        assert!(has(&p, sh, X | wire::ACCESS_EXEC_INHERIT), "{sh}");
    }
    assert_eq!(granted(&p, "/usr/bin/python3"), 0);
    assert_eq!(granted(&p, "/bin/busybox"), 0);
}
