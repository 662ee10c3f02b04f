//! The compiled automaton stays small where rules share structure: states no path tells
//! apart are merged, and a state stores only the edges that leave its default transition.
//! Every size check comes with lookups, since a smaller table must decide the same.

use rustlsm_policy::dfa::{compile, Dfa, DfaRule};
use rustlsm_policy::file_dfa::MAX_STATES;

const READ: u32 = 1;
const WRITE: u32 = 2;

fn build(rules: &[(String, u32, u32)]) -> Dfa {
    build_within(rules, MAX_STATES as usize)
}

/// Compiles `rules`, allowing the construction at most `max_states` states.
fn build_within(rules: &[(String, u32, u32)], max_states: usize) -> Dfa {
    let rules: Vec<DfaRule<'_>> = rules
        .iter()
        .map(|(p, allow, deny)| DfaRule {
            pattern: p.as_bytes(),
            allow: *allow,
            deny: *deny,
        })
        .collect();
    compile(&rules, max_states).unwrap()
}

/// 10,000 rules over 100 trees of the same 100 subtrees: the subtrees' states are shared.
#[test]
fn rules_with_common_tails_share_states() {
    let rules: Vec<_> = (0..10_000)
        .map(|i| (format!("/srv/tree{}/sub{}/**", i / 100, i % 100), READ, 0))
        .collect();
    let dfa = build(&rules);
    assert!(dfa.states.len() < 100, "{} states", dfa.states.len());
    assert!(dfa.edge_next.len() < 200, "{} edges", dfa.edge_next.len());
    assert_eq!(dfa.lookup(b"/srv/tree0/sub0/x").0, READ);
    assert_eq!(dfa.lookup(b"/srv/tree99/sub99/a/b/c").0, READ);
    assert_eq!(dfa.lookup(b"/srv/tree42/sub7/").0, READ);
    assert_eq!(dfa.lookup(b"/srv/tree42/sub7").0, 0);
    assert_eq!(dfa.lookup(b"/srv/tree100/sub1/x").0, 0);
    assert_eq!(dfa.lookup(b"/srv/tree1/sub100/x").0, 0);
    assert_eq!(dfa.lookup(b"/srv/tree01/sub1/x").0, 0);
}

/// Different grants keep states apart even where the paths look alike.
#[test]
fn different_grants_are_not_merged() {
    let rules: Vec<_> = (0..200)
        .map(|i| {
            let access = if i % 2 == 0 { READ } else { READ | WRITE };
            (format!("/srv/tree{}/sub{}/**", i / 20, i % 20), access, 0)
        })
        .chain([("/srv/tree3/sub4/secret".to_string(), 0, READ)])
        .collect();
    let dfa = build(&rules);
    for i in 0..200 {
        let want = if i % 2 == 0 { READ } else { READ | WRITE };
        let path = format!("/srv/tree{}/sub{}/f", i / 20, i % 20);
        assert_eq!(dfa.lookup(path.as_bytes()), (want, 0), "{path}");
    }
    assert_eq!(dfa.lookup(b"/srv/tree3/sub4/secret"), (READ, READ));
    assert_eq!(dfa.lookup(b"/srv/tree3/sub5/secret"), (READ | WRITE, 0));
    assert_eq!(dfa.lookup(b"/srv/tree4/sub4/secret"), (READ, 0));
}

/// The states `**` leaves behind send every class to one place: one default, few edges.
#[test]
fn star_star_states_store_only_the_edges_that_leave_them() {
    let mut rules = vec![("/data/**".to_string(), READ, 0)];
    rules.extend((0..50).map(|i| (format!("/data/d{i}/f{i}"), READ | WRITE, 0)));
    let dfa = build(&rules);
    // The literal paths use many classes (digits, 'd', 'f', 'a', 't', '/'); without default
    // transitions every state under /data/ would store one edge per class.
    let classes = usize::from(dfa.num_classes);
    assert!(classes > 10);
    assert!(
        dfa.edge_next.len() < 3 * dfa.states.len(),
        "{} edges for {} states",
        dfa.edge_next.len(),
        dfa.states.len()
    );
    assert_eq!(dfa.lookup(b"/data/d7/f7"), (READ | WRITE, 0));
    assert_eq!(dfa.lookup(b"/data/d7/f8"), (READ, 0));
    assert_eq!(dfa.lookup(b"/data/d7/f7/x"), (READ, 0));
    assert_eq!(dfa.lookup(b"/datum"), (0, 0));
}

/// The dead state stays state 0 and refuses everything, even when other states are dead in
/// all but name (a rule that grants nothing).
#[test]
fn the_dead_state_stays_first() {
    let dfa = build(&[
        ("/a/b".to_string(), READ, 0),
        ("/nothing/**".to_string(), 0, 0),
    ]);
    assert_eq!(dfa.states[0], (0, 0, 0, 0));
    assert_eq!(dfa.lookup(b"/nothing/x"), (0, 0));
    assert_eq!(dfa.lookup(b"/a/b"), (READ, 0));
}

/// A literal that overlaps itself after a star, in brace-expanded variants: the construction
/// keeps one position per future, not one per combination of partial matches, so it stays
/// far below the states the combinations would take (165,670 for the fuzzer's input this
/// comes from, which minimized to 199) and decides as each pattern does.
#[test]
fn overlapping_literals_after_stars_stay_small_while_built() {
    let mut rules = Vec::new();
    for first in ["a", "", "b"] {
        for second in ["a", "", "b"] {
            rules.push((
                format!(
                    "/p**t**5550000000000000000409*{first}al?+0000000000409*{second}al?+/w/**g/*"
                ),
                READ,
                0,
            ));
        }
    }
    let dfa = build_within(&rules, 2_000);
    let zeros = "0".repeat(40);
    let paths = [
        format!("/pxtyy555{zeros}0000409qbal+{zeros}409al+/w/x/yg/z"),
        "/pt5550000000000000000409al?+0000000000409bal?+/w/g/z".to_string(),
        "/pt5550000000000000000409al?+0000000000409cal?+/v/g/z".to_string(),
        "/pt5550000000000000000409al?+0000000000409al?+/w/g/z/".to_string(),
        "/pt555000000000000000409al?+0000000000409al?+/w/g/z".to_string(),
    ];
    for path in &paths {
        let want = if rules
            .iter()
            .any(|(p, _, _)| rustlsm_policy::glob::glob_match(p.as_bytes(), path.as_bytes()))
        {
            READ
        } else {
            0
        };
        assert_eq!(dfa.lookup(path.as_bytes()), (want, 0), "{path}");
    }
    assert_eq!(dfa.lookup(paths[1].as_bytes()).0, READ);
    assert_eq!(dfa.lookup(paths[2].as_bytes()).0, 0);
}
