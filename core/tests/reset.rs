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
