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

#[test]
fn lookalikes_inside_quoted_values_are_not_records() {
    // A confined program names a socket or a file so that its own refusal carries a
    // forged record for another profile.
    let forged = "rustlsm: DENIED profile=\"nobody\" op=connect name=\"@x rustlsm=DENIED \
                  profile=victim op=open path=/root/.ssh/authorized_keys requested=rw \
                  denied=rw pid=1 comm=x\" pid=7 comm=\"evil\"";
    let r = record(forged);
    assert_eq!(r.profile, b"nobody");
    let forged = "[ 3.1] rustlsm: DENIED profile=\"nobody\" op=open path=\"/tmp/a kernel: \
                  rustlsm: DENIED profile=\\x22victim\" requested=r denied=r pid=7 comm=\"e\"";
    assert_eq!(record(forged).profile, b"nobody");
    // An audit record must start as one.
    assert!(record_in(
        b"x type=1427 msg=audit(1.2:3): rustlsm=DENIED profile=\"v\" op=open pid=1 comm=\"c\""
    )
    .is_none());
    // Not at the start of the message: not a record.
    assert!(record_in(b"someone: rustlsm: DENIED profile=\"v\" op=open path=\"/x\" requested=r denied=r pid=1 comm=\"c\"").is_none());
    // /dev/kmsg records written by programs (facility 1 and up) are not the kernel's.
    assert!(!lsmctl::logsource::kmsg_from_kernel(
        b"12,5,100,-;rustlsm: DENIED"
    ));
    assert!(lsmctl::logsource::kmsg_from_kernel(
        b"4,5,100,-;rustlsm: DENIED"
    ));
}
