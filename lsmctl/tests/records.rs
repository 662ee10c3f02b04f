//! A sandbox's records: lines parsed back into their fields (escapes undone), every object
//! kind, lines that are not records, the stream split whatever pieces it comes in, and each
//! record rendered for a human with the rule that refused it.

use lsmctl::records::{
    access_letters, access_mask, parse_line, render, shown, shown_name, Field, Line, LineSplitter,
    Object, Record, Verdict,
};
use lsmctl::sandbox::{build_sandbox, Sandbox, SandboxRequest};
use rustlsm_policy::{net, wire, Effect, Mode, NetRule, ProfileSpec, RuleSpec};
use std::net::IpAddr;
use std::path::Path;

fn record(line: &str) -> Record {
    match parse_line(line.as_bytes()) {
        Line::Record(r) => r,
        other => panic!("{line:?} is not a record: {other:?}"),
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A sandbox from the command line, its paths under a directory that does not exist (so
/// that they stay as written).
fn sandbox(req: SandboxRequest) -> Sandbox {
    build_sandbox(&req, None, Path::new("/")).expect("the request builds")
}

/// The rendering of `line` by `sandbox`'s rules.
fn shown_by(sandbox: &Sandbox, line: &str) -> String {
    render(&parse_line(line.as_bytes()), Some(sandbox))
}

#[test]
fn a_file_record_parses_into_its_fields() {
    let r = record(
        r#"DENIED sandbox=12 profile="sandbox" op=open path="/etc/shadow" requested=rw denied=r pid=345 comm="cat""#,
    );
    assert_eq!(r.verdict, Verdict::Denied);
    assert_eq!(r.sandbox, Some(12));
    assert_eq!(r.profile, b"sandbox");
    assert_eq!(r.op, "open");
    assert_eq!(r.pid, 345);
    assert_eq!(r.comm, b"cat");
    assert_eq!(
        r.fields,
        vec![
            Field {
                key: "path".into(),
                value: b"/etc/shadow".to_vec()
            },
            Field {
                key: "requested".into(),
                value: b"rw".to_vec()
            },
            Field {
                key: "denied".into(),
                value: b"r".to_vec()
            },
        ]
    );
    assert_eq!(
        r.object(),
        Object::File {
            path: b"/etc/shadow",
            requested: Some(wire::ACCESS_READ | wire::ACCESS_WRITE),
            denied: Some(wire::ACCESS_READ),
            owner_only: None,
            asked: None,
        }
    );
    // A system profile's log line has no sandbox id; it parses all the same.
    let r = record(
        r#"ALLOWED profile="web" op=mkdir path="/srv/x" requested=c denied=c pid=1 comm="nginx""#,
    );
    assert_eq!((r.verdict, r.sandbox), (Verdict::Allowed, None));
}

#[test]
fn quoted_values_are_unescaped() {
    let r = record(
        r#"DENIED sandbox=1 profile="s" op=open path="/tmp/a b\x22c\x5cd\x0ae\xff\xe2\x80\xae" requested=r denied=r pid=2 comm="x\x1b[31m""#,
    );
    assert_eq!(
        r.field("path").unwrap(),
        b"/tmp/a b\"c\\d\ne\xff\xe2\x80\xae"
    );
    assert_eq!(r.comm, b"x\x1b[31m");
    // Shown to a human, nothing can move the cursor, reorder text or pass for an escape.
    let out = render(&Line::Record(r), None);
    assert_eq!(
        out,
        r#"lsmctl: denied: x\x1b[31m[2] open "/tmp/a b\x22c\x5cd\x0ae\xff\xe2\x80\xae" (r)"#
    );
    // Text that is UTF-8 stays readable.
    assert_eq!(
        shown("/home/zoë/Документы".as_bytes()),
        "/home/zoë/Документы"
    );
    // A name that could pass for lsmctl's own words is quoted.
    assert_eq!(
        shown_name(b"/x (r): allowed by --rw /home"),
        r#""/x (r): allowed by --rw /home""#
    );
    assert_eq!(shown_name(b"/plain/path"), "/plain/path");
    // Invisible characters, and those that break or reorder a line, do not.
    assert_eq!(
        shown("a\u{200b}b\u{2028}c\u{061c}d\u{feff}e\u{2066}f".as_bytes()),
        r"a\xe2\x80\x8bb\xe2\x80\xa8c\xd8\x9cd\xef\xbb\xbfe\xe2\x81\xa6f"
    );
}

#[test]
fn bad_quoting_is_not_a_record() {
    for line in [
        // An escape that is not \xNN, a short one, a bad hex digit.
        r#"DENIED sandbox=1 profile="s" op=open path="/a\n" requested=r denied=r pid=2 comm="c""#,
        r#"DENIED sandbox=1 profile="s" op=open path="/a\x4" requested=r denied=r pid=2 comm="c""#,
        r#"DENIED sandbox=1 profile="s" op=open path="/a\xg0" requested=r denied=r pid=2 comm="c""#,
        // A quote that does not end its token, one that never closes.
        r#"DENIED sandbox=1 profile="s" op=open path="/a"b requested=r denied=r pid=2 comm="c""#,
        r#"DENIED sandbox=1 profile="s" op=open path="/a requested=r denied=r pid=2 comm="c"#,
        // Fields out of place, a pid that is no number, an unquoted comm.
        r#"DENIED op=open sandbox=1 profile="s" pid=2 comm="c""#,
        r#"DENIED sandbox=1 profile="s" op=open pid=x comm="c""#,
        r#"DENIED sandbox=1 profile="s" op=open pid=2 comm=c"#,
        r#"DENIED sandbox=-1 profile="s" op=open pid=2 comm="c""#,
        r#"DENIED sandbox=1 profile="s" op= pid=2 comm="c""#,
        r#"DENIED sandbox=1 profile="s" op=open Path="/a" pid=2 comm="c""#,
    ] {
        assert!(
            matches!(parse_line(line.as_bytes()), Line::Unknown(_)),
            "{line}"
        );
    }
}

#[test]
fn complain_and_kill_verdicts() {
    let line = r#"ALLOWED sandbox=3 profile="sandbox" op=connect proto=tcp addr=10.0.0.1 port=80 pid=9 comm="sh""#;
    let s = sandbox(SandboxRequest::default());
    assert_eq!(
        shown_by(&s, line),
        "lsmctl: would deny (complain): sh[9] connect tcp 10.0.0.1:80: no rule allows it; the \
         sandbox has no tcp connect rule (--connect-tcp adds one)"
    );
    let line =
        r#"KILLED sandbox=3 profile="p" op=open path="/x" requested=w denied=w pid=9 comm="sh""#;
    assert_eq!(
        render(&parse_line(line.as_bytes()), None),
        "lsmctl: killed: sh[9] open /x (w)"
    );
}

#[test]
fn lost_records_are_counted() {
    assert_eq!(parse_line(b"LOST records=17"), Line::Lost(17));
    assert_eq!(
        render(&Line::Lost(17), None),
        "lsmctl: 17 more record(s) lost: the kernel dropped them before lsmctl read them"
    );
    for odd in [
        "LOST",
        "LOST records=",
        "LOST records=x",
        "LOST records=1 more=2",
    ] {
        assert!(
            matches!(parse_line(odd.as_bytes()), Line::Unknown(_)),
            "{odd}"
        );
    }
}

#[test]
fn unknown_lines_are_shown_raw() {
    for (line, out) in [
        ("", "lsmctl: record: "),
        ("hello world", "lsmctl: record: hello world"),
        (
            r#"POLICY op=load profile="a" profiles=1 generation=2 pid=1 comm="x""#,
            r#"lsmctl: record: POLICY op=load profile="a" profiles=1 generation=2 pid=1 comm="x""#,
        ),
        ("DENIED", "lsmctl: record: DENIED"),
        ("\u{1b}[2J\r", "lsmctl: record: \\x1b[2J\\x0d"),
    ] {
        let parsed = parse_line(line.as_bytes());
        assert_eq!(parsed, Line::Unknown(line.as_bytes().to_vec()));
        assert_eq!(render(&parsed, None), out);
    }
    assert_eq!(
        render(&parse_line(b"\xff\xfe DENIED"), None),
        "lsmctl: record: \\xff\\xfe DENIED"
    );
}

#[test]
fn every_cut_of_a_record_is_not_one() {
    let line = r#"DENIED sandbox=1 profile="sandbox" op=open path="/a \x22b" requested=r denied=r pid=22 comm="c a t""#;
    assert!(matches!(parse_line(line.as_bytes()), Line::Record(_)));
    for end in 0..line.len() {
        let cut = &line.as_bytes()[..end];
        assert!(
            matches!(parse_line(cut), Line::Unknown(_)),
            "{:?}",
            String::from_utf8_lossy(cut)
        );
    }
}

#[test]
fn every_object_kind_reads_and_renders() {
    let base = r#"DENIED sandbox=4 profile="sandbox" op=OP OBJ pid=7 comm="prog""#;
    let line = |op: &str, obj: &str| base.replace("OP", op).replace("OBJ", obj);
    let cases: [(&str, &str, Object<'_>, &str); 18] = [
        (
            "open",
            r#"path="/a" requested=rwxacdnlmstiu denied=u"#,
            Object::File {
                path: b"/a",
                requested: Some(
                    wire::ACCESS_ALL & !wire::ACCESS_EXEC_INHERIT & !wire::ACCESS_EXEC_PROFILE,
                ),
                denied: Some(wire::ACCESS_CONNECT),
                owner_only: None,
                asked: None,
            },
            "open /a (u)",
        ),
        (
            "open",
            r#"path="/home/u/f" requested=rw denied=rw owner_only=w"#,
            Object::File {
                path: b"/home/u/f",
                requested: Some(wire::ACCESS_READ | wire::ACCESS_WRITE),
                denied: Some(wire::ACCESS_READ | wire::ACCESS_WRITE),
                owner_only: Some(wire::ACCESS_WRITE),
                asked: None,
            },
            "open /home/u/f (rw; w for the file's owner only)",
        ),
        (
            "open",
            r#"path="/srv/x" requested=r denied=r ask=timeout"#,
            Object::File {
                path: b"/srv/x",
                requested: Some(wire::ACCESS_READ),
                denied: Some(wire::ACCESS_READ),
                owner_only: None,
                asked: Some(b"timeout"),
            },
            "open /srv/x (r; the agent did not answer in time)",
        ),
        (
            "open",
            r#"path="/home/u/f" requested=w denied=w owner_only=w ask=none"#,
            Object::File {
                path: b"/home/u/f",
                requested: Some(wire::ACCESS_WRITE),
                denied: Some(wire::ACCESS_WRITE),
                owner_only: Some(wire::ACCESS_WRITE),
                asked: Some(b"none"),
            },
            "open /home/u/f (w; w for the file's owner only; asked, but no agent listens)",
        ),
        (
            "exec",
            r#"path="/usr/bin/su" info="no transition""#,
            Object::Exec {
                path: b"/usr/bin/su",
                info: b"no transition",
            },
            "exec /usr/bin/su: no transition",
        ),
        (
            "connect",
            "proto=tcp addr=10.1.2.3 port=443",
            Object::Endpoint {
                proto: b"tcp",
                addr: "10.1.2.3".parse().unwrap(),
                port: 443,
                asked: None,
            },
            "connect tcp 10.1.2.3:443",
        ),
        (
            "send",
            "proto=udp addr=2001:db8:0:0:0:0:0:1 port=53",
            Object::Endpoint {
                proto: b"udp",
                addr: "2001:db8::1".parse::<IpAddr>().unwrap(),
                port: 53,
                asked: None,
            },
            "send udp [2001:db8::1]:53",
        ),
        (
            "socket",
            "family=2 type=3 protocol=1",
            Object::Socket {
                family: 2,
                sock_type: 3,
                protocol: 1,
            },
            "socket inet:raw protocol 1",
        ),
        (
            "socket",
            "family=16 type=3 protocol=0",
            Object::Socket {
                family: 16,
                sock_type: 3,
                protocol: 0,
            },
            "socket netlink:route",
        ),
        (
            "socket",
            "family=16 type=3 protocol=4",
            Object::Socket {
                family: 16,
                sock_type: 3,
                protocol: 4,
            },
            "socket netlink:raw protocol 4",
        ),
        (
            "socket",
            "family=10 type=1 protocol=6",
            Object::Socket {
                family: 10,
                sock_type: 1,
                protocol: 6,
            },
            "socket inet6:stream",
        ),
        (
            "socket",
            "family=2 type=2 protocol=1",
            Object::Socket {
                family: 2,
                sock_type: 2,
                protocol: 1,
            },
            "socket inet:icmp",
        ),
        (
            "socket",
            "family=44 type=7 protocol=0",
            Object::Socket {
                family: 44,
                sock_type: 7,
                protocol: 0,
            },
            "socket family 44 type 7 protocol 0",
        ),
        (
            "capable",
            "capability=21",
            Object::Capability(21),
            "capable CAP_SYS_ADMIN",
        ),
        (
            "capable",
            "capability=99",
            Object::Capability(99),
            "capable capability 99",
        ),
        (
            "connect",
            r#"addr="@dbus-\x00x""#,
            Object::Abstract(b"dbus-\x00x"),
            r"connect @dbus-\x00x",
        ),
        (
            "signal",
            r#"target="outside the sandbox""#,
            Object::Task {
                role: "target",
                name: b"outside the sandbox",
            },
            "signal target outside the sandbox",
        ),
        ("userns_create", "", Object::None, "userns_create"),
    ];
    for (op, obj, object, text) in cases {
        let line = line(op, obj);
        let r = record(&line);
        assert_eq!(r.object(), object, "{line}");
        let out = render(&Line::Record(r.clone()), None);
        assert_eq!(out, format!("lsmctl: denied: prog[7] {text}"), "{line}");
    }
    // Fields of no known shape are shown as they came.
    let r = record(&line("frobnicate", r#"knob=3 dial="a b""#));
    assert_eq!(r.object(), Object::Other);
    assert_eq!(
        render(&Line::Record(r), None),
        "lsmctl: denied: prog[7] frobnicate knob=3 dial=a b"
    );
    // Known shapes with values that do not read are of no known shape either.
    for obj in [
        "proto=tcp addr=10.0.0.300 port=1",
        "proto=tcp addr=::1 port=70000",
        "family=x type=1 protocol=0",
        "capability=-1",
        r#"addr="no-at""#,
    ] {
        assert_eq!(
            record(&line("connect", obj)).object(),
            Object::Other,
            "{obj}"
        );
    }
    // Unknown access letters do not stop the record.
    let r = record(&line("open", r#"path="/a" requested=rz denied=z"#));
    assert_eq!(
        r.object(),
        Object::File {
            path: b"/a",
            requested: None,
            denied: None,
            owner_only: None,
            asked: None,
        }
    );
    assert_eq!(
        render(&Line::Record(r), Some(&sandbox(SandboxRequest::default()))),
        "lsmctl: denied: prog[7] open /a (z)"
    );
}

#[test]
fn access_letters_round_trip() {
    for bit in 0..15 {
        let mask = 1u32 << bit;
        let letters = access_letters(mask);
        if bit == 12 || bit == 13 {
            assert_eq!(letters, "", "the exec qualifiers have no letter");
        } else {
            assert_eq!(access_mask(letters.as_bytes()), Some(mask), "{letters}");
        }
    }
    assert_eq!(access_letters(wire::ACCESS_ALL), "rwxacdnlmstiu");
    assert_eq!(access_mask(b""), Some(0));
    assert_eq!(access_mask(b"-"), None);
    assert_eq!(access_mask(b"rq"), None);
}

#[test]
fn file_refusals_name_the_deny_rule_that_matched() {
    let s = sandbox(SandboxRequest {
        ro: strings(&["/lsmctl-t/tree"]),
        deny: strings(&["/lsmctl-t/tree/secret"]),
        ..Default::default()
    });
    let line = r#"DENIED sandbox=1 profile="sandbox" op=open path="/lsmctl-t/tree/secret" requested=r denied=r pid=123 comm="cat""#;
    assert_eq!(
        shown_by(&s, line),
        "lsmctl: denied: cat[123] open /lsmctl-t/tree/secret (r): refused by --deny \
         /lsmctl-t/tree/secret"
    );
    // Beneath the denied path too, one name for the flag's two patterns.
    let line = line.replace("/secret\"", "/secret/key\"");
    assert!(shown_by(&s, &line).ends_with(": refused by --deny /lsmctl-t/tree/secret"));
}

#[test]
fn file_refusals_name_allow_rules_that_grant_too_little() {
    let s = sandbox(SandboxRequest {
        ro: strings(&["/lsmctl-t"]),
        rox: strings(&["/lsmctl-t/bin"]),
        ..Default::default()
    });
    let line = r#"DENIED sandbox=1 profile="sandbox" op=open path="/lsmctl-t/f" requested=rw denied=w pid=5 comm="sh""#;
    assert_eq!(
        shown_by(&s, line),
        "lsmctl: denied: sh[5] open /lsmctl-t/f (w): --ro /lsmctl-t grants r only"
    );
    let line = r#"DENIED sandbox=1 profile="sandbox" op=unlink path="/lsmctl-t/bin/x" requested=d denied=d pid=5 comm="rm""#;
    assert_eq!(
        shown_by(&s, line),
        "lsmctl: denied: rm[5] unlink /lsmctl-t/bin/x (d): --ro /lsmctl-t grants r only, \
         --rox /lsmctl-t/bin grants rxm only"
    );
    // The devices every sandbox may use are named as such.
    let line = r#"DENIED sandbox=1 profile="sandbox" op=open path="/dev/urandom" requested=w denied=w pid=5 comm="sh""#;
    assert!(shown_by(&s, line).ends_with(": the device rule /dev/urandom grants r only"));
}

#[test]
fn file_refusals_no_rule_covers() {
    let s = sandbox(SandboxRequest {
        ro: strings(&["/lsmctl-t"]),
        ..Default::default()
    });
    let line = r#"DENIED sandbox=1 profile="sandbox" op=open path="/etc/passwd" requested=r denied=r pid=5 comm="cat""#;
    assert_eq!(
        shown_by(&s, line),
        "lsmctl: denied: cat[5] open /etc/passwd (r): no rule covers it"
    );
    // A sibling that only shares the prefix is not covered.
    let line = line.replace("/etc/passwd", "/lsmctl-tx");
    assert!(shown_by(&s, &line).ends_with(": no rule covers it"));
    // What the rules would allow is said to be unexplained, not guessed at.
    let line = line.replace("/lsmctl-tx", "/lsmctl-t/a");
    assert!(
        shown_by(&s, &line).ends_with(": not explained by the sandbox's rules, which allow r here")
    );
}

#[test]
fn deny_and_missing_allow_together_and_profile_rules() {
    let mut spec = ProfileSpec::new("build", Mode::Enforce);
    spec.rules.push(RuleSpec {
        effect: Effect::Allow,
        access: wire::ACCESS_READ,
        pattern: "/src/**".into(),
    });
    spec.rules.push(RuleSpec {
        effect: Effect::Deny,
        access: wire::ACCESS_WRITE,
        pattern: "/src/*.lock".into(),
    });
    let s = Sandbox::from_profile(spec);
    let line = r#"DENIED sandbox=1 profile="build" op=open path="/src/Cargo.lock" requested=rwx denied=wx pid=5 comm="cargo""#;
    assert_eq!(
        shown_by(&s, line),
        "lsmctl: denied: cargo[5] open /src/Cargo.lock (wx): w refused by the profile's deny \
         rule /src/*.lock (w); the profile's rule /src/** grants r only"
    );
    let line = r#"DENIED sandbox=1 profile="build" op=open path="/other" requested=rw denied=rw pid=5 comm="cargo""#;
    assert!(shown_by(&s, line).ends_with(": no rule covers it"));
    // A deny with no allow: the rest is covered by nothing.
    let line = r#"DENIED sandbox=1 profile="build" op=open path="/src/a.lock" requested=w denied=w pid=5 comm="c""#;
    assert!(shown_by(&s, line).ends_with(": refused by the profile's deny rule /src/*.lock (w)"));
    let mut only_deny = ProfileSpec::new("d", Mode::Enforce);
    only_deny.rules.push(RuleSpec {
        effect: Effect::Deny,
        access: wire::ACCESS_WRITE,
        pattern: "/x".into(),
    });
    let line =
        r#"DENIED sandbox=1 profile="d" op=open path="/x" requested=rw denied=rw pid=5 comm="c""#;
    assert!(shown_by(&Sandbox::from_profile(only_deny), line)
        .ends_with(": w refused by the profile's deny rule /x (w); no rule covers r"));
}

#[test]
fn the_rename_guard_above_a_deny_is_named() {
    let s = sandbox(SandboxRequest {
        rw: strings(&["/lsmctl-t/w"]),
        deny: strings(&["/lsmctl-t/w/cfg/token"]),
        ..Default::default()
    });
    let line = r#"DENIED sandbox=1 profile="sandbox" op=rename path="/lsmctl-t/w/cfg" requested=n denied=n pid=5 comm="mv""#;
    assert_eq!(
        shown_by(&s, line),
        "lsmctl: denied: mv[5] rename /lsmctl-t/w/cfg (n): refused by the rename guard of \
         --deny /lsmctl-t/w/cfg/token (no directory above a denied path may be renamed)"
    );
}

#[test]
fn endpoint_refusals_say_which_rules_exist() {
    let s = sandbox(SandboxRequest {
        connect_tcp: strings(&["443", "10.0.0.0/8:22"]),
        bind_udp: strings(&["[::1]:5353"]),
        ..Default::default()
    });
    let line = r#"DENIED sandbox=1 profile="sandbox" op=connect proto=tcp addr=192.0.2.1 port=80 pid=9 comm="curl""#;
    assert_eq!(
        shown_by(&s, line),
        "lsmctl: denied: curl[9] connect tcp 192.0.2.1:80: no rule allows it; the tcp connect \
         rules are --connect-tcp 443, --connect-tcp 10.0.0.0/8:22"
    );
    let line = r#"DENIED sandbox=1 profile="sandbox" op=bind proto=tcp addr=0.0.0.0 port=8080 pid=9 comm="srv""#;
    assert!(shown_by(&s, line)
        .ends_with(": no rule allows it; the sandbox has no tcp bind rule (--bind-tcp adds one)"));
    let line = r#"DENIED sandbox=1 profile="sandbox" op=send proto=udp addr=0:0:0:0:0:0:0:1 port=53 pid=9 comm="dig""#;
    assert!(shown_by(&s, line).ends_with(
        ": no rule allows it; the sandbox has no udp send rule (--connect-udp adds one)"
    ));
    let line = r#"DENIED sandbox=1 profile="sandbox" op=bind proto=udp addr=0:0:0:0:0:0:0:2 port=5353 pid=9 comm="mdns""#;
    assert!(shown_by(&s, line)
        .ends_with(": no rule allows it; the udp bind rules are --bind-udp [::1]:5353"));
    // A rule the kernel should have let through is not blamed.
    let line = r#"DENIED sandbox=1 profile="sandbox" op=connect proto=tcp addr=10.9.9.9 port=22 pid=9 comm="ssh""#;
    assert!(shown_by(&s, line).ends_with(
        ": not explained by the sandbox's rules (--connect-tcp 10.0.0.0/8:22 allows it)"
    ));
}

#[test]
fn endpoint_rules_of_a_profile_file_are_written_out() {
    let mut spec = ProfileSpec::new("p", Mode::Enforce);
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&[192, 168, 0, 0]);
    spec.net_rules.push(NetRule {
        ops: net::OP_CONNECT,
        proto: net::PROTO_TCP,
        family: 4,
        prefix: 16,
        ports: (8000, 8100),
        addr,
    });
    spec.net_rules.push(NetRule {
        ops: net::OP_CONNECT,
        proto: net::PROTO_TCP,
        family: 0,
        prefix: 0,
        ports: (0, u16::MAX),
        addr: [0; 16],
    });
    let s = Sandbox::from_profile(spec.clone());
    let line = r#"DENIED sandbox=1 profile="p" op=connect proto=tcp addr=192.169.0.1 port=8000 pid=9 comm="c""#;
    assert!(shown_by(&s, line)
        .ends_with(": not explained by the sandbox's rules (the profile's rule * allows it)"));
    spec.net_rules.pop();
    let s = Sandbox::from_profile(spec);
    assert!(shown_by(&s, line).ends_with(
        ": no rule allows it; the tcp connect rules are the profile's rule 192.168.0.0/16:8000-8100"
    ));
}

#[test]
fn other_refusals_say_what_a_sandbox_allows() {
    let s = sandbox(SandboxRequest::default());
    let line = |op: &str, obj: &str| {
        format!(r#"DENIED sandbox=1 profile="sandbox" op={op} {obj} pid=9 comm="c""#)
    };
    for (op, obj, why) in [
        (
            "socket",
            "family=2 type=3 protocol=1",
            "no rule allows this kind of socket (--raw allows raw and icmp sockets)",
        ),
        (
            "socket",
            "family=10 type=1 protocol=6",
            "no rule allows this kind of socket (--connect-tcp and --bind-tcp allow tcp sockets)",
        ),
        (
            "socket",
            "family=2 type=2 protocol=0",
            "no rule allows this kind of socket (--connect-udp and --bind-udp allow udp sockets)",
        ),
        // --raw is for IP: a raw netlink socket gets no hint.
        (
            "socket",
            "family=16 type=3 protocol=0",
            "no rule allows this kind of socket",
        ),
        (
            "socket",
            "family=16 type=2 protocol=0",
            "no rule allows this kind of socket",
        ),
        (
            "capable",
            "capability=12",
            "a sandbox keeps only the capabilities its profile file lists",
        ),
        (
            "connect",
            r#"addr="@/tmp/.X11-unix/X0""#,
            "its owner is outside the sandbox, and the sandbox's profile file does not name it",
        ),
        (
            "bind",
            r#"addr="@session""#,
            "a sandbox binds only the abstract names its profile file lists",
        ),
        (
            "signal",
            r#"target="outside the sandbox""#,
            "a sandbox reaches only its own tasks and those of sandboxes nested in it",
        ),
        (
            "userns_create",
            "",
            "a sandbox may not create user namespaces",
        ),
        ("mount", "", "the sandbox's profile does not allow mount"),
    ] {
        let out = shown_by(&s, &line(op, obj));
        assert!(out.ends_with(&format!(": {why}")), "{out}");
    }
    // What the rules say nothing about goes unexplained.
    let out = shown_by(&s, &line("uring_personality", ""));
    assert_eq!(out, "lsmctl: denied: c[9] uring_personality");
    let mut spec = ProfileSpec::new("p", Mode::Enforce);
    spec.unix_abstract.push("dbus-*".into());
    let out = shown_by(
        &Sandbox::from_profile(spec),
        &line("connect", r#"addr="@dbus-1""#),
    );
    assert!(out.ends_with(": not explained by the sandbox's rules, which name it"));
}

/// A small deterministic generator, for inputs no one would write by hand.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn odd_bytes_never_panic_and_never_reach_the_terminal() {
    let samples = [
        r#"DENIED sandbox=1 profile="sandbox" op=open path="/a\x0ab" requested=rw denied=w pid=2 comm="c""#,
        r#"ALLOWED sandbox=18446744073709551615 profile="s" op=connect proto=udp addr=0:0:0:0:0:0:0:1 port=65535 pid=-1 comm="""#,
        r#"KILLED sandbox=1 profile="s" op=socket family=65535 type=65535 protocol=65535 pid=2 comm="\xff""#,
        "LOST records=18446744073709551615",
        r#"DENIED sandbox=1 profile="s" op=capable capability=4294967295 pid=2 comm="c""#,
    ];
    let s = sandbox(SandboxRequest {
        ro: strings(&["/"]),
        deny: strings(&["/a/**"]),
        connect_udp: strings(&["[::1]:1-2"]),
        ..Default::default()
    });
    let check = |bytes: &[u8]| {
        for out in [
            render(&parse_line(bytes), Some(&s)),
            render(&parse_line(bytes), None),
        ] {
            assert!(!out.chars().any(char::is_control), "{out:?}");
        }
    };
    let alphabet = b" =\"\\x0123456789abcdefrwDENIEDLOST@/:.\n\r\t\x00\x1b\xff\xc3";
    let mut rng = Lcg(0x5eed);
    for sample in samples {
        check(sample.as_bytes());
        for _ in 0..2000 {
            let mut bytes = sample.as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                let b = alphabet[rng.below(alphabet.len())];
                match rng.below(3) {
                    0 if at < bytes.len() => bytes[at] = b,
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, b),
                }
            }
            check(&bytes);
        }
    }
    for _ in 0..5000 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        check(&bytes);
    }
}

#[test]
fn the_stream_is_split_into_lines_whatever_its_pieces() {
    let stream = b"DENIED a\nLOST records=1\n\nALLOWED b\nhalf";
    let expected: Vec<Vec<u8>> = vec![
        b"DENIED a".to_vec(),
        b"LOST records=1".to_vec(),
        b"".to_vec(),
        b"ALLOWED b".to_vec(),
        b"half".to_vec(),
    ];
    let mut rng = Lcg(7);
    for _ in 0..200 {
        let mut splitter = LineSplitter::new();
        let mut got = Vec::new();
        let mut rest: &[u8] = stream;
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len());
            splitter.push(&rest[..n], &mut |l| got.push(l.to_vec()));
            rest = &rest[n..];
        }
        assert_eq!(got.len(), 4, "the unfinished line waits");
        splitter.finish(&mut |l| got.push(l.to_vec()));
        assert_eq!(got, expected);
        // Finishing twice hands on nothing more.
        splitter.finish(&mut |_| panic!("a second finish"));
    }
}

#[test]
fn a_line_without_end_is_handed_on_in_pieces() {
    let mut splitter = LineSplitter::new();
    let mut got = Vec::new();
    let long = vec![b'a'; LineSplitter::MAX_LINE * 2 + 10];
    for chunk in long.chunks(1000) {
        splitter.push(chunk, &mut |l| got.push(l.len()));
    }
    assert_eq!(got, [LineSplitter::MAX_LINE, LineSplitter::MAX_LINE]);
    splitter.push(b"\n", &mut |l| got.push(l.len()));
    assert_eq!(got, [LineSplitter::MAX_LINE, LineSplitter::MAX_LINE, 10]);
}
