//! Warnings: rules that compile but can never take effect are reported, located, and the
//! policy still compiles; `--deny-warnings` (`-D`) makes them errors.

mod common;

use common::lsmctl;
use lsmctl::{Warning, WarningKind};
use std::path::{Path, PathBuf};

fn warnings(src: &str) -> Vec<Warning> {
    let (_, compiled) = lsmctl::compile_checked(Path::new("w.toml"), src).expect("compiles");
    compiled.warnings
}

fn shown(src: &str) -> Vec<String> {
    warnings(src).iter().map(ToString::to_string).collect()
}

#[test]
fn a_complete_profile_has_no_warning() {
    let src = r#"
[profile.app]
attach = ["/usr/bin/app"]
signal = ["app", "dbus", "unconfined"]
ptrace = ["dbus"]

[[profile.app.rule]]
allow = ["connect"]
paths = ["/run/dbus/*"]

[profile.app.network]
sockets = ["unix", "inet6:dgram"]

[[profile.app.network.rule]]
allow = ["send"]
protocol = "udp"

[profile.app.unix]
abstract = ["@x"]
peers = ["dbus", "unconfined"]

[profile.dbus]
attach = ["/usr/bin/dbus-daemon"]
"#;
    assert!(warnings(src).is_empty(), "{:?}", shown(src));
}

#[test]
fn profile_without_attachments() {
    let w = shown("[profile.a]\n\n[profile.b]\nattach = [\"/b\"]\n");
    assert_eq!(w.len(), 1);
    assert!(
        w[0].starts_with("w.toml:1:1: warning: profile \"a\" has no `attach`"),
        "{w:?}"
    );
}

#[test]
fn network_rules_without_an_inet_socket() {
    let rule = "[[profile.a.network.rule]]\nallow = [\"connect\"]\nprotocol = \"tcp\"\n";
    for sockets in ["", "sockets = [\"unix\"]\n"] {
        let src = format!("[profile.a]\nattach = [\"/a\"]\n[profile.a.network]\n{sockets}{rule}");
        let w = warnings(&src);
        assert_eq!(w.len(), 1, "{sockets}");
        assert_eq!(w[0].kind, WarningKind::NetworkWithoutSockets);
        assert!(w[0].to_string().contains("allows no inet or inet6 socket"));
        let line = if sockets.is_empty() { 4 } else { 5 };
        assert_eq!((w[0].diagnostic.line, w[0].diagnostic.column), (line, 1));
    }
    let ok = "[profile.a]\nattach = [\"/a\"]\n[profile.a.network]\nsockets = [\"inet\"]\n";
    assert!(warnings(&format!("{ok}{rule}")).is_empty());
    // Sockets without rules are fine: a socket may be used without endpoint rules (unix).
    assert!(warnings(ok).is_empty());
}

#[test]
fn unix_rules_without_a_unix_socket() {
    let base = "[profile.a]\nattach = [\"/a\"]\n";
    let table = format!("{base}[profile.a.unix]\nabstract = [\"@x\"]\n");
    let w = warnings(&table);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind, WarningKind::UnixWithoutSockets);
    assert_eq!((w[0].diagnostic.line, w[0].diagnostic.column), (3, 1));
    let peers = format!("{base}[profile.a.unix]\npeers = [\"unconfined\"]\n");
    assert_eq!(warnings(&peers)[0].kind, WarningKind::UnixWithoutSockets);
    let connect = format!(
        "{base}[[profile.a.rule]]\nallow = [\"read\", \"connect\"]\npaths = [\"/run/s\"]\n"
    );
    let w = warnings(&connect);
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].diagnostic.line, w[0].diagnostic.column), (4, 18));
    // A deny of connect is no rule that fails to take effect; an empty table allows nothing.
    let deny = format!("{base}[[profile.a.rule]]\ndeny = [\"connect\"]\npaths = [\"/run/s\"]\n");
    assert!(warnings(&deny).is_empty());
    assert!(warnings(&format!("{base}[profile.a.unix]\n")).is_empty());
    let with_socket = format!("{table}[profile.a.network]\nsockets = [\"unix:stream\"]\n");
    assert!(warnings(&with_socket).is_empty());
}

#[test]
fn peers_not_defined_in_the_file() {
    let src = "[profile.a]\nattach = [\"/a\"]\nsignal = [\"a\", \"ghost\", \"unconfined\"]\n\
               ptrace = [\"spook\"]\n[profile.a.network]\nsockets = [\"unix\"]\n\
               [profile.a.unix]\npeers = [\"phantom\", \"a\"]\n";
    let w = warnings(src);
    let peers: Vec<(&WarningKind, usize, usize)> = w
        .iter()
        .map(|w| (&w.kind, w.diagnostic.line, w.diagnostic.column))
        .collect();
    assert_eq!(
        peers,
        vec![
            (&WarningKind::UnknownPeer("ghost".into()), 3, 16),
            (&WarningKind::UnknownPeer("spook".into()), 4, 11),
            (&WarningKind::UnknownPeer("phantom".into()), 8, 10),
        ]
    );
    assert!(w[0]
        .to_string()
        .contains("peer \"ghost\" is not a profile of this file"));
}

/// A scratch directory for the command-line tests.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lsmctl-warnings-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn command_line_prints_warnings_and_deny_warnings_refuses() {
    let dir = scratch("cli");
    let a = dir.join("a.toml");
    let b = dir.join("b.toml");
    std::fs::write(&a, "[profile.a]\nattach = [\"/a\"]\nsignal = [\"b\"]\n").unwrap();
    std::fs::write(
        &b,
        "[profile.b]\nattach = [\"/b\"]\n\n[profile.a]\nattach = [\"/a2\"]\n",
    )
    .unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());

    // Alone, a.toml names a peer it does not define: a warning, and it still compiles.
    let (ok, out, err) = lsmctl(&["check", a]);
    assert!(ok && out.contains("profile a"), "{err}");
    assert!(
        err.contains(&format!("{a}:3:11: warning: profile \"a\": peer \"b\"")),
        "{err}"
    );
    let (ok, _, err) = lsmctl(&["check", "-D", a]);
    assert!(
        !ok && err.contains("1 warning(s), treated as errors"),
        "{err}"
    );
    let (ok, _, _) = lsmctl(&["--deny-warnings", "check", a]);
    assert!(!ok);
    let out_file = dir.join("a.bin");
    let (ok, _, _) = lsmctl(&["compile", a, "-o", out_file.to_str().unwrap(), "-D"]);
    assert!(
        !ok && !out_file.exists(),
        "nothing is written when warnings are errors"
    );
    let (ok, _, _) = lsmctl(&["compile", a, "-o", out_file.to_str().unwrap()]);
    assert!(ok && out_file.exists());

    // Together, b.toml defines the peer, but also defines "a" a second time.
    let (ok, _, err) = lsmctl(&["check", a, b]);
    assert!(ok, "{err}");
    assert!(!err.contains("peer \"b\""), "{err}");
    assert!(
        err.contains(&format!(
            "{b}:4:1: warning: profile \"a\" is also defined in {a}"
        )),
        "{err}"
    );
    let (ok, _, err) = lsmctl(&["check", a, b, "-D"]);
    assert!(!ok && err.contains("1 warning(s)"), "{err}");
    // A clean file passes with -D.
    let (ok, _, err) = lsmctl(&["check", "-D", b]);
    assert!(ok && err.is_empty(), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
