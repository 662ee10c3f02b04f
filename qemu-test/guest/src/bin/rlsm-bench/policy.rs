//! The policies under test, written as rustlsm TOML, as AppArmor profiles and as the Landlock
//! sandboxer's environment, granting the same things.
//!
//! A policy of N rules has N file rules of one path each (so an AppArmor line and a rustlsm
//! rule count alike): read on the bench tree, read-write on /dev/null (the child's stdin, which
//! AppArmor revalidates at exec), then fillers. The fillers are literal paths inside the bench
//! tree at every depth, so the automata branch all along the measured paths, plus some globs
//! elsewhere. On top of the file rules: TCP connect to 127.0.0.1:[`CLOSED_PORT`].
//!
//! Each policy comes in two variants that differ in one read-write filler's path: load measurements
//! alternate between them so that every load replaces the profile with a different one
//! (AppArmor skips a replacement identical to the loaded profile).

use crate::workload::CLOSED_PORT;
use std::fmt::Write;

/// The root of the tree the loops open files in.
pub const TREE: &str = "/bench";
/// Path depths (components, counting `bench` and the file) the loops are measured at.
pub const DEPTHS: [usize; 3] = [2, 8, 32];

/// The icount mode's files, by depth: /etc/passwd, then the tree's files at depths 8 and 32.
pub fn icount_paths() -> [(usize, String); 3] {
    [
        (2, "/etc/passwd".into()),
        (DEPTHS[1], path_at(DEPTHS[1])),
        (DEPTHS[2], path_at(DEPTHS[2])),
    ]
}

/// Where the load section leaves the policies it compiled, for the confined section to load.
pub const WORK: &str = "/tmp/bench-policy";

/// The name of `lsm`'s bench profile of `n` rules.
pub fn name(lsm: &str, n: usize) -> String {
    format!("rlsm-bench-{lsm}-{n}")
}

/// The copy of the bench binary that profile attaches to.
pub fn binary(lsm: &str, n: usize) -> String {
    format!("/usr/bin/rlsm-bench-{lsm}-{n}")
}

/// A file of variant `variant` of `lsm`'s bench policy of `n` rules in [`WORK`] (`ext`:
/// source or compiled form).
pub fn file(lsm: &str, n: usize, variant: usize, ext: &str) -> String {
    format!("{WORK}/{lsm}-{n}-{variant}.{ext}")
}

/// The file at `depth` components: `/bench/l01/l02/.../file`.
pub fn path_at(depth: usize) -> String {
    let mut p = TREE.to_string();
    for i in 1..depth.saturating_sub(1) {
        let _ = write!(p, "/l{i:02}");
    }
    p + "/file"
}

/// One file rule: a pattern and whether it also grants write.
struct FileRule {
    pattern: String,
    write: bool,
}

fn file_rules(n: usize, variant: usize) -> Vec<FileRule> {
    let mut rules = vec![
        FileRule {
            pattern: format!("{TREE}/**"),
            write: false,
        },
        FileRule {
            pattern: "/dev/null".into(),
            write: true,
        },
    ];
    for i in 0..n.saturating_sub(2) {
        let pattern = if i % 10 == 9 {
            format!("/srv/bench-{i}/**")
        } else {
            let dir = path_at(2 + i % (DEPTHS[2] - 1));
            format!("{}/file-{i}", dir.trim_end_matches("/file"))
        };
        rules.push(FileRule {
            pattern,
            write: i % 2 == 1,
        });
    }
    rules.truncate(n.max(1));
    // A read-write filler: a read-only one is subsumed by the tree rule, and both variants
    // would compile to the same automaton.
    if let Some(r) = rules.iter_mut().skip(2).find(|r| r.write) {
        r.pattern += &"-v".repeat(variant);
    }
    rules
}

/// A rustlsm profile `name` attached to `attach` with `n` file rules and the connect rule.
pub fn rustlsm_profile(name: &str, attach: &str, n: usize, variant: usize) -> String {
    rustlsm_profile_of(name, attach, file_rules(n, variant))
}

/// The icount mode's profile of `n` rules (at least 2): those of [`rustlsm_profile`] with
/// `n - 1` rules, and read on /etc/passwd, its depth-2 file.
pub fn icount_profile(name: &str, attach: &str, n: usize) -> String {
    let mut rules = file_rules(n.max(2) - 1, 0);
    rules.push(FileRule {
        pattern: "/etc/passwd".into(),
        write: false,
    });
    rustlsm_profile_of(name, attach, rules)
}

