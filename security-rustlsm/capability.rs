// SPDX-License-Identifier: GPL-2.0-only

//! `capable`: a confined task keeps only the capabilities its profile lists.

use crate::{cred_blob, policy::Profile, report};
use kernel::{bindings, ffi::c_int, prelude::*};

/// The object of a capability decision.
struct Capability(c_int);

impl kernel::fmt::Display for Capability {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!("capability={}", self.0))
    }
}

impl report::Object for Capability {
    fn audit(&self, ab: *mut bindings::audit_buffer) {
        report::audit_number(ab, c"capability", i64::from(self.0));
    }
}

/// `capable`. Called very often, also where sleeping is forbidden: it takes no lock, no
/// reference and allocates nothing. Probing checks (`CAP_OPT_NOAUDIT`) are refused silently.
///
/// # Safety
///
/// Called by the LSM framework with valid creds.
#[no_mangle]
pub(crate) unsafe extern "C" fn rustlsm_capable(
    cred: *const bindings::cred,
    _ns: *mut bindings::user_namespace,
    cap: c_int,
    opts: u32,
) -> c_int {
    // SAFETY: The creds are valid for the duration of the hook.
    let Some(label) = (unsafe { cred_blob::label(cred) }) else {
        return 0;
    };
    label.with_profile(|profile| {
        let Some(view) = profile.and_then(Profile::view) else {
            return 0;
        };
        if u32::try_from(cap).is_ok_and(|cap| view.has_capability(cap)) {
            return 0;
        }
        if opts & bindings::CAP_OPT_NOAUDIT == 0 {
            report::event(&view, "capable", &Capability(cap));
        }
        report::verdict_with(view.mode(), EPERM)
    })
}
