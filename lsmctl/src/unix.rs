//! The `[profile.NAME.unix]` table: the abstract `AF_UNIX` names a profile may connect or send
//! to, and the profiles of the `AF_UNIX` peers it may connect or send to.
//!
//! ```toml
//! [profile.app.unix]
//! abstract = ["@dbus-*", "@/tmp/.X11-unix/X*"]  # @ stands for the address's leading NUL
//! peers = ["dbus", "unconfined"]
//! ```
//!
//! Abstract name patterns use the path glob syntax (`?`, `*`, `**`, `{a,b}`), `/` included.
//! Pathname sockets are files: a file rule allows `connect` on their paths.

use crate::network::Located;
use rustlsm_policy::{glob, wire};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UnixToml {
    #[serde(default, rename = "abstract")]
    pub abstract_names: Vec<Spanned<String>>,
    #[serde(default)]
    pub peers: Vec<Spanned<String>>,
}

impl UnixToml {
    /// Whether the table allows anything.
    pub fn is_empty(&self) -> bool {
        self.abstract_names.is_empty() && self.peers.is_empty()
    }
}

/// The abstract name patterns of the table, `@` stripped and braces expanded, each checked as
/// the kernel would.
pub fn abstract_patterns(t: &UnixToml) -> Result<Vec<String>, Located> {
    let mut out: Vec<String> = Vec::new();
    for a in &t.abstract_names {
        let bad = |msg: String| (a.span(), msg);
        let Some(bare) = a.get_ref().strip_prefix('@') else {
            return Err(bad(format!(
                "abstract name pattern {:?} must start with @ (which stands for the leading NUL \
                 byte of an abstract address); a pathname socket is a file: allow `connect` on \
                 its path in a rule instead",
                a.get_ref()
            )));
        };
        for one in crate::braces::expand(bare).map_err(bad)? {
            if one.is_empty() {
                return Err(bad(format!(
                    "abstract name pattern {:?} names nothing after the @",
                    a.get_ref()
                )));
            }
            if one.contains('\0') {
                return Err(bad("an abstract name pattern may not contain NUL".into()));
            }
            if !glob::valid_abstract_pattern(one.as_bytes()) {
                return Err(bad(format!(
                    "abstract name pattern \"@{one}\" is {} bytes long after the @; at most {} \
                     are allowed",
                    one.len(),
                    glob::MAX_ABSTRACT_LEN
                )));
            }
            if !out.contains(&one) {
                out.push(one);
            }
            if out.len() > usize::from(wire::MAX_PEERS) {
                return Err(bad(format!(
                    "more than {} abstract name patterns",
                    wire::MAX_PEERS
                )));
            }
        }
    }
    Ok(out)
}
