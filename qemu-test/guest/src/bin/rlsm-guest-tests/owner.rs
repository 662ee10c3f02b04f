//! `owner` rules (access.rs `Decision::for_owner`, path.rs `Target::owned_by`): what they
//! allow holds for a file whose owner is the task's filesystem user ID, and for files the
//! task creates. A rename or link needs the moved or linked file owned, and a rename the
//! replaced one too. A kept decision carries no user's ownership to another user, nor past
//! a `chown`.

use crate::harness::{kernel_log, lsmctl, output, run};
use crate::{check, Outcome, Suite, FREE_PROBE, LSMCTL};
use std::fs;
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

const OWNER_PROBE: &str = "/usr/bin/rlsm-probe-owner";
const DIR: &str = "/tmp/owner";
/// The user the probe runs as, and another one.
const USER: u32 = 1000;
const OTHER: u32 = 2000;
const HARDLINKS: &str = "/proc/sys/fs/protected_hardlinks";
const SAVED_HARDLINKS: &str = "/tmp/owner-protected-hardlinks";

const OWNER_PROFILE: &str = r#"
[profile.owner]
attach = ["/usr/bin/rlsm-probe-owner"]

[[profile.owner.rule]]
allow = ["read", "write", "create", "delete", "rename", "link"]
paths = ["/tmp/owner/**"]
owner = true

[[profile.owner.rule]]
allow = ["read"]
paths = ["/tmp/owner/public"]

[[profile.owner.rule]]
deny = ["write"]
paths = ["/tmp/owner/prot*"]
"#;

/// The errno of the owner probe running `args` as user `uid` (0 = success).
fn probe_as(uid: u32, args: &[&str]) -> i32 {
    output(
        Command::new(OWNER_PROBE)
            .args(args)
            .uid(uid)
            .gid(uid)
            .stdin(Stdio::piped()),
    )
    .0
}

/// Makes `DIR/name` with `owner` as its owner, readable and writable by everyone, so that
/// only rustlsm tells owners apart.
fn file_of(name: &str, owner: u32) -> Result<String, String> {
    let path = format!("{DIR}/{name}");
    fs::write(&path, "x\n").map_err(|e| format!("{path}: {e}"))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).map_err(|e| e.to_string())?;
    chown(&path, Some(owner), Some(owner)).map_err(|e| format!("chown {path}: {e}"))?;
    Ok(path)
}

fn expect(what: &str, got: i32, want: i32) -> Outcome {
    check(got == want, || {
        format!("{what}: errno {got}, expected {want}")
    })
}

