//! The receiver model against the guard on the other pushes: galaxy clusters
//! (`/galaxies/pushCluster`) and analyst data (`/analyst_data/pushAnalystData`).
//!
//! * (a) a stored violation implies a block (MISP's shape and equivalent variants:
//!   padded/cased tag names and sharing-group UUIDs, level spellings, a claimed
//!   `tag_name` other than the one MISP files the cluster under, relation tags given
//!   as `GalaxyClusterRelationTag` items);
//! * (b) for MISP-shaped bodies, guard and model agree.
//!
//! Cases: `RECEIVER_CASES` or `PROPTEST_CASES` (default 512 per property).

use misp_guard_core::{BodyKind, Guard, Inspection, Policy, RuleSetId, Side, Verdict};
use misp_guard_testkit::gen::{self, ConfigSpec, Variants};
use misp_guard_testkit::{receive, rule_sets, violations, Endpoint, Rule, Violation};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn cases() -> Config {
    // RECEIVER_CASES, else PROPTEST_CASES, else 512
    let n = ["RECEIVER_CASES", "PROPTEST_CASES"]
        .iter()
        .find_map(|k| std::env::var(k).ok().and_then(|v| v.parse().ok()))
        .unwrap_or(512);
    Config { cases: n, failure_persistence: None, ..Config::default() }
}

