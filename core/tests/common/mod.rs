//! What several test files share: the corpus's current-format rules, and the push most
//! of them judge (an event from instance_2_2, `20.0.0.2`, to `instance1-comp2.com:443`;
//! its rules block tag `tlp:red`, level 0, types `passport-number`/`email`, category
//! `Person` and object `person`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use std::io::Write;

use misp_guard_core::{Guard, Header, Inspection, Policy, RequestInfo, RequestVerdict, Verdict};

/// A file of the corpus's `current` folder (`../shared/conformance/current`).
pub fn current(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/current").join(name)
}

/// The corpus's current-format rules.
pub fn policy() -> Policy {
    Policy::from_json_slice(&std::fs::read(current("config.json")).unwrap()).unwrap()
}

/// The event push from instance_2_2.
pub const PUSH: RequestInfo<'static> = RequestInfo {
    method: "POST",
    path: "/events/add/metadata:1",
    scheme: "https",
    src_ip: "20.0.0.2",
    dst_host: "instance1-comp2.com",
    dst_port: 443,
};

/// What `p` inspects of [`PUSH`]: the request body.
pub fn push(p: &Policy) -> Inspection {
    let RequestVerdict::Allow(plan) = p.check_request(&PUSH, &[]) else { panic!("push refused") };
    plan.request.expect("the push body is inspected")
}

/// Judges `body` as `insp` of `p` whole, split in two at about 200 points (every point
/// of bodies up to 200 bytes), one byte at a time (below 20 000 bytes) and
/// gzip-encoded; every way must give the same verdict, which is returned.
pub fn judge_every_way(p: &Policy, insp: Inspection, body: &[u8]) -> Verdict {
    let run = |chunks: &[&[u8]], hdrs: &[Header]| {
        let mut g = Guard::for_body(p, insp, hdrs, Default::default());
        for c in chunks {
            g.feed(c);
        }
        g.finish()
    };
    let whole = run(&[body], &[]);
    let step = (body.len() / 200).max(1);
    for i in (0..=body.len()).step_by(step) {
        assert_eq!(run(&[&body[..i], &body[i..]], &[]), whole, "split at {i}");
    }
    if body.len() < 20_000 {
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(run(&bytes, &[]), whole, "one byte at a time");
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body).unwrap();
    let hdrs = [Header { name: b"Content-Encoding", value: b"gzip" }];
    assert_eq!(run(&[&e.finish().unwrap()], &hdrs), whole, "gzip");
    whole
}
