//! The learning engine: what varies becomes variables and globs, never `/**` or a bare
//! `dir/*`; sensitive grants are held back; abstractions are proposed for what they cover.

use lsmctl::learn::{access_names, generalize, propose, Abstraction, Observed};
use lsmctl::records::{parse_line, Line};
use rustlsm_policy::wire;

fn observed(lines: &[&str]) -> Observed {
    let mut o = Observed::default();
    for l in lines {
        match parse_line(l.as_bytes()) {
            Line::Record(r) => o.add(&r),
            other => panic!("{l}: {other:?}"),
        }
    }
    o
}

/// Every path the proposal's rules name.
fn paths(p: &lsmctl::learn::Proposal) -> Vec<&str> {
    p.rules
        .iter()
        .flat_map(|r| r.paths.iter().map(String::as_str))
        .collect()
}

fn open(path: &str, letters: &str) -> String {
    format!("ALLOWED profile=\"p\" op=open path=\"{path}\" requested={letters} denied={letters} pid=1 comm=\"p\"")
}

#[test]
fn what_varies_becomes_a_variable_or_a_glob() {
    for (path, pattern) in [
        ("/proc/123/status", "@{PROC}/@{pid}/status"),
        ("/proc/123/task/456/stat", "@{PROC}/@{pid}/task/@{tid}/stat"),
        ("/proc/self", "/proc/self"),
        ("/proc/sys/kernel/version", "/proc/sys/kernel/version"),
        ("/home/alice/.config/app.conf", "@{HOME}/.config/app.conf"),
        ("/home/alice", "/home/alice"),
        ("/root/.profile", "@{HOME}/.profile"),
        ("/run/user/1000/bus", "@{run}/user/@{uid}/bus"),
        ("/usr/lib/libfoo.so.1.2.3", "/usr/lib/libfoo.so*"),
        ("/usr/lib/libfoo.so", "/usr/lib/libfoo.so"),
        ("/tmp/tmp.x8Kq2Zb/out", "/tmp/tmp.*/out"),
        ("/tmp/report-2024.txt", "/tmp/report-2024.txt"),
        ("/var/tmp/cacheABCdef.db", "/var/tmp/*.db"),
        // A whole name is never a bare `*`.
        ("/var/tmp/cacheABCdef", "/var/tmp/cacheABCdef"),
        ("/dev/shm/x8Kq2Zb", "/dev/shm/x8Kq2Zb"),
        ("/etc/x8Kq2Zb", "/etc/x8Kq2Zb"),
        ("/", "/"),
    ] {
        assert_eq!(generalize(path), pattern, "{path}");
    }
}

#[test]
fn access_names_use_the_umbrellas() {
    let n = |m| access_names(m);
    assert_eq!(n(wire::ACCESS_READ), ["read"]);
    assert_eq!(n(wire::ACCESS_EXEC | wire::ACCESS_MMAP_EXEC), ["exec"]);
    assert_eq!(
        n(wire::ACCESS_MMAP_EXEC | wire::ACCESS_READ),
        ["read", "mmap_exec"]
    );
    assert_eq!(n(wire::ACCESS_WRITE | wire::ACCESS_TRUNCATE), ["write"]);
    assert_eq!(n(wire::ACCESS_APPEND), ["append"]);
}

#[test]
fn siblings_collapse_by_extension_but_never_in_system_directories() {
    let o = observed(&[
        &open("/srv/www/a.html", "r"),
        &open("/srv/www/b.html", "r"),
        &open("/srv/www/c.html", "r"),
        &open("/srv/www/d.css", "r"),
        &open("/etc/a.conf", "r"),
        &open("/etc/b.conf", "r"),
        &open("/etc/c.conf", "r"),
        &open("/srv/data/x.db", "rw"),
    ]);
    let p = propose("p", &o, &[], &[], false);
    let paths = paths(&p);
    assert!(paths.contains(&"/srv/www/*.html"), "{paths:?}");
    assert!(paths.contains(&"/srv/www/d.css"), "{paths:?}");
    assert!(
        paths.contains(&"/etc/a.conf") && !paths.iter().any(|p| p.starts_with("/etc/*")),
        "{paths:?}"
    );
    for p in &paths {
        assert!(!p.ends_with("/**") && !p.ends_with("/*"), "{p}");
    }
    // One rule per access set.
    assert_eq!(p.rules.len(), 2);
    let rw = p
        .rules
        .iter()
        .find(|r| r.paths == ["/srv/data/x.db"])
        .unwrap();
    assert_eq!(rw.allow, ["read", "write"]);
}

#[test]
fn refusals_for_not_owning_the_file_are_shown_not_proposed() {
    let o = observed(&[
        "DENIED profile=\"p\" op=open path=\"/home/bob/notes\" requested=rw denied=rw owner_only=rw pid=1 comm=\"p\"",
        // Partly owner-only: what no rule allows is still learned.
        "DENIED profile=\"p\" op=open path=\"/home/bob/todo\" requested=rw denied=rw owner_only=r pid=1 comm=\"p\"",
    ]);
    let p = propose("p", &o, &[], &[], false);
    assert!(
        !paths(&p).iter().any(|p| p.contains("notes")),
        "{:?}",
        p.rules
    );
    assert!(
        p.unhandled
            .iter()
            .any(|u| u == "open /home/bob/notes: refused for not owning the file (owner rules)"),
        "{:?}",
        p.unhandled
    );
    assert!(
        paths(&p).iter().any(|p| p.contains("todo")),
        "{:?}",
        p.rules
    );
}