fn rustlsm_profile_of(name: &str, attach: &str, rules: Vec<FileRule>) -> String {
    let mut t = format!("[profile.{name}]\nattach = [\"{attach}\"]\n\n");
    let _ = write!(
        t,
        "[profile.{name}.network]\nsockets = [\"inet:stream\"]\n\n\
         [[profile.{name}.network.rule]]\nallow = [\"connect\"]\nprotocol = \"tcp\"\n\
         ports = [{CLOSED_PORT}]\naddresses = [\"127.0.0.1\"]\n"
    );
    for r in rules {
        let allow = if r.write {
            "\"read\", \"write\""
        } else {
            "\"read\""
        };
        let _ = write!(
            t,
            "\n[[profile.{name}.rule]]\nallow = [{allow}]\npaths = [\"{}\"]\n",
            r.pattern
        );
    }
    t
}

/// The same profile for AppArmor. AppArmor needs `m` on the binary itself to map it at exec,
/// which lsmctl grants implicitly; AppArmor's network rules have no ports.
pub fn apparmor_profile(name: &str, attach: &str, n: usize, variant: usize) -> String {
    let mut t = format!("profile {name} {attach} {{\n  {attach} mr,\n  network inet stream,\n");
    for r in file_rules(n, variant) {
        let perms = if r.write { "rw" } else { "r" };
        let _ = writeln!(t, "  {} {perms},", r.pattern);
    }
    t + "}\n"
}

/// `count` one-rule rustlsm profiles attached to binaries that do not exist: the policy that
/// sits loaded while unconfined tasks are measured.
pub fn many_profiles(count: usize) -> String {
    let mut t = String::new();
    for i in 0..count {
        let _ = write!(
            t,
            "[profile.idle-{i}]\nattach = [\"/opt/idle/{i}/bin\"]\n\n\
             [[profile.idle-{i}.rule]]\nallow = [\"read\"]\npaths = [\"/opt/idle/{i}/**\"]\n\n"
        );
    }
    t
}

/// The same idle profiles for AppArmor.
pub fn many_apparmor_profiles(count: usize) -> String {
    let mut t = String::new();
    for i in 0..count {
        let _ = writeln!(
            t,
            "profile idle-{i} /opt/idle/{i}/bin {{\n  /opt/idle/{i}/** r,\n}}"
        );
    }
    t
}

/// The Landlock sandboxer's environment for the same rights: read (and execute) beneath the
/// tree and on the bench binary, read-write on /dev/null, TCP connect to the closed port.
pub fn landlock_env(bench_binary: &str) -> Vec<(&'static str, String)> {
    vec![
        ("LL_FS_RO", format!("{TREE}:{bench_binary}")),
        ("LL_FS_RW", "/dev/null".into()),
        ("LL_TCP_CONNECT", CLOSED_PORT.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depths_count_components() {
        assert_eq!(path_at(2), "/bench/file");
        assert_eq!(path_at(8).matches('/').count(), 8);
        assert_eq!(path_at(32).matches('/').count(), 32);
    }

    #[test]
    fn rule_counts_are_exact_and_equal() {
        for n in [1, 2, 10, 100, 10_000] {
            assert_eq!(
                rustlsm_profile("p", "/x", n, 0)
                    .matches("[[profile.p.rule]]")
                    .count(),
                n
            );
            // The attachment's own line and the network line come on top of the n rules.
            assert_eq!(
                apparmor_profile("p", "/x", n, 1).matches(",\n").count(),
                n + 2
            );
        }
    }

    #[test]
    fn icount_profile_grants_its_paths_in_n_rules() {
        let t = icount_profile("p", "/x", 10);
        assert_eq!(t.matches("[[profile.p.rule]]").count(), 10);
        assert!(t.contains("\"/etc/passwd\""));
        assert!(t.contains(&format!("\"{TREE}/**\"")));
        assert!(!t.contains("/etc/group"));
        let paths = icount_paths();
        assert_eq!(paths[0].1, "/etc/passwd");
        for (depth, path) in paths {
            assert_eq!(path.matches('/').count(), depth);
        }
    }

    #[test]
    fn fillers_sit_inside_the_tree_at_every_depth() {
        let t = rustlsm_profile("p", "/x", 100, 0);
        assert!(t.contains("\"/bench/file-0\""));
        assert!(t.contains(&format!("\"{}\"", path_at(30).replace("/file", "/file-28"))));
        assert!(t.contains("\"/srv/bench-9/**\""));
    }

    #[test]
    fn variants_differ_in_one_rule() {
        let a = apparmor_profile("p", "/x", 100, 0);
        let b = apparmor_profile("p", "/x", 100, 1);
        let differing = a.lines().zip(b.lines()).filter(|(x, y)| x != y).count();
        assert_eq!((a.lines().count(), differing), (b.lines().count(), 1));
    }
}
