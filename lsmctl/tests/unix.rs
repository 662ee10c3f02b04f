//! The `[profile.NAME.unix]` table and the `connect` access: what they compile to, what the
//! kernel's views then decide, and the located errors.

use lsmctl::profile::compile;
use rustlsm_policy::wire;
use std::path::Path;

fn error(src: &str) -> String {
    compile(Path::new("u.toml"), src)
        .expect_err("must be refused")
        .to_string()
}

const SRC: &str = r#"
[profile.app]
attach = ["/usr/bin/app"]

[[profile.app.rule]]
allow = ["connect"]
paths = ["/run/{dbus,user}/*socket"]

[profile.app.network]
sockets = ["unix"]

[profile.app.unix]
abstract = ["@dbus-*", "@/tmp/.X11-unix/X{0,1}", "@dbus-*"]
peers = ["dbus", "unconfined"]

[profile.dbus]
attach = ["/usr/bin/dbus-daemon"]
"#;

#[test]
fn unix_table_compiles_and_decides() {
    let p = compile(Path::new("u.toml"), SRC).unwrap();
    let app = p.iter().find(|p| p.name == "app").unwrap();
    // `@` stripped, braces expanded, repeats dropped.
    assert_eq!(
        app.unix_abstract,
        vec!["dbus-*", "/tmp/.X11-unix/X0", "/tmp/.X11-unix/X1"]
    );
    assert_eq!(app.unix_peers, vec!["dbus", "unconfined"]);
    let dbus = p.iter().find(|p| p.name == "dbus").unwrap();
    assert!(dbus.unix_abstract.is_empty() && dbus.unix_peers.is_empty());

    let blob = lsmctl::compile(Path::new("u.toml"), SRC).unwrap();
    let app = wire::profiles(&blob).find(|v| v.name() == b"app").unwrap();
    assert!(app.may_connect_abstract(b"dbus-1"));
    assert!(app.may_connect_abstract(b"/tmp/.X11-unix/X1"));
    assert!(!app.may_connect_abstract(b"/tmp/.X11-unix/X2"));
    assert!(
        !app.may_connect_abstract(b"@dbus-1"),
        "the @ is not part of the name"
    );
    assert!(app.may_connect_unix_peer(Some(b"dbus")) && app.may_connect_unix_peer(None));
    assert!(!app.may_connect_unix_peer(Some(b"app")));
    let c = wire::ACCESS_CONNECT;
    assert_eq!(app.refused(b"/run/dbus/system_bus_socket", c), 0);
    assert_eq!(app.refused(b"/run/user/socket", c), 0);
    assert_eq!(app.refused(b"/run/other/socket", c), c);
    assert_eq!(
        app.refused(b"/run/dbus/system_bus_socket", wire::ACCESS_READ),
        wire::ACCESS_READ,
        "connect grants nothing else"
    );
    let dbus = wire::profiles(&blob).find(|v| v.name() == b"dbus").unwrap();
    assert!(!dbus.may_connect_abstract(b"dbus-1") && !dbus.may_connect_unix_peer(None));
}

#[test]
fn connect_is_an_access_name() {
    let src = "[profile.a]\nattach = [\"/a\"]\n[[profile.a.rule]]\ndeny = [\"connect\"]\n\
               paths = [\"/run/x\"]\n";
    let p = compile(Path::new("u.toml"), src).unwrap();
    let rule = p[0].rules.last().unwrap();
    assert_eq!(rule.access, wire::ACCESS_CONNECT);
    assert!(
        error("[profile.a]\n[[profile.a.rule]]\nallow = [\"conect\"]\npaths = [\"/x\"]\n")
            .ends_with("truncate, ioctl, connect")
    );
}

#[test]
fn unix_errors_are_located() {
    let base = "[profile.a]\nattach = [\"/a\"]\n[profile.a.unix]\n";
    assert!(error(&format!("{base}abstract = [\"dbus-*\"]\n"))
        .starts_with("u.toml:4:13: abstract name pattern \"dbus-*\" must start with @"));
    assert!(error(&format!("{base}abstract = [\"@\"]\n"))
        .starts_with("u.toml:4:13: abstract name pattern \"@\" names nothing after the @"));
    assert!(error(&format!("{base}abstract = [\"@{{a,}}\"]\n")).contains("names nothing"));
    let long = "x".repeat(108);
    assert!(error(&format!("{base}abstract = [\"@ok\", \"@{long}\"]\n"))
        .starts_with("u.toml:4:20: abstract name pattern \"@xxx"));
    assert!(error(&format!("{base}abstract = [\"@a\\u0000b\"]\n")).contains("NUL"));
    let many: Vec<String> = (0..65).map(|i| format!("\"@n{i}\"")).collect();
    assert!(error(&format!("{base}abstract = [{}]\n", many.join(", ")))
        .contains("more than 64 abstract name patterns"));
    assert!(error(&format!("{base}abstract = [\"@{{a,b\"]\n")).starts_with("u.toml:4:13:"));
    assert!(error(&format!("{base}peers = [\"ok\", \"not/a/name\"]\n"))
        .starts_with("u.toml:4:16: \"not/a/name\" is neither a profile name nor \"unconfined\""));
    assert!(error(&format!("{base}bogus = 1\n")).contains("unknown field `bogus`"));
    // 107 bytes after the @ is the longest name.
    let longest = "y".repeat(107);
    assert!(compile(
        Path::new("u.toml"),
        &format!("{base}abstract = [\"@{longest}\"]\n")
    )
    .is_ok());
}