fn core(cfg: &ConfigSpec, kind: BodyKind, body: &[u8]) -> Verdict {
    let config = cfg.json();
    let p = Policy::from_json_slice(config.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{config}"));
    let insp = Inspection {
        kind,
        side: Side::Request,
        first: RuleSetId(0),
        count: cfg.rule_set_count(),
        user_org_check: false,
    };
    let mut g = Guard::new(&p, insp);
    g.feed(body);
    g.finish()
}

fn model(cfg: &ConfigSpec, endpoint: Endpoint, body: &[u8]) -> Vec<Violation> {
    let sets = rule_sets(cfg.json().as_bytes(), None).unwrap();
    violations(&receive(endpoint, body), &sets)
}

/// Configurations that may also block the first cluster's galaxy tag.
fn config() -> impl Strategy<Value = ConfigSpec> {
    (gen::config(), any::<bool>()).prop_map(|(mut c, galaxy)| {
        if galaxy {
            c.blocked_tags.push(gen::CLUSTER_TAG);
        }
        c
    })
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace(&" ".repeat(16), "<16 sp>")
}

proptest! {
    #![proptest_config(cases())]

    /// (a) clusters: a stored violation implies a block.
    #[test]
    fn clusters_model_violation_implies_block(cfg in config(), cs in gen::clusters(Variants::Equivalent)) {
        let body = gen::clusters_body(&cs);
        let v = model(&cfg, Endpoint::GalaxyClusterPush, &body);
        if !v.is_empty() {
            let verdict = core(&cfg, BodyKind::GalaxyClusterList, &body);
            prop_assert!(!verdict.is_allow(), "MISP stores {:?}, guard allows\nconfig {}\nbody {}", v, cfg.json(), show(&body));
        }
    }

    /// (a) clusters, strings within every bound.
    #[test]
    fn clusters_model_violation_implies_block_short_strings(cfg in config(), cs in gen::clusters(Variants::EquivalentShort)) {
        let body = gen::clusters_body(&cs);
        let v = model(&cfg, Endpoint::GalaxyClusterPush, &body);
        if !v.is_empty() {
            let verdict = core(&cfg, BodyKind::GalaxyClusterList, &body);
            prop_assert!(!verdict.is_allow(), "MISP stores {:?}, guard allows\nconfig {}\nbody {}", v, cfg.json(), show(&body));
        }
    }

    /// (b) clusters in MISP's shape: guard and model agree.
    #[test]
    fn clusters_misp_shape_agrees(cfg in config(), cs in gen::clusters(Variants::MispShape)) {
        let body = gen::clusters_body(&cs);
        let v = model(&cfg, Endpoint::GalaxyClusterPush, &body);
        let verdict = core(&cfg, BodyKind::GalaxyClusterList, &body);
        prop_assert_eq!(verdict.is_allow(), v.is_empty(), "guard {:?}, MISP stores {:?}\nconfig {}\nbody {}", verdict, v, cfg.json(), show(&body));
    }

    /// (a) analyst data: a stored violation implies a block.
    #[test]
    fn analyst_model_violation_implies_block(cfg in config(), a in gen::analyst(Variants::Equivalent)) {
        let body = a.body();
        let v = model(&cfg, Endpoint::AnalystDataPush, &body);
        if !v.is_empty() {
            let verdict = core(&cfg, BodyKind::AnalystData, &body);
            prop_assert!(!verdict.is_allow(), "MISP stores {:?}, guard allows\nconfig {}\nbody {}", v, cfg.json(), show(&body));
        }
    }

    /// (a) analyst data, strings within every bound.
    #[test]
    fn analyst_model_violation_implies_block_short_strings(cfg in config(), a in gen::analyst(Variants::EquivalentShort)) {
        let body = a.body();
        let v = model(&cfg, Endpoint::AnalystDataPush, &body);
        if !v.is_empty() {
            let verdict = core(&cfg, BodyKind::AnalystData, &body);
            prop_assert!(!verdict.is_allow(), "MISP stores {:?}, guard allows\nconfig {}\nbody {}", v, cfg.json(), show(&body));
        }
    }

    /// (b) analyst data in MISP's shape: guard and model agree. Without required
    /// taxonomies: misp-guard (and the guard) apply them to the `related_object` event
    /// a relationship carries, which MISP does not store (stricter by design).
    #[test]
    fn analyst_misp_shape_agrees(cfg in config(), a in gen::analyst(Variants::MispShape)) {
        let cfg = ConfigSpec { required: vec![], ..cfg };
        let body = a.body();
        let v = model(&cfg, Endpoint::AnalystDataPush, &body);
        let verdict = core(&cfg, BodyKind::AnalystData, &body);
        prop_assert_eq!(verdict.is_allow(), v.is_empty(), "guard {:?}, MISP stores {:?}\nconfig {}\nbody {}", verdict, v, cfg.json(), show(&body));
    }
}

#[test]
fn cluster_is_judged_by_the_tag_misp_files_it_under() {
    // GalaxyCluster::captureCluster recomputes tag_name from type and uuid
    let cfg = ConfigSpec {
        blocked_tags: vec![gen::CLUSTER_TAG],
        required: vec![],
        levels: vec![],
        block_sg: false,
        types: vec![],
        categories: vec![],
        object_types: vec![],
        legacy: false,
    };
    let body = br#"[{"GalaxyCluster":{"uuid":"c1000000-0000-4000-8000-000000000000","type":"threat-actor","tag_name":"misp-galaxy:threat-actor=\"x\"","value":"A","distribution":"1","default":false,"Galaxy":{"type":"threat-actor"}}}]"#;
    let v = model(&cfg, Endpoint::GalaxyClusterPush, body);
    assert!(v.iter().any(|x| x.rule == Rule::BlockedTag), "{v:?}");
    assert!(!core(&cfg, BodyKind::GalaxyClusterList, body).is_allow());
}

fn fixed_config() -> ConfigSpec {
    ConfigSpec {
        blocked_tags: vec!["tlp:red"],
        required: vec![],
        levels: vec![0],
        block_sg: true,
        types: vec![],
        categories: vec![],
        object_types: vec![],
        legacy: false,
    }
}

fn stored_violation_is_blocked(endpoint: Endpoint, kind: BodyKind, body: &str, rule: Rule) {
    let cfg = fixed_config();
    let v = model(&cfg, endpoint, body.as_bytes());
    assert!(
        v.iter().any(|x| x.rule == rule),
        "model: {v:?} lacks {rule:?}\n{}",
        show(body.as_bytes())
    );
    let verdict = core(&cfg, kind, body.as_bytes());
    assert!(
        !verdict.is_allow(),
        "guard allows what MISP stores as {rule:?}:\n{}",
        show(body.as_bytes())
    );
}

const CLUSTER: &str = r#""uuid":"c1000000-0000-4000-8000-000000000000","type":"threat-actor","value":"A","default":false,"Galaxy":{"type":"threat-actor"}"#;

#[test]
fn relation_tag_items_carry_names() {
    // GalaxyClusterRelation::captureRelations: `Hash::extract($relation[GalaxyClusterRelationTag], '{n}.name')`
    let body = format!(
        r#"[{{"GalaxyCluster":{{{CLUSTER},"distribution":"1","GalaxyClusterRelation":[{{"referenced_galaxy_cluster_uuid":"c2000000-0000-4000-8000-000000000000","referenced_galaxy_cluster_type":"similar","distribution":"1","GalaxyClusterRelationTag":[{{"name":"tlp:red"}}]}}]}}}}]"#
    );
    stored_violation_is_blocked(
        Endpoint::GalaxyClusterPush,
        BodyKind::GalaxyClusterList,
        &body,
        Rule::BlockedTag,
    );
}

#[test]
fn class1_padded_cluster_sharing_group() {
    let body = format!(
        r#"[{{"GalaxyCluster":{{{CLUSTER},"distribution":"4","SharingGroup":{{"name":"sg","uuid":"b9e656ba-b9c0-4506-83ed-7b54b43a57cb{}"}}}}}}]"#,
        " ".repeat(300)
    );
    stored_violation_is_blocked(
        Endpoint::GalaxyClusterPush,
        BodyKind::GalaxyClusterList,
        &body,
        Rule::BlockedSharingGroup,
    );
}

#[test]
fn class1_padded_relation_tag() {
    let body = format!(
        r#"[{{"GalaxyCluster":{{{CLUSTER},"distribution":"1","GalaxyClusterRelation":[{{"referenced_galaxy_cluster_uuid":"c2000000-0000-4000-8000-000000000000","referenced_galaxy_cluster_type":"similar","distribution":"1","Tag":[{{"name":"tlp:red{}"}}]}}]}}}}]"#,
        " ".repeat(300)
    );
    stored_violation_is_blocked(
        Endpoint::GalaxyClusterPush,
        BodyKind::GalaxyClusterList,
        &body,
        Rule::BlockedTag,
    );
}

#[test]
fn class1_padded_analyst_sharing_group() {
    let body = format!(
        r#"{{"Note":{{"uuid":"a1000000-0000-4000-8000-000000000000","note":"x","distribution":"4","SharingGroup":{{"name":"sg","uuid":"b9e656ba-b9c0-4506-83ed-7b54b43a57cb{}"}}}}}}"#,
        " ".repeat(300)
    );
    stored_violation_is_blocked(
        Endpoint::AnalystDataPush,
        BodyKind::AnalystData,
        &body,
        Rule::BlockedSharingGroup,
    );
}

#[test]
fn analyst_note_inside_note_is_what_misp_stores() {
    // AnalystData::captureAnalystData: `$analystData[$type]` is the element when set
    let body = r#"{"note_type_name":"Note","distribution":"1","Note":{"uuid":"a1000000-0000-4000-8000-000000000000","note":"x","distribution":"0"}}"#;
    stored_violation_is_blocked(
        Endpoint::AnalystDataPush,
        BodyKind::AnalystData,
        body,
        Rule::BlockedLevel,
    );
}
