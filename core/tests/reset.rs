//! `Guard::reset` leaves no state of the previous body: a guard that judged body A (any
//! verdict, any encoding, any inspection, stopped anywhere) and is then reset for body
//! B judges B exactly as a new guard does. Bodies: every fixture of the conformance
//! corpus, whole and cut short.

mod common;

use std::io::Write as _;

use misp_guard_core::decode::Limits;
use misp_guard_core::{BodyKind, Guard, Header, Inspection, Policy, RuleSetId, Side, Verdict};

fn fixtures() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for folder in ["current", "legacy"] {
        let dir = common::current("").join("..").join(folder).join("fixtures");
        let mut names: Vec<_> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        for p in names {
            out.push(std::fs::read(p).unwrap());
        }
    }
    assert!(out.len() > 60, "{}", out.len());
    out
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// The inspections the bodies are judged under: an event push, an event pull with the
/// user-organisation check, a cluster list push.
fn inspections(p: &Policy) -> Vec<Inspection> {
    let push = common::push(p);
    let pull = Inspection { side: Side::Response, user_org_check: true, ..push };
    let clusters = Inspection { kind: BodyKind::GalaxyClusterList, first: RuleSetId(0), ..push };
    vec![push, pull, clusters]
}

/// The last case (a pull without the header) follows a pull that had one.
fn prev_is_pull(case: usize) -> bool {
    case == 3
}

fn judge(g: &mut Guard<'_>, body: &[u8]) -> Verdict {
    for c in body.chunks(777) {
        g.feed(c);
    }
    g.finish()
}

