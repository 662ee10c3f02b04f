// SPDX-License-Identifier: GPL-2.0-only

//! A task's profile as `lsm_get_self_attr(LSM_ATTR_CURRENT)` and `/proc/PID/attr/current`
//! report it: the profile's name. An unconfined task has no rustlsm context, so
//! `lsm_get_self_attr` has no rustlsm entry for it (as Landlock never has one, and so that
//! stacked LSMs' contexts are not joined by a rustlsm "unconfined" look-alike), while
//! `/proc/PID/attr/current`, which must answer something, says `unconfined`.

use crate::{cred_blob, wire};
use kernel::{bindings, cred::Credential, lsm::SelfAttrOut, prelude::*, task::Task};

/// Room for the longest profile name and its NUL.
const NAME_BUF: usize = wire::MAX_NAME_LEN + 1;

/// Writes the profile name of `cred` (NUL-terminated) into `buf`; returns its length with
/// the NUL.
fn profile_name(cred: &Credential, buf: &mut [u8; NAME_BUF]) -> usize {
    let profile = cred_blob::clone_label(cred).and_then(|l| l.profile());
    let name = profile
        .as_deref()
        .map(|p| p.view())
        .map_or(wire::UNCONFINED, |v| v.name());
    let len = name.len().min(wire::MAX_NAME_LEN);
    buf[..len].copy_from_slice(&name[..len]);
    buf[len] = 0;
    len + 1
}

/// `getselfattr`: answers `LSM_ATTR_CURRENT` only, and only for a task under a profile.
pub(crate) fn getselfattr(attr: u32, out: SelfAttrOut, _flags: u32) -> Result<i32> {
    if attr != bindings::LSM_ATTR_CURRENT {
        return Err(EOPNOTSUPP);
    }
    let mut name = [0u8; NAME_BUF];
    let len = Credential::with_current(|cred| profile_name(cred, &mut name));
    if name.get(..len.saturating_sub(1)) == Some(wire::UNCONFINED) {
        // No profile (no profile may take this name): nothing to report.
        return Err(EOPNOTSUPP);
    }
    out.fill(&name[..len], u64::from(bindings::LSM_ID_RUSTLSM), 0)?;
    Ok(1)
}

/// `getprocattr`: `/proc/PID/attr/current`, read from the task's objective creds.
pub(crate) fn getprocattr(task: &Task, attr_name: &CStr) -> Result<KVec<u8>> {
    if attr_name.to_bytes() != b"current" {
        return Err(EINVAL);
    }
    let mut name = [0u8; NAME_BUF];
    let len = profile_name(&task.objective_cred(), &mut name);
    // /proc shows the name followed by a newline, without the NUL.
    let text = name.get_mut(..len).ok_or(EINVAL)?;
    if let Some(last) = text.last_mut() {
        *last = b'\n';
    }
    let mut out = KVec::new();
    out.extend_from_slice(text, GFP_KERNEL)?;
    Ok(out)
}
