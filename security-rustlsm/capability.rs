// SPDX-License-Identifier: GPL-2.0-only

//! `capable`: a confined task keeps only the capabilities its profile lists.

use crate::{access, report};
use kernel::{bindings, cred::Credential, ffi::c_int, prelude::*};

/// The object of a capability decision.
struct Capability(c_int);

impl kernel::fmt::Display for Capability {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!("capability={}", self.0))
    }
}

impl report::Object for Capability {
    fn audit(&self, record: &mut kernel::audit::Record) {
        record.number(c"capability", i64::from(self.0));
    }
}

/// `capable`. Called very often, also where sleeping is forbidden (see
/// [`access::check_with`]). Probing checks (`CAP_OPT_NOAUDIT`) are refused silently.
pub(crate) fn capable(cred: &Credential, cap: c_int, opts: u32) -> Result {
    let log = opts & bindings::CAP_OPT_NOAUDIT == 0;
    access::check_with(cred, "capable", &Capability(cap), EPERM, log, |view| {
        u32::try_from(cap).is_ok_and(|cap| view.has_capability(cap))
    })
}
