//! Variables in paths and attachments: `@{HOME}/.ssh/**` stands for one pattern per value of
//! `HOME`. A profile file may redefine a variable or add values to it:
//!
//! ```toml
//! [variables]
//! web_root = "/srv/www"                      # a new variable
//! HOME = ["/home/*", "/export/home/*"]       # replaces the built-in values
//! lib = { append = ["/opt/vendor/lib"] }     # adds to them
//! ```
//!
//! Values may use other variables and braces; they are expanded when a pattern uses them, so a
//! redefinition anywhere in the file applies to every use.

use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// Most patterns one pattern may expand to through its variables, as for braces.
const MAX_EXPANSIONS: usize = crate::braces::MAX_EXPANSIONS;

/// Deepest chain of variables whose values use other variables.
const MAX_NESTING: usize = 8;

/// The variables every profile file starts with: (name, values, what it stands for).
///
/// Rules match the path the kernel resolved, so these name the real directories: on a
/// merged-/usr system `/lib` is a symbolic link and only the `/usr` forms ever match, while
/// older systems need both. The process and user ids start with a digit (the matcher has no
/// character classes), which keeps `@{PROC}/@{pid}/**` off `/proc/sys` and `/proc/net`.
pub const BUILTIN: [(&str, &[&str], &str); 11] = [
    ("HOME", &["/home/*", "/root"], "users' home directories"),
    ("PROC", &["/proc"], "where procfs is mounted"),
    ("sys", &["/sys"], "where sysfs is mounted"),
    ("run", &["/run"], "runtime state"),
    ("tmp", &["/tmp", "/var/tmp"], "shared temporary directories"),
    (
        "pid",
        &["{1,2,3,4,5,6,7,8,9}*"],
        "a process id (a name that starts with a digit other than 0)",
    ),
    ("tid", &["@{pid}"], "a thread id"),
    ("uid", &["{0,1,2,3,4,5,6,7,8,9}*"], "a user id"),
    (
        "multiarch",
        &["*-linux-gnu*"],
        "Debian's multiarch triplets",
    ),
    (
        "lib",
        &["/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib"],
        "library directories",
    ),
    (
        "bin",
        &["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"],
        "program directories",
    ),
];

/// The variables of one profile file, with their values unexpanded.
#[derive(Clone, Debug)]
pub struct Variables {
    values: BTreeMap<String, Vec<String>>,
}

/// An error and where it is.
pub type Located = (Range<usize>, String);

/// Whether `name` may name a variable: a letter or `_`, then letters, digits and `_`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

/// The strings of a value that must be a string or a list of strings.
fn strings(value: &toml::Value) -> Option<Vec<String>> {
    match value {
        toml::Value::String(s) => Some(vec![s.clone()]),
        toml::Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

impl Variables {
    /// The built-in variables.
    pub fn builtin() -> Self {
        let values = BUILTIN
            .iter()
            .map(|(name, values, _)| {
                (
                    name.to_string(),
                    values.iter().map(|v| v.to_string()).collect(),
                )
            })
            .collect();
        Variables { values }
    }

    /// Applies a `[variables]` table: a string or a list of strings sets a variable, and
    /// `{ append = [...] }` adds values to one already defined.
    pub fn define(
        &mut self,
        table: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    ) -> Result<(), Located> {
        const FORM: &str = "expected a string, a list of strings, or { append = [...] }";
        for (name, value) in table {
            let key = name.get_ref();
            if !valid_name(key) {
                return Err((
                    name.span(),
                    format!(
                        "variable name {key:?} must be a letter or `_` followed by letters, \
                         digits and `_` (at most 64)"
                    ),
                ));
            }
            let (append, list) = match value.get_ref() {
                toml::Value::Table(t) if t.len() == 1 && t.contains_key("append") => {
                    (true, t.get("append").and_then(strings))
                }
                v => (false, strings(v)),
            };
            let list = list.ok_or_else(|| (value.span(), format!("variable {key:?}: {FORM}")))?;
            if let Some(bad) = list.iter().find(|v| v.contains('\0')) {
                return Err((
                    value.span(),
                    format!("variable {key:?}: value {bad:?} holds a NUL"),
                ));
            }
            if append {
                match self.values.get_mut(key.as_str()) {
                    Some(values) => values.extend(list),
                    None => {
                        return Err((
                            value.span(),
                            format!(
                                "variable {key:?} is not defined, so nothing can be appended \
                                 to it; define it with `{key} = [...]`"
                            ),
                        ))
                    }
                }
            } else {
                if list.is_empty() {
                    return Err((
                        value.span(),
                        format!("variable {key:?} has no value, so no pattern using it would match anything"),
                    ));
                }
                self.values.insert(key.clone(), list);
            }
        }
        Ok(())
    }

    /// The names of the defined variables.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// The strings `text` stands for once every `@{NAME}` in it is replaced by each value of
    /// NAME (values may use variables too). Text without variables comes back as it is.
    pub fn expand(&self, text: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        self.expand_into(text, 0, 0, &mut out)?;
        Ok(out)
    }

    /// Expands the variables of `text` from byte `from` on (what comes before is expanded).
    fn expand_into(
        &self,
        text: &str,
        from: usize,
        depth: usize,
        out: &mut Vec<String>,
    ) -> Result<(), String> {
        let Some(at) = text[from..].find("@{").map(|i| i + from) else {
            if out.len() >= MAX_EXPANSIONS {
                return Err(too_many(text));
            }
            out.push(text.to_string());
            return Ok(());
        };
        let rest = &text[at + 2..];
        let Some(close) = rest.find('}') else {
            return Err(format!("{text:?}: `@{{` without a closing `}}`"));
        };
        let name = &rest[..close];
        let Some(values) = self.values.get(name) else {
            let known: Vec<&str> = self.names().collect();
            return Err(format!(
                "unknown variable @{{{name}}}: define it under [variables], or use one of {}",
                known.join(", ")
            ));
        };
        if depth >= MAX_NESTING {
            return Err(format!(
                "variable @{{{name}}}: values use variables more than {MAX_NESTING} deep; \
                 does a variable use itself?"
            ));
        }
        let (before, after) = (&text[..at], &rest[close + 1..]);
        for value in values {
            // Expand the value on its own first, so that a variable using itself is caught
            // by depth rather than growing the text.
            let mut parts = Vec::new();
            self.expand_into(value, 0, depth + 1, &mut parts)?;
            for part in parts {
                let resume = before.len() + part.len();
                self.expand_into(&format!("{before}{part}{after}"), resume, depth, out)?;
            }
        }
        Ok(())
    }
}

fn too_many(text: &str) -> String {
    format!("{text:?}: variables expand to more than {MAX_EXPANSIONS} patterns")
}
