//! The exec-targets section (exec rules that name a profile), run against the kernel's own
//! verifier and views.

use rustlsm_policy::wire::{self, ErrorKind};
use rustlsm_policy::{decode, encode, EncodeError, ExecTarget, Mode, ProfileSpec};

mod common;
use common::with_section;

fn target(pattern: &str, profile: &str) -> ExecTarget {
    ExecTarget {
        pattern: pattern.into(),
        profile: profile.into(),
    }
}

fn with_targets(targets: Vec<ExecTarget>) -> ProfileSpec {
    ProfileSpec {
        exec_targets: targets,
        ..ProfileSpec::new("p", Mode::Enforce)
    }
}

/// An exec-targets payload written by hand: (name, pattern) entries after `count`.
fn payload(count: u16, entries: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut p = count.to_le_bytes().to_vec();
    for (name, pattern) in entries {
        p.push(name.len() as u8);
        p.extend_from_slice(name);
        p.extend_from_slice(&(pattern.len() as u16).to_le_bytes());
        p.extend_from_slice(pattern);
    }
    p
}

#[test]
fn the_most_specific_matching_rule_names_the_profile() {
    let blob = encode(&[with_targets(vec![
        target("/usr/bin/*", "tools"),
        target("/usr/bin/ssh*", "ssh"),
        target("/usr/bin/ssh", "exact"),
        target("/usr/bin/sshd", "first"),
        target("/usr/bin/sshd", "second"),
    ])])
    .unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    let named = |path: &str| view.exec_target(path.as_bytes()).map(<[u8]>::to_vec);
    assert_eq!(named("/usr/bin/ls"), Some(b"tools".to_vec()));
    assert_eq!(named("/usr/bin/ssh-agent"), Some(b"ssh".to_vec()));
    assert_eq!(named("/usr/bin/ssh"), Some(b"exact".to_vec()));
    assert_eq!(named("/usr/bin/sshd"), Some(b"first".to_vec()));
    assert_eq!(named("/usr/sbin/sshd"), None);
    let summary = &decode(&blob).unwrap()[0];
    assert_eq!(summary.exec_targets.len(), 5);
    assert_eq!(summary.exec_targets[1], target("/usr/bin/ssh*", "ssh"));
}

#[test]
fn a_profile_without_exec_targets_has_no_section() {
    let blob = encode(&[ProfileSpec::new("p", Mode::Enforce)]).unwrap();
    let view = wire::profiles(&blob).next().unwrap();
    assert_eq!(view.exec_targets().count(), 0);
    assert_eq!(view.exec_target(b"/bin/sh"), None);
}

#[test]
fn the_encoder_refuses_what_the_kernel_would() {
    let err = encode(&[with_targets(vec![target("/bin/sh", "unconfined")])]).unwrap_err();
    assert!(matches!(err, EncodeError::BadTarget { .. }), "{err:?}");
    let err = encode(&[with_targets(vec![target("/bin/sh", "a b")])]).unwrap_err();
    assert!(matches!(err, EncodeError::BadTarget { .. }), "{err:?}");
    let err = encode(&[with_targets(vec![target("relative", "x")])]).unwrap_err();
    assert!(matches!(err, EncodeError::BadPattern { .. }), "{err:?}");
    let many = (0..=wire::MAX_EXEC_TARGETS)
        .map(|i| target(&format!("/bin/p{i}"), "x"))
        .collect();
    let err = encode(&[with_targets(many)]).unwrap_err();
    assert!(matches!(err, EncodeError::TooManyEntries(_)), "{err:?}");
}

#[test]
fn the_verifier_refuses_malformed_sections() {
    let kind = |p: Vec<u8>| {
        let (blob, _) = with_section(wire::SECTION_EXEC_TARGETS, &p);
        wire::verify(&blob).map(|_| ()).map_err(|e| e.kind)
    };
    assert_eq!(kind(payload(1, &[(b"x", b"/bin/sh")])), Ok(()));
    assert_eq!(
        kind(payload(1, &[(b"unconfined", b"/bin/sh")])),
        Err(ErrorKind::BadName)
    );
    assert_eq!(
        kind(payload(1, &[(b"", b"/bin/sh")])),
        Err(ErrorKind::BadName)
    );
    assert_eq!(
        kind(payload(1, &[(b"x", b"bin/sh")])),
        Err(ErrorKind::BadPattern)
    );
    // A count that promises more entries than there are, or fewer.
    assert!(kind(payload(2, &[(b"x", b"/bin/sh")])).is_err());
    assert_eq!(
        kind(payload(0, &[(b"x", b"/bin/sh")])),
        Err(ErrorKind::BadSectionPayload)
    );
    assert_eq!(
        kind(payload(wire::MAX_EXEC_TARGETS + 1, &[])),
        Err(ErrorKind::BadSectionPayload)
    );
}
