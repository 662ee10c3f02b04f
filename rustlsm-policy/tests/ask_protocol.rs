//! The ask protocol (`ask_protocol`, shared with the kernel): the `LSM_POLICY_LISTEN`
//! buffer and the agent's answer lines.

use rustlsm_policy::ask_protocol::{self, listens_to, Answer, Listen};
use rustlsm_policy::listen::listen_buffer;

#[test]
fn a_listen_buffer_round_trips_with_defaults_filled_in() {
    let buf = listen_buffer(0, 0, &[]).unwrap();
    let listen = Listen::parse(&buf).unwrap();
    assert_eq!(listen.wait_ms, ask_protocol::DEFAULT_WAIT_MS);
    assert_eq!(listen.max_pending, ask_protocol::DEFAULT_PENDING);
    assert!(listens_to(listen.name_list(), b"anyone"));

    let buf = listen_buffer(1500, 8, &["web", "db"]).unwrap();
    let listen = Listen::parse(&buf).unwrap();
    assert_eq!((listen.wait_ms, listen.max_pending), (1500, 8));
    assert!(listens_to(listen.name_list(), b"web"));
    assert!(listens_to(listen.name_list(), b"db"));
    assert!(!listens_to(listen.name_list(), b"we"));
    assert!(!listens_to(listen.name_list(), b"webb"));
}

#[test]
fn malformed_listen_buffers_are_refused() {
    let good = listen_buffer(0, 0, &["web"]).unwrap();
    let mut cases: Vec<Vec<u8>> = Vec::new();
    let mut long_wait = good.clone();
    long_wait[..4].copy_from_slice(&(ask_protocol::MAX_WAIT_MS + 1).to_le_bytes());
    cases.push(long_wait);
    let mut many = good.clone();
    many[4..8].copy_from_slice(&(ask_protocol::MAX_PENDING + 1).to_le_bytes());
    cases.push(many);
    let mut flags = good.clone();
    flags[8] = 1;
    cases.push(flags);
    cases.push(good[..ask_protocol::HEADER_LEN + 1].to_vec());
    cases.push([good.as_slice(), b"x"].concat());
    let mut short_name = good.clone();
    short_name[ask_protocol::HEADER_LEN + 2] = 9;
    cases.push(short_name);
    let mut bad_name = good.clone();
    let last = bad_name.len() - 1;
    bad_name[last] = b'/';
    cases.push(bad_name);
    let mut count = good.clone();
    count[ask_protocol::HEADER_LEN..ask_protocol::HEADER_LEN + 2]
        .copy_from_slice(&(ask_protocol::MAX_LISTENED + 1).to_le_bytes());
    cases.push(count);
    for case in cases {
        assert_eq!(Listen::parse(&case), None, "{case:?}");
    }
    assert!(listen_buffer(0, 0, &["bad/name"]).is_none());
    assert!(listen_buffer(ask_protocol::MAX_WAIT_MS + 1, 0, &[]).is_none());
}

#[test]
fn answers_parse_exactly() {
    assert_eq!(
        Answer::parse(b"7 allow once\n"),
        Some(Answer {
            id: 7,
            allow: true,
            session: false
        })
    );
    assert_eq!(
        Answer::parse(b"18446744073709551615 deny session"),
        Some(Answer {
            id: u64::MAX,
            allow: false,
            session: true
        })
    );
    for bad in [
        &b""[..],
        b"7",
        b"7 allow",
        b"7 allow always",
        b"7 permit once",
        b"-7 allow once",
        b"x allow once",
        b"7  allow once",
        b"7 allow once extra",
        b"18446744073709551616 allow once",
        b"7 allow once\n\n",
    ] {
        assert_eq!(
            Answer::parse(bad),
            None,
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}
