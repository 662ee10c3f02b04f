//! Section 3: what confined tasks pay, under rustlsm profiles of a few and of many rules,
//! under the equivalent AppArmor profiles, and in a Landlock domain with the same rights.
//!
//! Each confinement applies to its own copy of the bench binary (profiles attach by path),
//! so only one LSM confines any given child; the others see an unconfined task.

use crate::child::{workloads, Start};
use crate::load;
use crate::matrix::{self, Case};
use crate::policy;
use crate::report::{self, Row};
use crate::runner::run;
use crate::{Options, APPARMOR_PARSER, BENCH, LSMCTL, SANDBOXER, SECFS};
use std::fs;
use std::path::Path;
use std::process::Command;

/// A copy of the bench binary at `path`, for a profile to attach to.
fn copy_bench(path: &str) -> Result<(), String> {
    fs::copy(BENCH, path)
        .map(drop)
        .map_err(|e| format!("copy to {path}: {e}"))
}

fn rustlsm_case(n: usize) -> Result<String, String> {
    let bin = policy::binary("rustlsm", n);
    copy_bench(&bin)?;
    let toml = policy::file("rustlsm", n, 0, "toml");
    let profile = policy::rustlsm_profile(&policy::name("rustlsm", n), &bin, n, 0);
    fs::write(&toml, profile).map_err(|e| e.to_string())?;
    run(Command::new(LSMCTL).args(["load", &toml]))?;
    Ok(bin)
}

/// Loads the policy the load section compiled when there is one: compiling 10,000 AppArmor
/// rules once more would take minutes under TCG.
fn apparmor_case(n: usize) -> Result<String, String> {
    let bin = policy::binary("apparmor", n);
    copy_bench(&bin)?;
    if let Ok(compiled) = fs::read(policy::file("apparmor", n, 0, "bin")) {
        load::securityfs_write(&format!("{SECFS}/apparmor/.replace"), &compiled)?;
        return Ok(bin);
    }
    let file = policy::file("apparmor", n, 0, "profile");
    let profile = policy::apparmor_profile(&policy::name("apparmor", n), &bin, n, 0);
    fs::write(&file, profile).map_err(|e| e.to_string())?;
    run(Command::new(APPARMOR_PARSER).args(["-r", "-K", &file]))?;
    Ok(bin)
}

pub fn section(rule_counts: &[usize], opts: &Options) {
    println!("confined tasks (nanoseconds per iteration)");
    let loops = workloads(opts.fs_iters, opts.net_iters);
    let mut cases = vec![Case {
        name: "unconfined".into(),
        start: Start::Direct(BENCH.into()),
        confined: false,
    }];
    let mut failed = Vec::new();
    if let Err(e) = fs::create_dir_all(policy::WORK) {
        println!("cannot create {}: {e}", policy::WORK);
        return;
    }
    for &n in rule_counts {
        match rustlsm_case(n) {
            Ok(bin) => cases.push(Case {
                name: format!("rustlsm {n} rules"),
                start: Start::Direct(bin),
                confined: true,
            }),
            Err(e) => failed.push((format!("rustlsm {n} rules"), e)),
        }
    }
    for &n in rule_counts {
        match apparmor_case(n) {
            Ok(bin) => cases.push(Case {
                name: format!("apparmor {n} rules"),
                start: Start::Direct(bin),
                confined: true,
            }),
            Err(e) => failed.push((format!("apparmor {n} rules"), e)),
        }
    }
    if Path::new(SANDBOXER).exists() {
        cases.push(Case {
            name: "landlock (sandboxer)".into(),
            start: Start::Landlock {
                sandboxer: SANDBOXER.into(),
                bench: BENCH.into(),
            },
            confined: true,
        });
    } else {
        failed.push((
            "landlock (sandboxer)".into(),
            format!("{SANDBOXER} is missing (run through scripts/bench.sh)"),
        ));
    }
    for (case, why) in &failed {
        for w in &loops {
            let row = Row {
                section: "confined",
                case,
                param: &w.label,
                unit: "ns",
            };
            report::fail(&row, why);
        }
    }
    matrix::measure("confined", &cases, &loops, opts.runs);
}
