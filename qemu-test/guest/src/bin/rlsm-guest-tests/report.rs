//! Reporting (report.rs): denials are rate-limited in the kernel log, become one audit record
//! each with audit on, as policy changes do, and the kernel log holds no BUG, WARNING or Oops.

use crate::harness::{self, kernel_log, lsmctl, probe_open};
use crate::{check, Outcome, Suite, PROBE};
use std::fs;

/// Turns the audit subsystem on or off through its netlink socket (as `auditctl -e` does).
fn set_audit(enabled: bool) -> Outcome {
    const AUDIT_SET: u16 = 1001;
    const AUDIT_STATUS_ENABLED: u32 = 1;
    let mut msg = Vec::new();
    let payload_len = 11 * 4;
    msg.extend_from_slice(&((16 + payload_len) as u32).to_ne_bytes());
    msg.extend_from_slice(&AUDIT_SET.to_ne_bytes());
    msg.extend_from_slice(&((libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16).to_ne_bytes());
    msg.extend_from_slice(&1u32.to_ne_bytes()); // seq
    msg.extend_from_slice(&0u32.to_ne_bytes()); // pid
    msg.extend_from_slice(&AUDIT_STATUS_ENABLED.to_ne_bytes());
    msg.extend_from_slice(&u32::from(enabled).to_ne_bytes());
    msg.resize(16 + payload_len, 0);
    // SAFETY: Plain socket calls on buffers that outlive them.
    unsafe {
        let fd = libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 9);
        if fd < 0 {
            return Err(format!("audit socket: {}", std::io::Error::last_os_error()));
        }
        let mut addr: libc::sockaddr_nl = std::mem::zeroed();
        addr.nl_family = libc::AF_NETLINK as u16;
        let sent = libc::sendto(
            fd,
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        );
        let mut reply = [0u8; 256];
        let got = libc::recv(fd, reply.as_mut_ptr().cast(), reply.len(), 0);
        libc::close(fd);
        if sent < 0 || got < 20 {
            return Err(format!(
                "audit netlink: {}",
                std::io::Error::last_os_error()
            ));
        }
        // An NLMSG_ERROR ack carries the error code right after the header.
        let error = i32::from_ne_bytes([reply[16], reply[17], reply[18], reply[19]]);
        check(error == 0, || format!("AUDIT_SET refused: {error}"))
    }
}

pub(crate) fn run(s: &mut Suite) {
    s.case("denials are rate-limited in the kernel log", || {
        let before = kernel_log().matches("op=open path=\"/etc/shadow\"").count();
        let started = std::time::Instant::now();
        let (code, _) = harness::run(PROBE, &["open-many", "/etc/shadow", "300"]);
        let elapsed_ms = started.elapsed().as_millis() as usize;
        let after = kernel_log().matches("op=open path=\"/etc/shadow\"").count();
        check(code == libc::EACCES, || format!("probe: {code}"))?;
        // At most 100 lines per 5 s window the burst touched (a slow debug kernel spreads it
        // over several), and always fewer than the denials: some were suppressed.
        let windows = elapsed_ms / 5000 + 2;
        let lines = after.saturating_sub(before);
        check(lines > 0 && lines < 300 && lines <= 100 * windows, || {
            format!("{lines} new lines for 300 denials in {elapsed_ms} ms")
        })
    });
    s.case(
        "with audit on, a denial becomes one AUDIT_RUSTLSM_ACCESS record",
        || {
            // A path of this case's own, so every line naming it is this case's; and a fresh
            // window of the kernel-log budget, which the flood above spent, so that a missing
            // printk line means "not printed", not "rate-limited".
            let path = "/root/audit-probe";
            fs::write(path, b"x").map_err(|e| format!("{path}: {e}"))?;
            std::thread::sleep(std::time::Duration::from_millis(5200));
            set_audit(true)?;
            let denied = probe_open(PROBE, path, "r");
            // Records reach the kernel log through kauditd, not at once.
            std::thread::sleep(std::time::Duration::from_millis(300));
            set_audit(false)?;
            // The control: with audit off, the same denial does print its line.
            let control = probe_open(PROBE, path, "r");
            std::thread::sleep(std::time::Duration::from_millis(300));
            let log = kernel_log();
            check(denied == libc::EACCES, || format!("errno {denied}"))?;
            check(control == libc::EACCES, || {
                format!("control: errno {control}")
            })?;
            let quoted = format!("path=\"{path}\"");
            let want = "type=1427";
            let records: Vec<&str> = log
                .lines()
                .filter(|l| l.contains(want) && l.contains(&quoted))
                .collect();
            check(records.len() == 1, || {
                format!("{} {want} records for {path}: {records:?}", records.len())
            })?;
            let printed = log
                .lines()
                .filter(|l| l.contains("rustlsm: DENIED") && l.contains(&quoted))
                .count();
            check(printed == 1, || {
                format!("{printed} DENIED lines for {path}, expected only the control's")
            })?;
            let record = records[0];
            let fields = [
                "rustlsm=DENIED",
                "profile=\"demo\"",
                "op=\"open\"",
                &quoted,
                "requested=\"r\"",
                "denied=\"r\"",
                "comm=\"rlsm-probe\"",
            ];
            let missing: Vec<&str> = fields
                .iter()
                .copied()
                .filter(|f| !record.contains(f))
                .collect();
            check(missing.is_empty(), || {
                format!("{record}: missing {missing:?}")
            })
        },
    );
    s.case(
        "with audit on, a policy change becomes one AUDIT_MAC_POLICY_LOAD record",
        || {
            // A profile of this case's own, so the one record naming it is this case's.
            let toml = "/tmp/auditpol.toml";
            let profile = "[profile.auditpol]\nattach = [\"/nonexistent/auditpol\"]\n";
            fs::write(toml, profile).map_err(|e| format!("{toml}: {e}"))?;
            lsmctl(&["load", toml])?;
            set_audit(true)?;
            let removed = lsmctl(&["remove", "auditpol"]);
            std::thread::sleep(std::time::Duration::from_millis(300));
            set_audit(false)?;
            removed?;
            let log = kernel_log();
            let records: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("type=1403") && l.contains("profile=\"auditpol\""))
                .collect();
            check(records.len() == 1, || {
                format!(
                    "{} type=1403 records for auditpol: {records:?}",
                    records.len()
                )
            })?;
            let fields = [
                "auid=",
                "ses=",
                "lsm=rustlsm",
                "op=\"remove\"",
                "res=1",
                "comm=\"lsmctl\"",
            ];
            let missing: Vec<&str> = fields
                .iter()
                .copied()
                .filter(|f| !records[0].contains(f))
                .collect();
            check(missing.is_empty(), || {
                format!("{}: missing {missing:?}", records[0])
            })
        },
    );
    s.case("the kernel log has no BUG, WARNING or Oops", || {
        let log = kernel_log();
        let bad: Vec<&str> = log
            .lines()
            .filter(|l| {
                ["BUG:", "WARNING:", "Oops", "Kernel panic", "KASAN", "UBSAN"]
                    .iter()
                    .any(|bad| l.contains(bad))
            })
            .collect();
        check(bad.is_empty(), || bad.join(" | "))
    });
}
