// SPDX-License-Identifier: GPL-2.0-only

//! KUnit tests of the policy verifier and matchers, as the kernel compiled them.
//!
//! The same source is tested and fuzzed in userspace; these tests prove the kernel build of
//! it (target, `core` version, compiler flags) behaves the same, on a policy lsmctl's
//! encoder produced ([`crate::kunit_policy`]).

use kernel::prelude::*;

#[kunit_tests(rustlsm_wire)]
mod tests {
    use crate::{kunit_policy::POLICY, net, wire};
    use kernel::prelude::*;

    fn profile(name: &[u8]) -> Option<wire::ProfileView<'static>> {
        wire::profiles(POLICY).find(|p| p.name() == name)
    }

    #[test]
    fn encoded_policy_verifies() {
        assert_eq!(wire::verify(POLICY).ok(), Some(2));
        assert!(profile(b"kunit").is_some_and(|p| p.mode() == wire::Mode::Enforce));
        assert!(profile(b"peer").is_some_and(|p| p.mode() == wire::Mode::Complain));
    }

    #[test]
    fn every_truncation_is_refused() {
        for len in 0..POLICY.len() {
            assert!(wire::verify(&POLICY[..len]).is_err());
        }
    }

    /// The same cuts with the header's total length set to what is left, so that they get
    /// past the length check and reach the record, section and automaton readers.
    #[test]
    fn every_truncation_with_an_honest_total_is_refused() -> Result {
        let mut blob = KVec::new();
        for len in wire::HEADER_LEN..POLICY.len() {
            blob.clear();
            blob.extend_from_slice(&POLICY[..len], GFP_KERNEL)?;
            let total = u32::try_from(len).map_err(|_| EINVAL)?;
            blob[8..12].copy_from_slice(&total.to_le_bytes());
            assert!(wire::verify(&blob).is_err());
        }
        Ok(())
    }

    #[test]
    fn header_faults_have_their_errors() -> Result {
        let mut blob = KVec::new();
        blob.extend_from_slice(POLICY, GFP_KERNEL)?;
        let kind = |b: &[u8]| wire::verify(b).err().map(|e| e.kind);
        blob[0] ^= 0xff;
        assert_eq!(kind(&blob), Some(wire::ErrorKind::BadMagic));
        blob[0] ^= 0xff;
        blob[4] = 0x7f;
        assert_eq!(kind(&blob), Some(wire::ErrorKind::UnsupportedVersion));
        blob[4] = POLICY[4];
        blob[6] = 1;
        assert_eq!(kind(&blob), Some(wire::ErrorKind::ReservedNotZero));
        blob[6] = 0;
        blob.push(0, GFP_KERNEL)?;
        assert!(kind(&blob).is_some());
        Ok(())
    }

    /// Every byte of the blob inverted in turn: each mutant is refused, or accepted and then
    /// safe to walk (the hooks' paths through a verified blob).
    #[test]
    fn flipped_bytes_are_refused_or_safe() -> Result {
        let mut blob = KVec::new();
        blob.extend_from_slice(POLICY, GFP_KERNEL)?;
        for at in 0..blob.len() {
            blob[at] ^= 0xff;
            if wire::verify(&blob).is_ok() {
                for p in wire::profiles(&blob) {
                    let _ = p.refused(b"/etc/shadow", wire::ACCESS_ALL);
                    let _ = p.attach_score(b"/usr/bin/kunit-x");
                    let _ = p.may_signal(None);
                    let _ = p.net().may_create(net::AF_INET, 1, 0);
                }
            }
            blob[at] ^= 0xff;
        }
        assert!(blob[..] == *POLICY);
        Ok(())
    }

    #[test]
    fn file_rules_match_as_written() -> Result {
        let p = profile(b"kunit").ok_or(ENOENT)?;
        let read = wire::ACCESS_READ;
        let write = wire::ACCESS_WRITE;
        assert_eq!(p.refused(b"/etc/passwd", read), 0);
        assert_eq!(p.refused(b"/etc/ssl/certs/a.pem", read), 0);
        assert_eq!(p.refused(b"/etc/shadow", read), read);
        assert_eq!(p.refused(b"/etc/passwd", write), write);
        assert_eq!(p.refused(b"/tmp/x.log", read | write), 0);
        assert_eq!(p.refused(b"/tmp/sub/x.log", write), write);
        assert_eq!(p.refused(b"/bin/sh", wire::ACCESS_EXEC), 0);
        assert_eq!(p.refused(b"/bin/ls", wire::ACCESS_EXEC), wire::ACCESS_EXEC);
        assert_eq!(
            p.refused(b"/bin/sh/x", wire::ACCESS_EXEC),
            wire::ACCESS_EXEC
        );
        assert_eq!(p.refused(b"", read), read);
        Ok(())
    }

    #[test]
    fn attachment_caps_signals_and_mounts() -> Result {
        let p = profile(b"kunit").ok_or(ENOENT)?;
        assert!(p.attach_score(b"/usr/bin/kunit-probe").is_some());
        assert!(p.attach_score(b"/usr/bin/other").is_none());
        assert!(p.has_capability(10));
        assert!(!p.has_capability(21));
        assert!(!p.has_capability(200));
        assert!(p.may_signal(Some(b"peer")));
        assert!(p.may_signal(Some(b"kunit")));
        assert!(!p.may_signal(Some(b"other")));
        assert!(!p.may_signal(None));
        assert!(p.may_mount(wire::MOUNT_UMOUNT));
        assert!(!p.may_mount(wire::MOUNT_MOUNT));
        Ok(())
    }

    #[test]
    fn network_rules_match_as_written() -> Result {
        let p = profile(b"kunit").ok_or(ENOENT)?;
        let net = p.net();
        assert!(net.may_create(net::AF_INET, 1, 0));
        assert!(!net.may_create(net::AF_INET6, 1, 0));
        assert!(!net.may_create(net::AF_INET, net::SOCK_RAW, net::IPPROTO_ICMP));
        assert!(!net.may_create(net::AF_NETLINK, net::SOCK_RAW, 0));
        // struct sockaddr_in for 127.0.0.1, port in network order.
        let mut sin = [0u8; 16];
        sin[..2].copy_from_slice(&net::AF_INET.to_ne_bytes());
        sin[2..4].copy_from_slice(&9000u16.to_be_bytes());
        sin[4..8].copy_from_slice(&[127, 0, 0, 1]);
        let allowed = net::endpoint(&sin);
        assert!(allowed.is_some_and(|e| net.may(net::OP_CONNECT, net::PROTO_TCP, &e)));
        assert!(allowed.is_some_and(|e| !net.may(net::OP_BIND, net::PROTO_TCP, &e)));
        assert!(allowed.is_some_and(|e| !net.may(net::OP_CONNECT, net::PROTO_UDP, &e)));
        sin[2..4].copy_from_slice(&9001u16.to_be_bytes());
        let other_port = net::endpoint(&sin);
        assert!(other_port.is_some_and(|e| !net.may(net::OP_CONNECT, net::PROTO_TCP, &e)));
        sin[4..8].copy_from_slice(&[10, 0, 0, 1]);
        sin[2..4].copy_from_slice(&9000u16.to_be_bytes());
        let other_net = net::endpoint(&sin);
        assert!(other_net.is_some_and(|e| !net.may(net::OP_CONNECT, net::PROTO_TCP, &e)));
        assert!(net::endpoint(&sin[..6]).is_none());
        Ok(())
    }

    #[test]
    fn own_proc_paths_split_around_their_pid() {
        use crate::path::split_pid_component as split;
        let fd: Option<(&[u8], &[u8])> = Some((b"/proc/", b"/fd/3"));
        assert_eq!(split(b"/proc/1234/fd/3", 2), fd);
        let dir: Option<(&[u8], &[u8])> = Some((b"/proc/", b""));
        assert_eq!(split(b"/proc/1234", 0), dir);
        assert_eq!(split(b"/proc/12a4/fd", 1), None);
        assert_eq!(split(b"/proc//fd", 1), None);
        assert_eq!(split(b"/proc/1234/fd", 5), None);
        assert_eq!(split(b"", 0), None);
    }

    #[test]
    fn qualifier_bits_join_as_in_userspace() {
        let (read, write) = (wire::ACCESS_READ, wire::ACCESS_WRITE);
        let quiet_write = write | write << wire::QUALIFIER_SHIFT;
        assert_eq!(wire::join_denied(quiet_write, write), write);
        assert_eq!(wire::join_denied(quiet_write, read), read | quiet_write);
        assert!(wire::quiet(quiet_write, write));
        assert!(!wire::quiet(quiet_write, write | read));
        assert!(!wire::quiet(write << wire::QUALIFIER_SHIFT, write));
        assert_eq!(
            wire::audited(read | read << wire::QUALIFIER_SHIFT, read | write),
            read
        );
        assert_eq!(wire::audited(read << wire::QUALIFIER_SHIFT, read), 0);
    }
}
