//! The admin's commands as far as they go without a kernel: `check` reports every file,
//! `complain`/`enforce` find and edit the defining file (and leave it alone when the edit
//! would not compile or the name is unknown), `-I` finds includes. Loading itself is tested
//! in the guest (boot.rs).

mod common;

use common::{lsmctl, lsmctl_with};
use std::fs;
use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lsmctl-admin-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn check_reports_every_file() {
    let dir = scratch("check");
    let good = dir.join("good.toml");
    let typo = dir.join("typo.toml");
    let fragment = dir.join("fragment.toml");
    fs::write(&good, "[profile.g]\nattach = [\"/g\"]\n").unwrap();
    fs::write(
        &typo,
        "[profile.t]\nattach = [\"/t\"]\nmdoe = \"complain\"\n",
    )
    .unwrap();
    fs::write(
        &fragment,
        "[[rule]]\nallow = [\"read\"]\npaths = [\"/x\"]\n",
    )
    .unwrap();
    let (ok, out, err) = lsmctl(&[
        "check",
        typo.to_str().unwrap(),
        good.to_str().unwrap(),
        fragment.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(out.contains("profile g"), "{out}");
    assert!(
        err.contains(&format!("{}:3:1: unknown field `mdoe`", typo.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}:1:1: no profile is defined here: this looks like a file for profiles to include",
            fragment.display()
        )),
        "{err}"
    );
    assert!(err.contains("2 of 3 file(s) have errors"), "{err}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn include_dirs_come_from_the_command_line() {
    let dir = scratch("include");
    fs::create_dir_all(dir.join("lib/abstractions")).unwrap();
    fs::write(
        dir.join("lib/abstractions/mine.toml"),
        "[[rule]]\nallow = [\"read\"]\npaths = [\"/srv/**\"]\n",
    )
    .unwrap();
    let p = dir.join("p.toml");
    fs::write(
        &p,
        "[profile.p]\nattach = [\"/p\"]\ninclude = [\"abstractions/mine\"]\n",
    )
    .unwrap();
    let (ok, _, err) = lsmctl(&["check", p.to_str().unwrap()]);
    assert!(!ok && err.contains("no abstractions/mine.toml in"), "{err}");
    let lib = dir.join("lib");
    let (ok, out, err) = lsmctl(&["-I", lib.to_str().unwrap(), "check", p.to_str().unwrap()]);
    assert!(ok && out.contains("profile p"), "{err}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn complain_edits_only_the_mode_and_only_when_the_result_compiles() {
    let dir = scratch("mode");
    let d = dir.to_str().unwrap();
    let web = dir.join("10-web.toml");
    let original = "# the web server\n[profile.web]  # inline comment\nattach = [\"/usr/bin/web\"]\n\n# its tree\n[[profile.web.rule]]\nallow = [\"read\"]\npaths = [\"/srv/**\"]\n";
    fs::write(&web, original).unwrap();
    fs::write(dir.join("notes.txt"), "[profile.web]\n").unwrap();

    // The edit is made and kept; loading fails without a kernel, and says so.
    let (ok, out, err) = lsmctl(&["complain", "web", "--dir", d]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("web: enforce -> complain in {}", web.display())),
        "{out}"
    );
    assert!(err.contains("load via securityfs failed"), "{err}");
    let edited = fs::read_to_string(&web).unwrap();
    assert_eq!(
        edited,
        original.replace(
            "attach = [\"/usr/bin/web\"]\n",
            "attach = [\"/usr/bin/web\"]\nmode = \"complain\"\n"
        )
    );
    let (_, out, _) = lsmctl(&["enforce", "web", "--dir", d]);
    assert!(out.contains("web: complain -> enforce"), "{out}");
    assert!(fs::read_to_string(&web)
        .unwrap()
        .contains("mode = \"enforce\""));

    // Unknown, or defined twice: nothing changes.
    let (ok, _, err) = lsmctl(&["complain", "db", "--dir", d]);
    assert!(
        !ok && err.contains("no file in") && err.contains("defines profile \"db\""),
        "{err}"
    );
    let twice = dir.join("20-web.toml");
    fs::write(&twice, "[profile.web]\nattach = [\"/w\"]\n").unwrap();
    let before = fs::read(&web).unwrap();
    let (ok, _, err) = lsmctl(&["complain", "web", "--dir", d]);
    assert!(!ok && err.contains("is defined in several files"), "{err}");
    assert_eq!(fs::read(&web).unwrap(), before);
    fs::remove_file(&twice).unwrap();

    // A file that does not compile is left as it was.
    let broken = "[profile.web]\nattach = [\"/usr/bin/web\"]\n[[profile.web.rule]]\nallow = [\"reed\"]\npaths = [\"/srv\"]\n";
    fs::write(&web, broken).unwrap();
    let (ok, _, err) = lsmctl(&["complain", "web", "--dir", d]);
    assert!(
        !ok && err.contains(&format!("{}:4:10: unknown access \"reed\"", web.display())),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&web).unwrap(), broken);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn show_and_diff_compare_with_the_loaded_policy() {
    let dir = scratch("show");
    let d = dir.to_str().unwrap();
    let secfs = dir.join("secfs");
    fs::create_dir_all(&secfs).unwrap();
    let web = dir.join("web.toml");
    let text = "# The web server.\n[profile.web]\nattach = [\"/usr/bin/web\"]\ncapabilities = [\"net_bind_service\"]\n";
    fs::write(&web, text).unwrap();
    // What is "loaded": the file compiled, as the kernel's policy file would read it back.
    let policy = secfs.join("policy");
    let (ok, _, err) = lsmctl(&[
        "compile",
        web.to_str().unwrap(),
        "-o",
        policy.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let s = secfs.to_str().unwrap();

    let (ok, out, err) = lsmctl_with(s, &["show", "web", "--dir", d]);
    assert!(ok, "{err}");
    assert!(out.starts_with("profile web (enforce, digest "), "{out}");
    assert!(out.contains("capabilities: net_bind_service"), "{out}");
    assert!(
        out.contains("(compiles to what is loaded)") && out.contains("# The web server."),
        "{out}"
    );
    let (ok, out, _) = lsmctl_with(s, &["diff", web.to_str().unwrap()]);
    assert!(ok && out.contains("web: unchanged"), "{out}");

    fs::write(
        &web,
        text.replace("attach = ", "mode = \"complain\"\nattach = ")
            .replace("net_bind_service", "chown"),
    )
    .unwrap();
    let (ok, out, _) = lsmctl_with(s, &["diff", web.to_str().unwrap()]);
    assert!(
        ok && out.contains("web: would be replaced (digest "),
        "{out}"
    );
    assert!(out.contains("  mode: enforce -> complain"), "{out}");
    assert!(
        out.contains("  capabilities: +chown -net_bind_service"),
        "{out}"
    );
    let (_, out, _) = lsmctl_with(s, &["show", "web", "--dir", d]);
    assert!(
        out.contains("defines it differently from what is loaded"),
        "{out}"
    );
    let (ok, _, err) = lsmctl_with(s, &["show", "db", "--dir", d]);
    assert!(!ok && err.contains("no profile \"db\" is loaded"), "{err}");
    fs::remove_dir_all(&dir).unwrap();
}
