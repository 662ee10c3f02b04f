//! The cost of one file-rules decision, measured natively in userspace on the kernel's own
//! lookup code (`security-rustlsm/file_dfa.rs`, compiled into `rustlsm-policy`): profiles of
//! 10 and 10,000 rules, the paths `make bench` opens in the guest (depths 2, 8 and 32).
//! Prints nanoseconds per lookup and per path byte; `make bench` records the output.
//!
//! `cargo run --release -p lsmctl --example match_cost`

use rustlsm_policy::wire::{self, ACCESS_READ};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

/// Lookups per measurement; each figure is the median of [`ROUNDS`] measurements.
const LOOKUPS: u32 = 200_000;
const ROUNDS: usize = 7;

/// A profile like the bench's: one rule covering the tree, the rest on sibling subtrees.
fn profile(rules: usize) -> String {
    let mut toml = String::from(
        "[profile.m]\nattach = [\"/usr/bin/m\"]\n\
         [[profile.m.rule]]\nallow = [\"read\"]\npaths = [\"/bench/**\"]\n",
    );
    for i in 1..rules {
        toml += &format!(
            "[[profile.m.rule]]\nallow = [\"read\", \"write\"]\npaths = [\"/bench/f{i}/**\"]\n"
        );
    }
    toml
}

/// `/bench/l01/.../file`, `depth` components.
fn path_at(depth: usize) -> String {
    let mut path = String::from("/bench");
    for i in 1..depth.saturating_sub(1) {
        path += &format!("/l{i:02}");
    }
    path + "/file"
}

fn main() -> Result<(), String> {
    println!("rules\tdepth\tpath bytes\tns/lookup\tns/byte");
    for rules in [10, 10_000] {
        let blob = lsmctl::compile(Path::new("match_cost.toml"), &profile(rules))
            .map_err(|e| e.to_string())?;
        wire::verify(&blob).map_err(|e| format!("{e:?}"))?;
        let view = wire::profiles(&blob).next().ok_or("no profile")?;
        for depth in [2, 8, 32] {
            let path = path_at(depth);
            if view.refused(path.as_bytes(), ACCESS_READ) != 0 {
                return Err(format!("{path} is refused: the walk would stop early"));
            }
            let mut samples: Vec<f64> = (0..ROUNDS)
                .map(|_| {
                    let start = Instant::now();
                    for _ in 0..LOOKUPS {
                        black_box(view.refused(black_box(path.as_bytes()), ACCESS_READ));
                    }
                    start.elapsed().as_nanos() as f64 / f64::from(LOOKUPS)
                })
                .collect();
            samples.sort_by(f64::total_cmp);
            let ns = samples[ROUNDS / 2];
            println!(
                "{rules}\t{depth}\t{}\t{ns:.0}\t{:.2}",
                path.len(),
                ns / path.len() as f64
            );
        }
    }
    Ok(())
}
