//! The receiver model (`testkit/`, issue #11) against the guard.
//!
//! Input: byte 0 picks the mode; the rest is
//! * modes 0-5 (generated): a seed for the testkit's generators (its first 32 bytes,
//!   zero-padded, seed a ChaCha RNG): a configuration and an event push (MISP's shape,
//!   equivalent variants, variants within every bound), a cluster push or an
//!   analyst-data push;
//! * modes 6-7 (raw): the body itself, judged with a fixed configuration as an event
//!   push (`/events/add` and `/events/edit` models).
//!
//! Properties, for every input:
//! * no panic in the model or the guard;
//! * whenever what the model says MISP stores violates a rule, the guard blocks;
//! * generated bodies in MISP's own shape: the guard blocks exactly when the stored
//!   result violates a rule.
#![no_main]

use libfuzzer_sys::fuzz_target;
use misp_guard_core::{BodyKind, Guard, Inspection, Policy, RuleSetId, Side, Verdict};
use misp_guard_testkit::gen::{self, Variants};
use misp_guard_testkit::{receive, rule_sets, violations, Endpoint};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const RAW_CONFIG: &str = r#"{"allowlist":{"urls":[],"domains":[]},
"compartments_rules":{"can_reach":{"c":["c"]}},
"instances":{"i":{"ip":"192.0.2.1","host":"i.example","port":443,"compartment_id":"c",
"taxonomies_rules":{"required_taxonomies":["tlp"],"allowed_tags":{},"blocked_tags":["tlp:red","misp-galaxy:threat-actor=\"x\""]},
"blocked_distribution_levels":["0"],"blocked_sharing_groups_uuids":["b9e656ba-b9c0-4506-83ed-7b54b43a57cb"],
"blocked_attribute_types":["passport-number"],"blocked_attribute_categories":["Person"],"blocked_object_types":["person"]}}}"#;

fn judge(config: &str, count: u16, kind: BodyKind, body: &[u8]) -> Verdict {
    let p = Policy::from_json_slice(config.as_bytes()).expect("generated configs load");
    let insp =
        Inspection { kind, side: Side::Request, first: RuleSetId(0), count, user_org_check: false };
    let mut g = Guard::new(&p, insp);
    g.feed(body);
    g.finish()
}

/// Checks (a), and (b) when `exact`.
fn check(config: &str, count: u16, kind: BodyKind, endpoints: &[Endpoint], body: &[u8], exact: bool) {
    let sets = rule_sets(config.as_bytes(), None).expect("config");
    for &e in endpoints {
        // the request gate reads `/events/add` bodies as their own kind (a new event)
        let kind = match (kind, e) {
            (BodyKind::Event, Endpoint::EventAdd) => BodyKind::EventAdd,
            (k, _) => k,
        };
        let verdict = judge(config, count, kind, body);
        let stored = receive(e, body);
        let v = violations(&stored, &sets);
        if !v.is_empty() {
            assert!(
                !verdict.is_allow(),
                "{e:?}: MISP stores {v:?}, the guard allows\nconfig {config}\nbody {}",
                String::from_utf8_lossy(body)
            );
        }
        if exact && (e == Endpoint::EventAdd || endpoints.len() == 1) {
            assert_eq!(
                verdict.is_allow(),
                v.is_empty() && stored.unresolved.is_empty(),
                "{e:?}: guard {verdict:?}, MISP stores {v:?}\nconfig {config}\nbody {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

fn value<S: Strategy>(s: S, runner: &mut TestRunner) -> S::Value {
    s.new_tree(runner).expect("generators do not reject").current()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 8 >= 6 {
        let events = [Endpoint::EventAdd, Endpoint::EventEdit];
        check(RAW_CONFIG, 1, BodyKind::Event, &events, rest, false);
        return;
    }
    let mut seed = [0u8; 32];
    for (s, d) in seed.iter_mut().zip(rest) {
        *s = *d;
    }
    let mut runner =
        TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let cfg = value(gen::config(), &mut runner);
    let config = cfg.json();
    let n = cfg.rule_set_count();
    let events = [Endpoint::EventAdd, Endpoint::EventEdit];
    match mode % 8 {
        0 => {
            let ev = value(gen::event(Variants::MispShape), &mut runner);
            check(&config, n, BodyKind::Event, &events, &ev.body(), true);
        }
        1 => {
            let ev = value(gen::event(Variants::Equivalent), &mut runner);
            check(&config, n, BodyKind::Event, &events, &ev.body(), false);
        }
        2 => {
            let ev = value(gen::event(Variants::EquivalentShort), &mut runner);
            check(&config, n, BodyKind::Event, &events, &ev.body(), false);
        }
        3 | 4 => {
            let v = if mode % 8 == 3 { Variants::MispShape } else { Variants::Equivalent };
            let cs = value(gen::clusters(v), &mut runner);
            let body = gen::clusters_body(&cs);
            let exact = v == Variants::MispShape;
            check(&config, n, BodyKind::GalaxyClusterList, &[Endpoint::GalaxyClusterPush], &body, exact);
        }
        _ => {
            let a = value(gen::analyst(Variants::Equivalent), &mut runner);
            check(&config, n, BodyKind::AnalystData, &[Endpoint::AnalystDataPush], &a.body(), false);
        }
    }
});
