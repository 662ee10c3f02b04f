//! The end-to-end suite, run as root inside the test VM (see qemu-test/run).
//!
//! Every case drives the real kernel through the real tools: profiles are loaded with
//! `lsmctl`, confinement is observed through `rlsm-probe`'s exit status (an errno), and
//! refusals are checked by errno, kernel log and an unchanged policy listing. The last line
//! is `N passed, N failed (expected M)`; the exit status is non-zero when anything failed or
//! the number of cases run is not the number the code registers (M).
//!
//! The cases live in one module per family of hooks, as the kernel sources do (files.rs for
//! file.rs and path_ops.rs, tasks.rs for task.rs, ...); this file is the runner and runs the
//! families in order.

mod ask;
mod ask_exec;
mod ask_network;
mod ask_sandbox;
mod attr;
mod boot;
mod capabilities;
mod escapes;
mod exec;
mod files;
mod harness;
mod hostile;
mod kunit;
mod modes;
mod mount;
mod network;
mod owner;
mod policy_loading;
mod policy_refusals;
mod privilege;
mod proc_self;
mod programs;
mod qualifiers;
mod registration;
mod repeats;
mod report;
mod sandbox;
mod tasks;

use harness::{compiled, run};

const LSMCTL: &str = "/usr/bin/lsmctl";
/// The confined probe: demo.toml attaches to this path.
const PROBE: &str = "/usr/bin/rlsm-probe";
/// The same binary at a path no profile claims.
const FREE_PROBE: &str = "/bin/rlsm-probe-free";
const SECFS: &str = "/sys/kernel/security/rustlsm";
const DEMO: &str = "/etc/rustlsm/demo.toml";

type Outcome = Result<(), String>;

/// The cases a full run registers, and those of the parts run alone or counted on their own
/// (hostile.rs and privilege.rs keep theirs). A run of any other number fails, so a dropped
/// case or an early return is seen: update these with the cases.
const EXPECTED_CASES: u32 = 652;
const EXPECTED_PROGRAMS: u32 = 41;
const EXPECTED_ESCAPES: u32 = 171;
/// The escape classes repeated inside sandboxes (escapes::run_sandboxed).
const EXPECTED_ESCAPES_SANDBOXED: u32 = 111;

struct Suite {
    passed: u32,
    failed: u32,
    /// Parts that ran another number of cases than they register.
    miscounted: Vec<String>,
    /// Put before each case's name: the setting a part runs its cases in again.
    prefix: &'static str,
}

impl Suite {
    fn ran(&self) -> u32 {
        self.passed + self.failed
    }

    /// Runs one part of the suite, which must register `expected` cases.
    fn part(&mut self, name: &str, expected: u32, f: impl FnOnce(&mut Self)) {
        let before = self.ran();
        f(self);
        let ran = self.ran() - before;
        if ran != expected {
            self.miscounted
                .push(format!("{name} ran {ran} cases, expected {expected}"));
        }
    }

    /// Prints the totals and exits: 0 only if nothing failed and `expected` cases ran.
    fn finish(mut self, expected: u32) -> ! {
        if self.ran() != expected {
            self.miscounted.push(format!(
                "the suite ran {} cases, expected {expected}",
                self.ran()
            ));
        }
        for m in &self.miscounted {
            println!("FAIL - case count: {m}");
        }
        println!(
            "{} passed, {} failed (expected {expected})",
            self.passed, self.failed
        );
        let ok = self.failed == 0 && self.miscounted.is_empty();
        std::process::exit(if ok { 0 } else { 1 });
    }

    /// One case per row: `probe ARGS...` must end with the row's errno (0: success).
    fn table(&mut self, probe: &str, rows: &[(&str, &[&str], i32)]) {
        for (what, args, errno) in rows {
            self.case(what, || {
                let (got, out) = run(probe, args);
                check(got == *errno, || {
                    format!(
                        "{} -> errno {got}, expected {errno} {}",
                        args.join(" "),
                        out.trim()
                    )
                })
            });
        }
    }

