//! What a sandbox's path rules allow: reading, writing and executing by class, deny rules
//! inside allowed trees, globs, paths that do not exist yet, a dynamically linked program
//! with its libraries, a shell and its children, and files opened before the sandbox.

use super::{expect, expect_refused, sandbox_lines, BIN, DIR};
use crate::{check, Suite};

pub(super) const CASES: u32 = 14;

pub(super) fn run(s: &mut Suite) {
    let tree = format!("{DIR}/tree");
    let public = format!("{tree}/pub.txt");
    let secret = format!("{tree}/secret/key");
    let other = format!("{DIR}/other.txt");
    let work = format!("{DIR}/work");

    s.case("sandbox: cat reads a file under --ro", || {
        let out = expect(&["--rox", BIN, "--ro", &tree], &["cat", &public], 0)?;
        check(out.contains("public"), || format!("cat printed {out:?}"))
    });
    s.case(
        "sandbox: a file outside every rule is refused, and logged",
        || {
            let out = expect_refused(&["--rox", BIN, "--ro", &tree], &["cat", &other])?;
            check(out.contains("Permission denied"), || {
                format!("cat said {out:?}")
            })?;
            let lines = sandbox_lines(&format!("path=\"{other}\""));
            check(
                lines
                    .iter()
                    .any(|l| l.contains("DENIED sandbox=") && l.contains("op=open")),
                || format!("no DENIED sandbox= line for {other}: {lines:?}"),
            )
        },
    );
    s.case(
        "sandbox: --deny refuses a directory inside an allowed tree",
        || {
            let sandbox = [
                "--rox",
                BIN,
                "--ro",
                &tree,
                "--deny",
                &format!("{tree}/secret"),
            ];
            expect_refused(&sandbox, &["cat", &secret])?;
            expect_refused(&sandbox, &["ls", &format!("{tree}/secret")])?;
            expect(&sandbox, &["cat", &public], 0).map(drop)
        },
    );
    s.case("sandbox: a glob allows what it matches only", || {
        let sandbox = ["--rox", BIN, "--ro", &format!("{tree}/*.txt")];
        expect(&sandbox, &["cat", &public], 0)?;
        expect_refused(&sandbox, &["cat", &format!("{tree}/data.log")]).map(drop)
    });
    s.case("sandbox: --rw creates and removes, --ro does not", || {
        let file = format!("{work}/new");
        expect(&["--rox", BIN, "--ro", &work], &["touch", &file], 1)?;
        expect(&["--rox", BIN, "--rw", &work], &["touch", &file], 0)?;
        expect(&["--rox", BIN, "--ro", &work], &["rm", &file], 1)?;
        expect(&["--rox", BIN, "--rw", &work], &["rm", &file], 0).map(drop)
    });
    s.case(
        "sandbox: a directory above a --deny cannot be renamed away",
        || {
            let cfg = format!("{work}/cfg");
            std::fs::create_dir_all(&cfg).map_err(|e| e.to_string())?;
            std::fs::write(format!("{cfg}/token"), "t\n").map_err(|e| e.to_string())?;
            std::os::unix::fs::chown(&cfg, Some(super::NOBODY), Some(super::NOBODY))
                .map_err(|e| e.to_string())?;
            let sandbox = [
                "--rox",
                BIN,
                "--rw",
                &work,
                "--deny",
                &format!("{cfg}/token"),
            ];
            expect_refused(&sandbox, &["mv", &cfg, &format!("{work}/moved")])?;
            expect_refused(&sandbox, &["cat", &format!("{cfg}/token")])?;
            // Other renames in the tree still work.
            let script = format!("echo x > {work}/a && mv {work}/a {work}/b && rm {work}/b");
            expect(&sandbox, &["sh", "-c", &script], 0).map(drop)
        },
    );
    s.case(
        "sandbox: a path that does not exist yet can be granted",
        || {
            let later = format!("{DIR}/later-{}", std::process::id());
            let script = format!("mkdir {later} && echo x > {later}/f && cat {later}/f");
            let out = expect(&["--rox", BIN, "--rw", &later], &["sh", "-c", &script], 0)?;
            check(out.trim() == "x", || format!("the script printed {out:?}"))
        },
    );
    s.case(
        "sandbox: a relative path is taken from the current directory",
        || {
            // lsmctl runs in / here: `tmp/sb/tree` is /tmp/sb/tree.
            expect(&["--rox", BIN, "--ro", "tmp/sb/tree"], &["cat", &public], 0).map(drop)
        },
    );
    s.case(
        "sandbox: a dynamically linked program runs with its libraries",
        || {
            let dyn_cat = "/usr/bin/rlsm-dyn-cat";
            let libs = "/lib,/lib64";
            let out = expect(
                &["--rox", dyn_cat, "--rox", libs, "--ro", &tree],
                &[dyn_cat, &public],
                0,
            )?;
            check(out.contains("public"), || {
                format!("{dyn_cat} printed {out:?}")
            })?;
            // Without its libraries the loader cannot be mapped: the exec itself fails.
            let out = expect(&["--rox", dyn_cat, "--ro", &tree], &[dyn_cat, &public], 126)?;
            check(out.contains("--rox"), || format!("no hint in {out:?}"))
        },
    );
    s.case(
        "sandbox: a program the sandbox may not execute is refused with a hint",
        || {
            let out = expect(&["--ro", BIN], &["cat", &public], 126)?;
            check(out.contains("--rox"), || format!("no hint in {out:?}"))
        },
    );
    s.case(
        "sandbox: a shell and every child it starts stay sandboxed",
        || {
            let sandbox = ["--rox", BIN, "--ro", &tree];
            let nested = format!("sh -c 'cat {public}' && sh -c 'cat {other}'");
            let out = expect_refused(&sandbox, &["sh", "-c", &nested])?;
            check(out.contains("public"), || {
                format!("the allowed read failed: {out:?}")
            })
        },
    );
    s.case(
        "sandbox: a file opened before the sandbox stays usable",
        || {
            // The shell opens other.txt outside the sandbox, as a terminal is: cat reads its
            // standard input, which the sandbox did not open.
            let script = format!("exec {} run --rox {BIN} -- cat < {other}", crate::LSMCTL);
            let out = super::as_nobody_shell(&script)?;
            check(out.contains("other"), || format!("cat printed {out:?}"))
        },
    );
    s.case(
        "sandbox: /dev/null and friends work in every sandbox, unless denied",
        || {
            let script = "echo x > /dev/null && head -c 4 /dev/urandom > /dev/null";
            expect(&["--rox", BIN], &["sh", "-c", script], 0)?;
            expect_refused(
                &["--rox", BIN, "--deny", "/dev/null"],
                &["sh", "-c", script],
            )
            .map(drop)
        },
    );
    s.case("sandbox: --complain reports without refusing", || {
        let out = expect(&["--complain", "--rox", BIN], &["cat", &other], 0)?;
        check(out.contains("other"), || format!("cat printed {out:?}"))?;
        let lines = sandbox_lines(&format!("path=\"{other}\""));
        check(lines.iter().any(|l| l.contains("ALLOWED sandbox=")), || {
            format!("no ALLOWED sandbox= line for {other}: {lines:?}")
        })
    });
}