pub(crate) fn run_cases(s: &mut Suite) {
    s.case("owner: load a profile with an owner rule", || {
        fs::copy(FREE_PROBE, OWNER_PROBE).map_err(|e| format!("{OWNER_PROBE}: {e}"))?;
        fs::create_dir_all(DIR).map_err(|e| e.to_string())?;
        // World-writable and not sticky: the kernel's own permission checks let any user
        // remove and rename here.
        fs::set_permissions(DIR, fs::Permissions::from_mode(0o777)).map_err(|e| e.to_string())?;
        // Hard links to others' files are left to rustlsm (the kernel's default; the setting
        // is put back at the end).
        let setting = fs::read_to_string(HARDLINKS).map_err(|e| e.to_string())?;
        fs::write(SAVED_HARDLINKS, setting).map_err(|e| e.to_string())?;
        fs::write(HARDLINKS, "0").map_err(|e| e.to_string())?;
        fs::write("/tmp/owner.toml", OWNER_PROFILE).map_err(|e| e.to_string())?;
        lsmctl(&["load", "/tmp/owner.toml"])?;
        let (code, out) = run(LSMCTL, &["show", "owner"]);
        check(code == 0 && out.contains("owner rules:"), || {
            format!("lsmctl show owner: {code}: {out}")
        })
    });
    s.case(
        "owner: a user reads and writes its own files only; root is just another user",
        || {
            let mine = file_of("mine", USER)?;
            let theirs = file_of("theirs", OTHER)?;
            let roots = file_of("roots", 0)?;
            let public = file_of("public", OTHER)?;
            // Refusals that say the owner rules would allow it to the file's owner.
            let denials = |path: &str| {
                let object = format!("path=\"{path}\" requested=r denied=r owner_only=r");
                kernel_log()
                    .lines()
                    .filter(|l| l.contains("profile=\"owner\"") && l.contains(&object))
                    .count()
            };
            let logged = denials(&theirs);
            expect("own file rw", probe_as(USER, &["open", &mine, "rw"]), 0)?;
            expect(
                "another's file r",
                probe_as(USER, &["open", &theirs, "r"]),
                libc::EACCES,
            )?;
            expect(
                "root's file w",
                probe_as(USER, &["open", &roots, "w"]),
                libc::EACCES,
            )?;
            // A plain rule still grants what it grants, whoever owns the file.
            expect("public r", probe_as(USER, &["open", &public, "r"]), 0)?;
            expect(
                "public w",
                probe_as(USER, &["open", &public, "w"]),
                libc::EACCES,
            )?;
            // Root's fsuid owns root's files, not the user's.
            expect("root: root's file", probe_as(0, &["open", &roots, "rw"]), 0)?;
            expect(
                "root: user's file",
                probe_as(0, &["open", &mine, "r"]),
                libc::EACCES,
            )?;
            check(denials(&theirs) > logged, || {
                "the refusal of another's file was not logged as for the owner only".into()
            })?;
            let (code, out) = run(LSMCTL, &["log", "-p", "owner"]);
            check(
                code == 0 && out.contains("/tmp/owner/theirs (r; r for the file's owner only)"),
                || format!("lsmctl log: {code}: {out}"),
            )
        },
    );
    s.case(
        "owner: a kept decision holds for no other user, and not past a chown",
        || {
            let shared = file_of("shared", USER)?;
            // The first open keeps a decision on the file; the next ones may be settled by it.
            expect("owner opens", probe_as(USER, &["open", &shared, "r"]), 0)?;
            expect(
                "other user",
                probe_as(OTHER, &["open", &shared, "r"]),
                libc::EACCES,
            )?;
            expect("owner again", probe_as(USER, &["open", &shared, "r"]), 0)?;
            chown(&shared, Some(OTHER), Some(OTHER)).map_err(|e| e.to_string())?;
            expect(
                "old owner",
                probe_as(USER, &["open", &shared, "r"]),
                libc::EACCES,
            )?;
            expect("new owner", probe_as(OTHER, &["open", &shared, "r"]), 0)
        },
    );
    s.case(
        "owner: creating counts as owning; removing, renaming and linking need the file owned",
        || {
            let created = format!("{DIR}/created-by-user");
            expect("create", probe_as(USER, &["create", &created]), 0)?;
            expect("write created", probe_as(USER, &["open", &created, "w"]), 0)?;
            // An O_TMPFILE file is the task's own too, and may be named with linkat().
            let named = format!("{DIR}/tmpfile-named");
            let args = ["setid-tmpfile", DIR, &named, "644"];
            expect("O_TMPFILE, linkat", probe_as(USER, &args), 0)?;
            let owner = std::os::unix::fs::MetadataExt::uid(
                &fs::metadata(&named).map_err(|e| format!("{named}: {e}"))?,
            );
            check(owner == USER, || format!("{named} is owned by {owner}"))?;
            let theirs = file_of("theirs-2", OTHER)?;
            let mine = file_of("mine-2", USER)?;
            let moved = format!("{DIR}/moved");
            expect(
                "unlink another's",
                probe_as(USER, &["unlink", &theirs]),
                libc::EACCES,
            )?;
            expect(
                "rename another's",
                probe_as(USER, &["rename", &theirs, &moved]),
                libc::EACCES,
            )?;
            expect(
                "rename over another's",
                probe_as(USER, &["rename", &mine, &theirs]),
                libc::EACCES,
            )?;
            let linked = format!("{DIR}/linked");
            expect(
                "link another's",
                probe_as(USER, &["link", &theirs, &linked]),
                libc::EACCES,
            )?;
            check(fs::metadata(&theirs).is_ok(), || {
                format!("{theirs} is gone")
            })?;
            expect("link own", probe_as(USER, &["link", &mine, &linked]), 0)?;
            // An owned file the profile keeps from writing gets no writable name.
            let prot = file_of("prot-1", USER)?;
            let free = format!("{DIR}/free-1");
            expect(
                "link own protected",
                probe_as(USER, &["link", &prot, &free]),
                libc::EACCES,
            )?;
            expect("rename own", probe_as(USER, &["rename", &mine, &moved]), 0)?;
            expect("unlink own", probe_as(USER, &["unlink", &moved]), 0)
        },
    );
    s.case("owner: remove the profile", || {
        let setting = fs::read_to_string(SAVED_HARDLINKS).map_err(|e| e.to_string())?;
        fs::write(HARDLINKS, setting).map_err(|e| e.to_string())?;
        lsmctl(&["remove", "owner"])
    });
}