#[test]
fn a_reset_guard_judges_as_a_new_one() {
    let p = common::policy();
    let bodies = fixtures();
    let insps = inspections(&p);
    let org = "8b9661a3-8544-4f8d-94be-cd7ebe87e922";
    let json = [Header { name: b"Content-Type", value: b"application/json" }];
    let response = [Header { name: b"X-UserOrgUUID", value: org.as_bytes() }];
    let gz = [Header { name: b"Content-Encoding", value: b"gzip" }];
    let mut compared = 0;
    let mut blocked = 0;
    let other = [Header { name: b"X-UserOrgUUID", value: b"00000000-0000-4000-8000-000000000000" }];
    // what B is judged under: each inspection, and a pull without the header
    let cases: Vec<(Inspection, &[Header<'_>])> = insps
        .iter()
        .map(|&i| (i, if i.side == Side::Response { &response[..] } else { &json[..] }))
        .chain([(insps[1], &[][..])])
        .collect();
    for (i, b) in bodies.iter().enumerate() {
        for (k, &(insp, headers)) in cases.iter().enumerate() {
            let fresh = judge(&mut Guard::for_body(&p, insp, headers, Limits::default()), b);
            blocked += matches!(fresh, Verdict::Block(_)) as usize;
            // the guard before: another body, another inspection, gzip or cut short
            let a = &bodies[(i + 1 + k * 7) % bodies.len()];
            let before = if prev_is_pull(k) { insps[1] } else { insps[(k + 1) % insps.len()] };
            for (prev, prev_headers) in [
                (a.clone(), &json[..]),
                (gzip(a), &gz[..]),
                (a[..a.len() / 2].to_vec(), &json[..]),
                (a.clone(), &other[..]),
            ] {
                let mut g = Guard::for_body(&p, before, prev_headers, Limits::default());
                let _ = judge(&mut g, &prev);
                g.reset(&p, insp, headers, Limits::default());
                assert_eq!(judge(&mut g, b), fresh, "body {i}, inspection {k}");
                compared += 1;
            }
            // reset without finishing, and twice
            let mut g = Guard::for_body(&p, before, &gz, Limits::default());
            g.feed(&gzip(a)[..10]);
            g.reset(&p, insp, &json, Limits::default());
            g.reset(&p, insp, headers, Limits::default());
            assert_eq!(judge(&mut g, b), fresh, "body {i}, inspection {k}, unfinished");
        }
    }
    assert!(compared > 500 && blocked > 50, "{compared} {blocked}");
}

#[test]
fn a_reset_guard_keeps_the_new_limits_and_headers() {
    let p = common::policy();
    let insp = common::push(&p);
    let body = br#"{"Event": {"info": "x", "distribution": 1, "Attribute": [], "Object": []}}"#;
    let small = Limits { max_body: 10, ..Limits::default() };
    let mut g = Guard::for_body(&p, insp, &[], small);
    assert!(matches!(judge(&mut g, body), Verdict::Block(_)));
    g.reset(&p, insp, &[], Limits::default());
    assert_eq!(judge(&mut g, body), Verdict::Allow);
    let form = [Header { name: b"Content-Type", value: b"text/plain" }];
    g.reset(&p, insp, &form, Limits::default());
    assert!(matches!(judge(&mut g, body), Verdict::Block(_)));
    g.reset(&p, insp, &[], Limits::default());
    assert_eq!(judge(&mut g, body), Verdict::Allow);
}

/// The push from `40.0.0.1` to `instance1-comp1.com`, whose rules require taxonomies.
fn required_push(p: &Policy) -> Inspection {
    let req = misp_guard_core::RequestInfo {
        src_ip: "40.0.0.1",
        dst_host: "instance1-comp1.com",
        ..common::PUSH
    };
    match p.check_request(&req, &[]) {
        misp_guard_core::RequestVerdict::Allow(plan) => plan.request.expect("a push body"),
        misp_guard_core::RequestVerdict::Block(b) => panic!("{b:?}"),
    }
}

#[test]
fn no_state_crosses_policies_taxonomies_clusters_or_shapes() {
    // bodies cut inside elements leave frames, tag copies (required taxonomies), a
    // cluster's type and uuid, a shape judge's state behind; the next body is judged
    // under another inspection, or another policy (the legacy format)
    let p = common::policy();
    let legacy = Policy::from_json_slice(
        &std::fs::read(common::current("").join("../legacy/config.json")).unwrap(),
    )
    .unwrap();
    let push = common::push(&p);
    let taxed = required_push(&p);
    let clusters = Inspection { kind: BodyKind::GalaxyClusterList, ..taxed };
    let shapes = [
        Inspection { kind: BodyKind::UuidList, ..push },
        Inspection { kind: BodyKind::ApiDescription, side: Side::Response, ..push },
    ];
    let legacy_push = Inspection { first: RuleSetId(0), ..push };
    let bodies = fixtures();
    let mut blocked = 0;
    let mut compared = 0;
    for (i, b) in bodies.iter().enumerate() {
        for (k, (policy, insp)) in [(&p, taxed), (&p, clusters), (&p, push), (&legacy, legacy_push)]
            .into_iter()
            .enumerate()
        {
            let fresh = judge(&mut Guard::for_body(policy, insp, &[], Limits::default()), b);
            blocked += matches!(fresh, Verdict::Block(_)) as usize;
            let a = &bodies[(i + 3 + k) % bodies.len()];
            for (before_policy, before) in [
                (&p, taxed),
                (&p, clusters),
                (&legacy, legacy_push),
                (&p, shapes[0]),
                (&p, shapes[1]),
            ] {
                for cut in [a.len() / 3, a.len() / 2, 2 * a.len() / 3, a.len()] {
                    let mut g = Guard::for_body(before_policy, before, &[], Limits::default());
                    for c in a[..cut].chunks(501) {
                        g.feed(c);
                    }
                    g.reset(policy, insp, &[], Limits::default());
                    assert_eq!(judge(&mut g, b), fresh, "body {i}, case {k}, cut {cut}");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 5000 && blocked > 100, "{compared} {blocked}");
}

#[test]
fn a_reset_guard_says_whether_it_decodes() {
    let p = common::policy();
    let insp = common::push(&p);
    let gz = [Header { name: b"Content-Encoding", value: b"gzip" }];
    let mut g = Guard::for_body(&p, insp, &gz, Limits::default());
    assert!(g.decodes());
    g.reset(&p, insp, &[], Limits::default());
    assert!(!g.decodes());
    g.reset(&p, insp, &gz, Limits::default());
    assert!(g.decodes());
}

#[test]
fn tag_copies_of_a_cut_body_do_not_satisfy_the_next() {
    // a body cut inside an attribute whose tag satisfied the required taxonomy (`tlp`
    // for instance_1_4) leaves that element's table of tag copies filled; the next
    // body's attribute, tagged outside the taxonomy, must still miss it
    let p = common::policy();
    let insp = required_push(&p);
    let cut = br#"{"Event":{"info":"x","distribution":1,"Tag":[{"name":"tlp:green"}],"Object":[],"Attribute":[{"type":"ip-src","category":"Network activity","value":"1.1.1.1","distribution":1,"Tag":[{"name":"tlp:green"}]"#;
    let next = br#"{"Event":{"info":"x","distribution":1,"Tag":[{"name":"tlp:green"}],"Object":[],"Attribute":[{"type":"ip-src","category":"Network activity","value":"1.1.1.1","distribution":1,"Tag":[{"name":"pap:green"}]}]}}"#;
    let fresh = judge(&mut Guard::for_body(&p, insp, &[], Limits::default()), next);
    assert!(matches!(fresh, Verdict::Block(_)), "{fresh:?}");
    for len in [cut.len() - 1, cut.len()] {
        let mut g = Guard::for_body(&p, insp, &[], Limits::default());
        g.feed(&cut[..len]);
        g.reset(&p, insp, &[], Limits::default());
        assert_eq!(judge(&mut g, next), fresh, "cut at {len}");
    }
    // and the event's own tags
    let cut_event = br#"{"Event":{"info":"x","distribution":1,"Tag":[{"name":"tlp:green"}]"#;
    let next_event = br#"{"Event":{"info":"x","distribution":1,"Tag":[{"name":"pap:green"}],"Object":[],"Attribute":[]}}"#;
    let fresh = judge(&mut Guard::for_body(&p, insp, &[], Limits::default()), next_event);
    assert!(matches!(fresh, Verdict::Block(_)), "{fresh:?}");
    let mut g = Guard::for_body(&p, insp, &[], Limits::default());
    g.feed(cut_event);
    g.reset(&p, insp, &[], Limits::default());
    assert_eq!(judge(&mut g, next_event), fresh);
}

#[test]
fn a_cut_cluster_does_not_name_the_next_ones_tag() {
    // MISP files a captured cluster under `misp-galaxy:TYPE="UUID"`: a cluster list cut
    // after a cluster's `type` and `uuid` must not lend them to the next body's cluster
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::current("config.json")).unwrap()).unwrap();
    let filed = r#"misp-galaxy:threat-actor="7cdff317-a673-4474-84ec-4f1754947823""#;
    for (_, inst) in config["instances"].as_object_mut().unwrap() {
        inst["taxonomies_rules"]["blocked_tags"].as_array_mut().unwrap().push(filed.into());
    }
    let p = Policy::from_json_slice(&serde_json::to_vec(&config).unwrap()).unwrap();
    let insp = Inspection { kind: BodyKind::GalaxyClusterList, ..common::push(&p) };
    let cut = br#"[{"GalaxyCluster":{"type":"threat-actor","uuid":"7cdff317-a673-4474-84ec-4f1754947823""#;
    let next = br#"[{"GalaxyCluster":{"distribution":"1","value":"x","tag_name":"misp-galaxy:threat-actor=\"x\"","Galaxy":{"type":"threat-actor"}}}]"#;
    let fresh = judge(&mut Guard::for_body(&p, insp, &[], Limits::default()), next);
    let mut g = Guard::for_body(&p, insp, &[], Limits::default());
    g.feed(cut);
    g.reset(&p, insp, &[], Limits::default());
    assert_eq!(judge(&mut g, next), fresh);
}
