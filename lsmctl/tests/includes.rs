//! `include` and `include_if_exists`: where files are found, how their rules merge into the
//! profile, and how cycles, depth and misplaced keys are refused, each error at its place.

use lsmctl::profile::{compile_with, Compiled};
use lsmctl::IncludePath;
use rustlsm_policy::{Effect, ProfileSpec};
use std::fs;
use std::path::{Path, PathBuf};

/// A scratch directory of files, removed when dropped.
struct Tree(PathBuf);

impl Tree {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("lsmctl-includes-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Tree(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    fn includes(&self) -> IncludePath {
        IncludePath::only(vec![self.0.join("lib")])
    }

    /// Compiles `main.toml` holding `text`.
    fn compile(&self, text: &str) -> Result<Compiled, String> {
        let main = self.file("main.toml", text);
        compile_with(&main, text, &self.includes()).map_err(|d| d.to_string())
    }

    fn profile(&self, text: &str) -> ProfileSpec {
        self.compile(text).expect("compiles").profiles.remove(0)
    }

    fn error(&self, text: &str) -> String {
        let e = self.compile(text).expect_err("must be refused");
        e.replace(&format!("{}/", self.0.display()), "")
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn including(list: &str) -> String {
    format!("[profile.a]\nattach = [\"/a\"]\n{list}\n")
}

fn rules(p: &ProfileSpec) -> Vec<(Effect, &str)> {
    p.rules
        .iter()
        .skip(p.attach.len())
        .map(|r| (r.effect, r.pattern.as_str()))
        .collect()
}

const READ_X: &str = "[[rule]]\nallow = [\"read\"]\npaths = [\"/x/**\"]\n";

#[test]
fn library_names_relative_and_absolute_paths() {
    let t = Tree::new("names");
    t.file("lib/abstractions/x.toml", READ_X);
    t.file(
        "near.toml",
        "[[rule]]\nallow = [\"read\"]\npaths = [\"/near\"]\n",
    );
    let far = t.file(
        "far/far.toml",
        "[[rule]]\nallow = [\"read\"]\npaths = [\"/far\"]\n",
    );
    let p = t.profile(&including(&format!(
        "include = [\"abstractions/x\", \"./near\", \"{}\"]",
        far.display()
    )));
    assert_eq!(
        rules(&p),
        [
            (Effect::Allow, "/x/**"),
            (Effect::Allow, "/near"),
            (Effect::Allow, "/far")
        ]
    );
}

#[test]
fn search_path_order_lets_a_site_override_a_shipped_file() {
    let t = Tree::new("order");
    t.file(
        "site/abstractions/x.toml",
        "[[rule]]\nallow = [\"read\"]\npaths = [\"/site\"]\n",
    );
    t.file("lib/abstractions/x.toml", READ_X);
    let text = including("include = [\"abstractions/x\"]");
    let main = t.file("main.toml", &text);
    let both = IncludePath::only(vec![t.0.join("site"), t.0.join("lib")]);
    let p = compile_with(&main, &text, &both)
        .unwrap()
        .profiles
        .remove(0);
    assert_eq!(rules(&p), [(Effect::Allow, "/site")]);
}

#[test]
fn included_rules_merge_and_a_profile_deny_still_wins() {
    let t = Tree::new("merge");
    t.file(
        "lib/net.toml",
        "capabilities = [\"net_raw\"]\n[network]\nsockets = [\"inet:dgram\"]\n[[network.rule]]\nallow = [\"send\"]\nprotocol = \"udp\"\nports = [53]\n",
    );
    t.file("lib/x.toml", READ_X);
    let p = t.profile(&including(
        "include = [\"x\", \"net\"]\ncapabilities = [\"chown\"]\n[profile.a.network]\nsockets = [\"inet:dgram\", \"unix\"]\n[[profile.a.rule]]\ndeny = [\"read\"]\npaths = [\"/x/secret\"]",
    ));
    assert_eq!(
        rules(&p),
        [(Effect::Allow, "/x/**"), (Effect::Deny, "/x/secret")]
    );
    assert_eq!(p.capabilities, 1 << 0 | 1 << 13);
    // The socket both name appears once.
    assert_eq!(p.sockets.len(), 2);
    assert_eq!(p.net_rules.len(), 1);
}

#[test]
fn a_file_included_twice_counts_once() {
    let t = Tree::new("diamond");
    t.file("lib/base.toml", READ_X);
    t.file("lib/one.toml", "include = [\"base\"]\n");
    t.file("lib/two.toml", "include = [\"base\"]\n");
    let p = t.profile(&including("include = [\"one\", \"two\", \"base\"]"));
    assert_eq!(rules(&p), [(Effect::Allow, "/x/**")]);
}

#[test]
fn an_absent_file_is_an_error_unless_it_may_be_absent() {
    let t = Tree::new("absent");
    let p = t.profile(&including("include_if_exists = [\"local/a\"]"));
    assert!(rules(&p).is_empty());
    t.file("lib/local/a.toml", READ_X);
    let p = t.profile(&including("include_if_exists = [\"local/a\"]"));
    assert_eq!(rules(&p), [(Effect::Allow, "/x/**")]);
    let e = t.error(&including("include = [\"abstractions/nope\"]"));
    assert_eq!(
        e,
        "main.toml:3:12: include \"abstractions/nope\": no abstractions/nope.toml in lib \
         (include_if_exists takes a file that may be absent)"
    );
    let e = t.error(&including("include = [\"../etc/x\"]"));
    assert!(
        e.starts_with("main.toml:3:12: include \"../etc/x\": no file"),
        "{e}"
    );
    let e = t.error(&including("include = [\"a/../b\"]"));
    assert!(
        e.contains("a library name is a relative path without"),
        "{e}"
    );
}

#[test]
fn errors_in_an_included_file_point_into_it() {
    let t = Tree::new("inner");
    t.file(
        "lib/bad.toml",
        "[[rule]]\nallow = [\"reed\"]\npaths = [\"/x\"]\n",
    );
    t.file("lib/mid.toml", "# a comment\ninclude = [\"bad\"]\n");
    let e = t.error(&including("include = [\"mid\"]"));
    assert_eq!(
        e,
        "lib/bad.toml:2:10: unknown access \"reed\": expected one of read, write, append, \
         exec, create, delete, rename, link, mmap_exec, setattr, truncate, ioctl, connect \
         (in a file included from lib/mid.toml:2:12, included from main.toml:3:12)"
    );
    t.file("lib/bad.toml", "[[rule]\n");
    let e = t.error(&including("include = [\"bad\"]"));
    assert!(e.starts_with("lib/bad.toml:1:"), "{e}");
}

#[test]
fn cycles_are_refused_with_the_chain() {
    let t = Tree::new("cycle");
    t.file("lib/a.toml", "include = [\"b\"]\n");
    t.file("lib/b.toml", "include = [\"a\"]\n");
    let e = t.error(&including("include = [\"a\"]"));
    assert!(
        e.starts_with(
            "lib/b.toml:1:12: include cycle: lib/a.toml includes lib/b.toml includes lib/a.toml"
        ),
        "{e}"
    );
    let e = t.error(&including("include = [\"./main\"]"));
    assert!(
        e.contains("include cycle: main.toml includes main.toml"),
        "{e}"
    );
}

#[test]
fn depth_is_bounded() {
    let t = Tree::new("depth");
    for i in 0..20 {
        t.file(
            &format!("lib/f{i}.toml"),
            &format!("include = [\"f{}\"]\n", i + 1),
        );
    }
    t.file("lib/f20.toml", READ_X);
    let e = t.error(&including("include = [\"f0\"]"));
    assert!(e.contains("includes nest more than 16 files deep"), "{e}");
}

#[test]
fn an_included_file_may_not_say_what_only_a_profile_says() {
    let t = Tree::new("keys");
    for (text, key) in [
        ("mode = \"complain\"\n", "mode"),
        ("attach = [\"/bin/x\"]\n", "attach"),
        ("traced_by_unconfined = true\n", "traced_by_unconfined"),
        ("attach_disconnected = false\n", "attach_disconnected"),
    ] {
        t.file("lib/k.toml", text);
        let e = t.error(&including("include = [\"k\"]"));
        assert!(
            e.starts_with("lib/k.toml:1:")
                && e.contains(&format!("`{key}` belongs in a profile's own table")),
            "{e}"
        );
    }
    t.file("lib/k.toml", "[profile.b]\nattach = [\"/b\"]\n");
    let e = t.error(&including("include = [\"k\"]"));
    assert!(
        e.starts_with("main.toml:3:12: include \"k\":") && e.contains("defines profiles"),
        "{e}"
    );
    t.file("lib/k.toml", "[variables]\nx = \"/y\"\n");
    let e = t.error(&including("include = [\"k\"]"));
    assert!(e.contains("defines variables"), "{e}");
}

#[test]
fn included_files_use_the_profile_files_variables() {
    let t = Tree::new("vars");
    t.file(
        "lib/v.toml",
        "[[rule]]\nallow = [\"read\"]\npaths = [\"@{data}/**\"]\n",
    );
    let p = t.profile(&format!(
        "[variables]\ndata = \"/srv/data\"\n{}",
        including("include = [\"v\"]")
    ));
    assert_eq!(rules(&p), [(Effect::Allow, "/srv/data/**")]);
}

#[test]
fn warnings_about_included_rules_point_into_the_included_file() {
    let t = Tree::new("warn");
    t.file(
        "lib/n.toml",
        "[[network.rule]]\nallow = [\"connect\"]\nprotocol = \"tcp\"\nports = [443]\n",
    );
    let c = t.compile(&including("include = [\"n\"]")).unwrap();
    let prefix = format!("{}/", t.0.display());
    let w: Vec<String> = c
        .warnings
        .iter()
        .map(|w| w.to_string().replace(&prefix, ""))
        .collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("lib/n.toml:1:1: warning: profile \"a\": network rules")
            && w[0].ends_with("(in a file included from main.toml:3:12)"),
        "{w:?}"
    );
    // Sockets the profile allows answer the included file's rules.
    let text = including("include = [\"n\"]\n[profile.a.network]\nsockets = [\"inet:stream\"]");
    assert!(t.compile(&text).unwrap().warnings.is_empty());
}

#[test]
fn includes_can_be_disabled() {
    let src = including("include = [\"abstractions/base\"]");
    let e = compile_with(Path::new("f.toml"), &src, &IncludePath::none()).unwrap_err();
    assert_eq!(e.to_string(), "f.toml:3:12: includes are disabled here");
}

#[test]
fn a_broken_file_is_an_error_not_an_absent_one() {
    let t = Tree::new("broken");
    fs::create_dir_all(t.0.join("lib")).unwrap();
    std::os::unix::fs::symlink(t.0.join("nowhere.toml"), t.0.join("lib/dangling.toml")).unwrap();
    fs::create_dir_all(t.0.join("lib/adir.toml")).unwrap();
    let e = t.error(&including("include_if_exists = [\"dangling\"]"));
    assert!(
        e.contains("lib/dangling.toml is a symbolic link to nothing"),
        "{e}"
    );
    let e = t.error(&including("include_if_exists = [\"adir\"]"));
    assert!(e.contains("lib/adir.toml is not a regular file"), "{e}");
}