#[test]
fn sensitive_grants_are_held_back_unless_asked() {
    let o = observed(&[
        "ALLOWED profile=\"p\" op=capable capability=21 pid=1 comm=\"p\"",
        "ALLOWED profile=\"p\" op=capable capability=10 pid=1 comm=\"p\"",
        "ALLOWED profile=\"p\" op=socket family=16 type=3 protocol=4 pid=1 comm=\"p\"",
        "ALLOWED profile=\"p\" op=socket family=16 type=3 protocol=0 pid=1 comm=\"p\"",
    ]);
    let p = propose("p", &o, &[], &[], false);
    assert_eq!(p.capabilities, ["net_bind_service"]);
    assert!(
        p.held_back.contains(&"capability sys_admin".to_string()),
        "{:?}",
        p.held_back
    );
    assert_eq!(p.sockets, ["netlink:route"]);
    assert!(p
        .held_back
        .iter()
        .any(|h| h.contains("netlink:raw protocol 4")));
    let p = propose("p", &o, &[], &[], true);
    assert!(p.capabilities.contains(&"sys_admin".to_string()));
}

#[test]
fn an_abstraction_that_covers_files_is_proposed_instead_of_rules() {
    let src = "[profile.abstraction]\n[[profile.abstraction.rule]]\nallow = [\"read\"]\npaths = [\"/etc/ld.so.cache\", \"/usr/lib/**.so*\"]\n";
    let specs = lsmctl::profile::compile(std::path::Path::new("a.toml"), src).unwrap();
    let a = Abstraction {
        name: "abstractions/mini".into(),
        summary: "a test".into(),
        blob: rustlsm_policy::encode(&specs).unwrap(),
    };
    let o = observed(&[
        &open("/etc/ld.so.cache", "r"),
        &open("/usr/lib/x86_64-linux-gnu/libz.so.1", "r"),
        &open("/usr/lib/x86_64-linux-gnu/libc.so.6", "r"),
        &open("/usr/lib/x86_64-linux-gnu/libc.so.6", "m"),
        &open("/srv/app.conf", "r"),
    ]);
    let p = propose("p", &o, std::slice::from_ref(&a), &[], false);
    assert_eq!(p.includes.len(), 1);
    assert_eq!(
        p.includes[0].1,
        ["/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libz.so.1"]
    );
    // One file is not enough to propose an abstraction other than base.
    let one = observed(&[&open("/etc/ld.so.cache", "r")]);
    let p1 = propose("p", &one, std::slice::from_ref(&a), &[], false);
    assert!(p1.includes.is_empty() && p1.rules.len() == 1);
    // libc needs mmap_exec too, which the mini abstraction does not grant.
    let paths = paths(&p);
    assert!(
        paths.contains(&"/usr/lib/x86_64-linux-gnu/libc.so*"),
        "{paths:?}"
    );
    // Already included: not proposed again.
    let p = propose("p", &o, &[a], &["abstractions/mini".into()], false);
    assert!(p.includes.is_empty());
}

#[test]
fn hostile_names_stay_literal_or_are_refused() {
    // A name with a quote, a newline escape or glob characters: never a broader pattern.
    let o = observed(&[
        &open("/srv/a\\x22b", "r"),
        &open("/srv/*", "r"),
        &open("/srv/a\\x0ab", "r"),
    ]);
    let p = propose("p", &o, &[], &[], false);
    let paths = paths(&p);
    assert_eq!(paths, ["/srv/a\nb", "/srv/a\"b"]);
    assert!(
        p.unhandled.iter().any(|u| u.starts_with("/srv/* (r)")),
        "{:?}",
        p.unhandled
    );
}

#[test]
fn a_proposal_answers_the_records_it_was_made_for() {
    let o = observed(&[
        &open("/srv/a", "r"),
        &open("/srv/b", "rw"),
        "ALLOWED profile=\"p\" op=capable capability=10 pid=1 comm=\"p\"",
        "ALLOWED profile=\"p\" op=capable capability=21 pid=1 comm=\"p\"",
    ]);
    let mut p = propose("p", &o, &[], &[], false);
    // The user skips the rule for /srv/b.
    p.rules.retain(|r| r.paths != ["/srv/b"]);
    let answered = p.answered(&o);
    assert_eq!(answered.files.keys().collect::<Vec<_>>(), ["/srv/a"]);
    // sys_admin was held back, so only net_bind_service is answered.
    assert_eq!(answered.capabilities.iter().collect::<Vec<_>>(), [&10]);
    assert_eq!(
        answered.describe(),
        ["/srv/a (r)", "capability net_bind_service"]
    );
}