    fn case(&mut self, name: &str, f: impl FnOnce() -> Outcome) {
        match f() {
            Ok(()) => {
                self.passed += 1;
                println!("ok - {}{name}", self.prefix);
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL - {}{name}: {why}", self.prefix);
            }
        }
    }
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Outcome {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

fn main() {
    let mut s = Suite {
        passed: 0,
        failed: 0,
        miscounted: Vec::new(),
        prefix: "",
    };
    // `rlsm-guest-tests boot` runs the cases of a VM booted with a profile directory.
    if std::env::args().nth(1).as_deref() == Some("boot") {
        s.part("boot", boot::CASES, boot::run_boot);
        s.finish(boot::CASES);
    }
    // `rlsm-guest-tests programs` runs only the real-program cases.
    if std::env::args().nth(1).as_deref() == Some("programs") {
        programs::run(&mut s);
        s.finish(EXPECTED_PROGRAMS);
    }
    // `rlsm-guest-tests sandbox` runs only the sandbox cases.
    if std::env::args().nth(1).as_deref() == Some("sandbox") {
        s.part("sandbox", sandbox::CASES, sandbox::run);
        s.finish(sandbox::CASES);
    }
    // `rlsm-guest-tests escapes-sandboxed` runs only the escape suite inside sandboxes.
    if std::env::args().nth(1).as_deref() == Some("escapes-sandboxed") {
        s.part(
            "escapes in sandboxes",
            EXPECTED_ESCAPES_SANDBOXED,
            escapes::run_sandboxed,
        );
        s.finish(EXPECTED_ESCAPES_SANDBOXED);
    }
    // `rlsm-guest-tests ask` runs only the ask cases.
    if std::env::args().nth(1).as_deref() == Some("ask") {
        s.part("ask", ask::CASES, ask::run);
        s.part("run --ask", ask_sandbox::CASES, ask_sandbox::run);
        s.part("ask network", ask_network::CASES, ask_network::run);
        s.part("ask exec", ask_exec::CASES, ask_exec::run);
        s.finish(ask::CASES + ask_sandbox::CASES + ask_network::CASES + ask_exec::CASES);
    }
    // `rlsm-guest-tests escapes` runs only the escape suite.
    if std::env::args().nth(1).as_deref() == Some("escapes") {
        escapes::run(&mut s);
        s.finish(EXPECTED_ESCAPES);
    }

    kunit::run(&mut s);
    registration::run(&mut s);
    policy_loading::first_load(&mut s);
    files::demo(&mut s);
    exec::confined(&mut s);
    modes::run(&mut s);
    qualifiers::run_cases(&mut s);
    owner::run_cases(&mut s);
    s.part("ask", ask::CASES, ask::run);
    s.part("run --ask", ask_sandbox::CASES, ask_sandbox::run);
    s.part("ask network", ask_network::CASES, ask_network::run);
    s.part("ask exec", ask_exec::CASES, ask_exec::run);
    repeats::run_cases(&mut s);
    files::breadth(&mut s);
    proc_self::run_cases(&mut s);
    tasks::load_profiles(&mut s);
    capabilities::run(&mut s);
    tasks::run(&mut s);
    mount::run(&mut s);
    exec::transitions(&mut s);
    attr::run(&mut s);
    exec::remove_launcher(&mut s);
    tasks::remove_profiles(&mut s);
    network::run(&mut s);
    policy_loading::each_interface(&mut s);

    // Hostile input: load demo, then throw bad requests at both interfaces; each must get
    // its documented errno and leave the policy byte-identical.
    let (valid, baseline) = policy_refusals::load_demo(&mut s);
    match compiled(hostile::SMALL_PROFILE, "small") {
        Ok(small) => s.part("hostile", hostile::CASES, |s| hostile::run(s, &small)),
        Err(e) => s.case("compile the small profile", || Err(e)),
    }
    policy_refusals::interfaces(&mut s, &valid, &baseline);
    s.part("privilege", privilege::CASES, |s| privilege::run(s, &valid));
    s.part("sandbox", sandbox::CASES, sandbox::run);
    policy_refusals::explained(&mut s, &valid);
    // Before the rate-limit flood, whose window would swallow these cases' denial lines.
    s.part("programs", EXPECTED_PROGRAMS, programs::run);
    report::run(&mut s);

    s.part("escapes", EXPECTED_ESCAPES, escapes::run);
    s.part(
        "escapes in sandboxes",
        EXPECTED_ESCAPES_SANDBOXED,
        escapes::run_sandboxed,
    );

    s.finish(EXPECTED_CASES);
}
