// SPDX-License-Identifier: GPL-2.0-only

//! A task's profile as `lsm_get_self_attr(LSM_ATTR_CURRENT)` and `/proc/PID/attr/current`
//! report it: the profile's name. An unconfined task has no rustlsm context, so
//! `lsm_get_self_attr` has no rustlsm entry for it (as Landlock never has one, and so that
//! stacked LSMs' contexts are not joined by a rustlsm "unconfined" look-alike), while
//! `/proc/PID/attr/current`, which must answer something, says `unconfined`.
//!
//! `lsm_set_self_attr(LSM_ATTR_EXEC)` names the profile the caller's next program runs under
//! whatever claims it, as AppArmor's `aa-exec` does: an administrator's way to try a profile
//! on a command. `lsm_get_self_attr(LSM_ATTR_EXEC)` reads the choice back.

use crate::{cred_blob, manage, policy::Label, wire};
use kernel::{
    bindings,
    cred::{Credential, NewCredentials},
    lsm::SelfAttrOut,
    prelude::*,
    sync::Arc,
    task::Task,
};

/// Room for the longest profile name and its NUL.
const NAME_BUF: usize = wire::MAX_NAME_LEN + 1;

/// Writes the name of `label`'s profile (NUL-terminated, `unconfined` for none) into `buf`;
/// returns its length with the NUL.
fn profile_name(label: Option<Arc<Label>>, buf: &mut [u8; NAME_BUF]) -> usize {
    let profile = label.and_then(|l| l.profile());
    let name = profile
        .as_deref()
        .map(|p| p.view())
        .map_or(wire::UNCONFINED, |v| v.name());
    let len = name.len().min(wire::MAX_NAME_LEN);
    buf[..len].copy_from_slice(&name[..len]);
    buf[len] = 0;
    len + 1
}

/// `getselfattr`: `LSM_ATTR_CURRENT` for a task under a profile, `LSM_ATTR_EXEC` for a task
/// that chose the profile of its next exec.
pub(crate) fn getselfattr(attr: u32, out: SelfAttrOut, _flags: u32) -> Result<i32> {
    let label = match attr {
        bindings::LSM_ATTR_CURRENT => Credential::with_current(cred_blob::clone_label),
        bindings::LSM_ATTR_EXEC => Credential::with_current(cred_blob::on_exec),
        _ => return Err(EOPNOTSUPP),
    };
    let mut name = [0u8; NAME_BUF];
    let len = profile_name(label, &mut name);
    if name.get(..len.saturating_sub(1)) == Some(wire::UNCONFINED) {
        // No profile (no profile may take this name): nothing to report.
        return Err(EOPNOTSUPP);
    }
    out.fill(&name[..len], u64::from(bindings::LSM_ID_RUSTLSM), 0)?;
    Ok(1)
}

/// `setselfattr`: `LSM_ATTR_EXEC` only, the name of a loaded profile (an empty value clears
/// the choice). Only an unconfined holder of `CAP_MAC_ADMIN` may choose: a confined task that
/// picked its next profile would have a way out of its own, and an unprivileged one could
/// run a set-ID program under a profile that makes it fail where it does not expect to.
pub(crate) fn setselfattr(attr: u32, value: &[u8], _flags: u32) -> Result {
    if attr != bindings::LSM_ATTR_EXEC {
        return Err(EOPNOTSUPP);
    }
    manage::authorize_admin("exec_attr")?;
    let name = value.strip_suffix(b"\0").unwrap_or(value);
    let label = match name {
        b"" => None,
        // A label found while its profile is being removed has none left.
        name if wire::valid_name(name) => Some(
            crate::policy::label_named(name)
                .filter(|label| label.profile().is_some())
                .ok_or(ENOENT)?,
        ),
        _ => return Err(EINVAL),
    };
    let mut new = NewCredentials::prepare()?;
    cred_blob::set_on_exec(&mut new.private(), label)?;
    new.commit();
    Ok(())
}

/// `getprocattr`: `/proc/PID/attr/current`, read from the task's objective creds.
pub(crate) fn getprocattr(task: &Task, attr_name: &CStr) -> Result<KVec<u8>> {
    if attr_name.to_bytes() != b"current" {
        return Err(EINVAL);
    }
    let mut name = [0u8; NAME_BUF];
    let len = profile_name(cred_blob::clone_label(&task.objective_cred()), &mut name);
    // /proc shows the name followed by a newline, without the NUL.
    let text = name.get_mut(..len).ok_or(EINVAL)?;
    if let Some(last) = text.last_mut() {
        *last = b'\n';
    }
    let mut out = KVec::new();
    out.extend_from_slice(text, GFP_KERNEL)?;
    Ok(out)
}
