//! `lsmctl run`'s sandbox profile: what each flag compiles to, checked through the kernel's
//! own views of the encoded blob, and the errors that name the bad argument.

use lsmctl::sandbox::{build, patterns, SandboxRequest};
use rustlsm_policy::{encode, net, wire, Mode, ProfileSpec};
use std::path::Path;

/// Builds `req` and returns the encoded blob (which the kernel's verifier must accept).
fn blob(req: &SandboxRequest) -> Vec<u8> {
    let spec = build(req, None, Path::new("/work")).expect("the request builds");
    let blob = encode(&[spec]).expect("the sandbox encodes");
    wire::verify(&blob).expect("the kernel's verifier accepts it");
    blob
}

fn view(blob: &[u8]) -> wire::ProfileView<'_> {
    wire::profiles(blob).next().expect("one profile")
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn path_classes_grant_their_accesses_beneath_the_path() {
    let req = SandboxRequest {
        ro: strings(&["/srv/data"]),
        rox: strings(&["/opt/tool"]),
        rw: strings(&["/srv/out"]),
        deny: strings(&["/srv/data/private"]),
        ..Default::default()
    };
    let blob = blob(&req);
    let v = view(&blob);
    let refused = |path: &str, access: u32| v.refused(path.as_bytes(), access);
    assert_eq!(refused("/srv/data", wire::ACCESS_READ), 0);
    assert_eq!(refused("/srv/data/a/b", wire::ACCESS_READ), 0);
    assert_ne!(refused("/srv/data/a", wire::ACCESS_WRITE), 0);
    assert_ne!(refused("/srv/data/a", wire::ACCESS_EXEC), 0);
    assert_eq!(
        refused(
            "/opt/tool/bin/x",
            wire::ACCESS_EXEC | wire::ACCESS_MMAP_EXEC
        ),
        0
    );
    assert_eq!(
        refused(
            "/srv/out/f",
            wire::ACCESS_WRITE | wire::ACCESS_CREATE | wire::ACCESS_DELETE
        ),
        0
    );
    // The deny wins inside the allowed tree, and a sibling named alike is not caught.
    assert_ne!(refused("/srv/data/private", wire::ACCESS_READ), 0);
    assert_ne!(refused("/srv/data/private/key", wire::ACCESS_READ), 0);
    assert_eq!(refused("/srv/data/private2", wire::ACCESS_READ), 0);
    // The harmless devices, and nothing else.
    assert_eq!(
        refused("/dev/null", wire::ACCESS_READ | wire::ACCESS_WRITE),
        0
    );
    assert_eq!(refused("/dev/urandom", wire::ACCESS_READ), 0);
    assert_ne!(refused("/dev/urandom", wire::ACCESS_WRITE), 0);
    assert_ne!(refused("/dev/sda", wire::ACCESS_READ), 0);
    assert_ne!(refused("/srv", wire::ACCESS_READ), 0);
    assert_ne!(refused("/etc/passwd", wire::ACCESS_READ), 0);
}

#[test]
fn globs_are_kept_and_plain_paths_cover_their_tree() {
    let cwd = Path::new("/home/u");
    assert_eq!(
        patterns("/srv/*.log", cwd).unwrap(),
        vec!["/srv/*.log".to_string()]
    );
    // Paths that do not exist are taken lexically, relative ones from the directory.
    assert_eq!(
        patterns("no/such/../dir", cwd).unwrap(),
        vec![
            "/home/u/no/dir".to_string(),
            "/home/u/no/dir/**".to_string()
        ]
    );
    assert_eq!(
        patterns("/", cwd).unwrap(),
        vec!["/".to_string(), "/**".to_string()]
    );
    assert!(patterns("rel/*.txt", cwd).unwrap_err().contains("absolute"));
    assert!(patterns("/a/{b", cwd)
        .unwrap_err()
        .contains("without a matching"));
    assert!(patterns("/a/../*", cwd).unwrap_err().contains("`..`"));
    assert_eq!(patterns("/{a,b}/*", cwd).unwrap(), vec!["/a/*", "/b/*"]);
    assert!(patterns("", cwd).is_err());
}

