//! Records found wherever logs keep them: kernel-log lines behind any prefix, audit
//! records with hexadecimal strings, a records file, /dev/kmsg records; other lines skipped.

use lsmctl::logsource::{kmsg_message, record_in};
use lsmctl::records::{Line, Verdict};

fn record(line: &str) -> lsmctl::records::Record {
    match record_in(line.as_bytes()) {
        Some(Line::Record(r)) => r,
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn kernel_log_lines_behind_any_prefix() {
    for prefix in [
        "",
        "[   12.345678] ",
        "Nov 30 10:00:00 host kernel: [ 1.2] ",
    ] {
        let r = record(&format!(
            "{prefix}rustlsm: DENIED profile=\"httpd\" op=open path=\"/srv/x\" requested=r denied=r pid=73 comm=\"httpd\""
        ));
        assert_eq!(r.verdict, Verdict::Denied);
        assert_eq!(r.profile, b"httpd");
        assert_eq!(r.field("path"), Some(&b"/srv/x"[..]));
    }
    // rustlsm's other lines are not records.
    assert!(record_in(b"rustlsm: policy load: profiles=\"a\" generation=2").is_none());
    assert!(record_in(b"random kernel line").is_none());
}

#[test]
fn audit_records_with_hexadecimal_strings() {
    let r = record(
        "type=1427 msg=audit(1700000000.123:42): rustlsm=ALLOWED profile=\"find\" op=open \
         path=2F746D702F612062 requested=r denied=r pid=9 comm=2261",
    );
    assert_eq!(r.verdict, Verdict::Allowed);
    assert_eq!(r.field("path"), Some(&b"/tmp/a b"[..]));
    assert_eq!(r.comm, b"\"a");
    // Something that only looks like hexadecimal in another field is left alone.
    let r = record(
        "type=1427 msg=audit(1.2:3): rustlsm=DENIED profile=\"n\" op=bind proto=tcp addr=10.0.0.1 port=80 pid=1 comm=\"x\"",
    );
    assert_eq!(r.field("port"), Some(&b"80"[..]));
}

#[test]
fn a_record_alone_and_kmsg_framing() {
    let r =
        record("DENIED sandbox=7 profile=\"sandbox\" op=capable cap=net_raw pid=9 comm=\"ping\"");
    assert_eq!(r.sandbox, Some(7));
    assert_eq!(
        kmsg_message(b"4,1234,5678901,-;rustlsm: DENIED x"),
        b"rustlsm: DENIED x"
    );
    // A line that names rustlsm and looks like a record but does not parse is kept.
    assert!(matches!(
        record_in(b"rustlsm: DENIED garbage"),
        Some(Line::Unknown(_))
    ));
}
