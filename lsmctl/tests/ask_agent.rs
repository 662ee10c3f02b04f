//! `lsmctl agent`'s side of ask mode (lsmctl::ask): the requests it reads from the kernel,
//! the answers it writes, and the rules an "always" answer adds to a local file.

use lsmctl::ask::{add_rule, Choice, Request};
use rustlsm_policy::ask_protocol::Answer;
use rustlsm_policy::wire::{ACCESS_CREATE, ACCESS_READ, ACCESS_WRITE};
use std::path::Path;

const BASE: &[u8] = br#"id=7 pid=120 tgid=118 uid=1000 comm="cat\x22x" profile="web" op=open requested=rw path="/srv/a b""#;
const LINE: &[u8] = br#"id=7 pid=120 tgid=118 uid=1000 comm="cat\x22x" profile="web" op=open requested=rw path="/srv/a b" waits=1"#;

#[test]
fn a_request_line_is_read_field_by_field() {
    let r = Request::parse(LINE).unwrap();
    assert_eq!(r.id, 7);
    assert_eq!((r.pid, r.tgid, r.uid), (120, 118, 1000));
    assert_eq!(r.comm, b"cat\"x");
    assert_eq!(r.profile, "web");
    assert_eq!(r.op, "open");
    assert_eq!(r.requested, ACCESS_READ | ACCESS_WRITE);
    assert_eq!(r.object, lsmctl::ask::Asked::File(b"/srv/a b".to_vec()));
    let said = r.describe();
    assert!(
        said.contains(r#"asks to open "/srv/a b" for read, write"#),
        "{said}"
    );
    assert!(said.contains("uid 1000, thread of 118"), "{said}");
    assert_eq!(r.fd, None);
    assert!(r.waits && r.refused_already().is_none());
    let with_fd = [BASE, b" fd=5 waits=1"].concat();
    assert_eq!(Request::parse(&with_fd).unwrap().fd, Some(5));
    assert_eq!(Request::parse(&[BASE, b" fd=x waits=1"].concat()), None);
    assert_eq!(
        Request::parse(&[BASE, b" fd=5 more=1 waits=1"].concat()),
        None
    );
    // A request nobody waits for says so, and the person is told.
    let refused = Request::parse(&[BASE, b" waits=0"].concat()).unwrap();
    assert!(!refused.waits && refused.refused_already().is_some());
    assert_eq!(Request::parse(BASE), None);
    assert_eq!(Request::parse(&[BASE, b" waits=2"].concat()), None);
    assert_eq!(Request::id_of(b"id=9 future=1"), Some(9));
    assert_eq!(Request::id_of(b"DENIED x"), None);
}

#[test]
fn lines_that_are_not_requests_are_refused() {
    for bad in [
        &b"id=7 pid=120"[..],
        br#"DENIED profile="web" op=open path="/a" requested=r denied=r pid=1 comm="x""#,
        br#"id=x pid=120 tgid=118 uid=0 comm="c" profile="web" op=open requested=r path="/a" waits=1"#,
        br#"id=7 pid=120 tgid=118 uid=0 comm="c" profile="web" op=open requested=Q path="/a" waits=1"#,
        br#"id=7 pid=120 tgid=118 uid=0 comm="c" profile="web" op=open requested=r path="/a"#,
        br#"id=7 pid=120 tgid=118 comm="c" profile="web" op=open requested=r path="/a" waits=1"#,
        br#"id=7 tgid=118 pid=120 uid=0 comm="c" profile="web" op=open requested=r path="/a" waits=1"#,
    ] {
        assert_eq!(
            Request::parse(bad),
            None,
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn choices_become_answers_the_kernel_reads() {
    let cases = [
        ("y", Choice::AllowOnce, true, false),
        ("s", Choice::AllowSession, true, true),
        ("a", Choice::AllowAlways, true, true),
        ("n", Choice::DenyOnce, false, false),
        ("x", Choice::DenySession, false, true),
        ("d", Choice::DenyAlways, false, true),
    ];
    for (key, choice, allow, session) in cases {
        assert_eq!(Choice::parse(key), Some(choice));
        let line = choice.answer_line(42);
        assert_eq!(
            Answer::parse(line.as_bytes()),
            Some(Answer {
                id: 42,
                allow,
                session
            }),
            "{line}"
        );
    }
    assert_eq!(Choice::parse(" deny once\n"), Some(Choice::DenyOnce));
    assert_eq!(Choice::parse("Y"), None);
    assert_eq!(Choice::parse("yes please"), None);
}

#[test]
fn an_always_answer_appends_a_rule_that_compiles_and_keeps_the_file() {
    let old = "# site overrides\n[[rule]]\nallow = [\"read\"]\npaths = [\"/etc/x\"]\n";
    let text = add_rule(old, true, ACCESS_READ | ACCESS_CREATE, b"/srv/a b").unwrap();
    assert!(text.starts_with(old), "{text}");
    assert!(text.contains("allowed always by lsmctl agent"), "{text}");
    let text = add_rule(&text, false, ACCESS_WRITE, b"/srv/secret").unwrap();
    let profile = format!(
        "[profile.p]\n{}",
        text.replace("[[rule]]", "[[profile.p.rule]]")
    );
    let (_, compiled) = lsmctl::compile_checked(Path::new("p.toml"), &profile).unwrap();
    let blob = rustlsm_policy::encode(&compiled.profiles).unwrap();
    let view = rustlsm_policy::wire::profiles(&blob).next().unwrap();
    let (allowed, _) = view.file_masks(b"/srv/a b");
    assert_eq!(allowed, ACCESS_READ | ACCESS_CREATE);
    assert_eq!(view.file_masks(b"/srv/a").0, 0);
    assert_ne!(view.file_masks(b"/srv/secret").1 & ACCESS_WRITE, 0);
    let from_empty = add_rule("", true, ACCESS_READ, b"/a").unwrap();
    assert!(from_empty.contains("[[rule]]"), "{from_empty}");
}

#[test]
fn an_always_answer_refuses_paths_a_rule_cannot_name_literally() {
    for path in [
        &b"/srv/*"[..],
        b"/srv/a?b",
        b"/srv/{a,b}",
        b"/srv/@{HOME}",
        b"/srv/\xff",
        b"relative",
        b"/srv/a,b",
        b"/proc/1234/environ",
        b"/proc/1",
    ] {
        assert!(
            add_rule("", true, ACCESS_READ, path).is_err(),
            "{}",
            String::from_utf8_lossy(path)
        );
    }
    assert!(add_rule("not toml [", true, ACCESS_READ, b"/a").is_err());
    assert!(add_rule("rule = 1\n", true, ACCESS_READ, b"/a").is_err());
}