#[test]
fn existing_paths_are_resolved_as_the_kernel_renders_them() {
    let dir = std::env::temp_dir().join(format!("lsmctl-sandbox-{}", std::process::id()));
    let real = dir.join("real");
    std::fs::create_dir_all(&real).unwrap();
    let link = dir.join("link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let got = patterns(link.to_str().unwrap(), Path::new("/")).unwrap();
    let real = std::fs::canonicalize(&real).unwrap();
    assert_eq!(got[0], real.to_str().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn endpoints_take_ports_ranges_addresses_and_cidr() {
    let req = SandboxRequest {
        connect_tcp: strings(&["443", "10.0.0.0/8:22", "[2001:db8::/32]:8000-8100"]),
        bind_tcp: strings(&["127.0.0.1:8080"]),
        connect_udp: strings(&["192.168.1.1:53"]),
        ..Default::default()
    };
    let blob = blob(&req);
    let v = view(&blob);
    let n = v.net();
    let ep = |addr: &str, port: u16| {
        let ip: std::net::IpAddr = addr.parse().unwrap();
        let (family, addr) = match ip {
            std::net::IpAddr::V4(a) => {
                let mut b = [0u8; 16];
                b[..4].copy_from_slice(&a.octets());
                (4, b)
            }
            std::net::IpAddr::V6(a) => (6, a.octets()),
        };
        net::Endpoint { family, addr, port }
    };
    assert!(n.may(net::OP_CONNECT, net::PROTO_TCP, &ep("1.2.3.4", 443)));
    assert!(!n.may(net::OP_CONNECT, net::PROTO_TCP, &ep("1.2.3.4", 444)));
    assert!(n.may(net::OP_CONNECT, net::PROTO_TCP, &ep("10.9.8.7", 22)));
    assert!(!n.may(net::OP_CONNECT, net::PROTO_TCP, &ep("11.0.0.1", 22)));
    assert!(n.may(net::OP_CONNECT, net::PROTO_TCP, &ep("2001:db8::5", 8050)));
    assert!(!n.may(net::OP_CONNECT, net::PROTO_TCP, &ep("2001:db9::5", 8050)));
    assert!(n.may(net::OP_BIND, net::PROTO_TCP, &ep("127.0.0.1", 8080)));
    assert!(n.may(net::OP_LISTEN, net::PROTO_TCP, &ep("127.0.0.1", 8080)));
    assert!(!n.may(net::OP_CONNECT, net::PROTO_TCP, &ep("127.0.0.1", 8080)));
    assert!(n.may(net::OP_SEND, net::PROTO_UDP, &ep("192.168.1.1", 53)));
    assert!(!n.may(net::OP_SEND, net::PROTO_UDP, &ep("192.168.1.2", 53)));
    assert!(!n.may(net::OP_CONNECT, net::PROTO_UDP, &ep("1.2.3.4", 443)));
    // Sockets follow the flags: unix always, TCP and UDP for their rules, no raw.
    assert!(n.may_create(1, 1, 0));
    assert!(n.may_create(net::AF_INET, 1, 0) && n.may_create(net::AF_INET6, 1, 0));
    assert!(n.may_create(net::AF_INET, 2, 0));
    assert!(!n.may_create(net::AF_INET, net::SOCK_RAW, 1));
    assert!(!n.may_create(net::AF_INET, 2, net::IPPROTO_ICMP));
}

#[test]
fn raw_allows_raw_and_icmp_sockets() {
    let req = SandboxRequest {
        raw: true,
        ..Default::default()
    };
    let blob = blob(&req);
    let n = view(&blob).net();
    assert!(n.may_create(net::AF_INET, net::SOCK_RAW, 1));
    assert!(n.may_create(net::AF_INET, 2, net::IPPROTO_ICMP));
    assert!(n.may_create(net::AF_INET6, 2, net::IPPROTO_ICMPV6));
    assert!(!n.may_create(net::AF_INET, 1, 0));
}

#[test]
fn bad_endpoints_are_errors_naming_the_flag_and_argument() {
    let err = |f: fn(&mut SandboxRequest, Vec<String>), arg: &str| {
        let mut req = SandboxRequest::default();
        f(&mut req, vec![arg.to_string()]);
        build(&req, None, Path::new("/")).unwrap_err()
    };
    let e = err(|r, v| r.connect_tcp = v, "80x");
    assert!(e.starts_with("--connect-tcp: \"80x\""), "{e}");
    let e = err(|r, v| r.bind_udp = v, "10.0.0.0/33:53");
    assert!(
        e.contains("--bind-udp") && e.contains("prefix length"),
        "{e}"
    );
    let e = err(|r, v| r.connect_udp = v, "[::1:53");
    assert!(e.contains("not closed"), "{e}");
    let e = err(|r, v| r.connect_tcp = v, "9-8");
    assert!(e.contains("a port is a number"), "{e}");
}

#[test]
fn complain_and_a_base_profile() {
    let mut base = ProfileSpec::new("build", Mode::Enforce);
    base.capabilities = 1;
    let req = SandboxRequest {
        complain: true,
        ro: strings(&["/src"]),
        ..Default::default()
    };
    let spec = build(&req, Some(base), Path::new("/")).unwrap();
    assert_eq!((spec.name.as_str(), spec.mode), ("build", Mode::Complain));
    assert_eq!(spec.capabilities, 1);
    // Two for /src, five for the devices.
    assert_eq!(spec.rules.len(), 7);
}

#[test]
fn base_profiles_that_cannot_be_sandboxes_are_refused() {
    let mut attached = ProfileSpec::new("a", Mode::Enforce);
    attached.attach.push("/usr/bin/a".into());
    let e = build(&SandboxRequest::default(), Some(attached), Path::new("/")).unwrap_err();
    assert!(e.contains("attachments"), "{e}");
    let mut peers = ProfileSpec::new("p", Mode::Enforce);
    peers.signal.push("other".into());
    let e = build(&SandboxRequest::default(), Some(peers), Path::new("/")).unwrap_err();
    assert!(e.contains("signal"), "{e}");
    let mut named = ProfileSpec::new("n", Mode::Enforce);
    named.exec_targets.push(rustlsm_policy::ExecTarget {
        pattern: "/usr/bin/x".into(),
        profile: "other".into(),
    });
    let e = build(&SandboxRequest::default(), Some(named), Path::new("/")).unwrap_err();
    assert!(e.contains("exec rule naming profile \"other\""), "{e}");
}

#[test]
fn the_directories_above_a_deny_cannot_be_renamed() {
    let req = SandboxRequest {
        rw: strings(&["/home/u/work"]),
        deny: strings(&["/home/u/work/cfg/token", "/home/u/work/*.key"]),
        ..Default::default()
    };
    let blob = blob(&req);
    let v = view(&blob);
    let refused = |path: &str, access: u32| v.refused(path.as_bytes(), access);
    // Moving cfg (or work) elsewhere would take the token out from under its rule.
    assert_ne!(refused("/home/u/work/cfg", wire::ACCESS_RENAME), 0);
    assert_ne!(refused("/home/u/work", wire::ACCESS_RENAME), 0);
    // Everything else under the writable tree still renames.
    assert_eq!(refused("/home/u/work/other", wire::ACCESS_RENAME), 0);
    assert_eq!(refused("/home/u/work/cfg/notes", wire::ACCESS_RENAME), 0);
    assert_eq!(refused("/home/u/work/cfg", wire::ACCESS_WRITE), 0);
}

#[test]
fn a_deny_below_a_link_is_resolved_through_it() {
    let dir = std::env::temp_dir().join(format!("lsmctl-deny-{}", std::process::id()));
    let real = dir.join("data");
    std::fs::create_dir_all(&real).unwrap();
    let link = dir.join("proj");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let missing = link.join("later/.env");
    let got = patterns(missing.to_str().unwrap(), Path::new("/")).unwrap();
    let expected = std::fs::canonicalize(&real).unwrap().join("later/.env");
    assert_eq!(got[0], expected.to_str().unwrap());
    // A glob's literal directories are resolved too.
    let glob = format!("{}/*.env", link.display());
    let got = patterns(&glob, Path::new("/")).unwrap();
    let expected = format!("{}/*.env", std::fs::canonicalize(&real).unwrap().display());
    assert_eq!(got, vec![expected]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_rule_knows_the_flag_that_made_it() {
    use lsmctl::sandbox::{build_sandbox, Origin};
    let mut base = ProfileSpec::new("base", Mode::Enforce);
    base.rules.push(rustlsm_policy::RuleSpec {
        effect: rustlsm_policy::Effect::Allow,
        access: wire::ACCESS_READ,
        pattern: "/etc/**".into(),
    });
    let req = SandboxRequest {
        ro: strings(&["/lsmctl-o/a"]),
        deny: strings(&["/lsmctl-o/a/b/c", "/lsmctl-o/a/b/d"]),
        connect_tcp: strings(&["443"]),
        ..Default::default()
    };
    let s = build_sandbox(&req, Some(base.clone()), Path::new("/")).unwrap();
    assert_eq!(s.rule_origins.len(), s.spec.rules.len());
    assert_eq!(s.net_origins.len(), s.spec.net_rules.len());
    let flag = |flag: &'static str, arg: &str| Origin::Flag {
        flag,
        arg: arg.into(),
    };
    let origins: Vec<(&str, &Origin)> = s
        .spec
        .rules
        .iter()
        .map(|r| r.pattern.as_str())
        .zip(&s.rule_origins)
        .collect();
    assert_eq!(origins[0], ("/etc/**", &Origin::ProfileFile));
    assert!(origins[1..6].iter().all(|(_, o)| **o == Origin::Device));
    assert_eq!(origins[6], ("/lsmctl-o/a", &flag("--ro", "/lsmctl-o/a")));
    assert_eq!(
        origins[9],
        ("/lsmctl-o/a/b/c/**", &flag("--deny", "/lsmctl-o/a/b/c"))
    );
    // One rename guard per directory, named after the first deny that asked for it.
    let guards: Vec<_> = origins[12..].to_vec();
    let c = Origin::AboveDeny("/lsmctl-o/a/b/c".into());
    let d = Origin::AboveDeny("/lsmctl-o/a/b/d".into());
    assert_eq!(
        guards,
        [
            ("/lsmctl-o", &c),
            ("/lsmctl-o/a", &c),
            ("/lsmctl-o/a/b", &c),
            ("/lsmctl-o/a/b/c", &c),
            ("/lsmctl-o/a/b/d", &d),
        ]
    );
    assert_eq!(s.net_origins, [flag("--connect-tcp", "443")]);
    // `build` makes the same profile.
    assert_eq!(build(&req, Some(base), Path::new("/")).unwrap(), s.spec);
}

#[test]
fn proc_self_stays_the_commands_own() {
    let cwd = std::path::Path::new("/");
    assert_eq!(
        lsmctl::sandbox::patterns("/proc/self", cwd).unwrap(),
        ["/proc/self", "/proc/self/**"]
    );
    assert_eq!(
        lsmctl::sandbox::patterns("/proc/self/status", cwd).unwrap(),
        ["/proc/self/status", "/proc/self/status/**"]
    );
    assert_eq!(
        lsmctl::sandbox::patterns("/proc/thread-self/status", cwd).unwrap(),
        ["/proc/self/task/*/status", "/proc/self/task/*/status/**"]
    );
}
