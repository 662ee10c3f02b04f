//! The `LSM_POLICY_LISTEN` buffer an agent sends (see [`crate::ask_protocol`]).

use crate::{ask_protocol, wire};

/// The listen buffer for a listener whose tasks wait `wait_ms` (0: the kernel's default),
/// that holds at most `max_pending` requests (0: the default), for the profiles `names`
/// (none: every profile). `None` if a value is out of the kernel's range or a name is not a
/// profile name.
pub fn listen_buffer(wait_ms: u32, max_pending: u32, names: &[&str]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(ask_protocol::HEADER_LEN + 2);
    out.extend_from_slice(&wait_ms.to_le_bytes());
    out.extend_from_slice(&max_pending.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let count = u16::try_from(names.len()).ok()?;
    out.extend_from_slice(&count.to_le_bytes());
    for name in names {
        if !wire::valid_name(name.as_bytes()) {
            return None;
        }
        out.push(u8::try_from(name.len()).ok()?);
        out.extend_from_slice(name.as_bytes());
    }
    ask_protocol::Listen::parse(&out).is_some().then_some(out)
}
